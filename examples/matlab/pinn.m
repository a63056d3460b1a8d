%% Physics-informed neural network: the 1-D Poisson equation
% Solve u''(x) = -pi^2 sin(pi x) on [0, 1] with u(0) = u(1) = 0 (solution
% sin(pi x)). The residual needs the second derivative of the network with
% respect to its input: dlgradient twice, with 'EnableHigherDerivatives'.
% Adam first, then L-BFGS (lbfgsupdate), as MathWorks' PINN examples do.
%   layergraph run examples/matlab/pinn.m
% examples/pinn.py is the same program in Python.

layers = [
    featureInputLayer(1)
    fullyConnectedLayer(16)
    tanhLayer
    fullyConnectedLayer(16)
    tanhLayer
    fullyConnectedLayer(1)];
net = dlnetwork(layers);

X = dlarray(linspace(0, 1, 41), 'CB');
X0 = dlarray([0 1], 'CB');
U0 = [0 0];

% settings (a caller may give them first: layergraph run ... --var numAdamIterations=30)
if ~exist('numAdamIterations', 'var'), numAdamIterations = 300; end
if ~exist('numLBFGSIterations', 'var'), numLBFGSIterations = 60; end

averageGrad = [];
averageSqGrad = [];
for iteration = 1:numAdamIterations
    [loss, gradients] = dlfeval(@modelLoss, net, X, X0, U0);
    [net, averageGrad, averageSqGrad] = adamupdate(net, gradients, ...
        averageGrad, averageSqGrad, iteration, 0.01);
end
fprintf('Adam: loss %.3e\n', extractdata(loss));

solverState = lbfgsState;
lossFcn = @(net) dlfeval(@modelLoss, net, X, X0, U0);
for iteration = 1:numLBFGSIterations
    [net, solverState] = lbfgsupdate(net, lossFcn, solverState);
    if solverState.LineSearchStatus == "failed"
        break
    end
end
fprintf('L-BFGS: loss %.3e\n', solverState.Loss);

XTest = linspace(0, 1, 101);
UTest = extractdata(predict(net, dlarray(single(XTest), 'CB')));
fprintf('Max error against sin(pi x): %.4f\n', max(abs(UTest - sin(pi*XTest))));

figure
plot(XTest, UTest, 'b-', XTest, sin(pi*XTest), 'r--')
legend('PINN', 'sin(\pi x)')

function [loss, gradients] = modelLoss(net, X, X0, U0)
    U = forward(net, X);
    Ux = dlgradient(sum(U, 'all'), X, 'EnableHigherDerivatives', true);
    Uxx = dlgradient(sum(Ux, 'all'), X, 'EnableHigherDerivatives', true);
    f = -pi^2 * sin(pi * X);
    lossPDE = mean((Uxx - f).^2, 'all');
    U0Pred = forward(net, X0);
    lossBC = mean((U0Pred - U0).^2, 'all');
    loss = lossPDE + lossBC;
    gradients = dlgradient(loss, net.Learnables);
end
