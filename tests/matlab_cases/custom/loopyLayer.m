classdef loopyLayer < nnet.layer.Layer
    % A predict the porter cannot translate (a loop): becomes a placeholder.
    methods
        function layer = loopyLayer(name)
            layer.Name = name;
        end
        function Z = predict(layer, X)
            Z = X;
            for i = 1:3
                Z = Z + 1;
            end
        end
    end
end
