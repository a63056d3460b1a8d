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
