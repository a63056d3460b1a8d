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
