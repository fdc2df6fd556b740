"""Build the learner edition of the course notebooks.

    optkit student [--out DIR] [--src DIR] [--force] [--json]

The source notebooks (notebooks/) are the instructor edition: every exercise is solved and
every self-check passes. The learner edition is the same course with the solutions taken out:

* in every code cell tagged ``solution``, each region between the marker lines
  ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (``// BEGIN SOLUTION`` / ``// END SOLUTION``
  in C code) is replaced, at the marker's indentation, by ``cell.metadata.optkit.stub`` when the
  cell has one, else by ``raise NotImplementedError("exercise: write your version here")``
  (C regions: a ``PyErr_SetString(PyExc_NotImplementedError, ...); return NULL;`` line), so the
  self-check shows "not yet" until the learner writes their version;
* every output and execution count is removed; all other cells are unchanged.

Layout of DIR (default build/student)::

    DIR/README.md              what this is, how to start, where the solutions are
    DIR/notebooks/NN_*.ipynb   the learner notebooks (their course-index link opens 00_welcome.ipynb)
    DIR/solutions/NN_*.md      the solution code of each notebook that has exercises
    DIR/.optkit-student.json   the manifest: every file the builder wrote and its sha256
    DIR/.optkit-student.lock   locked while a build runs (an empty file; not one of the edition's)

Re-running the command on an existing edition brings it in step with the course without losing
learner work: a file is updated only while it is still what the builder wrote; a notebook the
learner changed is kept, the new version is written beside it (``02_numpy_opencv.new.ipynb``, once
per course version) and the command says so; a notebook only opened in JupyterLab (which writes its
``language_info``) still counts as the builder's (optkit.edition); files the learner added are never
touched (see :func:`build`).

A solution cell without markers, an unmatched marker, or markers in a cell not tagged
``solution`` is an authoring mistake: :class:`SolutionMarkerError` names the notebook and cell.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .edition import LOCK, MANIFEST, STAMP, adoptable, foreign_files, manifest_bytes, notebook_digests
from .files import PUBLIC_MODE, exclusive_lock, file_digest, name_beside, remove_unchanged, sha256_hex, write_atomic
from . import messages_ko

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO / "notebooks"
DEFAULT_OUT = REPO / "build" / "student"
NOT_COPIED = {"INSTRUCTORS.md"}        # instructor-only files in notebooks/ (and every INSTRUCTORS.*)

STUB_TEXT = "exercise: write your version here"    # written in the notebook's language
PY_STUB = f'raise NotImplementedError("{STUB_TEXT}")'
C_STUB = f'PyErr_SetString(PyExc_NotImplementedError, "{STUB_TEXT}"); return NULL;'
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<lead>###|//)\s*(?P<kind>BEGIN|END) SOLUTION\b.*$")

__all__ = ["SolutionMarkerError", "BadLocation", "MANIFEST", "strip_solutions", "learner_notebook", "build", "main",
           "PY_STUB", "C_STUB", "STUB_TEXT"]


class SolutionMarkerError(ValueError):
    """A solution cell whose markers are missing or unbalanced."""


class BadLocation(ValueError):
    """--src or --out names a folder the learner edition cannot be built from or into."""


@dataclass
class Exercise:
    """One solution cell: where it is and what was taken out."""
    notebook: str
    cell: int
    heading: str
    language: str           # "python" or "c"
    source: str             # the full solution cell (instructor edition)
    regions: list = field(default_factory=list)   # the removed code, one string per region


def _where(notebook: str, index: int, source: str) -> str:
    first = next((l.strip() for l in source.splitlines() if l.strip()), "")
    return f"{notebook or 'notebook'} cell {index} ({first[:60]!r})"


def _stub_lines(stub: str, indent: str) -> list[str]:
    body = textwrap.dedent(stub.strip("\n"))
    return [(indent + line) if line.strip() else "" for line in body.splitlines()]


def strip_solutions(source: str, stub=None, *, where: str = "cell", lang: str = "en") -> tuple[str, list[str]]:
    """Replace every solution region of one cell's source (a stub's STUB_TEXT in ``lang``).

    stub: None (default stubs), a string (used for every region) or a list of strings (one per
    region). Returns (new source, removed regions). Raises SolutionMarkerError for no markers,
    an END without BEGIN, a BEGIN without END, nested regions, or a stub list of the wrong length.
    """
    lines = source.splitlines()
    out, regions = [], []
    current = None     # (indent, lead, start line number, collected lines)
    n_region = 0
    if isinstance(stub, (list, tuple)):
        stubs = [str(s) for s in stub]
    elif stub is None or isinstance(stub, str):
        stubs = None
    else:
        raise SolutionMarkerError(f"{where}: metadata.optkit.stub must be a string or a list of "
                                  f"strings, got {type(stub).__name__}")
    for no, line in enumerate(lines, 1):
        m = _MARKER.match(line)
        if m and m["kind"] == "BEGIN":
            if current is not None:
                raise SolutionMarkerError(f"{where}: BEGIN SOLUTION on line {no} inside the region "
                                          f"opened on line {current[2]} (regions cannot nest)")
            current = (m["indent"], m["lead"], no, [])
            continue
        if m and m["kind"] == "END":
            if current is None:
                raise SolutionMarkerError(f"{where}: END SOLUTION on line {no} without a BEGIN SOLUTION")
            indent, lead, _, body = current
            regions.append("\n".join(body))
            if stubs is not None:
                text = stubs[n_region] if n_region < len(stubs) else ""   # counted, reported below
            elif isinstance(stub, str):
                text = stub
            else:
                text = C_STUB if lead == "//" else PY_STUB
            if lang == "ko":   # the catalogue read directly: optkit.i18n imports this module
                text = text.replace(STUB_TEXT, messages_ko.MESSAGES.get(STUB_TEXT, STUB_TEXT))
            out.extend(_stub_lines(text, indent))
            n_region += 1
            current = None
            continue
        if current is not None:
            current[3].append(line)
        else:
            out.append(line)
    if current is not None:
        raise SolutionMarkerError(f"{where}: BEGIN SOLUTION on line {current[2]} has no END SOLUTION")
    if not regions:
        raise SolutionMarkerError(f"{where}: tagged 'solution' but has no '### BEGIN SOLUTION' / "
                                  f"'### END SOLUTION' lines (or '// BEGIN SOLUTION' in C)")
    if stubs is not None and len(stubs) != len(regions):
        raise SolutionMarkerError(f"{where}: metadata.optkit.stub lists {len(stubs)} stubs for "
                                  f"{len(regions)} solution regions")
    text = "\n".join(out)
    if source.endswith("\n"):
        text += "\n"
    return text, regions


def _heading_before(nb, index: int) -> str:
    """The nearest heading above the cell (the exercise's title), else the nearest markdown line."""
    fallback = None
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type != "markdown":
            continue
        lines = [l.strip() for l in cell.source.splitlines() if l.strip()]
        heads = [l for l in lines if l.startswith("#")]
        if heads:
            return heads[-1].lstrip("#").strip()[:100]
        if fallback is None and lines:
            fallback = lines[0][:100]
    return fallback or f"cell {index}"


def _language(source: str) -> str:
    return "c" if any(m and m["lead"] == "//" for m in map(_MARKER.match, source.splitlines())) else "python"


def learner_notebook(nb, name: str = "") -> tuple[object, list[Exercise]]:
    """The learner edition of one notebook (a new object) and the exercises taken out of it."""
    out = copy.deepcopy(nb)
    exercises, lang = [], nb.metadata.get("optkit", {}).get("lang", "en")
    for i, cell in enumerate(out.cells):
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        cell.outputs = []
        cell.execution_count = None
        tags = cell.get("metadata", {}).get("tags", [])
        where = _where(name, i, cell.source)
        has_markers = any(_MARKER.match(l) for l in cell.source.splitlines())
        if "solution" not in tags:
            if has_markers:
                raise SolutionMarkerError(f"{where}: has SOLUTION markers but is not tagged 'solution'")
            continue
        stub = cell.get("metadata", {}).get("optkit", {}).get("stub")
        original = cell.source
        cell.source, regions = strip_solutions(original, stub, where=where, lang=lang)
        exercises.append(Exercise(name, i, _heading_before(nb, i), _language(original), original, regions))
    for key in ("widgets",):       # widget state is an output too
        out.metadata.pop(key, None)
    return out, exercises


def solutions_markdown(name: str, exercises: list[Exercise]) -> str:
    parts = [f"# Solutions: {name}\n",
             "The instructor edition's solution cells, as they are in the source notebook "
             "(the learner edition has a stub between the SOLUTION markers).\n"]
    for ex in exercises:
        parts.append(f"## {ex.heading} (cell {ex.cell + 1}, counted from 1 as JupyterLab does)\n")
        parts.append(f"```{ex.language}\n{ex.source.rstrip()}\n```\n")
    return "\n".join(parts)


def _readme(notebooks: list[tuple[str, int]], solutions_dir: str) -> str:
    rows = "\n".join(f"| [{n}](notebooks/{n}) | {k} |" for n, k in notebooks)
    return f"""# optkit: learner edition

These are the optkit notebooks with the exercise solutions taken out. In each exercise cell,
the part to write is marked by a line `raise NotImplementedError("exercise: write your version here")`
(or a small stub); the self-check cell below it says **NOT YET** until you replace it, then
checks your version against the reference and measures your speedup.

Start JupyterLab on the notebooks: in the optkit repository, `make lab` builds this edition (or
brings it in step with the course, keeping your changes) and opens it; from this folder, with
optkit's environment active, `optkit lab --root notebooks` does the same without the rebuild.
Begin with `00_welcome.ipynb`. Every number you see is measured live on your machine.

| notebook | exercises |
|---|---|
{rows}

Stuck? The solution code is in `{solutions_dir}/` beside `notebooks/` (one file per notebook; it is
outside JupyterLab's file browser on purpose: open it in an editor when you decide to look). Try first:
the self-check tells you what is wrong (which input, which value) before you look.
"""


@dataclass
class BuildResult:
    out: Path
    notebooks: list          # (name, number of exercises)
    solutions: list          # paths of the solution files (written now or already up to date)
    written: list = field(default_factory=list)     # relative paths created or updated now
    created: list = field(default_factory=list)     # those of them that were not there before
    unchanged: list = field(default_factory=list)   # relative paths already up to date
    kept: list = field(default_factory=list)        # (relative path the learner changed, where the new version went)
    removed: list = field(default_factory=list)     # builder files the course no longer has (unchanged by the learner)
    stale_kept: list = field(default_factory=list)  # builder files the course no longer has, changed by the learner
    reset: list = field(default_factory=list)       # changed by the learner and replaced (force=True only)
    yours: list = field(default_factory=list)       # changed by the learner, the course unchanged since: kept
    opened: list = field(default_factory=list)      # only opened by the learner (no cell changed, no output): updated
    ran: list = field(default_factory=list)         # kept: the cells as the builder wrote them, with the learner's outputs
    offered: list = field(default_factory=list)     # kept: this course version was put beside it on an earlier run

    def to_dict(self) -> dict:
        return {"out": str(self.out), "notebooks": [{"name": n, "exercises": k} for n, k in self.notebooks],
                "solutions": [str(p) for p in self.solutions],
                "written": self.written, "created": self.created, "unchanged": self.unchanged,
                "kept": [{"yours": a, "new_version": b} for a, b in self.kept],
                "removed": self.removed, "stale_kept": self.stale_kept, "reset": self.reset,
                "yours": self.yours, "opened": self.opened, "ran": self.ran, "offered": self.offered}


_UNSET = object()


def _write_atomic(path: Path, data: bytes, expect=_UNSET) -> bool:
    """Write `data` to `path` atomically (optkit.files.write_atomic, synced, mode 0644).

    expect: the digest (None: no file) `path` must still have just before the replace, so that a
    save by the learner in the meantime is never overwritten; returns False (nothing written) then.
    """
    check = None if expect is _UNSET else (lambda: file_digest(path) == expect)
    return write_atomic(path, data, mode=PUBLIC_MODE, fsync=True, before_replace=check)


def _check_target(out_real: Path, src_real: Path, out: Path, rel: str) -> Path:
    """out/rel, after checking that its folder resolves inside --out and outside --src.

    A folder of the edition replaced by a symlink (to the source, or anywhere else) would make
    the builder write there; that is refused (BadLocation) before anything is written to it."""
    target = out / rel
    parent = target.parent.resolve()
    if parent == src_real or src_real in parent.parents:
        raise BadLocation(f"{target.parent} leads into the source folder ({parent}); "
                          f"remove that link, or build into a new --out")
    if not (parent == out_real or out_real in parent.parents):
        raise BadLocation(f"{target.parent} leads outside the edition (to {parent}); "
                          f"remove that link, or build into a new --out")
    return target


def _plan(src: Path) -> tuple[dict, list, list]:
    """Every file of the learner edition, in memory: ({relative path: bytes}, table, solution paths).

    Reads and checks every source notebook and data file first; raises before anything is written.
    """
    if not src.is_dir():
        raise BadLocation(f"no notebook folder at {src}")
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise BadLocation(f"no .ipynb files in {src}")
    files, table, solutions = {}, [], []
    for p in paths:
        try:
            nb = nbformat.read(p, as_version=4)
        except Exception as exc:  # nbformat raises several types for broken JSON
            raise ValueError(f"{p.name}: not a readable notebook: {exc}") from exc
        learner, exercises = learner_notebook(nb, p.name)
        try:
            nbformat.validate(learner)
        except Exception as exc:  # nbformat's ValidationError and friends
            raise ValueError(f"{p.name}: the learner edition is not a valid notebook: {exc}") from exc
        text = nbformat.writes(learner)
        files[f"notebooks/{p.name}"] = (text if text.endswith("\n") else text + "\n").encode("utf-8")
        table.append((p.name, len(exercises)))
        if exercises:
            rel = f"solutions/{p.stem}.md"
            files[rel] = solutions_markdown(p.name, exercises).encode("utf-8")
            solutions.append(rel)
    for extra in sorted(src.iterdir()):    # data files next to the notebooks travel with them
        if extra.is_file() and extra.suffix != ".ipynb" and extra.name not in NOT_COPIED \
                and not extra.name.startswith("INSTRUCTORS.") and not extra.name.startswith("."):
            try:
                files[f"notebooks/{extra.name}"] = extra.read_bytes()
            except OSError as exc:
                raise ValueError(f"{extra}: cannot read: {exc}") from exc
    files["README.md"] = _readme(table, "solutions").encode("utf-8")
    return files, table, solutions


def build(src=DEFAULT_SRC, out=DEFAULT_OUT, *, force: bool = False) -> BuildResult:
    """Write or update the learner edition of every notebook in `src` in `out` (see module doc).

    Safe to re-run at any time (it is how `make lab` keeps an edition in step with the course):

    * every source notebook and data file is read and transformed before anything is written, so
      an authoring mistake leaves `out` as it was; each file is written atomically;
    * `out/.optkit-student.json` (the manifest) records what the builder wrote and its sha256;
      a file is updated only when it is still what the builder wrote; a file the learner changed
      is kept and the new version is written beside it (``02_x.new.ipynb``; not again while the
      course version is the one already there); a notebook whose cells and outputs are as the
      builder wrote them (only opened) is updated; one with the course's cells and the learner's
      outputs is kept and the report says that is why; files the learner
      added are never touched; a builder file the course no longer has is removed only when the
      learner did not change it;
    * `out` must be empty, missing, or made by this function, and may not be or contain the
      source folder; a folder without a manifest made by an older optkit (``.optkit-student``)
      is adopted the same way: a file that differs from the new build counts as the learner's;
    * every target's folder must resolve inside `out` and outside `src`: a folder of the edition
      replaced by a symbolic link (into the source, or anywhere else) is refused (BadLocation);
    * the manifest is written before the first file and after each one, so an interrupted build
      (disk full, Ctrl-C) is resumed by the next run instead of locking the folder;
    * the whole build holds an exclusive lock on ``out/.optkit-student.lock`` (``fcntl.flock``;
      not on Windows), so a second build of the same edition at once (two ``make lab``) waits,
      saying so, instead of counting the first one's files as the learner's. The lock file is
      never written to or removed (a learner's file of that name stays as it is) and never
      counted as a learner's file.

    force=True resets an edition to the fresh build, replacing builder files even where the
    learner changed them; it refuses (FileExistsError) when `out` holds anything the builder did
    not write (learner files, a ``.git``, the source), so nothing else can be lost.
    """
    src, out = Path(src), Path(out)
    s, o = src.resolve(), out.resolve()
    if o == s or s in o.parents:
        raise BadLocation(f"the learner edition cannot be written inside the source folder {src}")
    if o in s.parents:
        raise BadLocation(f"--out {out} contains the source folder {src}: choose a separate folder "
                         f"(the default is build/student)")
    if out.exists() and not out.is_dir():
        raise BadLocation(f"--out {out} is not a folder")
    files, table, solutions = _plan(src)        # may raise: nothing written yet
    adoptable(out)                             # a foreign folder: refused before the lock is made
    out.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(out / LOCK, lambda: print(
            f"optkit student: another `optkit student` is writing {out}; waiting for it to finish "
            f"(Ctrl-C stops this one; nothing of yours is lost either way)", file=sys.stderr, flush=True)):
        return _update(src, out, s, o, files, table, solutions, force)


def _update(src, out, s, o, files, table, solutions, force) -> BuildResult:
    """build()'s work once `out` is locked: compare, write, record (see build)."""
    read = adoptable(out)                      # again, now that no other build can change it
    legacy = read is None and (out / STAMP).exists()
    read = read or ({}, {}, {})
    manifest, digests, besides = read
    if force:
        if (out / ".git").exists():
            raise FileExistsError(f"--force refuses {out}: it holds a .git (a repository)")
        if legacy:
            raise FileExistsError(f"--force refuses {out}: it has no {MANIFEST}, so which files the "
                                  f"builder wrote is unknown; run without --force (it keeps your changes)")
        foreign = foreign_files(out, manifest) if out.is_dir() else []
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise FileExistsError(f"--force refuses {out}: it holds files the builder did not write "
                                  f"({shown}); move them away first, or run without --force "
                                  f"(which never touches them)")

    result = BuildResult(out, table, [out / rel for rel in solutions])
    new_manifest, new_digests, new_besides = {}, {}, {}
    planned = set(files)
    for rel in files:                                     # every folder checked before any write
        _check_target(o, s, out, rel)
    _check_target(o, s, out, MANIFEST)

    def record(final=False):   # the manifest as it stands: written before and after every file, so
        tables = (new_manifest, new_digests, new_besides)  # an interrupted build can be resumed
        if not final:
            tables = tuple({**old, **new} for old, new in zip((manifest, digests, besides), tables))
        _write_atomic(out / MANIFEST, manifest_bytes(*tables))

    def state_of(rel, cur, nbd, path=None):
        """How the file at rel (read at `path` when given) stands against what the builder wrote
        (optkit.edition): "builder" (its bytes), "current" / "opened" (only opened: the course's version
        now / the one written before), "current-ran" / "ran" (those cells, with outputs), else "changed"."""
        if cur is None:
            return "missing"
        if rel in manifest and cur == manifest[rel]:
            return "builder"
        if len(cur) != 64:                                # no regular file (a link, a FIFO): never read
            return "changed"
        try:
            raw = Path(path or out / rel).read_bytes() if nbd is not None else b""
        except OSError:
            return "changed"
        have = notebook_digests(raw) if nbd is not None and sha256_hex(raw) == cur else None
        old = digests.get(rel)
        for state, key, ref in (("current", "view", nbd), ("opened", "view", old),
                                ("current-ran", "cells", nbd), ("ran", "cells", old)):
            if have is not None and ref is not None and have[key] == ref[key]:
                return state
        return "changed"

    def ours(rel, digest, nbd):         # rel, as the builder wrote it (`digest`), in the manifest
        new_manifest[rel] = digest
        if nbd is not None:
            new_digests[rel] = nbd

    record()
    for rel, data in files.items():
        target = _check_target(o, s, out, rel)
        want = sha256_hex(data)
        nbd = notebook_digests(data) if rel.endswith(".ipynb") else None
        cur = file_digest(target)
        st = "same" if cur == want else state_of(rel, cur, nbd)
        if st == "same" or (st in ("current", "current-ran") and not force):
            result.unchanged.append(rel)                  # the course's cells (maybe with your outputs)
            ours(rel, want, nbd)
        elif (st in ("missing", "builder", "opened") or force) and _write_atomic(target, data, expect=cur):
            result.written.append(rel)                    # new, still what the builder wrote, or
            if cur is None:                               # only opened (nothing of the learner's in it)
                result.created.append(rel)
            if st == "opened":
                result.opened.append(rel)
            elif st not in ("missing", "builder"):
                result.reset.append(rel)                  # --force: the learner's changes are gone
            ours(rel, want, nbd)
            record()
        else:                                             # the learner's version: keep it
            if rel in manifest:
                ours(rel, manifest[rel], digests.get(rel))    # still counted as changed next time
                if manifest[rel] == want:                 # the course has not changed since: nothing
                    result.yours.append(rel)              # new to put beside the learner's version
                    continue
            if st == "ran":
                result.ran.append(rel)
            offered = besides.get(rel)
            if offered and offered["course"] == want and offered["path"] in manifest \
                    and offered["path"] not in planned:   # this course version is beside it already
                ours(offered["path"], manifest[offered["path"]], digests.get(offered["path"]))
                new_besides[rel] = offered
                result.kept.append((rel, offered["path"]))
                result.offered.append(rel)
                continue

            def usable(cand, want=want, nbd=nbd):  # nothing there, the same bytes, or a builder file
                if cand in planned or cand in new_manifest:   # the learner did not change
                    return False
                there = file_digest(out / cand)
                return there in (None, want) or state_of(cand, there, nbd) in ("builder", "current", "opened")

            beside = name_beside(rel, usable)
            there = file_digest(_check_target(o, s, out, beside))
            if there != want:
                if not _write_atomic(out / beside, data, expect=there):
                    raise FileExistsError(f"{out / beside} changed while the edition was being written; "
                                          f"run the command again")
                result.written.append(beside)             # counted: written beside yours, not over it
                result.created += [beside] if there is None else []
            ours(beside, want, nbd)
            new_besides[rel] = {"path": beside, "course": want}
            record()
            result.kept.append((rel, beside))
    for rel, digest in manifest.items():                  # builder files the course dropped
        if rel in new_manifest or rel in planned:
            continue
        try:
            target = _check_target(o, s, out, rel)
        except BadLocation:
            result.stale_kept.append(rel)                 # behind a link: never followed
            continue
        if file_digest(target) is None:
            continue
        kept = remove_unchanged(target, lambda p, rel=rel: state_of(rel, file_digest(p), digests.get(rel), p)
                                in ("builder", "current", "opened"))    # judged on the bytes it deletes
        if kept is None and not (target.exists() or target.is_symlink()):
            result.removed.append(rel)                    # as the builder wrote it, or only opened
        else:                                             # yours (or saved again just now): kept
            result.stale_kept += [rel] + [(Path(rel).parent / k.name).as_posix() for k in (kept,) if k not in (None, target)]
    record(final=True)
    return result


def _report(result: BuildResult) -> None:
    n_ex = sum(k for _, k in result.notebooks)
    print(f"learner edition: {len(result.notebooks)} notebooks, {n_ex} exercises -> {result.out}")
    for name, k in result.notebooks:
        print(f"  {name:32s} {k} exercise(s)")
    print(f"solutions: {result.out / 'solutions'} ({len(result.solutions)} files)")
    created, beside = set(result.created), {b: rel for rel, b in result.kept}
    n_beside = sum(rel in beside for rel in result.written)
    print(f"created {len(created)} file(s), updated {len(result.written) - len(created)}"
          + (f" ({n_beside} of them beside files you changed, not over them)" if n_beside else "")
          + f", {len(result.unchanged)} already up to date"
          + (f", removed {len(result.removed)} the course no longer has" if result.removed else ""))
    for rel in result.written:
        print(f"  {'created' if rel in created else 'updated'}  {rel}"
              + ("  (--force: your changes to it were replaced)" if rel in result.reset else "")
              + (f"  (beside your {beside[rel]})" if rel in beside else "")
              + ("  (you had only opened it: no cell changed, no output)" if rel in result.opened else ""))
    for rel in result.removed:
        print(f"  removed  {rel} (no longer in the course; you had not changed it)")
    if result.yours:
        print(f"  yours    {len(result.yours)} file(s) you changed, kept as they are "
              f"(the course has not changed them since)")
    for rel, beside in result.kept:
        if rel in result.ran:
            print(f"  KEPT     {rel}: you did not change its cells, but it holds the outputs of your runs, "
                  f"so it stays as it is; the new version is {beside}")
        else:
            print(f"  KEPT     {rel}: you changed it, so it stays as it is; the new version is {beside}"
                  + (" (written on an earlier run; the course has not changed since)"
                     if rel in result.offered else ""))
    for rel in result.stale_kept:
        print(f"  KEPT     {rel}: the builder no longer writes it, but you changed it, so it stays")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="optkit student",
        description="build the learner edition of the notebooks (solutions out), or bring an existing "
                    "one in step with the course: only files the builder wrote and you did not change "
                    "are updated; your changed notebooks are kept (the new version goes beside them "
                    "as NAME.new.ipynb) and files you added are never touched")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: build/student)")
    ap.add_argument("--src", default=str(DEFAULT_SRC),
                    help="source notebooks (default: notebooks/; notebooks/ko: the Korean edition)")
    ap.add_argument("--force", action="store_true",
                    help="reset the edition to a fresh build, replacing builder files you changed; "
                         "refused when --out holds anything the builder did not write")
    ap.add_argument("--json", action="store_true", help="print a JSON summary only")
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:        # argparse printed its one-line error (or --help)
        return int(exc.code or 0)
    try:
        result = build(args.src, args.out, force=args.force)
    except BadLocation as exc:
        ap.print_usage(sys.stderr)
        print(f"optkit student: error: {exc}", file=sys.stderr)
        return 2
    except (SolutionMarkerError, FileExistsError, ValueError) as exc:
        print(f"optkit student: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"optkit student: cannot write the learner edition: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        _report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
