classdef channelEluLayer < nnet.layer.Layer
    % ELU with one learnable alpha per channel (after Steve Eddins' R2017b blog example).
    properties (Learnable)
        Alpha
    end

    methods
        function layer = channelEluLayer(numChannels, name)
            % Create the layer: name and initial alpha values.
            layer.Name = name;
            layer.Type = 'Exponential Linear Unit';
            layer.Description = "Exponential linear unit with " + numChannels + " channels";
            layer.Alpha = 0.25 * ones(1, 1, numChannels) + ...
                0.05 * reshape(1:numChannels, 1, 1, numChannels);
        end

        function Z = predict(layer, X)
            % Z = max(X,0) + alpha .* (exp(min(X,0)) - 1)
            Z = max(X, 0) + layer.Alpha .* (exp(min(X, 0)) - 1);
        end
    end
end
