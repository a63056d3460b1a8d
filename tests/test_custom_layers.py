"""Custom layers: declaration, registration, sizes by example, compiled networks, gradients, factors, spec.

Expected values come from NumPy formulas written from MATLAB's documentation (ELU, PReLU, weighted
addition, sum-of-squares loss), never from the implementation under test.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest
import torch

from layergraph import analyzeNetwork, assembleNetwork, connectLayers, dlnetwork, layerGraph
from layergraph.errors import CustomLayerError, OptionError
from layergraph.layers import REGISTRY, Layout, layer_class
from layergraph.layers.custom import (
    CustomLayer,
    CustomOutputLayer,
    Learnable,
    Property,
    State,
    custom_layer,
    define_custom_layer,
    getL2Factor,
    getLearnRateFactor,
    matlab_to_torch,
    setL2Factor,
    setLearnRateFactor,
    torch_to_matlab,
)
from layergraph.layers.options import positive_integer

ROOT = pathlib.Path(__file__).resolve().parents[1]

REG = {name: layer_class(name) for name in ("imageInputLayer", "convolution2dLayer", "fullyConnectedLayer",
                                             "softmaxLayer", "classificationLayer", "featureInputLayer",
                                             "regressionLayer")}


def ctor(name):
    return REGISTRY[name]


@pytest.fixture(autouse=True)
def restore_registry():
    saved = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(saved)


@pytest.fixture
def ex():
    """examples/custom_layers.py, imported fresh (it registers its three layers)."""
    spec = importlib.util.spec_from_file_location("custom_layers_example", ROOT / "examples" / "custom_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def np_elu(x, alpha):
    return np.maximum(x, 0) + alpha * (np.exp(np.minimum(x, 0)) - 1)


# --------------------------------------------------------------------------------------------------
# The ELU with learnable per-channel alpha


def test_elu_properties_and_constructor_forms(ex):
    make = ctor("learnableEluLayer")
    a = make(6, "elu1")
    b = make(6, "Name", "elu1")
    c = make(NumChannels=6, Name="elu1")
    assert a.Name == b.Name == c.Name == "elu1"
    assert a.NumChannels == 6 and tuple(a.Alpha.shape) == (6, 1, 1)
    assert a.Type == "Exponential Linear Unit"
    assert a.Description == "Exponential linear unit with 6 channels"
    assert a.NumInputs == 1 and a.InputNames == ["in"] and a.NumOutputs == 1 and a.OutputNames == ["out"]
    assert float(a.Alpha.min()) >= 0 and float(a.Alpha.max()) < 1      # rand, as MATLAB's example
    text = str(a)
    assert "LearnableELULayer with properties:" in text and "Alpha: [6×1×1 single]" in text
    assert "Learnable Parameters" in text


def test_elu_predict_matches_numpy(ex):
    layer = ctor("learnableEluLayer")(3, "elu")
    layer.Alpha = torch.tensor([0.5, 1.0, 2.0]).reshape(3, 1, 1)
    module = layer.build([Layout((4, 5), 3)]).double()
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    y = module(x).detach().numpy()
    expected = np_elu(x.numpy(), np.array([0.5, 1.0, 2.0]).reshape(1, 3, 1, 1))
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_elu_hand_written_backward_is_used_and_matches_numpy(ex):
    layer = ctor("learnableEluLayer")(3, "elu")
    alpha = np.array([0.25, 0.75, 1.5])
    layer.Alpha = torch.tensor(alpha).reshape(3, 1, 1)
    module = layer.build([Layout((4, 4), 3)]).double()
    assert "custom backward" in repr(module)
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    dz = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    z = module(x)
    assert z.grad_fn is not None and "CustomBackward" in type(z.grad_fn).__name__
    z.backward(dz)
    xn, dzn, a = x.detach().numpy(), dz.numpy(), alpha.reshape(1, 3, 1, 1)
    dx = dzn * np.where(xn > 0, 1.0, a * np.exp(xn))             # d/dx of alpha*(e^x - 1) is alpha*e^x
    dalpha = ((np.exp(np.minimum(xn, 0)) - 1) * dzn).sum(axis=(0, 2, 3)).reshape(3, 1, 1)
    np.testing.assert_allclose(x.grad.numpy(), dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(module.Alpha.grad.numpy(), dalpha, rtol=1e-10, atol=1e-12)


def test_elu_in_layer_array_analysis_and_network(ex, capsys):
    layers = [
        REG["imageInputLayer"]([8, 8, 1], Name="in"),
        REG["convolution2dLayer"](3, 4, Padding="same", Name="conv"),
        ctor("learnableEluLayer")(4, "elu"),
        REG["fullyConnectedLayer"](10, Name="fc"),
        REG["softmaxLayer"](Name="sm"),
        REG["classificationLayer"](Name="out"),
    ]
    info = analyzeNetwork(layers)
    report = capsys.readouterr().out
    assert "'elu'    Exponential Linear Unit   8(S) × 8(S) × 4(C) × 1(B)   Alpha 4×1×1" in report
    assert info.TotalLearnables == (3 * 3 * 4 + 4) + 4 + (10 * 256 + 10)
    net = assembleNetwork(layers)
    y = net(torch.randn(5, 1, 8, 8))
    assert tuple(y.shape) == (5, 10)
    # trained values come back in the layer's properties
    module = net.layer_module("elu")
    with torch.no_grad():
        module.Alpha.fill_(0.125)
    assert torch.all(net.Layers[2].Alpha == 0.125)


def test_training_step_updates_alpha_with_matlab_factors(ex):
    elu = ctor("learnableEluLayer")(4, "elu")
    elu = setLearnRateFactor(elu, "Alpha", 2)
    elu = setL2Factor(elu, "alpha", 0)                          # names are case-insensitive, as in MATLAB
    assert getLearnRateFactor(elu, "Alpha") == 2.0 and getL2Factor(elu, "Alpha") == 0.0
    net = assembleNetwork([
        REG["imageInputLayer"]([6, 6, 1], Name="in", Normalization="none"),
        REG["convolution2dLayer"](3, 4, Name="conv"),
        elu,
        REG["fullyConnectedLayer"](3, Name="fc"),
        REG["softmaxLayer"](Name="sm"),
        REG["classificationLayer"](Name="out"),
    ])
    factors = {(layer, prop): (lr, l2) for layer, prop, _, lr, l2 in net.parameter_info()}
    assert factors[("elu", "Alpha")] == (2.0, 0.0)
    before = net.layer_module("elu").Alpha.detach().clone()
    loss = net.loss(net(torch.randn(4, 1, 6, 6)), torch.tensor([0, 1, 2, 1]))
    loss.backward()
    with torch.no_grad():
        for _, _, p, lr, _ in net.parameter_info():
            p -= 0.1 * lr * p.grad
    assert not torch.equal(before, net.layer_module("elu").Alpha)


def test_learnable_declared_factors():
    class Scaled(CustomLayer):
        Scale = Learnable(torch.ones(1), learn_rate=0.5, l2=0)

        def predict(self, X):
            return X * self.Scale

    layer = Scaled()
    assert layer.learnable_factors("Scale") == (0.5, 0.0)
    assert Scaled(ScaleLearnRateFactor=3).learnable_factors("Scale") == (3.0, 0.0)


# --------------------------------------------------------------------------------------------------
# PReLU (lazy initialize, autograd) and weighted addition (several inputs)


def test_prelu_initialize_sizes_alpha_from_layout(ex):
    layer = ctor("channelPreluLayer")(Name="prelu")
    assert layer.Alpha is None and layer.Description == "PReLU"
    assert layer.learnable_sizes([Layout((5, 5), 7)]) == {"Alpha": (7, 1, 1)}
    assert layer.learnable_sizes([Layout((), 3)]) == {"Alpha": (3,)}
    state = torch.random.get_rng_state()
    layer.infer([Layout((5, 5), 7)])
    assert torch.equal(state, torch.random.get_rng_state()), "analysis must not move the global random stream"


def test_prelu_gradient_by_hand(ex):
    layer = ctor("channelPreluLayer")(Name="prelu")
    module = layer.build([Layout((3, 3), 2)]).double()
    with torch.no_grad():
        module.Alpha.copy_(torch.tensor([0.1, 0.3], dtype=torch.float64).reshape(2, 1, 1))
    x = torch.randn(4, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    dz = torch.randn(4, 2, 3, 3, dtype=torch.float64)
    module(x).backward(dz)
    xn, dzn, a = x.detach().numpy(), dz.numpy(), np.array([0.1, 0.3]).reshape(1, 2, 1, 1)
    np.testing.assert_allclose(x.grad.numpy(), np.where(xn > 0, dzn, a * dzn), rtol=1e-12)
    dalpha = (np.minimum(0, xn) * dzn).sum(axis=(0, 2, 3)).reshape(2, 1, 1)
    np.testing.assert_allclose(module.Alpha.grad.numpy(), dalpha, rtol=1e-10)
    np.testing.assert_allclose(module(x).detach().numpy(), np.maximum(0, xn) + a * np.minimum(0, xn), rtol=1e-12)


def test_weighted_addition_in_a_graph(ex):
    wadd = ctor("customWeightedAdditionLayer")(2, "wadd")
    assert wadd.InputNames == ["in1", "in2"] and wadd.Description == "Weighted addition of 2 inputs"
    wadd.Weights = torch.tensor([[0.25, -2.0]])
    layers = [
        REG["imageInputLayer"]([4, 4, 2], Name="in", Normalization="none"),
        ctor("learnableEluLayer")(2, "elu"),
        wadd,
    ]
    lgraph = connectLayers(layerGraph(layers), "in", "wadd/in2")
    net = dlnetwork(lgraph)
    x = torch.randn(3, 2, 4, 4)
    alpha = net.layer_module("elu").Alpha.detach().numpy().reshape(1, 2, 1, 1)
    expected = 0.25 * np_elu(x.numpy(), alpha) - 2.0 * x.numpy()
    np.testing.assert_allclose(net(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_num_inputs_and_names_are_settable(ex):
    wadd = ctor("customWeightedAdditionLayer")(2)
    wadd.NumInputs = 3
    assert wadd.InputNames == ["in1", "in2", "in3"]
    wadd.InputNames = ["a", "b"]
    assert wadd.NumInputs == 2 and wadd.input_names() == ("a", "b")
    with pytest.raises(CustomLayerError, match="InputNames has 2 names but NumInputs is 3"):
        ctor("customWeightedAdditionLayer")(3, InputNames=["a", "b"], NumInputs=3)


# --------------------------------------------------------------------------------------------------
# Multiple outputs, state, MATLAB data layout, forward vs predict


class SplitHalves(CustomLayer):
    """Two outputs: the first and second half of the channels."""

    NUM_OUTPUTS = 2

    def predict(self, X):
        c = X.shape[1] // 2
        return X[:, :c], X[:, c:]


def test_multiple_outputs_and_sizes_by_example():
    layer = SplitHalves(Name="split")
    assert layer.OutputNames == ["out1", "out2"]
    outs = layer.infer([Layout((3, 4), 6)])
    assert outs == [Layout((3, 4), 3), Layout((3, 4), 3)]


class Identity(CustomLayer):
    def predict(self, X):
        return X


def test_sequence_sizes_by_example_keep_an_unknown_length():
    assert Identity().infer([Layout((), 8, True, None)]) == [Layout((), 8, True, None)]
    assert Identity().infer([Layout((), 8, True, 12)]) == [Layout((), 8, True, 12)]
    assert Identity().infer([Layout((5, 6), 2, True, None)]) == [Layout((5, 6), 2, True, None)]


class Flatten(CustomLayer):
    TYPE = "Flatten"

    def predict(self, X):
        return X.reshape(X.shape[0], -1)


def test_output_format_follows_the_example_run():
    assert Flatten().infer([Layout((3, 4), 5)]) == [Layout((), 60)]


class RunningMax(CustomLayer):
    """Stateful: the largest value seen while training (State), returned after the output."""

    Seen = State(torch.zeros(1))

    def predict(self, X):
        return X

    def forward(self, X):
        return X * 1.0, torch.maximum(self.Seen, X.max().reshape(1))


def test_state_is_a_buffer_updated_by_forward():
    module = RunningMax().build([Layout((), 3)])
    module.train()
    module(torch.tensor([[1.0, 5.0, 2.0]]))
    assert float(module.Seen) == 5.0
    module.eval()
    module(torch.tensor([[9.0, 9.0, 9.0]]))
    assert float(module.Seen) == 5.0
    assert "Seen" in dict(module.named_buffers())


class TrainOnlyNoise(CustomLayer):
    def predict(self, X):
        return X

    def forward(self, X):
        return X + 100.0


def test_forward_used_in_training_predict_in_inference():
    module = TrainOnlyNoise().build([Layout((), 2)])
    x = torch.zeros(1, 2)
    module.train()
    assert torch.all(module(x) == 100.0)
    module.eval()
    assert torch.all(module(x) == 0.0)


class MatlabScale(CustomLayer):
    """Written as MATLAB code: X arrives H×W×C×N; Scale is C×1 and broadcasts over C×N (trailing dims)."""

    DATA_LAYOUT = "matlab"
    Scale = Learnable(torch.tensor([[1.0], [10.0]]))
    seen: list = []

    def predict(self, X):
        MatlabScale.seen.append(tuple(X.shape))
        return X * self.Scale


def test_matlab_data_layout():
    MatlabScale.seen = []
    module = MatlabScale().build([Layout((3, 4), 2)])
    x = torch.randn(5, 2, 3, 4)
    y = module(x)
    assert MatlabScale.seen[-1] == (3, 4, 2, 5)
    assert torch.allclose(y[:, 1], 10 * x[:, 1]) and torch.allclose(y[:, 0], x[:, 0])
    seq = Layout((), 3, True, 7)
    x = torch.randn(2, 7, 3)
    assert tuple(torch_to_matlab(x, seq).shape) == (3, 2, 7)
    assert torch.equal(matlab_to_torch(torch_to_matlab(x, seq), seq), x)


# --------------------------------------------------------------------------------------------------
# Custom output layers


class SSELayer(CustomOutputLayer):
    """MATLAB's sseClassificationLayer example: L = sum((Y - T).^2) / N, backward 2(Y - T)/N."""

    MATLAB_NAME = "customSseLayer"
    DESCRIPTION = "Sum of squares error"

    def forwardLoss(self, Y, T):
        return ((Y - T) ** 2).sum() / Y.shape[0]

    def backwardLoss(self, Y, T):
        return 2 * (Y - T) / Y.shape[0]


def test_custom_output_layer_loss_and_backward_loss():
    layer = SSELayer(Name="sse")
    assert layer.NumOutputs == 0 and layer.OutputNames == [] and layer.Description == "Sum of squares error"
    y = torch.softmax(torch.randn(4, 3, dtype=torch.float64), 1).requires_grad_(True)
    labels = torch.tensor([0, 2, 1, 2])
    loss = layer.loss(y, labels)
    t = np.eye(3)[labels.numpy()]
    yn = y.detach().numpy()
    assert loss.item() == pytest.approx(((yn - t) ** 2).sum() / 4)
    loss.backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * (yn - t) / 4, rtol=1e-12)


def test_custom_output_layer_in_network():
    net = assembleNetwork([
        REG["featureInputLayer"](5, Name="in"),
        REG["fullyConnectedLayer"](3, Name="fc"),
        REG["softmaxLayer"](Name="sm"),
        SSELayer(Name="sse"),
    ])
    y = net(torch.randn(6, 5))
    loss = net.loss(y, torch.tensor([0, 1, 2, 0, 1, 2]))
    loss.backward()
    assert net.layer_module("fc").Weights.grad is not None


class MAERegression(CustomOutputLayer):
    TASK = "regression"

    def forwardLoss(self, Y, T):
        return (Y - T).abs().sum() / (Y.shape[0] * Y.shape[1])


def test_regression_output_layer_autograd():
    layer = MAERegression()
    assert layer.ResponseNames == "auto"
    y = torch.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    t = torch.tensor([[0.0, 2.5], [3.0, 4.0]])
    loss = layer.loss(y, t)
    assert loss.item() == pytest.approx((1 + 0.5 + 0 + 1) / 4)


# --------------------------------------------------------------------------------------------------
# Registration, the spec, the porter's route


def test_registered_type_is_found_and_duplicate_is_an_error(ex):
    assert layer_class("learnableEluLayer") is ex.LearnableELULayer

    with pytest.raises(CustomLayerError) as err:
        @custom_layer
        class LearnableEluAgain(CustomLayer):
            MATLAB_NAME = "learnableEluLayer"

            def predict(self, X):
                return X

    message = str(err.value)
    assert "learnableEluLayer" in message and "LearnableEluAgain" in message and "LearnableELULayer" in message
    # registering the same class again is harmless
    assert custom_layer(ex.LearnableELULayer) is ex.LearnableELULayer


def test_unregistered_type_is_a_clear_error():
    with pytest.raises(OptionError, match="Unknown layer type 'noSuchCustomLayer'"):
        layer_class("noSuchCustomLayer")


def test_custom_layer_decorator_requires_predict():
    class NoPredict(CustomLayer):
        pass

    with pytest.raises(CustomLayerError, match="NoPredict: a custom layer must define predict"):
        custom_layer(NoPredict)
    with pytest.raises(CustomLayerError, match="not a subclass of CustomLayer"):
        custom_layer(int)


def test_spec_round_trip_with_registered_custom_layer(ex, tmp_path):
    from layergraph.spec import load_spec, save_spec

    elu = ctor("learnableEluLayer")(2, "elu")
    elu = setLearnRateFactor(elu, "Alpha", 0.5)
    lgraph = layerGraph([
        REG["imageInputLayer"]([4, 4, 2], Name="in"),
        elu,
        ctor("channelPreluLayer")(Name="prelu", Alpha=torch.tensor([0.5, 0.25]).reshape(2, 1, 1)),
    ])
    path = tmp_path / "net.json"
    save_spec(lgraph, path)
    back = load_spec(path)
    assert type(back.layer("elu")) is ex.LearnableELULayer
    assert torch.equal(back.layer("elu").Alpha, elu.Alpha)
    assert back.layer("elu").AlphaLearnRateFactor == 0.5
    assert torch.equal(back.layer("prelu").Alpha, torch.tensor([0.5, 0.25]).reshape(2, 1, 1))
    REGISTRY.pop("learnableEluLayer")
    with pytest.raises(Exception, match="learnableEluLayer"):
        load_spec(path)


def test_define_custom_layer_programmatically():
    def predict(layer, X):
        return X * layer.Gain + layer.Offset

    cls = define_custom_layer(
        "gainLayer",
        predict=predict,
        properties={"Size": Property(convert=positive_integer(), required=True), "Offset": 1.0},
        learnables={"Gain": Learnable(lambda layer: torch.full((layer.Size,), 2.0))},
        positional=("Size",),
        type_name="Gain",
        description=lambda layer: f"Gain over {layer.Size} channels",
    )
    assert layer_class("gainLayer") is cls
    layer = cls(3, Name="g")
    assert layer.Description == "Gain over 3 channels" and layer.Type == "Gain"
    module = layer.build([Layout((), 3)])
    assert torch.allclose(module(torch.ones(2, 3)), torch.full((2, 3), 3.0))
    again = cls.from_values({"Size": 3, "Offset": 1.0, "Gain": torch.ones(3), "Name": "g2"})
    assert again.Name == "g2" and torch.equal(again.Gain, torch.ones(3))


# --------------------------------------------------------------------------------------------------
# Bad input: clear errors naming the class and what was expected


class DropsBatch(CustomLayer):
    def predict(self, X):
        return X[0]


class ReturnsDouble(CustomLayer):
    def predict(self, X):
        return X.double()


class ReturnsList(CustomLayer):
    def predict(self, X):
        return X.tolist()


class BadBackward(CustomLayer):
    Alpha = Learnable(torch.ones(3, 1, 1))

    def predict(self, X):
        return X * self.Alpha

    def backward(self, X, Z, dLdZ):
        return dLdZ * self.Alpha, torch.ones(2)               # dLdAlpha of the wrong size


class TooFewGradients(CustomLayer):
    Alpha = Learnable(torch.ones(1))

    def predict(self, X):
        return X * self.Alpha

    def backward(self, X, Z, dLdZ):
        return dLdZ * self.Alpha


class LazyButForgetful(CustomLayer):
    Alpha = Learnable()

    def initialize(self, layout):
        pass

    def predict(self, X):
        return X


class Crashes(CustomLayer):
    def predict(self, X):
        raise RuntimeError("boom")


def test_predict_with_wrong_shape_names_class_and_expectation():
    with pytest.raises(CustomLayerError) as err:
        DropsBatch(Name="bad").infer([Layout((4, 4), 3)])
    text = str(err.value)
    assert "DropsBatch" in text and "'bad'" in text and "3×4×4" in text and "batch (N) first" in text


def test_predict_with_wrong_dtype():
    with pytest.raises(CustomLayerError, match=r"ReturnsDouble.*type float64; expected float32"):
        ReturnsDouble().infer([Layout((), 3)])


def test_predict_returning_a_non_tensor():
    with pytest.raises(CustomLayerError, match=r"ReturnsList.*returned list as output 1; expected a torch.Tensor"):
        ReturnsList().infer([Layout((), 3)])


def test_backward_with_wrong_gradient_size():
    module = BadBackward(Name="bb").build([Layout((2, 2), 3)])
    x = torch.randn(2, 3, 2, 2, requires_grad=True)
    with pytest.raises(CustomLayerError) as err:
        module(x).sum().backward()
    text = str(err.value)
    assert "BadBackward" in text and "dLdAlpha of size 2" in text and "expected 3×1×1" in text


def test_backward_with_wrong_number_of_gradients():
    module = TooFewGradients().build([Layout((), 2)])
    x = torch.randn(2, 2, requires_grad=True)
    with pytest.raises(CustomLayerError, match=r"TooFewGradients.*backward returned 1 value; expected 2 \(dLdX, dLdAlpha\)"):
        module(x).sum().backward()


def test_learnable_that_is_not_a_tensor():
    layer = BadBackward()
    with pytest.raises(CustomLayerError, match=r"BadBackward: learnable parameter 'Alpha' must be a numeric tensor.*got str"):
        layer.Alpha = "big"
    with pytest.raises(CustomLayerError, match=r"learnable parameter 'Alpha' must be a numeric tensor.*got list"):
        BadBackward(Alpha=[1, 2, 3])

    class NotATensor(CustomLayer):
        Alpha = Learnable(lambda layer: {"a": 1})

        def predict(self, X):
            return X

    with pytest.raises(CustomLayerError, match="NotATensor: learnable parameter 'Alpha' must be a numeric tensor"):
        NotATensor()


def test_initialize_that_leaves_a_learnable_empty():
    with pytest.raises(CustomLayerError, match=r"LazyButForgetful\).*'Alpha' is empty; initialize did not set it"):
        LazyButForgetful().learnable_sizes([Layout((), 2)])


def test_error_in_user_code_is_reported_by_analysis():
    layers = [REG["featureInputLayer"](3, Name="in"), Crashes(Name="c"), REG["regressionLayer"](Name="out")]
    info = analyzeNetwork(layers, Plots="none")
    assert info.has_errors
    message = str(info.errors[0])
    assert "Layer 'c'" in message and "Crashes" in message and "predict failed: RuntimeError: boom" in message


def test_builtin_property_cannot_be_redeclared():
    with pytest.raises(CustomLayerError, match="'NumInputs' is a built-in layer property"):
        class Bad(CustomLayer):
            NumInputs = Property(3)

            def predict(self, X):
                return X


def test_unknown_option_names_layer(ex):
    with pytest.raises(OptionError, match="learnableEluLayer: 'Alpah' is not an option"):
        ctor("learnableEluLayer")(3, "elu", "Alpah", 1)


def test_train_network_honours_the_learn_rate_factor(ex):
    from layergraph.training import trainNetwork, trainingOptions

    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 6, 6), dtype=np.float32)
    Y = rng.integers(0, 3, 40)

    def layers(factor):
        elu = ctor("learnableEluLayer")(4, "elu", Alpha=torch.full((4, 1, 1), 0.5))
        return [
            REG["imageInputLayer"]([6, 6, 1], Name="in"),
            REG["convolution2dLayer"](3, 4, Name="conv"),
            setLearnRateFactor(elu, "Alpha", factor),
            REG["fullyConnectedLayer"](3, Name="fc"),
            REG["softmaxLayer"](Name="sm"),
            REG["classificationLayer"](Name="out"),
        ]

    options = trainingOptions("sgdm", "MaxEpochs", 2, "MiniBatchSize", 10, "Verbose", False, "InitialLearnRate", 0.1)
    torch.manual_seed(0)
    frozen, _ = trainNetwork(X, Y, layers(0), options)
    assert torch.equal(frozen.Layers[2].Alpha, torch.full((4, 1, 1), 0.5))
    torch.manual_seed(0)
    trained, _ = trainNetwork(X, Y, layers(1), options)
    assert not torch.equal(trained.Layers[2].Alpha, torch.full((4, 1, 1), 0.5))


def test_compiled_custom_layer_copies_and_state_dict(ex):
    import copy

    net = dlnetwork([
        REG["imageInputLayer"]([4, 4, 2], Name="in", Normalization="none"),
        ctor("learnableEluLayer")(2, "elu"),
    ])
    assert "elu.Alpha" in net.state_dict()
    twin = copy.deepcopy(net)
    x = torch.randn(3, 2, 4, 4)
    assert torch.equal(twin(x), net(x))
    with torch.no_grad():
        twin.layer_module("elu").Alpha.fill_(3.0)
    assert not torch.equal(twin(x), net(x))
    net.load_state_dict(twin.state_dict())
    assert torch.equal(twin(x), net(x))
