"""Issue 11 items 1-3 and pretrained constructors: function files and entry points, which network is the
network, data that never aborts a port whose network exists. Every MATLAB script here is our own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from layergraph.errors import MatlabPortError
from layergraph.matlab import port


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


BUILDER = """\
    function lgraph = buildNet(inputSize, numClasses)
    % a builder function file: MATLAB runs it with the arguments given
    if nargin < 2
        numClasses = 10;
    end
    layers = [imageInputLayer(inputSize, 'Name', 'in')
        convolution2dLayer(3, 8, 'Padding', 'same', 'Name', 'conv')
        reluLayer('Name', 'relu')
        fullyConnectedLayer(numClasses, 'Name', 'fc')
        softmaxLayer('Name', 'sm')
        classificationLayer('Name', 'out')];
    lgraph = layerGraph(layers);
    end
"""


def fc_size(result, name=None):
    graph = result.graphs()[name or result.primary]
    return next(layer for layer in graph.layer_list() if layer.Name == "fc").OutputSize


# ---- item 1: function files and entry points ---------------------------------------------------------

def test_function_file_runs_its_main_function_with_positional_args(tmp_path):
    path = write(tmp_path, "buildNet.m", BUILDER)
    r = port(path, args="[28 28 1], 5")
    assert r.primary == "lgraph" and list(r.networks)[-1] == "lgraph"   # returned: the primary network
    assert fc_size(r) == 5
    assert r.graphs()["lgraph"].layer_list()[0].InputSize == (28, 28, 1) or \
        list(r.graphs()["lgraph"].layer_list()[0].InputSize) == [28, 28, 1]


def test_nargin_counts_only_the_given_arguments(tmp_path):
    path = write(tmp_path, "buildNet.m", BUILDER)
    r = port(path, args="[28 28 1]")          # nargin == 1: the function's own default applies
    assert fc_size(r) == 10


def test_parameters_by_name_with_var_and_from_python(tmp_path):
    path = write(tmp_path, "buildNet.m", BUILDER)
    assert fc_size(port(path, var_specs=["numClasses=3", "inputSize=[8 8 3]"])) == 3
    assert fc_size(port(path, workspace={"inputSize": [8, 8, 3], "numClasses": 7})) == 7
    assert fc_size(port(path, args="[8 8 3]", var_specs=["numClasses=4"])) == 4


def test_one_parameter_given_both_ways_is_an_error(tmp_path):
    path = write(tmp_path, "buildNet.m", BUILDER)
    with pytest.raises(MatlabPortError, match="inputSize.*given twice"):
        port(path, args="[8 8 3]", var_specs=["inputSize=[4 4 1]"])


def test_a_parameter_not_given_names_itself_its_origin_and_how_to_supply_it(tmp_path):
    path = write(tmp_path, "buildNet.m", BUILDER)
    with pytest.raises(MatlabPortError) as info:
        port(path)
    text = str(info.value)
    assert "buildNet.m:6:" in text                      # where the network needs it
    assert "parameter 'inputSize' of buildNet" in text and "buildNet.m:1:1" in text
    assert "--var inputSize=VALUE" in text and "--args" in text


def test_arguments_block_defaults(tmp_path):
    path = write(tmp_path, "mlp.m", """\
        function layers = mlp(numFeatures, hidden)
        arguments
            numFeatures = 4
            hidden = 16
        end
        layers = [featureInputLayer(numFeatures)
            fullyConnectedLayer(hidden, 'Name', 'fc')
            reluLayer];
        end
    """)
    r = port(path)
    assert fc_size(r) == 16
    assert fc_size(port(path, args="4, 32")) == 32


def test_args_on_a_script_is_an_error(tmp_path):
    path = write(tmp_path, "script.m", "layers = [featureInputLayer(3); fullyConnectedLayer(2)];\n")
    with pytest.raises(MatlabPortError, match="--args needs a function file"):
        port(path, args="1")


def test_entry_runs_a_local_function(tmp_path):
    path = write(tmp_path, "nets.m", """\
        function nets
        end
        function layers = small(n)
        layers = [featureInputLayer(2); fullyConnectedLayer(n, 'Name', 'fc')];
        end
    """)
    assert fc_size(port(path, entry="small", args="6")) == 6
    with pytest.raises(MatlabPortError, match="no function named 'big'"):
        port(path, entry="big")


# ---- item 2: which network is the network ------------------------------------------------------------

def test_the_network_passed_to_training_is_the_primary_one(tmp_path):
    path = write(tmp_path, "train.m", """\
        layers = [featureInputLayer(3); fullyConnectedLayer(2, 'Name', 'fc'); softmaxLayer; classificationLayer];
        other = [featureInputLayer(3); fullyConnectedLayer(9, 'Name', 'fc'); regressionLayer];
        opts = trainingOptions('adam');
        net = trainNetwork(XTrain, YTrain, layers, opts);
    """)
    r = port(path)
    assert r.primary == "layers" and list(r.networks)[-1] == "layers"
    assert fc_size(r) == 2 and fc_size(r, "other") == 9


def test_a_network_built_inside_a_training_function_is_found(tmp_path):
    path = write(tmp_path, "runAll.m", """\
        function runAll
        trainIt(5);
        end
        function trainIt(k)
        net = trainNetwork(X, Y, [featureInputLayer(3); fullyConnectedLayer(k, 'Name', 'fc'); ...
            softmaxLayer; classificationLayer], trainingOptions('sgdm'));
        end
    """)
    r = port(path)
    assert r.primary == "trainNetwork_line5"
    assert fc_size(r) == 5


# ---- item 3: data never aborts a port whose network exists ---------------------------------------------

def test_statements_that_cannot_run_become_located_warnings(tmp_path):
    path = write(tmp_path, "withData.m", """\
        numHidden = 6;
        T = readtable('measurements.csv');
        firstValue = T{1, 2};
        total = eval('1 + 1');
        layers = [featureInputLayer(4); fullyConnectedLayer(numHidden, 'Name', 'fc'); regressionLayer];
        doubled = total * 2;
    """)
    r = port(path)
    assert fc_size(r) == 6
    eval_warning = [w for w in r.warnings if "withData.m:4:1" in w]
    assert eval_warning and "'eval' is not available" in eval_warning[0] and "'total' is unknown" in eval_warning[0]
    assert type(r.workspace["total"]).__name__ == "Opaque"       # refused, never evaluated
    assert type(r.workspace["doubled"]).__name__ == "Opaque"


def test_a_failing_statement_that_changes_the_network_fails_the_port(tmp_path):
    path = write(tmp_path, "grow.m", """\
        layers = [featureInputLayer(4); fullyConnectedLayer(3)];
        sz = size(readmatrix('x.csv'), 2);
        layers(end + 1) = fullyConnectedLayer(sz);
    """)
    with pytest.raises(MatlabPortError, match=r"(?s)grow\.m:3:.*fullyConnectedLayer.*'sz'.*--var sz=VALUE"):
        port(path)


def test_errors_inside_try_still_reach_the_catch(tmp_path):
    path = write(tmp_path, "tryit.m", """\
        try
            n = eval('3');
        catch
            n = 7;
        end
        layers = [featureInputLayer(2); fullyConnectedLayer(n, 'Name', 'fc')];
    """)
    assert fc_size(port(path)) == 7


# ---- pretrained constructors: the architecture while porting -------------------------------------------

def test_pretrained_constructor_ports_as_the_architecture_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_cache"))     # no weight file here
    path = write(tmp_path, "transfer.m", """\
        net = resnet18;
        lgraph = layerGraph(net);
    """)
    r = port(path)
    assert r.primary == "lgraph"
    assert len(r.graphs()["lgraph"].layer_list()) == 71          # MathWorks: resnet18 has 71 layers
    assert any("resnet18('Weights','none')" in w and "transfer.m:1:7" in w for w in r.warnings)


# ---- command line ------------------------------------------------------------------------------------

def run_cli(*argv):
    return subprocess.run([sys.executable, "-m", "layergraph.cli", *argv], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_cli_validate_takes_args_var_and_network(tmp_path):
    path = write(tmp_path, "buildNet.m", BUILDER)
    out = run_cli("validate", path, "--args", "[28 28 1], 5")
    assert out.returncode == 0, out.stderr
    # learnables: conv 3*3*1*8 + 8, fc 28*28*8*5 + 5
    assert "(lgraph)" in out.stdout and f"{3 * 3 * 8 + 8 + 28 * 28 * 8 * 5 + 5:,} learnables" in out.stdout
    out = run_cli("validate", path, "--var", "inputSize=[28 28 1]", "--network", "layers")
    assert out.returncode == 0, out.stderr
    assert f"{3 * 3 * 8 + 8 + 28 * 28 * 8 * 10 + 10:,} learnables" in out.stdout


def test_an_error_inside_a_called_function_skips_the_calling_statement(tmp_path):
    write(tmp_path, "findLast.m", """\
        function idx = findLast(values)
        idx = 0;
        while true
            if numel(values) ~= 1
                error('not one value')
            end
            idx = idx + 1;
        end
        end
    """)
    path = write(tmp_path, "main.m", """\
        layers = [featureInputLayer(2); fullyConnectedLayer(3, 'Name', 'fc')];
        k = findLast([1 2]);
        after = 5;
    """)
    r = port(path)
    assert fc_size(r) == 3
    assert any("main.m:2:1" in w and "not one value" in w and "'k' is unknown" in w for w in r.warnings)
    assert float(r.workspace["after"][0, 0]) == 5


def test_a_data_loop_that_does_not_finish_is_skipped_and_its_variables_are_unknown(tmp_path):
    path = write(tmp_path, "simulate.m", """\
        total = 0;
        i = 0;
        while true
            i = i + 1;
            total = total + i;
        end
        layers = [featureInputLayer(2); fullyConnectedLayer(4, 'Name', 'fc')];
    """)
    r = port(path, max_steps=4000)
    assert fc_size(r) == 4
    assert any("simulate.m:3:1" in w and "did not finish within 1000 steps" in w and "'total'" in w
               for w in r.warnings)
    assert type(r.workspace["total"]).__name__ == "Opaque"


def test_a_loop_that_grows_the_network_and_does_not_finish_fails_the_port(tmp_path):
    path = write(tmp_path, "grower.m", """\
        layers = featureInputLayer(2);
        while true
            layers = [layers; reluLayer];
        end
    """)
    with pytest.raises(MatlabPortError, match=r"grower\.m:2:1: step budget exceeded: this statement did not finish"):
        port(path, max_steps=4000)


def test_exist_on_a_name_from_data_is_unknown_not_an_error(tmp_path):
    path = write(tmp_path, "saveDir.m", """\
        outDir = fullfile(getenvDir(), 'results');
        if ~exist(outDir, 'dir')
            made = 1;
        end
        layers = [featureInputLayer(2); fullyConnectedLayer(3, 'Name', 'fc')];
    """)
    r = port(path)
    assert fc_size(r) == 3 and "made" not in r.workspace
    assert any("saveDir.m:2:" in w and "condition depends on a value" in w for w in r.warnings)


def test_a_series_pretrained_architecture_has_layers_like_a_series_network(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_cache"))
    r = port("net = alexnet;\nlayers = [net.Layers(1:end-3); fullyConnectedLayer(5, 'Name', 'fc'); softmaxLayer; "
             "classificationLayer];")
    assert len(r.graphs()["layers"].layer_list()) == 25      # MathWorks: alexnet has 25 layers
    assert fc_size(r, "layers") == 5


# ---- item 4: never a silently wrong network ------------------------------------------------------------

def test_an_undecidable_branch_that_changes_the_network_makes_the_port_incomplete(tmp_path):
    path = write(tmp_path, "maybe.m", """\
        layers = [featureInputLayer(2); fullyConnectedLayer(3, 'Name', 'fc')];
        cfg = loadConfig();
        if cfg.useDropout
            layers = [layers; dropoutLayer(0.5)];
        end
    """)
    r = port(path)
    assert not r.complete
    assert any("maybe.m:3:" in w and "may be incomplete" in w for w in r.incomplete)
    out = run_cli("port", "--networks-only", path)
    assert out.returncode == 1 and "may be incomplete" in out.stderr


def test_an_undecidable_branch_that_only_touches_data_keeps_the_port_complete(tmp_path):
    path = write(tmp_path, "plots.m", """\
        layers = [featureInputLayer(2); fullyConnectedLayer(3, 'Name', 'fc')];
        cfg = loadConfig();
        if cfg.showPlots
            figure; plot(1:10);
        end
        for k = 1:numel(cfg.files)
            data{k} = k;
        end
    """)
    r = port(path)
    assert r.complete and fc_size(r) == 3
    assert run_cli("port", "--networks-only", path).returncode == 0
