"""Build the learner edition of the course notebooks.

    optkit student [--out DIR] [--src DIR] [--json]

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

A solution cell without markers, an unmatched marker, or markers in a cell not tagged
``solution`` is an authoring mistake: :class:`SolutionMarkerError` names the notebook and cell.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO / "notebooks"
DEFAULT_OUT = REPO / "build" / "student"
STAMP = ".optkit-student"              # marks a folder this command made (safe to replace)
NOT_COPIED = {"INSTRUCTORS.md"}        # instructor-only files in notebooks/

PY_STUB = 'raise NotImplementedError("exercise: write your version here")'
C_STUB = ('PyErr_SetString(PyExc_NotImplementedError, "exercise: write your version here"); '
          'return NULL;')
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<lead>###|//)\s*(?P<kind>BEGIN|END) SOLUTION\b.*$")

__all__ = ["SolutionMarkerError", "strip_solutions", "learner_notebook", "build", "main",
           "PY_STUB", "C_STUB"]


class SolutionMarkerError(ValueError):
    """A solution cell whose markers are missing or unbalanced."""


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


def strip_solutions(source: str, stub=None, *, where: str = "cell") -> tuple[str, list[str]]:
    """Replace every solution region of one cell's source.

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
    exercises = []
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
        cell.source, regions = strip_solutions(original, stub, where=where)
        exercises.append(Exercise(name, i, _heading_before(nb, i), _language(original), original, regions))
    for key in ("widgets",):       # widget state is an output too
        out.metadata.pop(key, None)
    return out, exercises


def solutions_markdown(name: str, exercises: list[Exercise]) -> str:
    parts = [f"# Solutions: {name}\n",
             "The instructor edition's solution cells, as they are in the source notebook "
             "(the learner edition has a stub between the SOLUTION markers).\n"]
    for ex in exercises:
        parts.append(f"## {ex.heading} (cell {ex.cell})\n")
        parts.append(f"```{ex.language}\n{ex.source.rstrip()}\n```\n")
    return "\n".join(parts)


def _readme(notebooks: list[tuple[str, int]], solutions_dir: str) -> str:
    rows = "\n".join(f"| [{n}](notebooks/{n}) | {k} |" for n, k in notebooks)
    return f"""# optkit: learner edition

These are the optkit notebooks with the exercise solutions taken out. In each exercise cell,
the part to write is marked by a line `raise NotImplementedError("exercise: write your version here")`
(or a small stub); the self-check cell below it says **NOT YET** until you replace it, then
checks your version against the reference and measures your speedup.

Start JupyterLab on the notebooks (from the optkit repository, with its environment):

    optkit lab --root {{this folder}}/notebooks

and begin with `00_welcome.ipynb`. Every number you see is measured live on your machine.

| notebook | exercises |
|---|---|
{rows}

Stuck? The solution code is in `{solutions_dir}/` (one file per notebook). Try first:
the self-check tells you what is wrong (which input, which value) before you look.
"""


@dataclass
class BuildResult:
    out: Path
    notebooks: list          # (name, number of exercises)
    solutions: list          # paths written

    def to_dict(self) -> dict:
        return {"out": str(self.out), "notebooks": [{"name": n, "exercises": k} for n, k in self.notebooks],
                "solutions": [str(p) for p in self.solutions]}


def build(src=DEFAULT_SRC, out=DEFAULT_OUT, *, force: bool = False) -> BuildResult:
    """Write the learner edition of every notebook in `src` into `out` (see module doc).

    `out` is replaced when it is empty or was made by this function; otherwise pass force=True.
    All notebooks are transformed before anything is written: a marker error leaves `out` as it was.
    """
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise FileNotFoundError(f"no notebook folder at {src}")
    paths = sorted(src.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no .ipynb files in {src}")
    if out.resolve() == src.resolve() or src.resolve() in out.resolve().parents:
        raise ValueError(f"the learner edition cannot be written inside the source folder {src}")
    built = []
    for p in paths:
        try:
            nb = nbformat.read(p, as_version=4)
        except Exception as exc:  # nbformat raises several types for broken JSON
            raise ValueError(f"{p.name}: not a readable notebook: {exc}") from exc
        learner, exercises = learner_notebook(nb, p.name)
        built.append((p, learner, exercises))
    if out.exists() and any(out.iterdir()):
        if not (force or (out / STAMP).exists()):
            raise FileExistsError(f"{out} exists and was not made by `optkit student`; "
                                  f"choose another --out or pass --force")
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "solutions").mkdir(exist_ok=True)
    (out / STAMP).write_text("made by `optkit student`; the folder is replaced on the next build\n")
    written, table = [], []
    for p, learner, exercises in built:
        nbformat.validate(learner)
        nbformat.write(learner, out / "notebooks" / p.name)
        table.append((p.name, len(exercises)))
        if exercises:
            sol = out / "solutions" / (p.stem + ".md")
            sol.write_text(solutions_markdown(p.name, exercises))
            written.append(sol)
    for extra in src.iterdir():    # data files next to the notebooks travel with them
        if extra.is_file() and extra.suffix != ".ipynb" and extra.name not in NOT_COPIED \
                and not extra.name.startswith("."):
            shutil.copy2(extra, out / "notebooks" / extra.name)
    (out / "README.md").write_text(_readme(table, "solutions"))
    return BuildResult(out, table, written)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="optkit student",
                                 description="build the learner edition of the notebooks (solutions out)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default: build/student)")
    ap.add_argument("--src", default=str(DEFAULT_SRC), help="source notebooks (default: notebooks/)")
    ap.add_argument("--force", action="store_true", help="replace --out even if this command did not make it")
    ap.add_argument("--json", action="store_true", help="print a JSON summary only")
    args = ap.parse_args(argv)
    try:
        result = build(args.src, args.out, force=args.force)
    except (SolutionMarkerError, FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"optkit student: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
        return 0
    n_ex = sum(k for _, k in result.notebooks)
    print(f"learner edition: {len(result.notebooks)} notebooks, {n_ex} exercises -> {result.out}")
    for name, k in result.notebooks:
        print(f"  {name:32s} {k} exercise(s)")
    print(f"solutions: {result.out / 'solutions'} ({len(result.solutions)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
