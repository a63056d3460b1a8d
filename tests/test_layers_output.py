"""Output (loss) layers against NumPy references written from MATLAB's documented formulas.

The references below loop over observations, pixels and classes in plain NumPy, in MATLAB's terms,
and never call the layer code. Arrays are small and hand-made or seeded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from layergraph import (
    classificationLayer,
    dicePixelClassificationLayer,
    focalLossLayer,
    layerGraph,
    maeRegressionLayer,
    pixelClassificationLayer,
    rcnnBoxRegressionLayer,
    regressionLayer,
    rpnClassificationLayer,
    rpnSoftmaxLayer,
    softmaxLayer,
    sseClassificationLayer,
    tverskyPixelClassificationLayer,
    weightedClassificationLayer,
)
from layergraph.errors import LayoutError, OptionError, TrainingError
from layergraph.layers.base import Layout

EPS32 = float(np.finfo(np.float32).eps)


def softmax_np(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def scores(shape, axis=1, seed=0):
    rng = np.random.default_rng(seed)
    return softmax_np(rng.normal(size=shape), axis)


def t64(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


# ------------------------------------------------------------------------------------------------
# classificationLayer


def crossentropyex_np(Y, labels, weights=None):
    """Y: N×K or N×T×K scores; labels: class index per observation (and time step), -1 undefined."""
    seq = Y.ndim == 3
    K = Y.shape[-1]
    w = np.ones(K) if weights is None else np.asarray(weights, float)
    total = 0.0
    n_obs = Y.shape[0]
    steps = Y.shape[1] if seq else 1
    for n in range(n_obs):
        for s in range(steps):
            y = Y[n, s] if seq else Y[n]
            c = labels[n, s] if seq else labels[n]
            for k in range(K):
                t = 1.0 if k == c else 0.0
                total += w[k] * t * math.log(max(y[k], EPS32))
    return -total / (n_obs * steps)


def test_classification_loss_features_matches_reference():
    Y = scores((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    layer = classificationLayer()
    got = layer.loss(t64(Y), torch.tensor(labels))
    assert got.item() == pytest.approx(crossentropyex_np(Y, labels), rel=1e-12)
    one_hot = np.eye(4)[labels]
    assert layer.loss(t64(Y), t64(one_hot)).item() == pytest.approx(crossentropyex_np(Y, labels), rel=1e-12)
    # integer one-hot targets are one-hot too, not indices
    assert layer.loss(t64(Y), torch.tensor(one_hot, dtype=torch.long)).item() == pytest.approx(
        crossentropyex_np(Y, labels), rel=1e-12)


def test_classification_class_weights_multiply_terms_without_normalising():
    Y = scores((6, 3), seed=1)
    labels = np.array([0, 1, 2, 2, 1, 0])
    w = [0.5, 2.0, 4.0]
    layer = classificationLayer(Classes=["a", "b", "c"], ClassWeights=w)
    got = layer.loss(t64(Y), torch.tensor(labels)).item()
    assert got == pytest.approx(crossentropyex_np(Y, labels, w), rel=1e-12)
    # PyTorch's weighted mean divides by sum of the weights of the targets; MATLAB does not.
    torch_mean = torch.nn.functional.nll_loss(torch.log(t64(Y)), torch.tensor(labels), weight=t64(w)).item()
    assert abs(got - torch_mean) > 1e-3


def test_classification_sequence_divides_by_n_times_s():
    Y = scores((2, 5, 3), axis=2, seed=2)          # N×T×K
    labels = np.array([[0, 1, 2, 2, 1], [1, 1, 0, 2, 0]])
    layer = classificationLayer()
    got = layer.loss(t64(Y), torch.tensor(labels)).item()
    assert got == pytest.approx(crossentropyex_np(Y, labels), rel=1e-12)
    # same data, S=5 time steps: exactly 1/5 of the sum divided by N
    total = sum(-math.log(Y[n, s, labels[n, s]]) for n in range(2) for s in range(5))
    assert got == pytest.approx(total / 10, rel=1e-12)


def test_classification_bounds_scores_by_single_eps():
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    got = classificationLayer().loss(t64(Y), torch.tensor([0, 1])).item()
    assert got == pytest.approx(-math.log(EPS32), rel=1e-12)
    assert math.isfinite(got)


def test_classification_image_1x1_and_undefined_labels():
    Y = scores((4, 3), seed=3)
    labels = np.array([2, -1, 0, 1])
    layer = classificationLayer()
    img = t64(Y).reshape(4, 3, 1, 1)
    got = layer.loss(img, torch.tensor(labels)).item()
    # the undefined observation adds nothing but still counts in N
    expected = -(math.log(Y[0, 2]) + math.log(Y[2, 0]) + math.log(Y[3, 1])) / 4
    assert got == pytest.approx(expected, rel=1e-12)
    nan_labels = torch.tensor([2.0, float("nan"), 0.0, 1.0])
    assert layer.loss(img, nan_labels).item() == pytest.approx(expected, rel=1e-12)


def test_classification_gradient_is_minus_w_t_over_y_n():
    Y = t64(scores((3, 4), seed=4)).requires_grad_(True)
    labels = torch.tensor([1, 0, 3])
    w = [1.0, 2.0, 3.0, 4.0]
    loss = classificationLayer(Classes=list("abcd"), ClassWeights=w).loss(Y, labels)
    loss.backward()
    expected = np.zeros((3, 4))
    for n, c in enumerate([1, 0, 3]):
        expected[n, c] = -w[c] / Y[n, c].item() / 3
    np.testing.assert_allclose(Y.grad.numpy(), expected, rtol=1e-12)


def test_classification_layer_module_and_layout():
    layer = classificationLayer(Classes=["a", "b", "c"])
    assert layer.infer([Layout((), 3)]) == []
    assert layer.infer([Layout((1, 1), 3)]) == []
    with pytest.raises(LayoutError, match="3 classes"):
        layer.infer([Layout((), 4)])
    with pytest.raises(LayoutError, match="pixelClassificationLayer"):
        classificationLayer().infer([Layout((4, 4), 3)])
    module = layer.build([Layout((), 3, True)])
    Y = scores((2, 4, 3), axis=2, seed=5)
    labels = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    assert module(t64(Y), torch.tensor(labels)).item() == pytest.approx(crossentropyex_np(Y, labels), rel=1e-12)
    assert layer.InputNames == ["in"] and layer.OutputNames == [] and layer.NumOutputs == 0


def test_classification_properties_and_description():
    layer = classificationLayer()
    assert layer.OutputSize == "auto" and layer.LossFunction == "crossentropyex"
    assert layer.Description == "crossentropyex"
    assert layer.Type == "Classification Output"
    ten = classificationLayer(Classes=[str(i) for i in range(10)])
    assert ten.Description == "crossentropyex with '0', '1', and 8 other classes"
    assert ten.OutputSize == 10
    assert classificationLayer(Classes=["BAC", "NON_BAC"]).Description == "crossentropyex with classes 'BAC' and 'NON_BAC'"
    text = str(classificationLayer(Name="output"))
    assert "ClassificationOutputLayer with properties:" in text
    assert "Classes: 'auto'" in text and "ClassWeights: 'none'" in text


@pytest.mark.parametrize("kwargs, fragment", [
    ({"ClassWeights": [1, 2]}, "ClassWeights requires Classes"),
    ({"Classes": ["a", "b"], "ClassWeights": [1, 2, 3]}, "3 elements but there are 2 classes"),
    ({"Classes": ["a", "b"], "ClassWeights": [1, -2]}, "ClassWeights"),
    ({"Classes": ["a", "b"], "ClassWeights": [1, 0]}, "ClassWeights"),
    ({"Classes": ["a", "a"]}, "Classes"),
    ({"Classes": []}, "Classes"),
])
def test_classification_option_errors(kwargs, fragment):
    with pytest.raises(OptionError, match=fragment):
        classificationLayer(**kwargs)


def test_classification_target_errors_are_training_errors():
    layer = classificationLayer(Name="out")
    Y = t64(scores((3, 4)))
    with pytest.raises(TrainingError, match="class index 4 is out of range"):
        layer.loss(Y, torch.tensor([0, 4, 1]))
    with pytest.raises(TrainingError, match="do not match"):
        layer.loss(Y, torch.tensor([0, 1]))
    with pytest.raises(TrainingError, match="integers"):
        layer.loss(Y, torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64))


# ------------------------------------------------------------------------------------------------
# regressionLayer


def half_mse_np(Y, T, sequence=False):
    n = Y.shape[0] * (Y.shape[1] if sequence else 1)
    return 0.5 * float(np.sum((Y - T) ** 2)) / n


def test_regression_features_sum_over_responses_divide_by_n():
    rng = np.random.default_rng(6)
    Y, T = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    got = regressionLayer().loss(t64(Y), t64(T)).item()
    assert got == pytest.approx(half_mse_np(Y, T), rel=1e-12)
    # hand value for one observation, two responses: ½((1-0)² + (3-1)²) / 1 = 2.5
    assert regressionLayer().loss(t64([[1.0, 3.0]]), t64([[0.0, 1.0]])).item() == pytest.approx(2.5)
    # differs from torch's MSELoss (mean over all elements, no ½)
    assert got != pytest.approx(torch.nn.functional.mse_loss(t64(Y), t64(T)).item())


def test_regression_image_responses_not_averaged_over_pixels():
    rng = np.random.default_rng(7)
    Y, T = rng.normal(size=(2, 2, 3, 3)), rng.normal(size=(2, 2, 3, 3))
    got = regressionLayer().loss(t64(Y), t64(T)).item()
    assert got == pytest.approx(0.5 * np.sum((Y - T) ** 2) / 2, rel=1e-12)


def test_regression_sequence_to_sequence_divides_by_n_times_s():
    rng = np.random.default_rng(8)
    Y, T = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    got = regressionLayer().loss(t64(Y), t64(T)).item()
    assert got == pytest.approx(half_mse_np(Y, T, sequence=True), rel=1e-12)
    # with an explicit layout, a 3-D tensor of a 1-D spatial layout is N×C×L, divided by N only
    got_spatial = regressionLayer().loss(t64(Y), t64(T), layout=Layout((2,), 4)).item()
    assert got_spatial == pytest.approx(half_mse_np(Y, T), rel=1e-12)
    module = regressionLayer().build([Layout((), 2, True)])
    assert module(t64(Y), t64(T)).item() == pytest.approx(got, rel=1e-12)


def test_regression_targets_reshaped_and_gradient():
    Y = t64([[0.5], [2.0], [-1.0]]).requires_grad_(True)
    loss = regressionLayer().loss(Y, t64([0.0, 1.0, 1.0]))
    assert loss.item() == pytest.approx(0.5 * (0.25 + 1 + 4) / 3)
    loss.backward()
    np.testing.assert_allclose(Y.grad.numpy().ravel(), np.array([0.5, 1.0, -2.0]) / 3, rtol=1e-12)
    with pytest.raises(TrainingError, match="do not match"):
        regressionLayer().loss(t64([[1.0, 2.0]]), t64([1.0, 2.0, 3.0]))


def test_regression_description_and_properties():
    layer = regressionLayer(Name="routput")
    assert layer.Description == "mean-squared-error"
    assert layer.LossFunction == "mean-squared-error"
    assert layer.ResponseNames == ()
    assert "ResponseNames: {}" in str(layer)
    trained = regressionLayer(ResponseNames=["Response"])
    assert trained.Description == "mean-squared-error with response 'Response'"
    with pytest.raises(LayoutError, match="2 response names"):
        regressionLayer(ResponseNames=["a", "b"]).infer([Layout((), 3)])


# ------------------------------------------------------------------------------------------------
# pixelClassificationLayer


def pixel_ce_np(Y, labels, weights=None):
    """Y: N×K×H×W; labels N×H×W with -1 undefined."""
    N, K, H, W = Y.shape
    num = 0.0
    den = 0.0
    for n in range(N):
        for h in range(H):
            for w in range(W):
                c = labels[n, h, w]
                if weights is None:
                    den += 1                      # every pixel counts, undefined ones too
                    if c >= 0:
                        num += math.log(max(Y[n, c, h, w], EPS32))
                elif c >= 0:
                    num += weights[c] * math.log(max(Y[n, c, h, w], EPS32))
                    den += weights[c]
    if weights is not None:
        den += EPS32
    return -num / den


PIX_LABELS = np.array([[[0, 1, 2], [2, -1, 1]], [[-1, -1, 0], [1, 1, 2]]])   # N=2, H=2, W=3


def test_pixel_unweighted_counts_undefined_pixels_in_divisor():
    Y = scores((2, 3, 2, 3), seed=9)
    got = pixelClassificationLayer().loss(t64(Y), torch.tensor(PIX_LABELS)).item()
    assert got == pytest.approx(pixel_ce_np(Y, PIX_LABELS), rel=1e-12)
    one_hot = np.zeros_like(Y)
    for n, h, w in np.ndindex(2, 2, 3):
        if PIX_LABELS[n, h, w] >= 0:
            one_hot[n, PIX_LABELS[n, h, w], h, w] = 1
    assert pixelClassificationLayer().loss(t64(Y), t64(one_hot)).item() == pytest.approx(got, rel=1e-12)


def test_pixel_weighted_is_weighted_mean_over_labelled_pixels():
    Y = scores((2, 3, 2, 3), seed=10)
    w = [0.2, 1.0, 3.0]
    layer = pixelClassificationLayer(Classes=["x", "y", "z"], ClassWeights=w)
    got = layer.loss(t64(Y), torch.tensor(PIX_LABELS)).item()
    assert got == pytest.approx(pixel_ce_np(Y, PIX_LABELS, w), rel=1e-10)


def test_pixel_3d_volume_and_layout_rules():
    Y = scores((1, 2, 2, 2, 2), seed=11)
    labels = np.array([[[[0, 1], [1, 1]], [[0, 0], [-1, 1]]]])
    got = pixelClassificationLayer().loss(t64(Y), torch.tensor(labels)).item()
    total = 0.0
    for h, w, d in np.ndindex(2, 2, 2):
        c = labels[0, h, w, d]
        if c >= 0:
            total += math.log(Y[0, c, h, w, d])
    assert got == pytest.approx(-total / 8, rel=1e-12)
    with pytest.raises(LayoutError, match="image input"):
        pixelClassificationLayer().infer([Layout((), 3)])
    with pytest.raises(LayoutError, match="2 classes"):
        pixelClassificationLayer(Classes=["a", "b"]).infer([Layout((4, 4), 3)])
    layer = pixelClassificationLayer(Classes=["Sky", "Building", "Pole", "Road"])
    assert layer.Description == "Cross-entropy loss with 'Sky', 'Building', and 2 other classes"
    with pytest.raises(OptionError, match="ClassWeights requires Classes"):
        pixelClassificationLayer(ClassWeights=[1, 2])


# ------------------------------------------------------------------------------------------------
# dicePixelClassificationLayer


def generalized_dice_np(Y, labels):
    N, K, H, W = Y.shape
    total = 0.0
    for n in range(N):
        numer = 0.0
        denom = 0.0
        for k in range(K):
            count = 0.0
            inter = 0.0
            union = 0.0
            for h, w in np.ndindex(H, W):
                c = labels[n, h, w]
                if c < 0:
                    continue                          # undefined pixel: ignored
                t = 1.0 if c == k else 0.0
                y = Y[n, k, h, w]
                count += t
                inter += y * t
                union += y * y + t * t
            weight = 1.0 / max(EPS32, count ** 2)
            numer += weight * inter
            denom += weight * union
        total += 1 - (2 * numer + EPS32) / (denom + EPS32)
    return total / N


def test_dice_matches_generalized_dice_reference():
    Y = scores((2, 3, 2, 3), seed=12)
    got = dicePixelClassificationLayer().loss(t64(Y), torch.tensor(PIX_LABELS)).item()
    assert got == pytest.approx(generalized_dice_np(Y, PIX_LABELS), rel=1e-10)


def test_dice_perfect_prediction_is_zero_and_absent_class_weight_is_one_over_eps():
    labels = np.array([[[0, 1], [1, 1]]])
    Y = np.eye(3)[labels].transpose(0, 3, 1, 2).astype(float)   # exact one-hot scores, class 2 absent
    assert dicePixelClassificationLayer().loss(t64(Y), torch.tensor(labels)).item() == pytest.approx(0, abs=1e-12)
    Y2 = Y.copy()
    Y2[0, :, 0, 0] = [0.9, 0.0, 0.1]   # a little mass on the absent class is punished by the 1/eps weight
    got = dicePixelClassificationLayer().loss(t64(Y2), torch.tensor(labels)).item()
    assert got == pytest.approx(generalized_dice_np(Y2, labels), rel=1e-10)
    assert got > 0.5


# ------------------------------------------------------------------------------------------------
# focalLossLayer


def focal_np(Y, labels, gamma=2.0, alpha=0.25):
    """Y: N×K×H×W; labels N×H×W (-1 undefined)."""
    N, K, H, W = Y.shape
    total = 0.0
    m = 0
    for n, h, w in np.ndindex(N, H, W):
        c = labels[n, h, w]
        if c < 0:
            continue
        m += 1
        y = Y[n, c, h, w]
        total += alpha * (1 - y) ** gamma * math.log(max(y, EPS32))
    return 0.0 if m == 0 else -total / m


def test_focal_normalised_by_labelled_positions():
    Y = scores((2, 3, 2, 3), seed=13)
    got = focalLossLayer().loss(t64(Y), torch.tensor(PIX_LABELS)).item()
    assert got == pytest.approx(focal_np(Y, PIX_LABELS), rel=1e-12)
    layer = focalLossLayer(Gamma=0.5, Alpha=0.8)
    assert layer.loss(t64(Y), torch.tensor(PIX_LABELS)).item() == pytest.approx(
        focal_np(Y, PIX_LABELS, 0.5, 0.8), rel=1e-12)


def test_focal_with_no_labelled_position_is_zero():
    Y = t64(scores((1, 2, 2, 2), seed=14)).requires_grad_(True)
    loss = focalLossLayer().loss(Y, torch.full((1, 2, 2), -1))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.all(Y.grad == 0)


def test_focal_gamma_zero_alpha_one_is_cross_entropy_over_labelled_positions():
    Y = scores((4, 3), seed=15)
    labels = np.array([0, 2, -1, 1])
    got = focalLossLayer(Gamma=0, Alpha=1).loss(t64(Y), torch.tensor(labels)).item()
    assert got == pytest.approx(-(math.log(Y[0, 0]) + math.log(Y[1, 2]) + math.log(Y[3, 1])) / 3, rel=1e-12)


def test_focal_gradient_matches_documented_backward():
    Y = t64(scores((3, 2), seed=16)).requires_grad_(True)
    labels = [1, 0, 1]
    focalLossLayer(Gamma=2, Alpha=0.25).loss(Y, torch.tensor(labels)).backward()
    expected = np.zeros((3, 2))
    for n, c in enumerate(labels):
        y = Y[n, c].item()
        expected[n, c] = 0.25 * (2 * (1 - y) * math.log(y) - (1 - y) ** 2 / y) / 3
    np.testing.assert_allclose(Y.grad.numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize("args, kwargs, fragment", [
    ((), {"Gamma": -1}, "Gamma"),
    ((), {"Alpha": 0}, "Alpha"),
    ((), {"Alpha": -0.5}, "Alpha"),
    ((), {"Classes": ["only"]}, "at least two classes"),
])
def test_focal_option_errors(args, kwargs, fragment):
    with pytest.raises(OptionError, match=fragment):
        focalLossLayer(*args, **kwargs)


def test_focal_defaults_and_legacy_form():
    layer = focalLossLayer()
    assert (layer.Gamma, layer.Alpha, layer.Classes) == (2.0, 0.25, "auto")
    legacy = focalLossLayer(3, 0.5, "Name", "fl")
    assert (legacy.Gamma, legacy.Alpha, legacy.Name) == (3.0, 0.5, "fl")
    assert focalLossLayer.layer_class.DEFAULT_NAME == "focallossoutput"


# ------------------------------------------------------------------------------------------------
# doc-example custom output layers


def test_weighted_classification_layer_divides_by_n():
    Y = scores((4, 3), seed=17)
    labels = [2, 0, 1, 2]
    w = [0.3, 1.0, 2.5]
    layer = weightedClassificationLayer(w, "wcl")
    assert layer.Name == "wcl" and layer.ClassWeights == (0.3, 1.0, 2.5)
    expected = -sum(w[c] * math.log(Y[n, c]) for n, c in enumerate(labels)) / 4
    assert layer.loss(t64(Y), torch.tensor(labels)).item() == pytest.approx(expected, rel=1e-12)
    assert layer.Description == "Weighted cross entropy"
    with pytest.raises(OptionError):
        weightedClassificationLayer()
    with pytest.raises(OptionError):
        weightedClassificationLayer([1, -1])
    with pytest.raises(LayoutError, match="3 class weights"):
        layer.infer([Layout((), 4)])


def tversky_np(Y, T, alpha, beta, eps=1e-8):
    N, K = Y.shape[:2]
    total = 0.0
    for n in range(N):
        for k in range(K):
            y, t = Y[n, k].ravel(), T[n, k].ravel()
            tp = float(np.sum(y * t))
            fp = float(np.sum(y * (1 - t)))
            fn = float(np.sum((1 - y) * t))
            total += 1 - (tp + eps) / (tp + alpha * fp + beta * fn + eps)
    return total / N


def test_tversky_alpha_weights_false_positives_beta_false_negatives():
    Y = scores((2, 3, 2, 3), seed=18)
    T = np.zeros_like(Y)
    for n, h, w in np.ndindex(2, 2, 3):
        if PIX_LABELS[n, h, w] >= 0:
            T[n, PIX_LABELS[n, h, w], h, w] = 1
    layer = tverskyPixelClassificationLayer("tversky", 0.3, 0.7)
    assert (layer.Name, layer.Alpha, layer.Beta, layer.Epsilon) == ("tversky", 0.3, 0.7, 1e-8)
    got = layer.loss(t64(Y), torch.tensor(PIX_LABELS)).item()
    assert got == pytest.approx(tversky_np(Y, T, 0.3, 0.7), rel=1e-12)
    # swapping alpha and beta changes the loss: FP and FN are weighted differently
    assert got != pytest.approx(tverskyPixelClassificationLayer("t", 0.7, 0.3).loss(t64(Y), t64(T)).item())
    with pytest.raises(OptionError, match="read-only"):
        tverskyPixelClassificationLayer(Epsilon=1)


def test_sse_and_mae_layers():
    Y = scores((3, 4), seed=19)
    labels = [0, 3, 3]
    T = np.eye(4)[labels]
    assert sseClassificationLayer("sse").loss(t64(Y), torch.tensor(labels)).item() == pytest.approx(
        float(np.sum((Y - T) ** 2)) / 3, rel=1e-12)
    rng = np.random.default_rng(20)
    Yr, Tr = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    expected = sum(sum(abs(Yr[n, r] - Tr[n, r]) for r in range(2)) / 2 for n in range(5)) / 5
    layer = maeRegressionLayer("mae")
    assert layer.loss(t64(Yr), t64(Tr)).item() == pytest.approx(expected, rel=1e-12)
    assert layer.Description == "Mean absolute error" and layer.Name == "mae"
    assert sseClassificationLayer().Description == "Sum of squares error"


# ------------------------------------------------------------------------------------------------
# Faster R-CNN layers


def test_rpn_softmax_pairs_channel_a_with_a_plus_A():
    rng = np.random.default_rng(21)
    H, W, A = 2, 3, 4
    x = rng.normal(size=(2, 2 * A, H, W))            # torch N×2A×H×W
    layer = rpnSoftmaxLayer()
    out_layout = layer.infer([Layout((H, W), 2 * A)])[0]
    assert out_layout == Layout((H * W, A), 2)
    y = layer.build([Layout((H, W), 2 * A)])(t64(x)).numpy()
    assert y.shape == (2, 2, H * W, A)
    for n, h, w, a in np.ndindex(2, H, W, A):
        pair = np.array([x[n, a, h, w], x[n, a + A, h, w]])
        p = np.exp(pair) / np.exp(pair).sum()
        np.testing.assert_allclose(y[n, :, h + H * w, a], p, rtol=1e-12)   # column-major (H·W) index
    with pytest.raises(LayoutError, match="even number of channels"):
        layer.infer([Layout((H, W), 5)])
    assert not layer.IS_OUTPUT and layer.OutputNames == ["out"]


def test_rpn_classification_normalised_by_sampled_anchors():
    Y = scores((2, 2, 6, 3), seed=22)
    labels = np.full((2, 6, 3), -1)
    labels[0, 0, 0] = 0
    labels[0, 2, 1] = 1
    labels[1, 5, 2] = 1
    got = rpnClassificationLayer().loss(t64(Y), torch.tensor(labels)).item()
    expected = -(math.log(Y[0, 0, 0, 0]) + math.log(Y[0, 1, 2, 1]) + math.log(Y[1, 1, 5, 2])) / 3
    assert got == pytest.approx(expected, rel=1e-12)
    assert rpnClassificationLayer().loss(t64(Y), torch.full((2, 6, 3), -1)).item() == 0.0
    with pytest.raises(LayoutError, match="2 classes"):
        rpnClassificationLayer().infer([Layout((6, 3), 3)])


def smooth_l1_np(x):
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


def test_box_regression_smooth_l1_with_instance_weights():
    Y = np.array([[0.2, -1.5, 3.0, 0.0], [0.9, 0.1, -0.4, 2.0]])
    T = np.array([[0.0, 0.0, 0.5, 0.0], [0.0, 0.1, 0.6, -1.0]])
    Wt = np.array([[0.5, 0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]])
    layer = rcnnBoxRegressionLayer()
    got = layer.loss(t64(Y), (t64(T), t64(Wt))).item()
    expected = sum(Wt[i, j] * smooth_l1_np(Y[i, j] - T[i, j]) for i, j in np.ndindex(2, 4))
    assert got == pytest.approx(expected, rel=1e-12)
    default = layer.loss(t64(Y), t64(T)).item()
    assert default == pytest.approx(sum(smooth_l1_np(Y[i, j] - T[i, j]) for i, j in np.ndindex(2, 4)) / 2)
    y = t64(Y).requires_grad_(True)
    layer.loss(y, (t64(T), t64(Wt))).backward()
    np.testing.assert_allclose(y.grad.numpy(), Wt * np.clip(Y - T, -1, 1), rtol=1e-12)
    assert layer.Description == "smooth-l1 loss" and rcnnBoxRegressionLayer.layer_class.DEFAULT_NAME == "boxRegression"


# ------------------------------------------------------------------------------------------------
# All loss layers: ports, gradients, graph use


LOSS_CASES = [
    (classificationLayer(), (4, 3), "index"),
    (pixelClassificationLayer(), (2, 3, 2, 3), "index"),
    (pixelClassificationLayer(Classes=list("abc"), ClassWeights=[1, 2, 3]), (2, 3, 2, 3), "index"),
    (dicePixelClassificationLayer(), (2, 3, 2, 3), "index"),
    (focalLossLayer(), (2, 3, 2, 3), "index"),
    (weightedClassificationLayer([1, 2, 3]), (4, 3), "index"),
    (tverskyPixelClassificationLayer("t", 0.4, 0.6), (2, 3, 2, 3), "index"),
    (sseClassificationLayer("s"), (4, 3), "index"),
    (rpnClassificationLayer(), (2, 2, 4, 3), "index"),
    (regressionLayer(), (4, 3), "numeric"),
    (maeRegressionLayer("m"), (4, 3), "numeric"),
    (rcnnBoxRegressionLayer(), (4, 8), "numeric"),
]


@pytest.mark.parametrize("layer, shape, kind", LOSS_CASES, ids=lambda v: getattr(v, "MATLAB_NAME", None))
def test_loss_layers_are_output_layers_with_finite_gradients(layer, shape, kind):
    assert layer.IS_OUTPUT and layer.InputNames == ["in"] and layer.output_names() == ()
    torch.manual_seed(0)
    y = torch.softmax(torch.randn(shape, dtype=torch.float64), dim=1).detach().requires_grad_(True)
    if kind == "index":
        t = torch.randint(0, shape[1], (shape[0],) + shape[2:])
        t.view(-1)[0] = -1 if layer.MATLAB_NAME not in ("weightedClassificationLayer",) else 0
    else:
        t = torch.randn(shape, dtype=torch.float64)
    loss = layer.loss(y, t)
    assert loss.dim() == 0 and torch.isfinite(loss)
    assert torch.autograd.gradcheck(lambda v: layer.loss(v, t), (y,), eps=1e-6, atol=1e-5)


def test_loss_layers_in_a_layer_graph_keep_default_names():
    from layergraph import featureInputLayer, fullyConnectedLayer

    lg = layerGraph([featureInputLayer(4), fullyConnectedLayer(3), softmaxLayer, focalLossLayer])
    assert "focallossoutput" in [layer.Name for layer in lg.Layers]
    lg = layerGraph([featureInputLayer(4), fullyConnectedLayer(3), softmaxLayer, classificationLayer])
    assert lg.OutputNames == ["classoutput"]


# ------------------------------------------------------------------------------------------------
# utility layers: identityLayer, functionLayer, scalingLayer, quadraticLayer

from layergraph import functionLayer, identityLayer, quadraticLayer, scalingLayer  # noqa: E402


def _halve(x):
    return x / 2


def test_identity_layer():
    layer = identityLayer(Name="skip")
    assert (layer.Type, layer.Description, layer.InputNames, layer.OutputNames) == ("Identity", "Identity", ["in"], ["out"])
    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(layer.build([Layout((4, 5), 3)])(x), x)
    assert layer.infer([Layout((4, 5), 3)]) == [Layout((4, 5), 3)]


def test_function_layer_ports_description_and_sizes():
    layer = functionLayer(_halve)
    assert layer.PredictFcn is _halve
    assert (layer.NumInputs, layer.NumOutputs, layer.InputNames, layer.OutputNames) == (1, 1, ["in"], ["out"])
    assert layer.Description == "@_halve" and layer.Type == "Function"
    assert functionLayer(_halve, Description="halve").Description == "halve"
    two = functionLayer(lambda a, b: (a + b, a - b, a * b), NumInputs=2, NumOutputs=3)
    assert two.InputNames == ["in1", "in2"] and two.OutputNames == ["out1", "out2", "out3"]
    named = functionLayer(lambda a, b: a * b, InputNames=["x", "gate"])
    assert named.NumInputs == 2 and named.InputNames == ["x", "gate"]
    # sizes come from one call on zeros: flatten of a 4×5×3 image is 60 features
    flat = functionLayer(lambda x: x.flatten(1))
    assert flat.infer([Layout((4, 5), 3)]) == [Layout((), 60)]
    seq = functionLayer(lambda x: x[:, :, :2])
    assert seq.infer([Layout((), 4, True)]) == [Layout((), 2, True)]
    y = functionLayer(_halve).build([Layout((), 3)])(torch.tensor([[2.0, 4.0, -6.0]]))
    assert torch.equal(y, torch.tensor([[1.0, 2.0, -3.0]]))


def test_function_layer_never_evaluates_strings_and_reports_errors():
    with pytest.raises(OptionError, match="strings are never evaluated"):
        functionLayer("@(X) X.^2")
    with pytest.raises(OptionError, match="missing required argument 'PredictFcn'"):
        functionLayer()
    with pytest.raises(OptionError, match="NumInputs is 3 but InputNames has 2"):
        functionLayer(_halve, NumInputs=3, InputNames=["a", "b"])
    with pytest.raises(LayoutError, match="failed on inputs"):
        functionLayer(lambda x: x @ torch.ones(7, 2)).infer([Layout((), 3)])
    with pytest.raises(LayoutError, match="returned 1 outputs"):
        functionLayer(_halve, NumOutputs=2).infer([Layout((), 3)])
    with pytest.raises(LayoutError, match="batch"):
        functionLayer(lambda x: x.sum()).infer([Layout((), 3)])


def test_scaling_layer_scalars_and_matlab_layout_arrays():
    layer = scalingLayer(Scale=0.5, Offset=0.4)
    assert (layer.Scale, layer.Offset, layer.Bias) == (0.5, 0.4, 0.0)
    x = torch.tensor([[1.0, -2.0, 3.0]])
    torch.testing.assert_close(layer.build([Layout((), 3)])(x), x * 0.5 + 0.4)
    # a 1×1×C scale in MATLAB layout scales each channel of an N×C×H×W image
    scale = np.array([1.0, 10.0, 100.0]).reshape(1, 1, 3)
    img = torch.ones(2, 3, 2, 2)
    y = scalingLayer(Scale=scale).build([Layout((2, 2), 3)])(img)
    assert torch.equal(y[:, 0], torch.ones(2, 2, 2)) and torch.equal(y[:, 2], 100 * torch.ones(2, 2, 2))
    # an H×W×C offset: element (h, w, c) goes to torch [:, c, h, w]
    offset = np.arange(12, dtype=float).reshape(2, 2, 3)
    z = scalingLayer(Offset=offset).build([Layout((2, 2), 3)])(torch.zeros(1, 3, 2, 2))
    for h, w, c in np.ndindex(2, 2, 3):
        assert z[0, c, h, w].item() == offset[h, w, c]
    # C×1 for features; RL Toolbox Bias adds to the offset
    col = scalingLayer(Scale=np.array([[2.0], [3.0]]), Bias=1).build([Layout((), 2)])(torch.ones(4, 2))
    assert torch.equal(col, torch.tensor([[3.0, 4.0]] * 4))
    with pytest.raises(LayoutError, match="does not fit"):
        scalingLayer(Scale=np.ones((1, 1, 4))).infer([Layout((2, 2), 3)])
    with pytest.raises(OptionError, match="Scale"):
        scalingLayer(Scale="big")


def test_quadratic_layer_monomial_order():
    layer = quadraticLayer()
    assert (layer.Type, layer.Description) == ("Quadratic", "Quadratic")
    u = np.array([[2.0, 3.0, 5.0], [1.0, -1.0, 0.5]])
    y = layer.build([Layout((), 3)])(t64(u)).numpy()
    for n in range(2):
        u1, u2, u3 = u[n]
        np.testing.assert_allclose(y[n], [u1 * u1, u1 * u2, u2 * u2, u1 * u3, u2 * u3, u3 * u3])
    assert layer.infer([Layout((), 4, True)]) == [Layout((), 10, True)]
    with pytest.raises(LayoutError, match="vector per observation"):
        layer.infer([Layout((3, 3), 2)])


from layergraph import depthToSpace2dLayer, spaceToDepthLayer  # noqa: E402


def depth_to_space_np(x, bh, bw, mode):
    n, c, h, w = x.shape
    k = c // (bh * bw)
    y = np.zeros((n, k, h * bh, w * bw))
    for b, cc, r, s, i, j in np.ndindex(n, k, h, w, bh, bw):
        src = (i * bw + j) * k + cc if mode == "dcr" else cc * bh * bw + i * bw + j
        y[b, cc, r * bh + i, s * bw + j] = x[b, src, r, s]
    return y


@pytest.mark.parametrize("block, mode", [((2, 2), "dcr"), ((2, 2), "crd"), ((2, 1), "dcr"), ((1, 3), "crd")])
def test_depth_to_space_matches_onnx_ordering(block, mode):
    rng = np.random.default_rng(23)
    bh, bw = block
    x = rng.normal(size=(2, 2 * bh * bw, 3, 2))
    layer = depthToSpace2dLayer(list(block), Mode=mode)
    layout = Layout((3, 2), 2 * bh * bw)
    assert layer.infer([layout]) == [Layout((3 * bh, 2 * bw), 2)]
    y = layer.build([layout])(t64(x)).numpy()
    np.testing.assert_array_equal(y, depth_to_space_np(x, bh, bw, mode))


def test_space_to_depth_matches_onnx_and_inverts_dcr():
    rng = np.random.default_rng(24)
    x = rng.normal(size=(1, 3, 4, 6))
    layer = spaceToDepthLayer([2, 3])
    assert layer.BlockSize == (2, 3)
    assert layer.infer([Layout((4, 6), 3)]) == [Layout((2, 2), 18)]
    y = layer.build([Layout((4, 6), 3)])(t64(x)).numpy()
    expected = np.zeros((1, 18, 2, 2))
    for c, r, s, i, j in np.ndindex(3, 2, 2, 2, 3):
        expected[0, (i * 3 + j) * 3 + c, r, s] = x[0, c, r * 2 + i, s * 3 + j]
    np.testing.assert_array_equal(y, expected)
    back = depthToSpace2dLayer([2, 3]).build([Layout((2, 2), 18)])(torch.tensor(y)).numpy()
    np.testing.assert_array_equal(back, x)
    with pytest.raises(LayoutError, match="divisible"):
        layer.infer([Layout((5, 6), 3)])
    with pytest.raises(LayoutError, match="divisible"):
        depthToSpace2dLayer(2).infer([Layout((3, 3), 6)])
    with pytest.raises(OptionError, match="Mode"):
        depthToSpace2dLayer(2, Mode="rdc")
    assert depthToSpace2dLayer(2).Mode == "dcr"
