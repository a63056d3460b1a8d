% Vectorised preprocessing (benchmark program): scale features, standardise them with implicit
% expansion, clip outliers with logical masks, and summarise rows and the feature covariance.
n = 20000;
d = 64;
idx = reshape(1:n*d, n, d);
X = mod(idx * 7919, 1000) / 100;
mu = mean(X, 1);
Xc = X - mu;
sd = sqrt(sum(Xc .^ 2, 1) / (n - 1));
Z = Xc ./ sd;
Z(Z > 1.5) = 1.5;
Z(Z < -1.5) = -1.5;
rowNorm = sqrt(sum(Z .^ 2, 2));
C = Z' * Z / (n - 1);
checksum = sum(Z(:)) + sum(rowNorm) + sum(C(:));
