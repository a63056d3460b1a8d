"""``layergraph run``: run mode of the interpreter (real values, MATLAB errors, statement display, CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab import run

GOLDEN = Path(__file__).parent / "golden" / "matlab_run"


def val(x):
    a = np.asarray(x)
    if a.size == 1:
        return a.reshape(-1)[0].item()
    return a.tolist()


def fail(source, **kw) -> MatlabRuntimeError:
    with pytest.raises(MatlabRuntimeError) as info:
        run(source, **kw)
    return info.value


# ---- run mode basics ------------------------------------------------------------------------------------


def test_script_runs_and_returns_its_workspace():
    w = run("x = 3; y = x * 2 + 1; z = [1 2 3]; z(end + 1) = 4;")
    assert val(w["x"]) == 3 and val(w["y"]) == 7
    assert val(w["z"]) == [[1, 2, 3, 4]]


def test_workspace_and_var_specs_give_initial_values_the_script_may_overwrite():
    w = run("b = a + 1; a = 10;", workspace={"a": 2})
    assert val(w["b"]) == 3 and val(w["a"]) == 10
    w = run("b = n * 2;", var_specs=["n=[1 2]"])
    assert val(w["b"]) == [[2, 4]]


def test_function_file_with_args_returns_outputs(tmp_path):
    f = tmp_path / "scaled.m"
    f.write_text("function [y, n] = scaled(x, k)\n  y = x * k;\n  n = nargin;\nend\n")
    w = run(str(f), args="[1 2], 3")
    assert val(w["y"]) == [[3, 6]] and val(w["n"]) == 2
    w = run(str(f), args=[np.array([[2.0]])], var_specs=["k=5"])
    assert val(w["y"]) == 10


def test_unknown_function_is_an_error_not_an_opaque_value():
    exc = fail("a = 1;\nb = notAFunction(a);")
    assert exc.identifier == "MATLAB:UndefinedFunction"
    assert exc.message == "Undefined function 'notAFunction' for input arguments of type 'double'."
    assert exc.stack == [("<string>", "<string>", 2)] and exc.location == "<string>:2:5"
    exc = fail("b = q + 1;")
    assert exc.message == "Undefined function or variable 'q'."


def test_data_functions_really_run(tmp_path):
    # imageDatastore is registered data_free=False (the porter never calls it): run mode reads the folder
    from PIL import Image

    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(2 if label == "cat" else 3):
            Image.fromarray(np.full((4, 4), 10 * i, dtype=np.uint8)).save(tmp_path / label / f"{i}.png")
    script = tmp_path / "count.m"
    script.write_text("imds = imageDatastore(pwd0, 'IncludeSubfolders', true, 'LabelSource', 'foldernames');\n"
                      "n = numel(imds.Files);\n")
    w = run(str(script), workspace={"pwd0": str(tmp_path)})
    assert val(w["n"]) == 5


def test_eval_and_system_are_refused():
    exc = fail("eval('x = 1');")
    assert "not available" in exc.message
    exc = fail("system('ls');")
    assert "not available" in exc.message


# ---- errors: error(), MException, try/catch ------------------------------------------------------------


def test_error_with_identifier_and_format_is_caught_with_its_fields():
    w = run("try\n  error('pkg:id', 'value %d too big', 7);\ncatch ME\n  m = ME.message; i = ME.identifier;\n"
            "  s = ME.stack;\nend")
    assert w["m"] == "value 7 too big" and w["i"] == "pkg:id"
    assert val(w["s"].fields["line"]) == 2       # a 1x1 stack is a scalar struct


def test_error_with_one_argument_keeps_its_text_and_an_empty_message_does_nothing():
    w = run("try, error('50% done\\n'); catch e, m = e.message; end\nerror('');\nok = 1;")
    assert w["m"] == "50% done\\n" and val(w["ok"]) == 1


def test_error_struct_and_mexception_throw_rethrow_getreport_lasterr():
    src = ("s.message = 'from struct'; s.identifier = 'a:b';\n"
           "try, error(s); catch e1, m1 = e1.message; i1 = e1.identifier; end\n"
           "ME = MException('x:y', 'hello %s', 'world');\n"
           "try, throw(ME); catch e2, m2 = e2.message; r2 = getReport(e2); end\n"
           "try\n  try, v = [1 2]; q = v(3); catch inner, rethrow(inner); end\ncatch e3\n  m3 = e3.message;\nend\n"
           "last = lasterr;")
    w = run(src)
    assert (w["m1"], w["i1"]) == ("from struct", "a:b")
    assert w["m2"] == "hello world"
    assert w["r2"] == "Error using <string> (line 4)\nhello world"
    assert w["m3"] == w["last"]      # rethrow keeps the error; lasterr is the last one caught


def test_error_inside_local_function_names_it_with_the_file():
    exc = fail("r = check(3);\nfunction out = check(v)\n  error('check:big', 'too big: %d', v);\nend\n")
    assert exc.identifier == "check:big" and exc.message == "too big: 3"
    assert exc.stack == [("<string>", "check", 3), ("<string>", "<string>", 1)]
    assert str(exc) == ("Error using check (line 3)\ntoo big: 3\nError in <string> (line 1)\nr = check(3);")


def test_warning_prints_and_can_be_turned_off(capsys):
    run("warning('my:id', 'careful %d', 3);\nwarning('off', 'my:id');\nwarning('my:id', 'silent');\n"
        "[m, i] = lastwarn;")
    err = capsys.readouterr().err
    assert err.count("Warning: ") == 1 and "Warning: careful 3" in err


def test_assert_failure_messages():
    exc = fail("assert(1 == 2)")
    assert exc.message == "Assertion failed." and exc.identifier == "MATLAB:assertion:failed"
    exc = fail("assert(false, 'x:y', 'bad %d', 4)")
    assert exc.message == "bad 4" and exc.identifier == "x:y"


# ---- display ----------------------------------------------------------------------------------------------


def test_unterminated_statements_display_and_set_ans(capsys):
    w = run("x = 3\ny = 4;\nx + y\nx\n")
    out = capsys.readouterr().out
    assert out.count("x =") == 2 and "ans =" in out and "y =" not in out
    assert val(w["ans"]) == 7


def test_tic_toc_prints_elapsed_time(capsys):
    w = run("tic; t = toc; toc")
    out = capsys.readouterr().out
    import re
    assert re.fullmatch(r"Elapsed time is \d+\.\d{6} seconds\.\n", out)
    assert 0 <= val(w["t"]) < 60


# ---- the command line ---------------------------------------------------------------------------------------


def _cli(*argv, cwd=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1])] + sys.path))
    return subprocess.run([sys.executable, "-m", "layergraph.cli", *argv], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_cli_error_report_matches_golden(tmp_path):
    script = tmp_path / "demo_error.m"
    script.write_text("a = 2;\nb = scale(a)\nfunction y = scale(x)\n  y = helper(x) * 2;\nend\n"
                      "function z = helper(x)\n  error('demo:neg', 'x must be negative, got %d', x);\nend\n")
    r = _cli("run", str(script), cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr == (GOLDEN / "error_in_local_function.txt").read_text()


def test_cli_debug_adds_the_python_traceback(tmp_path, capsys):
    from layergraph.matlab.cli import main

    script = tmp_path / "s.m"
    script.write_text("x = [1 2 3];\ny = x(7);\n")
    assert main(["run", str(script)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.endswith("Error in s (line 2)\ny = x(7);\n")
    assert main(["run", str(script), "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "Error in s (line 2)" in err


def test_cli_runs_a_script_with_vars_and_exit_codes(tmp_path, capsys):
    from layergraph.matlab.cli import main

    script = tmp_path / "ok.m"
    script.write_text("y = n + 1\n")
    assert main(["run", str(script), "--var", "n=41"]) == 0
    assert capsys.readouterr().out.startswith("y =\n\n")
    assert main(["run", str(tmp_path / "missing.m")]) == 2
    assert main(["run", str(script), "--args", "1"]) == 2     # --args needs a function file


def test_file_policy_allows_the_script_folder_and_refuses_others(tmp_path):
    from layergraph.policy import PolicyError, active_policy, check_read

    seen = {}

    def probe():
        seen["policy"] = active_policy()

    script = tmp_path / "p.m"
    script.write_text("x = 1;\n")
    run(str(script))
    # inside a run the policy is active; outside it is not
    assert active_policy() is None
    from layergraph.matlab.runner import run_folders
    folders = run_folders(str(tmp_path), [])
    assert str(tmp_path) in folders and os.getcwd() in folders
    assert check_read(tmp_path / "p.m")  # unconfined from Python
    with pytest.raises(PolicyError):
        from layergraph.policy import confined
        with confined(folders):
            check_read("/etc/passwd", "load")


@pytest.mark.parametrize("source, identifier, message", [
    ("x = [1 2 3]; y = x(5);", "MATLAB:badsubscript",
     "Index exceeds the number of array elements. Index must not exceed 3."),
    ("x = [1 2 3]; y = x(0);", "MATLAB:badsubscript", "Array indices must be positive integers or logical values."),
    ("a = [1 2 3] + [1 2];", "MATLAB:sizeDimensionsMustMatch", "Arrays have incompatible sizes for this operation."),
    ("a = [1 2 3] == [1 2];", "MATLAB:sizeDimensionsMustMatch", "Arrays have incompatible sizes for this operation."),
    ("x = [1 2 3]; x([1 2]) = [1 2 3];", "MATLAB:subsassignnumelmismatch",
     "Unable to perform assignment because the left and right sides have a different number of elements."),
    ("a = [1 2; 3];", "MATLAB:catenate:dimensionMismatch", "Dimensions of arrays being concatenated are not consistent."),
    ("x = 1; y = x{1};", "MATLAB:cellRefFromNonCell", "Brace indexing is not supported for variables of this type."),
])
def test_operator_and_index_errors_use_matlab_wording(source, identifier, message):
    exc = fail(source)
    assert (exc.identifier, exc.message) == (identifier, message)


def test_error_in_script_statement_report_matches_golden(tmp_path):
    script = tmp_path / "sizes.m"
    script.write_text("a = [1 2 3];\nb = [4; 5];\nc = a * b;\n")
    with pytest.raises(MatlabRuntimeError) as info:
        run(str(script))
    assert str(info.value) + "\n" == (GOLDEN / "matrix_product_in_script.txt").read_text()


# ---- whole programs, options, policy ----------------------------------------------------------------------------


def test_training_script_runs_end_to_end(capsys):
    w = run("rng(0);\nX = rand(60, 4);\nY = categorical(mod((1:60)', 3));\n"
            "layers = [featureInputLayer(4), fullyConnectedLayer(3), softmaxLayer, classificationLayer];\n"
            "opts = trainingOptions('sgdm', 'MaxEpochs', 1, 'Verbose', false, 'MiniBatchSize', 20);\n"
            "net = trainNetwork(X, Y, layers, opts);\nYPred = classify(net, X);\n"
            "accuracy = sum(YPred == Y) / numel(Y)\n")
    expected = np.mean(np.array(w["YPred"].names()) == np.array(w["Y"].names()))
    assert val(w["accuracy"]) == pytest.approx(expected)
    assert capsys.readouterr().out.startswith("accuracy =\n")


def test_entry_runs_a_local_function(tmp_path):
    f = tmp_path / "tools.m"
    f.write_text("function main()\n  error('not this one');\nend\nfunction y = twice(x)\n  y = 2 * x;\nend\n")
    w = run(str(f), entry="twice", args="21")
    assert val(w["y"]) == 42


def test_figures_option_saves_open_figures(tmp_path, capsys):
    from layergraph.matlab.cli import main

    script = tmp_path / "fig.m"
    script.write_text("close all\nfigure\nplot(1:3, [1 4 9])\nsaveas(gcf, 'named.png')\n")
    out = tmp_path / "figs"
    assert main(["run", str(script), "--figures", str(out)]) == 0
    assert (out / "figure-1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "named.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"     # relative names go there too
    from layergraph.figures import set_figures_folder

    set_figures_folder(None)


def test_run_policy_confines_writes_to_the_script_folder_cwd_and_path(tmp_path, monkeypatch):
    from PIL import Image

    home = tmp_path / "project"
    other = tmp_path / "elsewhere"
    home.mkdir()
    other.mkdir()
    monkeypatch.chdir(home)
    script = home / "w.m"
    script.write_text(f"imwrite(zeros(2, 2), '{home / 'ok.png'}');\nimwrite(zeros(2, 2), '{other / 'no.png'}');\n")
    exc = fail(str(script))
    assert exc.using == "imwrite" and "not allowed" in exc.message and exc.stack[0][2] == 2
    with Image.open(home / "ok.png") as image:
        assert image.size == (2, 2) and not (other / "no.png").exists()
    run(str(script), path=[str(other)])          # a --path folder may be written
    assert (other / "no.png").exists()


def test_syntax_error_stops_before_anything_runs(tmp_path, capsys):
    script = tmp_path / "broken.m"
    script.write_text("disp(1)\nx = (1 + ;\n")
    exc = fail(str(script))
    assert exc.identifier == "MATLAB:syntaxError" and ":2:" in exc.location
    import re
    assert re.match(r"Error: File: broken\.m Line: 2 Column: \d+\nInvalid syntax", str(exc))
    assert capsys.readouterr().out == ""           # disp(1) did not run
