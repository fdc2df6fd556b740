"""The learner edition (optkit student) and the course's navigation (links, table of contents)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from optkit import student
from optkit import messages_ko
from optkit.student import C_STUB, PY_STUB, STUB_TEXT, SolutionMarkerError, learner_notebook, strip_solutions

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
COURSE = ["00_welcome", "01_profiling", "02_numpy_opencv", "03_cython_numba", "04_c_extension",
          "05_beyond_code", "06_frameworks_first", "07_scale_out", "08_capstone"]
v4 = nbformat.v4


# ------------------------------------------------------------------------------ transformation

SOLVED = '''def fast(x):
    """Vectorised."""
    ### BEGIN SOLUTION
    y = x * 2
    return y + 1
    ### END SOLUTION


ex.check(fast)
'''


def test_region_replaced_at_marker_indentation():
    new, regions = strip_solutions(SOLVED)
    assert new == ('def fast(x):\n    """Vectorised."""\n    ' + PY_STUB + "\n\n\nex.check(fast)\n")
    assert regions == ["    y = x * 2\n    return y + 1"]
    compile(new, "<learner>", "exec")           # still valid Python


def test_top_level_region_and_several_regions():
    src = "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\nif b:\n        ### BEGIN SOLUTION\n        c = 3\n        ### END SOLUTION\n"
    new, regions = strip_solutions(src)
    assert new.splitlines() == [PY_STUB, "b = 2", "if b:", "        " + PY_STUB]
    assert regions == ["a = 1", "        c = 3"]


def test_c_markers_get_a_c_stub():
    src = ("%%c_extension demo\nstatic PyObject *f(PyObject *self, PyObject *args) {\n"
           "    // BEGIN SOLUTION\n    long n = 0;\n    return PyLong_FromLong(n);\n    // END SOLUTION\n}\n")
    new, regions = strip_solutions(src)
    assert "    " + C_STUB in new.splitlines()
    assert "PyLong_FromLong" not in new and "PyLong_FromLong" in regions[0]
    assert new.splitlines()[-1] == "}"


def test_metadata_stub_string_is_reindented():
    new, _ = strip_solutions(SOLVED, "result = ...  # your code\nreturn result")
    assert "    result = ...  # your code\n    return result\n" in new
    assert "NotImplementedError" not in new and "x * 2" not in new


def test_metadata_stub_list_one_per_region():
    src = "### BEGIN SOLUTION\na = 1\n### END SOLUTION\n    ### BEGIN SOLUTION\n    b = 2\n    ### END SOLUTION\n"
    new, _ = strip_solutions(src, ["a = None", "b = None"])
    assert new == "a = None\n    b = None\n"
    with pytest.raises(SolutionMarkerError, match="1 stubs for 2"):
        strip_solutions(src, ["a = None"])
    with pytest.raises(SolutionMarkerError, match="string or a list"):
        strip_solutions(src, 42)


@pytest.mark.parametrize("src, message", [
    ("def f():\n    return 1\n", "no '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\nx = 1\n", "line 1 has no END"),
    ("x = 1\n### END SOLUTION\n", "END SOLUTION on line 2 without a BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "cannot nest"),
])
def test_bad_markers_are_clear_errors(src, message):
    with pytest.raises(SolutionMarkerError, match=re.escape(message)):
        strip_solutions(src, where="03_x.ipynb cell 7")
    with pytest.raises(SolutionMarkerError, match="03_x.ipynb cell 7"):
        strip_solutions(src, where="03_x.ipynb cell 7")


def _nb(*cells):
    nb = v4.new_notebook()
    nb.metadata.kernelspec = {"name": "optkit", "display_name": "Python (optkit)", "language": "python"}
    nb.cells = list(cells)
    return nb


def _solution_cell(source, **optkit_meta):
    md = {"tags": ["solution"]}
    if optkit_meta:
        md["optkit"] = optkit_meta
    return v4.new_code_cell(source, metadata=md)


def test_learner_notebook_strips_outputs_and_keeps_other_cells():
    out = v4.new_output("stream", name="stdout", text="42\n")
    nb = _nb(v4.new_markdown_cell("# 99 · T\n## Exercise: make it fast"),
             v4.new_code_cell("print(42)", outputs=[out], execution_count=3),
             _solution_cell(SOLVED),
             v4.new_code_cell("ex.check(fast)", metadata={"tags": ["check"]}))
    nb.cells[2].outputs = [out]
    nb.cells[2].execution_count = 4
    before = json.dumps(nb, sort_keys=True)
    learner, exercises = learner_notebook(nb, "99_t.ipynb")
    assert json.dumps(nb, sort_keys=True) == before          # the source is not modified
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in learner.cells if c.cell_type == "code")
    assert learner.cells[0] == nb.cells[0]
    assert learner.cells[1].source == "print(42)" and learner.cells[3].source == "ex.check(fast)"
    assert PY_STUB in learner.cells[2].source and "x * 2" not in learner.cells[2].source
    assert learner.cells[2].metadata.tags == ["solution"]
    nbformat.validate(learner)
    [ex] = exercises
    assert (ex.notebook, ex.cell, ex.language) == ("99_t.ipynb", 2, "python")
    assert ex.heading == "Exercise: make it fast" and ex.source == SOLVED


def test_learner_notebook_uses_metadata_stub():
    nb = _nb(_solution_cell(SOLVED, stub="return x  # replace me"))
    learner, _ = learner_notebook(nb, "n.ipynb")
    assert "    return x  # replace me" in learner.cells[0].source


def test_solution_cell_without_markers_names_the_cell():
    nb = _nb(v4.new_markdown_cell("# t"), _solution_cell("def fast(x):\n    return x\n"))
    with pytest.raises(SolutionMarkerError, match=r"05_x\.ipynb cell 1 \('def fast\(x\):'\)"):
        learner_notebook(nb, "05_x.ipynb")


def test_markers_without_the_solution_tag_are_an_error():
    nb = _nb(v4.new_code_cell(SOLVED))
    with pytest.raises(SolutionMarkerError, match="not tagged 'solution'"):
        learner_notebook(nb, "n.ipynb")


def test_markers_only_count_at_line_start():
    nb = _nb(v4.new_code_cell('print("### BEGIN SOLUTION marks the part to write")'))
    learner, exercises = learner_notebook(nb, "n.ipynb")
    assert exercises == [] and learner.cells[0].source == nb.cells[0].source


# ------------------------------------------------------------------------------ build / CLI

def _course(tmp_path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(_nb(v4.new_markdown_cell("# 00 · Welcome"), v4.new_code_cell("1 + 1")),
                   src / "00_welcome.ipynb")
    c_cell = _solution_cell("%%c_extension m\nstatic int f(void) {\n    // BEGIN SOLUTION\n    return 1;\n"
                            "    // END SOLUTION\n}\n")
    nbformat.write(_nb(v4.new_markdown_cell("## Exercise 1: double it"), _solution_cell(SOLVED),
                       v4.new_markdown_cell("## Exercise 2: in C"), c_cell), src / "01_x.ipynb")
    (src / "INSTRUCTORS.md").write_text("secret")
    (src / "table.csv").write_text("a,b\n1,2\n")
    return src


def test_build_writes_the_learner_edition(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    res = student.build(src, out)
    assert res.notebooks == [("00_welcome.ipynb", 0), ("01_x.ipynb", 2)]
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["00_welcome.ipynb", "01_x.ipynb", "table.csv"]
    learner = nbformat.read(out / "notebooks" / "01_x.ipynb", as_version=4)
    assert PY_STUB in learner.cells[1].source and C_STUB in learner.cells[3].source
    assert [p.name for p in (out / "solutions").iterdir()] == ["01_x.md"]
    sol = (out / "solutions" / "01_x.md").read_text()
    assert "## Exercise 1: double it (cell 2, counted from 1 as JupyterLab does)" in sol and "y = x * 2" in sol
    assert "```c\n%%c_extension m" in sol and "return 1;" in sol
    readme = (out / "README.md").read_text()
    assert "[01_x.ipynb](notebooks/01_x.ipynb) | 2 |" in readme and "solutions/" in readme
    # the source is untouched
    assert "y = x * 2" in nbformat.read(src / "01_x.ipynb", as_version=4).cells[1].source


def test_build_refuses_a_foreign_folder_or_one_inside_the_source(tmp_path):
    src = _course(tmp_path)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not made by `optkit student`"):
        student.build(src, foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]   # not even a lock file
    with pytest.raises(ValueError, match="inside the source"):
        student.build(src, src / "student")


def _tree(root: Path) -> dict:
    """{relative path: bytes} of every file under root (the whole state a learner could lose)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _edit_notebook(path: Path, text: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n" + text
    nbformat.write(nb, path)


# --- class: data loss by --force (issue 14, finding 1)

def test_force_never_deletes_the_source_a_repository_or_learner_files(tmp_path):
    # a clone: --src notebooks --out . --force deleted every file, .git included
    clone = tmp_path / "clone"
    clone.mkdir()
    src = _course(clone)                    # clone/src holds the course
    (clone / ".git").mkdir()
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (clone / "README.md").write_text("the repository")
    before = _tree(clone)
    rc = student.main(["--src", str(src), "--out", str(clone), "--force"])
    assert _tree(clone) == before
    assert rc == 2
    # the source in course/notebooks: --out course --force deleted INSTRUCTORS.md
    course = tmp_path / "course"
    course.mkdir()
    nb_dir = _course(course)
    before = _tree(course)
    with pytest.raises(Exception) as err:
        student.build(nb_dir, course, force=True)
    assert _tree(course) == before and (nb_dir / "INSTRUCTORS.md").read_text() == "secret"
    assert isinstance(err.value, ValueError) and "contains the source" in str(err.value)
    # a folder the builder did not make, even with --force
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not made by"):
        student.build(src, foreign, force=True)
    assert _tree(foreign) == {"notes.txt": b"keep me"}
    # an edition the learner added files to, or made a repository of
    out = tmp_path / "out"
    student.build(src, out)
    (out / "notebooks" / "my_notes.md").write_text("mine")
    with pytest.raises(FileExistsError, match=r"did not write \(notebooks/my_notes\.md\)"):
        student.build(src, out, force=True)
    assert (out / "notebooks" / "my_notes.md").read_text() == "mine"
    (out / "notebooks" / "my_notes.md").unlink()
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("x")
    with pytest.raises(FileExistsError, match=r"\.git"):
        student.build(src, out, force=True)
    assert (out / ".git" / "HEAD").read_text() == "x"


def test_force_resets_only_what_the_builder_wrote(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    fresh = _tree(student.build(src, out).out)
    _edit_notebook(out / "notebooks" / "01_x.ipynb", "my attempt")
    res = student.build(src, out, force=True)
    assert _tree(out) == fresh and res.written == res.reset == ["notebooks/01_x.ipynb"]


# --- class: a rebuild keeps learner edits and added files (issue 14, finding 2)

def test_rebuild_keeps_learner_edits_and_added_files_and_says_so(tmp_path, capsys):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    mine = out / "notebooks" / "01_x.ipynb"
    _edit_notebook(mine, "my attempt at exercise 1")
    (out / "notebooks" / "results.csv").write_text("run,speedup\n1,3.5\n")    # learner files
    (out / "notes").mkdir()
    (out / "notes" / "week1.md").write_text("what I learned")
    (out / "notebooks" / ".ipynb_checkpoints").mkdir()
    (out / "notebooks" / ".ipynb_checkpoints" / "01_x-checkpoint.ipynb").write_text("{}")
    yours = mine.read_bytes()
    added = {k: v for k, v in _tree(out).items() if k.startswith(("notes/", "notebooks/results", "notebooks/.ipynb"))}
    # the course changes: both notebooks get a new cell
    for name in ("00_welcome.ipynb", "01_x.ipynb"):
        nb = nbformat.read(src / name, as_version=4)
        nb.cells.append(v4.new_markdown_cell("A new paragraph in the course."))
        nbformat.write(nb, src / name)
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert mine.read_bytes() == yours                                   # the learner's version stays
    beside = out / "notebooks" / "01_x.new.ipynb"
    assert "A new paragraph" in nbformat.read(beside, as_version=4).cells[-1].source
    assert "01_x.ipynb: you changed it" in printed and "01_x.new.ipynb" in printed
    assert "A new paragraph" in nbformat.read(out / "notebooks" / "00_welcome.ipynb", as_version=4).cells[-1].source
    assert "updated  notebooks/00_welcome.ipynb" in printed
    assert {k: v for k, v in _tree(out).items() if k in added} == added  # added files untouched
    assert (out / ".optkit-student.json").exists()                     # the manifest
    # keeping in step again changes nothing and says what it kept
    state = _tree(out)
    res = student.build(src, out)
    assert _tree(out) == state and res.written == [] and res.kept == [("notebooks/01_x.ipynb", "notebooks/01_x.new.ipynb")]
    # the learner throws their version away: the next run puts the course's back, the .new goes
    mine.unlink()
    res = student.build(src, out)
    assert res.written == ["notebooks/01_x.ipynb"] and res.removed == ["notebooks/01_x.new.ipynb"]
    assert not beside.exists() and "A new paragraph" in mine.read_text()


def test_rebuild_of_an_unchanged_course_writes_no_new_versions(tmp_path, capsys):
    """Every `make lab` re-runs the builder: with the course unchanged, a learner's edited notebook
    is simply kept, with no NAME.new.ipynb beside it (nothing new to offer)."""
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    mine = out / "notebooks" / "01_x.ipynb"
    _edit_notebook(mine, "my attempt at exercise 1")
    yours = mine.read_bytes()
    capsys.readouterr()
    for _ in range(2):
        assert student.main(["--src", str(src), "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert mine.read_bytes() == yours
        assert not (out / "notebooks" / "01_x.new.ipynb").exists()
        assert "KEPT" not in printed and "1 file(s) you changed, kept as they are" in printed


def test_rebuild_never_overwrites_a_changed_new_version(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    _edit_notebook(out / "notebooks" / "01_x.ipynb", "mine")
    nb = nbformat.read(src / "01_x.ipynb", as_version=4)
    nb.cells.append(v4.new_markdown_cell("v2"))
    nbformat.write(nb, src / "01_x.ipynb")
    student.build(src, out)
    _edit_notebook(out / "notebooks" / "01_x.new.ipynb", "I merged into this one")
    merged = (out / "notebooks" / "01_x.new.ipynb").read_bytes()
    nb.cells.append(v4.new_markdown_cell("v3"))
    nbformat.write(nb, src / "01_x.ipynb")
    res = student.build(src, out)
    assert (out / "notebooks" / "01_x.new.ipynb").read_bytes() == merged
    assert res.kept == [("notebooks/01_x.ipynb", "notebooks/01_x.new-2.ipynb")]
    assert "v3" in (out / "notebooks" / "01_x.new-2.ipynb").read_text()


def test_an_edition_from_before_the_manifest_is_adopted_without_loss(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    (out / ".optkit-student.json").unlink(missing_ok=True)  # what older optkit left: a stamp only
    (out / ".optkit-student").write_text("made by `optkit student`\n")
    _edit_notebook(out / "notebooks" / "01_x.ipynb", "mine")
    yours = (out / "notebooks" / "01_x.ipynb").read_bytes()
    res = student.build(src, out)
    assert (out / "notebooks" / "01_x.ipynb").read_bytes() == yours
    assert res.kept == [("notebooks/01_x.ipynb", "notebooks/01_x.new.ipynb")]
    assert (out / ".optkit-student.json").exists()


def test_a_lost_manifest_names_both_ways_and_its_advice_keeps_the_learners_work(tmp_path, capsys):
    """`make lab` passes no --out (its variable is LEARNER_DIR): the refusal names both, and
    following its advice to keep the folder (the empty marker file) loses nothing."""
    src = _course(tmp_path)
    out = tmp_path / "learner"
    student.build(src, out)
    _edit_notebook(out / "notebooks" / "01_x.ipynb", "mine")
    (out / "notebooks" / "my_notes.md").write_text("mine")
    (out / ".optkit-student.json").unlink()               # lost
    before = _tree(out)
    assert student.main(["--src", str(src), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "make lab LEARNER_DIR=" in err and "optkit student --out" in err, err
    assert "nothing was written" in err and str(out / ".optkit-student") in err, err
    assert _tree(out) == before
    (out / ".optkit-student").write_text("")               # what the message says to do
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    after = _tree(out)
    assert after["notebooks/01_x.ipynb"] == before["notebooks/01_x.ipynb"]      # yours, kept
    assert after["notebooks/my_notes.md"] == b"mine"
    assert "KEPT     notebooks/01_x.ipynb" in printed and "notebooks/01_x.new.ipynb" in printed
    assert all(after[rel] == data for rel, data in before.items())              # nothing overwritten
    assert (out / ".optkit-student.json").exists()
    # the file written beside yours is counted, and said to be beside, not over
    new = sorted(rel for rel in set(after) - set(before) if not rel.startswith(".optkit-student"))
    assert new == ["notebooks/01_x.new.ipynb"], new
    assert f"created {len(new)} file(s), updated 0 ({len(new)} of them beside files you changed, " \
           f"not over them)," in printed, printed
    assert "created  notebooks/01_x.new.ipynb  (beside your notebooks/01_x.ipynb)" in printed
    res = student.build(src, out)                          # again: nothing new to write
    assert res.kept == [("notebooks/01_x.ipynb", "notebooks/01_x.new.ipynb")] and res.written == []


# --- class: every input validated before anything is written; atomic writes

def test_a_notebook_that_fails_validation_writes_nothing(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    _edit_notebook(out / "notebooks" / "01_x.ipynb", "mine")
    (out / "notebooks" / "results.csv").write_text("mine")
    before = _tree(out)
    # readable by nbformat, transformed fine, but not a valid notebook: a cell with an unknown key
    bad = json.loads(nbformat.writes(_nb(v4.new_markdown_cell("# 09"))))
    bad["cells"][0]["not_a_cell_field"] = 1
    (src / "09_invalid.ipynb").write_text(json.dumps(bad))
    nb = nbformat.read(src / "00_welcome.ipynb", as_version=4)      # and a change to write
    nb.cells.append(v4.new_markdown_cell("new"))
    nbformat.write(nb, src / "00_welcome.ipynb")
    with pytest.raises(Exception) as err:
        student.build(src, out)
    assert _tree(out) == before                                     # nothing written, nothing lost
    assert isinstance(err.value, ValueError) and "09_invalid.ipynb" in str(err.value)
    fresh = tmp_path / "fresh"
    with pytest.raises(ValueError, match="09_invalid.ipynb"):
        student.build(src, fresh)
    assert not fresh.exists()
    (src / "09_invalid.ipynb").unlink()
    student.build(src, out)
    leftovers = [p for p in out.rglob("*.tmp")]
    assert leftovers == []                                          # temp files renamed into place


# --- class: make clean keeps the learner edition

def test_make_clean_keeps_the_learner_edition(tmp_path):
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("no make")
    (tmp_path / "build" / "student" / "notebooks").mkdir(parents=True)
    (tmp_path / "build" / "student" / "notebooks" / "02_x.ipynb").write_text("my work")
    (tmp_path / "build" / "temp.linux-x86_64-cpython-311").mkdir()
    (tmp_path / "build" / "temp.linux-x86_64-cpython-311" / "native.o").write_text("obj")
    (tmp_path / "build" / "lib.linux-x86_64-cpython-311").mkdir()
    (tmp_path / "optkit").mkdir()
    (tmp_path / "optkit" / "native.cpython-311-x86_64-linux-gnu.so").write_text("so")
    (tmp_path / "build" / "lib.notes").mkdir()                  # a learner's folder, not setup.py's
    (tmp_path / "build" / "lib.notes" / "mine.txt").write_text("mine")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".optkit-native").write_text("")      # the stamp of the build just removed
    r = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(tmp_path), "clean"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "build" / "student" / "notebooks" / "02_x.ipynb").read_text() == "my work"
    assert (tmp_path / "build" / "lib.notes" / "mine.txt").read_text() == "mine"
    assert not (tmp_path / ".venv" / ".optkit-native").exists()    # so `make setup` rebuilds it
    assert not (tmp_path / "build" / "temp.linux-x86_64-cpython-311").exists()
    assert not (tmp_path / "build" / "lib.linux-x86_64-cpython-311").exists()
    assert not (tmp_path / "optkit" / "native.cpython-311-x86_64-linux-gnu.so").exists()


def test_a_marker_error_leaves_the_previous_build_alone(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    nbformat.write(_nb(_solution_cell("x = 1\n")), src / "02_broken.ipynb")
    with pytest.raises(SolutionMarkerError, match="02_broken.ipynb cell 0"):
        student.build(src, out)
    assert (out / "notebooks" / "01_x.ipynb").exists()


def test_first_build_says_created_and_a_rebuild_says_updated(tmp_path, capsys):
    src = _course(tmp_path)
    out = tmp_path / "out"
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "created  notebooks/00_welcome.ipynb" in printed and "updated  " not in printed
    assert re.search(r"created \d+ file\(s\), updated 0,", printed)
    nb = nbformat.read(src / "00_welcome.ipynb", as_version=4)
    nb.cells.append(v4.new_markdown_cell("A new paragraph in the course."))
    nbformat.write(nb, src / "00_welcome.ipynb")
    res = student.build(src, out)
    assert res.written == ["notebooks/00_welcome.ipynb"] and res.created == []
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    assert "created 0 file(s), updated 0," in capsys.readouterr().out


def test_main_and_cli(tmp_path, capsys):
    from optkit import cli

    src = _course(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["student", "--src", str(src), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["notebooks"][1] == {"name": "01_x.ipynb", "exercises": 2}
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    assert "2 notebooks, 2 exercises" in capsys.readouterr().out
    nbformat.write(_nb(_solution_cell("x = 1\n")), src / "02_broken.ipynb")
    assert student.main(["--src", str(src), "--out", str(out)]) == 1
    assert "02_broken.ipynb cell 0" in capsys.readouterr().err
    assert student.main(["--src", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "optkit student: error: no notebook folder" in capsys.readouterr().err
    (src / "03_bad.ipynb").write_text("{not json")
    (src / "02_broken.ipynb").unlink()
    assert student.main(["--src", str(src), "--out", str(out)]) == 1
    assert "03_bad.ipynb: not a readable notebook" in capsys.readouterr().err


# ------------------------------------------------------------------------------ the real course

def _course_notebooks():
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _with_exercises():
    return [p for p in _course_notebooks()
            if any("solution" in _tags(c) for c in nbformat.read(p, as_version=4).cells)]


def test_every_course_notebook_has_a_learner_edition(tmp_path):
    if not _course_notebooks():
        pytest.skip("no notebooks yet")
    res = student.build(NOTEBOOKS, tmp_path / "student")
    assert [n for n, _ in res.notebooks] == [p.name for p in sorted(NOTEBOOKS.glob("*.ipynb"))]
    assert not (tmp_path / "student" / "notebooks" / "INSTRUCTORS.md").exists()
    for name, k in res.notebooks:
        learner = nbformat.read(tmp_path / "student" / "notebooks" / name, as_version=4)
        for cell in learner.cells:
            if "solution" in _tags(cell):
                assert "BEGIN SOLUTION" not in cell.source, name
        # every exercise has a check cell after it
        src = nbformat.read(NOTEBOOKS / name, as_version=4)
        sol = [i for i, c in enumerate(src.cells) if "solution" in _tags(c)]
        chk = [i for i, c in enumerate(src.cells) if "check" in _tags(c)]
        for i in sol:
            assert any(j >= i for j in chk), f"{name}: solution cell {i} has no check cell after it"


@pytest.fixture(scope="module")
def learner_edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("learner")
    student.build(NOTEBOOKS, out / "student")
    return out / "student" / "notebooks"


@pytest.mark.notebook
@pytest.mark.parametrize("path", _with_exercises(), ids=lambda p: p.stem)
def test_learner_edition_runs_and_every_check_says_not_yet(path, learner_edition, monkeypatch):
    from tests import nbrun

    monkeypatch.setattr(nbrun, "ARTIFACTS", REPO / "test-artifacts" / "executed-learner")
    run = nbrun.execute(learner_edition / path.name, timeout=600)
    assert run.exception is None, run.exception
    assert not run.errors, f"{path.name} (learner edition) errors: {run.errors}"
    n_checks = sum("check" in _tags(c) for c in run.nb.cells)
    statuses = [v["status"] for v in run.verdicts]
    assert len(statuses) >= n_checks > 0, (statuses, n_checks)
    assert set(statuses) == {"not yet"}, f"{path.name} (learner edition): {run.verdicts}"
    # and the verdict is visible in each check cell's output
    for c in run.nb.cells:
        if "check" in _tags(c):
            shown = json.dumps(c.get("outputs", []))
            assert "not yet" in shown.lower(), f"{path.name}: a check cell shows no 'not yet'"


# ------------------------------------------------------------------------------ navigation, TOC

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


def _headings(nb):
    h1, h2 = [], []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            if fenced:
                continue
            if re.match(r"^# \S", line):
                h1.append(line)
            elif re.match(r"^## \S", line):
                h2.append(line)
    return h1, h2


def _nav(source: str) -> dict:
    links = {}
    for text, target in _LINK.findall(source):
        t = text.lower()
        key = "previous" if "previous" in t else "next" if "next" in t else "index" if "index" in t else None
        if key:
            links[key] = target
    return links


@pytest.mark.parametrize("path", _course_notebooks(), ids=lambda p: p.stem)
def test_notebook_navigation_and_table_of_contents(path):
    assert path.stem in COURSE, f"{path.name} is not in the course list"
    k = COURSE.index(path.stem)
    nb = nbformat.read(path, as_version=4)
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and last.cell_type == "markdown"
    number = path.stem[:2]
    assert re.match(rf"# {number} · \S", first.source), f"{path.name}: first line must be '# {number} · Title'"
    h1, h2 = _headings(nb)
    assert len(h1) == 1, f"{path.name}: exactly one '# ' title, found {h1}"
    assert len(h2) >= 3, f"{path.name}: at least 3 '## ' sections for the table of contents, found {h2}"
    assert "Recap" in last.source, f"{path.name}: the last cell is the recap"
    for where, cell in (("first", first), ("last", last)):
        nav = _nav(cell.source)
        want_index = "#The-ladder" if k == 0 else "00_welcome.ipynb#The-ladder"   # inside the served folder
        assert nav.get("index") == want_index, f"{path.name} {where} cell: course index link"
        want_prev = f"{COURSE[k - 1]}.ipynb" if k > 0 else None
        want_next = f"{COURSE[k + 1]}.ipynb" if k + 1 < len(COURSE) else None
        assert nav.get("previous") == want_prev, f"{path.name} {where} cell: previous -> {nav.get('previous')}"
        assert nav.get("next") == want_next, f"{path.name} {where} cell: next -> {nav.get('next')}"
        for target in (want_prev, want_next):
            if target:
                assert (NOTEBOOKS / target).exists(), f"{path.name} links to missing {target}"
    assert (REPO / "README.md").exists()


# --- adversary review 1: links, interrupted builds, hostile manifests, instructor files

def test_a_folder_link_into_the_source_or_outside_is_refused(tmp_path):
    import shutil

    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    before = _tree(src)
    shutil.rmtree(out / "notebooks")
    (out / "notebooks").symlink_to(src)               # out/notebooks -> the instructor source
    _edit_notebook(src / "01_x.ipynb", "# a new lesson line")
    with pytest.raises(student.BadLocation, match="source folder"):
        student.build(src, out)
    after = _tree(src)
    assert set(after) == set(before)                   # no *.new.ipynb written into the source
    (out / "notebooks").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(out / "solutions")
    (out / "solutions").symlink_to(elsewhere)
    with pytest.raises(student.BadLocation, match="outside the edition"):
        student.build(src, out)
    assert list(elsewhere.iterdir()) == []


def test_an_interrupted_first_build_can_be_resumed(tmp_path, monkeypatch):
    src = _course(tmp_path)
    out = tmp_path / "out"
    real = student._write_atomic
    calls = {"n": 0}

    def flaky(path, data, expect=student._UNSET):
        if path.name != student.MANIFEST:
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "No space left on device")
        return real(path, data, expect)

    monkeypatch.setattr(student, "_write_atomic", flaky)
    with pytest.raises(OSError):
        student.build(src, out)
    monkeypatch.setattr(student, "_write_atomic", real)
    res = student.build(src, out)                      # the retry finishes the edition
    assert (out / "README.md").exists() and (out / "solutions" / "01_x.md").exists()
    assert res.kept == []
    manifest = json.loads((out / student.MANIFEST).read_text())["files"]
    assert set(manifest) == {"README.md", "notebooks/00_welcome.ipynb", "notebooks/01_x.ipynb",
                             "notebooks/table.csv", "solutions/01_x.md"}


@pytest.mark.parametrize("kind", ["fifo", "zero", "deep", "empty-key", "dot-key", "bad-digest"])
def test_a_hostile_manifest_is_a_clear_error(tmp_path, kind):
    import os
    import subprocess
    import sys

    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    m = out / student.MANIFEST
    m.unlink()
    if kind == "fifo":
        os.mkfifo(m)
    elif kind == "zero":
        m.symlink_to("/dev/zero")
    elif kind == "deep":
        m.write_text('{"files": ' + "[" * 100000 + "]" * 100000 + "}")
    else:
        key, digest = {"empty-key": ("", "0" * 64), "dot-key": (".", "0" * 64),
                       "bad-digest": ("README.md", "x")}[kind]
        m.write_text(json.dumps({"files": {key: digest}}))
    code = (f"import sys; from optkit import student\n"
            f"sys.exit(student.main(['--src', {str(src)!r}, '--out', {str(out)!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and ".optkit-student.json" in r.stderr
    assert "KEPT" not in r.stdout


def test_no_instructor_file_reaches_the_learner_edition(tmp_path):
    src = _course(tmp_path)
    (src / "INSTRUCTORS.ko.md").write_text("비밀")
    out = tmp_path / "out"
    student.build(src, out)
    assert not [p for p in out.rglob("*") if p.name.startswith("INSTRUCTORS")]
    assert (out / "notebooks" / "table.csv").exists()


def test_korean_edition_stubs_speak_korean():
    # the Korean learner edition's stubs (default and metadata ones, Python and C) say the
    # exercise text in Korean; the English edition keeps the English text
    ko = nbformat.read(NOTEBOOKS / "ko" / "04_c_extension.ipynb", as_version=4)
    learner, exercises = learner_notebook(ko, "04_c_extension.ipynb")
    stubs = [c.source for c in learner.cells if "solution" in c.get("metadata", {}).get("tags", [])]
    assert exercises and len(stubs) == len(exercises)
    korean = messages_ko.MESSAGES[STUB_TEXT]
    assert all(korean in s and STUB_TEXT not in s for s in stubs), stubs
    assert any("PyErr_SetString(PyExc_NotImplementedError" in s for s in stubs)
    assert any("raise NotImplementedError" in s for s in stubs)
    en, _ = learner_notebook(nbformat.read(NOTEBOOKS / "04_c_extension.ipynb", as_version=4))
    assert all(STUB_TEXT in c.source for c in en.cells if "solution" in c.get("metadata", {}).get("tags", []))


def test_a_helper_file_the_learner_changed_is_never_overwritten(tmp_path, capsys):
    """Notebooks 06 and 07 import their worker code from a .py file next to them: the learner
    edition carries it, and a learner's edited copy survives every re-run (the course's new
    version goes beside it under a name no `import` picks up)."""
    src = _course(tmp_path)
    (src / "lesson07_tasks.py").write_text("def process_seed(seed):\n    return seed\n")
    out = tmp_path / "out"
    student.build(src, out)
    mine = out / "notebooks" / "lesson07_tasks.py"
    assert mine.read_text() == (src / "lesson07_tasks.py").read_text()
    mine.write_text("def process_seed(seed):\n    return seed * 2   # my faster version\n")
    yours = mine.read_bytes()
    res = student.build(src, out)                       # the course unchanged: the learner's stays
    assert mine.read_bytes() == yours and "notebooks/lesson07_tasks.py" in res.yours
    (src / "lesson07_tasks.py").write_text("def process_seed(seed):\n    return seed + 0   # course fix\n")
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    assert mine.read_bytes() == yours                   # the course changed too: still the learner's
    beside = out / "notebooks" / "lesson07_tasks.new.py"
    assert "course fix" in beside.read_text() and "lesson07_tasks.py: you changed it" in capsys.readouterr().out
    assert not beside.stem.isidentifier()               # `import lesson07_tasks` still finds the learner's
    assert student.build(src, out).kept == [("notebooks/lesson07_tasks.py", "notebooks/lesson07_tasks.new.py")]
    assert mine.read_bytes() == yours


def test_the_course_helper_files_reach_the_learner_edition(tmp_path):
    student.build(NOTEBOOKS, tmp_path / "out")
    for name in ("lesson06_datasets.py", "lesson07_tasks.py"):
        assert (tmp_path / "out" / "notebooks" / name).read_bytes() == (NOTEBOOKS / name).read_bytes()


# --- class: "you changed it" means the learner's cells (L4 findings 2 and 3)

def _open_in_lab(path: Path, outputs: bool = False) -> None:
    """What JupyterLab writes for a notebook only opened (its kernel's language_info, indent 1),
    and with outputs=True what running its code cells adds (outputs, execution counts)."""
    nb = json.loads(path.read_text())
    nb["metadata"]["language_info"] = {"codemirror_mode": {"name": "ipython", "version": 3},
                                       "name": "python", "version": "3.11.7"}
    if outputs:
        for k, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
            cell["execution_count"] = k + 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["my run\n"]}]
    path.write_text(json.dumps(nb, indent=1) + "\n")


def _course_update(src: Path, text: str) -> None:
    for name in ("00_welcome.ipynb", "01_x.ipynb"):
        nb = nbformat.read(src / name, as_version=4)
        nb.cells.append(v4.new_markdown_cell(text))
        nbformat.write(nb, src / name)


def test_a_notebook_only_opened_is_not_the_learners_and_gets_the_course_update(tmp_path, capsys):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    opened = out / "notebooks" / "01_x.ipynb"
    _open_in_lab(opened)
    assert student.main(["--src", str(src), "--out", str(out)]) == 0      # course unchanged
    printed = capsys.readouterr().out
    assert "KEPT" not in printed and "you changed" not in printed, printed
    assert "language_info" in opened.read_text()                           # not rewritten for nothing
    _course_update(src, "A new paragraph in the course.")
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "KEPT" not in printed and "you changed" not in printed, printed
    assert "updated  notebooks/01_x.ipynb  (you had only opened it" in printed, printed
    assert "A new paragraph" in nbformat.read(opened, as_version=4).cells[-1].source
    assert not (out / "notebooks" / "01_x.new.ipynb").exists()


def test_a_notebook_with_the_learners_outputs_is_kept_and_the_report_says_why(tmp_path, capsys):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    ran = out / "notebooks" / "01_x.ipynb"
    _open_in_lab(ran, outputs=True)
    mine = ran.read_bytes()
    capsys.readouterr()
    assert student.main(["--src", str(src), "--out", str(out)]) == 0      # course unchanged: up to date
    assert "KEPT" not in capsys.readouterr().out and ran.read_bytes() == mine
    _course_update(src, "v2")
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert ran.read_bytes() == mine                                       # the outputs stay
    assert "01_x.ipynb: you did not change its cells, but it holds the outputs of your runs" in printed
    assert "you changed it" not in printed, printed
    assert "v2" in (out / "notebooks" / "01_x.new.ipynb").read_text()


@pytest.mark.parametrize("edit", ["source", "new cell", "deleted cell"])
def test_a_real_edit_is_kept_even_when_only_metadata_seems_to_differ(tmp_path, capsys, edit):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    mine = out / "notebooks" / "01_x.ipynb"
    nb = nbformat.read(mine, as_version=4)
    if edit == "source":
        nb.cells[1].source += "\n# my attempt"
    elif edit == "new cell":
        nb.cells.append(v4.new_code_cell("my_notes = 1"))
    else:
        del nb.cells[0]
    nbformat.write(nb, mine)
    _open_in_lab(mine)
    yours = mine.read_bytes()
    _course_update(src, "v2")
    capsys.readouterr()
    assert student.main(["--src", str(src), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert mine.read_bytes() == yours
    assert "KEPT     notebooks/01_x.ipynb: you changed it" in printed, printed
    assert "v2" in (out / "notebooks" / "01_x.new.ipynb").read_text()


def test_working_in_the_new_version_adds_no_further_copy_while_the_course_is_unchanged(tmp_path, capsys):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    _edit_notebook(out / "notebooks" / "01_x.ipynb", "mine")
    _course_update(src, "v2")
    student.build(src, out)
    new = out / "notebooks" / "01_x.new.ipynb"
    _edit_notebook(new, "I work in the new version now")
    merged = new.read_bytes()
    capsys.readouterr()
    for _ in range(2):
        assert student.main(["--src", str(src), "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert new.read_bytes() == merged
        assert not (out / "notebooks" / "01_x.new-2.ipynb").exists()
        assert "the builder no longer writes it" not in printed, printed
        assert "the new version is notebooks/01_x.new.ipynb (written on an earlier run" in printed, printed
    manifest = json.loads((out / student.MANIFEST).read_text())
    assert manifest["beside"]["notebooks/01_x.ipynb"]["path"] == "notebooks/01_x.new.ipynb"
    _course_update(src, "v3")                                  # the course changes: one new copy
    res = student.build(src, out)
    assert new.read_bytes() == merged
    assert res.kept == [("notebooks/01_x.ipynb", "notebooks/01_x.new-2.ipynb")]
    assert "v3" in (out / "notebooks" / "01_x.new-2.ipynb").read_text()
    assert student.build(src, out).kept == [("notebooks/01_x.ipynb", "notebooks/01_x.new-2.ipynb")]
    assert not (out / "notebooks" / "01_x.new-3.ipynb").exists()


def test_a_manifest_of_an_older_optkit_still_reads(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    m = out / student.MANIFEST
    data = json.loads(m.read_text())
    m.write_text(json.dumps({"made_by": data["made_by"], "files": data["files"]}))
    _open_in_lab(out / "notebooks" / "01_x.ipynb")            # the course's cells: up to date
    res = student.build(src, out)
    assert res.kept == [] and "notebooks/01_x.ipynb" in res.unchanged
    data["beside"] = {"notebooks/01_x.ipynb": {"path": "../escape.ipynb", "course": "0" * 64}}
    m.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="not a file inside the edition"):
        student.build(src, out)


def test_a_new_version_only_opened_counts_as_the_builders(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    mine = out / "notebooks" / "01_x.ipynb"
    _edit_notebook(mine, "mine")
    _course_update(src, "v2")
    student.build(src, out)
    new = out / "notebooks" / "01_x.new.ipynb"
    _open_in_lab(new)                                          # looked at, nothing written in it
    _course_update(src, "v3")
    res = student.build(src, out)
    assert res.kept == [("notebooks/01_x.ipynb", "notebooks/01_x.new.ipynb")] and "v3" in new.read_text()
    _open_in_lab(new)
    mine.unlink()                                              # the learner throws theirs away
    res = student.build(src, out)
    assert res.written == ["notebooks/01_x.ipynb"] and res.removed == ["notebooks/01_x.new.ipynb"]
    assert res.stale_kept == [] and not new.exists()


def test_a_save_while_a_dropped_notebook_is_removed_is_never_lost(tmp_path, monkeypatch):
    """A4 8: the course drops a notebook the learner had only opened; JupyterLab saves the
    learner's edit while the rebuild is judging it. The save survives, and is reported as kept."""
    src = _course(tmp_path)
    out = tmp_path / "out"
    student.build(src, out)
    nb = out / "notebooks" / "01_x.ipynb"
    _open_in_lab(nb)
    opened = nb.read_bytes()
    (src / "01_x.ipynb").unlink()                         # the course drops it
    real, saved = student.notebook_digests, []

    def saving(raw):                                      # JupyterLab saves while the rebuild reads it
        if raw == opened and not saved:
            mine = json.loads(opened)
            mine["cells"][0]["source"] = "MY WORK, saved during the rebuild"
            nb.write_text(json.dumps(mine, indent=1))
            saved.append(nb)
        return real(raw)

    monkeypatch.setattr(student, "notebook_digests", saving)
    res = student.build(src, out)
    assert saved and nb.exists() and "MY WORK, saved during the rebuild" in nb.read_text()
    assert res.removed == ["solutions/01_x.md"] and res.stale_kept == ["notebooks/01_x.ipynb"]
    assert sorted(p.name for p in nb.parent.iterdir()) == ["00_welcome.ipynb", "01_x.ipynb", "table.csv"]
    assert not [p for p in nb.parent.iterdir() if p.name.startswith(".")], "a temporary file was left"


def test_remove_unchanged_deletes_only_the_bytes_it_judged(tmp_path):
    """optkit.files.remove_unchanged, the student's way to delete a dropped file: judged after the
    file is moved aside; put back when changed, beside a file saved there in the meantime."""
    from optkit.files import remove_unchanged

    f = tmp_path / "a.ipynb"
    f.write_text("builder")
    assert remove_unchanged(f, lambda p: p.read_text() == "builder") is None and not f.exists()
    f.write_text("learner")
    assert remove_unchanged(f, lambda p: p.read_text() == "builder") == f and f.read_text() == "learner"

    def saved_meanwhile(p):
        f.write_text("saved just now")
        return False

    kept = remove_unchanged(f, saved_meanwhile)
    assert kept == tmp_path / "a.kept.ipynb" and kept.read_text() == "learner"
    assert f.read_text() == "saved just now"

    g = tmp_path / "b.md"
    g.write_text("builder")
    with open(g, "a") as handle:                          # a writer that opened it before the move

        def written_while_judged(p):
            same = p.read_text() == "builder"
            handle.write(" + a save")
            handle.flush()
            return same

        assert remove_unchanged(g, written_while_judged) == g and g.read_text() == "builder + a save"
    g.unlink()

    def fails(p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        remove_unchanged(f, fails)
    assert f.read_text() == "saved just now"
    assert remove_unchanged(tmp_path / "none.ipynb", lambda p: True) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ipynb", "a.kept.ipynb"]    # no temporary left


def test_a_second_build_at_once_waits_for_the_first_and_counts_nothing_as_yours(tmp_path, monkeypatch, capsys):
    import threading
    src = _course(tmp_path)
    src2 = tmp_path / "src2"                         # a newer course version: 01 changed
    src2.mkdir()
    for p in src.iterdir():
        (src2 / p.name).write_bytes(p.read_bytes())
    _edit_notebook(src2 / "01_x.ipynb", "# a newer course")
    out = tmp_path / "out"
    started, go_on = threading.Event(), threading.Event()
    real = student._write_atomic

    def slow(path, data, *args, **kw):               # the first build stops after its first file
        done = real(path, data, *args, **kw)
        if threading.current_thread().name == "first" and Path(path).name != ".optkit-student.json":
            started.set()
            go_on.wait(10)
        return done

    monkeypatch.setattr(student, "_write_atomic", slow)
    results = {}
    first = threading.Thread(name="first", target=lambda: results.update(first=student.build(src, out)))
    second = threading.Thread(name="second", target=lambda: results.update(second=student.build(src2, out)))
    first.start()
    assert started.wait(10)
    second.start()
    second.join(1.0)
    finished_early = not second.is_alive()
    go_on.set()
    first.join(10)
    second.join(10)
    assert not finished_early, "the second build ran while the first was writing the same edition"
    assert results["second"].yours == [] and results["second"].kept == []
    assert "another `optkit student` is writing" in capsys.readouterr().err
    assert "notebooks/01_x.ipynb" in results["second"].written
    again = student.build(src2, out)                  # and the edition is consistent afterwards
    assert again.written == [] and again.yours == [] and again.kept == []


def test_the_lock_file_is_not_a_learner_file_and_a_learners_file_of_that_name_stays(tmp_path):
    src = _course(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".optkit-student.lock").write_text("mine")  # an empty folder but for this file: adopted
    student.build(src, out)
    assert (out / ".optkit-student.lock").read_text() == "mine"
    res = student.build(src, out, force=True)          # --force does not see it as a foreign file
    assert (out / ".optkit-student.lock").read_text() == "mine" and res.yours == []
