"""The one file policy for MATLAB code: confined reads/writes, refused functions, Python unconfined."""

import pytest

from layergraph.policy import PolicyError, active_policy, check_function, check_read, check_write, confined


def test_python_callers_are_unconfined(tmp_path):
    assert active_policy() is None
    assert check_read(tmp_path / "a.png") == (tmp_path / "a.png").resolve()
    assert check_write("/tmp/x.mat") == __import__("pathlib").Path("/tmp/x.mat").resolve()


def test_confined_allows_inside_and_refuses_outside(tmp_path):
    inside = tmp_path / "data"
    inside.mkdir()
    with confined([inside]):
        assert check_read(inside / "sub" / "a.png") == (inside / "sub" / "a.png").resolve()
        assert check_write(inside / "out.mat").parent == inside.resolve()
        with pytest.raises(PolicyError, match="reading '/etc/passwd' is not allowed"):
            check_read("/etc/passwd", "imread")
        with pytest.raises(PolicyError, match="not allowed"):
            check_write(inside / ".." / "escape.mat")
    assert active_policy() is None


def test_symlink_leaving_the_folder_is_refused(tmp_path):
    inside = tmp_path / "in"
    inside.mkdir()
    (inside / "link").symlink_to(tmp_path)
    with confined([inside]):
        with pytest.raises(PolicyError):
            check_read(inside / "link" / "secret.txt")


def test_read_only_mode_refuses_every_write_and_extra_read_folders(tmp_path):
    with confined([], read_only=True, extra_read=[tmp_path]):
        assert check_read(tmp_path / "helper.m").name == "helper.m"
        with pytest.raises(PolicyError, match="while porting"):
            check_write(tmp_path / "x.mat")


def test_nul_in_a_file_name_is_a_project_error():
    with pytest.raises(PolicyError, match="NUL"):
        check_read("a\x00b")


@pytest.mark.parametrize("name", ["system", "unix", "dos", "eval", "evalin", "evalc", "assignin", "websave",
                                  "webread", "py.os.system", "java.lang.Runtime"])
def test_refused_functions(name):
    with pytest.raises(PolicyError, match="not available"):
        check_function(name)


def test_ordinary_functions_pass():
    check_function("imread")
    check_function("load")
