"""examples/matlab/custom_loop_digits.m, gan_digits.m and pinn.m run unmodified with layergraph run
(shortened through workspace settings the scripts read when given) and do what they are for."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from layergraph.demo import write_digits_mat
from layergraph.matlab import run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "matlab"


@pytest.fixture(autouse=True)
def _close_monitors():
    """Training progress monitors a script opens are forgotten after the test (drawnow redraws open ones)."""
    from layergraph.dl import monitor

    before = list(monitor._MONITORS)
    yield
    monitor._MONITORS[:] = before


@pytest.fixture(scope="module")
def digits_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    write_digits_mat(folder)
    return folder


def test_custom_loop_script_learns_the_digits(digits_folder, monkeypatch, capsys):
    monkeypatch.chdir(digits_folder)                 # load digitsTrain.mat reads the current folder
    ws = run(EXAMPLES / "custom_loop_digits.m", workspace={"numEpochs": 2})
    out = capsys.readouterr().out
    epochs = re.findall(r"Epoch (\d+), iteration (\d+), loss ([0-9.]+)", out)
    assert [(e, i) for e, i, _ in epochs] == [("1", "22"), ("2", "44")]     # floor(1437/64) = 22 per epoch
    assert all(float(loss) < np.log(10) for _, _, loss in epochs)         # below chance level (-log 1/10)
    accuracy = float(np.asarray(ws["accuracy"]).reshape(-1)[0])
    assert accuracy >= 0.8                                                 # 2 epochs; chance is 0.1
    assert f"Test accuracy: {accuracy:.4f}" in out
    assert type(ws["net"]).__name__ == "Network" and ws["iteration"].tolist() == [[44.0]]


def test_gan_script_trains_both_networks_for_every_minibatch(digits_folder, monkeypatch):
    monkeypatch.chdir(digits_folder)
    ws = run(EXAMPLES / "gan_digits.m", workspace={"numEpochs": 1})
    assert ws["iteration"].tolist() == [[22.0]] and ws["numIterations"].tolist() == [[22.0]]
    assert float(np.asarray(ws["monitor"].Progress).reshape(-1)[0]) == pytest.approx(100.0)
    generated = np.asarray(ws["XGenerated"])
    assert generated.shape == (64, 25) and np.all((generated >= 0) & (generated <= 1))   # sigmoid outputs
    for name in ("lossG", "lossD"):
        assert np.isfinite(np.asarray(ws[name])).all()


def test_pinn_script_solves_the_poisson_problem(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ws = run(EXAMPLES / "pinn.m", workspace={"numAdamIterations": 300, "numLBFGSIterations": 20})
    x = np.asarray(ws["XTest"]).reshape(-1)
    u = np.asarray(ws["UTest"]).reshape(-1)
    assert np.abs(u - np.sin(np.pi * x)).max() < 0.02          # the exact solution of u'' = -pi^2 sin(pi x)
    adam_loss = float(np.asarray(ws["loss"]).reshape(-1)[0])
    assert ws["solverState"].Loss < adam_loss                   # L-BFGS improved on Adam's last loss
    assert "Max error against sin(pi x):" in capsys.readouterr().out


def _ported(script: Path, prelude: str, folder: Path) -> Path:
    """``layergraph port`` of the script (the whole program), with settings given by a first line that the
    script's exist() guards keep; the emitted Python file."""
    from layergraph.matlab.source import read_file
    from layergraph.matlab.translate import translate_source

    source = folder / script.name
    source.write_text(prelude + "\n" + script.read_text())
    program = folder / (script.stem + ".py")
    program.write_text(translate_source(read_file(str(source))).python_source)
    return program


def test_ported_programs_run_with_plain_python(digits_folder):
    """custom_loop_digits.m, gan_digits.m and pinn.m ported (the whole program) and run by python."""
    import os
    import subprocess
    import sys

    programs = [_ported(EXAMPLES / "custom_loop_digits.m", "numEpochs = 1;", digits_folder),
                _ported(EXAMPLES / "gan_digits.m", "numEpochs = 1;", digits_folder),
                _ported(EXAMPLES / "pinn.m", "numAdamIterations = 300; numLBFGSIterations = 20;", digits_folder)]
    # one python process runs the emitted programs as `python prog.py` would (run_name "__main__")
    driver = "import runpy, sys\nfor p in sys.argv[1:]:\n    runpy.run_path(p, run_name='__main__')\n"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", driver, *map(str, programs)], cwd=digits_folder,
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"Epoch 1, iteration 22, loss [0-9.]+", done.stdout)
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", done.stdout).group(1))
    assert accuracy >= 0.7                                     # one epoch; chance is 0.1
    assert list(digits_folder.glob("training-progress*.png"))  # the GAN's monitor drew its figure
    adam, lbfgs = (float(v) for v in re.findall(r"loss ([0-9.]+e[+-][0-9]+)", done.stdout))
    error = float(re.search(r"Max error against sin\(pi x\): ([0-9.]+)", done.stdout).group(1))
    assert lbfgs < adam and error < 0.05                       # PINN: L-BFGS improves; close to sin(pi x)
