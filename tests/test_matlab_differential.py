"""Differential suite: MATLAB snippets run by the interpreter and by the program ``layergraph port`` emits
must leave identical workspaces (or both fail with the same MATLAB error identifier).

500 generated cases (hypothesis, derandomized) over indexing, ``end``, ranges, logical masks, growth and
deletion, concatenation, broadcasting, cells, structs and text, plus hand-written programs for control
flow, functions, handles, try/catch, nargin/nargout and varargout.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matlab_differential import compare

PRELUDE = """A = [1 2 3; 4 5 6; 7 8 10];
v = [3 1 4 1 5];
w = (1:4)';
c = {1, 'ab', [2 3]};
s.a = 1; s.b = 'xy';
t = 'hello';
"""

small = st.integers(min_value=1, max_value=4)
val = st.integers(min_value=-3, max_value=9)

EXPRESSIONS = [
    lambda i, j, k: f"A({i}, {j})",
    lambda i, j, k: f"A({i}, :)",
    lambda i, j, k: f"A(:, {j})",
    lambda i, j, k: f"A(end, {j})",
    lambda i, j, k: f"A(end-{i % 3}, :)",
    lambda i, j, k: f"A({i + j})",
    lambda i, j, k: "A(:)'",
    lambda i, j, k: f"A([{i} {j}], end)",
    lambda i, j, k: "v(end)",
    lambda i, j, k: f"v({i}:{j + 1})",
    lambda i, j, k: "v(end:-1:1)",
    lambda i, j, k: f"v(v > {k})",
    lambda i, j, k: f"A(A > {k})'",
    lambda i, j, k: f"w({i})",
    lambda i, j, k: f"[v, {k}]",
    lambda i, j, k: "[A; A(1, :)]",
    lambda i, j, k: "[v; v]",
    lambda i, j, k: "v + w",
    lambda i, j, k: f"A .* {k}",
    lambda i, j, k: "A * A",
    lambda i, j, k: "A'",
    lambda i, j, k: "v .^ 2",
    lambda i, j, k: "-v",
    lambda i, j, k: "~v",
    lambda i, j, k: f"v == {k}",
    lambda i, j, k: f"A >= {k}",
    lambda i, j, k: f"c{{{i}}}",
    lambda i, j, k: f"s.a + {k}",
    lambda i, j, k: f"t({i}:{j + 1})",
    lambda i, j, k: "[t, 'z']",
    lambda i, j, k: "numel(v)",
    lambda i, j, k: f"size(A, {i % 2 + 1})",
    lambda i, j, k: f"{i}:{k}",
    lambda i, j, k: f"{k}:-{i}:{j}",
    lambda i, j, k: f"{{{k}, t}}",
    lambda i, j, k: f"{k} / 0",
    lambda i, j, k: f"({k} - {i}) * 2 + v({i})",
    lambda i, j, k: f"A(:, {j}) + w(1:3)",
    lambda i, j, k: f"v({i}) < v({j}) && v({j}) > 0",
    lambda i, j, k: f"v(:, [{i} {j}])",
    lambda i, j, k: f"{i}:0",
    lambda i, j, k: f"[c, {{{k}}}]",
    lambda i, j, k: f"s.b({i % 2 + 1})",
    lambda i, j, k: "\"str\" + 1",
    lambda i, j, k: f"[\"a\", \"b\"] == \"b\"",
    lambda i, j, k: f"[{k} {i}; {j} {k}] \\ [1; 2]",
    lambda i, j, k: f"true + {k}",
    lambda i, j, k: f"A(logical([1 0 {k % 2}]), :)",
]

STATEMENTS = [
    lambda e, i, j, k: f"x = {e};",
    lambda e, i, j, k: f"x = {e}; y = x;",
    lambda e, i, j, k: f"v({i + j}) = {k};",
    lambda e, i, j, k: f"v({i}) = [];",
    lambda e, i, j, k: f"A({i}, {j + 1}) = {k};",
    lambda e, i, j, k: f"A(:, {j % 3 + 1}) = [];",
    lambda e, i, j, k: f"c{{{i + 2}}} = {e};",
    lambda e, i, j, k: f"c{{end+1}} = {k};",
    lambda e, i, j, k: f"s.n = {e};",
    lambda e, i, j, k: f"s.a(end+1) = {k};",
    lambda e, i, j, k: "x = 0; for q = v, x = x + q; end",
    lambda e, i, j, k: f"x = []; for q = 1:{k}, x(end+1) = q * 2; end",
    lambda e, i, j, k: f"if numel(v) > {k}, y = 1; else, y = 2; end",
    lambda e, i, j, k: f"n = 0; while n < {k}, n = n + {i}; end",
    lambda e, i, j, k: f"for q = 1:{i}, A(q, q) = q / {k}; end",
    lambda e, i, j, k: f"w(end+1, 1) = {k};",
    lambda e, i, j, k: f"t(end+1) = 'a';",
    lambda e, i, j, k: f"c({i % 3 + 1}) = [];",
    lambda e, i, j, k: f"z = {{}}; z{{{i}}} = {e};",
    lambda e, i, j, k: f"A(A > {k}) = 0;",
]


@st.composite
def snippets(draw):
    lines = [PRELUDE]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i, j, k = draw(small), draw(small), draw(val)
        e = draw(st.sampled_from(EXPRESSIONS))(draw(small), draw(small), draw(val))
        lines.append(draw(st.sampled_from(STATEMENTS))(e, i, j, k))
    return "\n".join(lines) + "\n"


@settings(max_examples=500, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(snippets())
def test_generated_snippets_leave_the_same_workspace(text):
    same, why = compare(text)
    assert same, f"{text}\n{why}"


PROGRAMS = {
    "control_flow": """
total = 0;
for k = 1:10
    if mod(k, 2) == 0
        continue
    elseif k > 7
        break
    end
    total = total + k;
end
n = 0;
while true
    n = n + 1;
    if n >= 4, break; end
end
switch 'beta'
    case {'alpha', 'beta'}
        picked = 1;
    otherwise
        picked = 2;
end
switch 3
    case 1
        other = 'one';
    case 3
        other = 'three';
end
for col = [1 2; 3 4]
    last = col;
end
for item = {10, 'x'}
    got = item;
end
""",
    "functions": """
[a, b] = twoOut(3);
one = twoOut(4);
total = addAll(1, 2, 3, 4);
n0 = countArgs();
n2 = countArgs(1, 2);
[p, q, r] = spread(5);
m = onlyFirst();
function [x, y] = twoOut(u)
    x = u * 2;
    y = u + nargout;
end
function s = addAll(varargin)
    s = 0;
    for k = 1:numel(varargin)
        s = s + varargin{k};
    end
end
function n = countArgs(a, b)
    n = nargin;
end
function varargout = spread(v)
    for k = 1:nargout
        varargout{k} = v + k;
    end
end
function out = onlyFirst()
    out = 7;
    return
    out = 8;
end
""",
    "handles": """
k = 3;
f = @(x) x .* k;
k = 100;
y = f([1 2]);
g = @plus;
z = g(2, 5);
h = @(a, b) max(a, b);
m = h(4, 9);
sq = @square;
r = sq(6);
c = cellfun(@(x) numel(x), {1:3, 'ab', []});
function y = square(x)
    y = x ^ 2;
end
""",
    "try_catch": """
try
    x = [1 2 3];
    y = x(7);
catch ME
    id = ME.identifier;
end
try
    error('my:id', 'value %d too big', 12);
catch err
    msg = err.message;
    eid = err.identifier;
end
try
    ok = 1;
catch
    ok = 0;
end
""",
    "scalar_loops": """
X = zeros(3, 4);
[n, d] = size(X);
for i = 1:n
    for j = 1:d
        X(i, j) = i * 10 + j / 4;
    end
end
s = 0;
for i = 1:n
    for j = 1:d
        s = s + X(i, j);
    end
end
mu = s / (n * d);
z = 0 / 0;
inf1 = 1 / 0;
p = 2 ^ 10;
neg = -2 ^ 2;
cnt = 0;
for i = 1:0
    cnt = cnt + 1;
end
""",
    "aliasing": """
A = zeros(2, 2);
B = A;
for i = 1:2
    for j = 1:2
        A(i, j) = i + j;
    end
end
C = ones(2, 3);
for i = 1:2
    for j = 1:3
        C(i, j) = C(i, j) * 2;
    end
end
D = C;
""",
    "cells_structs_strings": """
people = struct();
people.name = 'Ann';
people.age = 30;
people.tags{2} = 'b';
names = {'a', 'bb'; 'ccc', 'd'};
lens = cellfun(@numel, names);
first = names{2, 1};
txt = ['ab', 'cd'];
str = "x" + "y";
words = ["a", "b"];
flag = strcmp(txt, 'abcd');
parts = strsplit('a,b,c', ',');
""",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_hand_written_programs_leave_the_same_workspace(name):
    same, why = compare(PROGRAMS[name])
    assert same, why


GLOBALS_PERSISTENT = """
global G
G = 5;
a = readG();
c1 = counter();
c2 = counter();
function r = readG()
    global G
    r = G + 1;
end
function n = counter()
    persistent k
    if isempty(k)
        k = 0;
    end
    k = k + 1;
    n = k;
end
"""


def test_global_and_persistent_variables_in_the_translation():
    """MATLAB: a global is shared by every function that declares it; a persistent variable starts as []
    and keeps its value between calls (the porter's interpreter does not model these, so this is checked
    against the values MATLAB gives)."""
    from matlab_differential import execute, translated

    status, ws = execute(translated(GLOBALS_PERSISTENT))
    assert status == "ok"
    assert float(ws["a"][0, 0]) == 6.0
    assert float(ws["c1"][0, 0]) == 1.0 and float(ws["c2"][0, 0]) == 2.0
