"""Command-line pieces of the MATLAB porter, used by the ``layergraph`` command.

* ``add_commands(subparsers)`` adds ``layergraph port FILE.m [-o out.py] [--json out.json]
  [--var NAME=VALUE]... [--path DIR]...``;
* ``load_networks(path, workspace=None, search_path=None)`` returns ``{name: LayerGraph}`` for
  ``layergraph analyze FILE.m`` (and the other file commands).

``python -m layergraph.matlab.cli port FILE.m`` runs the port command on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import LayerGraphError, MatlabPortError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _say(text: str) -> None:
    """Print to standard error with control characters and ANSI escapes from the script shown escaped."""
    from ..textsafe import printable_message

    print(printable_message(text), file=sys.stderr)


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "port",
        help="port a MATLAB script: the whole program as Python (or only its networks)",
        description=(
            "Translate a MATLAB .m script or function file into a Python program that does what it does "
            "(every statement, MATLAB comments kept, each statement marked with its source line; MATLAB "
            "semantics through 'import layergraph.matlab.lang as ml'). With --networks-only (implied by "
            "--json, --var, --args and --entry), run the script in the porter's restricted interpreter and "
            "write Python that rebuilds every network it defines."
        ),
    )
    p.add_argument("file", help="the MATLAB script (.m)")
    p.add_argument("-o", "--output", help="write the Python script here (default: standard output)")
    p.add_argument("--json", metavar="OUT.json",
                   help="also write JSON network specs (one network: this file; several: OUT_<name>.json)")
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="set a variable the script cannot compute, VALUE in MATLAB syntax (e.g. numClasses=10)")
    p.add_argument("--path", action="append", default=[], metavar="DIR",
                   help="extra folder to search for function and classdef files (repeatable)")
    p.add_argument("--args", metavar="'V1, V2'",
                   help="function files: the main function's arguments, MATLAB expressions (e.g. '[32 32 3], 10')")
    p.add_argument("--entry", metavar="FUNCTION", help="run this local function of the file instead of the main one, or Class.method of a classdef file")
    p.add_argument("--max-elements", type=float, default=None, metavar="N",
                   help="largest array the porter allocates (ones, zeros, rand, repmat, ranges; default: "
                        "layergraph.limits max_porter_elements, 1e8)")
    p.add_argument("--skip-bad-statements", action="store_true",
                   help="skip statements with syntax errors instead of stopping (the port is then incomplete)")
    p.add_argument("--networks-only", action="store_true",
                   help="write only the networks the script builds (the porter's output before whole programs; implied by "
                        "--json, --var, --args, --entry and --skip-bad-statements)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    p.set_defaults(func=run_port)

    r = subparsers.add_parser(
        "run",
        help="run a MATLAB script or function file with real values",
        description=(
            "Execute a MATLAB .m script (or function file) as MATLAB would: every statement runs with real "
            "values (data, training, figures), statements without ';' display their values, and a run-time "
            "error prints MATLAB's report (exit status 1). MATLAB code may read and write files only under "
            "the script's folder, the current folder and --path folders; eval, system and py.* are refused."
        ),
    )
    r.add_argument("file", help="the MATLAB script or function file (.m)")
    r.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="initial workspace variable, VALUE in MATLAB syntax (e.g. numEpochs=2); the script may "
                        "overwrite it; for a function file, a parameter by name")
    r.add_argument("--args", metavar="'V1, V2'",
                   help="function files: the main function's arguments, MATLAB expressions (e.g. '[32 32 3], 10')")
    r.add_argument("--path", action="append", default=[], metavar="DIR",
                   help="extra folder searched for function files, also readable and writable (repeatable)")
    r.add_argument("--entry", metavar="FUNCTION", help="run this local function of the file instead of the main one")
    r.add_argument("--figures", metavar="DIR",
                   help="save the figures the script leaves open to DIR as PNG files (figure-1.png, ...); relative "
                        "file names in saveas/exportgraphics also go there")
    r.add_argument("--debug", action="store_true", help="on an error, also print the Python traceback")
    r.set_defaults(func=run_run)


def run_port(args) -> int:
    from .api import port

    if not Path(args.file).is_file():   # a usage problem, as for every other command
        print(f"layergraph port: {args.file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if not (getattr(args, "networks_only", False) or args.json or args.var or args.args or args.entry
            or getattr(args, "skip_bad_statements", False)):
        return run_port_program(args)
    try:
        result = port(args.file, path=args.path, var_specs=args.var,
                      max_elements=int(args.max_elements) if args.max_elements else None,
                      args=args.args, entry=args.entry, skip_bad_statements=args.skip_bad_statements)
    except MatlabPortError as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    except LayerGraphError as exc:
        _say(f"error: {args.file}: {exc}")
        return EXIT_ERROR
    if not args.quiet:
        for w in result.warnings:
            _say(w)
        for n in result.notes:
            _say(f"note: {n}")
    for e in result.errors:
        _say(f"error: {e}")
    if not result.networks:
        _say(f"warning: {args.file}: the script defines no network")
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(result.python_source)
        else:
            sys.stdout.write(result.python_source)
        if args.json:
            for path in result.save_json(args.json):
                _say(f"wrote {path}")
    except OSError as exc:
        _say(f"error: cannot write output ({exc.strerror or exc})")
        return EXIT_USAGE
    except MatlabPortError as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    except LayerGraphError as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    if not result.complete:
        for place in result.incomplete:
            _say(f"error: {place}")
        _say(f"error: {args.file}: the network may be incomplete (see above; supply the values with "
             "--var/--args)")
    return EXIT_ERROR if result.errors or not result.complete else EXIT_OK


def run_run(args) -> int:
    """``layergraph run FILE.m``: exit 0 when the script finishes, 1 on a MATLAB error, 2 on a usage error."""
    import traceback

    from ..errors import MatlabRuntimeError
    from .runner import RunUsageError, run

    if not Path(args.file).is_file():
        print(f"layergraph run: {args.file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    if args.figures:
        from ..figures import set_figures_folder

        os.makedirs(args.figures, exist_ok=True)
        set_figures_folder(args.figures)      # saveas/exportgraphics with relative names go there too
    try:
        run(args.file, args=args.args, path=args.path, entry=args.entry, var_specs=args.var,
            file_folders=[args.figures] if args.figures else [])
    except RunUsageError as exc:
        _say(f"layergraph run: {exc}")
        return EXIT_USAGE
    except MatlabRuntimeError as exc:
        sys.stdout.flush()
        if args.debug:
            traceback.print_exc()
        _say(str(exc))
        status = EXIT_ERROR
    except LayerGraphError as exc:
        sys.stdout.flush()
        if args.debug:
            traceback.print_exc()
        _say(f"Error: {exc}")
        status = EXIT_ERROR
    except KeyboardInterrupt:
        _say("Operation terminated by user.")
        return 130
    except Exception as exc:  # noqa: BLE001 - never a bare Python traceback unless --debug asks for it
        sys.stdout.flush()
        if args.debug:
            traceback.print_exc()
        _say(f"Error: internal error in the interpreter ({type(exc).__name__}: {exc}); rerun with --debug "
             "for the Python traceback")
        status = EXIT_ERROR
    if args.figures:
        status = _save_figures(args.figures) or status
    return status


def _save_figures(folder: str) -> int:
    """Save every open figure as DIR/figure-N.png (N: the figure's number)."""
    from ..errors import LayerGraphError as _Error
    from ..figures import save_open_figures

    try:
        os.makedirs(folder, exist_ok=True)
        save_open_figures(folder)
    except (OSError, _Error) as exc:
        _say(f"error: cannot save the figures to {folder} ({exc})")
        return EXIT_ERROR
    return EXIT_OK


def run_port_program(args) -> int:
    """``layergraph port FILE.m [-o OUT.py]``: the whole program; lists the functions found nowhere."""
    from .source import read_file
    from .translate import translate_source

    try:
        src = read_file(args.file)
        if src.syntax_errors:       # MATLAB runs no file with a syntax error: nothing is translated
            from .source import format_error

            for line, col, msg in src.syntax_errors:
                _say(f"error: {format_error(src, line, col, msg)}")
            return EXIT_ERROR
        result = translate_source(src, search_path=args.path)
    except MatlabPortError as exc:
        _say(f"error: {exc}")
        return EXIT_ERROR
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(result.python_source)
        else:
            sys.stdout.write(result.python_source)
    except OSError as exc:
        _say(f"error: cannot write output ({exc.strerror or exc})")
        return EXIT_USAGE
    if result.untranslated and not args.quiet:
        for where, why in result.untranslated:
            _say(f"{where}: warning: {why} (the program raises an error there)")
    if result.stubs:
        total = sum(len(v) for v in result.stubs.values())
        _say(f"note: {len(result.stubs)} function{'s' if len(result.stubs) != 1 else ''} defined nowhere (not in "
             f"the registry of MATLAB functions, the script or --path), {total} call{'s' if total != 1 else ''}; "
             "each raises an error when the program reaches it:")
        for name, places in sorted(result.stubs.items()):
            _say(f"  {name}: {len(places)} call{'s' if len(places) != 1 else ''} ({', '.join(places)})")
    return EXIT_OK


class PortedNetworks(dict):
    """``{name: LayerGraph}`` with ``incomplete``: the places where the port may be incomplete."""

    incomplete: tuple = ()


def load_networks(path, workspace=None, search_path=None, var_specs=None, args=None, entry=None,
                  skip_bad_statements=False, max_elements=None) -> dict:
    """``{variable name: LayerGraph}`` for every network the script builds, the primary network last
    (the last one passed to training, else the last returned or assigned).

    A file with syntax errors raises :class:`MatlabPortError` (``skip_bad_statements=True`` skips those
    statements instead); the result's ``incomplete`` lists where the port may be incomplete.
    """
    from .api import port

    result = port(path, workspace=workspace, path=search_path, var_specs=var_specs, args=args, entry=entry,
                  skip_bad_statements=skip_bad_statements, max_elements=max_elements)
    for e in result.errors:
        _say(f"error: {e}")
    if not result.networks:
        raise MatlabPortError(f"{path}: the script defines no network (no variable holds layers, a "
                              "LayerGraph or a network).")
    out = PortedNetworks(result.graphs())
    out.incomplete = tuple(result.incomplete)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="layergraph")
    sub = parser.add_subparsers(dest="command", required=True)
    add_commands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
