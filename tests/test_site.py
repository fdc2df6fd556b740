"""The course as a static site (optkit.site, `make site`).

* fast: the builder on small fixtures (each lesson's source notebook with one plot output, as an
  "executed copy" newer than the source): every lesson page in both languages, exercises shown as
  the learner edition's tasks with the solution on its own page, the machine line, navigation,
  every internal link and image resolving, nothing fetched from outside;
* slow (notebook): the real site, from the test run's executed copies (test-artifacts/executed*/,
  run before this module) or executing what is missing: every lesson (00 aside) shows its plots;
* browser: Chromium opens the index and a lesson from disk (file://) with no console error and no
  request leaving the disk; screenshots in test-artifacts/site/.
"""
from __future__ import annotations

import html
import html.parser
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from optkit import site, student

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "test-artifacts" / "site"
LESSONS = site.lessons()
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


class _Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []      # (tag, attr, value, rel)
        self.imgs = 0
        self.styles = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key) is not None:
                self.refs.append((tag, key, a[key], (a.get("rel") or "").lower()))
        if tag == "img":
            self.imgs += 1
        if a.get("style"):
            self.styles.append(a["style"])

    def handle_data(self, data):
        if self.lasttag == "style":
            self.styles.append(data)


def parse(path: Path) -> _Refs:
    p = _Refs()
    p.feed(path.read_text(encoding="utf-8"))
    return p


EXTERNAL_CSS = re.compile(r"@import|url\(\s*['\"]?(?:https?:)?//", re.I)


def site_problems(out: Path, *, need_plots: bool) -> list[str]:
    """Everything wrong with a built site: missing lesson pages, broken internal links, outside refs."""
    problems = []
    for lang in site.LANGS:
        for lesson in LESSONS:
            page = out / lang / f"{lesson.stem}.html"
            if not page.is_file():
                problems.append(f"missing lesson page {page.relative_to(out)}")
            elif need_plots and not lesson.stem.startswith("00") and parse(page).imgs == 0:
                problems.append(f"{page.relative_to(out)}: no plot (no <img>)")
    pages = sorted(out.rglob("*.html"))
    for page in pages:
        refs = parse(page)
        rel = page.relative_to(out)
        for tag, attr, value, linkrel in refs.refs:
            url = urlparse(value)
            if url.scheme in ("http", "https") or value.startswith("//"):
                if tag in ("script", "img", "iframe", "source", "video", "audio") or \
                        (tag == "link" and linkrel != "alternate"):
                    problems.append(f"{rel}: <{tag} {attr}> fetches {value}")
                continue
            if url.scheme in ("data", "mailto") or value.startswith("#") or not url.path:
                continue
            if url.scheme:
                problems.append(f"{rel}: <{tag} {attr}={value}> has an unexpected scheme")
                continue
            target = (page.parent / unquote(url.path)).resolve()
            if not target.is_file():
                problems.append(f"{rel}: <{tag} {attr}={value}> does not resolve")
            elif out.resolve() not in target.parents:
                problems.append(f"{rel}: <{tag} {attr}={value}> leaves the site")
        for style in refs.styles:
            if EXTERNAL_CSS.search(style):
                problems.append(f"{rel}: a style fetches from outside: {EXTERNAL_CSS.search(style).group(0)}")
    for css in out.rglob("*.css"):
        m = EXTERNAL_CSS.search(css.read_text(encoding="utf-8"))
        if m:
            problems.append(f"{css.relative_to(out)}: {m.group(0)}")
    return problems


def test_site_problems_catches_what_it_should(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "a.css").write_text("@import url(https://fonts.example/x.css);")
    (tmp_path / "index.html").write_text(
        '<html><head><script src="https://cdn.example/require.js"></script>'
        '<link rel="stylesheet" href="https://cdn.example/x.css"></head>'
        '<body><a href="en/nowhere.html">x</a><img src="missing.png"><a href="https://example.org">ok</a>'
        '<a href="#top">ok</a></body></html>')
    got = "\n".join(site_problems(tmp_path, need_plots=False))
    for expected in ("require.js", "x.css", "en/nowhere.html> does not resolve", "missing.png> does not resolve",
                     "a.css: @import", "missing lesson page en/01_profiling.html"):
        assert expected in got, got
    assert "example.org" not in got and "#top" not in got


def _fixture_copies(tmp_path: Path) -> dict:
    """Each lesson's source notebook with one plot output, as an executed copy newer than the source."""
    dirs = {}
    for lang in site.LANGS:
        d = tmp_path / f"executed-{lang}"
        d.mkdir()
        for lesson in LESSONS:
            nb = nbformat.read(lesson.source(lang), as_version=4)
            code = next(c for c in nb.cells if c.cell_type == "code" and "solution" not in c.metadata.get("tags", []))
            code.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "plot"})]
            nbformat.write(nb, d / lesson.source(lang).name)
        dirs[lang] = [d]
    return dirs


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    res = site.build(tmp / "site", executed_dirs=_fixture_copies(tmp), cache=tmp / "cache", execute=False,
                     log=lambda *a: None)
    assert not res.errors, res.errors
    return res


def test_fixture_site_has_every_page_and_no_broken_or_outside_reference(fixture_site):
    out = fixture_site.out
    assert (out / "index.html").is_file() and (out / "ko" / "index.html").is_file()
    for lang in site.LANGS:
        assert (out / lang / "instructors.html").is_file()
        assert len(fixture_site.lesson_pages[lang]) == len(LESSONS)
    assert site_problems(out, need_plots=True) == []
    for page in out.rglob("*.html"):      # the language switch and the course index on every page
        text = page.read_text(encoding="utf-8")
        assert text.count('class="lang"') == 2 and text.count("#lessons") >= 2, page.relative_to(out)
    assert not list((fixture_site.out.parent / "cache").glob("*/*.ipynb")), "a reused copy was executed again"


def test_front_pages_are_the_readmes_and_list_every_lesson(fixture_site):
    en = (fixture_site.out / "index.html").read_text(encoding="utf-8")
    ko = (fixture_site.out / "ko" / "index.html").read_text(encoding="utf-8")
    assert "From &quot;my Python is slow&quot;" in en or 'From "my Python is slow"' in en
    assert "make site" in en and "make site" in ko
    for lesson in LESSONS:
        assert f'href="en/{lesson.stem}.html"' in en
        assert f'href="{lesson.stem}.html"' in ko       # ko/index.html -> ko/NN.html
    assert 'href="ko/index.html"' in en and 'href="../index.html"' in ko     # the language switch
    assert 'lang="ko"' in ko


def test_lesson_pages_navigate_and_say_where_they_were_measured(fixture_site):
    from optkit import bench

    cpu = str(bench.context().get("cpu_model"))
    for lang in site.LANGS:
        for i, lesson in enumerate(LESSONS):
            text = (fixture_site.out / lang / f"{lesson.stem}.html").read_text(encoding="utf-8")
            assert 'class="measured"' in text and cpu in text, f"{lang}/{lesson.stem}: no machine line"
            assert ("measures everything anew on yours" if lang == "en" else "새로 측정합니다") in text
            other = "ko" if lang == "en" else "en"
            assert f'href="../{other}/{lesson.stem}.html"' in text, f"{lang}/{lesson.stem}: no language switch"
            assert ('href="../index.html#lessons"' if lang == "en" else 'href="index.html#lessons"') in text
            if i:
                assert f'rel="prev" href="{LESSONS[i - 1].stem}.html"' in text
            if i + 1 < len(LESSONS):
                assert f'rel="next" href="{LESSONS[i + 1].stem}.html"' in text


def test_exercises_are_tasks_and_solutions_have_their_own_pages(fixture_site):
    out = fixture_site.out
    seen = 0
    for lesson in LESSONS:
        nb = nbformat.read(lesson.source("en"), as_version=4)
        solved = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
        for lang in site.LANGS:
            text = (out / lang / f"{lesson.stem}.html").read_text(encoding="utf-8")
            sol = out / lang / "solutions" / f"{lesson.stem}.html"
            if not solved:
                assert not sol.exists()
                continue
            assert sol.is_file(), f"{lang}/{lesson.stem}: no solutions page"
            assert text.count('class="exercise-note"') == len(solved)
            assert f'href="solutions/{lesson.stem}.html"' in text
            learner, _ = student.learner_notebook(nbformat.read(lesson.source(lang), as_version=4))
            page_text = _html_text(text)
            for task in (c for c in learner.cells if "solution" in c.metadata.get("tags", [])):
                assert _html_text(html.escape(task.source)) in page_text, \
                    f"{lang}/{lesson.stem}: exercise cell {task.id} is not the learner edition's task"
            soltext = sol.read_text(encoding="utf-8")
            for cell in solved:
                body = [l for l in cell.source.splitlines()
                        if l.strip() and "SOLUTION" not in l and len(l.strip()) > 25]
                learner_text = _html_text(html.escape("\n".join(c.source for c in learner.cells)))
                inside = [l for l in _between_markers(cell.source) if _html_text(html.escape(l)) not in learner_text]
                if inside:      # a solution line found nowhere in the learner edition
                    line = html.escape(inside[0])
                    assert _html_text(line) not in _html_text(text), f"{lang}/{lesson.stem}: solution shown"
                    assert _html_text(line) in _html_text(soltext), f"{lang}/{lesson.stem}: not on the solutions page"
                    seen += 1
                assert body
    assert seen > 0


def _between_markers(source: str) -> list[str]:
    lines, inside, out = source.splitlines(), False, []
    for l in lines:
        if "BEGIN SOLUTION" in l:
            inside = True
        elif "END SOLUTION" in l:
            inside = False
        elif inside and len(l.strip()) > 20 and not l.strip().startswith(("#", "//")):
            out.append(l.strip())
    return out


def _html_text(s: str) -> str:
    import html as h

    return re.sub(r"\s+", "", h.unescape(re.sub(r"<[^>]+>", "", s)))


def test_builder_reuses_only_fresh_copies(tmp_path):
    lesson = LESSONS[0]
    d = tmp_path / "ex"
    d.mkdir()
    copy = d / lesson.source("en").name
    shutil.copy(lesson.source("en"), copy)
    old = lesson.source("en").stat().st_mtime - 60
    os.utime(copy, (old, old))
    nb, ctx, where, err = site.executed(lesson, "en", dirs=[d], cache=tmp_path / "cache", execute=False)
    assert where == "not executed" and err                      # stale: not reused
    os.utime(copy, None)
    nb, ctx, where, err = site.executed(lesson, "en", dirs=[d], cache=tmp_path / "cache", execute=False)
    assert where == str(copy) and err is None and ctx["cpu_model"] and ctx["timestamp"]


def test_cli_rejects_an_unknown_lesson(capsys):
    assert site.main(["--out", "/nonexistent-optkit-site", "--lessons", "99", "--no-execute"]) == 2
    assert "no lessons match" in capsys.readouterr().err


def test_cli_never_replaces_a_learner_edition_or_a_folder_it_did_not_make(tmp_path, capsys):
    """A4 3: --out naming a learner edition (or build/, which holds build/student) or any other
    folder of someone's is refused with exit code 2 before any work, and left as it is."""
    from optkit.files import tree_digests

    learner = tmp_path / "learner"
    student.build(site.NOTEBOOKS, learner)
    (learner / "notebooks" / "my_notes.md").write_text("my notes")
    build_dir = tmp_path / "build"
    (build_dir / "student" / "notebooks").mkdir(parents=True)
    (build_dir / "student" / "notebooks" / "00_welcome.ipynb").write_text("{}")
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    for out, says in ((learner, "learner edition"), (build_dir, "not made by the site builder"),
                      (a_file, "not a folder")):
        before = tree_digests(out) if out.is_dir() else out.read_text()
        assert site.main(["--out", str(out), "--lessons", "00", "--no-execute"]) == 2, out
        assert says in capsys.readouterr().err
        assert (tree_digests(out) if out.is_dir() else out.read_text()) == before, f"{out} was touched"
    assert (learner / "notebooks" / "my_notes.md").read_text() == "my notes"


def test_the_builder_replaces_its_own_site_only_while_it_holds_only_its_files(tmp_path, monkeypatch):
    """An empty or missing --out is built; the same folder again (make site twice); a file added
    there, or a page changed, makes it refuse (a file browser's .DS_Store aside)."""
    copies = _fixture_copies(tmp_path)
    out = tmp_path / "site"
    out.mkdir()                                           # empty: built
    for _ in range(2):
        res = site.build(out, only=["00"], executed_dirs=copies, cache=tmp_path / "cache", execute=False,
                         log=lambda *a: None)
        assert (out / "index.html").is_file() and (out / site.SITE_MARKER).is_file() and not res.errors
    (out / ".DS_Store").write_bytes(b"\0")
    site.check_out(out)                                   # litter only: still the builder's
    (out / "en" / "my_notes.md").write_text("mine")
    with pytest.raises(site.OutInUse, match="did not write.*en/my_notes.md"):
        site.check_out(out)
    (out / "en" / "my_notes.md").unlink()
    (out / "index.html").write_text("edited")
    with pytest.raises(site.OutInUse, match="changed since.*index.html"):
        site.check_out(out)
    (out / site.SITE_MARKER).unlink()                     # an old site, or anyone's folder
    with pytest.raises(site.OutInUse, match="not made by the site builder"):
        site.check_out(out)
    site.check_out(tmp_path / "missing")

    fresh, real_tree = tmp_path / "fresh", site.tree_digests
    site.build(fresh, only=["00"], executed_dirs=copies, cache=tmp_path / "cache", execute=False,
               log=lambda *a: None)

    def a_file_added_during_the_build(root):              # the site is staged elsewhere meanwhile
        if Path(root) != fresh:
            (fresh / "late.txt").write_text("mine")
        return real_tree(root)

    monkeypatch.setattr(site, "tree_digests", a_file_added_during_the_build)
    with pytest.raises(site.OutInUse, match="late.txt"):   # checked again just before the replace
        site.build(fresh, only=["00"], executed_dirs=copies, cache=tmp_path / "cache", execute=False,
                   log=lambda *a: None)
    assert (fresh / "late.txt").read_text() == "mine" and (fresh / "index.html").is_file()


# ---------------------------------------------------------------------------------------------
# the real site: executed notebooks


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    out = REPO / "build" / "site-test"
    if out.is_dir() and not (out / site.SITE_MARKER).exists():
        shutil.rmtree(out)     # this test's own folder, from a builder before the marker (which refuses it)
    res = site.build(out)      # reuses test-artifacts/executed*/ and build/site-cache/, executes the rest
    return res


@pytest.mark.notebook
@pytest.mark.slow
def test_real_site_every_lesson_shows_its_plots_and_every_link_resolves(real_site):
    assert not real_site.errors, real_site.errors
    assert not real_site.warnings, real_site.warnings      # no lesson shows a traceback
    assert site_problems(real_site.out, need_plots=True) == []


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(600)
def test_chromium_opens_the_site_from_disk_without_console_errors(real_site):
    pytest.importorskip("playwright")
    from optkit import i18n
    from tests.browser_helpers import Browser, find_chromium

    if not find_chromium():
        pytest.skip("chromium not found: install Debian's chromium (make browser-deps)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = real_site.out.resolve()
    targets = [("index", out / "index.html"), ("en-02", out / "en" / "02_numpy_opencv.html"),
               ("ko-01", out / "ko" / "01_profiling.html")]
    problems = []
    with Browser(font_dirs=[i18n.korean_font_path().parent]) as browser:
        for name, path in targets:
            page = browser.new_page()
            messages, outside = [], []
            page.on("console", lambda m, name=name: messages.append(f"{name}: console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e, name=name: messages.append(f"{name}: page error: {e}"))
            page.on("request", lambda r, name=name: outside.append(f"{name}: request {r.url}")
                    if not r.url.startswith(("file:", "data:")) else None)
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            imgs = page.evaluate("() => [...document.images].map(i => [i.complete && i.naturalWidth > 0, "
                                 "i.src.slice(0, 40)])")
            broken = [src for ok, src in imgs if not ok]
            if broken:
                problems.append(f"{name}: images that did not load: {broken[:3]}")
            if name != "index" and not imgs:
                problems.append(f"{name}: no image on the page")
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
            if name != "index" and imgs:       # and one of its plots
                page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS / f"{name}-plot.png"), full_page=False)
            problems += messages + outside
            page.close()
    assert problems == []
