"""The ``layergraph`` command: validate, analyze, plot network files and print the spec schema.

    layergraph validate FILE          check a network (exit 0 valid, 1 invalid, 2 usage/unreadable)
    layergraph analyze FILE           print the analyzeNetwork report
    layergraph plot FILE -o net.png   draw the layer graph top to bottom (.png, .svg or .pdf)
    layergraph schema [-o FILE]       print the JSON Schema of network specs
    layergraph import net.mat [-o net.json]   a trained MATLAB network -> JSON spec + .safetensors weights
    layergraph import model.onnx [-o net.json] an ONNX model as MATLAB layers -> JSON spec + weights

FILE is a JSON network spec (``.json``, or ``-`` for standard input) or any file type a plugin adds a
loader for (a MATLAB script ``.m`` once ``layergraph.matlab.cli`` exists).

Plugins: for each module in :data:`PLUGIN_MODULES` that exists, ``add_commands(subparsers)`` is called
so the module can add its own subcommands (each sets ``func=handler`` with
``parser.set_defaults(func=...)``; a handler takes the argparse namespace and returns the exit code).
A plugin adds file types with :func:`register_file_loader` (or by defining ``FILE_LOADERS``, a dict
from suffix to loader); a loader takes a path and returns ``{name: LayerGraph or layer array}``.
``layergraph.matlab.cli.load_networks`` is used for ``.m`` files when that module defines it.
"""

from __future__ import annotations

import argparse
import contextvars
import importlib
import json
import math
import sys
from pathlib import Path
from typing import Callable

from .errors import LayerGraphError
from .spec.errors import SpecError, SpecFileError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

#: Modules that may add subcommands and file loaders; a missing module is skipped silently.
PLUGIN_MODULES = ("layergraph.matlab.cli", "layergraph.demo", "layergraph.networks.pretrained.cli")

#: Suffixes whose loader is a plugin module's ``load_networks`` function.
PLUGIN_SUFFIXES = {"layergraph.matlab.cli": (".m",)}

_FILE_LOADERS: dict[str, Callable] = {}


class UsageError(Exception):
    """A bad command line or a file that cannot be read (exit code 2)."""


def register_file_loader(suffix: str, loader: Callable) -> None:
    """Load files ending in ``suffix`` (e.g. ``'.m'``) with ``loader(path) -> {name: network}``."""
    suffix = suffix.lower()
    if not suffix.startswith("."):
        suffix = "." + suffix
    _FILE_LOADERS[suffix] = loader


_PARTIAL_WEIGHTS = contextvars.ContextVar("layergraph_cli_partial_weights", default=False)


def _load_json(path: str) -> dict:
    from .spec import load_spec

    partial = _PARTIAL_WEIGHTS.get()
    if path == "-":   # weights of a spec on standard input resolve in the current folder
        return {"stdin": load_spec(sys.stdin.read(), partial_weights=partial)}
    return {Path(path).stem: load_spec(Path(path), partial_weights=partial)}


register_file_loader(".json", _load_json)


def _load_mat(path: str) -> dict:
    from .io.mat import load_networks

    return load_networks(path)


register_file_loader(".mat", _load_mat)


def _load_onnx(path: str) -> dict:
    from .io.onnx.importer import load_networks

    return load_networks(path)


register_file_loader(".onnx", _load_onnx)


def _plugin_missing(module: str, exc: ModuleNotFoundError) -> bool:
    """True when the ImportError is about ``module`` itself (or a parent package), not something it imports."""
    missing = getattr(exc, "name", None) or ""
    return bool(missing) and (module == missing or module.startswith(missing + "."))


def _import_plugin(module_name: str):
    """Import a plugin module. One inside layergraph is loaded from its file without importing its parent
    packages (``layergraph.matlab``, ``layergraph.networks.pretrained`` import torch), so ``layergraph
    --help`` starts fast; a plugin imports what its commands need when they run."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    root = Path(__file__).resolve().parent
    parts = module_name.split(".")
    path = root.joinpath(*parts[1:]).with_suffix(".py") if parts[0] == "layergraph" and len(parts) > 1 else None
    if path is None or not path.is_file():
        return importlib.import_module(module_name)
    from importlib import util as import_util

    spec = import_util.spec_from_file_location(module_name, path)
    module = import_util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _load_plugins(subparsers, warnings: list) -> None:
    for module_name in PLUGIN_MODULES:
        try:
            module = _import_plugin(module_name)
        except ModuleNotFoundError as exc:
            if _plugin_missing(module_name, exc):
                continue
            warnings.append(f"plugin {module_name} could not be loaded: {exc}")
            continue
        except Exception as exc:  # a broken plugin must not take the other commands down
            warnings.append(f"plugin {module_name} could not be loaded: {type(exc).__name__}: {exc}")
            continue
        add = getattr(module, "add_commands", None)
        if add is not None:
            try:
                add(subparsers)
            except Exception as exc:
                warnings.append(f"plugin {module_name} could not add its commands: {type(exc).__name__}: {exc}")
        for suffix, loader in (getattr(module, "FILE_LOADERS", None) or {}).items():
            register_file_loader(suffix, loader)
        loader = getattr(module, "load_networks", None)
        if loader is not None:
            for suffix in PLUGIN_SUFFIXES.get(module_name, ()):
                if suffix not in _FILE_LOADERS:
                    register_file_loader(suffix, loader)


def load_file(path: str, network: str | None = None, *, every: bool = False, options: dict | None = None) -> dict:
    """``{name: network}`` from a file through the loader for its suffix.

    ``network`` selects one by name; otherwise a file that defines several (a MATLAB script building
    ``layers`` and then ``lgraph``) gives its last one, or all of them with ``every=True``.

    ``options``: keyword arguments for the loader (the MATLAB porter's var_specs, args, path, entry);
    given only when set.

    Raises UsageError (exit 2) for a missing/unreadable file or an unsupported type; the loaders'
    LayerGraphErrors (exit 1) pass through.
    """
    if path != "-":
        p = Path(path)
        if not p.exists():
            raise UsageError(f"{path}: no such file")
        if p.is_dir():
            raise UsageError(f"{path}: is a directory, not a network file")
        suffix = p.suffix.lower()
        loader = _FILE_LOADERS.get(suffix)
        if loader is None:
            supported = ", ".join(sorted(_FILE_LOADERS))
            raise UsageError(f"{path}: unsupported file type '{suffix or p.name}' (supported: {supported})")
    else:
        loader = _FILE_LOADERS[".json"]
    options = {k: v for k, v in (options or {}).items() if v}
    if options and path != "-" and Path(path).suffix.lower() != ".m":
        raise UsageError(f"{path}: --var, --args, --path, --entry, --skip-bad-statements and --max-elements "
                         "apply to MATLAB .m files only")
    try:
        networks = loader(path, **options) if options else loader(path)
    except SpecFileError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not isinstance(networks, dict):
        networks = {Path(path).stem: networks}
    _report_incomplete(path, getattr(networks, "incomplete", None))
    if network is not None:
        if network not in networks:
            names = ", ".join(networks) or "none"
            raise UsageError(f"{path}: no network named '{network}' (networks in the file: {names})")
        return {network: networks[network]}
    if not networks:
        raise LayerGraphError(f"{path}: the file defines no network")
    if len(networks) > 1 and not every:
        name = list(networks)[-1]
        networks = {name: networks[name]}
    for name, net in networks.items():
        if _layer_count(net) == 0:   # an empty spec is invalid for every command
            raise LayerGraphError(f"{path}: invalid network{'' if len(networks) == 1 else f' {name!r}'}: it has no layers")
    return networks


#: places where the last .m file loaded may be incomplete (an undecidable branch changing a network, a
#: placeholder for an unknown function, skipped syntax errors); validate/analyze/plot then exit 1
_INCOMPLETE = contextvars.ContextVar("layergraph_cli_incomplete", default=())


def _report_incomplete(path: str, places) -> None:
    _INCOMPLETE.set(tuple(places or ()))
    for place in places or ():
        print(f"error: {place}", file=sys.stderr)
    if places:
        print(f"error: {path}: the network may be incomplete (see above; supply the values with --var/--args)",
              file=sys.stderr)


def _incomplete_status(status: int) -> int:
    return EXIT_INVALID if _INCOMPLETE.get() else status


def _layer_count(net) -> int:
    layers = getattr(net, "Layers", net)
    try:
        return len(layers)
    except TypeError:
        return 1


# --------------------------------------------------------------------------------------------------
# Commands


def _target(net, requested: str) -> str:
    from .analysis import default_target

    return default_target(net) if requested == "auto" else requested


def _analyze(net, target: str):
    from .analysis import analyzeNetwork

    return analyzeNetwork(net, Plots="none", TargetUsage=_target(net, target))


def _count(n) -> str:
    return f"{int(n):,}"


def _label(args, name) -> str:
    return args.file if args.network or Path(args.file).suffix.lower() == ".json" or args.file == "-" else f"{args.file} ({name})"


def cmd_validate(args) -> int:
    networks = load_file(args.file, args.network, every=args.all, options=_port_options(args))
    status = EXIT_OK
    for name, net in networks.items():
        label = _label(args, name)
        analysis = _analyze(net, args.target)
        layers = len(analysis.LayerInfo)
        edges = len(analysis.graph.edge_list())
        errors = [i for i in analysis.Issues if i.Severity == "Error"]
        warnings = [i for i in analysis.Issues if i.Severity != "Error"]
        if errors:
            status = EXIT_INVALID
            print(f"{label}: invalid network for {analysis.target} ({len(errors)} error{'s' if len(errors) != 1 else ''}"
                  f"{', ' + str(len(warnings)) + ' warning' + ('s' if len(warnings) != 1 else '') if warnings else ''}):")
        else:
            total = analysis.TotalLearnables
            learn = "" if isinstance(total, float) and math.isnan(total) else f", {_count(total)} learnables"
            print(f"{label}: valid network for {analysis.target} ({layers} layers, {edges} connections{learn})")
        for issue in errors + warnings:
            text = str(issue).splitlines()
            print(f"  {issue.Severity}: {text[0]}")
            for line in text[1:]:
                print(f"  {line}")
    return _incomplete_status(status)


def cmd_analyze(args) -> int:
    networks = load_file(args.file, args.network, every=args.all, options=_port_options(args))
    status = EXIT_OK
    for i, (name, net) in enumerate(networks.items()):
        if len(networks) > 1:
            print(("\n" if i else "") + f"== {name} ==")
        analysis = _analyze(net, args.target)
        sys.stdout.write(analysis.report())
        if analysis.has_errors:
            status = EXIT_INVALID
    return _incomplete_status(status)


def _package_fingerprint() -> str:
    """A digest of every source file of the installed package (path, size, mtime): it changes whenever a
    layer (and so the schema) can have changed. Costs a few milliseconds, imports nothing."""
    import hashlib

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()[:20]


def _schema_cache_path() -> Path:
    import os

    base = os.environ.get("LAYERGRAPH_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "layergraph" / f"schema-{_package_fingerprint()}.json"


def schema_text_cached() -> str:
    """The spec schema (``layergraph.spec.schema.schema_text()``) without importing torch when it can:
    generated once per version of the package's source and kept in the user's cache folder
    (``$LAYERGRAPH_CACHE``, ``$XDG_CACHE_HOME/layergraph`` or ``~/.cache/layergraph``)."""
    cache = _schema_cache_path()
    try:
        return cache.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    from .spec.schema import schema_text

    text = schema_text()
    try:   # best effort: a read-only home still gets its schema, just not faster next time
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{id(text)}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass
    return text


def cmd_schema(args) -> int:
    text = schema_text_cached()
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write ({exc.strerror or exc})") from None
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_import(args) -> int:
    """``layergraph import net.mat [-o net.json]``: the network in a .mat file as a spec + weights."""
    from .spec import save_spec

    networks = load_file(args.file, args.network, options=_port_options(args))
    (name, net), = networks.items()
    output = Path(args.output) if args.output else Path(Path(args.file).stem + ".json")
    if output.suffix.lower() != ".json":
        raise UsageError(f"{output}: the spec must be a .json file")
    try:
        save_spec(net, output)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror or exc})") from None
    weights = output.with_suffix(".safetensors")
    print(f"{output}: network '{name}' from {args.file}" + (f" (weights in {weights})" if weights.exists() else ""))
    return EXIT_OK


PLOT_FORMATS = (".png", ".svg", ".pdf")


def cmd_plot(args) -> int:
    from .figures import figures_folder

    output = Path(args.output) if args.output else Path(Path(args.file).stem + ".png")
    if not output.is_absolute():          # pictures go to the figures folder (--figures; default: here)
        output = figures_folder() / output
    if output.suffix.lower() not in PLOT_FORMATS:
        raise UsageError(f"{output}: unsupported image type '{output.suffix}' (use {', '.join(PLOT_FORMATS)})")
    networks = load_file(args.file, args.network, options=_port_options(args))
    (name, net), = networks.items()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("plot needs matplotlib: pip install 'layergraph[plot]'") from None
    from .graph import layerGraph
    from .spec.plot import plot_layer_graph

    analysis = _analyze(net, args.target)
    bad = {i.Layer for i in analysis.Issues if i.Severity == "Error" and i.Layer}
    try:
        plot_layer_graph(layerGraph(net), output, highlight=bad, title=args.title, show_types=not args.names_only,
                         show_sizes=args.sizes)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror or exc})") from None
    print(f"{output}: {len(analysis.LayerInfo)} layers drawn" + (f" ({len(bad)} with errors, in red)" if bad else ""))
    return _incomplete_status(EXIT_INVALID if analysis.has_errors else EXIT_OK)


# --------------------------------------------------------------------------------------------------
# Parser


def _file_arguments(parser) -> None:
    parser.add_argument("file", metavar="FILE", help="network file: a JSON spec (.json, '-' for stdin) or a plugin's type (.m)")
    parser.add_argument("--network", metavar="NAME",
                        help="the network to use when FILE defines several (default: the last one it defines)")
    parser.add_argument(
        "--target", choices=("auto", "trainNetwork", "dlnetwork"), default="auto",
        help="analyse for trainNetwork or dlnetwork (default auto: dlnetwork when there is no output layer)",
    )
    parser.add_argument("--partial-weights", action="store_true",
                        help="accept a weights file that lacks some learnables (they are initialised afresh)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help=".m files: a variable or function parameter, VALUE in MATLAB syntax (repeatable)")
    parser.add_argument("--args", metavar="'V1, V2'", help=".m function files: the main function's arguments")
    parser.add_argument("--path", action="append", default=[], metavar="DIR",
                        help=".m files: extra folder searched for function and classdef files (repeatable)")
    parser.add_argument("--entry", metavar="FUNCTION", help=".m files: the local function (or Class.method) to run")
    parser.add_argument("--skip-bad-statements", action="store_true",
                        help=".m files: skip statements with syntax errors instead of stopping (the port is "
                             "then incomplete)")
    parser.add_argument("--max-elements", type=float, metavar="N",
                        help=".m files: largest array the porter allocates (default: layergraph.limits "
                             "max_porter_elements, 1e8)")


def _port_options(args) -> dict:
    max_elements = getattr(args, "max_elements", None)
    return {"var_specs": getattr(args, "var", None), "args": getattr(args, "args", None),
            "search_path": getattr(args, "path", None), "entry": getattr(args, "entry", None),
            "skip_bad_statements": getattr(args, "skip_bad_statements", False),
            "max_elements": int(max_elements) if max_elements else None}


def _figures_argument(parser, suppress: bool = False) -> None:
    """--figures DIR: the folder figure images go to (layergraph.set_figures_folder); global, and repeated on
    commands that draw so it may follow the command name."""
    kwargs = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("--figures", metavar="DIR", help="folder for figure images (default: the current folder, "
                        "or $LAYERGRAPH_FIGURES)", **kwargs)


def apply_figures_option(args) -> None:
    """Set the figures folder from --figures DIR (created if missing)."""
    folder = getattr(args, "figures", None)
    if folder:
        from .figures import set_figures_folder

        path = Path(folder).expanduser()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--figures {folder}: cannot create the folder ({exc.strerror or exc})") from None
        set_figures_folder(path)


def build_parser(warnings: list | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layergraph",
        description="MATLAB Deep Learning Toolbox networks as data: validate, analyse and plot network files.",
        epilog="Exit codes: 0 valid, 1 invalid network, 2 usage error or unreadable file.",
    )
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for unexpected errors")
    _figures_argument(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="check a network file", description=(
        "Load FILE and check the network as analyzeNetwork does. Prints the problems found. "
        "Exit 0 when valid, 1 when invalid, 2 when FILE cannot be read."))
    _file_arguments(p)
    p.add_argument("--all", action="store_true", help="check every network FILE defines, not only the last")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("analyze", help="print the analyzeNetwork report", description=(
        "Print MATLAB's analyzeNetwork report of FILE: layers, activation sizes, learnables and issues. "
        "Exit 1 when the network has errors."))
    _file_arguments(p)
    p.add_argument("--all", action="store_true", help="analyse every network FILE defines, not only the last")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("schema", help="print the JSON Schema of network specs", description=(
        "Print the JSON Schema of the network spec format, generated from the registered layers."))
    p.add_argument("-o", "--output", metavar="FILE", help="write the schema to FILE instead of standard output")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("plot", help="draw the layer graph (png, svg, pdf)", description=(
        "Draw FILE's layer graph top to bottom, like MATLAB's plot(lgraph); layers with errors are red."))
    _file_arguments(p)
    p.add_argument("-o", "--output", metavar="IMAGE", help="image to write: .png, .svg or .pdf (default FILE's name .png)")
    p.add_argument("--title", help="a title above the drawing")
    p.add_argument("--names-only", action="store_true", help="label layers with their names only (default: name and type)")
    p.add_argument("--sizes", action="store_true", help="add each layer's output activation size to its label")
    _figures_argument(p, suppress=True)
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("import", help="a trained MATLAB network (.mat) or an ONNX model as a JSON spec + weights",
                       description=(
        "Read the network saved in a MATLAB .mat file (SeriesNetwork, DAGNetwork, dlnetwork, LayerGraph or a "
        "layer array), or an ONNX model (.onnx, as importNetworkFromONNX reads it), and write it as a JSON spec "
        "with its learned values in a .safetensors file beside it. Nothing in the file is ever run."))
    p.add_argument("file", metavar="FILE", help="a .mat or .onnx file")
    p.add_argument("--network", metavar="NAME", help="the variable to import when the file holds several networks")
    p.add_argument("-o", "--output", metavar="SPEC", help="the spec to write (default: FILE's name with .json)")
    p.set_defaults(func=cmd_import)

    _load_plugins(sub, warnings if warnings is not None else [])
    return parser


def main(argv=None) -> int:
    warnings: list = []
    parser = build_parser(warnings)
    argv = list(sys.argv[1:] if argv is None else argv)
    for message in warnings:
        print(f"layergraph: warning: {message}", file=sys.stderr)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) and usage errors (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    _PARTIAL_WEIGHTS.set(bool(getattr(args, "partial_weights", False)))
    # the figures module (matplotlib, torch) is imported only by the commands that draw
    loaded = sys.modules.get("layergraph.figures")
    previous_folder = loaded._FOLDER if loaded is not None else None
    try:
        apply_figures_option(args)
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"layergraph {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LayerGraphError as exc:
        print(f"layergraph {args.command}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"layergraph {args.command}: internal error ({type(exc).__name__}: {exc}). "
            "Run with --debug for the traceback and please report it.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    finally:
        figures = sys.modules.get("layergraph.figures")
        if figures is not None:
            figures.set_figures_folder(previous_folder)


if __name__ == "__main__":
    sys.exit(main())
