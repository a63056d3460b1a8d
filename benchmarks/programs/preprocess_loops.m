% Loop-heavy preprocessing (benchmark program): build a feature matrix element by element,
% standardise each feature with explicit loops, and clip outliers.
n = 400;
d = 50;
X = zeros(n, d);
for i = 1:n
    for j = 1:d
        X(i, j) = (i * 7 + j * 13) / 10 - j;
    end
end
mu = zeros(1, d);
for j = 1:d
    s = 0;
    for i = 1:n
        s = s + X(i, j);
    end
    mu(j) = s / n;
end
sd = zeros(1, d);
for j = 1:d
    s = 0;
    for i = 1:n
        r = X(i, j) - mu(j);
        s = s + r * r;
    end
    sd(j) = sqrt(s / (n - 1));
end
Y = zeros(n, d);
for i = 1:n
    for j = 1:d
        z = (X(i, j) - mu(j)) / sd(j);
        if z > 1.5
            z = 1.5;
        elseif z < -1.5
            z = -1.5;
        end
        Y(i, j) = z;
    end
end
checksum = sum(Y(:));
