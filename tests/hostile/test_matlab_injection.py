"""No code from the script reaches the generated Python: names, file names, option values and comments
are repr() literals or escaped one-line comments; function handles are code generated from their tree."""

from __future__ import annotations

import ast
import os

import pytest

from layergraph.matlab import port

from matlab_audit import audited

NASTY = [
    "plain",
    "quote'single",
    'quote"double',
    'triple"""quote',
    "triple'''quote",
    "new\nline",
    "x\nimport os\nos.system(\"touch INJ\")\n#",
    "back\\slash\\",
    "nul\x00byte",
    "line\u2028separator",
    "para\u2029separator",
    "carriage\rreturn",
    "esc\x1b[31mred",
    "tab\there",
    "ends with backslash \\",
]


def _matlab_text(s: str) -> str:
    """A MATLAB expression building the char vector s (char codes, so any character is possible)."""
    return "char([" + " ".join(str(ord(c)) for c in s) + "])"


def _string_constants(tree) -> list[str]:
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


ALLOWED_CALLS = {"featureInputLayer", "fullyConnectedLayer", "reluLayer", "functionLayer", "layerGraph",
                 "connectLayers", "addLayers", "MatlabLambda", "float", "dlnetwork", "assembleNetwork"}


def _check_calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                assert f.id in ALLOWED_CALLS, ast.dump(node)[:200]
            else:
                assert isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "mfun", \
                    ast.dump(node)[:200]
        assert not isinstance(node, (ast.Import,)) or all(a.name in ("torch", "numpy") for a in node.names)


def _run_generated(source, tmp_path, monkeypatch):
    """Execute the generated script in an empty folder; nothing may start, import or write."""
    monkeypatch.chdir(tmp_path)
    code = compile(source, "generated.py", "exec")
    ns: dict = {}
    exec(code, ns)          # warm-up: the generated imports (layergraph) happen here
    with audited() as events:
        exec(code, {})
    assert [e for e in events if e[0] != "import" and e != ("exec", "generated.py")] == []
    assert os.listdir(tmp_path) == []
    return ns


@pytest.mark.parametrize("name", NASTY, ids=[repr(n)[:30] for n in NASTY])
def test_layer_names_reach_python_only_as_literals(name, tmp_path, monkeypatch):
    script = (f"n = {_matlab_text(name)};\n"
              "layers = [featureInputLayer(3, 'Name', 'in')\n"
              "          fullyConnectedLayer(3, 'WeightsInitializer', @(sz) rand(sz), 'Name', n)];\n"
              f"g = layerGraph(layers); g = addLayers(g, reluLayer('Name', [n 'r']));\n"
              f"g = connectLayers(g, n, [n 'r']);\n")
    result = port(script)
    src = result.python_source
    tree = ast.parse(src)
    consts = _string_constants(tree)
    assert name in consts and name + "r" in consts
    _check_calls(tree)
    for line in src.splitlines():
        if line.lstrip().startswith("#"):
            assert line.isprintable() or "\t" not in line
    assert any("WeightsInitializer" in n for n in result.notes)
    ns = _run_generated(src, tmp_path, monkeypatch)
    assert [layer.Name for layer in ns["layers"]] == ["in", name]
    assert sorted(layer.Name for layer in ns["g"].Layers) == sorted(["in", name, name + "r"])


@pytest.mark.parametrize("stem", ['x"""+__import__("os").system("touch INJ")+"""y', "a'''b", "back\\slash",
                                  "new\nline", "sep\u2028x", "esc\x1b[2Jx"])
def test_script_file_names_reach_python_only_as_escaped_text(stem, tmp_path, monkeypatch):
    folder = tmp_path / "src"
    folder.mkdir()
    path = folder / (stem + ".m")
    path.write_text("layers = [featureInputLayer(2) reluLayer];\n")
    result = port(path)
    tree = ast.parse(result.python_source)
    doc = tree.body[0].value.value
    assert doc.startswith(f"Networks defined by {stem}.m, rebuilt with the layergraph API.\n\n")
    lines = result.python_source.splitlines()
    assert lines[0].startswith('"""Networks defined by ') and lines[3] == '"""'   # one source line, escaped
    assert lines[0].isprintable()
    _check_calls(tree)
    out = tmp_path / "out"
    out.mkdir()
    _run_generated(result.python_source, out, monkeypatch)


def test_function_layer_handles_are_code_from_the_expression_tree(tmp_path, monkeypatch):
    import torch

    script = ("a = 0.25;\n"
              "layers = [featureInputLayer(3, 'Name', 'in')\n"
              "          functionLayer(@(X) max(X, a .* X) + exp(-X.^2) ./ 2, 'Name', 'f')\n"
              "          functionLayer(@tanh, 'Name', 't')];\n")
    result = port(script)
    tree = ast.parse(result.python_source)
    _check_calls(tree)
    assert "@(X) max(X, a .* X) + exp(-X.^2) ./ 2" in _string_constants(tree)   # the text only as a literal
    ns = _run_generated(result.python_source, tmp_path, monkeypatch)
    x = torch.tensor([[-1.0, 0.5, 2.0]])
    expected = torch.maximum(x, 0.25 * x) + torch.exp(-x ** 2) / 2
    for layers in (ns["layers"], result.networks["layers"]):
        assert torch.allclose(layers[1].PredictFcn(x), expected)
        assert torch.allclose(layers[2].PredictFcn(x), torch.tanh(x))


def test_a_handle_body_with_code_in_its_text_is_never_spliced(tmp_path, monkeypatch):
    # a body the translator does not know is a located project error, not text in the output
    from layergraph.errors import MatlabPortError

    with pytest.raises(MatlabPortError, match=r"<string>:1:\d+: functionLayer: the function handle .* cannot be "
                                              r"translated to torch"):
        port("l = functionLayer(@(X) X + evil('__import__(\"os\").system(\"touch INJ\")'));")
    assert not os.path.exists("INJ")


def test_notes_and_warnings_are_single_printable_lines():
    script = (f"n = {_matlab_text('a' + chr(10) + 'import os' + chr(27) + '[0m')};\n"
              "warning(n);\n"
              "layers = [featureInputLayer(3) fullyConnectedLayer(3, 'WeightsInitializer', @(sz) rand(sz) ...\n"
              "    + 0, 'Name', n)];\n")
    result = port(script)
    for text in result.warnings + result.notes:
        assert "\n" not in text and "\x1b" not in text, text
    for line in result.python_source.splitlines():
        if "NOTE" in line:
            assert line.startswith("# NOTE: ") and line.isprintable()
