"""optkit.lessons.frameworks_first: the custom op, the crop datasets and loaders, the CSV parsers, and the
path a notebook takes when torch is not installed."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from optkit import data
from optkit import magics
from optkit.lessons import frameworks_first as fw
from optkit.lessons import frameworks_first_csv as fwcsv

try:
    import torch
except ImportError:  # the skip-path tests below still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


@pytest.fixture(scope="module")
def doc():
    return data.make_document(800, 600, n_boxes=60, seed=3)


@pytest.fixture
def no_torch(monkeypatch):
    """Make `import torch` fail, as on a machine without it, and forget earlier messages."""
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setattr(magics, "_ANNOUNCED", set())


# --------------------------------------------------------------------------- torch missing

def test_skip_path_prints_install_command_once(no_torch, capsys):
    ran = []
    assert fw.run_if_available("torch", lambda: ran.append(1)) is None
    assert fw.run_if_available("torch", lambda: ran.append(1)) is None
    assert ran == []
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2
    assert "pip install torch==2.13.0" in out[0] and "download.pytorch.org/whl/cpu" in out[0]
    assert "pip install" not in out[1] and "Skipped" in out[1]


def test_runs_when_available(capsys):
    assert fw.run_if_available(["numpy"], lambda: 42) == 42
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError):
        fw.run_if_available("", lambda: 1)


def test_torch_helpers_raise_a_clear_error_without_torch(no_torch):
    assert not fw.have("torch")
    with pytest.raises(fw.TorchMissing, match="pip install torch==2.13.0"):
        fw.require_torch()
    with pytest.raises(ImportError):
        fw.tiny_cnn()
    with pytest.raises(ImportError):
        fw.try_compile(lambda x: x, 1)


def test_module_imports_and_non_torch_parts_work_without_torch(tmp_path):
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from optkit import data\nfrom optkit.lessons import frameworks_first as fw\n"
        "doc = data.make_document(640, 480, n_boxes=12, seed=1)\n"
        "assert fw.normalise_batch(fw.crop_gray_batch(doc.image, doc.quads)).shape == (12, 32, 64)\n"
        f"p = data.make_csv({str(tmp_path / 'small.csv')!r}, n_rows=300, seed=1)\n"
        "from optkit.lessons import frameworks_first_csv as fwcsv\n"
        "fwcsv.assert_same_parsed(fwcsv.parse_csv_module(p), fwcsv.parse_pyarrow(p))\n"
        "fw.run_if_available('torch', lambda: print('RAN'))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "RAN" not in r.stdout and "pip install torch==2.13.0" in r.stdout


@needs_torch
def test_cell_magic_runs_or_skips(monkeypatch, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    magics.load_ipython_extension(ip)
    ip.run_cell("%%requires torch\nmagic_ran = torch_version = __import__('torch').__version__")
    assert ip.user_ns.get("magic_ran")
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setattr(magics, "_ANNOUNCED", set())
    capsys.readouterr()
    ip.run_cell("%%requires torch\nskipped_cell_ran = True")
    assert "skipped_cell_ran" not in ip.user_ns
    assert "pip install torch==2.13.0" in capsys.readouterr().out


# --------------------------------------------------------------------------- custom op

@needs_torch
def test_loop_and_vectorised_op_agree():
    x = torch.linspace(-20, 20, 801)
    ref = fw.act_loop(x)
    out = fw.act_torch(x)
    assert torch.allclose(ref, out, rtol=1e-6, atol=1e-6)
    assert float(out.max()) == 6.0 and float(out.min()) > 0
    with pytest.raises(ValueError):
        fw.act_loop(torch.zeros(2, 2))


@needs_torch
def test_try_compile_reports_failures(monkeypatch):
    def broken(x):
        raise RuntimeError("no kernel for this")

    res = fw.try_compile(broken, torch.ones(3))
    assert not res.ok and res.fn is None and "no kernel" in res.reason
    monkeypatch.setenv("OPTKIT_NO_COMPILE", "1")
    res = fw.try_compile(fw.act_torch, torch.ones(3))
    assert not res.ok and "OPTKIT_NO_COMPILE" in res.reason


# --------------------------------------------------------------------------- crops and loaders

def test_batch_crops_equal_per_sample_crops(doc):
    idx = [0, 7, 13, 59]
    per = np.stack([cv2.cvtColor(fw.crop_one(doc.image, doc.quads[i]), cv2.COLOR_BGR2GRAY) for i in idx])
    batch = fw.crop_gray_batch(doc.image, doc.quads[idx])
    assert batch.dtype == np.uint8 and np.array_equal(per, batch)
    norm = fw.normalise_batch(batch)
    assert np.allclose(norm, np.stack([fw.normalise_one(g) for g in per]), atol=1e-5)
    assert np.allclose(norm.mean(axis=(1, 2)), 0, atol=1e-4)
    assert np.allclose(norm.std(axis=(1, 2)), 1, atol=1e-3)


def test_crop_bad_input():
    with pytest.raises(ValueError, match="quads"):
        fw.crop_gray_batch(np.zeros((10, 10, 3), np.uint8), np.zeros((3, 3, 2)))
    with pytest.raises(ValueError, match="image"):
        fw.crop_gray_batch(np.zeros((10, 10), np.uint8), np.zeros((3, 4, 2)))
    with pytest.raises(ValueError):
        fw.normalise_batch(np.zeros((4, 4)))


@needs_torch
def test_datasets_and_loaders_give_equal_batches(doc):
    ps, bc = fw.PerSampleCrops(doc, seed=1), fw.BatchCrops(doc, seed=1)
    assert len(ps) == len(bc) == 60
    x, y = bc[[3, 5, 8]]
    assert x.shape == (3, 1, 32, 64) and x.dtype == torch.float32 and y.tolist() == [
        min(len(doc.texts[i]), 10) - 1 for i in (3, 5, 8)]
    assert torch.allclose(ps[5][0], x[1], atol=1e-5)
    a = list(fw.make_loader(ps, 16, seed=4))
    b = list(fw.make_loader(bc, 16, seed=4))
    assert len(a) == len(b) == 4
    for (xa, ya), (xb, yb) in zip(a, b):
        assert torch.equal(ya, yb) and torch.allclose(xa, xb, atol=1e-5)
    with pytest.raises(ValueError):
        fw.make_loader(ps, 0)


@needs_torch
def test_loader_with_a_worker_matches_in_process(doc):
    bc = fw.BatchCrops(doc, seed=2)
    ref = list(fw.make_loader(bc, 32, seed=0, shuffle=False))
    got = list(fw.make_loader(bc, 32, seed=0, shuffle=False, num_workers=1))
    assert len(ref) == len(got) == 2
    for (xa, ya), (xb, yb) in zip(ref, got):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


@needs_torch
def test_training_loop_times_both_sides(doc):
    torch.manual_seed(0)
    res = fw.train_epochs(fw.make_loader(fw.BatchCrops(doc), 20), fw.tiny_cnn(), epochs=2)
    assert res.steps == 6 and res.samples == 120
    assert res.data_s > 0 and res.model_s > 0 and 0 < res.data_share < 1
    assert all(np.isfinite(res.losses))
    prof = fw.profile_steps(fw.make_loader(fw.PerSampleCrops(doc), 20), fw.tiny_cnn(), steps=3)
    split = fw.profile_split(prof)
    assert set(split) == {"data: next batch", "model: step"} and all(v > 0 for v in split.values())
    # the notebook's table: five columns, every line under 100 characters, the ranges in it
    table = fw.profile_table(prof, row_limit=8)
    lines = table.splitlines()
    assert max(map(len, lines)) <= 100 and len(lines) == 2 + 8 + 1
    full = fw.profile_table(prof, row_limit=1000)
    assert "data: next batch" in full and "model: step" in full
    assert max(map(len, full.splitlines())) <= 100
    top = lines[2].split()
    assert top[-1].isdigit()                           # calls column
    with pytest.raises(ValueError, match="sort_by"):
        fw.profile_table(prof, sort_by="cuda_time")


# --------------------------------------------------------------------------- CSV

def test_all_parsers_agree(tmp_path):
    p = data.make_csv(tmp_path / "boxes.csv", n_rows=2000, seed=5)
    ref = fwcsv.parse_csv_module(p)
    assert ref["doc_id"].dtype == np.int64 and ref["x0"].dtype == np.float64 and len(ref["text"]) == 2000
    for parse in (fwcsv.parse_pandas, fwcsv.parse_pyarrow, fwcsv.parse_loadtxt):
        n = fwcsv.assert_same_parsed(ref, parse(p))
        assert n >= 11 * 2000


def test_words_that_look_like_missing_values_stay_text(tmp_path):
    p = tmp_path / "tricky.csv"
    head = ",".join(fwcsv.CSV_NUMERIC + ["text"])
    rows = [f"{i},{i},1.00,2.00,3.00,4.00,5.00,6.00,7.00,8.00,0.5000,{w}"
            for i, w in enumerate(["nan", "null", "NA", "none", "word"])]
    p.write_text(head + "\n" + "\n".join(rows) + "\n")
    ref = fwcsv.parse_csv_module(p)
    assert list(ref["text"]) == ["nan", "null", "NA", "none", "word"]
    fwcsv.assert_same_parsed(ref, fwcsv.parse_pandas(p))
    fwcsv.assert_same_parsed(ref, fwcsv.parse_pyarrow(p))


def test_parsers_detect_differences_and_bad_paths(tmp_path):
    p = data.make_csv(tmp_path / "b.csv", n_rows=50, seed=0)
    ref = fwcsv.parse_csv_module(p)
    other = {k: v.copy() for k, v in ref.items()}
    other["score"][7] += 1e-4
    with pytest.raises(AssertionError, match="score"):
        fwcsv.assert_same_parsed(ref, other)
    with pytest.raises(FileNotFoundError):
        fwcsv.parse_pyarrow(tmp_path / "missing.csv")


# --------------------------------------------------------------------------- verdict helpers

def test_fastest_picks_the_shortest_step():
    slow = fw.LoopTimes(data_s=2.0, model_s=1.0, steps=10, samples=100)
    quick = fw.LoopTimes(data_s=0.5, model_s=1.0, steps=10, samples=100)
    label, res = fw.fastest({"slow": slow, "quick": quick})
    assert label == "quick" and res is quick
    with pytest.raises(ValueError):
        fw.fastest({})


def test_clear_fastest_names_a_winner_only_clearly_ahead_of_the_runner_up():
    def step(s):
        return fw.LoopTimes(data_s=s / 2, model_s=s / 2, steps=1, samples=10)

    # x1.05 apart (under bench.CLEAR_RATIO): no winner, both named
    assert fw.clear_fastest({"a": step(1.0), "b": step(1.05), "c": step(3.0)}) == (None, "a", "b")
    # x1.5 apart: a winner, whatever the slower ones do
    assert fw.clear_fastest({"slow": step(3.0), "b": step(1.5), "a": step(1.0)}) == ("a", "a", "b")
    assert fw.clear_fastest({"only": step(1.0)}) == ("only", "only", None)
    # interleaved rounds: ranked by the median, judged on every round's step time
    wide = {"a": [step(1.0), step(0.5), step(1.6)], "b": [step(1.5), step(0.7), step(2.4)]}
    assert fw.clear_fastest(wide) == (None, "a", "b")          # x1.5 medians, spreads overlap
    tight = {"b": [step(1.5), step(1.51), step(1.49)], "a": [step(1.0), step(1.01), step(0.99)]}
    assert fw.clear_fastest(tight) == ("a", "a", "b")
    with pytest.raises(ValueError):
        fw.clear_fastest({})


def test_loop_times_cpu_context():
    r = fw.LoopTimes(data_s=1.0, model_s=1.0, steps=4, samples=40, cpu_s=1.0,
                     worker_cpu_s=0.5, busy_cpu_s=3.5)
    assert r.cpu_use == pytest.approx(0.5) and r.worker_cpu_use == pytest.approx(0.25)
    assert r.other_cpu_use == pytest.approx(1.0)          # (3.5 - 1.0 - 0.5) / 2 s
    assert np.isnan(fw.LoopTimes(1.0, 1.0, 4, 40, cpu_s=1.0).other_cpu_use)   # unknown machine load
    assert fw.LoopTimes(1.0, 1.0, 4, 40, cpu_s=2.0, busy_cpu_s=1.0).other_cpu_use == 0.0


def test_code_lines_counts_code_only_between_markers():
    c_src = "\n".join([
        "/* header comment", " * more", " */", "#include <x.h>", "",
        "/* --- section A --- */", "static int a(void)", "{", "    return 1;  /* one */", "}",
        "// a line comment", "/* --- section B --- */", "static int b(void) { return 2; }",
    ])
    assert fw.code_lines(c_src, language="c") == 6       # #include is code in C
    assert fw.code_lines(c_src, start="section A", end="section B", language="c") == 4
    with pytest.raises(ValueError, match="start marker"):
        fw.code_lines(c_src, start="no such marker", language="c")
    with pytest.raises(ValueError, match="end marker"):
        fw.code_lines(c_src, start="section A", end="no such marker", language="c")
    assert fw.code_lines(fw.fastest) >= 4                # a function: its source, comments skipped


def test_code_lines_keeps_c_preprocessor_lines_and_drops_only_python_hash_comments(tmp_path):
    """E43: `#` starts a comment in Python only; in C `#include`, `#define`, `#pragma omp`
    are code, and only // and /* */ are comments. A path's suffix says which."""
    c = tmp_path / "k.c"
    c.write_text("#include <omp.h>\n#define N 4\n/* a */ /* b */\n// c\n"
                 "#pragma omp parallel for\nfor (int i = 0; i < N; i++) f(i);  // call\n")
    assert fw.code_lines(c) == 4
    (tmp_path / "k.h").write_text("#pragma once\n")
    assert fw.code_lines(tmp_path / "k.h") == 1
    # E45 4: a block comment opened after code on the same line runs on to its */
    assert fw.code_lines("int a; /* starts\n still a comment\n */ int b;\nint c; /* x */ int d; /* y\n*/\n",
                         language="c") == 3
    # E46 2: a // comment holding /* (or a URL inside a block comment) opens nothing
    assert fw.code_lines("int a; // see /* here\nint b; /* see http://x.org */\nint c;\n", language="c") == 3
    py = tmp_path / "k.py"
    py.write_text("# a comment\nx = 1  # code\n\n    # indented comment\n")
    assert fw.code_lines(py) == 1
    assert fw.code_lines("# c\nx = 1\n") == 1              # a string: Python unless told
    (tmp_path / "k.txt").write_text("x\n")
    with pytest.raises(ValueError, match="which language"):
        fw.code_lines(tmp_path / "k.txt")
    with pytest.raises(ValueError, match="which language"):
        fw.code_lines("x", language="rust")


@needs_torch
def test_training_loop_reports_worker_cpu(doc):
    torch.manual_seed(0)
    # enough epochs that the worker's CPU time is well above psutil's 10 ms clock tick
    # (one epoch is about one tick, and read as 0 in some runs)
    res = fw.train_epochs(fw.make_loader(fw.PerSampleCrops(doc), 20, num_workers=1), fw.tiny_cnn(),
                          epochs=8)
    assert res.steps == 24 and res.worker_cpu_s > 0 and res.worker_cpu_use > 0
    assert res.other_cpu_use >= 0 or np.isnan(res.other_cpu_use)


def _notebooks_dir():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "notebooks"


@needs_torch
def test_dataloader_workers_import_the_notebooks_helper_file():
    """notebooks/lesson06_datasets.py, imported as notebook 06's kernel does (its working folder is
    the notebook's): forkserver DataLoader workers find it and give the room's batches; a dataset
    class defined in __main__ (as a notebook cell defines it) cannot reach them."""
    script = r'''
import sys, torch
import lesson06_datasets as ds
from optkit import data
from optkit.lessons import frameworks_first as fw
assert fw.check_worker_import(ds).name == "notebooks"
doc = data.make_document(800, 600, n_boxes=60, seed=3)
for mine, room in ((ds.PerSampleCrops, fw.PerSampleCrops), (ds.BatchCrops, fw.BatchCrops)):
    got = list(fw.make_loader(mine(doc, seed=1), 20, num_workers=1, shuffle=False))   # forkserver
    want = list(fw.make_loader(room(doc, seed=1), 20, shuffle=False))
    assert len(got) == len(want) == 3
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(got, want))

class CellCrops(ds.BatchCrops):          # what a notebook cell would define: lives in __main__
    pass

try:
    next(iter(fw.make_loader(CellCrops(doc), 20, num_workers=1)))
except Exception as exc:
    print("main class refused:", type(exc).__name__, exc)
else:
    raise SystemExit("a class from __main__ reached a forkserver worker")
print("ok")
'''
    out = subprocess.run([sys.executable, "-c", script], cwd=_notebooks_dir(), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.rstrip().endswith("ok"), out.stdout + out.stderr
    # the worker's own error: unpickling the dataset looks for the class in the worker's __main__
    assert "main class refused" in out.stdout and "Can't get attribute 'CellCrops'" in out.stderr, out.stderr


def test_check_worker_import_says_what_to_do(monkeypatch):
    import types

    monkeypatch.syspath_prepend(str(_notebooks_dir()))
    import lesson06_datasets

    assert fw.check_worker_import(lesson06_datasets) == _notebooks_dir()
    from pathlib import Path

    monkeypatch.setattr(sys, "path", [p for p in sys.path if p and Path(p).resolve() != _notebooks_dir()])
    monkeypatch.chdir("/")
    with pytest.raises(ImportError, match="not on sys.path.*sys.path.insert"):
        fw.check_worker_import(lesson06_datasets)
    with pytest.raises(ImportError, match="has no file"):
        fw.check_worker_import(types.ModuleType("made_in_a_cell"))


def test_a_learners_wrong_parser_gets_a_message_naming_it_and_the_difference(tmp_path):
    p = data.make_csv(tmp_path / "y.csv", n_rows=40, seed=1)
    course = fwcsv.parse_pyarrow(p)
    assert fwcsv.check_yours("parse_csv_module", course, fwcsv.parse_csv_module(p)) > 0
    short = {k: v[1:] for k, v in fwcsv.parse_csv_module(p).items()}        # one row skipped
    changed = fwcsv.parse_csv_module(p)
    changed["score"][3] += 1.0
    cases = [(short, "column 'doc_id' has 39 rows, expected 40"),
             (changed, "column 'score' differs first at row 3"),
             ({k: v for k, v in changed.items() if k != "text"}, "column 'text' is missing"),
             ([1, 2], "it returned a list, not a dict of columns")]
    for got, detail in cases:
        with pytest.raises(ValueError) as info:
            fwcsv.check_yours("parse_csv_module", course, got)
        msg = str(info.value)
        assert msg.startswith("your parse_csv_module differs from the course's parsers") and detail in msg, msg
