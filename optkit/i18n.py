"""The Korean edition: translation files, the notebook generator, and what optkit says in Korean.

    python -m optkit.i18n status               which prose cells are translated, stale or missing
    python -m optkit.i18n skeleton NN_slug     create or refresh notebooks/i18n/ko/NN_slug.md
    python -m optkit.i18n stamp NN_slug ID...  mark the named blocks as updated to the current English
    python -m optkit.i18n build [NN_slug ...]  write notebooks/ko/NN_slug.ipynb from English + translation

Source of truth: the English notebook ``notebooks/NN_slug.ipynb``. Its code cells are never
translated; a Korean notebook is generated from it and from ``notebooks/i18n/ko/NN_slug.md``, a
file of blocks, one per English markdown cell::

    <!-- cell 799ab903 en:3f2a9c1d0b7e4a55 -->
    # 02 · NumPy와 OpenCV: 같은 출력, 더 짧은 시간

``en:`` holds the first 16 hex digits of sha256 of the English cell's source the translation was
made from. When the English cell changes, the hashes differ and the block is *stale*; a markdown
cell without a block (or with an empty one) is *missing*. ``tests/test_i18n.py`` fails on both, so
the two editions cannot drift. A block's text runs to the next ``<!-- cell `` line or the end of
the file; its trailing newlines are dropped.

``skeleton`` never changes a translation silently: a block whose cell still exists keeps its text
*and its old hash* (so a stale block stays stale until a translator has updated it and run
``stamp``); blocks of new cells are added empty; blocks of deleted cells are dropped, and each of
these is printed.

The generated notebook is the English one with the markdown replaced, every code cell copied
unchanged, and ONE code cell inserted right after the title cell (id ``optkit-lang``, tag
``i18n``): it sets ``OPTKIT_LANG`` and enables the Korean chart font. ``metadata.optkit.i18n``
records this, and the test that compares code cells skips exactly that cell.

Language of what optkit says: ``OPTKIT_LANG`` only (``ko`` or ``en``; unset means English).
The locale (``LANG``/``LC_ALL``) is deliberately ignored: every shell sets it, and a Korean
engineer whose desktop runs in ``ko_KR.UTF-8`` may be taking the English course; the Korean
edition sets ``OPTKIT_LANG`` itself, so nobody is switched without asking. Modules call
:func:`tr` with the English message; it returns the Korean one from :data:`MESSAGES` when the
language is Korean (formatting ``{fields}`` either way) and the English one otherwise.

Importing this module changes nothing: no environment, rcParams or font registration happens
until a function is called.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import messages_ko

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
LANGUAGES = ("en", "ko")
ENV_VAR = "OPTKIT_LANG"
SETUP_CELL_ID = "optkit-lang"
SETUP_CELL_TAG = "i18n"

__all__ = [
    "LANGUAGES", "ENV_VAR", "MESSAGES", "Block", "TranslationError", "lang", "tr",
    "source_hash", "parse", "render", "translation_path", "output_path", "english_notebooks",
    "notebook_status", "skeleton", "stamp", "generate", "build", "setup_cell",
    "korean_font_path", "use_korean_font", "lab_settings_dir", "learner_edition", "lab_setup",
    "main",
]


# --------------------------------------------------------------------------------------------
# What optkit says: language setting and message catalogue

#: English message -> translation, per language. Keys are the exact English text passed to tr();
#: the Korean catalogue lives in optkit/messages_ko.py (plain data).
MESSAGES: dict[str, dict[str, str]] = {"ko": messages_ko.MESSAGES}


def lang(env=None) -> str:
    """The language optkit speaks: ``"ko"`` when OPTKIT_LANG says Korean, else ``"en"``.

    Accepts ``ko``, ``ko_KR``, ``ko-KR``, ``ko_KR.UTF-8`` (any case). Read on every call, so a
    notebook's ``%env OPTKIT_LANG=ko`` takes effect at once. The locale is not consulted.
    """
    value = (os.environ if env is None else env).get(ENV_VAR, "")
    code = re.split(r"[_.\-@]", value.strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else "en"


def tr(message: str, /, *, language: str | None = None, **fields) -> str:
    """``message`` (English, optionally with ``{field}`` placeholders) in the current language.

    >>> tr("threads", language="ko")
    '스레드 수'
    >>> tr("{n} passed", n=3, language="en")
    '3 passed'

    A message without a translation comes back in English, so adding ``tr()`` around a string
    never breaks the English course.
    """
    language = language or lang()
    text = MESSAGES.get(language, {}).get(message, message)
    return text.format(**fields) if fields else text


# --------------------------------------------------------------------------------------------
# Translation files

HEADER = re.compile(r"^<!-- cell (?P<id>\S+) en:(?P<hash>[0-9a-f]{16}) -->[ \t]*$")
HEADER_START = "<!-- cell "


class TranslationError(ValueError):
    """A translation file that cannot be used as it is (the message says where and why)."""


@dataclass
class Block:
    cell_id: str
    en_hash: str
    text: str


def source_hash(source) -> str:
    """First 16 hex digits of sha256 of a cell source (a string or nbformat's list of lines)."""
    if isinstance(source, list):
        source = "".join(source)
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def parse(text: str, name: str = "translation") -> dict[str, Block]:
    """Blocks of a translation file, by cell id, in file order."""
    blocks: dict[str, Block] = {}
    current = None
    lines: list[str] = []

    def close():
        if current is not None:
            current.text = "".join(lines).rstrip("\n")
            blocks[current.cell_id] = current

    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        if line.startswith(HEADER_START):
            m = HEADER.match(line.rstrip("\r\n"))
            if not m:
                raise TranslationError(f"{name}:{lineno}: malformed block header {line.strip()!r}; "
                                       "expected '<!-- cell CELL_ID en:16HEXDIGITS -->'")
            close()
            if m["id"] in blocks:
                raise TranslationError(f"{name}:{lineno}: a second block for cell {m['id']}")
            current, lines = Block(m["id"], m["hash"], ""), []
        elif current is None:
            if line.strip():
                raise TranslationError(f"{name}:{lineno}: text before the first block header")
        else:
            lines.append(line)
    close()
    return blocks


def render(blocks) -> str:
    """The file text for ``blocks`` (a list of Block, or a dict as parse() returns)."""
    if isinstance(blocks, dict):
        blocks = list(blocks.values())
    out = []
    for b in blocks:
        out.append(f"<!-- cell {b.cell_id} en:{b.en_hash} -->\n")
        if b.text:
            out.append(b.text.rstrip("\n") + "\n")
    return "".join(out)


def english_notebooks(root: Path = NOTEBOOKS) -> list[Path]:
    return sorted(Path(root).glob("[0-9][0-9]_*.ipynb"))


def helper_files(root: Path = NOTEBOOKS) -> list[Path]:
    """The .py files next to the notebooks (code their worker processes import, kept in English)."""
    return sorted(Path(root).glob("*.py"))


def translation_path(stem: str, language: str = "ko", root: Path = NOTEBOOKS) -> Path:
    return Path(root) / "i18n" / language / f"{stem}.md"


def output_path(stem: str, language: str = "ko", root: Path = NOTEBOOKS) -> Path:
    return Path(root) / language / f"{stem}.ipynb"


def _read_nb(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def _first_line(source) -> str:
    text = "".join(source) if isinstance(source, list) else source
    return next((l.strip() for l in text.splitlines() if l.strip()), "(empty cell)")


@dataclass
class Problem:
    """A markdown cell whose translation is missing or stale."""
    notebook: str
    cell_id: str
    kind: str            # "missing" or "stale"
    english_first_line: str

    def __str__(self):
        return f"{self.notebook}: cell {self.cell_id} {self.kind}: {self.english_first_line!r}"


def notebook_status(en_path: Path, language: str = "ko", root: Path | None = None) -> list[Problem]:
    """Missing and stale translations of one English notebook (empty list: all current)."""
    en_path = Path(en_path)
    root = Path(root) if root is not None else en_path.parent
    nb = _read_nb(en_path)
    tpath = translation_path(en_path.stem, language, root)
    blocks = parse(tpath.read_text(encoding="utf-8"), str(tpath)) if tpath.exists() else {}
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        b = blocks.get(cell.id)
        if b is None or not b.text.strip():
            problems.append(Problem(en_path.name, cell.id, "missing", _first_line(cell.source)))
        elif b.en_hash != source_hash(cell.source):
            problems.append(Problem(en_path.name, cell.id, "stale", _first_line(cell.source)))
    return problems


def skeleton(stem: str, language: str = "ko", root: Path = NOTEBOOKS, out=None) -> Path:
    """Create or refresh the translation file of ``stem``; print what changed. Returns its path."""
    out = out or sys.stdout
    root = Path(root)
    nb = _read_nb(root / f"{stem}.ipynb")
    tpath = translation_path(stem, language, root)
    old = parse(tpath.read_text(encoding="utf-8"), str(tpath)) if tpath.exists() else {}
    new, kept, added, stale = [], 0, [], []
    md_ids = set()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        md_ids.add(cell.id)
        h = source_hash(cell.source)
        if cell.id in old:
            b = old[cell.id]                      # text AND old hash kept: nothing silently current
            new.append(b)
            kept += 1
            if b.en_hash != h:
                stale.append(cell)
        else:
            new.append(Block(cell.id, h, ""))
            added.append(cell)
    dropped = [b for cid, b in old.items() if cid not in md_ids]
    tpath.parent.mkdir(parents=True, exist_ok=True)
    tpath.write_text(render(new), encoding="utf-8")
    print(f"{tpath.relative_to(root.parent) if root.parent in tpath.parents else tpath}: "
          f"{len(new)} blocks ({kept} kept, {len(added)} new and empty, {len(dropped)} dropped)", file=out)
    for c in added:
        print(f"  new    {c.id}: {_first_line(c.source)!r}", file=out)
    for c in stale:
        print(f"  stale  {c.id}: {_first_line(c.source)!r} (English changed; update the text, "
              f"then `python -m optkit.i18n stamp {stem} {c.id}`)", file=out)
    for b in dropped:
        print(f"  dropped {b.cell_id}: its English cell is gone; first line was "
              f"{_first_line(b.text)!r}", file=out)
    return tpath


def stamp(stem: str, cell_ids, language: str = "ko", root: Path = NOTEBOOKS, out=None) -> None:
    """Set the named blocks' hashes to the current English cells (after updating their text)."""
    out = out or sys.stdout
    root = Path(root)
    nb = _read_nb(root / f"{stem}.ipynb")
    cells = {c.id: c for c in nb.cells if c.cell_type == "markdown"}
    tpath = translation_path(stem, language, root)
    blocks = parse(tpath.read_text(encoding="utf-8"), str(tpath))
    for cid in cell_ids:
        if cid not in cells:
            raise TranslationError(f"{stem}: no markdown cell {cid!r} in the English notebook")
        if cid not in blocks or not blocks[cid].text.strip():
            raise TranslationError(f"{stem}: cell {cid} has no translation to stamp")
        blocks[cid].en_hash = source_hash(cells[cid].source)
        print(f"{stem}: cell {cid} marked current", file=out)
    tpath.write_text(render(blocks), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Generator

SETUP_SOURCE = {
    "ko": ("# 한국어판 설정: optkit의 메시지를 한국어로, 차트에는 한글 글꼴을 씁니다.\n"
           "%env OPTKIT_LANG=ko\n"
           "from optkit import i18n\n"
           "i18n.use_korean_font();"),
}


def setup_cell(language: str = "ko"):
    """The one code cell the generator inserts (after the title cell)."""
    import nbformat

    cell = nbformat.v4.new_code_cell(SETUP_SOURCE[language])
    cell.id = SETUP_CELL_ID
    cell.metadata = {"tags": [SETUP_CELL_TAG]}
    return cell


def generate(en_path: Path, language: str = "ko", root: Path | None = None):
    """The translated notebook (an nbformat node) for one English notebook.

    Raises TranslationError naming every markdown cell without a translation. Stale blocks are
    used as they are (status and the test report them).
    """
    en_path = Path(en_path)
    root = Path(root) if root is not None else en_path.parent
    nb = _read_nb(en_path)
    tpath = translation_path(en_path.stem, language, root)
    if not tpath.exists():
        raise TranslationError(f"{en_path.name}: no translation file {tpath}")
    blocks = parse(tpath.read_text(encoding="utf-8"), str(tpath))
    missing = [c for c in nb.cells if c.cell_type == "markdown"
               and (c.id not in blocks or not blocks[c.id].text.strip())]
    if missing:
        lines = "\n".join(f"  cell {c.id}: {_first_line(c.source)!r}" for c in missing)
        raise TranslationError(f"{en_path.name}: {len(missing)} markdown cell(s) without a "
                               f"translation in {tpath}:\n{lines}\n"
                               f"(run `python -m optkit.i18n skeleton {en_path.stem}` and fill them in)")
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = blocks[cell.id].text
    first_md = next(i for i, c in enumerate(out.cells) if c.cell_type == "markdown")
    out.cells.insert(first_md + 1, setup_cell(language))
    meta = out.metadata.setdefault("optkit", {})
    meta["lang"] = language
    meta["i18n"] = {
        "language": language,
        "source": f"../{en_path.name}",
        "translation": f"../i18n/{language}/{en_path.stem}.md",
        "generated_by": "python -m optkit.i18n build",
        "inserted_cells": [SETUP_CELL_ID],
        "note": "generated: edit the English notebook or the translation file, then rebuild",
    }
    return out


def _dumps(nb) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def build(stems=None, language: str = "ko", root: Path = NOTEBOOKS, out=None) -> int:
    """Write every translated notebook; skip notebooks without a translation file (with a line).

    A notebook whose translation file lacks blocks is not written: its missing cells are
    printed and the exit code is 1. Returns 0 when every notebook asked for was written.
    """
    out = out or sys.stdout
    root = Path(root)
    paths = english_notebooks(root)
    if stems:
        wanted = set(stems)
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            raise TranslationError(f"no English notebook named {', '.join(sorted(unknown))}")
        paths = [p for p in paths if p.stem in wanted]
    rc = 0
    for helper in helper_files(root):     # worker code the notebooks import: the same file beside them
        target = Path(root) / language / helper.name
        if not target.is_file() or target.read_bytes() != helper.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(helper.read_bytes())
            print(f"copied   {target.relative_to(root.parent)}", file=out)
    for p in paths:
        if not translation_path(p.stem, language, root).exists():
            print(f"skipped  {p.stem}: no translation file yet", file=out)
            continue
        try:
            nb = generate(p, language, root)
        except TranslationError as exc:
            print(f"NOT BUILT {exc}", file=out)
            rc = 1
            continue
        target = output_path(p.stem, language, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _dumps(nb)
        changed = not target.exists() or target.read_text(encoding="utf-8") != text
        if changed:
            target.write_text(text, encoding="utf-8")
        stale = [q for q in notebook_status(p, language, root) if q.kind == "stale"]
        note = f" ({len(stale)} stale block(s): run status)" if stale else ""
        print(f"{'wrote' if changed else 'current'}  {target.relative_to(root.parent)}{note}", file=out)
    return rc


def expected_text(en_path: Path, language: str = "ko", root: Path | None = None) -> str:
    """What build would write for ``en_path`` (for the up-to-date test)."""
    return _dumps(generate(en_path, language, root))


# --------------------------------------------------------------------------------------------
# Korean text in charts

FONT_FAMILY = "NanumGothic"
SYSTEM_FONTS = [
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",                 # Debian fonts-nanum
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",          # Debian fonts-noto-cjk
]


def korean_font_path() -> Path | None:
    """A font file with Hangul: NanumGothic from the koreanize-matplotlib wheel, else Debian's.

    The wheel is located through its installed metadata, WITHOUT importing koreanize_matplotlib
    (importing it changes rcParams).
    """
    from importlib import metadata

    try:
        files = metadata.distribution("koreanize-matplotlib").files or []
    except metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == "NanumGothic.ttf":
            path = Path(f.locate())
            if path.exists():
                return path
    for p in SYSTEM_FONTS:
        if Path(p).exists():
            return Path(p)
    return None


def use_korean_font() -> str:
    """Let matplotlib draw Hangul: register the font and append it to ``font.family`` as a fallback.

    Latin text keeps the current font (DejaVu Sans by default, which also has the minus sign);
    glyphs it lacks fall back to the Korean font (matplotlib >= 3.6 falls back per glyph across
    the ``font.family`` list). Changes only ``rcParams["font.family"]``; call it explicitly
    (the Korean notebooks do, in their first code cell). Returns the family name registered.
    Raises RuntimeError saying what to install when no Korean font is found.
    """
    import matplotlib
    from matplotlib import font_manager

    path = korean_font_path()
    if path is None:
        raise RuntimeError("no Korean font found: `pip install koreanize-matplotlib` (optkit's "
                           "set-up installs it) or, as root, `apt-get install fonts-nanum`")
    bold = path.with_name("NanumGothicBold.ttf")
    known = {f.fname for f in font_manager.fontManager.ttflist}
    if bold.exists() and str(bold) not in known:
        # NanumGothicBold declares weight 600, so bold text (weight 700) would log "Failed to
        # find font weight bold" on every chart: register it as the bold (700) it is.
        entry = font_manager.ttfFontProperty(font_manager.get_font(str(bold)))
        font_manager.fontManager.ttflist.append(dataclasses.replace(entry, weight=700))
    if str(path) not in known:
        font_manager.fontManager.addfont(str(path))    # also clears findfont's cache
    family = font_manager.FontProperties(fname=str(path)).get_name()
    fam = matplotlib.rcParams["font.family"]
    fam = [fam] if isinstance(fam, str) else list(fam)
    matplotlib.rcParams["font.family"] = [f for f in fam if f != family] + [family]
    return family


# --------------------------------------------------------------------------------------------
# JupyterLab in Korean (`optkit lab --lang ko`, what `make lab KO=1` runs)

LAB_LOCALES = {"ko": "ko_KR"}
LANGUAGE_PACKS = {"ko": "jupyterlab-language-pack-ko-kr"}
TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"


def lab_settings_dir(language: str = "ko", dest: Path | None = None) -> Path:
    """A JupyterLab *app settings* folder for one server: the environment's own settings
    (``overrides.json`` and the rest, copied) plus the UI language as an override.

    Only the server started with ``--LabApp.app_settings_dir=<this folder>`` sees it; the
    environment's settings, hence the English route, are not touched. It is an override of the
    default, so a learner who picks another language in Settings → Language keeps their choice.
    The folder is generated (rewritten on every call); nothing a learner writes lives there.
    """
    import json
    import shutil

    from jupyterlab.commands import get_app_dir

    base = Path(get_app_dir()) / "settings"
    dest = Path(dest) if dest is not None else REPO / "build" / f"lab-{language}" / "settings"
    dest.mkdir(parents=True, exist_ok=True)
    overrides = {}
    if base.is_dir():
        for f in base.iterdir():
            if f.name == "overrides.json":
                overrides = json.loads(f.read_text(encoding="utf-8") or "{}")
            elif f.is_file():
                shutil.copy2(f, dest / f.name)
            elif f.is_dir():
                shutil.copytree(f, dest / f.name, dirs_exist_ok=True)
    overrides.setdefault(TRANSLATION_PLUGIN, {})["locale"] = LAB_LOCALES[language]
    (dest / "overrides.json").write_text(json.dumps(overrides, indent=1), encoding="utf-8")
    return dest


def learner_edition(language: str = "ko", out: Path | None = None, out_stream=None) -> Path:
    """The folder of the translated learner edition (default ``learner-<language>/`` beside
    ``notebooks/``, outside ``build/`` so that ``make clean`` never touches it), built or brought
    in step with `optkit student`, which never overwrites a notebook the learner changed."""
    from optkit import student

    src = NOTEBOOKS / language
    out = Path(out) if out is not None else REPO / f"learner-{language}"
    if not any(src.glob("[0-9][0-9]_*.ipynb")):
        raise TranslationError(f"no {language} notebooks in {src}: run `python -m optkit.i18n build`")
    rc = student.main(["--src", str(src), "--out", str(out)])
    if rc:
        raise TranslationError(f"could not build the {language} learner edition into {out}")
    return out / "notebooks"


def lab_setup(language: str, root=None) -> tuple[Path, list[str]]:
    """(notebook root, extra `jupyter lab` arguments) for JupyterLab in ``language``.

    Without ``root``: the translated learner edition. Raises TranslationError when the language
    pack is not installed (optkit's set-up installs it)."""
    from importlib import metadata

    if language not in LAB_LOCALES:
        raise TranslationError(f"no JupyterLab language for {language!r}; known: {sorted(LAB_LOCALES)}")
    try:
        metadata.distribution(LANGUAGE_PACKS[language])
    except metadata.PackageNotFoundError:
        raise TranslationError(f"JupyterLab's language pack is not installed: "
                               f"pip install {LANGUAGE_PACKS[language]} (make setup installs it)") from None
    root = Path(root) if root is not None else learner_edition(language)
    settings = lab_settings_dir(language)
    return root, [f"--LabApp.app_settings_dir={settings}"]


# --------------------------------------------------------------------------------------------
# Command line

def status(language: str = "ko", root: Path = NOTEBOOKS, out=None) -> int:
    out = out or sys.stdout
    root = Path(root)
    total_bad = 0
    for p in english_notebooks(root):
        n_md = sum(c.cell_type == "markdown" for c in _read_nb(p).cells)
        tpath = translation_path(p.stem, language, root)
        problems = notebook_status(p, language, root)
        state = "no translation file" if not tpath.exists() else (
            "complete" if not problems else
            f"{sum(q.kind == 'missing' for q in problems)} missing, "
            f"{sum(q.kind == 'stale' for q in problems)} stale")
        print(f"{p.stem:<22} {n_md - len(problems):>3}/{n_md} prose cells current  {state}", file=out)
        for q in problems if tpath.exists() else []:
            print(f"    {q.kind:<7} {q.cell_id}: {q.english_first_line!r}", file=out)
        total_bad += len(problems)
    return 1 if total_bad else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m optkit.i18n", description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", default="ko", choices=[l for l in LANGUAGES if l != "en"])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status", help="list stale and missing translations")
    sk = sub.add_parser("skeleton", help="create or refresh a translation file")
    sk.add_argument("stem", help="notebook name without .ipynb, e.g. 02_numpy_opencv")
    st = sub.add_parser("stamp", help="mark updated blocks as current")
    st.add_argument("stem")
    st.add_argument("cell_ids", nargs="+")
    bd = sub.add_parser("build", help="write notebooks/<lang>/*.ipynb")
    bd.add_argument("stems", nargs="*")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "status":
            return status(args.lang)
        if args.cmd == "skeleton":
            stem = args.stem.removesuffix(".ipynb")
            if not (NOTEBOOKS / f"{stem}.ipynb").exists():
                raise TranslationError(f"no English notebook notebooks/{stem}.ipynb")
            skeleton(stem, args.lang)
            return 0
        if args.cmd == "stamp":
            stamp(args.stem.removesuffix(".ipynb"), args.cell_ids, args.lang)
            return 0
        return build([s.removesuffix(".ipynb") for s in args.stems] or None, args.lang)
    except TranslationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
