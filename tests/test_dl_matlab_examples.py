"""The custom-loop scripts of examples/matlab/ run unmodified with layergraph run (shortened through
workspace settings the scripts read when given) and do what they are for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from layergraph.matlab import run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "matlab"


@pytest.fixture(autouse=True)
def _close_monitors():
    """Training progress monitors a script opens are forgotten after the test (drawnow redraws open ones)."""
    from layergraph.dl import monitor

    before = list(monitor._MONITORS)
    yield
    monitor._MONITORS[:] = before


def test_pinn_script_solves_the_poisson_problem(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ws = run(EXAMPLES / "pinn.m", workspace={"numAdamIterations": 300, "numLBFGSIterations": 20})
    x = np.asarray(ws["XTest"]).reshape(-1)
    u = np.asarray(ws["UTest"]).reshape(-1)
    assert np.abs(u - np.sin(np.pi * x)).max() < 0.02          # the exact solution of u'' = -pi^2 sin(pi x)
    adam_loss = float(np.asarray(ws["loss"]).reshape(-1)[0])
    assert ws["solverState"].Loss < adam_loss                   # L-BFGS improved on Adam's last loss
    assert "Max error against sin(pi x):" in capsys.readouterr().out
