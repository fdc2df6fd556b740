"""The mistake corpus: every known attempt goes through its exercise's check, as a learner's would.

``tests/corpus/<notebook>/<function>/<attempt>`` holds one cell each: the learner's version of
the exercise's function (``<function>`` is the name the check cell checks; ``sum_u8`` for
``ex_sum.sum_u8``). Its header says what it is and what the check must say::

    # attempt: np.roll for the previous step ...
    # expect: wrong            (wrong | slow | rule | correct)
    # message: the first and last steps     (optional: text the verdict must contain)

(``//`` instead of ``#`` in C cells; the header goes after a ``%%`` magic line.)

The notebook runs ONCE per test in one kernel, top to bottom as a learner runs it, except the
cells that only demonstrate or time something (plots, profiles, comparisons: not needed by any
exercise) and the cells after the last check. Right after each check cell (which checks the
instructor's solution: that must PASS, the anchor that the context is complete), every attempt
of that exercise runs in the same kernel followed by the check; then the instructor's solution
cell runs again so that later cells see it. Wrong, slow and rule-breaking attempts must never
PASS; correct alternatives must PASS. Counts per exercise are printed (``-s``) and written to
``test-artifacts/corpus/<notebook>.json``. ``OPTKIT_CORPUS_ROUNDS=N`` repeats the attempts N
times in the same kernel (a race must fail every time).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests import nbrun

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
NOTEBOOKS = REPO / "notebooks"
OUT = REPO / "test-artifacts" / "corpus"
HEADER = re.compile(r"^\s*(?:#|//)\s*(attempt|expect|message):\s*(.+?)\s*$", re.M)
CHECK_CALL = re.compile(r"^(?:\w+ = )?(\w+)\.check\(([\w.]+)\);?\s*$")
EXPECTS = ("wrong", "slow", "rule", "correct")
# Cells that only show or time something: no exercise needs what they compute.
SKIP_SOURCE = re.compile(r"bench\.(compare|sweep_sizes|sweep_threads)\(|%%?lprun|%%?timeit|"
                         r"lineprof\.profile|oversubscription|system\.(stream|alloc_vs_out|"
                         r"import_steps|child_view|env_before_vs_after|kernel_bandwidth)|"
                         r"run_timed\(|show_batch|plot\.")
SKIP_TAGS = {"plot", "lprun"}
ATTEMPT_TIMEOUT = 300


def reduce_cell(source: str) -> str | None:
    """What a demonstration cell defines, without its demonstration: the top-level imports,
    functions, classes and assignments that do not time, profile or plot (None: nothing)."""
    import ast

    lines = source.splitlines()
    magic = []
    if lines and lines[0].startswith("%%"):
        if not lines[0].startswith(("%%requires", "%%needs_compiler")):
            return source                     # Cython and C cells: compile them as they are
        magic, lines = lines[:1], lines[1:]
    from IPython.core.inputtransformer2 import TransformerManager

    lines = TransformerManager().transform_cell("\n".join(lines)).splitlines()   # line magics
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return None
    keep = []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        seg = "\n".join(lines[start - 1: node.end_lineno])
        setup_magic = isinstance(node, ast.Expr) and re.search(
            r"run_line_magic\('(matplotlib|load_ext|config)'", seg)
        if setup_magic or isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) or (
                isinstance(node, (ast.Assign, ast.AnnAssign)) and not SKIP_SOURCE.search(seg)):
            keep.append(seg)
    return "\n".join(magic + keep) if keep else None


def parse_attempt(path: Path) -> dict:
    text = path.read_text()
    head = dict((k, v) for k, v in HEADER.findall(text))
    return {"path": path, "source": text, "what": head.get("attempt", ""),
            "expect": head.get("expect", ""), "message": head.get("message")}


def corpus(notebook: str) -> dict:
    """{function name: [attempt dicts]} for one notebook."""
    out = {}
    for d in sorted((CORPUS / notebook).iterdir()) if (CORPUS / notebook).is_dir() else []:
        if d.is_dir():
            out[d.name] = [parse_attempt(p) for p in sorted(d.iterdir()) if p.is_file()]
    return out


NOTEBOOK_IDS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def test_corpus_is_well_formed():
    """Every attempt has a header; every exercise has 3+ mistakes and a correct alternative."""
    for nb in NOTEBOOK_IDS:
        assert (NOTEBOOKS / f"{nb}.ipynb").exists(), f"corpus folder {nb} names no notebook"
        checks = check_cells(nbformat.read(NOTEBOOKS / f"{nb}.ipynb", as_version=4))
        for fn, attempts in corpus(nb).items():
            assert fn in {c["function"] for c in checks}, f"{nb}/{fn}: no check cell checks {fn}"
            for a in attempts:
                assert a["what"] and a["expect"] in EXPECTS, f"{a['path']}: bad header"
            kinds = [a["expect"] for a in attempts]
            assert kinds.count("correct") >= 1, f"{nb}/{fn}: no correct alternative"
            assert len(kinds) - kinds.count("correct") >= 3, f"{nb}/{fn}: fewer than 3 mistakes"


def check_cells(nb) -> list:
    """Check cells with the exercise variable and the function their last line checks."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "check" not in cell.metadata.get("tags", []):
            continue
        lines = cell.source.rstrip().splitlines()
        m = CHECK_CALL.match(lines[-1]) if lines else None
        assert m, f"check cell {i} must end with `<exercise>.check(<function>)`: {lines[-1:]}"
        sol = max(j for j in range(i) if "solution" in nb.cells[j].metadata.get("tags", []))
        found.append({"index": i, "exercise": m[1], "call": m[2],
                      "function": m[2].split(".")[-1], "solution": sol})
    return found


def _status(cell) -> dict:
    """The verdict printed by the corpus's check cell (or what went wrong instead)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and "CORPUS-VERDICT " in out.get("text", ""):
            line = next(l for l in out["text"].splitlines() if l.startswith("CORPUS-VERDICT "))
            return json.loads(line[len("CORPUS-VERDICT "):])
        if out.get("output_type") == "error":
            return {"status": "cell error", "message": f"{out.get('ename')}: {out.get('evalue')}"}
    return {"status": "no verdict", "message": ""}


def _errors(cell) -> str:
    return "; ".join(f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", [])
                     if o.get("output_type") == "error")


def run_corpus(notebook: str, rounds: int = 1) -> dict:
    path = NOTEBOOKS / f"{notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    checks = {c["index"]: c for c in check_cells(nb)}
    attempts = corpus(notebook)
    last = max(checks)
    client = NotebookClient(nb, timeout=ATTEMPT_TIMEOUT, kernel_name=nbrun.KERNEL,
                            allow_errors=True, resources={"metadata": {"path": str(path.parent)}},
                            extra_arguments=nbrun.kernel_args())
    results = {c["function"]: [] for c in checks.values()}
    anchors = {}
    env = {"OPTKIT_RESULTS": str(OUT / "results"), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    old = dict(os.environ)
    os.environ.update(env)
    os.environ.pop("OPTKIT_VERDICTS", None)
    try:
        with client.setup_kernel():
            for i, cell in enumerate(nb.cells[: last + 1]):
                if cell.cell_type != "code":
                    continue
                tags = set(cell.metadata.get("tags", []))
                if i not in checks and "solution" not in tags and (
                        tags & SKIP_TAGS or SKIP_SOURCE.search(cell.source)):
                    reduced = reduce_cell(cell.source)
                    if reduced:
                        client.execute_cell(nbformat.v4.new_code_cell(reduced), i)
                    continue
                if i in checks:
                    c = checks[i]
                    body = cell.source.rstrip().splitlines()[:-1]
                    setup = nbformat.v4.new_code_cell("\n".join(body))
                    client.execute_cell(setup, i)
                    anchors[c["function"]] = _verdict(client, c, i) | {"setup_errors": _errors(setup)}
                    for _ in range(rounds):
                        for a in attempts.get(c["function"], []):
                            attempt = nbformat.v4.new_code_cell(a["source"])
                            client.execute_cell(attempt, i)
                            v = _verdict(client, c, i)
                            v["compile"] = _errors(attempt)
                            results[c["function"]].append((a, v))
                    client.execute_cell(nbformat.v4.new_code_cell(nb.cells[c["solution"]].source), i)
                    continue
                client.execute_cell(cell, i)
    finally:
        os.environ.clear()
        os.environ.update(old)
    return {"anchors": anchors, "results": results}


def _verdict(client, c, i) -> dict:
    probe = nbformat.v4.new_code_cell(
        "import json as _json\n"
        f"_v = {c['exercise']}.check({c['call']}, display=False)\n"
        "print('CORPUS-VERDICT ' + _json.dumps({'status': _v.status, 'message': _v.message}))")
    client.execute_cell(probe, i)
    return _status(probe)


def _judge(expect, verdict, message) -> str | None:
    status = verdict["status"]
    if expect == "correct" and status != "pass":
        return f"a correct alternative was rejected: {status}: {verdict['message']}"
    if expect != "correct" and status == "pass":
        return f"a {expect} attempt PASSED: {verdict['message']}"
    if expect != "correct" and status in ("cell error", "no verdict"):
        return f"the check did not give a verdict: {verdict['message']}"
    if message and message not in verdict["message"]:
        return f"the verdict does not say {message!r}: {status}: {verdict['message']}"
    return None


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOK_IDS)
def test_corpus(notebook):
    rounds = int(os.environ.get("OPTKIT_CORPUS_ROUNDS", "1"))
    run = run_corpus(notebook, rounds)
    problems, counts = [], {}
    for fn, anchor in run["anchors"].items():
        if anchor["status"] != "pass":
            problems.append(f"{fn}: the instructor's solution does not pass in the corpus "
                            f"context: {anchor}")
    for fn, items in run["results"].items():
        n = counts.setdefault(fn, {"attempts": 0, "rejected": 0, "accepted": 0,
                                   "wrong passed": 0, "correct rejected": 0})
        for a, v in items:
            n["attempts"] += 1
            n["accepted" if v["status"] == "pass" else "rejected"] += 1
            bad = _judge(a["expect"], v, a["message"])
            n["correct rejected"] += a["expect"] == "correct" and v["status"] != "pass"
            n["wrong passed"] += a["expect"] != "correct" and v["status"] == "pass"
            if bad:
                problems.append(f"{a['path'].relative_to(CORPUS)} ({a['what']}): {bad}"
                                + (f" [compile: {v['compile']}]" if v.get("compile") else ""))
    OUT.mkdir(parents=True, exist_ok=True)
    record = {"notebook": notebook, "rounds": rounds, "counts": counts,
              "verdicts": [{"attempt": str(a["path"].relative_to(CORPUS)), "expect": a["expect"],
                            "status": v["status"], "message": v["message"]}
                           for items in run["results"].values() for a, v in items],
              "problems": problems}
    (OUT / f"{notebook}.json").write_text(json.dumps(record, indent=1))
    with open(OUT / "history.jsonl", "a") as fh:       # one line per run: counts over repeated runs
        fh.write(json.dumps({"notebook": notebook, "rounds": rounds, "counts": counts,
                             "problems": len(problems)}) + "\n")
    for fn, n in counts.items():
        print(f"{notebook}/{fn}: {n['attempts']} attempts, {n['rejected']} rejected, "
              f"{n['accepted']} accepted, {n['wrong passed']} wrong passed, "
              f"{n['correct rejected']} correct rejected")
    assert not problems, "\n".join(problems)


def test_rerunning_a_ladder_cell_replaces_its_step():
    """03's ladder: a step's cell run twice gives one bar for its label, not two."""
    import ast

    nb = nbformat.read(NOTEBOOKS / "03_cython_numba.ipynb", as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    src = next(s for s in cells if "def set_step(" in s)
    fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == "set_step")
    ns = {"steps": [("Python", 1.0)]}
    exec(compile(ast.Module([fn], []), "set_step", "exec"), ns)
    ns["set_step"]("Cython: plain", 0.5)
    ns["set_step"]("Cython: plain", 0.4)          # the same cell, run again
    ns["set_step"]("Cython: typed", 0.1)
    assert ns["steps"] == [("Python", 1.0), ("Cython: plain", 0.4), ("Cython: typed", 0.1)]
    appends = [s for s in cells if "steps.append(" in s and "def set_step(" not in s]
    assert not appends, f"a cell still appends to the ladder directly: {appends[0][:80]!r}"


def test_01_hot_stage_check_never_fails_a_right_answer_on_a_busy_check():
    """01 exercise 1: the check's own rounds disturbed (contrast clearly below grayscale there),
    the stage table the learner was shown has them level: 'contrast' is not wrong. A stage
    clearly below in both is, and the message does not blame the learner's timings."""
    import ast
    import numpy as np

    from optkit import bench

    nb = nbformat.read(NOTEBOOKS / "01_profiling.ipynb", as_version=4)
    src = next(c.source for c in nb.cells if "check" in c.metadata.get("tags", [])
               and "def is_hot(" in c.source)
    defs = [n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef)]
    check = {"grayscale": [0.88, 0.86, 0.90, 0.87, 0.89, 0.88, 0.90],
             "contrast": [0.55, 0.56, 0.54, 0.57, 0.55, 0.56, 0.55], "order": [0.01] * 7}
    shown = {"grayscale": [0.98, 0.82, 1.14, 0.95, 1.00], "contrast": [0.81, 0.60, 1.05, 0.70, 0.95],
             "order": [0.01] * 5}

    class FakePipeline:
        STAGES = tuple(check)

    from optkit import fmt
    from optkit.i18n import tr
    ns = {"np": np, "bench": bench, "fmt": fmt, "tr": tr, "pipeline": FakePipeline, "stage_runs": shown}
    exec(compile(ast.Module(defs, []), "01 check", "exec"), ns)
    assert ns["is_hot"](check, "contrast") is True           # level in the shown rounds: right
    assert ns["is_hot"](check, "grayscale") is True
    with pytest.raises(AssertionError) as wrong:
        ns["is_hot"](check, "order")                         # clearly below in both: wrong
    assert "disturbed" not in str(wrong.value) and "stage table above" in str(wrong.value)
    with pytest.raises(AssertionError, match="not one of pipeline.STAGES"):
        ns["is_hot"](check, "Grayscale")
    ns["stage_runs"] = {}                                    # the table not run: the check alone
    with pytest.raises(AssertionError, match="has not run"):
        ns["is_hot"](check, "contrast")
