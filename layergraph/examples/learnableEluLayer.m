classdef learnableEluLayer < nnet.layer.Layer
    % learnableEluLayer   Exponential linear unit with one learnable alpha per channel.
    %
    % The custom layer of Steve Eddins' "Defining your own network layer"
    % (MATLAB R2017b): Z = max(X,0) + alpha.*(exp(min(X,0)) - 1), where
    % alpha is 1-by-1-by-C and learned during training.

    properties (Learnable)
        % One scaling parameter per channel
        Alpha
    end

    methods
        function layer = learnableEluLayer(numChannels, name)
            % layer = learnableEluLayer(numChannels, name) creates an ELU
            % layer with numChannels learnable alpha values.
            layer.Type = 'Exponential Linear Unit';
            layer.Name = name;
            layer.Description = "Exponential linear unit with " + numChannels + " channels";
            layer.Alpha = rand([1 1 numChannels]);
        end

        function Z = predict(layer, X)
            Z = max(X, 0) + layer.Alpha .* (exp(min(X, 0)) - 1);
        end

        function [dLdX, dLdAlpha] = backward(layer, X, Z, dLdZ, ~)
            dLdX = dLdZ .* ((X > 0) + (X <= 0) .* (layer.Alpha + Z));
            dLdAlpha = (exp(min(X, 0)) - 1) .* dLdZ;
            dLdAlpha = sum(sum(sum(dLdAlpha, 1), 2), 4);
        end
    end
end
