"""Issue 11 items 5 and 6 (porter side): values from data that a layer can do without (Weights, Classes,
ClassWeights), and inputParser as network-building functions use it. Our own scripts, shaped like real code."""

from __future__ import annotations

import textwrap

import pytest

from layergraph.errors import MatlabPortError
from layergraph.matlab import port


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_weights_and_classes_from_data_keep_their_defaults_with_warnings(tmp_path):
    path = write(tmp_path, "transfer.m", """\
        s = load('pretrainedWeights.mat');
        classes = categories(imds.Labels);
        w = computeClassWeights(imds);
        fc = fullyConnectedLayer(10, 'Name', 'fc', 'Weights', s.W, 'Bias', s.b);
        out = classificationLayer('Name', 'out', 'Classes', classes, 'ClassWeights', w);
        layers = [featureInputLayer(4, 'Name', 'in'); fc; softmaxLayer('Name', 'sm'); out];
        layers(2).Weights = s.W2;
    """)
    r = port(path)
    fc = r.networks["layers"][1]
    out = r.networks["layers"][3]
    assert fc.OutputSize == 10 and fc.Weights is None and fc.Bias is None     # the initializer stays
    assert str(out.Classes) == "auto" or list(out.Classes) in ([], ["auto"])
    text = "\n".join(r.warnings)
    assert "transfer.m:4:6: warning: fullyConnectedLayer: 'Weights' comes from data" in text
    assert "'Bias' comes from data" in text and "'Classes' comes from data" in text and "keeps 'auto'" in text
    assert "'ClassWeights' comes from data" in text and "keeps 'none'" in text
    assert "transfer.m:7:" in text and "the Weights property of layer 'fc' is set from data" in text
    assert r.complete


def test_a_size_from_data_is_still_an_error_naming_the_variable(tmp_path):
    path = write(tmp_path, "sizes.m", """\
        numClasses = numel(categories(YTrain));
        layers = [featureInputLayer(4); fullyConnectedLayer(numClasses)];
    """)
    with pytest.raises(MatlabPortError, match="--var numClasses=VALUE"):
        port(path)
    assert port(path, var_specs=["numClasses=3"]).networks["layers"][1].OutputSize == 3


BUILD = """\
    function layers = buildMLP(varargin)
    p = inputParser;
    p.FunctionName = 'buildMLP';
    addRequired(p, 'numFeatures', @(x) isnumeric(x) && x > 0);
    addOptional(p, 'width', 16);
    addParameter(p, 'Dropout', 0.5, @(x) x >= 0 && x < 1);
    addParameter(p, 'NumClasses', 2);
    p.KeepUnmatched = true;
    parse(p, varargin{:});
    opts = p.Results;
    extra = fieldnames(p.Unmatched);
    defaults = p.UsingDefaults;
    layers = [featureInputLayer(opts.numFeatures, 'Name', 'in')
        fullyConnectedLayer(opts.width, 'Name', 'fc1')
        dropoutLayer(opts.Dropout, 'Name', 'drop')
        fullyConnectedLayer(opts.NumClasses, 'Name', 'fc2')];
    end
"""


def test_input_parser_required_optional_parameters_and_defaults(tmp_path):
    path = write(tmp_path, "buildMLP.m", BUILD)
    r = port(path, args="8, 32, 'dropout', 0.25, 'numcl', 5, 'Verbose', true")
    layers = r.networks["layers"]
    assert layers[0].InputSize == 8 and layers[1].OutputSize == 32
    assert layers[2].Probability == 0.25 and layers[3].OutputSize == 5    # case-insensitive, a unique prefix
    ws = r.workspace
    assert ws["extra"].items() == ["Verbose"]
    assert ws["defaults"].items() == []
    r = port(path, args="8")
    assert r.networks["layers"][1].OutputSize == 16 and r.networks["layers"][3].OutputSize == 2
    # Results and UsingDefaults list names in alphabetical order, as MATLAB does
    assert list(r.workspace["opts"].fields) == ["Dropout", "NumClasses", "numFeatures", "width"]
    assert r.workspace["defaults"].items() == ["Dropout", "NumClasses", "width"]


def test_input_parser_errors_use_matlab_wording(tmp_path):
    path = write(tmp_path, "buildMLP.m", BUILD.replace("p.KeepUnmatched = true;", ""))
    with pytest.raises(MatlabPortError, match="'Verbose' is not a recognized parameter"):
        port(path, args="8, 16, 'Verbose', 1")
    with pytest.raises(MatlabPortError, match=r"The value of 'Dropout' is invalid. It must satisfy the function: "
                                              r"@\(x\) ?x ?>= ?0 ?&& ?x ?< ?1"):
        port(path, args="8, 'Dropout', 2")
    with pytest.raises(MatlabPortError, match="Not enough input arguments"):
        port(path, args="")


def test_persistent_and_global_variables(tmp_path):
    path = write(tmp_path, "counted.m", """\
        global WIDTH_SCALE
        WIDTH_SCALE = 3;
        a = nextId();
        b = nextId();
        c = nextId();
        setScale(5);
        layers = [featureInputLayer(2, 'Name', 'in'); fullyConnectedLayer(WIDTH_SCALE * c, 'Name', 'fc')];
        function id = nextId()
        persistent count
        if isempty(count)
            count = 0;
        end
        count = count + 1;
        id = count;
        end
        function setScale(s)
        global WIDTH_SCALE
        WIDTH_SCALE = WIDTH_SCALE + s;
        end
    """)
    r = port(path)
    ws = r.workspace
    assert [float(ws[k].flat[0]) for k in "abc"] == [1, 2, 3]
    assert r.networks["layers"][1].OutputSize == (3 + 5) * 3     # the global changed inside setScale


def test_factor_functions_on_a_layer_array_element_and_on_a_graph(tmp_path):
    path = write(tmp_path, "factors.m", """\
        layers = [featureInputLayer(2, 'Name', 'in'); fullyConnectedLayer(4, 'Name', 'fc'); reluLayer('Name', 'r')];
        layers(end+1) = fullyConnectedLayer(2, 'Name', 'head');
        layers(3) = [];
        layers(2) = setL2Factor(layers(2), 'Weights', 2);
        lgraph = layerGraph(layers);
        lgraph = setLearnRateFactor(lgraph, 'head', 'Bias', 0.5);
        lgraph = setLearnRateFactor(lgraph, 'head/Weights', 0);
        w = getL2Factor(layers(2), 'Weights');
        b = getLearnRateFactor(lgraph, 'head', 'Bias');
    """)
    r = port(path)
    assert [x.Name for x in r.networks["layers"]] == ["in", "fc", "head"]
    assert r.networks["layers"][1].WeightL2Factor == 2
    head = r.graphs()["lgraph"].layer("head")
    assert head.BiasLearnRateFactor == 0.5 and head.WeightLearnRateFactor == 0
    assert float(r.workspace["w"].flat[0]) == 2 and float(r.workspace["b"].flat[0]) == 0.5
