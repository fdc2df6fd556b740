"""Writing files safely: the one atomic writer every part of optkit uses (the learner edition,
capstone results, the data cache). A file is written under a fresh temporary name in the same
folder (``mkstemp``: O_EXCL, never a planted link) and moved into place with ``os.replace``, so
a reader sees the old file or the new one, never half of one."""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Callable

__all__ = ["write_atomic", "umask", "sha256_hex", "file_digest", "name_beside", "relative_inside", "PUBLIC_MODE"]

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
