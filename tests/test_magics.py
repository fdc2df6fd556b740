"""optkit.magics: %%requires, run_if_available and run_cell_code. The torch-missing path (one
install message, then short lines), require_torch and the %%requires magic with torch are tested
in tests/lessons/test_frameworks_first.py; here: the rest, with no torch needed."""
from __future__ import annotations

import sys

import pytest

from optkit import magics
from optkit.magics import INSTALL_HINT, TORCH_PIN, have, load_ipython_extension, run_cell_code, run_if_available


@pytest.fixture
def fresh(monkeypatch):
    """No earlier skip messages; two modules that are missing for sure."""
    monkeypatch.setattr(magics, "_ANNOUNCED", set())
    monkeypatch.setitem(sys.modules, "optkit_missing_a", None)
    monkeypatch.setitem(sys.modules, "optkit_missing_b", None)


@pytest.fixture(scope="module")
def ip():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    load_ipython_extension(shell)
    return shell


def test_have():
    assert have("json") and have("optkit.fmt")
    assert not have("optkit_no_such_module_xyz")
    assert not have("optkit.no_such_submodule")


def test_have_counts_a_module_whose_import_fails_as_missing(tmp_path, monkeypatch):
    (tmp_path / "optkit_broken_imp.py").write_text("raise ImportError('needs libfoo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not have("optkit_broken_imp")
    monkeypatch.delitem(sys.modules, "optkit_broken_imp", raising=False)


def test_a_module_failing_with_oserror_is_missing_not_a_crash(tmp_path, monkeypatch):
    (tmp_path / "optkit_broken_so.py").write_text("raise OSError('libtorch_cpu.so: cannot open shared object')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert not have("optkit_broken_so")
    finally:
        sys.modules.pop("optkit_broken_so", None)


def test_pins():
    assert TORCH_PIN in INSTALL_HINT and "download.pytorch.org/whl/cpu" in INSTALL_HINT
    assert issubclass(magics.TorchMissing, ImportError)


@pytest.mark.parametrize("modules", ["json os", "json, os", "json,os", ["json", "os"], ("json",)])
def test_every_spelling_of_the_module_list_runs_the_cell(modules):
    out = []
    assert run_if_available(modules, lambda: "ran", out=out.append) == "ran"
    assert out == []


@pytest.mark.parametrize("modules", ["", "  ", " , ", [], ()])
def test_no_module_named_is_a_clear_error(modules):
    with pytest.raises(ValueError, match="name at least one module, e.g. %%requires torch"):
        run_if_available(modules, lambda: 1)


def test_a_missing_module_skips_with_its_own_install_line_then_a_short_one(fresh):
    out, ran = [], []
    assert run_if_available("json optkit_missing_a optkit_missing_b", lambda: ran.append(1), out=out.append) is None
    assert ran == [] and len(out) == 1
    first = out[0]
    assert first.startswith("Skipped: optkit_missing_a is not installed: install it with  pip install optkit_missing_a; "
                            "optkit_missing_b is not installed: install it with  pip install optkit_missing_b.")
    assert "json" not in first and "Restart the kernel after installing." in first
    assert TORCH_PIN not in first                      # the torch hint is for torch only
    run_if_available(["optkit_missing_b", "optkit_missing_a"], lambda: ran.append(1), out=out.append)
    assert out[1] == "Skipped (needs optkit_missing_b, optkit_missing_a; see the first skipped cell above)."
    assert ran == []


def test_a_newly_missing_module_gets_its_full_message(fresh):
    out = []
    run_if_available("optkit_missing_a", lambda: None, out=out.append)
    run_if_available("optkit_missing_a optkit_missing_b", lambda: None, out=out.append)
    assert len(out) == 2 and "pip install optkit_missing_b" in out[1]
    assert "pip install optkit_missing_a" not in out[1]          # said once already


def test_run_errors_propagate():
    def boom():
        raise ZeroDivisionError("in the cell")

    with pytest.raises(ZeroDivisionError, match="in the cell"):
        run_if_available("json", boom)


def test_run_cell_code_returns_the_last_expression(ip):
    assert run_cell_code(ip, "t_a = 2\nt_a * 21") == 42
    assert ip.user_ns["t_a"] == 2
    assert run_cell_code(ip, "t_a * 21;") is None                 # ';' hides the value
    assert run_cell_code(ip, "t_b = '한국어'") is None and ip.user_ns["t_b"] == "한국어"
    assert run_cell_code(ip, "") is None
    assert run_cell_code(ip, "# only a comment\n") is None
    assert run_cell_code(ip, "def f(x):\n    return x + 1\nf(1)") == 2


def test_run_cell_code_allows_ipython_syntax(ip):
    assert run_cell_code(ip, "%env OPTKIT_T_MAGICS=on\nimport os\nos.environ['OPTKIT_T_MAGICS']") == "on"
    import os

    os.environ.pop("OPTKIT_T_MAGICS", None)


def test_run_cell_code_errors_keep_their_type(ip):
    with pytest.raises(NameError, match="t_undefined_name"):
        run_cell_code(ip, "t_undefined_name + 1")
    with pytest.raises(SyntaxError):
        run_cell_code(ip, "def broken(:\n")
    ip.user_ns.pop("t_half", None)
    with pytest.raises(ValueError):
        run_cell_code(ip, "t_half = 1\nraise ValueError('x')")
    assert ip.user_ns["t_half"] == 1                            # what ran before the error stays


def test_requires_magic_runs_or_skips_a_cell(ip, fresh, capsys):
    assert "requires" in ip.magics_manager.magics["cell"]
    ip.user_ns.pop("t_cell", None)
    r = ip.run_cell("%%requires json\nt_cell = 'ran'\nt_cell")
    assert r.success and r.result == "ran" and ip.user_ns["t_cell"] == "ran"
    r = ip.run_cell("%%requires optkit_missing_a\nt_skipped = True")
    assert r.success and "t_skipped" not in ip.user_ns
    assert "pip install optkit_missing_a" in capsys.readouterr().out
    r = ip.run_cell("%%requires json\n1 / 0")
    assert not r.success and isinstance(r.error_in_exec, ZeroDivisionError)
    r = ip.run_cell("%%requires\nt_none = 1")
    assert isinstance(r.error_in_exec, ValueError) and "t_none" not in ip.user_ns


def test_load_all_registers_every_course_magic(ip):
    magics.load_all(ip)                     # what %load_ext optkit calls
    cell = ip.magics_manager.magics["cell"]
    assert {"requires", "cython_annotate", "c_extension"} <= set(cell), sorted(cell)
