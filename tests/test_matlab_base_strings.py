"""MATLAB base functions: text (layergraph/matlab/base/strings.py).

Expectations worked by hand from the MathWorks pages (strsplit.html: whitespace default, collapsed
delimiters; strjoin.html; strtrim.html; strcmp.html: cell against text gives a logical array, a number is
never equal; contains/startsWith/endsWith with 'IgnoreCase'; regexp.html: 'match', 'tokens', 'names',
'split', 'once', the default output order; regexprep.html: $1 tokens; extractAfter/Before/Between;
str2double.html: '1,200' reads 1200, non-numbers give NaN; string.html: string(pi) is "3.1416")."""

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab.values import Cell, MString, StrArr, Struct
from matlab_base_helpers import FALSE, TRUE, M, S, case_id, check_case, col

NAN = np.nan
C = Cell.row
CC = Cell.column


def SA(*items):
    return StrArr.row([MString(x) for x in items])


CASES = [
    ("string", ("abc",), MString("abc")),
    ("string", (S(np.pi),), MString("3.1416")),
    ("string", (M([1, 2]),), SA("1", "2")),
    ("string", (M([True], bool),), MString("true")),
    ("string", (C(["a", "b"]),), SA("a", "b")),
    ("char", (M([72, 105]),), "Hi"),
    ("char", (MString("x"),), "x"),
    ("char", (C(["abc"]),), "abc"),
    ("char", (C(["ab", "cd"]),), MatlabRuntimeError),            # a char matrix (not modelled)
    ("cellstr", ("abc",), C(["abc"])),
    ("cellstr", (SA("a", "b"),), C(["a", "b"])),
    ("cellstr", (S(1),), MatlabRuntimeError),
    ("str2double", ("3.5",), S(3.5)),
    ("str2double", ("1,200",), S(1200)),
    ("str2double", (" -2e3 ",), S(-2000)),
    ("str2double", ("Inf",), S(np.inf)),
    ("str2double", ("abc",), S(NAN)),
    ("str2double", ("1 2",), S(NAN)),
    ("str2double", (C(["1", "x"]),), M([1, NAN])),
    ("str2double", (S(5),), S(NAN)),
    ("str2num", ("[1 2 3]",), M([1, 2, 3])),
    ("str2num", ("1 2; 3 4",), M([[1, 2], [3, 4]])),
    ("str2num", ("1,2",), M([1, 2])),
    ("str2num", ("true false",), M([True, False], bool)),
    ("str2num", ("disp(1)",), (np.zeros((0, 0)), FALSE), 2),     # never evaluated
    ("str2num", ("2.5",), (S(2.5), TRUE), 2),
    ("newline", (), "\n"),
    ("blanks", (S(3),), "   "),
    ("deblank", ("  ab  \t",), "  ab"),
    ("strtrim", ("  ab  \t",), "ab"),
    ("strtrim", (C([" a", "b "]),), C(["a", "b"])),
    ("strtrim", (MString(" x "),), MString("x")),
    ("upper", ("abC",), "ABC"),
    ("lower", (SA("AB"),), SA("ab")),
    ("strlength", ("abc",), S(3)),
    ("strlength", (SA("a", "bcd"),), M([1, 3])),
    ("strrep", ("abcabc", "bc", "X"), "aXaX"),
    ("strrep", ("aaa", "aa", "b"), "bb"),                        # overlapping occurrences each replaced
    ("strrep", (C(["ab", "b"]), "b", "c"), C(["ac", "c"])),
    ("replace", ("aaa", "aa", "b"), "ba"),                       # replace: non-overlapping
    ("replace", (MString("cat dog"), C(["cat", "dog"]), C(["dog", "cat"])), MString("dog cat")),
    ("erase", ("hello world", "o"), "hell wrld"),
    ("strcat", ("a ", "b ", "c"), "abc"),                        # trailing whitespace of char removed
    ("strcat", (C(["a ", "b"]), "x"), C(["a x", "bx"])),         # ...but not in cells
    ("strcat", (MString("a "), "b"), MString("a b")),
    ("strjoin", (C(["a", "b", "c"]),), "a b c"),
    ("strjoin", (C(["a", "b"]), ", "), "a, b"),
    ("strjoin", (C(["a", "b"]), "\\n"), "a\nb"),                 # escape sequences in the delimiter
    ("strjoin", (C(["a", "b", "c"]), C(["+", "="])), "a+b=c"),
    ("strsplit", ("a b  c",), C(["a", "b", "c"])),               # whitespace, collapsed
    ("strsplit", ("a,b,,c", ","), C(["a", "b", "c"])),
    ("strsplit", ("a,b,,c", ",", "CollapseDelimiters", False), C(["a", "b", "", "c"])),
    ("strsplit", (",a", ","), C(["", "a"])),
    ("strsplit", ("a1b2c", C(["1", "2"])), C(["a", "b", "c"])),
    ("strsplit", ("a-b", "-"), (C(["a", "b"]), C(["-"])), 2),
    ("split", ("a b  c",), CC(["a", "b", "c"])),
    ("split", (MString("a,b"), ","), StrArr.column([MString("a"), MString("b")])),
    ("join", (SA("a", "b"),), MString("a b")),
    ("join", (SA("a", "b"), "-"), MString("a-b")),
    ("strcmp", ("abc", "abc"), TRUE),
    ("strcmp", ("abc", "ABC"), FALSE),
    ("strcmp", (C(["a", "b"]), "b"), M([False, True], bool)),
    ("strcmp", (C(["a", "b"]), C(["a", "c"])), M([True, False], bool)),
    ("strcmp", (S(1), S(1)), FALSE),                             # numbers are never equal text
    ("strcmp", (MString("a"), "a"), TRUE),
    ("strcmpi", ("abc", "ABC"), TRUE),
    ("strncmp", ("abcd", "abxx", S(2)), TRUE),
    ("strncmp", ("abcd", "abxx", S(3)), FALSE),
    ("strncmpi", ("ABcd", "abXX", S(2)), TRUE),
    ("contains", ("hello", "ell"), TRUE),
    ("contains", (C(["ab", "cd"]), "d"), M([False, True], bool)),
    ("contains", ("Hello", "hell", "IgnoreCase", True), TRUE),
    ("contains", ("hello", C(["x", "lo"])), TRUE),               # any of several patterns
    ("startsWith", ("data.csv", "data"), TRUE),
    ("endsWith", (C(["a.png", "b.jpg"]), ".png"), M([True, False], bool)),
    ("extractAfter", ("key=value", "="), "value"),
    ("extractAfter", ("abcdef", S(2)), "cdef"),
    ("extractBefore", ("key=value", "="), "key"),
    ("extractBefore", ("abcdef", S(3)), "ab"),
    ("extractBetween", ("<a><b>", "<", ">"), CC(["a", "b"])),
    ("extractBetween", ("abcdef", S(2), S(4)), C(["bcd"])),
    ("pad", ("ab", S(4)), "ab  "),
    ("pad", ("ab", S(4), "left"), "  ab"),
    ("pad", ("ab", S(5), "both", "*"), "*ab**"),
    ("pad", (C(["a", "abc"]),), C(["a  ", "abc"])),
    # regexp
    ("regexp", ("a1b22", r"\d+", "match"), C(["1", "22"])),
    ("regexp", ("a1b22", r"\d+", "match", "once"), "1"),
    ("regexp", ("a1b22", r"\d+", "start"), M([2, 4])),
    ("regexp", ("a1b22", r"\d+"), M([2, 4])),                    # default first output: start
    ("regexp", ("a1b22", r"\d+"), (M([2, 4]), M([2, 5])), 2),     # start, end
    ("regexp", ("x=1,y=2", r"(\w)=(\d)", "tokens"), C([C(["x", "1"]), C(["y", "2"])])),
    ("regexp", ("x=1", r"(\w)=(\d)", "tokens", "once"), C(["x", "1"])),
    ("regexp", ("k=v", r"(?<key>\w)=(?<val>\w)", "names"), Struct({"key": "k", "val": "v"})),
    ("regexp", ("a,b;c", "[,;]", "split"), C(["a", "b", "c"])),
    ("regexp", ("ab12", r"\d", "match", "split"), (C(["1", "2"]), C(["ab", "", ""])), 2),
    ("regexp", ("the cat", r"\<c\w*", "match"), C(["cat"])),
    ("regexp", (C(["a1", "b"]), r"\d", "match"), C([C(["1"]), Cell(np.empty((1, 0), dtype=object))])),
    ("regexp", ("abc", "(??x)", "match"), MatlabRuntimeError),   # dynamic expressions run code: refused
    ("regexpi", ("ABC", "b", "match"), C(["B"])),
    ("regexprep", ("abc", "b", "X"), "aXc"),
    ("regexprep", ("john smith", r"(\w+) (\w+)", "$2, $1"), "smith, john"),
    ("regexprep", ("aaa", "a", "b", "once"), "baa"),
    ("regexprep", ("ABC", "b", "x", "ignorecase"), "AxC"),
    ("regexprep", ("a b", " ", "\\n"), "a\nb"),
    ("regexprep", (C(["a1", "b2"]), r"\d", ""), C(["a", "b"])),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_text_functions(case):
    check_case(case)
