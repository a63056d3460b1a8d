"""Issue 11 item 7 and --entry Class.method: legacy two-group convolutions, copies of MathWorks' layer files on
the path, Deep Network Designer exports in each release style, and methods of a classdef that is not a layer.
All scripts are our own, written in the shapes those sources have."""

from __future__ import annotations

import textwrap

import pytest

from layergraph import analyzeNetwork
from layergraph.errors import MatlabPortError
from layergraph.matlab import port


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_a_legacy_two_group_convolution_builds_as_a_grouped_convolution(tmp_path):
    path = write(tmp_path, "alex.m", """\
        layers = [imageInputLayer([27 27 96], 'Name', 'in', 'Normalization', 'none')
            convolution2dLayer(5, 256, 'NumChannels', 48, 'Padding', 2, 'Name', 'conv2')
            reluLayer('Name', 'relu2')
            fullyConnectedLayer(10, 'Name', 'fc')
            softmaxLayer('Name', 'prob')
            classificationLayer('Name', 'out')];
    """)
    r = port(path)
    conv = r.networks["layers"][1]
    assert type(conv).__name__ == "GroupedConvolution2DLayer" and conv.Name == "conv2"
    assert (conv.NumGroups, conv.NumFiltersPerGroup, tuple(conv.PaddingSize)) == (2, 128, (2, 2, 2, 2))
    assert any("alex.m: warning: network 'layers': layer 'conv2' is a legacy grouped convolution" in w
               for w in r.warnings)
    analysis = analyzeNetwork(r.graphs()["layers"], Plots="none")
    # two groups of 128 5x5x48 filters + bias, then fc from 27x27x256: as MATLAB's old AlexNet counted them
    assert not analysis.has_errors
    assert analysis.TotalLearnables == 5 * 5 * 48 * 256 + 256 + 27 * 27 * 256 * 10 + 10


def test_a_matching_number_of_channels_is_left_alone(tmp_path):
    path = write(tmp_path, "plain.m", """\
        layers = [imageInputLayer([8 8 3], 'Name', 'in')
            convolution2dLayer(3, 4, 'NumChannels', 3, 'Name', 'conv')];
    """)
    assert type(port(path).networks["layers"][1]).__name__ == "Convolution2DLayer"


def test_a_copy_of_a_toolbox_layer_function_on_the_path_maps_to_the_built_in_layer(tmp_path):
    # a file named like a toolbox constructor whose body reaches for internal nnet.* classes (as copies of
    # toolbox sources do): the porter uses its own layer, with a warning
    write(tmp_path, "reluLayer.m", """\
        function layer = reluLayer(varargin)
        args = nnet.cnn.layer.ReLULayer.parseInputArguments(varargin{:});
        internalLayer = nnet.internal.cnn.layer.ReLU(args.Name);
        layer = nnet.cnn.layer.ReLULayer(internalLayer);
        end
    """)
    path = write(tmp_path, "net.m", """\
        layers = [featureInputLayer(3, 'Name', 'in'); fullyConnectedLayer(4, 'Name', 'fc'); reluLayer('Name', 'r')];
    """)
    r = port(path)
    assert [type(x).__name__ for x in r.networks["layers"]][-1] == "ReLULayer"
    assert any("reluLayer.m is a copy of MathWorks' own reluLayer" in w for w in r.warnings)


DESIGNER_LAYERGRAPH = """\
    lgraph = layerGraph();
    tempLayers = [
        imageInputLayer([32 32 3],"Name","imageinput")
        convolution2dLayer([3 3],16,"Name","conv_1","Padding","same")
        batchNormalizationLayer("Name","batchnorm_1")
        reluLayer("Name","relu_1")];
    lgraph = addLayers(lgraph,tempLayers);
    tempLayers = [
        convolution2dLayer([3 3],16,"Name","conv_2","Padding","same")
        batchNormalizationLayer("Name","batchnorm_2")];
    lgraph = addLayers(lgraph,tempLayers);
    tempLayers = [
        additionLayer(2,"Name","addition")
        reluLayer("Name","relu_2")
        globalAveragePooling2dLayer("Name","gapool")
        fullyConnectedLayer(10,"Name","fc")
        softmaxLayer("Name","softmax")
        classificationLayer("Name","classoutput")];
    lgraph = addLayers(lgraph,tempLayers);
    % clean up helper variable
    clear tempLayers;
    lgraph = connectLayers(lgraph,"relu_1","conv_2");
    lgraph = connectLayers(lgraph,"relu_1","addition/in2");
    lgraph = connectLayers(lgraph,"batchnorm_2","addition/in1");
    plot(lgraph);
"""

DESIGNER_DLNETWORK = """\
    net = dlnetwork;
    tempNet = [
        featureInputLayer(8,"Name","featureinput")
        fullyConnectedLayer(16,"Name","fc_1")
        reluLayer("Name","relu")];
    net = addLayers(net,tempNet);
    tempNet = [
        fullyConnectedLayer(16,"Name","fc_2")
        additionLayer(2,"Name","addition")
        fullyConnectedLayer(3,"Name","fc_3")
        softmaxLayer("Name","softmax")];
    net = addLayers(net,tempNet);
    clear tempNet;
    net = connectLayers(net,"relu","fc_2");
    net = connectLayers(net,"relu","addition/in2");
    net = initialize(net);
    plot(net);
"""


@pytest.mark.parametrize("text, layers, edges, learnables", [
    # conv 3*3*3*16+16, bn 2*16, conv 3*3*16*16+16, bn 2*16, fc 16*10+10
    (DESIGNER_LAYERGRAPH, 12, 12, 448 + 32 + 2320 + 32 + 170),
    # fc 8*16+16, fc 16*16+16, fc 16*3+3
    (DESIGNER_DLNETWORK, 7, 7, 144 + 272 + 51),
])
def test_deep_network_designer_exports_port_exactly(tmp_path, text, layers, edges, learnables):
    r = port(write(tmp_path, "exported.m", text))
    graph = r.graphs()[r.primary]
    analysis = analyzeNetwork(graph, Plots="none")
    assert not analysis.has_errors and r.complete
    assert (len(graph.layer_list()), len(graph.edge_list()), analysis.TotalLearnables) == (layers, edges, learnables)


MODEL = """\
    classdef Model
        properties
            Width = 32
        end
        methods (Static)
            function lgraph = build(numClasses)
                layers = [featureInputLayer(4, 'Name', 'in')
                    fullyConnectedLayer(numClasses, 'Name', 'fc')];
                lgraph = layerGraph(layers);
            end
        end
        methods
            function obj = Model()
                obj.Width = obj.Width * 2;
            end
            function layers = make(obj, numClasses)
                layers = [featureInputLayer(4, 'Name', 'in')
                    fullyConnectedLayer(obj.Width, 'Name', 'hidden')
                    fullyConnectedLayer(numClasses, 'Name', 'fc')];
            end
        end
    end
"""


def test_entry_class_method_static_and_on_a_default_constructed_object(tmp_path):
    path = write(tmp_path, "Model.m", MODEL)
    r = port(path, entry="Model.build", args="5")
    assert r.primary == "lgraph" and r.graphs()["lgraph"].layer("fc").OutputSize == 5
    r = port(path, entry="Model.make", var_specs=["numClasses=3"])
    # the constructor ran: Width 32 * 2
    assert [getattr(x, "OutputSize", None) for x in r.networks["layers"]] == [None, 64, 3]
    with pytest.raises(MatlabPortError, match="Model has no method 'train'"):
        port(path, entry="Model.train")
