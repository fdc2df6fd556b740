"""The capstone: augmentation pipeline reference, its self-check, result files, leaderboard."""
from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from optkit.lessons import capstone
from optkit.lessons import capstone_leaderboard
from optkit.lessons.capstone import MEAN_RGB, STD_RGB, ResultFileError, augment_python, make_params, save_result
from optkit.lessons.capstone_leaderboard import leaderboard, leaderboard_main, load_result

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "08_capstone.ipynb"


@pytest.fixture(autouse=True)
def _own_config(tmp_path, monkeypatch):
    """The learner id lives in optkit's settings folder: a fresh one per test, never ~/.config."""
    monkeypatch.setenv("OPTKIT_CONFIG", str(tmp_path / "optkit-config"))
    monkeypatch.delenv("OPTKIT_LEARNER", raising=False)


def _image(h=60, w=80, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _identity(n, size, y0=3, x0=5):
    return {"size": size, "y0": np.full(n, y0), "x0": np.full(n, x0), "h": np.full(n, size),
            "w": np.full(n, size), "flip": np.zeros(n, bool), "brightness": np.ones(n),
            "contrast": np.ones(n), "saturation": np.ones(n)}


def _normalised(patch_bgr):
    rgb = patch_bgr[..., ::-1].astype(np.float64) / 255.0
    return ((rgb - np.array(MEAN_RGB)) / np.array(STD_RGB)).transpose(2, 0, 1).astype(np.float32)


# ------------------------------------------------------------------------------ parameters

def test_params_are_deterministic_and_inside_the_image():
    a = make_params(50, (480, 640, 3), 48, seed=3)
    b = make_params(50, (480, 640, 3), 48, seed=3)
    c = make_params(50, (480, 640, 3), 48, seed=4)
    for k in capstone.PARAM_KEYS:
        assert np.array_equal(a[k], b[k]) and len(a[k]) == 50
    assert not np.array_equal(a["y0"], c["y0"])
    assert (a["y0"] >= 0).all() and (a["y0"] + a["h"] <= 480).all()
    assert (a["x0"] >= 0).all() and (a["x0"] + a["w"] <= 640).all()
    assert (a["h"] >= 24).all() and (a["w"] >= 1).all()
    assert a["flip"].dtype == bool and 0 < a["flip"].sum() < 50
    for k in ("brightness", "contrast", "saturation"):
        assert ((a[k] >= 0.7) & (a[k] <= 1.3)).all()


@pytest.mark.parametrize("args, message", [
    ((0, (480, 640)), "n must be"), ((2.5, (480, 640)), "n must be"),
    ((4, (480, 640), 1), "size must be"), ((4, (30, 640), 48), "smaller than one patch"),
    ((4, (480,)), "image_shape"),
])
def test_params_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        make_params(*args)


# ------------------------------------------------------------------------------ the reference

def test_identity_parameters_give_the_normalised_crop():
    img = _image()
    out = augment_python(img, _identity(2, 16))
    assert out.shape == (2, 3, 16, 16) and out.dtype == np.float32
    want = _normalised(img[3:19, 5:21])
    np.testing.assert_allclose(out[0], want, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out[0], out[1])


def test_flip_mirrors_columns_and_resize_samples_nearest():
    img = _image()
    p = _identity(1, 16)
    flipped = dict(p, flip=np.array([True]))
    np.testing.assert_array_equal(augment_python(img, flipped)[0], augment_python(img, p)[0][:, :, ::-1])
    # a 32x32 box into 16x16: every other pixel (nearest neighbour, r*h//S)
    big = dict(p, h=np.array([32]), w=np.array([32]))
    np.testing.assert_allclose(augment_python(img, big)[0], _normalised(img[3:35:2, 5:37:2]), atol=1e-6)


def test_colour_jitter():
    img = _image()
    p = _identity(1, 8)
    dark = augment_python(img, dict(p, brightness=np.array([0.0])))[0]
    np.testing.assert_allclose(dark, np.broadcast_to(
        ((0 - np.array(MEAN_RGB)) / np.array(STD_RGB))[:, None, None], dark.shape), atol=1e-6)
    grey = augment_python(img, dict(p, saturation=np.array([0.0])))[0]
    rgb = grey * np.array(STD_RGB)[:, None, None] + np.array(MEAN_RGB)[:, None, None]
    np.testing.assert_allclose(rgb[0], rgb[1], atol=1e-5)        # no colour left
    np.testing.assert_allclose(rgb[1], rgb[2], atol=1e-5)
    flat = augment_python(img, dict(p, contrast=np.array([0.0]), saturation=np.array([0.0])))[0]
    assert np.ptp(flat[0]) < 1e-5                                 # one grey everywhere
    light = np.full((40, 40, 3), 200, np.uint8)
    clipped = augment_python(light, dict(p, brightness=np.array([10.0])))[0]   # 2000 -> 255
    np.testing.assert_allclose(clipped, np.broadcast_to(
        ((1 - np.array(MEAN_RGB)) / np.array(STD_RGB))[:, None, None], clipped.shape), atol=1e-6)


def test_reference_rejects_bad_inputs():
    img = _image()
    with pytest.raises(ValueError, match="uint8"):
        augment_python(img.astype(np.float32), _identity(1, 8))
    with pytest.raises(ValueError, match="missing"):
        augment_python(img, {"size": 8})


def test_make_args_reproducible():
    a_img, a = capstone.make_args(1, n=4)
    b_img, b = capstone.make_args(1, n=4)
    assert a_img is b_img and a_img.shape == (capstone.PAGE[1], capstone.PAGE[0], 3)
    np.testing.assert_array_equal(augment_python(a_img, a), augment_python(b_img, b))


# ------------------------------------------------------------------------------ the notebook's solution

def _notebook_solution():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    [cell] = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    ns = {"np": np, "capstone": capstone}
    exec(compile(cell.source, "08_capstone solution", "exec"), ns)
    return ns["augment_fast"]


@pytest.fixture(scope="module")
def augment_fast():
    if not NOTEBOOK.exists():
        pytest.skip("notebooks/08_capstone.ipynb missing")
    return _notebook_solution()


def test_solution_matches_reference_exactly(augment_fast):
    for seed in (0, 1, 5):
        img, p = capstone.make_args(seed, n=6)
        ref, out = augment_python(img, p), augment_fast(img, p)
        assert out.dtype == np.float32 and out.shape == ref.shape
        np.testing.assert_array_equal(out, ref)
    img = _image()
    np.testing.assert_array_equal(augment_fast(img, _identity(3, 16)), augment_python(img, _identity(3, 16)))


def test_solution_is_much_faster(augment_fast):
    img, p = capstone.make_args(0, n=8)
    augment_fast(img, p)
    t0 = time.perf_counter()
    augment_python(img, p)
    slow = time.perf_counter() - t0
    fast = min(_timed(augment_fast, img, p) for _ in range(5))
    assert slow / fast > 5        # loose sanity bound; the notebook measures the real speedup


def _timed(f, *a):
    t0 = time.perf_counter()
    f(*a)
    return time.perf_counter() - t0


def test_exercise_verdicts(augment_fast):
    ex = capstone.exercise(target_speedup=2, batch=4)

    def stub(image, params):
        raise NotImplementedError("exercise: write your version here")

    def wrong(image, params):
        return augment_fast(image, params) + 0.01

    assert ex.check(stub, display=False).status == "not yet"
    v = ex.check(wrong, display=False)
    assert v.status == "wrong" and "input 1 of 3" in v.message
    v = ex.check(augment_fast, display=False)
    assert v.status in ("pass", "too slow") and v.speedup > 1      # "too slow" only on a starved CPU


def test_show_batch():
    img, p = capstone.make_args(0, n=5)
    fig = capstone.show_batch(augment_python(img, p), k=4, title="t")
    assert len([a for a in fig.axes if a.images]) == 4
    with pytest.raises(ValueError, match="batch"):
        capstone.show_batch(np.zeros((4, 8, 8)))


# ------------------------------------------------------------------------------ result files

def _verdict(status="pass", speedup=42.0):
    return SimpleNamespace(status=status, speedup=speedup, target=20.0, message="m",
                           timings={"reference": 0.3, "yours": 0.3 / (speedup or 1)})


def test_save_and_load_result(tmp_path, monkeypatch):
    path = save_result(_verdict(), "Ada Lovelace", folder=tmp_path)
    assert path.parent == tmp_path and path.name.startswith(f"capstone-{capstone.learner_id()}-")
    rec = load_result(path)
    assert rec["name"] == "Ada Lovelace" and rec["verdict"] == "pass" and rec["speedup"] == 42.0
    assert rec["cpus"] >= 1 and rec["machine"] and rec["schema"] == capstone.SCHEMA
    again = save_result(_verdict(speedup=50.0), "Ada Lovelace", folder=tmp_path)
    assert again == path and load_result(path)["speedup"] == 50.0       # re-running overwrites
    monkeypatch.setenv("OPTKIT_RESULTS", str(tmp_path / "env"))
    assert save_result(_verdict("not yet", None), "x").parent == tmp_path / "env"
    with pytest.raises(ValueError, match="name"):
        save_result(_verdict(), "  ", folder=tmp_path)
    with pytest.raises(ValueError, match="Verdict"):
        save_result(object(), "a", folder=tmp_path)


def test_naming_yourself_after_a_first_save_shows_one_row(tmp_path):
    res = tmp_path / "res"
    first = save_result(_verdict("not yet", None), None, folder=res)      # Run All, NAME empty
    by_hand = _write(res, "capstone-Ada-mine.json",                       # the learner's own copy
                     dict(load_result(first), when="2026-11-21T06:00:00+00:00"))
    named = save_result(_verdict(speedup=41.8), "Ada", folder=res)
    assert named != first and load_result(named)["name"] == "Ada"
    assert save_result(_verdict(speedup=45.0), "Ada", folder=res) == named     # the same name: overwritten
    assert sorted(p.name for p in res.iterdir()) == sorted([first.name, named.name, by_hand.name])
    assert by_hand.exists() and load_result(by_hand)["verdict"] == "not yet"   # never deleted
    board = leaderboard([res])
    assert [(r["name"], r["verdict"]) for r in board.rows] == [("Ada", "pass")]


def test_learners_sharing_one_account_keep_a_result_each(tmp_path):
    # A10 1: the file was named after the account's id only, so Bob's save replaced Alice's
    res = tmp_path / "res"
    alice = save_result(_verdict(speedup=30.0), "Alice", folder=res)
    bob = save_result(_verdict(speedup=20.0), "Bob", folder=res)
    korean = save_result(_verdict(speedup=10.0), "김민지", folder=res)
    assert len({alice, bob, korean}) == 3 and load_result(alice)["name"] == "Alice"
    board = leaderboard([res])
    assert [r["name"] for r in board.rows] == ["Alice", "Bob", "김민지"]


def test_an_unnamed_run_after_a_named_one_and_an_old_scheme_file_stay(tmp_path):
    # A11 1: a newer unnamed run vanished behind an older named row; A11 2: the unnamed save took
    # the file name of the scheme before, whose file held a typed name (overwritten)
    res = tmp_path / "res"
    alice = save_result(_verdict(speedup=31.0), "Alice", folder=res)
    rec = dict(load_result(alice), when="2026-11-21T06:00:00+00:00")       # saved earlier
    _write(res, alice.name, rec)
    old = _write(res, f"capstone-{rec['learner']}-{rec['machine']}.json",      # the scheme before
                 dict(rec, name="Old Alice", when="2026-11-20T06:00:00+00:00"))
    later = save_result(_verdict(speedup=60.0), None, folder=res)           # NAME left empty, later
    assert later != old and load_result(old)["name"] == "Old Alice"
    rows = {r["name"]: r["speedup"] for r in leaderboard([res]).rows}
    assert rows == {"Alice": 31.0, "Old Alice": 31.0, rec["learner"]: 60.0}, rows
    with pytest.raises(ValueError, match="at most 200 characters"):
        save_result(_verdict(speedup=1.0), "b" * 201, folder=res)


def test_the_leaderboard_ranks_the_end_to_end_measurement(tmp_path):
    """The record's speedup is the notebook's steadier end-to-end bench.compare (median of
    interleaved rounds), the check's short timing kept beside it."""
    from optkit import bench

    rows = [bench.Timing("pure Python", 0.0, 0.30, 0.30, 0.01, 1, 5),
            bench.Timing("augment_fast", 0.0, 0.001, 0.0010, 0.0001, 10, 5)]
    cmp = bench.Comparison(rows, baseline="pure Python")
    path = save_result(_verdict(speedup=205.0), "Grace", folder=tmp_path, measurement=cmp)
    rec = load_result(path)
    assert rec["speedup"] == pytest.approx(300.0) and rec["speedup_source"] == "end to end"
    assert rec["check_speedup"] == 205.0
    assert rec["end_to_end"]["variant"] == "augment_fast" and rec["end_to_end"]["repeats"] == 5
    assert capstone_leaderboard.leaderboard([tmp_path]).rows[0]["speedup"] == pytest.approx(300.0)
    # without a measurement, or for a wrong answer, the check's figure (or none) stays
    assert capstone.result_record(_verdict(speedup=205.0), "G")["speedup_source"] == "check"
    wrong = capstone.result_record(_verdict("wrong", None), "G", measurement=cmp)
    assert wrong["speedup"] is None and "end_to_end" not in wrong
    with pytest.raises(ValueError, match="Comparison"):
        capstone.result_record(_verdict(), "G", measurement=object())
    with pytest.raises(ValueError, match="no variant"):
        capstone.result_record(_verdict(), "G", measurement=cmp, label="nope")


def _write(folder: Path, name: str, content) -> Path:
    p = folder / name
    p.write_bytes(content if isinstance(content, bytes) else
                  (content if isinstance(content, str) else json.dumps(content)).encode())
    return p


def _rec(**kw):
    rec = {"schema": capstone.SCHEMA, "name": "a", "machine": "m1", "cpus": 2, "verdict": "pass",
           "speedup": 30.0, "when": "2026-11-21T06:00:00+00:00"}
    rec.update(kw)
    return rec


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ([1, 2], "expected a JSON object"),
    (b"\xff\xfe\x00garbage", "cannot read"),
    (_rec(name=""), "'name' must be a non-empty string"),
    (_rec(machine=3), "'machine' must be"),
    (_rec(verdict="great"), "'verdict' must be one of"),
    (_rec(speedup=-3), "'speedup' must be a positive number"),
    (_rec(speedup="fast"), "'speedup' must be a positive number"),
    (_rec(speedup=True), "'speedup' must be a positive number"),
    (_rec(speedup=None), "a 'pass' needs a 'speedup'"),
    (_rec(cpus=0), "'cpus' must be a positive integer"),
    (_rec(schema="other/9"), "unknown schema"),
])
def test_malformed_result_files_are_clear_errors(tmp_path, content, message):
    p = _write(tmp_path, "bad.json", content)
    with pytest.raises(ResultFileError, match=message) as info:
        load_result(p)
    assert str(p) in str(info.value)


def test_nan_speedup_rejected(tmp_path):
    p = _write(tmp_path, "nan.json", json.dumps(_rec()).replace("30.0", "NaN"))
    with pytest.raises(ResultFileError, match="speedup"):
        load_result(p)


def test_leaderboard_orders_and_deduplicates(tmp_path):
    _write(tmp_path, "1.json", _rec(name="ann", speedup=30.0))
    _write(tmp_path, "2.json", _rec(name="bob", speedup=90.0))
    _write(tmp_path, "3.json", _rec(name="cid", verdict="too slow", speedup=120.0))
    _write(tmp_path, "4.json", _rec(name="dee", verdict="not yet", speedup=None))
    _write(tmp_path, "5.json", _rec(name="ann", speedup=10.0, when="2026-11-21T05:00:00+00:00"))  # older
    _write(tmp_path, "6.json", "{broken")
    board = leaderboard([tmp_path])
    assert [(r["rank"], r["name"]) for r in board.rows] == [(1, "bob"), (2, "ann"), (3, "cid"), (4, "dee")]
    assert [r["speedup"] for r in board.rows][:2] == [90.0, 30.0]
    assert len(board.skipped) == 1 and board.skipped[0][0].endswith("6.json")
    text = board.table()
    assert "bob" in text and "x90.0" in text and "skipped" in text and "6.json" in text
    assert "optkit-leaderboard" in board._repr_html_()
    fig = board.plot()
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert "x10" in ticks and "x100" in ticks            # speedup labels, as in optkit.plot
    assert not any("10^" in t or "$" in t for t in ticks)


def _e2e(median_s, iqr_s, base_s=1.0, base_iqr_s=0.0):
    return {"variant": "augment_fast", "baseline": "pure Python", "median_s": median_s, "iqr_s": iqr_s,
            "baseline_median_s": base_s, "baseline_iqr_s": base_iqr_s, "repeats": 5, "loops": 1}


def test_leaderboard_ties_rows_within_the_noise(tmp_path):
    """Speedups that are not clearly_different share a rank (marked '='); a clear gap does not."""
    # x100 with a 10 % spread against x95 with 10 %: within the noise, one rank
    _write(tmp_path, "1.json", _rec(name="ann", speedup=100.0, end_to_end=_e2e(0.010, 0.001)))
    _write(tmp_path, "2.json", _rec(name="bob", speedup=95.0, end_to_end=_e2e(0.0105, 0.00105)))
    # x60: clearly behind both
    _write(tmp_path, "3.json", _rec(name="cid", speedup=60.0, end_to_end=_e2e(0.0167, 0.0005)))
    # x58 with no measurement (one number): the ratio rule alone, x60 / x58 < x1.1: a tie
    _write(tmp_path, "4.json", _rec(name="dee", speedup=58.0))
    # a tight pair, x1.05 apart with tiny spreads: still a tie (the ratio rule)
    _write(tmp_path, "5.json", _rec(name="eve", speedup=30.0, end_to_end=_e2e(0.0333, 0.00001)))
    _write(tmp_path, "6.json", _rec(name="fay", speedup=28.6, end_to_end=_e2e(0.035, 0.00001)))
    # clearly apart: x1.5 and spreads far below the gap
    _write(tmp_path, "7.json", _rec(name="gus", speedup=19.0, end_to_end=_e2e(0.0526, 0.0001)))
    # the same speedup but a different verdict never shares a rank
    _write(tmp_path, "8.json", _rec(name="hal", verdict="too slow", speedup=19.0))
    board = leaderboard([tmp_path])
    got = [(r["rank"], r["tie"], r["name"]) for r in board.rows]
    assert got == [(1, True, "ann"), (1, True, "bob"), (3, True, "cid"), (3, True, "dee"),
                   (5, True, "eve"), (5, True, "fay"), (7, False, "gus"), (8, False, "hal")]
    text = board.table()
    assert " 1=  ann" in text and " 1=  bob" in text and "  7  gus" in text
    assert "<td>1=</td>" in board._repr_html_()
    fig = board.plot()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sum(lb.startswith("1=.") for lb in labels) == 2
    # a wide spread on a big ratio: x100 vs x80, but each +-30 %: within the noise
    rows = [_rec(name="a", speedup=100.0, end_to_end=_e2e(0.01, 0.003)),
            _rec(name="b", speedup=80.0, end_to_end=_e2e(0.0125, 0.00375))]
    capstone_leaderboard.rank_all(rows)
    assert [r["rank"] for r in rows] == [1, 1]
    # each row is judged against its neighbour above: x30, x28, x26.5 (one number each, every
    # neighbouring pair under x1.1) share one rank; C is not ranked below B it is not clearly apart from
    rows = [_rec(name="A", speedup=30.0), _rec(name="B", speedup=28.0), _rec(name="C", speedup=26.5)]
    capstone_leaderboard.rank_all(rows)
    assert [(r["rank"], r["tie"]) for r in rows] == [(1, True), (1, True), (1, True)]
    # a clear gap after the group starts a new rank: x30, x28, x20
    rows = [_rec(name="A", speedup=30.0), _rec(name="B", speedup=28.0), _rec(name="C", speedup=20.0)]
    capstone_leaderboard.rank_all(rows)
    assert [(r["rank"], r["tie"]) for r in rows] == [(1, True), (1, True), (3, False)]
    # a file with a broken measurement counts as one number (no crash, ratio rule)
    rows = [_rec(name="a", speedup=100.0, end_to_end={"median_s": "x", "iqr_s": None}),
            _rec(name="b", speedup=50.0, end_to_end=[1, 2])]
    capstone_leaderboard.rank_all(rows)
    assert [(r["rank"], r["tie"]) for r in rows] == [(1, False), (2, False)]
    # rows that never went through load_result: unusable timings give no spread, never raise
    rows = [_rec(name="a", speedup=100.0, end_to_end=_e2e(10 ** 400, 10 ** 400)),
            _rec(name="b", speedup=50.0, end_to_end=_e2e(1e-300, 1e300))]
    capstone_leaderboard.rank_all(rows)
    assert [(r["rank"], r["tie"]) for r in rows] == [(1, False), (2, False)]


def test_leaderboard_command(tmp_path, capsys):
    from optkit import cli

    a = _write(tmp_path, "a.json", _rec(name="ann"))
    b = _write(tmp_path, "b.json", _rec(name="bob", speedup=60.0, machine="m2", cpus=4))
    png = tmp_path / "out" / "board.png"
    assert leaderboard_main([str(a), str(b), "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert out.index("bob") < out.index("ann") and "chart:" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert cli.main(["leaderboard", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in data["rows"]] == ["bob", "ann"] and data["skipped"] == []


def test_leaderboard_command_with_bad_files_does_not_crash(tmp_path, capsys):
    good = _write(tmp_path, "good.json", _rec())
    bad = _write(tmp_path, "bad.json", "[]")
    missing = tmp_path / "nope.json"
    assert leaderboard_main([str(good), str(bad), str(missing)]) == 1     # table shown, exit 1
    out = capsys.readouterr().out
    assert "a " in out and "bad.json: expected a JSON object" in out and "nope.json: cannot read" in out
    assert leaderboard_main([str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["rows"] == [] and "bad.json" in data["skipped"][0]["file"]
    assert leaderboard_main([str(bad)]) == 1
    assert "no valid result files" in capsys.readouterr().err


def test_leaderboard_skips_each_hostile_file_and_shows_the_rest(tmp_path, capsys):
    """One hostile file must not stop the room: each is skipped with one line naming it, and the
    table and the chart are still made for the others."""
    import os

    import matplotlib.cbook

    d = tmp_path / "results"
    d.mkdir()
    _write(d, "ann.json", _rec(name="ann", speedup=30.0))
    _write(d, "bob.json", _rec(name="bob $x^2$ \\frac{ \x1b[31mred\x1b[0m", machine="m2", speedup=60.0))
    bad = {
        "digits": json.dumps(_rec(name="d1")).replace("30.0", "1" * 400),
        "e308": _rec(name="d2", speedup=1e308),
        "nan": json.dumps(_rec(name="d3")).replace("30.0", "NaN"),
        "negative": _rec(name="d4", speedup=-2.0),
        "deep": "[" * 100_000 + "]" * 100_000,
        "nested": dict(_rec(name="d5"), extra=json.loads("[" * 40 + "]" * 40)),
        "huge": " " * (2 << 20) + json.dumps(_rec(name="d6")),
        "future": _rec(name="ann", speedup=999.0, when="2999-01-01T00:00:00+00:00"),
        "long-name": _rec(name="x" * 5000),
        # end-to-end timings: a 401-digit median (OverflowError in float()), an absurd IQR on a
        # tiny median (an infinite spread would tie every row), NaN, not an object
        "e2e-long-int": json.dumps(_rec(name="d7", end_to_end=_e2e(0.5, 0.01))).replace(
            '"median_s": 0.5', '"median_s": 1' + "0" * 400),
        "e2e-absurd-iqr": _rec(name="d8", speedup=21.0, end_to_end=_e2e(1e-300, 1e300)),
        "e2e-iqr-over-median": _rec(name="d9", speedup=21.0, end_to_end=_e2e(0.01, 0.5)),
        "e2e-iqr-not-finite": json.dumps(_rec(name="d10", end_to_end=_e2e(0.5, 0.01))).replace(
            '"iqr_s": 0.01', '"iqr_s": NaN'),
        "e2e-list": _rec(name="d11", end_to_end=[1, 2]),
        "e2e-bool": _rec(name="d12", end_to_end=_e2e(True, 0.0)),
    }
    for label, content in bad.items():
        _write(d, f"{label}.json", content)
    os.mkfifo(d / "fifo.json")                        # no writer: a blocking read waits for ever
    (d / "zero.json").symlink_to("/dev/zero")         # never ends
    (d / "folder.json").mkdir()
    png = tmp_path / "board.png"
    assert leaderboard_main([str(d), "--png", str(png)]) == 1            # shown, but exit 1
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln[:3].strip().isdigit()]
    assert len(rows) == 2 and "bob" in rows[0] and "x60.0" in rows[0] and "ann" in rows[1]
    assert "x30.0" in rows[1] and "x999" not in out       # the future-dated file replaced nothing
    skipped = [ln for ln in out.splitlines() if ln.startswith("skipped")]
    names = [f"{k}.json" for k in bad] + ["fifo.json", "zero.json", "folder.json"]
    for n in names:
        assert sum(n in ln for ln in skipped) == 1, (n, skipped)
    assert len(skipped) == len(names)
    assert "\x1b" not in out and "chart:" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    board = leaderboard([d])
    fig = board.plot()
    fig.canvas.draw()                                  # mathtext would raise on "\frac{"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any("x^2" in t for t in labels) and not any(matplotlib.cbook.is_math_text(t) for t in labels)
    assert not any("\x1b" in t for t in labels)


def test_undated_result_does_not_replace_a_dated_one(tmp_path):
    _write(tmp_path, "a.json", _rec(name="ann", speedup=30.0))
    undated = _rec(name="ann", speedup=80.0)
    del undated["when"]
    _write(tmp_path, "b.json", undated)
    _write(tmp_path, "c.json", _rec(name="ann", speedup=50.0, when="not a date"))
    board = leaderboard([tmp_path])
    assert [r["speedup"] for r in board.rows] == [30.0]
    assert len(board.skipped) == 1 and "'when' must be an ISO 8601 date" in board.skipped[0][1]


def test_default_name_is_a_stable_random_id_not_the_login_name(tmp_path, monkeypatch):
    import getpass

    monkeypatch.setenv("OPTKIT_CONFIG", str(tmp_path / "ann-config"))
    first = capstone.learner_id()
    assert first == capstone.learner_id() == capstone.default_name()        # stable
    assert first.startswith("learner-") and first != getpass.getuser()
    kept = tmp_path / "ann-config" / "learner-id"
    assert kept.read_text().strip() == first
    p_default = save_result(_verdict(), None, folder=tmp_path / "res")
    assert load_result(p_default)["name"] == first
    p_ann = save_result(_verdict(speedup=30.0), "Kim", folder=tmp_path / "res")
    monkeypatch.setenv("OPTKIT_CONFIG", str(tmp_path / "bob-config"))       # another learner
    second = capstone.learner_id()
    assert second != first
    p_bob = save_result(_verdict(speedup=60.0), "Kim", folder=tmp_path / "res")
    assert p_bob != p_ann and p_ann.exists()          # same name, same machine: nothing overwritten
    board = leaderboard([tmp_path / "res"])
    assert sorted(r["speedup"] for r in board.rows if r["name"] == "Kim") == [30.0, 60.0]
    kept.write_text("edited by hand\n")               # a file someone changed is never rewritten
    monkeypatch.setenv("OPTKIT_CONFIG", str(tmp_path / "ann-config"))
    assert capstone.learner_id() == capstone.learner_id() and kept.read_text() == "edited by hand\n"
    monkeypatch.setenv("OPTKIT_LEARNER", "Ada")
    assert capstone.default_name() == "Ada"
    if NOTEBOOK.exists():
        nb = nbformat.read(NOTEBOOK, as_version=4)
        [cell] = [c for c in nb.cells if c.cell_type == "code" and "save_result" in c.source]
        assert "getuser" not in cell.source and 'NAME = ""' in cell.source


# ------------------------------------------------------------------------------ the notebook

def test_capstone_notebook_conventions():
    if not NOTEBOOK.exists():
        pytest.skip("notebooks/08_capstone.ipynb missing")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata.optkit["ci_budget_s"] == 180
    assert nb.metadata.kernelspec["name"] == "optkit"
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    for t in ("solution", "check", "plot", "lprun"):
        assert t in tags, t
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
        else:
            assert not any(u in c.source for u in (" ms", " µs", "x12")), "no measured numbers in prose"


# --- adversary review 1: shared results folder, future dates, chart write errors

def test_save_result_never_follows_a_planted_temporary_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    first = save_result(_verdict(), "Ada", folder=tmp_path)
    for planted in (first.with_suffix(".json.tmp"), tmp_path / f".{first.name}.tmp"):
        planted.symlink_to(victim)
    again = save_result(_verdict(speedup=50.0), "Ada", folder=tmp_path)
    assert again == first and load_result(again)["speedup"] == 50.0
    assert victim.read_text() == "precious"
    assert not again.is_symlink() and (again.stat().st_mode & 0o044)   # others may read it


def test_a_future_dated_file_does_not_replace_the_real_row(tmp_path):
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    _write(tmp_path, "real.json", _rec(name="ann", speedup=30.0, when=now.isoformat(timespec="seconds")))
    soon = (now + dt.timedelta(hours=23)).isoformat(timespec="seconds")
    _write(tmp_path, "fake.json", _rec(name="ann", speedup=900.0, when=soon))
    board = leaderboard([tmp_path])
    assert [r["speedup"] for r in board.rows] == [30.0]


def test_a_chart_that_cannot_be_written_is_an_error(tmp_path, capsys):
    import os

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    a = _write(tmp_path, "a.json", _rec(name="ann"))
    assert leaderboard_main([str(a), "--png", "/dev/full"]) == 1
    captured = capsys.readouterr()
    assert "chart:" not in captured.out and "cannot write /dev/full" in captured.err
    assert "ann" in captured.out                        # the table is still shown


def test_the_board_shows_which_measurement_and_spread_each_speedup_has(tmp_path):
    _write(tmp_path, "e.json", _rec(name="ann", speedup=41.8, speedup_source="end to end",
                                   end_to_end=_e2e(0.1, 0.02, base_s=4.18, base_iqr_s=0.0)))
    _write(tmp_path, "c.json", _rec(name="bob", speedup=35.7, speedup_source="check"))
    _write(tmp_path, "x.json", _rec(name="cid", speedup=20.0, speedup_source="\x1b[31mme"))
    board = leaderboard([tmp_path])
    text, page = board.table(), board._repr_html_()
    line = {r["name"]: l for r, l in zip(board.rows, text.splitlines()[2:])}
    assert "measured by" in text and "± spread" in text and "<th>measured by</th>" in page
    assert line["ann"].rstrip().endswith("end to end") and "±8.4" in line["ann"], line["ann"]
    assert line["bob"].rstrip().endswith("check") and "±" not in line["bob"], line["bob"]
    assert line["cid"].rstrip().endswith("?") and "\x1b" not in text    # other text never shown
