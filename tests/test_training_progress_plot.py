"""The training-progress PNG: a smoothed curve drawn over the raw one (as MATLAB's plot), 100 % visible."""

import math

import numpy as np

from layergraph.training.display import ProgressPlot, smooth


def test_smooth_is_a_bias_corrected_moving_average():
    w = 0.6
    # hand-worked: s1 = 0.4*10 = 4 -> 4/0.4 = 10; s2 = 0.6*4 + 0.4*20 = 10.4 -> 10.4/(1-0.36) = 16.25
    assert smooth([10, 20], w) == [10.0, 16.25]
    values = np.random.default_rng(0).normal(size=50)
    expected, s = [], 0.0
    for t, v in enumerate(values, 1):
        s = w * s + (1 - w) * v
        expected.append(s / (1 - w ** t))
    np.testing.assert_allclose(smooth(list(values), w), expected)
    out = smooth([1.0, None, 3.0], w)
    assert out[0] == 1.0 and math.isnan(out[1]) and out[2] == (0.6 * 0.4 + 0.4 * 3.0) / (1 - 0.36)


def test_progress_plot_draws_raw_and_smoothed_curves_and_keeps_100_percent_in_view(tmp_path):
    path = tmp_path / "progress.png"
    plot = ProgressPlot("accuracy", path=str(path), interval=1e9, echo=lambda *_: None)
    acc = [50.0, 75.0, 100.0, 100.0, 100.0]
    for i, a in enumerate(acc, 1):
        plot.add(i, 1.0 / i, a)
    plot.save()
    assert path.is_file() and path.stat().st_size > 0
    lines = {line.get_label(): line for line in plot.ax_metric.get_lines()}
    assert set(lines) >= {"Training", "Training (smoothed)"}
    np.testing.assert_allclose(lines["Training (smoothed)"].get_ydata(), smooth(acc))
    low, high = plot.ax_metric.get_ylim()
    assert low <= 0 and high > 100                      # the 100 % line is inside the axes, not on its edge
    assert 100 in list(plot.ax_metric.get_yticks())
    assert plot.ax_loss.get_ylim()[0] == 0


def test_demo_progress_figure_smoothed_and_100_percent_visible(tmp_path):
    from types import SimpleNamespace

    from layergraph.demo import save_progress_figure

    info = SimpleNamespace(TrainingLoss=[2.0, 1.0, 0.5, 0.2], TrainingAccuracy=[10.0, 60.0, 100.0, 100.0])
    path = tmp_path / "training-progress.png"
    fig = save_progress_figure(info, path, "demo")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax_acc = fig.axes[0]
    assert ax_acc.get_ylim()[1] > 100
    smoothed = [line for line in ax_acc.get_lines() if line.get_label() == "Training (smoothed)"]
    np.testing.assert_allclose(smoothed[0].get_ydata(), smooth(info.TrainingAccuracy))


def test_network_png_is_readable_and_names_layer_types(tmp_path):
    from PIL import Image

    from layergraph import (convolution2dLayer, fullyConnectedLayer, imageInputLayer, reluLayer, softmaxLayer,
                            classificationLayer)
    from layergraph.cli import main
    from layergraph.spec import save_spec
    from layergraph.spec.plot import plot_layer_graph

    layers = [imageInputLayer([8, 8, 1], Name="input")]
    for i in range(1, 5):
        layers += [convolution2dLayer(3, 4, Padding="same", Name=f"conv_{i}"), reluLayer(Name=f"relu_{i}")]
    layers += [fullyConnectedLayer(10, Name="fc"), softmaxLayer(Name="softmax"), classificationLayer(Name="output")]
    spec = tmp_path / "net.json"
    save_spec(layers, spec)
    png = tmp_path / "network.png"
    assert main(["plot", str(spec), "-o", str(png)]) == 0
    with Image.open(png) as image:
        width, height = image.size
    assert height >= 40 * len(layers) and width >= 300            # about 0.6 inch a row at 100+ dpi
    fig = plot_layer_graph(layers, show_types=True)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "conv_1  (2-D Convolution)" in texts and "output  (Classification Output)" in texts
