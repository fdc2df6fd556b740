"""optkit.cext: the %%c_extension cell magic (compile, import, cache, readable errors)."""
import sys
import threading

import pytest

from optkit import cext

SRC = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static PyObject *answer(PyObject *self, PyObject *noargs) { return PyLong_FromLong(VALUE); }

static PyObject *omp(PyObject *self, PyObject *noargs) {
#ifdef _OPENMP
    return PyLong_FromLong(omp_get_max_threads());
#else
    return PyLong_FromLong(0);
#endif
}

static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, "the answer"},
    {"omp", omp, METH_NOARGS, "OpenMP threads, 0 without OpenMP"},
    {NULL, NULL, 0, NULL}
};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "NAME", NULL, -1, methods};
PyMODINIT_FUNC PyInit_NAME(void) { return PyModule_Create(&def); }
"""


def src(name, value=42):
    return SRC.replace("NAME", name).replace("VALUE", str(value))


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTKIT_CACHE", str(tmp_path))


def test_compile_import_and_cache(tmp_path):
    mod, info = cext.compile_module(src("tiny_a"), "tiny_a")
    assert mod.answer() == 42 and not info["cached"]
    assert info["path"].startswith(str(tmp_path / "cext"))
    mod2, info2 = cext.compile_module(src("tiny_a"), "tiny_a")
    assert info2["cached"] and info2["path"] == info["path"] and mod2.answer() == 42
    assert info2["seconds"] < info["seconds"]


def test_changed_code_is_reloaded():
    m1, i1 = cext.compile_module(src("tiny_b", 1), "tiny_b")
    m2, i2 = cext.compile_module(src("tiny_b", 2), "tiny_b")
    assert (m1.answer(), m2.answer()) == (1, 2) and i1["path"] != i2["path"]
    m3, i3 = cext.compile_module(src("tiny_b", 2), "tiny_b", force=True)
    assert not i3["cached"] and i3["path"] != i2["path"] and m3.answer() == 2


def test_openmp_flag():
    mod, info = cext.compile_module(src("tiny_omp"), "tiny_omp", openmp=True)
    if cext.openmp_flags() is None:
        pytest.skip("compiler without OpenMP")
    assert info["openmp"] and mod.omp() >= 1
    plain, _ = cext.compile_module(src("tiny_plain"), "tiny_plain")
    assert plain.omp() == 0


def test_syntax_error_is_readable():
    bad = src("tiny_bad").replace("return PyLong_FromLong(42);", "return PyLong_FromLong(42)")
    with pytest.raises(cext.CompileError) as ei:
        cext.compile_module(bad, "tiny_bad")
    msg = ei.value.message
    line = next(i for i, ln in enumerate(bad.splitlines(), 1) if "PyLong_FromLong(42)" in ln)
    assert "compile error" in msg and "error:" in msg
    assert f"cell line {line}:" in msg or f"cell line {line + 1}:" in msg
    assert "/tmp" not in msg and "Traceback" not in msg


def test_missing_pyinit_is_explained():
    with pytest.raises(cext.CompileError, match="PyInit_other"):
        cext.compile_module(src("tiny_c"), "other")
    with pytest.raises(cext.CompileError, match="already an imported Python module"):
        cext.compile_module(src("json"), "json")
    with pytest.raises(cext.CompileError, match="not a valid identifier"):
        cext.compile_module(src("tiny_c"), "no-dash")


def _shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    cext.load_ipython_extension(ip)
    return ip


def test_magic_binds_module_and_reports(capsys):
    ip = _shell()
    ip.run_cell_magic("c_extension", "tiny_m", src("tiny_m", 7))
    assert ip.user_ns["tiny_m"].answer() == 7
    assert "tiny_m: compiled in" in capsys.readouterr().out
    ip.run_cell_magic("c_extension", "tiny_m", src("tiny_m", 7))
    assert "tiny_m: loaded from cache" in capsys.readouterr().out


def test_magic_error_prints_no_traceback(capsys):
    ip = _shell()
    bad = src("tiny_e").replace("static PyObject *answer", "static PyObject answer_typo *")
    assert ip.run_cell_magic("c_extension", "tiny_e", bad) is None   # does not raise
    err = capsys.readouterr().err
    assert "tiny_e: compile error" in err and "cell line" in err and "Traceback" not in err
    assert ip.run_cell_magic("c_extension", "", "int x;") is None
    assert "usage: %%c_extension" in capsys.readouterr().err


def test_module_name_that_would_shadow_another_module_is_refused(tmp_path, monkeypatch):
    """A cell named like a standard-library module not imported yet (compiling `fractions` once
    broke `import statistics`) or like any importable module is refused before compiling."""
    name = "tabnanny"                              # standard library, imported by nobody here
    assert name not in sys.modules and name in sys.stdlib_module_names
    with pytest.raises(cext.CompileError, match="standard-library module") as ei:
        cext.compile_module(src(name), name)
    assert "another name" in ei.value.message and name not in sys.modules
    pkg = tmp_path / "site"
    pkg.mkdir()
    (pkg / "shadow_me_mod.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(pkg))
    with pytest.raises(cext.CompileError, match="installed Python module"):
        cext.compile_module(src("shadow_me_mod"), "shadow_me_mod")
    assert "shadow_me_mod" not in sys.modules
    mod, _ = cext.compile_module(src("tiny_not_shadowing"), "tiny_not_shadowing")
    assert mod.answer() == 42                      # an unused name still compiles


def test_no_compiler_gives_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with pytest.raises(cext.CompileError) as ei:
        cext.compile_module(src("tiny_nocc"), "tiny_nocc")
    msg = ei.value.message
    assert "could not run the compiler" in msg and "no-such-cc" in msg
    # a $CC that does not run is named as such (as optkit doctor and %%cython say it), not
    # answered with an install hint for another compiler
    assert "is not a runnable compiler: fix or unset CC" in msg and "Traceback" not in msg


def test_no_compiler_at_all_gives_the_install_hint(monkeypatch):
    from optkit import machine

    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(machine, "compiler_command", lambda: (None, "no C compiler found"))
    hint = {"darwin": "xcode-select --install", "win32": "Build Tools"}.get(sys.platform, "install gcc")
    assert hint in cext._no_compiler_hint()


def test_a_thousand_errors_show_the_first_ones_and_a_count():
    n = 500
    body = "\n".join(f"int f{i}(void) {{ return undeclared_{i}; }}" for i in range(n))
    bad = "#include <Python.h>\n" + body + "\nPyMODINIT_FUNC PyInit_tiny_many(void) { return 0; }\n"
    with pytest.raises(cext.CompileError) as ei:
        cext.compile_module(bad, "tiny_many")
    msg = ei.value.message
    assert f"({n} errors)" in msg.splitlines()[0]
    assert len(msg) < 8000 and len(msg.splitlines()) <= cext.MAX_LINES + 2
    assert "cell line 2:" in msg and "undeclared_0" in msg          # the first error, cell line numbers
    shown = sum(" error:" in ln for ln in msg.splitlines())
    assert 1 <= shown <= cext.MAX_ERRORS
    assert f"{n - shown} more errors" in msg.splitlines()[-1]
    assert len(ei.value.output) > 10 * len(msg)                      # the full output is kept


def test_one_huge_error_line_is_cut_to_a_readable_size():
    ident = "x" * 160_000
    bad = ("#include <Python.h>\nint f(void) { return " + ident + "; }\n"
           "PyMODINIT_FUNC PyInit_tiny_wide(void) { return 0; }\n")
    with pytest.raises(cext.CompileError) as ei:
        cext.compile_module(bad, "tiny_wide")
    msg = ei.value.message
    assert "cell line 2:" in msg and "error:" in msg
    assert len(msg) <= cext.MAX_CHARS + 2 * cext.MAX_LINE_CHARS
    assert all(len(ln) <= cext.MAX_LINE_CHARS + 40 for ln in msg.splitlines())
    assert "more characters" in msg


def _plant(tmp_path, name):
    """Build `name` once (value 1), then make its cached library look planted by someone else."""
    import os

    m, info = cext.compile_module(src(name, 1), name)
    assert m.answer() == 1
    return info


def test_a_cache_folder_others_may_write_is_not_trusted(tmp_path):
    import os

    info = _plant(tmp_path, "tiny_trust_a")
    root = tmp_path / "cext"
    os.chmod(root, 0o777)                        # a shared cache anyone may write into
    try:
        m, info2 = cext.compile_module(src("tiny_trust_a", 1), "tiny_trust_a")
    finally:
        os.chmod(root, 0o700)
    assert not info2["cached"] and not info2["path"].startswith(str(root)) and m.answer() == 1


def test_a_cached_library_someone_else_owns_or_may_write_is_rebuilt(tmp_path):
    import os
    from pathlib import Path

    info = _plant(tmp_path, "tiny_trust_b")
    lib = Path(info["path"])
    os.chmod(lib.parent, 0o777)                  # the library's folder: writable by anyone
    m, info2 = cext.compile_module(src("tiny_trust_b", 1), "tiny_trust_b")
    assert not info2["cached"] and info2["path"] != info["path"] and m.answer() == 1
    if os.getuid() == 0:                         # as root: a library owned by another user
        info3 = _plant(tmp_path, "tiny_trust_c")
        os.chown(info3["path"], 12345, 12345)
        m, info4 = cext.compile_module(src("tiny_trust_c", 1), "tiny_trust_c")
        assert not info4["cached"] and info4["path"] != info3["path"]


def _script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and /bin/sh")
def test_a_compiler_that_hangs_is_stopped_with_what_it_started(tmp_path, monkeypatch):
    pidfile = tmp_path / "child.pid"
    cc = _script(tmp_path / "hang-cc", '[ "$1" = --version ] && { echo hang-cc 1.0; exit 0; }\n'
                                       f'sleep 120 &\necho $! > {pidfile}\nwait\n')
    monkeypatch.setenv("CC", str(cc))
    monkeypatch.setattr(cext, "COMPILE_TIMEOUT_S", 2.0)
    import time
    t0 = time.perf_counter()
    with pytest.raises(cext.CompileError) as ei:
        cext.compile_module(src("tiny_hang"), "tiny_hang")
    assert time.perf_counter() - t0 < 30
    msg = ei.value.message
    assert "did not finish within 2 s" in msg and str(cc) in msg and "Traceback" not in msg
    pid = int(pidfile.read_text())
    for _ in range(50):                      # the compiler's own child went with it
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/bin/sh wrappers around gcc")
def test_the_build_cache_key_holds_the_compiler(tmp_path, monkeypatch):
    import shutil
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc")
    wrap = lambda p, v: _script(p, f'[ "$1" = --version ] && {{ echo {v}; exit 0; }}\nexec {gcc} "$@"\n')
    a = wrap(tmp_path / "cc-a", "wrapper-a 1")
    monkeypatch.setenv("CC", str(a))
    _, i1 = cext.compile_module(src("tiny_cck"), "tiny_cck")
    _, i2 = cext.compile_module(src("tiny_cck"), "tiny_cck")
    assert not i1["cached"] and i2["cached"]
    monkeypatch.setenv("CC", str(wrap(tmp_path / "cc-b", "wrapper-b 1")))     # another compiler
    _, i3 = cext.compile_module(src("tiny_cck"), "tiny_cck")
    assert not i3["cached"] and i3["path"] != i1["path"]
    wrap(a, "wrapper-a 2, upgraded in place")                                  # same path, new version
    monkeypatch.setenv("CC", str(a))
    _, i4 = cext.compile_module(src("tiny_cck"), "tiny_cck")
    assert not i4["cached"] and i4["path"] not in (i1["path"], i3["path"])
