"""The prose around the notebooks: links that work in JupyterLab, minutes that agree.

JupyterLab serves notebooks/ (the learner edition: DIR/notebooks/), so a relative link from a
notebook must land on a file inside that folder, and in the learner edition too. The minutes of
every lesson are written in three places (the notebook's first cell, README's course table,
INSTRUCTORS.md's time plan, and 00's ladder table): they must say the same.
"""
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from optkit import student

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "notebooks"
NOTEBOOKS = sorted(SRC.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
MINUTES = re.compile(r"\*\*Estimated time\*\*:\s*(\d+)\s*minutes", re.I)


def markdown_of(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def anchors(path: Path) -> set[str]:
    """The heading ids JupyterLab gives a notebook's headings (spaces become '-')."""
    out = set()
    for text in markdown_of(path):
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for h in HEADING.findall(text):
            h = re.sub(r"`([^`]*)`", r"\1", h).strip()
            out.add(h.replace(" ", "-"))
    return out


def relative_links(path: Path) -> list[str]:
    found = []
    for text in markdown_of(path):
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`]*`", "", text)
        found += [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]
    return found


def broken_links(folder: Path, path: Path) -> list[str]:
    root = folder.resolve()
    bad = []
    for target in relative_links(path):
        file_part, _, fragment = target.partition("#")
        dest = (path.parent / unquote(file_part)).resolve() if file_part else path.resolve()
        if root not in dest.parents and dest != root:
            bad.append(f"{target}: outside the served folder {folder.name}/")
        elif not dest.is_file():
            bad.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".ipynb" and unquote(fragment) not in anchors(dest):
            bad.append(f"{target}: no heading #{fragment} in {dest.name}")
    return bad


def test_link_checker_catches_broken_links(tmp_path):
    (tmp_path / "served").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(
        "# A\n\n## Part two\n\n[up](../README.md) [gone](nope.ipynb) [self](a.ipynb#Part-two) "
        "[bad anchor](#Part-three) [web](https://example.org) [code](`x`)")]
    path = tmp_path / "served" / "a.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "README.md").write_text("outside\n")
    bad = broken_links(tmp_path / "served", path)
    assert [b.split(":")[0] for b in bad] == ["../README.md", "nope.ipynb", "#Part-three"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_relative_link_resolves_inside_the_notebook_folder(path):
    assert not broken_links(SRC, path), f"{path.name}: broken links {broken_links(SRC, path)}"


def test_links_resolve_in_the_learner_edition_too(tmp_path):
    out = tmp_path / "student"
    student.build(SRC, out)
    served = out / "notebooks"
    learner = sorted(served.glob("[0-9][0-9]_*.ipynb"))
    assert [p.name for p in learner] == [p.name for p in NOTEBOOKS]
    bad = {p.name: broken_links(served, p) for p in learner}
    assert not any(bad.values()), f"learner edition: broken links {bad}"


def notebook_minutes() -> dict[str, int]:
    out = {}
    for p in NOTEBOOKS:
        m = MINUTES.search(markdown_of(p)[0])
        assert m, f"{p.name}: no '**Estimated time**: N minutes' in its first cell"
        out[p.stem] = int(m.group(1))
    return out


def test_readme_minutes_equal_the_notebooks():
    readme = (REPO / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(\d\d_\w+)` \|.*\| (\d+) \|\s*$", readme, re.M))
    assert {k: int(v) for k, v in rows.items()} == notebook_minutes()


def test_instructor_time_plan_equals_the_notebooks():
    guide = (SRC / "INSTRUCTORS.md").read_text()
    plan = {}
    for m in re.finditer(r"^### (\d\d) · [^\n(]*\((\d+)\)\n(.*?)(?=^#|\Z)", guide, re.M | re.S):
        rows = [int(r) for r in re.findall(r"^\|[^|\n]+\| (\d+) \|\s*$", m.group(3), re.M)]
        assert sum(rows) == int(m.group(2)), f"INSTRUCTORS.md {m.group(1)}: sections sum to {sum(rows)}, header says {m.group(2)}"
        plan[m.group(1)] = int(m.group(2))
    assert plan == {k[:2]: v for k, v in notebook_minutes().items()}
    total = sum(plan.values())
    hours = {"eight and a half hours": 510, "eight hours and fifty minutes": 530}
    said = [h for h in hours if h in guide]
    assert not said or hours[said[0]] == total, f"INSTRUCTORS.md says {said}, the plan sums to {total} minutes"


def test_welcome_ladder_minutes_equal_the_notebooks():
    ladder = next(t for t in markdown_of(SRC / "00_welcome.ipynb") if t.startswith("## The ladder"))
    rows = dict(re.findall(r"^\| \[(\d\d) ·.*\| (\d+) \|\s*$", ladder, re.M))
    expected = {k[:2]: v for k, v in notebook_minutes().items() if not k.startswith("00")}
    assert {k: int(v) for k, v in rows.items()} == expected
