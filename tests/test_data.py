"""optkit.data: deterministic pages with word quads, the committed samples, the CSV."""
import csv
import json

import cv2
import numpy as np
import pytest

from optkit import data


def _check_document(doc, width, height, n):
    assert doc.image.shape == (height, width, 3) and doc.image.dtype == np.uint8
    assert doc.quads.shape == (n, 4, 2) and doc.quads.dtype == np.float32
    assert len(doc.texts) == n and all(isinstance(t, str) and t for t in doc.texts)
    assert set("".join(doc.texts)) <= set(data.ALPHABET)
    assert doc.size == (width, height)
    q = doc.quads
    # every corner inside the image
    assert q[..., 0].min() >= 0 and q[..., 0].max() <= width - 1
    assert q[..., 1].min() >= 0 and q[..., 1].max() <= height - 1
    # clockwise on screen (y down): positive shoelace area; TL is the top-left-most corner
    x, y = q[..., 0].astype(float), q[..., 1].astype(float)
    area = 0.5 * np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1)
    assert np.all(area > 0)
    assert np.all(x[:, 1] > x[:, 0]) and np.all(y[:, 3] > y[:, 0])


@pytest.mark.parametrize("width,height,n,seed", [
    (640, 480, 10, 0), (640, 480, 20, 3), (1600, 1200, 300, 0), (1024, 768, 150, 7),
    (4000, 3000, 2000, 1),
])
def test_shapes_and_quads_inside(width, height, n, seed):
    _check_document(data.make_document(width, height, n, seed), width, height, n)


def test_deterministic_and_seed_dependent():
    a = data.make_document(800, 600, 50, seed=4)
    b = data.make_document(800, 600, 50, seed=4)
    c = data.make_document(800, 600, 50, seed=5)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.quads, b.quads)
    assert a.texts == b.texts
    assert a.texts != c.texts and not np.array_equal(a.image, c.image)


def test_ink_lies_inside_the_quads():
    """The quads really describe the words: dark pixels are inside boxes, boxes hold ink."""
    doc = data.make_document(1024, 768, 120, seed=2)
    gray = cv2.cvtColor(doc.image, cv2.COLOR_BGR2GRAY)
    inside = np.zeros(gray.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(q).astype(np.int32) for q in doc.quads], 1)
    inside = cv2.dilate(inside, np.ones((5, 5), np.uint8))
    dark = gray < 120
    assert dark.sum() > 1000
    assert (dark & (inside == 0)).sum() < 0.002 * dark.sum()
    for q in doc.quads[:20]:
        x0, y0 = np.floor(q.min(axis=0)).astype(int)
        x1, y1 = np.ceil(q.max(axis=0)).astype(int)
        assert dark[y0:y1 + 1, x0:x1 + 1].any()


def test_default_document_is_cached_but_safe_to_modify():
    a = data.default_document()
    assert a.size == (1600, 1200) and a.n_boxes == 300 and a.seed == 0
    a.image[:] = 0
    a.quads[:] = -1
    b = data.default_document()
    assert b.image.max() > 0 and b.quads.min() >= 0
    ref = data.make_document(1600, 1200, 300, 0)
    assert np.array_equal(b.image, ref.image) and b.texts == ref.texts


@pytest.mark.parametrize("kwargs,match", [
    (dict(width=0), "positive"),
    (dict(height=-480), "positive"),
    (dict(width=639), "out of range"),
    (dict(width=4001), "out of range"),
    (dict(height=3001), "out of range"),
    (dict(n_boxes=0), "positive"),
    (dict(n_boxes=-3), "positive"),
    (dict(n_boxes=9), "out of range"),
    (dict(n_boxes=2001), "out of range"),
    (dict(width=640, height=480, n_boxes=2000), "do not fit"),
    (dict(seed=-1), "seed"),
    (dict(width=640.5), "integer"),
    (dict(n_boxes="300"), "integer"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.make_document(**kwargs)


@pytest.mark.parametrize("name", data.sample_names())
def test_committed_samples_match_the_generator(name):
    meta = json.loads((data.DATA_DIR / f"{name}.json").read_text())
    sample = data.load_sample(name)
    fresh = data.make_document(meta["width"], meta["height"], meta["n_boxes"], meta["seed"])
    assert meta["generator_version"] == data.GENERATOR_VERSION
    assert sample.texts == fresh.texts
    np.testing.assert_allclose(sample.quads, fresh.quads, atol=1e-3)
    assert sample.image.shape == fresh.image.shape
    # Same pixels, up to rounding differences between OpenCV builds / CPU instruction sets
    # in anti-aliased text and bilinear warping (identical on the machine that made them).
    diff = np.abs(sample.image.astype(int) - fresh.image.astype(int))
    assert diff.mean() < 0.05 and (diff > 8).mean() < 0.001


def test_samples_exist_and_bad_name():
    assert {"page_640x480", "page_800x600"} <= set(data.sample_names())
    assert data.load_sample("page_640x480.png").n_boxes == 20
    with pytest.raises(ValueError, match="available"):
        data.load_sample("no_such_page")
    with pytest.raises(ValueError):
        data.load_sample("")


def test_csv_format_determinism_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTKIT_CACHE", str(tmp_path / "cache"))
    p = data.make_csv(n_rows=2000, seed=3)
    assert p.parent == tmp_path / "cache" and p.exists()
    mtime = p.stat().st_mtime_ns
    assert data.make_csv(n_rows=2000, seed=3) == p and p.stat().st_mtime_ns == mtime  # reused
    q = data.make_csv(tmp_path / "explicit.csv", n_rows=2000, seed=3)
    assert q.read_bytes() == p.read_bytes()
    assert data.make_csv(n_rows=2000, seed=4).read_bytes() != p.read_bytes()
    assert not list((tmp_path / "cache").glob("*.tmp"))       # atomic write left nothing behind
    with open(p, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == data.CSV_COLUMNS
    assert len(rows) == 2001
    for r in rows[1:]:
        int(r[0]), int(r[1])
        for v in r[2:10]:
            assert len(v.split(".")[1]) == 2 and float(v) >= 0
        assert len(r[10].split(".")[1]) == 4 and 0 <= float(r[10]) <= 1
        assert r[11].isalpha() and 1 <= len(r[11]) <= 10
    doc_ids = np.array([int(r[0]) for r in rows[1:]])
    box_ids = np.array([int(r[1]) for r in rows[1:]])
    assert np.all(np.diff(doc_ids) >= 0)
    # box_id counts 0, 1, 2, ... within each document
    starts = np.r_[True, np.diff(doc_ids) > 0]
    assert np.all(box_ids[starts] == 0)
    assert np.all(np.diff(box_ids)[~starts[1:]] == 1)


def test_csv_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="positive"):
        data.make_csv(tmp_path / "a.csv", n_rows=0)
    with pytest.raises(ValueError, match="seed"):
        data.make_csv(tmp_path / "a.csv", n_rows=10, seed=-2)
    with pytest.raises(ValueError, match="directory"):
        data.make_csv(tmp_path, n_rows=10)


@pytest.mark.parametrize("damage", ["empty", "cut mid-line", "cut at a line end", "one byte changed"])
def test_a_damaged_cached_csv_is_generated_again(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("OPTKIT_CACHE", str(tmp_path / "cache"))
    p = data.make_csv(n_rows=2000, seed=3)
    good = p.read_bytes()
    bad = {"empty": b"", "cut mid-line": good[:len(good) // 2 + 3],
           "cut at a line end": good[:good.rindex(b"\n", 0, len(good) // 2) + 1],
           "one byte changed": good[:-2] + (b"a" if good[-2:-1] != b"a" else b"b") + b"\n"}[damage]
    p.write_bytes(bad)
    assert data.make_csv(n_rows=2000, seed=3) == p and p.read_bytes() == good


def test_the_csv_is_flushed_to_disk_before_it_is_used(tmp_path, monkeypatch):
    import os
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    monkeypatch.setenv("OPTKIT_CACHE", str(tmp_path / "cache"))
    data.make_csv(n_rows=100, seed=1)
    assert synced, "the cached CSV was renamed into place without an fsync"
    synced.clear()
    data.make_csv(tmp_path / "x.csv", n_rows=100, seed=1)
    assert synced


def test_a_shared_cache_folder_is_not_trusted(tmp_path, monkeypatch):
    import os
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)                     # a room-wide OPTKIT_CACHE anyone may write into
    monkeypatch.setenv("OPTKIT_CACHE", str(shared))
    good = data.make_csv(tmp_path / "good.csv", n_rows=500, seed=2).read_bytes()
    name = shared / "boxes-v1-n500-seed2.csv"
    for planted in ("file", "link", "fifo"):
        if name.exists() or name.is_symlink():
            name.unlink()
        if planted == "file":
            name.write_bytes(good.replace(b",", b";"))   # someone else's rows
        elif planted == "link":
            name.symlink_to("/dev/zero")
        else:
            os.mkfifo(name)
        p = data.make_csv(n_rows=500, seed=2)
        assert p.parent != shared and p.read_bytes() == good and not p.is_symlink()
    assert name.is_fifo()                        # what was planted is left alone


def test_a_link_or_a_file_others_may_write_in_the_cache_is_not_reused(tmp_path, monkeypatch):
    import os
    monkeypatch.setenv("OPTKIT_CACHE", str(tmp_path / "cache"))
    p = data.make_csv(n_rows=300, seed=4)
    good = p.read_bytes()
    os.chmod(p, 0o666)                           # the right bytes, but anyone may have written them
    assert data.make_csv(n_rows=300, seed=4) == p and not os.stat(p).st_mode & 0o022
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_bytes(good)
    p.unlink()
    p.symlink_to(elsewhere)                      # a link, even to the right bytes
    assert data.make_csv(n_rows=300, seed=4) == p and not p.is_symlink() and p.read_bytes() == good
