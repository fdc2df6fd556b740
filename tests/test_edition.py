"""optkit.edition: the learner edition's manifest and what counts as a learner's change.
The builder's use of them (which files are kept, rebuilt, written beside) is tested in
tests/test_student.py; here: the digests and the manifest reader on their own."""
from __future__ import annotations

import json
import os

import pytest

from optkit.edition import (MANIFEST, MAX_MANIFEST_BYTES, manifest_bytes, notebook_digests, read_manifest,
                            valid_rel)
from optkit.files import sha256_hex

H1, H2, H3 = (sha256_hex(bytes([k])) for k in range(3))


def _nb(**over):
    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "optkit", "display_name": "Python (optkit)"}},
          "cells": [{"id": "c1", "cell_type": "markdown", "metadata": {}, "source": ["# 제목\n", "본문"]},
                    {"id": "c2", "cell_type": "code", "metadata": {}, "execution_count": None,
                     "outputs": [], "source": "x = 1\nx"}]}
    nb.update(over)
    return nb


def _digests(nb):
    return notebook_digests(json.dumps(nb, ensure_ascii=False).encode("utf-8"))


# --------------------------------------------------------------------------- notebook digests

@pytest.mark.parametrize("data", [b"", b"not json", b"\xff\xfe\x00", b"[]", b'"text"', b"42", b"null",
                                  b'{"cells": 3}', b'{"cells": [1, 2]}', b'{"metadata": {}}',
                                  b"[" * 100_000 + b"]" * 100_000])
def test_what_is_not_a_notebook_has_no_digests(data):
    assert notebook_digests(data) is None


def test_digests_are_hex_and_stable():
    d = _digests(_nb())
    assert set(d) == {"cells", "view"} and all(len(v) == 64 and int(v, 16) >= 0 for v in d.values())
    assert _digests(_nb()) == d
    assert notebook_digests(json.dumps(_nb(), indent=1, sort_keys=True).encode()) == d   # layout and key order


def test_opening_a_notebook_in_jupyterlab_changes_neither_digest():
    base = _digests(_nb())
    opened = _nb(nbformat_minor=4)
    opened["metadata"] = {"kernelspec": {"name": "python3"}, "language_info": {"name": "python", "version": "3.12"},
                          "widgets": {"state": {}}}
    opened["cells"][1]["metadata"] = {"collapsed": False, "scrolled": True, "jupyter": {"source_hidden": False},
                                      "execution": {"iopub.status.busy": "2026-01-01"}}
    assert _digests(opened) == base


def test_running_a_cell_changes_the_view_but_not_the_cells():
    base = _digests(_nb())
    ran = _nb()
    ran["cells"][1]["outputs"] = [{"output_type": "execute_result", "data": {"text/plain": "1"},
                                   "metadata": {}, "execution_count": 1}]
    ran["cells"][1]["execution_count"] = 1
    d = _digests(ran)
    assert d["cells"] == base["cells"] and d["view"] != base["view"]


@pytest.mark.parametrize("change", ["source", "korean", "type", "id", "new cell", "cell tag", "nb metadata"])
def test_what_a_learner_writes_changes_both_digests_or_the_view(change):
    base = _digests(_nb())
    nb = _nb()
    c = nb["cells"]
    if change == "source":
        c[1]["source"] = "x = 2\nx"
    elif change == "korean":
        c[0]["source"] = ["# 제목\n", "본문입니다"]
    elif change == "type":
        c[0]["cell_type"] = "raw"
    elif change == "id":
        c[0]["id"] = "c9"
    elif change == "new cell":
        c.append({"id": "c3", "cell_type": "code", "metadata": {}, "outputs": [], "source": ""})
    elif change == "cell tag":
        c[1]["metadata"] = {"tags": ["mine"]}
    else:
        nb["metadata"]["author"] = "learner"
    d = _digests(nb)
    assert d["view"] != base["view"]
    if change in ("cell tag", "nb metadata"):
        assert d["cells"] == base["cells"]            # metadata is not code or text
    else:
        assert d["cells"] != base["cells"]


def test_source_as_list_or_string_is_the_same_notebook():
    as_list = _nb()
    as_str = _nb()
    as_str["cells"][0]["source"] = "# 제목\n본문"
    as_list["cells"][1]["source"] = ["x = 1\n", "x"]
    assert _digests(as_list) == _digests(as_str) == _digests(_nb())


@pytest.mark.parametrize("damage", ["nb metadata list", "cell metadata str", "source ints"])
def test_a_damaged_notebook_has_no_digests_rather_than_a_crash(damage):
    nb = _nb()
    if damage == "nb metadata list":
        nb["metadata"] = ["x"]
    elif damage == "cell metadata str":
        nb["cells"][0]["metadata"] = "x"
    else:
        nb["cells"][1]["source"] = [1, 2]
    assert _digests(nb) is None


# --------------------------------------------------------------------------- manifest keys

@pytest.mark.parametrize("rel,ok", [("notebooks/01_x.ipynb", True), ("solutions/01.md", True),
                                    ("노트북/01.ipynb", True), (MANIFEST, False), ("a/" + MANIFEST, True),
                                    ("../x", False), ("/abs", False), ("a//b", False), ("", False),
                                    (None, False), (["x"], False)])
def test_valid_rel(rel, ok):
    assert valid_rel(rel) is ok


# --------------------------------------------------------------------------- manifest read/write

def _write(out, obj_or_bytes):
    out.mkdir(exist_ok=True)
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
    (out / MANIFEST).write_bytes(data)
    return out


def test_no_manifest_is_none(tmp_path):
    assert read_manifest(tmp_path) is None
    assert read_manifest(tmp_path / "not-there") is None


def test_manifest_round_trips_and_keeps_only_listed_files(tmp_path):
    files = {"notebooks/01.ipynb": H1, "solutions/01.md": H2, "노트북/02.ipynb": H3,
             "notebooks/01.new.ipynb": H3}
    digests = {"notebooks/01.ipynb": {"cells": H1, "view": H2}, "gone.ipynb": {"cells": H1, "view": H1}}
    beside = {"notebooks/01.ipynb": {"path": "notebooks/01.new.ipynb", "course": H3},
              "gone.ipynb": {"path": "gone.new.ipynb", "course": H1}}
    raw = manifest_bytes(files, digests, beside)
    assert raw.endswith(b"\n")
    data = json.loads(raw.decode("utf-8"))
    assert "노트북/02.ipynb" in data["files"]
    assert list(data["files"]) == sorted(files) and data["made_by"] == "optkit student"
    _write(tmp_path, raw)
    got_files, got_digests, got_beside = read_manifest(tmp_path)
    assert got_files == files
    assert got_digests == {"notebooks/01.ipynb": digests["notebooks/01.ipynb"]}        # gone.ipynb not listed
    assert got_beside == {"notebooks/01.ipynb": beside["notebooks/01.ipynb"]}


def test_a_manifest_of_an_older_optkit_reads_with_empty_tables(tmp_path):
    _write(tmp_path, {"files": {"a.ipynb": H1}})
    assert read_manifest(tmp_path) == ({"a.ipynb": H1}, {}, {})


@pytest.mark.parametrize("content,why", [
    (b"{not json", "damaged"),
    (b"\xff\xfe", "damaged"),
    (b"[]", "damaged"),
    (b"{}", "damaged"),
    ({"files": []}, "files is not a {path: sha256} table"),
    ({"files": {"a": 1}}, "files is not a {path: sha256} table"),
    ({"files": {"a": H1}, "notebooks": {"a": {"cells": H1}}}, "notebooks is not a"),
    ({"files": {"a": H1}, "beside": {"a": {"path": "b"}}}, "beside is not a"),
    ({"files": {"a": "f00d"}}, "'a' has no sha256"),
    ({"files": {"a": H1.upper()}}, "has no sha256"),
    ({"files": {"a": H1}, "notebooks": {"a": {"cells": H1, "view": 7}}}, "has no sha256"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
])
def test_a_damaged_manifest_says_so_and_how_to_recover(tmp_path, content, why):
    _write(tmp_path, content)
    with pytest.raises(ValueError) as ei:
        read_manifest(tmp_path)
    msg = str(ei.value)
    assert msg.startswith(str(tmp_path / MANIFEST)) and why in msg, msg
    assert "damaged" in msg and "move it away and build into a new --out" in msg


@pytest.mark.parametrize("rel", ["../outside.ipynb", "/etc/passwd", "a/../../b", MANIFEST, "a\\b", ""])
@pytest.mark.parametrize("table", ["files", "notebooks", "beside key", "beside path"])
def test_a_manifest_naming_a_path_outside_the_edition_is_refused(tmp_path, rel, table):
    man = {"files": {"ok.ipynb": H1}, "notebooks": {}, "beside": {}}
    if table == "files":
        man["files"][rel] = H1
    elif table == "notebooks":
        man["notebooks"][rel] = {"cells": H1, "view": H2}
    elif table == "beside key":
        man["beside"][rel] = {"path": "ok.ipynb", "course": H1}
    else:
        man["beside"]["ok.ipynb"] = {"path": rel, "course": H1}
    _write(tmp_path, man)
    with pytest.raises(ValueError, match="names a path that is not a file inside the edition"):
        read_manifest(tmp_path)


@pytest.mark.parametrize("path", [["x"], {"a": 1}])
def test_a_beside_path_of_the_wrong_type_is_damage_not_a_crash(tmp_path, path):
    _write(tmp_path, {"files": {"ok.ipynb": H1}, "beside": {"ok.ipynb": {"path": path, "course": H1}}})
    with pytest.raises(ValueError):
        read_manifest(tmp_path)


def test_a_manifest_that_is_not_a_small_regular_file_is_not_read(tmp_path):
    real = tmp_path / "real.json"
    real.write_text(json.dumps({"files": {"a": H1}}))
    cases = {}
    for kind in ("symlink", "fifo", "folder", "dangling"):
        out = tmp_path / kind
        out.mkdir()
        m = out / MANIFEST
        if kind == "symlink":
            m.symlink_to(real)
        elif kind == "fifo":
            os.mkfifo(m)                 # never opened for a blocking read: no hang
        elif kind == "folder":
            m.mkdir()
        else:
            m.symlink_to(tmp_path / "nowhere")
        with pytest.raises(ValueError) as ei:
            read_manifest(out)
        cases[kind] = str(ei.value)
    assert all("not a regular file" in msg for msg in cases.values()), cases
    big = tmp_path / "big"
    _write(big, b" " * (MAX_MANIFEST_BYTES + 1))
    with pytest.raises(ValueError, match=f"larger than {MAX_MANIFEST_BYTES} bytes"):
        read_manifest(big)
    ok = tmp_path / "ok"
    _write(ok, json.dumps({"files": {"a": H1}}).encode() + b" " * (MAX_MANIFEST_BYTES - 100))
    assert read_manifest(ok)[0] == {"a": H1}
