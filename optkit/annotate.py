"""Coloured Cython annotation that survives JupyterLab, and compile-or-skip cell magics.

``%%cython -a`` shows Cython's annotated source: each line's yellow says how much it talks
to the Python C API, and a click shows the C code generated for it. In JupyterLab the
colours disappear: the annotation relies on a ``<style>`` block of class rules, which
JupyterLab's own stylesheet for ``pre`` elements overrides (and which the HTML sanitizer
drops altogether for untrusted outputs, together with the ``onclick`` JavaScript that
expands the C code). See cython/cython#7319.

``%%cython_annotate [%%cython options]`` compiles the cell exactly like ``%%cython -a``
(same options, same build cache: a re-run with unchanged source is a cache hit and does not
recompile) and displays the annotation rewritten so that it needs neither a style sheet nor
JavaScript: every line carries its colour as an inline ``background-color`` (from Cython's
score, with Cython's own colour scale: white = pure C, deeper yellow = more Python
interaction), and every line that generated C code is a ``<details>`` element whose
``<summary>`` is the source line; clicking it expands the C code. Inline styles, classes,
``<details>`` and ``<summary>`` are all kept by JupyterLab's sanitizer, so the colours show
for trusted and untrusted notebooks alike.

Output markup (for tests and the browser check): a ``div.optkit-annotation`` holding one
element per source line with class ``optkit-line optkit-score-N``, attributes
``data-line``/``data-score`` (trusted outputs keep them), and ``title="line L: score N"``.

``%%needs_compiler [openmp]`` runs an ordinary code cell only when a C compiler (and, if
asked, OpenMP) is available, else skips it with one short line; the notebook explains the
reason once, at the top, with :func:`compiler_status`. ``%%cython_annotate`` skips itself
the same way (OpenMP is needed when its options contain ``-fopenmp``).

Environment variables ``OPTKIT_NO_COMPILER=1`` / ``OPTKIT_NO_OPENMP=1`` make
:func:`compiler_status` report the tool as missing (to test the degraded path).
"""
from __future__ import annotations

import hashlib
import html as _html
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field

from optkit.i18n import tr

__all__ = ["CompilerStatus", "compiler_status", "score_color", "AnnotatedLine", "Annotation",
           "parse_cython_html", "render_annotation", "annotate_file", "AnnotateMagics",
           "load_ipython_extension", "LAST"]


# =========================================================================== compiler probe
@dataclass(frozen=True)
class CompilerStatus:
    """What the machine offers for compiling Cython: a working C compiler with the Python
    headers, and OpenMP (``-fopenmp``)."""
    has_compiler: bool
    has_openmp: bool
    compiler: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.has_compiler and self.has_openmp

    def message(self) -> str:
        if not self.has_compiler:
            return tr("No working C compiler was found ({detail}). "
                      "The Cython cells of this notebook are skipped; the Numba parts still run. "
                      "To run everything, install a C compiler (Debian/Ubuntu: "
                      "`sudo apt install build-essential`; macOS: `xcode-select --install`) "
                      "and restart the kernel.", detail=self.detail or tr("unknown reason"))
        if not self.has_openmp:
            return tr("C compiler found ({compiler}), but it cannot build OpenMP code "
                      "({detail}). The Cython prange cells are skipped; "
                      "everything else runs. With gcc, OpenMP comes with the compiler "
                      "(on macOS with clang: `brew install libomp`, then CPPFLAGS/LDFLAGS set as "
                      "in README).", compiler=self.compiler,
                      detail=self.detail or tr("-fopenmp failed"))
        return tr("C compiler found ({compiler}) with OpenMP: every cell of this notebook will run.",
                  compiler=self.compiler)

    def __str__(self) -> str:
        return self.message()

    def _repr_html_(self) -> str:
        colour = "#e8f5e9" if self.ok else "#fff3e0"
        border = "#2e7d32" if self.ok else "#ef6c00"
        return (f'<div class="optkit-compiler" style="background-color:{colour};border-left:6px solid '
                f'{border};padding:6px 10px;">{_html.escape(self.message())}</div>')


_STATUS: CompilerStatus | None = None

_PLAIN_SRC = "#include <Python.h>\nint optkit_probe(void) { return 1; }\n"


def _compiler_command() -> tuple[list | None, str]:
    """The one compiler the builds use (optkit.machine.compiler_command: $CC as distutils reads it)."""
    from optkit.machine import compiler_command

    return compiler_command()


def _try_build(cmd, src, extra, tmp) -> tuple[bool, str]:
    c_file = os.path.join(tmp, "probe.c")
    with open(c_file, "w") as f:
        f.write(src)
    inc = sysconfig.get_paths()["include"]
    args = cmd + ["-shared", "-fPIC", f"-I{inc}", c_file, "-o", os.path.join(tmp, "probe.so")] + extra
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"{cmd[0]}: {exc}"
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return False, lines[0][:200] if lines else f"{cmd[0]} exited with {proc.returncode}"
    return True, ""


def _openmp(cc: str, refresh: bool) -> tuple[bool, str]:
    """(OpenMP works with -fopenmp, why not): the course's one compiler probe
    (optkit.machine.probe_compiler); the %%cython cells pass -fopenmp, so other flags do not count."""
    from optkit.machine import probe_compiler

    p = probe_compiler(cc, refresh=refresh)
    if not p["openmp_ok"]:
        return False, p["detail"]
    if p["openmp_flags"]["compile"] != ["-fopenmp"]:
        return False, f"OpenMP needs {' '.join(p['openmp_flags']['compile'])} here, the cells use -fopenmp"
    return True, ""


def compiler_status(refresh: bool = False) -> CompilerStatus:
    """Probe (once per process, cached) for a C compiler able to build a Python extension,
    and for OpenMP. Honours OPTKIT_NO_COMPILER / OPTKIT_NO_OPENMP (testing the fallback)."""
    global _STATUS
    fake_cc = os.environ.get("OPTKIT_NO_COMPILER", "") not in ("", "0")
    fake_omp = os.environ.get("OPTKIT_NO_OPENMP", "") not in ("", "0")
    if _STATUS is not None and not refresh and not fake_cc and not fake_omp:
        return _STATUS
    cmd, why_not = _compiler_command()
    name = os.path.basename(cmd[0]) if cmd else (os.environ.get("CC") or "cc")
    if fake_cc:
        return CompilerStatus(False, False, name, "disabled by OPTKIT_NO_COMPILER")
    if _STATUS is None or refresh:
        if cmd is None:
            _STATUS = CompilerStatus(False, False, name, why_not)
        else:
            with tempfile.TemporaryDirectory(prefix="optkit-cc-") as tmp:
                ok, why = _try_build(cmd, _PLAIN_SRC, [], tmp)
                if not ok:
                    _STATUS = CompilerStatus(False, False, name, why)
                else:
                    omp, why = _openmp(cmd[0], refresh)
                    _STATUS = CompilerStatus(True, omp, name, why)
    if fake_omp and _STATUS.has_openmp:
        return CompilerStatus(_STATUS.has_compiler, False, name, "disabled by OPTKIT_NO_OPENMP")
    return _STATUS


# =========================================================================== annotation HTML
def score_color(score: int) -> str:
    """Cython's colour scale: score 0 -> #FFFFFF (white), growing scores -> deeper yellow."""
    score = max(0, int(score))
    return "#FFFF%02x" % int(255.0 // (1.0 + score / 10.0))


# Pygments token classes Cython uses for the source (its default style), and the classes of
# the C code (Cython's annotation style sheet): both inlined because style sheets are lost.
_SRC_STYLES = {
    "k": "color:#008000;font-weight:bold", "kn": "color:#008000;font-weight:bold",
    "kc": "color:#008000;font-weight:bold", "kd": "color:#008000;font-weight:bold",
    "ow": "color:#AA22FF;font-weight:bold", "nf": "color:#0000FF", "nc": "color:#0000FF;font-weight:bold",
    "nn": "color:#0000FF;font-weight:bold", "nb": "color:#008000", "bp": "color:#008000",
    "nd": "color:#AA22FF", "mi": "color:#666666", "mf": "color:#666666", "o": "color:#666666",
    "c": "color:#3D7B7B;font-style:italic", "c1": "color:#3D7B7B;font-style:italic",
    "cp": "color:#9C6500", "s": "color:#BA2121", "s1": "color:#BA2121", "s2": "color:#BA2121",
    "sd": "color:#BA2121;font-style:italic", "kt": "color:#B00040",
}
_C_STYLES = {
    "py_c_api": "color:red", "py_macro_api": "color:#FF7000", "pyx_c_api": "color:#FF3000",
    "pyx_macro_api": "color:#FF7000", "refnanny": "color:#FFA000", "trace": "color:#FFA000",
    "error_goto": "color:#FFA000", "coerce": "color:#008000", "py_attr": "color:#FF0000;font-weight:bold",
    "c_attr": "color:#0000FF", "py_call": "color:#FF0000;font-weight:bold", "c_call": "color:#0000FF",
}

_LINE_RE = re.compile(
    r"""<pre class=["']cython line score-(\d+)["'][^>]*>(.*?)</pre>\s*"""
    r"""(?:<pre class=["']cython code score-\d+[^"']*["']>(.*?)</pre>)?""",
    re.DOTALL)
_PREFIX_RE = re.compile(r"""^([+\s]|&#xA0;|&nbsp;)?<span class=["'][^"']*["']>(\d+)</span>:\s?""")
_SPAN_RE = re.compile(r"""<span class=(["'])([^"']*)\1>""")


@dataclass
class AnnotatedLine:
    lineno: int
    score: int
    source_html: str          # the line's source, HTML (pygments spans), without the "+12: " prefix
    c_code_html: str | None   # the generated C code (HTML) or None when the line made none

    @property
    def source(self) -> str:
        return _html.unescape(re.sub(r"<[^>]+>", "", self.source_html))

    @property
    def python_interaction(self) -> bool:
        return self.score > 0


def parse_cython_html(text: str) -> list[AnnotatedLine]:
    """Lines, scores and C code out of the HTML Cython writes for ``cython -a``."""
    lines = []
    for m in _LINE_RE.finditer(text):
        score = int(m.group(1))
        body = m.group(2)
        pm = _PREFIX_RE.match(body)
        if pm:
            lineno = int(pm.group(2))
            body = body[pm.end():]
        else:
            lineno = len(lines) + 1
        code = m.group(3)
        lines.append(AnnotatedLine(lineno, score, body, code if code is not None else None))
    if not lines and "cython line" in text:
        raise ValueError("could not read Cython's annotation HTML (unexpected format)")
    return lines


def _inline(html_text: str, styles: dict) -> str:
    def repl(m):
        classes = m.group(2).split()
        css = ";".join(styles[c] for c in classes if c in styles)
        cls = f' class="{m.group(2)}"' if m.group(2) else ""
        return f'<span{cls} style="{css}">' if css else f"<span{cls}>"
    return _SPAN_RE.sub(repl, html_text)


_MONO = "font-family:var(--jp-code-font-family, monospace);font-size:12px;line-height:1.35"


def render_annotation(lines: list[AnnotatedLine], title: str | None = None,
                      note: str | None = None) -> str:
    """Self-contained annotation HTML: inline colours, <details> for the C code, no JS/CSS."""
    width = len(str(max((l.lineno for l in lines), default=1)))
    n_yellow = sum(l.python_interaction for l in lines)
    parts = [f'<div class="optkit-annotation" data-lines="{len(lines)}" data-yellow="{n_yellow}" '
             f'style="{_MONO};border:1px solid #d0d0d0;padding:4px 0;margin:2px 0;'
             f'background-color:#ffffff;color:#000000;">']
    head = ("<b>" + _html.escape(tr("Cython annotation")) + "</b>" + (f" · {_html.escape(title)}" if title else "")
            + " — " + tr("{yellow} = Python interaction (deeper = more), white = plain C. "
                         "Click a line marked + to see its C code.",
                         yellow='<span style="background-color:#FFFF00;color:#000000">'
                                + _html.escape(tr("yellow")) + "</span>"))
    if note:
        head += " " + _html.escape(note)
    parts.append(f'<div class="optkit-annotation-legend" style="font-family:sans-serif;font-size:12px;'
                 f'padding:2px 8px 6px 8px;background-color:#ffffff;color:#333333;">{head}</div>')
    for l in lines:
        colour = score_color(l.score)
        cls = f"optkit-line optkit-score-{l.score}"
        attrs = (f'class="{cls}" data-line="{l.lineno}" data-score="{l.score}" '
                 f'title="line {l.lineno}: score {l.score}"')
        src = _inline(l.source_html, _SRC_STYLES) or "&#xA0;"
        row_style = (f"background-color:{colour};margin:0;padding:0 8px;white-space:pre;"
                     f"color:#000000")
        if l.c_code_html:
            code = _inline(l.c_code_html, _C_STYLES)
            parts.append(
                f'<details {attrs} style="background-color:{colour};margin:0;padding:0;">'
                f'<summary style="{row_style};cursor:pointer;list-style:none;display:block;">'
                f'+{l.lineno:>{width}}: {src}</summary>'
                f'<pre class="optkit-c" style="background-color:#fafafa;color:#444444;margin:0 0 2px 24px;'
                f'padding:2px 6px;border-left:6px solid {colour};white-space:pre;overflow-x:auto;'
                f'font-size:11px;">{code}</pre></details>')
        else:
            parts.append(f'<div {attrs} style="{row_style}"> {l.lineno:>{width}}: {src}</div>')
    parts.append("</div>")
    return "".join(parts)


@dataclass
class Annotation:
    """A rendered annotation plus what the build did. Displays as HTML in notebooks."""
    lines: list[AnnotatedLine]
    module_name: str = ""
    compiled: bool = True        # False when the build cache already had this exact cell
    seconds: float = 0.0         # wall time of the compile (or cache load)
    title: str | None = None
    html: str = field(default="", repr=False)

    def __post_init__(self):
        if not self.html:
            note = None
            if self.module_name:
                note = ("(" + tr("compiled in {seconds:.1f} s", seconds=self.seconds) + ")" if self.compiled
                        else tr("(unchanged cell: reused the compiled module)"))
            self.html = render_annotation(self.lines, self.title, note)

    @property
    def yellow_lines(self) -> list[AnnotatedLine]:
        return [l for l in self.lines if l.python_interaction]

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return (f"<Annotation {self.module_name or ''}: {len(self.lines)} lines, "
                f"{len(self.yellow_lines)} with Python interaction>")

    def text(self) -> str:
        """Plain-text view: score and source per line (tests, terminals)."""
        return "\n".join(f"{l.score:4d} {'+' if l.c_code_html else ' '}{l.lineno:3d}: {l.source}"
                         for l in self.lines)


def annotate_file(pyx_path, title=None) -> Annotation:
    """Annotate a .pyx file on disk with `cython -a` (no build) and return the Annotation."""
    from Cython.Build import cythonize

    pyx_path = os.fspath(pyx_path)
    if not os.path.isfile(pyx_path):
        raise FileNotFoundError(pyx_path)
    cythonize([pyx_path], annotate=True, quiet=True, force=True,
              compiler_directives={"language_level": 3})
    html_file = os.path.splitext(pyx_path)[0] + ".html"
    with open(html_file, encoding="utf-8") as f:
        return Annotation(parse_cython_html(f.read()), title=title or os.path.basename(pyx_path))


# =========================================================================== magics
LAST: dict = {}   # what the last %%cython_annotate did: module_name, compiled, skipped, seconds

def _needs_openmp(line: str) -> bool:
    return "-fopenmp" in line or "openmp" in line.split()


def _skip_line(what: str, status: CompilerStatus) -> str:
    reason = tr("no C compiler") if not status.has_compiler else tr("no OpenMP")
    return tr("⏭ skipped ({reason}, see the compiler note at the top): {what}", reason=reason, what=what)


try:
    from IPython.core.magic import Magics, cell_magic, magics_class
except ImportError:  # pragma: no cover - IPython is a dependency
    Magics = object

    def magics_class(c):
        return c

    def cell_magic(f):
        return f


def _cython_magics(shell):
    """The registered Cython magics instance (registering Cython's magics if needed)."""
    from Cython.Build.IpythonMagic import CythonMagics

    inst = shell.magics_manager.registry.get("CythonMagics")
    if inst is None:
        inst = CythonMagics(shell)
        shell.register_magics(inst)
    return inst


def _module_name(code: str, line: str) -> str:
    # Mirrors Cython.Build.IpythonMagic.CythonMagics.cython: the build cache key.
    from Cython import __version__ as cython_version

    key = (code, line, sys.version_info, sys.executable, cython_version)
    return "_cython_magic_" + hashlib.sha256(str(key).encode("utf-8")).hexdigest()


@magics_class
class AnnotateMagics(Magics):

    @cell_magic
    def cython_annotate(self, line, cell):
        """%%cython_annotate [options of %%cython]: compile the cell like `%%cython -a` and show
        the annotation with inline colours and click-to-expand C code (works in JupyterLab)."""
        status = compiler_status()
        names = re.findall(r"^\s*(?:cp)?def\s+(\w+)", cell, re.M)
        first = ", ".join(names) or next(
            (l.strip() for l in cell.splitlines() if l.strip() and not l.strip().startswith("#")), "")
        if not status.has_compiler or (_needs_openmp(line) and not status.has_openmp):
            print(_skip_line(tr("Cython cell {names}", names=first[:60]), status))
            LAST.clear()
            LAST.update(skipped=True, compiled=False, module_name=None)
            return None
        opts = line.split()
        if not any(o in ("-a", "--annotate", "--annotate-fullc") for o in opts):
            line = (line + " -a").strip()
        if any(o in ("-f", "--force", "-n", "--name") or o.startswith("--name=") for o in opts):
            raise ValueError("%%cython_annotate manages the module name and the cache itself: "
                             "drop -f/--force and -n/--name")
        from IPython.paths import get_ipython_cache_dir

        code = cell if cell.endswith("\n") else cell + "\n"
        name = _module_name(code, line)
        lib_dir = os.path.join(get_ipython_cache_dir(), "cython")
        cm = _cython_magics(self.shell)
        so = os.path.join(lib_dir, name + cm.so_ext)
        html_file = os.path.join(lib_dir, name + ".html")
        cached = os.path.isfile(so) and os.path.isfile(html_file)
        t0 = time.perf_counter()
        result = cm.cython(line, cell)
        seconds = time.perf_counter() - t0
        LAST.clear()
        LAST.update(skipped=False, compiled=not cached, module_name=name, seconds=seconds,
                    module_file=so if os.path.isfile(so) else None)
        if result is None:
            # Cython/the compiler printed why; stop "Run All" here like a failing cell would.
            raise RuntimeError(tr("Cython compilation failed (see the messages above)"))
        text = result.data if hasattr(result, "data") else str(result)
        if os.path.isfile(html_file):
            with open(html_file, encoding="utf-8") as f:
                text = f.read()
        ann = Annotation(parse_cython_html(text), module_name=name, compiled=not cached,
                         seconds=seconds, title=first[:80] or None)
        return ann

    @cell_magic
    def needs_compiler(self, line, cell):
        """%%needs_compiler [openmp]: run this cell only if a C compiler (with OpenMP, when
        asked) is available; otherwise print one line and skip it."""
        want_omp = "openmp" in line.lower().split()
        status = compiler_status()
        if not status.has_compiler or (want_omp and not status.has_openmp):
            first = next((l.strip() for l in cell.splitlines() if l.strip()), "")
            print(_skip_line(f"{first[:40]}…" if len(first) > 40 else first, status))
            return None
        # Like %%capture: the body runs as a normal cell (its last expression is displayed,
        # an exception shows its traceback as usual).
        self.shell.run_cell(cell, store_history=False)
        return None


def load_ipython_extension(ip):
    """`%load_ext optkit.annotate` (or `%load_ext optkit`): registers %%cython_annotate,
    %%needs_compiler and Cython's own %%cython."""
    ip.register_magics(AnnotateMagics)
    try:
        _cython_magics(ip)
    except ImportError:  # pragma: no cover - Cython is a dependency
        pass
