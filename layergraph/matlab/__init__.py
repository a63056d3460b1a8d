"""MATLAB porter: .m scripts in, LayerGraphs, Python source and JSON specs out (no MATLAB needed).

``port(path_or_source, workspace=None, path=None)`` parses the script with tree-sitter-matlab, runs it
in a restricted interpreter (never Python eval/exec) whose layer constructors and functions come from
the layergraph registries, and returns a :class:`PortResult`.
"""

from .api import PortResult, as_layer_graph, port
from ..layers.placeholder import PlaceholderLayer
from .custom import MatlabCustomLayer
from .runner import run
from . import inputparser  # noqa: F401  (registers inputParser and its functions with the interpreter)

__all__ = ["port", "run", "PortResult", "as_layer_graph", "MatlabCustomLayer", "PlaceholderLayer"]
