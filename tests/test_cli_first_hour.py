"""Command-line rough edges: missing files are usage errors (exit 2) in every command, each message is
printed once, and an empty spec is invalid (exit 1) in every command."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from layergraph.cli import main


def run(args, cwd, capsys, monkeypatch):
    monkeypatch.chdir(cwd)
    code = main(list(args))
    captured = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)


@pytest.mark.parametrize("args", [["validate", "nope.json"], ["analyze", "nope.json"], ["plot", "nope.json"],
                                  ["validate", "nope.m"], ["analyze", "nope.m"], ["port", "nope.m"],
                                  ["import", "nope.mat"]])
def test_missing_files_exit_2_with_one_message(tmp_path, args, capsys, monkeypatch):
    proc = run(args, tmp_path, capsys, monkeypatch)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("no such file") == 1 and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("command", [["validate"], ["analyze"], ["plot", "-o", "out.png"]])
def test_an_empty_spec_is_invalid_everywhere(tmp_path, command, capsys, monkeypatch):
    (tmp_path / "empty.json").write_text(json.dumps({"format": "layergraph-network", "version": 1, "layers": []}))
    proc = run([command[0], "empty.json", *command[1:]], tmp_path, capsys, monkeypatch)
    assert proc.returncode == 1
    assert (proc.stdout + proc.stderr).count("it has no layers") == 1
    assert not (tmp_path / "out.png").exists()
