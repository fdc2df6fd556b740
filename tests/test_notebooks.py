"""Every notebook: committed clean, well-formed, no timings in prose, and runs top to bottom.

The execution test uses nbclient in the "optkit" kernel started with
--InteractiveShell.display_page=True (so `%lprun` tables are kept), and fails on any
error output, on a notebook slower than its CI budget (metadata.optkit.ci_budget_s), and
on a self-check that does not pass (the source notebooks are the instructor edition).
"""
import os
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from optkit.fmt import NARROW_WIDTH, text_width      # what fits a 1280-pixel JupyterLab with the file browser open
from tests import nbrun

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

# Timings, speedups, ratios and bandwidths must be computed live, never written in prose.
# Sizes such as "2000 × 2000 × 3" or "32x128" are dimensions, not figures: removed first.
DIMENSIONS = re.compile(r"\d+\s?[x×]\s?\d+(?:\s?[x×]\s?\d+)*")
NUMBER_IN_PROSE = [
    re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s?(?:ns|µs|us|ms|s|sec|secs|seconds)\b"),
    re.compile(r"(?<![\w.])[x×]\s?\d+(?:\.\d+)?\b"),                  # x12.3
    re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?[x×](?=\s|$|[.,;:)])"),    # 12x
    re.compile(r"\b\d+(?:\.\d+)?\s?(?:times (?:faster|slower)|GB/s|MB/s|%)", re.I),
]


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_welcome.ipynb"


def test_numbers_in_prose_pattern_catches_timings():
    bad = ["it takes 194 ms", "a x12.3 speedup", "runs 30x faster", "85% of the time", "12 GB/s"]
    ok = ["crops of 32x128 pixels", "a 2000 × 2000 × 3 page", "on 2 cores", "Estimated time: 30 minutes", "step 3", "notebook 02"]
    hits = lambda t: any(p.search(DIMENSIONS.sub("", t)) for p in NUMBER_IN_PROSE)
    assert all(hits(t) for t in bad)
    assert not any(hits(t) for t in ok)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_structure(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "optkit"
    assert nb.metadata.get("optkit", {}).get("ci_budget_s", 0) > 0
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# ")
    text = first.source.lower()
    assert "objective" in text and "estimated time" in text
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    assert "recap" in md
    if path.stem != "00_welcome":
        assert any("check" in c.get("metadata", {}).get("tags", []) for c in nb.cells), "no self-checked exercise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_numbers_in_prose(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "markdown":
            continue
        text = re.sub(r"`[^`]*`", "", c.source)          # inline code is code, not prose
        text = re.sub(r"\]\([^)]*\)", "]", text)          # link targets
        text = DIMENSIONS.sub("", text)
        for pat in NUMBER_IN_PROSE:
            found += [(i, m.group(0)) for m in pat.finditer(text)]
    assert not found, f"{path.name}: figures written in prose (compute them live): {found}"


# Outputs of these cells (by cell id) must fit a 1280-pixel JupyterLab window with the file
# browser open, about 100 characters of monospace text; wider lines wrap mid-word there.
NARROW_CELLS = {"01_profiling": ("f02739c1", "d650515f", "nb01-pyspy-native", "nb01-lprun-vs-sampling-code",
                                 "nb01-scalene-code", "0cfe7846"),
                "02_numpy_opencv": ("9eb13de3", "17ab1b2a", "6f007c6b"),
                "03_cython_numba": ("a28493ff", "9fe07c31", "0c6763a5", "ee8f3659", "92b7066e", "5a107503",
                                    "b1fb61a2", "b0c8326a", "6dbfe6d3", "nb03-predict-verify-code"),
                "04_c_extension": ("nb04-steps", "nb04-peers-says", "nb04-memray-run"),
                "05_beyond_code": ("85b47b62", "e97ed224", "7f613cea", "5b31bcef", "e48cb3af", "bab002c3", "8455e39c",
                                   "91a67289", "ed1f4e95", "0ed9164d", "00c09719", "9bc54350"),
                "06_frameworks_first": ("32c91879", "nb06-crops-code", "581f0f3f", "8106933c", "28ab52c4", "2c9e5879", "62136298",
                                        "nb06-crops-verdict", "c0c4ecc7", "nb06-arrow-chunks"),
                "07_scale_out": ("90800cca", "ed7e8b19", "8305d332", "2eff26de", "d2a11f3c", "de129c71"),
                "08_capstone": ("c505c314",)}


def _columns(line: str) -> int:
    """Columns of monospace text, as optkit itself counts them (wide characters take two,
    combining marks and ANSI escapes none, tabs expanded)."""
    return text_width(line)


def _wide_lines(nb, cell_ids, width=NARROW_WIDTH) -> list:
    wide = []
    for cell in nb.cells:
        if cell.get("id") not in cell_ids:
            continue
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else \
                out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            wide += [(cell["id"], line) for line in text.splitlines() if _columns(line) > width]
    return wide


# A notebook's work folder goes away before its kernel does (03 removes its own with rmtree).
LEAVES_WORK_FOLDER: set[str] = set()     # notebooks allowed to leave an optkit-NN-* folder (none)


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    # the kernel's TMPDIR, to see what the notebook leaves there; a short path, as /tmp is (the
    # %lprun table prints the path of a cell's code, and it must fit the narrow window too)
    scratch = Path(tempfile.mkdtemp(prefix="nbt-", dir="/tmp" if os.path.isdir("/tmp") else None))
    try:
        _runs_top_to_bottom(path, tmp_path, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _runs_top_to_bottom(path, tmp_path, scratch):
    nb = nbformat.read(path, as_version=4)
    budget = nb.metadata["optkit"]["ci_budget_s"]
    # capstone result files and the learner id go to a temporary folder, not the user's
    run = nbrun.execute(path, timeout=max(600, budget),
                        env={"OPTKIT_RESULTS": str(tmp_path), "OPTKIT_CONFIG": str(tmp_path / "config"),
                             "TMPDIR": str(scratch)})
    assert run.exception is None, run.exception
    assert not run.errors, f"error outputs: {run.errors}"
    failed = [v for v in run.verdicts if not v.get("passed")]
    assert not failed, f"self-checks that do not pass in the instructor edition: {failed}"
    checks = sum("check" in c.get("metadata", {}).get("tags", []) for c in nb.cells)
    assert len(run.verdicts) >= checks, f"{checks} check cells but only {len(run.verdicts)} verdicts recorded"
    plots = sum("plot" in c.get("metadata", {}).get("tags", []) for c in nb.cells)
    assert run.images() >= plots, f"{plots} plot cells but {run.images()} images"
    if any("lprun" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        assert "Timer unit" in run.text_outputs(), "the %lprun table is missing from the output"
    wide = _wide_lines(run.nb, NARROW_CELLS.get(path.stem, ()))
    assert not wide, f"output lines over {NARROW_WIDTH} characters (they wrap mid-word): {wide}"
    # a notebook's own work folder (optkit-NN-*) goes away with its kernel: never left in /tmp
    left = sorted(p.name for p in scratch.glob(f"optkit-{path.stem[:2]}-*"))
    if path.stem not in LEAVES_WORK_FOLDER:
        assert not left, f"{path.name} left its work folder(s) behind in the temporary folder: {left}"
    print(f"{path.name}: {run.seconds:.1f} s (budget {budget} s)")
    assert run.seconds <= budget, f"{path.name} took {run.seconds:.0f} s, over its CI budget of {budget} s"


@pytest.mark.notebook
def test_nbrun_keeps_results_and_config_in_a_temporary_folder(tmp_path, monkeypatch):
    # the instructors' pre-check (python -m tests.nbrun) must never add a capstone row to a real
    # leaderboard nor a learner id to the user's config: both point at a scratch folder it removes
    home = tmp_path / "home-results"
    monkeypatch.setenv("OPTKIT_RESULTS", str(home))
    monkeypatch.delenv("OPTKIT_CONFIG", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": nbrun.KERNEL, "display_name": "optkit", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(
        "import os\nfrom pathlib import Path\n"
        "for k in ('OPTKIT_RESULTS', 'OPTKIT_CONFIG'):\n"
        "    Path(os.environ[k]).mkdir(parents=True, exist_ok=True)\n"
        "    (Path(os.environ[k]) / 'probe.json').write_text('{}')\n"
        "    print(k, os.environ[k])")]
    path = tmp_path / "nbrun_env_probe.ipynb"
    nbformat.write(nb, path)
    run = nbrun.execute(path, timeout=120)
    assert run.exception is None and not run.errors, (run.exception, run.errors)
    seen = dict(line.split(" ", 1) for line in run.text_outputs().splitlines() if line.startswith("OPTKIT_"))
    assert set(seen) == {"OPTKIT_RESULTS", "OPTKIT_CONFIG"}, seen
    assert seen["OPTKIT_RESULTS"] != str(home) and not home.exists()
    for k, v in seen.items():
        assert not Path(v).exists(), f"{k} scratch folder {v} was left behind"
    # the caller's environment is restored, and an explicit env still wins
    import os
    assert os.environ["OPTKIT_RESULTS"] == str(home) and "OPTKIT_CONFIG" not in os.environ
    run = nbrun.execute(path, timeout=120, env={"OPTKIT_RESULTS": str(tmp_path / "mine")})
    assert f"OPTKIT_RESULTS {tmp_path / 'mine'}" in run.text_outputs()
    assert (tmp_path / "mine" / "probe.json").exists()


# The verdict lines notebook 03's ladder helpers print grow longest on a busy machine ("too noisy
# to tell here (IQR ...)"), a branch a quiet CI run never prints: run the helpers themselves (the
# functions of cell 381bbde3 and the summary cell b0c8326a, exec'd from the notebook) on worst-case
# timings, in both languages.
def _nb03_helpers(namespace):
    import ast
    nb = nbformat.read(REPO / "notebooks" / "03_cython_numba.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "381bbde3")
    tree = ast.parse(cell.source)
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert {"set_step", "time_step", "gain_line", "thread_gains"} <= {d.name for d in defs}
    exec(compile(ast.Module(body=defs, type_ignores=[]), "03-381bbde3", "exec"), namespace)
    labels = re.findall(r'time_step\("([^"]+)"', "".join(c.source for c in nb.cells))
    whats = re.findall(r'gain_line\("([^"]+)"', "".join(c.source for c in nb.cells))
    return max(labels, key=len), whats


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_nb03_verdict_lines_fit_the_page_in_the_worst_case(lang, monkeypatch, capsys):
    import types

    import numpy as np

    from optkit import bench, fmt
    from optkit.timing import Timing

    monkeypatch.setenv("OPTKIT_LANG", lang)

    def timing(label, median, iqr):
        return Timing(label=label, first_call_s=median, best_s=median, median_s=median, iqr_s=iqr,
                      loops=1, repeats=5)

    class Cmp(dict):
        def speedup(self, fast, slow):
            return self[slow].median_s / self[fast].median_s

    expected = np.zeros((2, 2), dtype=np.uint8)
    ns = {"bench": None, "fmt": fmt, "plot": types.SimpleNamespace(ladder=lambda *a, **k: None),
          "expected": expected, "mask": expected, "GAP": 1, "T": {},
          "smt_topology": lambda: {"threads_per_core": 128, "cores": 1, "logical": 128}}   # the SMT note too
    label, whats = _nb03_helpers(ns)
    assert whats, "no gain_line call found in 03"
    # medians far apart (the ratio alone would be clear) and IQRs wider than the gap: the
    # longest "too noisy to tell here (IQR ...%)" wording, with the widest figures
    slow, fast = timing("slow", 123.0, 1234.0), timing("fast", 0.0999, 0.999)
    rounds = Cmp({"Python": slow, "previous": fast, label: fast})
    ns["bench"] = types.SimpleNamespace(
        assert_same=lambda *a, **k: None, MismatchError=bench.MismatchError, noise_note=bench.noise_note,
        clearly_different=bench.clearly_different, format_time=bench.format_time,
        compare_or_wrong=lambda funcs, *a, **k: Cmp((name, rounds[name]) for name in funcs))
    ref = lambda m, g: expected   # noqa: E731
    # rlsa_python is not the ladder's copy: time_step's notice about it is printed too
    ns.update(rlsa_python=lambda m, g: expected, steps=[("Python", 123.0), ("previous", 1.0)],
              step_fns={"Python": ref, "previous": ref}, step_cmp={})
    ns["time_step"](label, ref)
    for what in whats:
        ns["gain_line"](what, rounds, "Python", label)
    # both prange lines noisy, and the serial yardstick moved between the settings (the warning)
    serial = {"serial": timing("serial", 123.0, 0.0), "par": fast}
    moved = {"serial": timing("serial", 0.0999, 0.999), "par": slow}
    sweep = types.SimpleNamespace(comparisons=[serial, moved], x=[1, 128])
    ns["thread_gains"](sweep, "serial", "par")
    # the summary cell b0c8326a (versus(): ratio + noise note), every pair noisy
    nb = nbformat.read(REPO / "notebooks" / "03_cython_numba.ipynb", as_version=4)
    summary = next(c.source for c in nb.cells if c.get("id") == "b0c8326a")
    names = ("Python", "Cython memoryviews", "Numba @njit", "NumPy (running max/min)")
    exec(summary, {"bench": ns["bench"], "fmt": fmt, "times": dict.fromkeys(names),
                   "all_cmp": Cmp({"Python": slow, **{name: fast for name in names[1:3]},
                                   "NumPy (running max/min)": slow}),
                   "CC": types.SimpleNamespace(has_openmp=True), "cy_par_gain": 0.999, "nb_par_gain": 0.999,
                   # the prange lines take their notes from the sweeps' last rounds (as thread_gains)
                   "cy_threads": types.SimpleNamespace(comparisons=[{"Cython serial": slow, "Cython prange": fast}]),
                   "nb_threads": types.SimpleNamespace(comparisons=[{"Numba serial": slow, "Numba prange": fast}])})
    printed = capsys.readouterr().out
    note = bench.noise_note(slow, fast)
    assert "IQR" in note and printed.count("IQR") >= 6 + len(whats), printed   # the long branch ran
    assert "physical core(s) here" in printed, printed
    assert printed.count("prange vs serial, 2 threads") == 2, printed
    assert "IQR" in printed.split("Numba prange vs serial")[1], printed   # its note is the noisy one
    wide = [line for line in printed.splitlines() if fmt.text_width(line) > NARROW_WIDTH]
    assert not wide, f"lines over {NARROW_WIDTH} columns (they wrap mid-word): {wide}"
