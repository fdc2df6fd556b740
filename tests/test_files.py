"""optkit.files: the atomic writer, digests, and the path checks of the learner edition.
The learner edition's use of them (kept learner files, .new copies) is tested in
tests/test_student.py; here: the functions themselves."""
from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from optkit import files
from optkit.files import (PUBLIC_MODE, file_digest, name_beside, relative_inside, sha256_hex, umask,
                          write_atomic)

ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.fixture
def mask022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _leftovers(folder: Path, name: str):
    return [p.name for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")]


def test_sha256_hex_and_umask(mask022):
    assert sha256_hex(b"abc") == ABC
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert umask() == 0o022 and umask() == 0o022          # reading it leaves it as it was
    os.umask(0o077)
    assert umask() == 0o077


def test_file_digest_of_regular_files_and_of_what_is_not_one(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc")
    assert file_digest(f) == ABC and file_digest(str(f)) == ABC
    assert file_digest(tmp_path / "missing") is None
    (tmp_path / "link").symlink_to(f)
    assert file_digest(tmp_path / "link") == "not-a-regular-file"          # a link is never followed
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert file_digest(tmp_path / "dangling") == "not-a-regular-file"
    assert file_digest(tmp_path) == "not-a-regular-file"
    os.mkfifo(tmp_path / "fifo")
    assert file_digest(tmp_path / "fifo") == "not-a-regular-file"          # not opened: no hang
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert file_digest(empty) == sha256_hex(b"")


def test_file_digest_of_an_unreadable_file(tmp_path, monkeypatch):
    f = tmp_path / "secret"
    f.write_bytes(b"x")
    f.chmod(0)
    if os.geteuid() != 0:
        assert file_digest(f) == "unreadable"

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)        # as for a user without root
    assert file_digest(f) == "unreadable"


@pytest.mark.parametrize("rel,ok", [
    ("a", True), ("notebooks/01_x.ipynb", True), ("한글/노트북.ipynb", True), (".hidden", True),
    ("a..b", True), ("...", True),
    ("", False), (".", False), ("..", False), ("../x", False), ("a/../b", False), ("a/./b", False),
    ("./a", False), ("a/", False), ("a//b", False), ("/etc/passwd", False), ("a\\b", False),
    ("..\\x", False), ("a\0b", False), (None, False), (b"a", False), (Path("a"), False), (3, False),
])
def test_relative_inside(rel, ok):
    assert relative_inside(rel) is ok


def test_name_beside_takes_the_first_free_name():
    taken = set()
    got = [name_beside("nb/01_x.ipynb", lambda c: c not in taken and not taken.add(c)) for _ in range(3)]
    assert got == ["nb/01_x.new.ipynb", "nb/01_x.new-2.ipynb", "nb/01_x.new-3.ipynb"]
    assert name_beside("README", lambda c: True) == "README.new"
    assert name_beside("a.tar.gz", lambda c: True) == "a.tar.new.gz"
    assert name_beside(".hidden", lambda c: True) == ".hidden.new"
    assert name_beside("노트/연습.ipynb", lambda c: True) == "노트/연습.new.ipynb"


def test_name_beside_gives_up_with_a_clear_error():
    asked = []
    with pytest.raises(FileExistsError, match="no free name for the new version of x.ipynb"):
        name_beside("x.ipynb", lambda c: asked.append(c) and False)
    assert len(asked) == 999 and len(set(asked)) == 999


def test_write_atomic_writes_text_as_utf8_and_bytes_as_given(tmp_path):
    p = tmp_path / "deep" / "er" / "결과.json"
    assert write_atomic(p, "측정 결과 ✓\n") is True
    assert p.read_bytes() == "측정 결과 ✓\n".encode("utf-8")
    assert write_atomic(p, b"\x00\xff") is True and p.read_bytes() == b"\x00\xff"
    assert write_atomic(str(p), b"") is True and p.read_bytes() == b""
    big = os.urandom(1 << 20) * 8
    assert write_atomic(p, big) and p.read_bytes() == big
    assert _leftovers(p.parent, p.name) == []


def test_write_atomic_modes(tmp_path, mask022):
    priv, pub = tmp_path / "private", tmp_path / "public"
    write_atomic(priv, "x")
    write_atomic(pub, "x", mode=PUBLIC_MODE, fsync=True)
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert stat.S_IMODE(pub.stat().st_mode) == 0o644
    os.umask(0o077)
    write_atomic(pub, "y", mode=PUBLIC_MODE)
    assert stat.S_IMODE(pub.stat().st_mode) == 0o600           # the umask still applies


def test_before_replace_false_leaves_the_file_and_no_temporary(tmp_path):
    p = tmp_path / "nb.ipynb"
    p.write_text("the learner's")
    seen = []

    def check():
        seen.append(_leftovers(tmp_path, p.name))
        return False

    assert write_atomic(p, "the course's", before_replace=check) is False
    assert p.read_text() == "the learner's"
    assert len(seen) == 1 and len(seen[0]) == 1                 # called once, with the new file ready
    assert _leftovers(tmp_path, p.name) == []
    assert write_atomic(p, "the course's", before_replace=lambda: True) is True
    assert p.read_text() == "the course's"


@pytest.mark.parametrize("boom", ["data", "hook", "interrupt"])
def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path, boom):
    p = tmp_path / "f.txt"
    p.write_text("old")

    def hook():
        raise KeyboardInterrupt if boom == "interrupt" else RuntimeError("hook failed")

    with pytest.raises(TypeError if boom == "data" else KeyboardInterrupt if boom == "interrupt" else RuntimeError):
        if boom == "data":
            write_atomic(p, 12345)                               # neither bytes nor str
        else:
            write_atomic(p, "new", before_replace=hook)
    assert p.read_text() == "old"
    assert _leftovers(tmp_path, p.name) == []


def test_a_link_at_the_path_is_replaced_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours to change")
    link = tmp_path / "out.txt"
    link.symlink_to(target)
    assert write_atomic(link, "new")
    assert not link.is_symlink() and link.read_text() == "new"
    assert target.read_text() == "not yours to change"


def test_a_path_that_cannot_be_written_raises(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        write_atomic(tmp_path / "file" / "below", "y")            # its parent is a file
    d = tmp_path / "adir"
    d.mkdir()
    with pytest.raises(OSError):
        write_atomic(d, "y")                                     # a folder is not replaced by a file
    assert d.is_dir() and _leftovers(tmp_path, "adir") == []


def test_a_reader_sees_the_old_file_or_the_new_one_never_half(tmp_path):
    p = tmp_path / "shared.bin"
    old, new = b"o" * (1 << 18), b"n" * (1 << 18)
    write_atomic(p, old)
    stop, bad = threading.Event(), []

    def reader():
        while not stop.is_set():
            data = p.read_bytes()
            if data not in (old, new):
                bad.append(len(data))

    t = threading.Thread(target=reader)
    t.start()
    try:
        for k in range(200):
            write_atomic(p, new if k % 2 == 0 else old)
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive() and bad == []
    assert files.__all__ and set(files.__all__) <= set(dir(files))


def test_remove_unchanged_leaves_the_file_when_its_folder_cannot_be_written(tmp_path, monkeypatch):
    """A5 7: no hidden name can be made beside the file (a read-only folder): the file stays,
    and its path comes back (kept), instead of an error halfway through a rebuild."""
    import tempfile

    from optkit.files import remove_unchanged

    f = tmp_path / "08_capstone.md"
    f.write_text("course text")

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert remove_unchanged(f, lambda p: True) == f
    assert f.read_text() == "course text"
    assert remove_unchanged(tmp_path / "gone.md", lambda p: True) is None


def test_trusted_and_regular_file_digest(tmp_path):
    import hashlib
    from optkit.files import regular_file_digest, trusted
    f = tmp_path / "f"
    f.write_bytes(b"abc")
    os.chmod(f, 0o600)
    assert trusted(f) and regular_file_digest(f) == (3, hashlib.sha256(b"abc").hexdigest())
    assert regular_file_digest(f, limit=2) is None               # larger than it should be
    os.chmod(f, 0o622)
    assert not trusted(f) and regular_file_digest(f) is None     # others may write it
    link = tmp_path / "link"
    link.symlink_to(f)
    assert not trusted(link) and regular_file_digest(link) is None
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert regular_file_digest(fifo) is None                     # no hang on a FIFO
    assert not trusted(tmp_path / "missing") and regular_file_digest(tmp_path / "missing") is None


def test_exclusive_lock_waits_and_leaves_the_file_as_it_was(tmp_path):
    from optkit.files import exclusive_lock
    lock = tmp_path / "l.lock"
    lock.write_text("a learner's")
    order, waited = [], []
    def second():
        with exclusive_lock(lock, lambda: waited.append(1)):
            order.append("second")

    with exclusive_lock(lock):
        t = threading.Thread(target=second)
        t.start()
        t.join(0.5)
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"] and waited == [1]
    assert lock.read_text() == "a learner's"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        with exclusive_lock(fifo):
            pass
