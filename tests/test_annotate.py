"""optkit.annotate: the coloured annotation (inline colours from Cython's scores, <details> with
the C code, nothing a sanitizer strips), the compile-once magic, and the no-compiler path."""
from __future__ import annotations

import re

import pytest

from optkit import annotate as A

# A small module: a Python-object line (yellow) and a pure C loop (white). No memoryviews,
# so that Cython and the C compiler are quick.
PYX = """\
def total(int n, items):
    cdef long s = 0
    cdef int i
    for i in range(n):
        s += i
    return s + len(items)
"""


@pytest.fixture(scope="module")
def annotation(tmp_path_factory):
    d = tmp_path_factory.mktemp("ann")
    pyx = d / "small.pyx"
    pyx.write_text(PYX)
    return A.annotate_file(pyx)


def test_score_color_scale():
    assert A.score_color(0).lower() == "#ffffff"                  # pure C: white
    blues = [int(A.score_color(s)[-2:], 16) for s in (0, 1, 5, 20, 100)]
    assert blues == sorted(blues, reverse=True) and blues[-1] < 0x40   # deeper yellow
    assert all(A.score_color(s).upper().startswith("#FFFF") for s in (0, 3, 300))


def test_parse_reads_lines_scores_and_c_code(annotation):
    lines = annotation.lines
    assert [l.lineno for l in lines] == list(range(1, len(lines) + 1))
    src = {l.lineno: l for l in lines}
    assert "def total" in src[1].source
    assert src[1].score > 0 and src[1].c_code_html               # the def line talks to Python
    loop = next(l for l in lines if "s += i" in l.source)
    assert loop.score == 0                                        # typed loop body: pure C
    ret = next(l for l in lines if "len(items)" in l.source)
    assert ret.score > 0 and "Py" in ret.c_code_html


def test_html_has_inline_colours_from_scores_and_details_per_line(annotation):
    html = annotation._repr_html_()
    assert html.startswith('<div class="optkit-annotation"')
    # one element per source line, coloured inline with the score's colour
    found = re.findall(r'<(details|div) class="optkit-line optkit-score-(\d+)" data-line="(\d+)" '
                       r'data-score="(\d+)" title="[^"]*" style="background-color:(#[0-9A-Fa-f]{6})', html)
    assert len(found) == len(annotation.lines)
    for tag, cls_score, lineno, score, colour in found:
        assert cls_score == score
        assert colour == A.score_color(int(score))
        line = annotation.lines[int(lineno) - 1]
        assert (tag == "details") == bool(line.c_code_html)
    colours = {c for *_, c in found}
    assert "#FFFFff" in colours                                  # white lines
    assert any(int(c[-2:], 16) < 0xF0 for c in colours)          # and clearly yellow ones
    # click-to-expand without JavaScript: summary = the source line, then the C code
    n_details = html.count("<details ")
    assert n_details == sum(1 for l in annotation.lines if l.c_code_html) > 0
    assert html.count("<summary") == n_details
    assert html.count('<pre class="optkit-c"') == n_details
    assert "__pyx" in html                                       # the C code itself is there


def test_html_needs_no_style_sheet_or_script(annotation):
    html = annotation._repr_html_().lower()
    for banned in ("<style", "<script", "onclick", "<iframe", "srcdoc"):
        assert banned not in html
    # the Python source keeps its syntax colours inline
    assert re.search(r'<span class="k" style="color:#008000', annotation._repr_html_())


def test_text_view(annotation):
    text = annotation.text()
    assert "def total" in text and len(text.splitlines()) == len(annotation.lines)
    assert "lines" in repr(annotation)


def test_parse_rejects_unknown_format():
    with pytest.raises(ValueError, match="annotation"):
        A.parse_cython_html('<pre class="cython line">no score here</pre>')
    assert A.parse_cython_html("<html></html>") == []


# ----------------------------------------------------------------------------- magics
@pytest.fixture()
def shell(tmp_path, monkeypatch):
    """An IPython shell with the magics loaded and a private build cache."""
    from IPython.core.interactiveshell import InteractiveShell

    (tmp_path / "cache").mkdir()          # IPython only uses an existing, writable cache dir
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("OPTKIT_NO_COMPILER", raising=False)
    monkeypatch.delenv("OPTKIT_NO_OPENMP", raising=False)
    ip = InteractiveShell.instance()
    A.load_ipython_extension(ip)
    yield ip
    for name in ("total", "flag", "seen"):
        ip.user_ns.pop(name, None)


def test_magic_compiles_once_and_defines_the_function(shell, tmp_path):
    if not A.compiler_status().has_compiler:
        pytest.skip("no C compiler on this machine")
    ann = shell.run_cell_magic("cython_annotate", "", PYX)
    assert isinstance(ann, A.Annotation)
    assert A.LAST["compiled"] is True and ann.compiled
    assert shell.user_ns["total"](4, [1, 2]) == 0 + 1 + 2 + 3 + 2
    module_file = A.LAST["module_file"]
    assert module_file.startswith(str(tmp_path / "cache"))           # the private cache
    assert "optkit-annotation" in ann._repr_html_() and "compiled in" in ann._repr_html_()
    # the same cell again: a cache hit, no second compilation, same module
    again = shell.run_cell_magic("cython_annotate", "", PYX)
    assert A.LAST["compiled"] is False and not again.compiled
    assert A.LAST["module_file"] == module_file
    assert "reused the compiled module" in again._repr_html_()
    assert [l.score for l in again.lines] == [l.score for l in ann.lines]


def test_magic_reports_a_compile_error(shell, capsys):
    if not A.compiler_status().has_compiler:
        pytest.skip("no C compiler on this machine")
    with pytest.raises(RuntimeError, match="compilation failed"):
        shell.run_cell_magic("cython_annotate", "", "def broken(:\n    pass\n")


def test_magic_refuses_options_it_manages(shell):
    if not A.compiler_status().has_compiler:
        pytest.skip("no C compiler on this machine")
    with pytest.raises(ValueError, match="--force"):
        shell.run_cell_magic("cython_annotate", "-f", PYX)


def test_no_compiler_skips_with_one_line(shell, monkeypatch, capsys):
    monkeypatch.setenv("OPTKIT_NO_COMPILER", "1")
    status = A.compiler_status()
    assert not status.has_compiler and not status.has_openmp
    msg = status.message()
    assert "No working C compiler" in msg and "skipped" in msg and "Numba" in msg
    assert "optkit-compiler" in status._repr_html_()
    assert shell.run_cell_magic("cython_annotate", "", PYX) is None
    assert A.LAST["skipped"] is True
    shell.run_cell_magic("needs_compiler", "", "flag = 1")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and all(l.startswith("⏭ skipped (no C compiler") for l in out)
    assert "total" not in shell.user_ns and "flag" not in shell.user_ns


def test_no_openmp_skips_only_openmp_cells(shell, monkeypatch, capsys):
    if not A.compiler_status(refresh=True).has_compiler:
        pytest.skip("no C compiler on this machine")
    monkeypatch.setenv("OPTKIT_NO_OPENMP", "1")
    st = A.compiler_status()
    assert st.has_compiler and not st.has_openmp and "OpenMP" in st.message()
    assert shell.run_cell_magic("cython_annotate", "--compile-args=-fopenmp --link-args=-fopenmp",
                                PYX) is None
    shell.run_cell_magic("needs_compiler", "openmp", "flag = 1")
    assert "flag" not in shell.user_ns
    shell.run_cell_magic("needs_compiler", "", "seen = 2")           # no OpenMP needed: runs
    assert shell.user_ns["seen"] == 2
    out = capsys.readouterr().out
    assert out.count("⏭ skipped (no OpenMP") == 2


def test_compiler_status_on_this_machine():
    st = A.compiler_status(refresh=True)
    assert isinstance(st.has_compiler, bool) and st.compiler
    if st.has_compiler:
        assert "C compiler found" in st.message()
