"""The one registry of MATLAB functions: base functions (sum, size, strsplit...) are registered with
``base=True`` and never exported from ``layergraph`` (they would shadow Python's and NumPy's names)."""

import layergraph
from layergraph.functions import FUNCTIONS, MatlabFunction, matlab_function


def test_matlab_function_records_base_and_nargout_aware():
    def probe(*args, nargout=1):
        return nargout

    matlab_function("lgTestProbeBase", base=True, nargout_aware=True)(probe)
    try:
        entry = FUNCTIONS["lgTestProbeBase"]
        assert isinstance(entry, MatlabFunction)
        assert entry.base is True and entry.nargout_aware is True
        assert entry.function(nargout=3) == 3
    finally:
        dict.pop(FUNCTIONS, "lgTestProbeBase")


def test_defaults_are_toolbox_functions():
    # every toolbox function registered before this change keeps base=False, nargout_aware=False
    entry = FUNCTIONS["trainingOptions"]
    assert entry.base is False and entry.nargout_aware is False


def test_no_base_function_is_exported():
    exported = set(layergraph.__all__)
    leaked = sorted(name for name, entry in FUNCTIONS.items() if entry.base and name in exported)
    assert leaked == []


def test_base_functions_live_in_the_registry_with_base_true():
    for name in ("sum", "max", "size", "zeros", "numel", "find", "sort"):
        assert FUNCTIONS[name].base, name
        assert name not in layergraph.__all__
    assert FUNCTIONS["max"].nargout_aware and FUNCTIONS["size"].nargout_aware


def _tested_names() -> set:
    """Names with a table case in tests/test_matlab_base_*.py (the CASES tables, first element)."""
    import importlib.util
    import pathlib

    names = set()
    for path in sorted(pathlib.Path(__file__).parent.glob("test_matlab_base_*.py")):
        if path.name == pathlib.Path(__file__).name:
            continue
        spec = importlib.util.spec_from_file_location("_cases_" + path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for table in ("CASES", "TENSOR_CASES", "EXTRA_TESTED"):
            for case in getattr(module, table, ()):
                names.add(case if isinstance(case, str) else case[0])
    return names


def test_every_base_function_has_a_test_case():
    """Every MATLAB base function implemented in layergraph/matlab/base has at least one table case
    against a hand-derived or documented result; base functions registered elsewhere are named in some
    test of tests/ (called as name( or looked up as "name")."""
    import pathlib
    import re

    tested = _tested_names()
    mine = sorted(name for name, entry in FUNCTIONS.items()
                  if entry.base and getattr(entry.function, "__module__", "").startswith("layergraph.matlab.base"))
    assert mine, "no base functions registered"
    assert [n for n in mine if n not in tested] == []
    text = "\n".join(p.read_text(encoding="utf-8") for p in pathlib.Path(__file__).parent.rglob("*.py"))
    others = sorted(name for name, entry in FUNCTIONS.items() if entry.base and name not in mine)
    untested = [n for n in others if not re.search(r'(\b%s\(|"%s")' % (re.escape(n), re.escape(n)), text)]
    assert untested == []


def test_the_interpreter_calls_the_registry():
    """The porter's interpreter runs base functions from the registry: several outputs, nargout-aware
    size, an Opaque argument gives an Opaque result, and MATLAB's error keeps its identifier and gets the
    location."""
    import pytest

    from layergraph.errors import MatlabPortError
    from layergraph.matlab import port
    from layergraph.matlab.values import Opaque

    r = port("x = sum([1 2; 3 4]);\n[m, i] = max([3 7 2]);\n[a, b] = size(zeros(2,3,4));\n"
             "d = notAFunctionAnywhere(3);\ne = sum(d);\n")
    ws = r.workspace
    assert ws["x"].tolist() == [[4.0, 6.0]]
    assert (ws["m"].item(), ws["i"].item()) == (7.0, 2.0)
    assert (ws["a"].item(), ws["b"].item()) == (2.0, 12.0)      # size.html: the last output takes the rest
    assert isinstance(ws["e"], Opaque)
    with pytest.raises(MatlabPortError) as err:
        port("x = zeros(1.5);")
    assert str(err.value).startswith("<string>:1:5: zeros: Size inputs must be integers.")
    assert err.value.identifier == "MATLAB:NonIntegerInput"
