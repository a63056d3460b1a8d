"""MATLAB figures: sizes of saved PNGs, the figures folder, pixels of imshow, plot/hold/histogram/montage."""

import struct
from pathlib import Path

import numpy as np
import pytest

import layergraph
from layergraph import (
    bar, close, exportgraphics, featureInputLayer, figure, fullyConnectedLayer, gca, gcf, hold, imshow, layerGraph,
    legend, montage, nexttile, plot, reluLayer, save_open_figures, saveas, scatter, set_figures_folder, subplot,
    tiledlayout, title, xlabel, ylabel,
)
from layergraph.figures import (
    FigureError, auto_bin_edges, figures_folder, histogram, montage_image, print_figure,
)
from layergraph.policy import PolicyError, confined


def png_size(path):
    data = Path(path).read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(autouse=True)
def _clean(tmp_path, monkeypatch):
    monkeypatch.delenv("LAYERGRAPH_FIGURES", raising=False)
    monkeypatch.delenv("LAYERGRAPH_PLOT_DIR", raising=False)
    set_figures_folder(tmp_path)
    yield
    close("all")
    set_figures_folder(None)


def test_saved_sizes(tmp_path):
    f = figure()
    plot([1, 2, 3], [2, 4, 8])
    saveas(f, "a.png")
    assert png_size(tmp_path / "a.png") == (560, 420)          # MATLAB's default 560×420 figure
    f.Position = [100, 100, 300, 200]
    saveas(f, "b")                                            # no extension: .png
    assert png_size(tmp_path / "b.png") == (300, 200)
    print_figure("-dpng", "c", "-r192")                       # 300×200 px = 3.125×2.083 in at 96 px/in
    assert png_size(tmp_path / "c.png") == (600, 400)
    layergraph.figures.print("-dpng", "d.png")                # MATLAB's name, default 150 dpi
    assert png_size(tmp_path / "d.png") == (468, 312)         # 300/96*150 = 468.75, 200/96*150 = 312.5
    exportgraphics(gca(), "e.png", Resolution=96)
    w, h = png_size(tmp_path / "e.png")
    assert w <= 300 + 2 and h <= 200 + 2


def test_figures_folder_precedence(tmp_path, monkeypatch):
    set_figures_folder(None)
    monkeypatch.chdir(tmp_path)
    assert figures_folder() == tmp_path                       # default: the current folder
    env = tmp_path / "env"
    env.mkdir()
    monkeypatch.setenv("LAYERGRAPH_FIGURES", str(env))
    assert figures_folder() == env
    explicit = tmp_path / "explicit"
    explicit.mkdir()
    layergraph.set_figures_folder(explicit)
    assert figures_folder() == explicit
    figure()
    saveas(gcf(), "x.png")
    assert (explicit / "x.png").exists() and not (env / "x.png").exists()
    saveas(gcf(), str(tmp_path / "abs.png"))                 # absolute paths are kept
    assert (tmp_path / "abs.png").exists()
    with pytest.raises(FigureError, match="does not exist"):
        saveas(gcf(), "missing/x.png")


def test_save_open_figures(tmp_path):
    figure()
    plot([1, 2])
    figure(5)
    bar([3, 1, 2])
    paths = save_open_figures(tmp_path / "out" if (tmp_path / "out").mkdir() is None else None)
    assert [p.name for p in paths] == ["figure-1.png", "figure-5.png"]
    assert all(png_size(p) == (560, 420) for p in paths)


def test_writes_go_through_the_file_policy(tmp_path):
    allowed = tmp_path / "ok"
    allowed.mkdir()
    figure()
    with confined([allowed]):
        saveas(gcf(), str(allowed / "in.png"))
        with pytest.raises(PolicyError, match="saveas"):
            saveas(gcf(), str(tmp_path / "out.png"))
    with confined([], read_only=True):
        with pytest.raises(PolicyError):
            saveas(gcf(), str(allowed / "x.png"))


def test_imshow_pixels_reproduce_the_image(tmp_path):
    from matplotlib.image import imread

    img = np.zeros((2, 3, 3), dtype=np.uint8)
    colours = {(0, 0): (255, 0, 0), (0, 1): (0, 255, 0), (0, 2): (0, 0, 255),
               (1, 0): (255, 255, 0), (1, 1): (0, 0, 0), (1, 2): (255, 255, 255)}
    for (r, c), rgb in colours.items():
        img[r, c] = rgb
    f = figure()
    imshow(img)
    saveas(f, "img.png")
    saved = imread(tmp_path / "img.png")
    ax = gca().mpl
    f.mpl.canvas.draw()
    height = saved.shape[0]
    for (r, c), rgb in colours.items():
        x, y = ax.transData.transform((c, r))                   # data (column, row) -> display pixels
        px = saved[int(round(height - y)), int(round(x))][:3]
        np.testing.assert_allclose(px * 255, rgb, atol=2)
    assert not ax.axison


def test_imshow_display_range_and_gray(tmp_path):
    from matplotlib.image import imread

    gray = np.array([[0.0, 5.0], [10.0, 10.0]])
    f = figure()
    imshow(gray, [])                                          # scaled min..max: 0 -> black, 10 -> white
    saveas(f, "g.png")
    saved = imread(tmp_path / "g.png")
    ax = gca().mpl
    for (r, c), v in {(0, 0): 0.0, (0, 1): 0.5, (1, 1): 1.0}.items():
        x, y = ax.transData.transform((c, r))
        px = saved[int(round(saved.shape[0] - y)), int(round(x))][:3]
        np.testing.assert_allclose(px, [v] * 3, atol=0.01)
    with pytest.raises(FigureError, match="H×W"):
        imshow(np.zeros((2, 2, 2)))


def test_plot_linespec_hold_and_labels():
    figure()
    h = plot([1, 2, 3], [4, 5, 6], "r--o", "LineWidth", 2)
    assert h.Color.tolist() == [1, 0, 0] and h.LineWidth == 2 and h._artist.get_linestyle() == "--"
    np.testing.assert_array_equal(h.YData, [4, 5, 6])
    plot([3, 2, 1])                                           # hold off: replaces
    assert len(gca().mpl.get_lines()) == 1
    hold("on")
    plot([1, 1, 1])
    assert len(gca().mpl.get_lines()) == 2
    first, second = gca().mpl.get_lines()
    assert first.get_color() == "#0072BD" and second.get_color() == "#D95319"   # MATLAB's colour order
    hold("off")
    title("T")
    xlabel("x")
    ylabel("y")
    ax = gca()
    assert ax.Title.String == "T" and ax.XLabel.String == "x" and ax.YLabel.String == "y"
    lines = plot(np.array([[1, 2], [3, 4], [5, 6]]))           # one line per column
    assert len(lines) == 2
    legend("a", "b")
    assert [t.get_text() for t in gca().mpl.get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(FigureError, match="same length"):
        plot([1, 2], [1, 2, 3])
    with pytest.raises(FigureError, match="not a recognized property"):
        plot([1, 2], "Colour", "r")


def test_plot_dispatches_layer_graphs():
    lgraph = layerGraph([featureInputLayer(3, Name="in"), fullyConnectedLayer(4, Name="fc"), reluLayer(Name="r")])
    figure()
    plot(lgraph)
    ax = gca().mpl
    assert len(ax.collections[0].get_offsets()) == 3                 # one node per layer
    assert sorted(t.get_text() for t in ax.texts) == ["fc", "in", "r"]


def test_histogram_values_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    figure()
    h = histogram(x, 12)
    counts, edges = np.histogram(x, 12)
    np.testing.assert_allclose(h.BinEdges, edges)
    np.testing.assert_array_equal(h.Values, counts)
    assert h.NumBins == 12
    p = histogram(x, "BinEdges", [-4, -1, 0, 1, 4], "Normalization", "probability")
    np.testing.assert_allclose(p.Values, np.histogram(x, [-4, -1, 0, 1, 4])[0] / 500)
    auto = histogram(x)
    assert auto.Values.sum() == 500 and auto.BinEdges[0] <= x.min() and auto.BinEdges[-1] >= x.max()
    assert isinstance(auto.BinWidth, float)
    np.testing.assert_array_equal(auto_bin_edges(np.array([1, 2, 2, 3])), [0.5, 1.5, 2.5, 3.5])


def test_scatter_bar_subplot_tiledlayout():
    figure()
    s = scatter([1, 2, 3], [3, 2, 1], 50, "filled")
    assert s.Type == "scatter" and np.allclose(s._artist.get_sizes(), 50)
    subplot(2, 2, 1)
    subplot(2, 2, 4)
    subplot(2, 2, 1)                                              # the same tile is reused
    assert len(gcf().mpl.axes) == 3                               # the first axes + two subplots
    figure()
    t = tiledlayout(2, 2)
    nexttile()
    b = bar([1, 3, 2])
    nexttile()
    title(t, "All")
    assert len(gcf().mpl.axes) == 2 and t.Title.String == "All"
    assert [r.get_height() for r in b._artist] == [1, 3, 2]
    with pytest.raises(FigureError, match="outside"):
        nexttile(9)


def test_montage_layout_matches_hand_tiling():
    frames = [np.full((2, 3), i, dtype=np.uint8) for i in range(1, 6)]
    m = montage_image(frames)
    # 5 frames of 2×3: cols = ceil(sqrt(5*2/3)) = 2, rows = 3, filled row by row, black background
    expected = np.zeros((6, 6), dtype=np.uint8)
    for i, f in enumerate(frames):
        r, c = divmod(i, 2)
        expected[r * 2:(r + 1) * 2, c * 3:(c + 1) * 3] = f
    np.testing.assert_array_equal(m, expected)
    stacked = np.stack(frames, axis=2)[:, :, None, :]             # H×W×1×N, MATLAB layout
    np.testing.assert_array_equal(montage_image(stacked, size=[1, np.nan]), np.hstack(frames))
    figure()
    h = montage(frames, "Size", [1, 5])
    assert h.Type == "image"


def test_training_progress_png_goes_to_the_figures_folder(tmp_path, monkeypatch, capsys):
    import torch

    from layergraph import classificationLayer, softmaxLayer, trainingOptions, trainNetwork

    out = tmp_path / "figs"
    out.mkdir()
    monkeypatch.setenv("LAYERGRAPH_FIGURES", str(out))
    set_figures_folder(None)
    X = torch.randn(16, 2)
    y = np.where(X[:, 0].numpy() > 0, "p", "n")
    trainNetwork(X, y, [featureInputLayer(2), fullyConnectedLayer(2), softmaxLayer, classificationLayer],
                 trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=8, Verbose=False, Plots="training-progress"))
    pngs = sorted(p.name for p in out.iterdir())
    assert len(pngs) == 1 and pngs[0].startswith("training-progress") and pngs[0].endswith(".png")
    assert f"Training progress plot: {out}" in capsys.readouterr().out


def test_cli_figures_option(tmp_path, monkeypatch):
    from layergraph.cli import main

    spec = tmp_path / "net.json"
    layergraph.save_spec([featureInputLayer(3), fullyConnectedLayer(2)], spec)
    monkeypatch.chdir(tmp_path)
    set_figures_folder(None)
    assert main(["plot", str(spec), "--figures", str(tmp_path / "f")]) == 0
    assert (tmp_path / "f" / "net.png").exists()
    assert main(["--figures", str(tmp_path / "g"), "plot", str(spec), "-o", "drawn.png"]) == 0
    assert (tmp_path / "g" / "drawn.png").exists()
    assert figures_folder() == tmp_path                      # the option does not outlive the command
