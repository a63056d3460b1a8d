"""Command-line rough edges: missing files are usage errors (exit 2) in every command, each message is
printed once, and an empty spec is invalid (exit 1) in every command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run(args, cwd):
    return subprocess.run([sys.executable, "-m", "layergraph.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args", [["validate", "nope.json"], ["analyze", "nope.json"], ["plot", "nope.json"],
                                  ["validate", "nope.m"], ["analyze", "nope.m"], ["port", "nope.m"],
                                  ["import", "nope.mat"]])
def test_missing_files_exit_2_with_one_message(tmp_path, args):
    proc = run(args, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("no such file") == 1 and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("command", [["validate"], ["analyze"], ["plot", "-o", "out.png"]])
def test_an_empty_spec_is_invalid_everywhere(tmp_path, command):
    (tmp_path / "empty.json").write_text(json.dumps({"format": "layergraph-network", "version": 1, "layers": []}))
    proc = run([command[0], "empty.json", *command[1:]], tmp_path)
    assert proc.returncode == 1
    assert (proc.stdout + proc.stderr).count("it has no layers") == 1
    assert not (tmp_path / "out.png").exists()
