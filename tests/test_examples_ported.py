"""The .m versions of the example networks port to graphs equal to the Python versions."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

from residual_mlp import residual_mlp_graph  # noqa: E402
from resnet18 import resnet18_graph  # noqa: E402

from layergraph.matlab import port  # noqa: E402


def test_resnet18_m_equals_python_version():
    result = port(EXAMPLES / "resnet18.m")
    assert result.networks["lgraph"] == resnet18_graph()


def test_residual_mlp_m_equals_python_version():
    result = port(EXAMPLES / "residual_mlp.m")
    assert result.networks["lgraph"] == residual_mlp_graph()


def test_generated_python_of_resnet18_rebuilds_it():
    result = port(EXAMPLES / "resnet18.m")
    namespace: dict = {}
    exec(compile(result.python_source, "ported_resnet18.py", "exec"), namespace)  # our own generated code
    assert namespace["lgraph"] == resnet18_graph()
