classdef examplePreluLayer < nnet.layer.Layer
    % PReLU, as in MATLAB's "Define Custom Deep Learning Layer" example.
    properties (Learnable)
        % Scaling coefficient
        Alpha
    end
    properties
        Scale = 1;
    end
    methods
        function layer = examplePreluLayer(numChannels, args)
            arguments
                numChannels
                args.Name = "";
            end
            layer.Name = args.Name;
            layer.Description = "PReLU with " + numChannels + " channels";
            layer.Alpha = rand([1 1 numChannels]);
        end
        function Z = predict(layer, X)
            pos = max(0, X);
            neg = layer.Alpha .* min(0, X);
            Z = layer.Scale * (pos + neg);
        end
    end
end
