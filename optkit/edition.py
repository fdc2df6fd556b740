"""The learner edition's manifest and what counts as a learner's change to a notebook.

The manifest (``.optkit-student.json``) records every file the builder wrote with its sha256,
and for notebooks two more digests of what was written (:func:`notebook_digests`):

* ``cells``: cell ids, types and sources only: what a learner writes. A notebook whose cells
  still have this digest holds no code or text of the learner's;
* ``view``: the whole notebook except what JupyterLab writes when it only opens one (the
  notebook's ``language_info``, ``kernelspec``, ``widgets``, ``nbformat_minor``, and the
  cells' view state ``collapsed``/``scrolled``/``jupyter``/``execution``). A notebook with this
  digest was only opened: nothing the learner wrote or ran is in it (outputs and execution
  counts do count here, since a learner's results may matter to them).

and, for each notebook kept because the learner changed it, which course version was written
beside it (``beside``: {notebook: {"path": the .new file, "course": its sha256}}), so a rebuild
with the course unchanged writes no further copy.

Also here: which folders the builder may write into (:func:`adoptable`: empty, its own, or
adopted with ``.optkit-student``) and what in one it did not write (:func:`foreign_files`);
``.optkit-student.lock``, the lock a build holds, is neither the builder's file nor a learner's.
"""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from .files import relative_inside, sha256_hex

__all__ = ["MANIFEST", "STAMP", "LOCK", "MAX_MANIFEST_BYTES", "notebook_digests", "valid_rel", "read_manifest",
           "manifest_bytes", "foreign_files", "no_manifest_message", "adoptable"]

MANIFEST = ".optkit-student.json"
STAMP = ".optkit-student"              # the marker of editions made before the manifest
LOCK = ".optkit-student.lock"          # held for a whole build (never written to, never removed)
MAX_MANIFEST_BYTES = 4 << 20            # a manifest lists a few dozen files; anything larger is not one
_HEX64 = re.compile(r"[0-9a-f]{64}")
OPEN_ONLY_NB_KEYS = ("language_info", "kernelspec", "widgets")
OPEN_ONLY_CELL_KEYS = ("collapsed", "scrolled", "jupyter", "execution")


def notebook_digests(data: bytes):
    """{"cells": digest, "view": digest} of a notebook file's bytes (see the module doc), or
    None when the bytes are not a notebook's JSON."""
    try:
        nb = json.loads(data.decode("utf-8"))
        cells = nb["cells"]
        if not isinstance(nb, dict) or not isinstance(cells, list) or \
                not all(isinstance(c, dict) for c in cells):
            return None
    except (ValueError, KeyError, TypeError, RecursionError):
        return None

    def text(src):
        return "".join(src) if isinstance(src, list) else src

    def digest(obj):
        return sha256_hex(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8"))

    try:        # a notebook damaged by hand (metadata not a dict, a source list of numbers ...)
        own = [[c.get("id"), c.get("cell_type"), text(c.get("source", ""))] for c in cells]
        view = dict(nb, metadata={k: v for k, v in (nb.get("metadata") or {}).items()
                                  if k not in OPEN_ONLY_NB_KEYS})
        view.pop("nbformat_minor", None)
        view["cells"] = [dict(c, source=text(c.get("source", "")),
                              metadata={k: v for k, v in (c.get("metadata") or {}).items()
                                        if k not in OPEN_ONLY_CELL_KEYS}) for c in cells]
        return {"cells": digest(own), "view": digest(view)}
    except (AttributeError, TypeError, ValueError, RecursionError):
        return None


def valid_rel(rel) -> bool:
    """A manifest key: a path inside the edition (``files.relative_inside``), not the manifest."""
    return relative_inside(rel) and rel != MANIFEST


def read_manifest(out):
    """The manifest of a previous build: ({relative path: sha256}, {relative path: notebook
    digests}, {notebook: {"path", "course"}}), or None when there is none.

    Read only as a small regular file (no symlink, FIFO or device: opened without blocking and
    checked before reading), with a size cap; every key must be a normalised relative path inside
    the edition and every value a sha256, else ValueError (damaged). A manifest of an older
    optkit (files only) reads with empty digest and beside tables."""
    path = out / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None

    def damaged(why):
        return ValueError(f"{path} is damaged ({why}); move it away and build into a new --out")

    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            raise damaged("not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise damaged("not a regular file")
            raw = f.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            raise damaged(f"larger than {MAX_MANIFEST_BYTES} bytes")
        data = json.loads(raw.decode("utf-8"))
        files = data["files"]
        if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in files.items()):
            raise ValueError("files is not a {path: sha256} table")
        digests, beside = data.get("notebooks", {}), data.get("beside", {})
        if not isinstance(digests, dict) or not all(
                isinstance(v, dict) and set(v) == {"cells", "view"} for v in digests.values()):
            raise ValueError("notebooks is not a {path: {cells, view}} table")
        if not isinstance(beside, dict) or not all(
                isinstance(v, dict) and set(v) == {"path", "course"} and isinstance(v["path"], str)
                for v in beside.values()):
            raise ValueError("beside is not a {path: {path, course}} table")
    except RecursionError:
        raise damaged("nested too deeply") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(str(path)):
            raise
        raise damaged(exc) from exc
    named = list(files.items()) + [(rel, d) for rel, v in digests.items() for d in v.values()] + \
        [(rel, v["course"]) for rel, v in beside.items()] + [(v["path"], files.get(v["path"], "0" * 64))
                                                              for v in beside.values()]
    for rel, digest in named:
        if not valid_rel(rel):
            raise ValueError(f"{path} names a path that is not a file inside the edition ({rel!r})")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise damaged(f"{rel!r} has no sha256")
    return files, digests, beside


def manifest_bytes(files: dict, digests: dict, beside: dict) -> bytes:
    """The manifest's text: the three tables, each limited to the files it lists."""
    return (json.dumps({
        "made_by": "optkit student",
        "note": "what the builder wrote and its sha256; a file whose hash differs is the learner's "
                "and is never overwritten (a notebook only opened, its 'view' digest unchanged, "
                "is not); 'beside': the course version written next to a notebook you changed",
        "files": dict(sorted(files.items())),
        "notebooks": {k: digests[k] for k in sorted(digests) if k in files},
        "beside": {k: beside[k] for k in sorted(beside) if beside[k]["path"] in files}},
        indent=1) + "\n").encode("utf-8")


def foreign_files(out: Path, manifest: dict) -> list[str]:
    """Everything under `out` that the builder did not write (folders of builder files excepted)."""
    ours = set(manifest) | {MANIFEST, STAMP, LOCK}
    foreign = []
    for dirpath, dirnames, filenames in os.walk(out):
        rel_dir = Path(dirpath).relative_to(out)
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            rel = (rel_dir / name).as_posix()
            if rel not in ours:
                foreign.append(rel)
    return sorted(foreign)


def no_manifest_message(out: Path) -> str:
    """Why a folder with files and no manifest is refused, and the two safe ways on."""
    return (f"{out} exists and was not made by `optkit student` (it has no {MANIFEST}: never made "
            f"by it, or that file was lost); nothing was written. Either build the learner edition "
            f"in an empty or new folder: `make lab LEARNER_DIR=other-folder` (KO=1 adds -ko to it) or "
            f"`optkit student --out other-folder`; or, if this is your learner edition, keep it: "
            f"create the empty file {out / STAMP} and run the same command again. The builder then "
            f"adopts the folder and never overwrites a file of yours: a file that differs from the "
            f"course is kept as it is (the course's version goes beside it as NAME.new.ipynb), and "
            f"files you added are never touched")


def adoptable(out: Path):
    """The previous build's manifest tables, or None for an edition from before the manifest;
    FileExistsError when `out` holds files but was not made by the builder (the lock file aside)."""
    read = read_manifest(out) if out.is_dir() else None
    if read is None and out.is_dir() and not (out / STAMP).exists() \
            and any(p.name != LOCK for p in out.iterdir()):
        raise FileExistsError(no_manifest_message(out))
    return read
