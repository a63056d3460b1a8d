"""Start-up time of the ``layergraph`` command: ``--help``, ``schema`` (cached and not) and ``import layergraph``.

    python benchmarks/bench_cli_startup.py [--rounds 5]

Each command runs in a fresh interpreter; the table shows the median wall time and whether torch was
imported. ``schema`` runs once with an empty cache folder (it builds the schema from the layer
registry, importing torch) and then from the cache. Times depend on the machine's load: compare the
rows of one run, not runs on different days.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time(code: str, env: dict, rounds: int) -> tuple[float, str]:
    times, last = [], ""
    for _ in range(rounds):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        times.append(time.perf_counter() - start)
        last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    return statistics.median(times), last


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    cache = tempfile.mkdtemp(prefix="layergraph-cache-")
    env = dict(os.environ, PYTHONPATH=str(ROOT), LAYERGRAPH_CACHE=cache)
    report = "import sys; print('torch' if 'torch' in sys.modules else 'no torch')"
    quiet = "import io, contextlib\nbuf = io.StringIO()\nwith contextlib.redirect_stdout(buf):\n"
    cases = [
        ("python -c pass", "pass\nprint('no torch')", 1),
        ("import layergraph", "import layergraph\n" + report, 1),
        ("layergraph --help", "from layergraph.cli import main\n" + quiet + "    main(['--help'])\n" + report, 1),
        ("layergraph schema (first: builds)", "from layergraph.cli import main\n" + quiet + "    main(['schema'])\n" + report, 0),
        ("layergraph schema (cached)", "from layergraph.cli import main\n" + quiet + "    main(['schema'])\n" + report, 1),
        ("from layergraph import *", "from layergraph import *\n" + report, 1),
    ]
    print(f"{'command':<36} {'median s':>9}  torch")
    for name, code, repeat in cases:
        seconds, torch_state = _time(code, env, args.rounds if repeat else 1)
        print(f"{name:<36} {seconds:>9.2f}  {torch_state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
