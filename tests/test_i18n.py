"""The Korean edition cannot drift from the English one.

* every English markdown cell has a current Korean translation (stale and missing fail, naming
  the notebook, the cell id and the English first line);
* every generated Korean notebook equals what `python -m optkit.i18n build` writes now, so its
  code cells are the English ones byte for byte (the one inserted set-up cell, id
  ``optkit-lang``, is the only extra cell, and metadata.optkit.i18n says so);
* changing an English cell makes the stale check fail (demonstrated on a temporary copy);
* optkit's language setting and the Korean chart font.
"""
import json
import shutil
import warnings

import nbformat
import pytest

from optkit import i18n
from tests import test_notebooks

REPO = i18n.REPO
ENGLISH = i18n.english_notebooks()
IDS = [p.stem for p in ENGLISH]
KOREAN = sorted((REPO / "notebooks" / "ko").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", ENGLISH, ids=IDS)
def test_every_prose_cell_has_a_current_translation(path):
    problems = i18n.notebook_status(path)
    assert not problems, (f"{len(problems)} Korean translation(s) missing or stale "
                          f"(update notebooks/i18n/ko/{path.stem}.md, then `python -m optkit.i18n stamp`):\n"
                          + "\n".join(str(p) for p in problems))


@pytest.mark.parametrize("path", ENGLISH, ids=IDS)
def test_korean_notebook_is_up_to_date_with_the_generator(path):
    target = i18n.output_path(path.stem)
    if not i18n.translation_path(path.stem).exists():
        assert not target.exists(), f"{target.name} exists without a translation file"
        pytest.skip(f"{path.stem}: not translated yet (reported by the translation test)")
    expected = i18n.expected_text(path)
    assert target.exists(), f"notebooks/ko/{path.name} missing: run `python -m optkit.i18n build`"
    assert target.read_text(encoding="utf-8") == expected, (
        f"notebooks/ko/{path.name} differs from the generator's output: run `python -m optkit.i18n build`")


@pytest.mark.parametrize("path", KOREAN, ids=[p.stem for p in KOREAN])
def test_korean_code_cells_are_the_english_ones(path):
    ko = nbformat.read(path, as_version=4)
    en = nbformat.read(REPO / "notebooks" / path.name, as_version=4)
    meta = ko.metadata["optkit"]["i18n"]
    assert meta["language"] == "ko" and meta["inserted_cells"] == [i18n.SETUP_CELL_ID]
    inserted = [c for c in ko.cells if c.id == i18n.SETUP_CELL_ID]
    assert len(inserted) == 1 and "%env OPTKIT_LANG=ko" in inserted[0].source
    rest = [c for c in ko.cells if c.id != i18n.SETUP_CELL_ID]
    assert [(c.id, c.cell_type) for c in rest] == [(c.id, c.cell_type) for c in en.cells]
    for k, e in zip(rest, en.cells):
        if e.cell_type == "code":
            assert k == e, f"{path.name}: code cell {e.id} differs from the English one"
    assert ko.metadata["kernelspec"] == en.metadata["kernelspec"]


def _copy_course(tmp_path, stem):
    root = tmp_path / "notebooks"
    (root / "i18n" / "ko").mkdir(parents=True)
    shutil.copy(REPO / "notebooks" / f"{stem}.ipynb", root)
    return root


def test_changing_an_english_cell_makes_its_translation_stale(tmp_path):
    stem = "00_welcome"
    root = _copy_course(tmp_path, stem)
    en = root / f"{stem}.ipynb"
    i18n.skeleton(stem, root=root)
    tfile = i18n.translation_path(stem, root=root)
    # Fill every block with a "translation": now everything is current.
    blocks = i18n.parse(tfile.read_text(encoding="utf-8"))
    for b in blocks.values():
        b.text = f"번역 {b.cell_id}"
    tfile.write_text(i18n.render(blocks), encoding="utf-8")
    assert i18n.notebook_status(en) == []
    # Change one English prose cell: that one cell, and only it, turns stale.
    nb = nbformat.read(en, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.id != nb.cells[0].id)
    cell.source = "## A changed heading\n\n" + cell.source
    nbformat.write(nb, en)
    problems = i18n.notebook_status(en)
    assert [(p.kind, p.cell_id, p.english_first_line) for p in problems] == [
        ("stale", cell.id, "## A changed heading")]
    assert cell.id in str(problems[0]) and f"{stem}.ipynb" in str(problems[0])
    # A refreshed skeleton keeps the text and the OLD hash: still stale, nothing silent.
    i18n.skeleton(stem, root=root)
    assert [p.kind for p in i18n.notebook_status(en)] == ["stale"]
    assert i18n.parse(tfile.read_text(encoding="utf-8"))[cell.id].text == f"번역 {cell.id}"
    # After the translator updates it and stamps it, it passes again.
    i18n.stamp(stem, [cell.id], root=root)
    assert i18n.notebook_status(en) == []
    # A new English cell is missing; the generator refuses to build without it.
    nb.cells.append(nbformat.v4.new_markdown_cell("## Brand new"))
    nbformat.write(nb, en)
    new_id = nb.cells[-1].id
    assert [(p.kind, p.cell_id) for p in i18n.notebook_status(en)] == [("missing", new_id)]
    with pytest.raises(i18n.TranslationError, match=new_id):
        i18n.generate(en)


def test_build_skips_untranslated_and_copies_code(tmp_path, capsys):
    stem = "00_welcome"
    root = _copy_course(tmp_path, stem)
    shutil.copy(REPO / "notebooks" / "08_capstone.ipynb", root)
    i18n.skeleton(stem, root=root)
    tfile = i18n.translation_path(stem, root=root)
    blocks = i18n.parse(tfile.read_text(encoding="utf-8"))
    for b in blocks.values():
        b.text = "번역"
    tfile.write_text(i18n.render(blocks), encoding="utf-8")
    assert i18n.build(root=root) == 0
    out = capsys.readouterr().out
    assert "skipped  08_capstone" in out
    ko = nbformat.read(i18n.output_path(stem, root=root), as_version=4)
    en = nbformat.read(root / f"{stem}.ipynb", as_version=4)
    assert len(ko.cells) == len(en.cells) + 1 and ko.cells[1].id == i18n.SETUP_CELL_ID
    assert all(c.source == "번역" for c in ko.cells if c.cell_type == "markdown")
    assert ko.metadata["optkit"]["lang"] == "ko"
    assert not i18n.output_path("08_capstone", root=root).exists()


def test_parse_rejects_malformed_files():
    with pytest.raises(i18n.TranslationError, match="malformed"):
        i18n.parse("<!-- cell abc en:123 -->\n텍스트\n")
    with pytest.raises(i18n.TranslationError, match="second block"):
        i18n.parse("<!-- cell a en:0123456789abcdef -->\nx\n<!-- cell a en:0123456789abcdef -->\ny\n")
    with pytest.raises(i18n.TranslationError, match="before the first"):
        i18n.parse("stray\n<!-- cell a en:0123456789abcdef -->\nx\n")
    b = i18n.parse("<!-- cell a en:0123456789abcdef -->\n# 제목\n\n본문\n")
    assert b["a"].text == "# 제목\n\n본문" and b["a"].en_hash == "0123456789abcdef"
    assert i18n.parse(i18n.render(b))["a"].text == b["a"].text


def test_hash_is_the_documented_one():
    import hashlib

    src = ["# Title\n", "\n", "text"]
    assert i18n.source_hash(src) == hashlib.sha256("".join(src).encode()).hexdigest()[:16]
    assert i18n.source_hash("# Title\n\ntext") == i18n.source_hash(src)


def test_language_setting_is_opt_in():
    assert i18n.lang({}) == "en"
    assert i18n.lang({"LANG": "ko_KR.UTF-8", "LC_ALL": "ko_KR.UTF-8"}) == "en"   # locale ignored
    for v in ("ko", "KO", "ko_KR", "ko-KR", "ko_KR.UTF-8"):
        assert i18n.lang({"OPTKIT_LANG": v}) == "ko"
    assert i18n.lang({"OPTKIT_LANG": "fr"}) == "en"


def test_tr_translates_and_falls_back(monkeypatch):
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    assert i18n.tr("threads") == "스레드 수"
    assert i18n.tr("no such message {n}", n=2) == "no such message 2"
    monkeypatch.setenv("OPTKIT_LANG", "en")
    assert i18n.tr("threads") == "threads"
    monkeypatch.delenv("OPTKIT_LANG")
    assert i18n.tr("NOT YET") == "NOT YET"
    assert i18n.tr("NOT YET", language="ko") == "아직 작성 전"


def test_import_changes_no_global_state():
    import subprocess
    import sys

    code = ("import matplotlib, os; before = (list(matplotlib.rcParams['font.sans-serif']), "
            "dict(os.environ)); import optkit.i18n; import sys; "
            "assert 'koreanize_matplotlib' not in sys.modules; "
            "assert before == (list(matplotlib.rcParams['font.sans-serif']), dict(os.environ))")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_korean_chart_text_has_every_glyph(tmp_path, monkeypatch, caplog):
    import logging

    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    assert i18n.korean_font_path() is not None, "no Korean font: koreanize-matplotlib not installed?"
    saved = matplotlib.rcParams.copy()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            i18n.use_korean_font()
            fig = Figure(figsize=(5, 3))
            ax = fig.subplots()
            ax.bar(["기준 구현", "NumPy 벡터화"], [1.0, -0.3])
            ax.set_title("속도 향상: 같은 출력, 더 빠른 연산")
            ax.set_xlabel("구현")
            ax.set_ylabel("호출당 시간 (ms)")
            fig.savefig(tmp_path / "ko.png")
            # optkit's own charts speak Korean under OPTKIT_LANG=ko (bold value labels included)
            monkeypatch.setenv("OPTKIT_LANG", "ko")
            from optkit import plot

            with caplog.at_level(logging.INFO, logger="matplotlib.font_manager"):
                bars = plot.speedup_bars({"루프": 0.2, "numpy": 0.01, "느린 것": 0.4}, baseline="루프")
                bars.savefig(tmp_path / "bars.png")
            assert "대비 속도 향상" in bars.axes[0].get_xlabel()
            assert not [r for r in caplog.records if "findfont" in r.getMessage()], caplog.text
        missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
        assert not missing, missing
        assert (tmp_path / "ko.png").stat().st_size > 1000
        # The check can fail: without the Korean font, the same title warns.
        matplotlib.rcParams.update(saved)
        matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = Figure()
            fig.subplots().set_title("속도 향상")
            fig.savefig(tmp_path / "tofu.png")
        assert any("missing from" in str(w.message) for w in caught)
    finally:
        matplotlib.rcParams.update(saved)


@pytest.mark.notebook
@pytest.mark.parametrize("path", KOREAN, ids=[f"ko-{p.stem}" for p in KOREAN])
def test_korean_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    """The Korean notebooks pass the same execution test as the English ones."""
    from tests import nbrun

    monkeypatch.setattr(nbrun, "ARTIFACTS", REPO / "test-artifacts" / "executed-ko")   # not over the English copies
    test_notebooks.test_notebook_runs_top_to_bottom(path, tmp_path)


def test_korean_lab_settings_leave_the_english_route_alone(tmp_path):
    from jupyterlab.commands import get_app_dir

    base = i18n.Path(get_app_dir()) / "settings" / "overrides.json"
    before = base.read_text() if base.exists() else None
    settings = i18n.lab_settings_dir("ko", tmp_path / "settings")
    over = json.loads((settings / "overrides.json").read_text())
    assert over[i18n.TRANSLATION_PLUGIN]["locale"] == "ko_KR"
    if before is not None:        # the environment's own overrides are carried over, unchanged
        for k, v in json.loads(before).items():
            assert over[k] == v if k != i18n.TRANSLATION_PLUGIN else True
    assert (base.read_text() if base.exists() else None) == before
    if before is not None:
        assert i18n.TRANSLATION_PLUGIN not in json.loads(before)


def test_korean_learner_edition_is_kept_in_step_without_losing_work(tmp_path, capsys):
    if not KOREAN:
        pytest.skip("no Korean notebooks generated yet")
    out = tmp_path / "learner-ko"
    nbdir = i18n.learner_edition("ko", out)
    assert nbdir == out / "notebooks" and (nbdir / KOREAN[0].name).exists()
    mine = nbdir / KOREAN[0].name
    nb = json.loads(mine.read_text())
    nb["cells"][0]["source"] = "".join(nb["cells"][0]["source"]) + "\nmy note"   # the learner's work
    mine.write_text(json.dumps(nb))
    notes = nbdir / "my-notes.md"
    notes.write_text("mine")
    capsys.readouterr()
    i18n.learner_edition("ko", out)                 # every `make lab KO=1` does this
    assert "my note" in mine.read_text(), "a notebook the learner changed was overwritten"
    assert notes.read_text() == "mine"
    assert "kept as they are" in capsys.readouterr().out
    opened = nbdir / KOREAN[1].name                  # only opened: JupyterLab rewrote its metadata
    nb = json.loads(opened.read_text())
    nb.setdefault("metadata", {})["language_info"] = {"name": "python"}
    opened.write_text(json.dumps(nb))
    i18n.learner_edition("ko", out)
    assert json.loads(opened.read_text())["metadata"]["language_info"] == {"name": "python"}, \
        "a notebook only opened was rewritten while the course did not change"


@pytest.mark.slow
def test_lab_ko_serves_jupyterlab_in_korean(tmp_path):
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.test_cli import free_port

    root = tmp_path / "root"
    root.mkdir()
    port = free_port()
    env = dict(__import__("os").environ, JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    proc = subprocess.Popen([sys.executable, "-m", "optkit.cli", "lab", "--port", str(port),
                             "--lang", "ko", "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env)
    try:
        token, lines, deadline = None, [], time.time() + 120
        while time.time() < deadline and token is None:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if f"127.0.0.1:{port}/lab?token=" in line:
                token = line.strip().split("token=")[1]
        assert token, "no URL printed:\n" + "".join(lines)
        base = f"http://127.0.0.1:{port}"

        def get(path):
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"{base}{path}?token={token}", timeout=5) as r:
                        return json.load(r)
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.5)
            raise AssertionError(f"no answer from {path}")

        plugin = get(f"/lab/api/settings/{i18n.TRANSLATION_PLUGIN}")
        # the override becomes the setting's default; the (empty) user settings keep it
        assert plugin["schema"]["properties"]["locale"]["default"] == "ko_KR"
        assert plugin["settings"].get("locale", "ko_KR") == "ko_KR", plugin["settings"]
        packs = get("/lab/api/translations/")
        assert "ko_KR" in packs["data"], sorted(packs["data"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize("path", KOREAN, ids=[p.stem for p in KOREAN])
def test_korean_links_land_on_files(path):
    import re

    nb = nbformat.read(path, as_version=4)
    broken = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", cell.source):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (path.parent / target.split("#")[0]).exists():
                broken.append((cell.id, target))
    assert not broken, f"{path.name}: links to missing files (from notebooks/ko/): {broken}"


@pytest.fixture(scope="module")
def korean_learner_edition(tmp_path_factory):
    from optkit import student

    out = tmp_path_factory.mktemp("learner-ko") / "student"
    student.build(REPO / "notebooks" / "ko", out)
    return out / "notebooks"


@pytest.mark.notebook
@pytest.mark.parametrize("path", [p for p in KOREAN if any(
    "solution" in c.get("metadata", {}).get("tags", []) for c in nbformat.read(p, as_version=4).cells)],
    ids=lambda p: f"ko-{p.stem}")
def test_korean_learner_edition_says_not_yet(path, korean_learner_edition, monkeypatch):
    """The Korean learner edition passes the English learner-edition test."""
    from tests import test_student

    test_student.test_learner_edition_runs_and_every_check_says_not_yet(path, korean_learner_edition, monkeypatch)


def _broken_emphasis(text):
    """`*`/`**` runs that CommonMark will not read as the emphasis they were meant to be.

    In Korean a particle follows the closing delimiter directly (`**통과**를`). After a
    punctuation character (`` **`code`**를 ``, `**(x)**는`) such a run is not right-flanking and
    the asterisks show up literally; the same for an opener between a letter and punctuation.
    Runs are paired in order within a paragraph; code spans and indented code are skipped."""
    import re
    import unicodedata

    def punct(ch):
        return bool(ch) and unicodedata.category(ch)[0] in "PS"

    def ws(ch):
        return not ch or ch.isspace()

    bad = []
    fenced = False
    for para in re.split(r"\n\s*\n", text):
        state = {}
        for line in para.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if fenced or line.startswith("    "):
                continue
            line = re.sub(r"`[^`]*`", "`", line)
            line = re.sub(r"^(\s*)\* ", r"\1- ", line)            # a list bullet is not emphasis
            for m in re.finditer(r"(?<!\*)(\*{1,3})(?!\*)", line):
                d = m.group(1)
                b = line[m.start() - 1] if m.start() else ""
                a = line[m.end()] if m.end() < len(line) else ""
                left = not ws(a) and (not punct(a) or ws(b) or punct(b))
                right = not ws(b) and (not punct(b) or ws(a) or punct(a))
                opening = not state.get(d, False)
                state[d] = opening
                if (opening and not left) or (not opening and not right):
                    bad.append(line[max(0, m.start() - 15):m.end() + 15])
    return bad


def test_emphasis_check_catches_a_closing_run_after_punctuation():
    assert _broken_emphasis("이것은 **`code`**이고 **(괄호)**를 봅니다.")
    assert not _broken_emphasis("이것은 **통과**이고 *(괄호)* 뒤에, **`code`** 를 봅니다.\n- **항목**: 설명")


@pytest.mark.parametrize("path", ENGLISH, ids=IDS)
def test_korean_emphasis_renders(path):
    tfile = i18n.translation_path(path.stem)
    if not tfile.exists():
        pytest.skip("not translated yet")
    bad = {cid: _broken_emphasis(b.text) for cid, b in i18n.parse(tfile.read_text(encoding="utf-8")).items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, (f"{tfile.name}: emphasis that shows as literal asterisks (put a space or move the "
                     f"particle, or drop the punctuation inside): {bad}")


def test_lab_ko_without_the_language_pack_is_a_clear_error(monkeypatch, capsys):
    from importlib import metadata

    from optkit import cli

    real = metadata.distribution

    def missing(name):
        if name == i18n.LANGUAGE_PACKS["ko"]:
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    monkeypatch.setattr(cli.os, "execv", lambda *a: pytest.fail("must not start JupyterLab"))
    assert cli.lab(["--lang", "ko", "--port", "18999"]) == 2
    assert "pip install jupyterlab-language-pack-ko-kr" in capsys.readouterr().err


def test_korean_edition_has_the_helper_files_beside_its_notebooks():
    """The .py files notebooks 06 and 07 import (their worker code) sit next to the Korean
    notebooks too, byte for byte: the same code is measured in both editions."""
    helpers = i18n.helper_files()
    assert {h.name for h in helpers} >= {"lesson06_datasets.py", "lesson07_tasks.py"}
    for h in helpers:
        ko = REPO / "notebooks" / "ko" / h.name
        assert ko.is_file() and ko.read_bytes() == h.read_bytes(), (
            f"notebooks/ko/{h.name} missing or not the English file: run `python -m optkit.i18n build`")


def test_build_copies_helper_files_and_keeps_them_in_step(tmp_path, capsys):
    stem = "00_welcome"
    root = _copy_course(tmp_path, stem)
    (root / "lesson99_tasks.py").write_text("def f():\n    return 1\n")
    i18n.build(root=root)
    assert (root / "ko" / "lesson99_tasks.py").read_text() == "def f():\n    return 1\n"
    assert "copied   notebooks/ko/lesson99_tasks.py" in capsys.readouterr().out
    i18n.build(root=root)
    assert "copied" not in capsys.readouterr().out           # already the same: not written again
    (root / "lesson99_tasks.py").write_text("def f():\n    return 2\n")
    i18n.build(root=root)
    assert (root / "ko" / "lesson99_tasks.py").read_text().endswith("return 2\n")
