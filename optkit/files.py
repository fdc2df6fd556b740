"""Writing files safely: the one atomic writer every part of optkit uses (the learner edition,
capstone results, the data cache). A file is written under a fresh temporary name in the same
folder (``mkstemp``: O_EXCL, never a planted link) and moved into place with ``os.replace``, so
a reader sees the old file or the new one, never half of one. Beside it: whether a file or folder
is this user's alone (:func:`trusted`, for caches), a private folder when it is not
(:func:`private_folder`), and an exclusive lock on a folder's work (:func:`exclusive_lock`)."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path, PurePosixPath
from typing import Callable

__all__ = ["write_atomic", "umask", "sha256_hex", "file_digest", "name_beside", "relative_inside", "PUBLIC_MODE",
           "remove_unchanged", "tree_digests", "read_json", "json_marked", "write_marked_json", "trusted",
           "private_folder", "exclusive_lock", "regular_file_digest"]

PUBLIC_MODE = 0o644      # readable by others (the umask still applies), as an ordinary file


def umask() -> int:
    """The process's umask (read without changing it for longer than one call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_hex(data: bytes) -> str:
    """sha256 of bytes, hex."""
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path):
    """sha256 of a regular file, or None when there is no regular file there."""
    path = Path(path)
    try:
        if path.is_symlink() or not path.is_file():
            return None if not path.exists() and not path.is_symlink() else "not-a-regular-file"
        return sha256_hex(Path(path).read_bytes())
    except OSError:
        return "unreadable"


def relative_inside(rel) -> bool:
    """Whether ``rel`` is a non-empty, normalised, relative POSIX path that stays inside the
    folder it is relative to (no ``..``, no empty or ``.`` part, no backslash or NUL)."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    p = PurePosixPath(rel)
    return (not p.is_absolute() and p.as_posix() == rel
            and all(part not in ("", ".", "..") for part in rel.split("/")))


def name_beside(rel: str, usable) -> str:
    """Where a new version of a kept file goes: NAME.new.EXT (then NAME.new-2.EXT, ...), the
    first relative POSIX path for which ``usable(path)`` is true (the learner edition puts the
    course's new version of a notebook the learner changed there)."""
    p = PurePosixPath(rel)
    stem, suffix = (p.name[:-len(p.suffix)], p.suffix) if p.suffix else (p.name, "")
    for k in range(1, 1000):
        cand = str(p.with_name(f"{stem}.{'new' if k == 1 else f'new-{k}'}{suffix}"))
        if usable(cand):
            return cand
    raise FileExistsError(f"no free name for the new version of {rel}")


def write_atomic(path, data: bytes | str, *, mode: int | None = None, fsync: bool = False,
                 before_replace: Callable[[], bool] | None = None) -> bool:
    """Write ``data`` (bytes, or str as UTF-8) to ``path`` atomically; returns True when written.

    ``mode``: permissions for the new file (minus the umask; default: mkstemp's private 0600);
    ``fsync``: flush to disk before the replace; ``before_replace``: called just before the
    replace, False leaves ``path`` untouched (say, the learner saved it in the meantime) and
    returns False. The temporary file never survives an error.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode & ~umask())
        if before_replace is not None and not before_replace():
            os.unlink(tmp)
            return False
        os.replace(tmp, path)
        return True
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def tree_digests(root) -> dict:
    """{relative POSIX path: :func:`file_digest`} of everything under ``root``: each file, and each
    symbolic link (to a file or a folder, never followed) as ``"not-a-regular-file"``."""
    root, found = Path(root), {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath) / name
            found[path.relative_to(root).as_posix()] = file_digest(path)
    return found


def remove_unchanged(path, unchanged: Callable[[Path], bool]):
    """Delete the file at ``path`` only if ``unchanged(p)`` is true of the very bytes deleted.

    The file is first renamed to a hidden temporary name in the same folder (``.NAME.XXXX.removing``),
    so a save to ``path`` after that lands beside it and is never lost (jupyter_server saves in
    place after a ``.~NAME`` backup copy, or writes a new file and renames it into place: either
    creates a new ``path``; a save already under way in the rename's instant can still reach the
    renamed file, whose changed size or time then keeps it); ``unchanged`` then judges the renamed file, which is deleted only
    when the answer is yes. Otherwise it goes back to ``path`` (never over a file saved there in the
    meantime: then it is kept as NAME.kept.EXT, NAME.kept-2.EXT, ...). A write through a handle
    opened before the rename shows as a new size or modification time: the file is kept then too.
    Returns None when deleted (or when nothing was there), else the path where the file now is."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".removing", dir=path.parent)
    except FileNotFoundError:                 # no folder: nothing there to remove
        return None
    except OSError:                           # a folder it may not write to: left alone
        return path if os.path.lexists(path) else None
    os.close(fd)
    tmp = Path(tmp)
    try:
        os.replace(path, tmp)                 # over our own empty placeholder
    except FileNotFoundError:
        tmp.unlink()
        return None
    except OSError:                           # a folder there now, or no permission: left alone
        tmp.unlink()
        return path
    def stamp():
        st = os.stat(tmp)
        return st.st_ino, st.st_size, st.st_mtime_ns

    try:
        before = stamp()
        if unchanged(tmp) and stamp() == before:      # not written to while it was judged either
            tmp.unlink()
            return None
    except BaseException:
        _put_back(tmp, path)
        raise
    return _put_back(tmp, path)


def _put_back(tmp: Path, path: Path) -> Path:
    """Move ``tmp`` back to ``path`` unless something is there now (then beside it); its new path."""
    stem, suffix = (path.name[:-len(path.suffix)], path.suffix) if path.suffix else (path.name, "")
    for k in range(1000):
        dest = path if k == 0 else path.with_name(f"{stem}.{'kept' if k == 1 else f'kept-{k}'}{suffix}")
        try:
            os.link(tmp, dest)                # never replaces: FileExistsError when taken
        except FileExistsError:
            continue
        except OSError:                       # no hard links on this file system
            if dest.exists() or dest.is_symlink():
                continue
            os.rename(tmp, dest)
            return dest
        tmp.unlink()
        return dest
    raise FileExistsError(f"no free name to keep {path} under (it is at {tmp})")


def read_json(path, limit: int = 64 << 20):
    """The JSON object (a dict) in the regular file ``path``, or None: nothing there, a link, a
    FIFO or other non-file, unreadable, larger than ``limit`` bytes, not JSON, or not an object."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            raw = f.read(limit + 1)
        data = json.loads(raw.decode("utf-8")) if len(raw) <= limit else None
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def json_marked(path, key: str, mark: str) -> bool:
    """Whether ``path`` holds nothing, or a JSON object (:func:`read_json`) whose ``key`` is ``mark``:
    a file that the writer with that mark may replace (:func:`write_marked_json`)."""
    path = Path(path)
    return not (path.exists() or path.is_symlink()) or (read_json(path) or {}).get(key) == mark


def write_marked_json(path, data: dict, key: str, mark: str) -> bool:
    """Write ``data`` plus ``{key: mark}`` to ``path`` as JSON (atomically, mode 0644), only where
    :func:`json_marked` holds, checked again just before the replace; False when it does not."""
    return write_atomic(path, json.dumps({**data, key: mark}), mode=PUBLIC_MODE,
                        before_replace=lambda: json_marked(path, key, mark))


def trusted(path) -> bool:
    """True if ``path`` is this user's: owned by the current uid, not a symbolic link, and not
    writable by group or others (so nobody else can have put or changed anything there). Always
    True where there are no uids (Windows). The caches use it (compiled cells, the data CSV)."""
    if not hasattr(os, "getuid"):
        return True
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return not stat.S_ISLNK(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


_private: dict = {}


def private_folder(prefix: str, *, remove_at_exit: bool = False) -> Path:
    """A folder only this user can write (``mkdtemp``, made on first use, one per ``prefix`` and
    process), for a cache whose folder is not :func:`trusted`. ``remove_at_exit``: deleted when
    the process ends (for large files nothing outside the process needs)."""
    if prefix not in _private or not trusted(_private[prefix]):
        _private[prefix] = Path(tempfile.mkdtemp(prefix=prefix))
        if remove_at_exit:
            import atexit
            atexit.register(shutil.rmtree, _private[prefix], True)
    return _private[prefix]


def regular_file_digest(path, limit: int | None = None):
    """(size, sha256) of the regular file ``path`` when it is :func:`trusted` (opened without
    following a link or blocking on a FIFO; owner and mode checked on the opened file), else
    None; None too when it is larger than ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and (
                st.st_uid != os.getuid() or st.st_mode & 0o022)):
            return None
        if limit is not None and st.st_size > limit:
            return None
        h, size = hashlib.sha256(), 0
        try:
            while chunk := f.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
        except OSError:
            return None
    return size, h.hexdigest()


@contextlib.contextmanager
def exclusive_lock(path, waiting: Callable[[], None] | None = None):
    """Hold an exclusive lock on the file ``path`` (made empty if missing, never written,
    truncated or removed: a file of that name that was there stays as it was) for the ``with``
    block. When another process (or another open of it) holds it, ``waiting()`` is called once
    and the lock is waited for. OSError when ``path`` is not a regular file (a link, a FIFO).
    Where there is no ``fcntl.flock`` (Windows) nothing is locked: the block runs as it is."""
    try:
        import fcntl
    except ImportError:                       # Windows: no flock; concurrent runs stay possible
        yield
        return
    flags = os.O_RDONLY | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, PUBLIC_MODE)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file, so it cannot be used as a lock; remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)                          # closing releases the lock
