"""``layergraph demo``: the project's main job, end to end, offline, in well under a minute on 2 CPU cores.

    layergraph demo                       # the digits CNN with the custom ELU layer (default)
    layergraph demo resnet                # a small residual network on the same digits
    layergraph demo japanese-vowels       # MATLAB's BiLSTM example on the Japanese Vowels speakers
    layergraph demo --list                # the bundled examples
    layergraph demo digits -o out/        # choose the output folder

Each example is a MATLAB script bundled in ``layergraph/examples/`` (the digits script also has its
custom layer's classdef, ``learnableEluLayer.m``, beside it). The demo ports the script with
:func:`layergraph.matlab.port`, prints ``analyzeNetwork``, loads real data that ships with the Python
packages (scikit-learn's handwritten digits; the Japanese Vowels set in aeon), trains with
``trainNetwork`` using the script's ``trainingOptions`` (MATLAB's training table), reports the test
accuracy, and writes the trained network (JSON spec + safetensors weights), the training-progress
figure and a drawing of the network to the output folder it names.

``main(argv)`` runs it from Python and returns the exit code (0: done and the accuracy reached the
example's target; 1: it did not; 2: bad command line).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


@dataclass(frozen=True)
class Example:
    name: str
    script: str              # file in layergraph/examples/
    title: str
    data: str                # what the data are (printed)
    target: float            # test accuracy (%) the run must reach
    loader: Callable         # () -> (XTrain, YTrain, XTest, YTest, description)
    network_var: str = "layers"


# --------------------------------------------------------------------------------------------------
# Data (shipped with scikit-learn and aeon: no network access)


def load_digits_data(test_fraction: float = 0.2, seed: int = 0):
    """scikit-learn's 8×8 handwritten digits as N×1×8×8 float32 images in [0, 1], stratified split."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:  # pragma: no cover - the demo's optional dependency
        raise SystemExit(f"layergraph demo: the digits example needs scikit-learn ({exc}); "
                         "pip install 'layergraph[data]'") from None
    digits = load_digits()
    X = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = digits.target.astype(np.int64)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y)
    text = (f"{len(X)} handwritten digits, 8×8 grey images (scikit-learn); {len(Xtr)} for training, "
            f"{len(Xte)} for testing")
    return Xtr, ytr, Xte, yte, text


def digits_matlab_layout(seed: int = 0, test_fraction: float = 0.2):
    """The digits split of :func:`load_digits_data` as a MATLAB .mat would hold it: ``XTrain`` 8×8×1×N
    single (H×W×C×N), ``TTrain`` N×1 categorical with categories '0'…'9', and the test split likewise.

    Returns ``(XTrain, TTrain, XTest, TTest)``. MATLAB: the arrays of ``digitsTrain.mat`` /
    ``digitsTest.mat`` that :func:`write_digits_mat` writes."""
    from .values import categorical

    Xtr, ytr, Xte, yte, _ = load_digits_data(test_fraction, seed)
    names = [str(d) for d in range(10)]

    def hwcn(X):
        return np.ascontiguousarray(X.transpose(2, 3, 1, 0))        # N×C×H×W -> H×W×C×N

    def labels(y):
        return categorical(np.array([names[i] for i in y], dtype=object).reshape(-1, 1), names)

    return hwcn(Xtr), labels(ytr), hwcn(Xte), labels(yte)


def _mat_categorical(c):
    """A categorical as MATLAB saves it (an MCOS object: 1-based uint8 codes, 0 for <undefined>)."""
    from matio.utils.matclass import MatlabOpaque

    names = np.empty((len(c.categories), 1), dtype=object)
    for i, name in enumerate(c.categories):
        names[i, 0] = np.array([name])
    codes = (np.asarray(c.codes) + 1).astype(np.uint8)          # MATLAB shape already
    return MatlabOpaque({"categoryNames": names, "codes": codes, "isProtected": np.array([[False]]),
                         "isOrdinal": np.array([[bool(c.ordinal)]])}, "categorical")


def write_digits_mat(folder, seed: int = 0, test_fraction: float = 0.2) -> list[str]:
    """Write ``digitsTrain.mat`` (``XTrain``, ``TTrain``) and ``digitsTest.mat`` (``XTest``, ``TTest``) into
    ``folder``: scikit-learn's 8×8 handwritten digits in MATLAB's layout, as the scripts in
    ``examples/matlab/`` load them (``load digitsTrain.mat``).

    ``X*`` are 8×8×1×N single arrays (pixel values in [0, 1]); ``T*`` are N×1 categorical arrays with
    categories '0'…'9', saved as MATLAB saves a categorical (a v7 MAT-file written with mat-io; scipy
    cannot write categorical objects). The split is :func:`load_digits_data`'s (stratified,
    ``random_state=seed``), the same as ``examples/custom_loop_digits.py`` uses. The folder is created if
    needed. Returns the two paths.
    """
    from .policy import check_write

    try:
        import matio
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise SystemExit(f"write_digits_mat needs mat-io ({exc}); pip install 'layergraph[mat]'") from None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    XTrain, TTrain, XTest, TTest = digits_matlab_layout(seed, test_fraction)
    written = []
    for name, variables in (("digitsTrain.mat", {"XTrain": XTrain, "TTrain": TTrain}),
                            ("digitsTest.mat", {"XTest": XTest, "TTest": TTest})):
        path = folder / name
        check_write(path, "save")
        data = {k: (_mat_categorical(v) if not isinstance(v, np.ndarray) else v) for k, v in variables.items()}
        matio.save_to_mat(str(path), data, version="v7")
        written.append(str(path))
    return written


def _aeon_file(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("layergraph demo: the Japanese Vowels example needs aeon (it ships the data set); "
                         "pip install 'layergraph[data]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "JapaneseVowels" / name
    if not path.exists():
        raise SystemExit(f"layergraph demo: {path} is missing from the aeon installation.")
    return path


def read_ts_file(path: Path) -> tuple[list, list]:
    """A multivariate .ts file (sktime/aeon format): sequences as T×C float32 arrays, and the labels."""
    sequences, labels = [], []
    in_data = False
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *dims, label = line.split(":")
        channels = [np.array([float(v) for v in d.split(",")], dtype=np.float32) for d in dims]
        sequences.append(np.stack(channels, axis=1))
        labels.append(label)
    return sequences, labels


def load_japanese_vowels():
    """MATLAB's Japanese Vowels data (9 speakers, 12 LPC cepstrum coefficients per time step)."""
    Xtr, ytr = read_ts_file(_aeon_file("JapaneseVowels_TRAIN.ts"))
    Xte, yte = read_ts_file(_aeon_file("JapaneseVowels_TEST.ts"))
    text = (f"Japanese Vowels (aeon): {len(Xtr)} training and {len(Xte)} test sequences of 12 features, "
            f"9 speakers")
    return Xtr, ytr, Xte, yte, text


EXAMPLES = {
    "digits": Example(
        "digits", "digits_cnn.m",
        "small CNN with a custom ELU layer (one learnable alpha per channel) on handwritten digits",
        "digits", 95.0, load_digits_data),
    "resnet": Example(
        "resnet", "digits_resnet.m",
        "small residual network (two ResNet blocks, additionLayer shortcuts) on handwritten digits",
        "digits", 95.0, load_digits_data, network_var="lgraph"),
    "japanese-vowels": Example(
        "japanese-vowels", "japanese_vowels_bilstm.m",
        "BiLSTM sequence classification of 9 speakers (MATLAB's Japanese Vowels example)",
        "Japanese Vowels", 90.0, load_japanese_vowels),
}


# --------------------------------------------------------------------------------------------------
# Steps


def port_example(example: Example, echo=print):
    """Port the bundled script: (network, trainingOptions, port result)."""
    from .matlab import port

    script = EXAMPLES_DIR / example.script
    result = port(str(script), seed=0)
    if result.errors:
        raise SystemExit("layergraph demo: the porter reported errors:\n" + "\n".join(map(str, result.errors)))
    if example.network_var not in result.networks:
        found = ", ".join(result.networks) or "none"
        raise SystemExit(f"layergraph demo: {script.name} defines no network '{example.network_var}' (found: {found}).")
    network = result.networks[example.network_var]
    options = result.workspace.get("options")
    return network, options, result


def _custom_classes(graph) -> list:
    return [type(layer) for layer in graph.layer_list() if getattr(type(layer), "FAMILY", "") == "custom"]


def register_ported_classes(graph) -> list[str]:
    """Register the custom layer classes the porter made, so the saved spec names a known type."""
    from .errors import CustomLayerError
    from .layers.base import REGISTRY, register

    names = []
    for cls in _custom_classes(graph):
        existing = REGISTRY.get(cls.MATLAB_NAME)
        if existing is cls:
            continue
        if existing is not None:
            raise CustomLayerError(
                f"layergraph demo: the layer type '{cls.MATLAB_NAME}' is already registered by "
                f"{existing.__module__}.{existing.__qualname__}; cannot register the ported classdef under the "
                "same name."
            )
        register(cls)
        names.append(cls.MATLAB_NAME)
    return names


def save_progress_figure(info, path: Path, title: str):
    """MATLAB's training-progress figure (accuracy and loss against iteration) as a PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    loss = np.asarray(info.TrainingLoss, dtype=float)
    accuracy = np.asarray(getattr(info, "TrainingAccuracy", np.full_like(loss, np.nan)), dtype=float)
    iterations = np.arange(1, len(loss) + 1)
    fig = Figure(figsize=(9, 6))
    FigureCanvasAgg(fig)
    ax_acc, ax_loss = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    from .training.display import smooth

    for ax, values, label, light, dark in ((ax_acc, accuracy, "Accuracy (%)", "#9ecae1", "#0072BD"),
                                           (ax_loss, loss, "Loss", "#fdd0a2", "#D95319")):
        ax.plot(iterations, values, color=light, linewidth=0.7, label="Training")
        ax.plot(iterations, smooth(list(values)), color=dark, linewidth=1.6, label="Training (smoothed)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    ax_acc.set_ylim(-2, 104)                 # 100 % stays visible inside the axes
    ax_acc.set_yticks(range(0, 101, 10))
    ax_loss.set_xlabel("Iteration")
    fig.suptitle(title)
    fig.savefig(path, dpi=90)
    return fig


def _accuracy(predicted, truth) -> float:
    predicted = [str(p) for p in predicted]
    truth = [str(t) for t in truth]
    return 100.0 * sum(p == t for p, t in zip(predicted, truth)) / len(truth)


def run(example: Example, output: Path, *, max_epochs: int | None = None, num_threads: int = 1, echo=print) -> int:
    """Run one example; returns 0 when the test accuracy beats the example's target, else 1.

    Small networks train fastest on one CPU thread (torch's thread pool costs more than it gains on
    8×8 images, and much more on a busy machine); ``num_threads`` sets it for the run.
    """
    import torch

    start = time.perf_counter()
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, int(num_threads)))
    try:
        return _run(example, output, max_epochs=max_epochs, echo=echo, start=start)
    finally:
        torch.set_num_threads(threads)


def _run(example: Example, output: Path, *, max_epochs, echo, start) -> int:
    from .analysis import analyzeNetwork
    from .graph import layerGraph
    from .network import assembleNetwork
    from .spec import load_spec, save_spec
    from .spec.plot import plot_layer_graph
    from .training import trainNetwork, trainingOptions
    from .training.predict import classify

    output.mkdir(parents=True, exist_ok=True)
    echo(f"layergraph demo {example.name}: {example.title}")
    echo(f"Output folder: {output.resolve()}")
    echo("")

    script = EXAMPLES_DIR / example.script
    echo(f"[1/5] Porting the MATLAB script {script.name} with layergraph.matlab.port")
    network, options, result = port_example(example, echo)
    lgraph = layerGraph(network)
    customs = sorted({cls.MATLAB_NAME for cls in _custom_classes(lgraph)})
    classdefs = [f"{name}.m" for name in customs if (EXAMPLES_DIR / f"{name}.m").is_file() and
                 _is_classdef(EXAMPLES_DIR / f"{name}.m")]
    echo(f"      network '{example.network_var}': {len(lgraph.layer_list())} layers"
         + (f"; custom layer classes translated from classdef files: {', '.join(customs)}" if customs else "")
         + (f" ({', '.join(classdefs)})" if classdefs else ""))
    for note in result.warnings:
        if "trainNetwork" in note or "XTrain" in note or "YTrain" in note or "XTest" in note:
            continue            # the data the script loads in MATLAB: the demo supplies it
        echo(f"      porter: {note}")
    echo("")

    echo(f"[2/5] analyzeNetwork({example.network_var})")
    analysis = analyzeNetwork(lgraph, Plots="none")
    echo(analysis.report().rstrip("\n"))
    if analysis.has_errors:
        return 1
    echo("")

    XTrain, YTrain, XTest, YTest, data_text = example.loader()
    echo(f"[3/5] Data: {data_text}")
    echo("")

    if options is None:
        options = trainingOptions("adam")
    if max_epochs is not None:
        options = options.copy(MaxEpochs=int(max_epochs))
    echo(f"[4/5] [net, info] = trainNetwork(XTrain, YTrain, {example.network_var}, options)  "
         f"% {options.SolverName}, MaxEpochs {options.MaxEpochs}, MiniBatchSize {options.MiniBatchSize}")
    net, info = trainNetwork(XTrain, YTrain, lgraph, options)
    predicted, _ = classify(net, XTest)
    accuracy = _accuracy(predicted, YTest)
    correct = int(round(accuracy * len(YTest) / 100))
    echo(f"Test accuracy: {accuracy:.2f}% ({correct} of {len(YTest)} test observations)")
    echo("")

    stem = Path(example.script).stem
    echo("[5/5] Writing the results")
    register_ported_classes(lgraph)
    spec_path = output / f"{stem}.json"
    save_spec(savable_graph(net), spec_path)
    weights_path = spec_path.with_suffix(".safetensors")
    reloaded = assembleNetwork(load_spec(spec_path))
    again, _ = classify(reloaded, XTest) if _classes_known(reloaded) else (None, None)
    same = again is not None and [str(a) for a in again] == [str(p) for p in predicted]
    progress_path = output / "training-progress.png"
    save_progress_figure(info, progress_path, f"Training progress: {stem} (test accuracy {accuracy:.1f}%)")
    drawing_path = output / "network.png"
    plot_layer_graph(lgraph, drawing_path, title=f"{stem}: {len(lgraph.layer_list())} layers", show_types=True,
                     show_sizes=True)
    echo(f"      {spec_path.name} + {weights_path.name}   trained network: JSON spec and weights"
         + ("  (reloaded: same test predictions)" if same else "  (WARNING: reloaded, it predicts differently)"))
    echo(f"      {progress_path.name}   training progress")
    echo(f"      {drawing_path.name}   the network drawing")
    elapsed = time.perf_counter() - start
    passed = accuracy > example.target
    echo("")
    verdict = "beats" if passed else "does NOT beat"
    echo(f"Done in {elapsed:.1f} s: test accuracy {accuracy:.2f}% {verdict} the {example.target:g}% target. "
         f"Results in {output.resolve()}")
    return 0 if passed else 1


def savable_graph(net):
    """The trained network as a LayerGraph for ``save_spec``: trained learnables, states and settable
    properties (Classes, ...) as they are; read-only properties resolved from the input sizes (such as
    a batch normalization layer's NumChannels) back at their defaults, since a spec does not store them
    and loading it resolves them again."""
    from .graph import LayerGraph, addLayers, connectLayers

    graph = LayerGraph()
    for layer in net.Layers:
        resets = {name: opt.default for name, opt in layer.options().items()
                  if not opt.settable and not opt.learnable and not opt.state}
        graph = addLayers(graph, layer.copy(**resets) if resets else layer)
    for src, sport, dst, dport in net._lg.graph.edge_list():
        graph = connectLayers(graph, f"{src}/{sport}", f"{dst}/{dport}")
    return graph


def _classes_known(net) -> bool:
    layer = net._lg.graph.layer(net._lg.graph.OutputNames[0])
    return getattr(layer, "Classes", "auto") != "auto"


def _is_classdef(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return False
    return any(line.strip().startswith("classdef") for line in head.splitlines())


# --------------------------------------------------------------------------------------------------
# Command line


def _listing() -> str:
    lines = ["bundled examples (MATLAB scripts in layergraph/examples/):"]
    width = max(len(n) for n in EXAMPLES)
    for name, ex in EXAMPLES.items():
        default = "  [default]" if name == "digits" else ""
        lines.append(f"  {name:<{width}}  {ex.script}: {ex.title}{default}")
    return "\n".join(lines)


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    import textwrap

    parser.description = textwrap.fill(
        "Port a bundled MATLAB script, analyse the network, train it on real data that ships with scikit-learn "
        "or aeon (offline), print MATLAB's training table and the test accuracy, and write the trained network "
        "(JSON spec + weights), the training-progress figure and a drawing of the network.", 88
    )
    parser.epilog = _listing()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("example", nargs="?", default="digits", choices=list(EXAMPLES), metavar="EXAMPLE",
                        help="which example to run: " + ", ".join(EXAMPLES) + " (default: digits)")
    parser.add_argument("-o", "--output", default=None,
                        help="output folder (default: ./layergraph-demo/EXAMPLE)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="override the script's MaxEpochs (for a quicker run)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads for the run (default 1: fastest for these small networks)")
    parser.add_argument("--list", action="store_true", help="list the bundled examples and exit")
    parser.add_argument("--write-digits", metavar="FOLDER", default=None,
                        help="write scikit-learn's digits as 28x28 PNGs in FOLDER/<label>/ (the data of "
                             "examples/matlab/digits_in_folders.m) and exit")
    return parser


def write_digit_folders(folder, size: int = 28, per_label: int | None = None) -> str:
    """scikit-learn's digits as ``folder/<label>/digit_NNNN.png`` (size×size grey), MATLAB's DigitDataset
    layout; see :func:`layergraph.data.example_data.write_digit_folders`."""
    from .data.example_data import write_digit_folders as write

    return write(folder, size, per_label)


def _handle(args) -> int:
    if args.list:
        print(_listing())
        return 0
    if args.write_digits is not None:
        try:
            folder = write_digit_folders(args.write_digits)
        except (OSError, ValueError) as exc:
            print(f"layergraph demo: cannot write the digits to '{args.write_digits}': {exc}", file=sys.stderr)
            return 2
        print(f"wrote the digits to {folder}/0 ... {folder}/9")
        return 0
    example = EXAMPLES[args.example]
    output = Path(args.output) if args.output else Path("layergraph-demo") / example.name
    if args.max_epochs is not None and args.max_epochs < 1:
        print("layergraph demo: --max-epochs must be a positive integer", file=sys.stderr)
        return 2
    if args.threads < 1:
        print("layergraph demo: --threads must be a positive integer", file=sys.stderr)
        return 2
    if "\x00" in str(output):
        print("layergraph demo: the output folder name contains a NUL character", file=sys.stderr)
        return 2
    if output.exists() and not output.is_dir():
        print(f"layergraph demo: the output folder '{output}' exists and is not a folder", file=sys.stderr)
        return 2
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"layergraph demo: cannot create the output folder '{output}': {exc.strerror or exc}", file=sys.stderr)
        return 2
    return run(example, output, max_epochs=args.max_epochs, num_threads=args.threads)


def add_commands(subparsers) -> None:
    """Add ``layergraph demo`` to the ``layergraph`` command (called by layergraph.cli)."""
    parser = subparsers.add_parser("demo", help="run the main example end to end (port, analyse, train, save)")
    configure_parser(parser)
    parser.set_defaults(func=_handle)


def main(argv=None) -> int:
    """``layergraph demo`` from Python: ``main(["resnet", "-o", "out"])``; returns the exit code."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = configure_parser(argparse.ArgumentParser(prog="layergraph demo"))
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    return _handle(args)


if __name__ == "__main__":
    sys.exit(main())
