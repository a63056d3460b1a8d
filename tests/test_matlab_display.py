"""The Command Window display of unterminated statements under ``layergraph run`` (interpreter with echo).

Each golden file under tests/golden/display/ was written by hand from MathWorks documentation and printed
Command Window output (format short, loose), never produced by this code:
- scalars, format: "format" and "DisplayFormatOptions" pages (https://www.mathworks.com/help/matlab/ref/format.html,
  https://www.mathworks.com/help/matlab/ref/matlab.display.displayformatoptions.html: `theta =`, blank, `1.5708` in
  loose; no blank lines in compact; format long pi = 3.141592653589793)
- scaled: "Format Output" (https://www.mathworks.com/help/matlab/matlab_env/format-output.html) and printed
  `1.0e+05 *` blocks (common scale factor, 4 decimals, exact zeros as a bare 0)
- struct: the struct page (https://www.mathworks.com/help/matlab/ref/struct.html: s.a = 1; s.b = {'A','B','C'}
  shows `struct with fields:` / `a: 1` / `b: {'A' 'B' 'C'}`)
- cell: the cell page (https://www.mathworks.com/help/matlab/ref/cell.html: `{[1]}`, `{'text'}`, `{2×3 double}`)
- table: the table page (https://www.mathworks.com/help/matlab/ref/table.html: `3×2 table`, centred names,
  underscores, cellstr as {'...'})
- categorical: the categorical page (https://www.mathworks.com/help/matlab/ref/categorical.html)
- integers/logical/char/string/empty/handle: the class pages (int8, logical, char, string, function_handle) and
  "Empty Arrays" (https://www.mathworks.com/help/matlab/math/empty-arrays.html: `0×3 empty double matrix`).
docs/guide/display.md lists which layouts are confirmed against a printout and which are inferred.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from layergraph.matlab import display as D
from layergraph.matlab.values import Cell, FuncHandle, MString, StrArr, Struct, StructArr

GOLDEN = Path(__file__).parent / "golden" / "display"


def run_echo(text: str) -> tuple[str, dict]:
    """Run MATLAB text with layergraph.matlab.run (statements without ';' display); stdout and workspace."""
    import contextlib
    import io

    from layergraph.matlab import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        workspace = run(text)
    return out.getvalue(), workspace


@pytest.mark.parametrize("case", sorted(p.stem for p in GOLDEN.glob("*.m")))
def test_golden_display(case):
    script = (GOLDEN / f"{case}.m").read_text(encoding="utf-8")
    expected = (GOLDEN / f"{case}.txt").read_text(encoding="utf-8")
    printed, _ = run_echo(script)
    assert printed == expected


def test_golden_integers():
    """integers.m's values built directly (``int8(5)``, ``int8([1 -2 100])``, ``uint16([7; 300])``): the display
    alone, without the interpreter's integer arithmetic, against the same hand-written golden."""
    expected = (GOLDEN / "integers.txt").read_text(encoding="utf-8")
    printed = (D.display_text("a", np.array([[5]], dtype=np.int8))
               + D.display_text("b", np.array([[1, -2, 100]], dtype=np.int8))
               + D.display_text("c", np.array([[7], [300]], dtype=np.uint16)))
    assert printed == expected


def test_handle_text_keeps_quotes_and_separates_elements():
    assert D.compact_handle_text("@(x) [x 1] + 'a b'") == "@(x)[x,1]+'a b'"
    assert D.compact_handle_text("@(a, b) a' * b") == "@(a,b)a'*b"


def test_semicolon_silences_and_comma_does_not():
    printed, ws = run_echo("a = 1; b = 2, c = 3;\n")
    assert printed == "b =\n\n     2\n\n"
    assert float(ws["c"][0, 0]) == 3


def test_comment_after_statement_still_displays():
    printed, _ = run_echo("a = 7 % seven\n")
    assert printed == "a =\n\n     7\n\n"


def test_indexed_assignment_shows_the_whole_variable():
    printed, _ = run_echo("x = [1 2 3];\nx(2) = 5\n")
    assert printed == "x =\n\n     1     5     3\n\n"


def test_bare_expression_sets_ans():
    printed, ws = run_echo("2 * 3;\n")
    assert printed == ""
    assert float(ws["ans"][0, 0]) == 6


def test_disp_and_fprintf_print_in_run_mode():
    printed, _ = run_echo("disp(5)\ndisp('hi')\nfprintf('%d-%d\\n', 1, 2)\nx = sprintf('%5.2f', pi);\ndisp(x)\n")
    assert printed == "     5\nhi\n1-2\n 3.14\n"


def test_porter_mode_prints_nothing(capsys):
    from layergraph.matlab import port

    port("x = 3\ndisp(x)\nfprintf('hello\\n')\n")
    assert capsys.readouterr().out == ""


# ---- display_text / disp_text directly ---------------------------------------------------------------------


def test_nonintegers_between_thousands_use_e_notation_as_scalars():
    # format page: "short: 4 digits after the decimal point"; 1234.5 is 1.2345e+03 as a scalar
    assert D.display_text("x", np.array([[1234.5]])) == "x =\n\n   1.2345e+03\n\n"
    assert D.display_text("x", np.array([[1e-4]])) == "x =\n\n   1.0000e-04\n\n"


def test_nan_inf_in_matrix():
    assert D.disp_text(np.array([[1.5, np.nan, -np.inf]])) == "    1.5000       NaN      -Inf\n"
    assert D.disp_text(np.array([[1.0, np.nan]])) == "     1   NaN\n"


def test_complex_scalar():
    assert D.disp_text(np.array([[3 + 4j]])) == "   3.0000 + 4.0000i\n"


def test_disp_of_empty_prints_nothing():
    assert D.disp_text(np.zeros((0, 0))) == ""


def test_disp_of_struct_and_cell():
    s = Struct({"x": np.array([[1.0]]), "long_name": MString("v")})
    assert D.disp_text(s) == "            x: 1\n    long_name: \"v\"\n"
    assert D.disp_text(Cell.row([np.array([[2.0]]), "ab"])) == "    {[2]}    {'ab'}\n"


def test_cell_columns_pad_inside_braces():
    c = Cell(np.array([[np.array([[1.0]]), "text"], [np.array([[10.0, 20.0]]), "a"]], dtype=object))
    assert D.disp_text(c) == ("    {[    1]}    {'text'}\n"
                              "    {[10 20]}    {'a'   }\n")


def test_string_array_columns():
    s = StrArr(np.array([["a", "bbb"], ["cc", "d"]], dtype=object))
    assert D.disp_text(s) == '    "a"     "bbb"\n    "cc"    "d"  \n'.replace('"d"  ', '"d"')


def test_handle_display_is_compacted():
    h = FuncHandle(text="@(x) x + 1")
    assert D.display_text("f", h) == "f =\n\n  function_handle with value:\n\n    @(x)x+1\n\n"


def test_layer_object_reuses_with_properties():
    from layergraph.layers.base import REGISTRY

    layer = REGISTRY["reluLayer"]()
    text = D.display_text("layer", layer)
    assert text.startswith("layer = \n\n  ReLULayer with properties:\n")


def test_struct_array_display():
    s = StructArr.row([Struct({"name": "a", "v": np.array([[1.0]])}), Struct({"name": "b", "v": np.array([[2.0]])})])
    assert D.display_text("s", s) == "s = \n\n  1×2 struct array with fields:\n\n    name\n    v\n\n"


def test_object_without_own_display_lists_its_matlab_properties():
    printed, _ = run_echo("try\n  error('my:id', 'boom %d', 3);\ncatch ME\n  ME\nend\n")
    assert printed.startswith("ME = \n\n  MException with properties:\n\n    identifier: 'my:id'\n"
                              "       message: 'boom 3'\n")


def test_format_command_errors_on_unknown_style():
    from layergraph.errors import LayerGraphError
    from layergraph.matlab.textio import format as fmt

    with pytest.raises(LayerGraphError, match="format"):
        fmt("nonsense")
    D.reset_format()


def test_file_round_trip_in_a_run(tmp_path):
    script = tmp_path / "files.m"
    script.write_text(
        "fid = fopen([folder '/log.txt'], 'w');\n"
        "fprintf(fid, 'epoch %d: loss %.3f\\n', [1 2; 0.5 0.25]);\n"
        "fclose(fid);\n"
        "fid = fopen([folder '/log.txt']);\n"
        "first = fgetl(fid)\n"
        "second = fgets(fid);\n"
        "last = fgetl(fid)\n"
        "fclose(fid);\n", encoding="utf-8")
    import contextlib
    import io

    from layergraph.matlab import run

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run(str(script), workspace={"folder": str(tmp_path)})
    assert (tmp_path / "log.txt").read_text() == "epoch 1: loss 0.500\nepoch 2: loss 0.250\n"
    assert out.getvalue() == "first =\n\n    'epoch 1: loss 0.500'\n\nlast =\n\n    -1\n\n"


def test_format_short_g_and_long_g():
    D.set_format("short", "g")
    try:
        # format page: shortG picks fixed or scientific, 5 significant digits
        assert D.disp_text(np.array([[25, 56.31156, 255.52675, 9876899999]])) == (
            "           25       56.312       255.53   9.8769e+09\n")
    finally:
        D.reset_format()


def test_format_short_e_matrix():
    D.set_format("shortE")
    try:
        # format page example: m = [9638573934 37467; 236 574638295] in shortE
        assert D.disp_text(np.array([[9638573934, 37467], [236, 574638295]], dtype=float)) == (
            "   9.6386e+09   3.7467e+04\n   2.3600e+02   5.7464e+08\n")
    finally:
        D.reset_format()


def test_table_with_row_names_categorical_and_matrix_variable():
    """table2cell page (R2021a): T = table(categorical({'M';'M';'F';'F';'F'}), [38;43;38;40;49],
    [124 93;109 77;125 83;117 75;122 80], 'VariableNames', {'Gender' 'Age' 'BloodPressure'},
    'RowNames', {'Smith' 'Johnson' 'Williams' 'Jones' 'Brown'}); the printed table copied by hand."""
    from layergraph.values import categorical, table

    t = table(categorical(["M", "M", "F", "F", "F"]), np.array([38.0, 43, 38, 40, 49]),
              np.array([[124, 93], [109, 77], [125, 83], [117, 75], [122, 80]], dtype=float),
              VariableNames=["Gender", "Age", "BloodPressure"])
    t.Properties.RowNames = ["Smith", "Johnson", "Williams", "Jones", "Brown"]
    assert D.display_text("T", t) == (
        "T = \n\n  5×3 table\n\n"
        "                Gender    Age    BloodPressure\n"
        "                ______    ___    _____________\n\n"
        "    Smith         M       38      124     93  \n"
        "    Johnson       M       43      109     77  \n"
        "    Williams      F       38      125     83  \n"
        "    Jones         F       40      117     75  \n"
        "    Brown         F       49      122     80  \n\n")


def test_cell_display_from_the_celldisp_page():
    """celldisp page: C = {'row1',[1 2 3],3+4i; 'row2',[2 4;1 3],{'innercells',42}} prints
    {'row1'}    {[   1 2 3]}    {[3.0000 + 4.0000i]} / {'row2'}    {2×2 double}    {1×2 cell          }."""
    a = np.empty((2, 3), dtype=object)
    a[0, 0], a[0, 1], a[0, 2] = "row1", np.array([[1.0, 2, 3]]), np.array([[3 + 4j]])
    a[1, 0], a[1, 1], a[1, 2] = "row2", np.array([[2.0, 4], [1, 3]]), Cell.row(["innercells", np.array([[42.0]])])
    assert D.disp_text(Cell(a)) == ("    {'row1'}    {[   1 2 3]}    {[3.0000 + 4.0000i]}\n"
                                    "    {'row2'}    {2×2 double}    {1×2 cell          }\n")


def test_cell_display_from_access_data_in_cell_array():
    """'Access Data in Cell Array' page: C = {'one', 'two', 'three'; 1, 2, 3}."""
    a = np.empty((2, 3), dtype=object)
    a[0, :] = ["one", "two", "three"]
    for j in range(3):
        a[1, j] = np.array([[float(j + 1)]])
    assert D.display_text("C", Cell(a)) == (
        "C =\n\n  2×3 cell array\n\n"
        "    {'one'}    {'two'}    {'three'}\n"
        "    {[  1]}    {[  2]}    {[    3]}\n\n")


def test_cell_of_categorical_and_numbers_from_the_table2cell_page():
    """table2cell page (R2021a): [T.Properties.VariableNames; C] prints {[M     ]}    {[ 38]}    {[       124 93]}."""
    from layergraph.values import categorical

    a = np.empty((2, 3), dtype=object)
    a[0, :] = ["Gender", "Age", "BloodPressure"]
    a[1, 0], a[1, 1], a[1, 2] = categorical(["M"]), np.array([[38.0]]), np.array([[124.0, 93.0]])
    assert D.disp_text(Cell(a)) == ("    {'Gender'}    {'Age'}    {'BloodPressure'}\n"
                                    "    {[M     ]}    {[ 38]}    {[       124 93]}\n")


def test_object_class_name_from_matlab_class():
    class Thing:      # an object without its own display: its MATLAB class (last part) and properties
        MATLAB_CLASS = "pkg.Thing"
        MATLAB_PROPERTIES = ("Count", "Kind")
        Count, Kind = 2.0, "char"

    assert D.display_text("t", Thing()) == (
        "t = \n\n  Thing with properties:\n\n    Count: 2\n     Kind: 'char'\n\n")
    assert D.class_name(Thing()) == "pkg.Thing"


def test_display_function_uses_the_variable_name():
    printed, _ = run_echo("v = [1 2];\ndisplay(v)\ndisplay(3)\n")
    assert printed == "v =\n\n     1     2\n\nans =\n\n     3\n\n"


def test_porter_discards_fprintf_to_stderr(capsys):
    from layergraph.matlab import port

    port("fprintf(2, 'warning text\\n');\nx = 1;\n")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
