"""Build the course as a static HTML site: read it before installing anything.

    python -m optkit.site [--out build/site] [--lessons 00,01] [--executed-en DIR] [--executed-ko DIR]
                          [--no-execute]

Every lesson, in English and Korean, is rendered from a notebook executed on this machine, with
its outputs and plots; each lesson page says on which machine (CPU model, usable CPUs, date) its
numbers were measured, and that the notebook measures them anew on the reader's machine.

* Executed copies are reused where they exist and are newer than the source notebook: the test
  suite's (test-artifacts/executed/ for English, test-artifacts/executed-ko/ for Korean), then
  this builder's own cache (build/site-cache/{en,ko}/). A lesson without one is executed here the
  way the test suite runs it (nbclient, the "optkit" kernel, the pager flag, OPTKIT_LANG=ko for
  Korean) and the executed copy goes to the cache, with the machine context in its metadata.
* Exercise cells are shown as the learner edition has them (optkit.student builds that edition
  into a temporary folder): the task with its stub, not the solution; the solutions have pages of
  their own (solutions/NN_*.html), rendered from the edition's solutions/ folder.
* Pages: index.html (README.md, the lesson list), ko/index.html (README.ko.md), en/NN_*.html and
  ko/NN_*.html (lessons), {en,ko}/solutions/NN_*.html, {en,ko}/instructors.html (the instructors'
  guides), files/... (repository files a page links to, as text). Every page has previous/next,
  the course index and the language switch (EN <-> 한국어).
* Offline by construction: nbconvert's lab template supplies only the notebook CSS (its head,
  which links MathJax/require.js from a CDN, is dropped); images are data URIs; no page refers
  to anything outside the site, and every page works opened from disk (file://).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import html
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .edition import MANIFEST as LEARNER_MANIFEST
from .files import read_json, tree_digests
from .i18n import tr

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
DEFAULT_OUT = REPO / "build" / "site"
CACHE = REPO / "build" / "site-cache"
TEST_EXECUTED = {"en": REPO / "test-artifacts" / "executed", "ko": REPO / "test-artifacts" / "executed-ko"}
LANGS = ("en", "ko")
KERNEL = "optkit"
PAGER_FLAG = "--InteractiveShell.display_page=True"
CELL_TIMEOUT_S = 900

SITE_MARKER = ".optkit-site.json"      # written into every site: {"made_by", "files": {path: sha256}}
OS_LITTER = {".DS_Store", "Thumbs.db", "desktop.ini"}    # what a file browser leaves in a folder it shows

__all__ = ["Lesson", "lessons", "build", "execute_notebook", "main", "OutInUse", "check_out", "SITE_MARKER"]

# What the site's pages say, in English; other languages come from optkit.i18n's catalogue
# (optkit/messages_ko.py). "switch" names the other edition, so it is not a translation.
SITE_TEXT = {
    'site': 'optkit',
    'index': 'course index',
    'prev': '← previous',
    'next': 'next →',
    'instructors': "Instructors' guide",
    'lessons': 'Lessons',
    'solutions': 'solutions',
    'solution_of': 'Solutions of lesson',
    'back': 'back to the lesson',
    'measured': "The outputs on this page were measured on the machine that built the site: <b>{cpu}</b>, {cpus} usable CPUs, on {date}. They are that machine's numbers, not a promise: when you run the notebook, it measures everything anew on yours.",
    'not_run': 'This lesson could not be executed when the site was built ({why}); the page shows its code without outputs.',
    'exercise': '<b>Exercise.</b> This cell is yours to write (the learner edition has it as above); the self-check below it tells you when it is right. <a href="{href}">The solution</a> is on its own page.',
    'lesson_col': 'lesson',
    'exercises_col': 'exercises',
    'front_note': 'This site is the course as the build machine ran it, to read before installing anything. To run it yourself, see <i>Set up</i> below.',
}
SWITCH = {"en": "한국어", "ko": "EN"}


def site_text(lang: str) -> dict:
    """The site's texts in ``lang`` (placeholders such as {cpu} left for the page to fill)."""
    text = {k: tr(v, language=lang) for k, v in SITE_TEXT.items()}
    text["switch"] = SWITCH[lang]
    return text


@dataclass
class Lesson:
    stem: str           # "01_profiling"
    title: str          # the notebook's first heading (English)

    def source(self, lang: str) -> Path:
        return (NOTEBOOKS if lang == "en" else NOTEBOOKS / lang) / f"{self.stem}.ipynb"


def _first_heading(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def lessons(only=None) -> list[Lesson]:
    """The course's lessons (notebooks/NN_*.ipynb), optionally only those whose number is in `only`."""
    out = []
    for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        if only and p.stem[:2] not in only and p.stem not in only:
            continue
        out.append(Lesson(p.stem, _first_heading(p)))
    return out


# ---------------------------------------------------------------------------------------------
# machine context and execution


def machine_context() -> dict:
    """CPU model, usable CPUs and the date, from optkit.bench's recorded context."""
    from optkit import bench

    ctx = bench.context()
    return {"cpu_model": ctx.get("cpu_model") or "?", "usable_cpus": ctx.get("usable_cpus") or "?",
            "logical_cpus": ctx.get("logical_cpus"), "timestamp": ctx.get("timestamp")}


def _kernel_args(kernel: str) -> list:
    """The pager flag, unless the kernelspec already passes it (twice kills the kernel)."""
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        argv = KernelSpecManager().get_kernel_spec(kernel).argv
    except Exception:  # no such kernel: nbclient reports it when it starts
        argv = []
    return [] if PAGER_FLAG in argv else [PAGER_FLAG]


def execute_notebook(src: Path, lang: str, *, timeout=CELL_TIMEOUT_S, kernel=KERNEL):
    """Run a notebook as the test suite does (tests/nbrun.py); returns (notebook, error or None).

    The machine context goes into metadata.optkit.site so the page can say where it ran.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(src, as_version=4)
    env = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    if lang != "en":
        env["OPTKIT_LANG"] = lang
    old = dict(os.environ)
    os.environ.update(env)
    err = None
    t0 = time.perf_counter()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=True,
                       resources={"metadata": {"path": str(src.parent)}},
                       extra_arguments=_kernel_args(kernel)).execute()
    except Exception as exc:  # a dead kernel, a cell timeout, a missing kernel
        err = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        os.environ.clear()
        os.environ.update(old)
    ctx = machine_context()
    ctx["seconds"] = round(time.perf_counter() - t0, 1)
    nb.metadata.setdefault("optkit", {})["site"] = ctx
    return nb, err


def _fresh(copy: Path, src: Path) -> bool:
    return copy.is_file() and copy.stat().st_mtime >= src.stat().st_mtime


def executed(lesson: Lesson, lang: str, *, dirs=None, cache=CACHE, execute=True, log=print):
    """The executed notebook of a lesson: (notebook, context dict, where it came from, error)."""
    src = lesson.source(lang)
    for d in list(dirs or []) + [Path(cache) / lang]:
        copy = Path(d) / src.name
        if _fresh(copy, src):
            nb = nbformat.read(copy, as_version=4)
            ctx = nb.metadata.get("optkit", {}).get("site")
            if not ctx:     # the test suite's copy: same machine, dated by the file
                ctx = dict(machine_context())
                ctx["timestamp"] = _dt.datetime.fromtimestamp(copy.stat().st_mtime).astimezone().strftime(
                    "%Y-%m-%dT%H:%M:%S%z")
            return nb, ctx, str(copy), None
    if not execute:
        return nbformat.read(src, as_version=4), None, "not executed", "not executed (--no-execute)"
    log(f"  executing {lang}/{src.name} ...")
    nb, err = execute_notebook(src, lang)
    ctx = nb.metadata["optkit"]["site"]
    log(f"  {lang}/{src.name}: {ctx['seconds']} s" + (f" ({err})" if err else ""))
    if err is None:
        dest = Path(cache) / lang / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest)
    return nb, ctx, "executed now", err


# ---------------------------------------------------------------------------------------------
# links: every relative link of a page is resolved in the repository, then mapped onto the site


def _site_path_of(repo_rel: str, files_needed: set) -> str | None:
    """The site page for a repository path (posix, relative to the repo root), or None."""
    p = posixpath.normpath(repo_rel)
    m = re.fullmatch(r"notebooks/(?:(ko)/)?(\d\d_[^/]+)\.ipynb", p)
    if m:
        return f"{m.group(1) or 'en'}/{m.group(2)}.html"
    fixed = {"README.md": "index.html", "README.ko.md": "ko/index.html",
             "notebooks/INSTRUCTORS.md": "en/instructors.html",
             "notebooks/INSTRUCTORS.ko.md": "ko/instructors.html",
             "notebooks": "en/index.html#lessons", "notebooks/ko": "ko/index.html#lessons"}
    if p in fixed:
        return fixed[p]
    full = REPO / p
    if full.is_file() and not p.startswith((".", "..")):
        files_needed.add(p)
        return f"files/{p}.html"
    return None


_LINK = re.compile(r'(?P<attr>\b(?:href|src))="(?P<url>[^"]*)"')


def rewrite_links(body: str, *, src_dir: str, page: str, files_needed: set) -> str:
    """Map the relative links of a page rendered from a file in `src_dir` (repo-relative) onto the site."""
    page_dir = posixpath.dirname(page)

    def fix(m):
        url = html.unescape(m.group("url"))
        if not url or url.startswith(("#", "data:", "mailto:")) or re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
            return m.group(0)
        path, _, frag = url.partition("#")
        target = _site_path_of(posixpath.join(src_dir, path), files_needed)
        if target is None:
            return m.group(0)       # left as it is: the link test reports it
        target, _, tfrag = target.partition("#")
        frag = frag or tfrag
        rel = posixpath.relpath(target, page_dir or ".")
        return f'{m.group("attr")}="{html.escape(rel + ("#" + frag if frag else ""), quote=True)}"'

    return _LINK.sub(fix, body)


def _rel(page: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


# ---------------------------------------------------------------------------------------------
# rendering


def _markdown(text: str) -> str:
    import mistune
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    class Renderer(mistune.HTMLRenderer):
        def block_code(self, code, info=None):
            lang = (info or "").split()[0] if info else ""
            try:
                lexer = get_lexer_by_name(lang) if lang else None
            except ClassNotFound:
                lexer = None
            if lexer is None:
                return f'<pre class="md-code"><code>{html.escape(code)}</code></pre>\n'
            return highlight(code, lexer, HtmlFormatter(cssclass="md-code highlight"))

        def heading(self, text, level, **attrs):
            slug = re.sub(r"[^\w\- ]", "", re.sub(r"<[^>]+>", "", text)).strip().replace(" ", "-")
            return f'<h{level} id="{html.escape(slug)}">{text}</h{level}>\n'

    md = mistune.create_markdown(renderer=Renderer(escape=False), plugins=["table", "strikethrough", "url"])
    return md(text)


def _site_css() -> str:
    from pygments.formatters import HtmlFormatter

    return """
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad; --note: #fff8c5; }
html { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK KR", sans-serif; }
body.site { margin: 0; color: var(--fg); line-height: 1.5; }
nav.site-nav { display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; align-items: center; padding: 0.6em 1.2em;
  border-bottom: 1px solid var(--line); background: #f6f8fa; font-size: 0.95em; }
nav.site-nav.bottom { border-top: 1px solid var(--line); border-bottom: none; margin-top: 2em; }
nav.site-nav a { color: var(--accent); text-decoration: none; }
nav.site-nav .brand { font-weight: 700; color: var(--fg); }
nav.site-nav .lang { margin-left: auto; border: 1px solid var(--line); border-radius: 4px; padding: 0 0.5em; }
nav.site-nav .off { color: var(--muted); }
.measured { margin: 1em 1.2em; padding: 0.7em 1em; background: var(--note); border: 1px solid #d4a72c;
  border-radius: 6px; }
.exercise-note { padding: 0.5em 0.8em; background: #ddf4ff; border-left: 4px solid var(--accent); }
article.md { max-width: 60em; margin: 1em auto; padding: 0 1.2em; }
article.md pre { background: #f6f8fa; padding: 0.7em; overflow-x: auto; border-radius: 4px; }
article.md code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
article.md table { border-collapse: collapse; }
article.md th, article.md td { border: 1px solid var(--line); padding: 0.25em 0.6em; }
main.lesson { padding: 0 0.6em; }
""" + HtmlFormatter(style="default").get_style_defs(".md-code")


def _nav(lang: str, page: str, *, prev=None, nxt=None, other=None) -> str:
    t = site_text(lang)
    index = "index.html" if lang == "en" else "ko/index.html"
    parts = [f'<a class="brand" href="{_rel(page, index)}">{t["site"]}</a>',
             f'<a href="{_rel(page, index)}#lessons">{t["index"]}</a>']
    parts.append(f'<a rel="prev" href="{_rel(page, prev[0])}">{t["prev"]}: {html.escape(prev[1])}</a>' if prev
                 else f'<span class="off">{t["prev"]}</span>')
    parts.append(f'<a rel="next" href="{_rel(page, nxt[0])}">{t["next"]}: {html.escape(nxt[1])}</a>' if nxt
                 else f'<span class="off">{t["next"]}</span>')
    instr = f"{lang}/instructors.html"
    parts.append(f'<a href="{_rel(page, instr)}">{t["instructors"]}</a>')
    if other:
        parts.append(f'<a class="lang" hreflang="{"ko" if lang == "en" else "en"}" '
                     f'href="{_rel(page, other)}">{t["switch"]}</a>')
    return " ".join(parts)


def _page(lang: str, page: str, title: str, body: str, *, nav: str, notebook_css=False, body_attrs=("", "")) -> str:
    css = [_rel(page, "assets/site.css")]
    if notebook_css:
        css.insert(0, _rel(page, "assets/notebook.css"))
    links = "\n".join(f'<link rel="stylesheet" href="{c}">' for c in css)
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{html.escape(title)}</title>\n{links}\n</head>\n'
            f'<body class="site {body_attrs[0]}"{" " + body_attrs[1] if body_attrs[1] else ""}>\n<nav class="site-nav top">{nav}</nav>\n{body}\n'
            f'<nav class="site-nav bottom">{nav}</nav>\n</body>\n</html>\n')


def _lab_html(nb) -> tuple[str, tuple, str]:
    """nbconvert's lab rendering split into (css, (body class, body data- attributes), body); the head's scripts are dropped."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.embed_images = True
    out, _ = exporter.from_notebook_node(nb)
    head = out[out.index("<head"):out.index("</head>")]
    css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", head, re.S))
    m = re.search(r"<body([^>]*)>(.*)</body>", out, re.S)
    attrs, body = m.group(1), m.group(2)
    cls = re.search(r'class="([^"]*)"', attrs)
    data = " ".join(re.findall(r'data-[\w-]+="[^"]*"', attrs))
    # no external script may survive (mermaid, require.js, MathJax live in the head; be sure)
    body = re.sub(r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>', "", body)
    return css, ((cls.group(1) if cls else ""), data), body


def _exercise_view(nb, learner_nb, note_html: str):
    """The executed notebook with each exercise cell as the learner edition has it."""
    by_id = {c.get("id"): c for c in learner_nb.cells}
    for cell in nb.cells:
        if cell.cell_type != "code" or "solution" not in cell.get("metadata", {}).get("tags", []):
            continue
        task = by_id.get(cell.get("id"))
        if task is not None:
            cell.source = task.source
        cell.outputs = [nbformat.v4.new_output("display_data", data={
            "text/html": f'<div class="exercise-note">{note_html}</div>',
            "text/plain": "exercise"})]
    return nb


def _measured_html(lang: str, ctx: dict | None, err: str | None) -> str:
    t = site_text(lang)
    if err or not ctx:
        return f'<div class="measured">{t["not_run"].format(why=html.escape(err or "?"))}</div>'
    stamp = str(ctx.get("timestamp") or "?")
    date = stamp[:10] + (f" {stamp[11:16]}" if len(stamp) >= 16 else "")
    return ('<div class="measured">' + t["measured"].format(
        cpu=html.escape(str(ctx.get("cpu_model"))), cpus=html.escape(str(ctx.get("usable_cpus"))),
        date=html.escape(date)) + "</div>")


@dataclass
class SiteResult:
    out: Path
    pages: list
    lesson_pages: dict          # lang -> [page]
    sources: dict               # "lang/stem" -> where the executed copy came from
    errors: dict                # "lang/stem" -> error (not executed: no outputs)
    warnings: dict = None       # "lang/stem" -> cells whose output is an error (shown as it is)

    def summary(self) -> dict:
        size = sum(f.stat().st_size for f in self.out.rglob("*") if f.is_file())
        return {"out": str(self.out), "pages": len(self.pages),
                "lesson_pages": {k: len(v) for k, v in self.lesson_pages.items()},
                "bytes": size, "sources": self.sources, "errors": self.errors,
                "warnings": self.warnings or {}}


class OutInUse(ValueError):
    """--out names something the site builder may not replace (it is left as it is)."""


def check_out(out) -> None:
    """Raise :class:`OutInUse` unless ``out`` may be replaced as a whole: it is missing, an empty
    folder, or a site this builder wrote whose files are all still as it wrote them (its
    SITE_MARKER lists them with their sha256; a file browser's litter aside). A learner edition
    (``.optkit-student.json``) never is; nothing else is either, so no one's files are deleted."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise OutInUse(tr("--out {out} is not a folder (or is a link); nothing was written", out=out))
    if not any(out.iterdir()):
        return
    if (out / LEARNER_MANIFEST).exists() or (out / LEARNER_MANIFEST).is_symlink():
        raise OutInUse(tr("--out {out} holds a learner edition ({name}): the site builder never replaces "
                          "it; nothing was written. Choose another folder (the default is build/site)",
                          out=out, name=LEARNER_MANIFEST))
    marker = read_json(out / SITE_MARKER) or {}
    listed = marker.get("files") if marker.get("made_by") == "optkit site" else None
    if not isinstance(listed, dict):
        raise OutInUse(tr("--out {out} is not empty and was not made by the site builder (it has no "
                          "{marker}); nothing was written. Choose a new or empty folder (the default is "
                          "build/site); if it is a site an older optkit built, delete it yourself first",
                          out=out, marker=SITE_MARKER))
    odd = sorted(rel for rel, digest in tree_digests(out).items()
                 if rel != SITE_MARKER and listed.get(rel) != digest and Path(rel).name not in OS_LITTER)
    if odd:
        shown = ", ".join(odd[:5]) + (f" (+{len(odd) - 5})" if len(odd) > 5 else "")
        raise OutInUse(tr("--out {out} holds files the site builder did not write, or changed since it "
                          "wrote them ({files}); nothing was written. Move them away, or choose another "
                          "folder", out=out, files=shown))


def build(out=DEFAULT_OUT, *, only=None, executed_dirs=None, cache=CACHE, execute=True, log=print) -> SiteResult:
    """Build the site into `out`: replaced as a whole, and so only where :func:`check_out` allows
    (checked before the work and again before the replace; OutInUse otherwise)."""
    from optkit import student

    out = Path(out)
    check_out(out)
    dirs = {lang: list((executed_dirs or {}).get(lang, [TEST_EXECUTED[lang]])) for lang in LANGS}
    course = lessons(only)
    if not course:
        raise ValueError(f"no lessons match {only!r}")
    tmp = Path(tempfile.mkdtemp(prefix="optkit-site-"))
    staging = tmp / "site"
    try:
        editions = {}
        for lang in LANGS:
            src = NOTEBOOKS if lang == "en" else NOTEBOOKS / lang
            student.build(src, tmp / f"learner-{lang}")
            editions[lang] = tmp / f"learner-{lang}"
        pages, lesson_pages, sources, errors, files_needed = [], {l: [] for l in LANGS}, {}, {}, set()
        warnings = {}
        nb_css = None

        def write(page, text):
            dest = staging / page
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            pages.append(page)

        titles = {lang: {} for lang in LANGS}
        for lesson in course:
            for lang in LANGS:
                titles[lang][lesson.stem] = (_first_heading(lesson.source(lang))
                                             if lesson.source(lang).exists() else lesson.title)
        for lang in LANGS:
            t = site_text(lang)
            present = [ls for ls in course if ls.source(lang).exists()]
            for i, lesson in enumerate(present):
                page = f"{lang}/{lesson.stem}.html"
                other_lang = "ko" if lang == "en" else "en"
                other = f"{other_lang}/{lesson.stem}.html" if lesson.source(other_lang).exists() else None
                prev = (f"{lang}/{present[i - 1].stem}.html", titles[lang][present[i - 1].stem]) if i else None
                nxt = ((f"{lang}/{present[i + 1].stem}.html", titles[lang][present[i + 1].stem])
                       if i + 1 < len(present) else None)
                nb, ctx, where, err = executed(lesson, lang, dirs=dirs[lang], cache=cache, execute=execute, log=log)
                sources[f"{lang}/{lesson.stem}"] = where
                failed = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
                          if o.get("output_type") == "error"]
                if failed:
                    warnings[f"{lang}/{lesson.stem}"] = f"error output in cell(s) {sorted(set(failed))}"
                if err:
                    errors[f"{lang}/{lesson.stem}"] = err
                learner = nbformat.read(editions[lang] / "notebooks" / f"{lesson.stem}.ipynb", as_version=4)
                sol_md = editions[lang] / "solutions" / f"{lesson.stem}.md"
                sol_page = f"{lang}/solutions/{lesson.stem}.html"
                note = t["exercise"].format(href=_rel(page, sol_page))
                nb = _exercise_view(nb, learner, note)
                css, attrs, body = _lab_html(nb)
                nb_css = nb_css or css
                src_dir = "notebooks" if lang == "en" else f"notebooks/{lang}"
                body = rewrite_links(body, src_dir=src_dir, page=page, files_needed=files_needed)
                nav = _nav(lang, page, prev=prev, nxt=nxt, other=other)
                main_html = (_measured_html(lang, ctx, err) + f'\n<main class="lesson">{body}</main>')
                write(page, _page(lang, page, f"{titles[lang][lesson.stem]} · optkit", main_html, nav=nav,
                                  notebook_css=True, body_attrs=attrs))
                lesson_pages[lang].append(page)
                if sol_md.exists():
                    sol_other = f"{other_lang}/solutions/{lesson.stem}.html"
                    sol_other = sol_other if (lesson.source(other_lang).exists()) else None
                    back = f'<p><a href="{_rel(sol_page, page)}">{t["back"]}: {html.escape(titles[lang][lesson.stem])}</a></p>'
                    text = rewrite_links(_markdown(sol_md.read_text(encoding="utf-8")),
                                         src_dir=src_dir, page=sol_page, files_needed=files_needed)
                    write(sol_page, _page(lang, sol_page, f"{t['solutions']}: {lesson.stem} · optkit",
                                          f'<article class="md">{back}\n{text}\n{back}</article>',
                                          nav=_nav(lang, sol_page, prev=None, nxt=None, other=sol_other)))
            # the front page and the instructors' guide of this language
            index = "index.html" if lang == "en" else "ko/index.html"
            readme = REPO / ("README.md" if lang == "en" else f"README.{lang}.md")
            rows = []
            for lesson in present:
                sol = f"{lang}/solutions/{lesson.stem}.html"
                sol_cell = (f'<a href="{_rel(index, sol)}">{t["solutions"]}</a>'
                            if (editions[lang] / "solutions" / f"{lesson.stem}.md").exists() else "")
                rows.append(f'<tr><td><a href="{_rel(index, f"{lang}/{lesson.stem}.html")}">'
                            f'{html.escape(titles[lang][lesson.stem])}</a></td><td>{sol_cell}</td></tr>')
            table = (f'<h2 id="lessons">{t["lessons"]}</h2>\n<table><tr><th>{t["lesson_col"]}</th>'
                     f'<th>{t["solutions"]}</th></tr>\n' + "\n".join(rows) + "\n</table>\n"
                     f'<p><a href="{_rel(index, f"{lang}/instructors.html")}">{t["instructors"]}</a></p>')
            front = rewrite_links(_markdown(readme.read_text(encoding="utf-8")) if readme.exists() else "",
                                  src_dir="", page=index, files_needed=files_needed)
            other_index = "ko/index.html" if lang == "en" else "index.html"
            first = (f"{lang}/{present[0].stem}.html", titles[lang][present[0].stem]) if present else None
            write(index, _page(lang, index, "optkit", f'<article class="md"><p>{t["front_note"]}</p>\n{table}\n'
                                                      f'{front}</article>',
                               nav=_nav(lang, index, nxt=first, other=other_index)))
            guide = NOTEBOOKS / ("INSTRUCTORS.md" if lang == "en" else f"INSTRUCTORS.{lang}.md")
            ipage = f"{lang}/instructors.html"
            body = rewrite_links(_markdown(guide.read_text(encoding="utf-8")) if guide.exists() else "",
                                 src_dir="notebooks", page=ipage, files_needed=files_needed)
            write(ipage, _page(lang, ipage, f"{t['instructors']} · optkit", f'<article class="md">{body}</article>',
                               nav=_nav(lang, ipage, other=f"{'ko' if lang == 'en' else 'en'}/instructors.html")))
        # repository files the pages link to, as text pages
        for rel in sorted(files_needed):
            page = f"files/{rel}.html"
            text = (REPO / rel).read_text(encoding="utf-8", errors="replace")
            write(page, _page("en", page, rel, f'<article class="md"><h1>{html.escape(rel)}</h1>\n'
                                               f'<pre><code>{html.escape(text)}</code></pre></article>',
                              nav=_nav("en", page, other="ko/index.html")))
        assets = staging / "assets"
        assets.mkdir(parents=True, exist_ok=True)
        (assets / "notebook.css").write_text(nb_css or "", encoding="utf-8")
        (assets / "site.css").write_text(_site_css(), encoding="utf-8")
        (staging / SITE_MARKER).write_text(json.dumps(
            {"made_by": "optkit site", "note": "what the site builder wrote; it replaces this folder only "
             "while every file here is one of these, unchanged", "files": tree_digests(staging)}, indent=1))
        check_out(out)                    # again: minutes may have passed
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return SiteResult(out, pages, lesson_pages, sources, errors, warnings)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m optkit.site",
                                 description="build the course as a static HTML site (offline, opens from disk)")
    ap.add_argument("--out", default=str(DEFAULT_OUT),
                    help="output folder (default: build/site); replaced only when empty or a site this builder made")
    ap.add_argument("--lessons", default="", help="comma-separated lesson numbers (default: all)")
    ap.add_argument("--executed-en", action="append", default=None, metavar="DIR",
                    help="folder of executed English notebooks to reuse (default: test-artifacts/executed)")
    ap.add_argument("--executed-ko", action="append", default=None, metavar="DIR",
                    help="folder of executed Korean notebooks to reuse (default: test-artifacts/executed-ko)")
    ap.add_argument("--no-execute", action="store_true", help="never execute; lessons without an executed copy "
                                                              "are shown without outputs")
    args = ap.parse_args(argv)
    only = [s.strip() for s in args.lessons.split(",") if s.strip()] or None
    dirs = {"en": args.executed_en if args.executed_en is not None else [TEST_EXECUTED["en"]],
            "ko": args.executed_ko if args.executed_ko is not None else [TEST_EXECUTED["ko"]]}
    t0 = time.perf_counter()
    try:
        res = build(args.out, only=only, executed_dirs=dirs, execute=not args.no_execute)
    except (ValueError, OSError) as exc:
        print(f"optkit site: {exc}", file=sys.stderr)
        return 2
    s = res.summary()
    print(f"site: {s['out']}/index.html: {s['pages']} pages, lesson pages "
          + ", ".join(f"{k} {v}" for k, v in s["lesson_pages"].items())
          + f", {s['bytes'] / 1e6:.1f} MB, {time.perf_counter() - t0:.0f} s")
    for key, err in s["errors"].items():
        print(f"  {key}: {err}", file=sys.stderr)
    for key, warn in s["warnings"].items():
        print(f"  warning: {key}: {warn}", file=sys.stderr)
    return 1 if s["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
