# Basic cgroup cases (v2 quota/max/parent, garbage, v1 quota/-1, memory.max, no cgroup fs) are in
# tests/test_doctor.py; cgroup_files, transparent_hugepage_mode and page_size in tests/lessons/test_beyond_code.py.
"""optkit.sysfs on fake /proc and /sys trees in tmp_path: files that are folders, broken
symlinks, bytes that are not text; the membership parser; paths that try to climb out of the
cgroup root; the tightest of several limits; a limit unreadable at one level and set at another."""
import mmap
import os

import pytest

from optkit import sysfs
from optkit.fmt import is_unknown


def tree(tmp_path, files, proc="0::/\n", name="cgroup"):
    root = tmp_path / name
    root.mkdir()
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            f.mkdir()                            # a folder where a file should be
        else:
            f.write_text(text)
    p = tmp_path / "proc_self_cgroup"
    p.write_text(proc)
    return root, p


# --------------------------------------------------------------------------- read_text

def test_read_text_strips_and_follows_a_symlink(tmp_path):
    (tmp_path / "real").write_text("  150000 100000\n\n")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert sysfs.read_text(tmp_path / "real") == ("150000 100000", None)
    assert sysfs.read_text(str(tmp_path / "link")) == ("150000 100000", None)


def test_read_text_says_why_it_could_not_read(tmp_path):
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    (tmp_path / "folder").mkdir()
    (tmp_path / "binary").write_bytes(b"\xff\xfe\x00\x81 not text")
    text, why = sysfs.read_text(tmp_path / "missing")
    assert text is None and why == f"{tmp_path / 'missing'} does not exist"
    assert sysfs.read_text(tmp_path / "dangling") == (None, f"{tmp_path / 'dangling'} does not exist")
    text, why = sysfs.read_text(tmp_path / "folder")
    assert text is None and why.startswith(f"cannot read {tmp_path / 'folder'}: ") and "directory" in why
    text, why = sysfs.read_text(tmp_path / "binary")
    assert text is None and why.startswith(f"cannot read {tmp_path / 'binary'}: ")


# --------------------------------------------------------------------------- /proc/self/cgroup

def test_parse_proc_cgroup_v2_v1_hybrid_and_garbage():
    assert sysfs.parse_proc_cgroup("") == {"v2": None, "v1": {}}
    assert sysfs.parse_proc_cgroup("0::/user.slice/app\n") == {"v2": "/user.slice/app", "v1": {}}
    assert sysfs.parse_proc_cgroup("0::\n")["v2"] == "/"
    hybrid = sysfs.parse_proc_cgroup("12:cpu,cpuacct:/docker/abc\n11:memory:/docker/abc\n"
                                     "1:name=systemd:/init.scope\n0::/init.scope\n"
                                     "not a line\n\n3:cpuset:\n")
    assert hybrid["v2"] == "/init.scope"
    assert hybrid["v1"] == {"cpu": "/docker/abc", "cpuacct": "/docker/abc", "memory": "/docker/abc",
                            "name=systemd": "/init.scope", "cpuset": "/"}


def test_a_cgroup_path_with_colons_is_kept_whole():
    assert sysfs.parse_proc_cgroup("0::/pod:1/c:2\n")["v2"] == "/pod:1/c:2"


def test_cgroup_ancestors_walk_up_to_the_root_and_never_above(tmp_path):
    r = tmp_path
    assert sysfs.cgroup_ancestors(r, "/a/b") == [r / "a" / "b", r / "a", r]
    assert sysfs.cgroup_ancestors(r, "/") == [r] == sysfs.cgroup_ancestors(r, "")
    assert sysfs.cgroup_ancestors(r, None) == [r]
    climbing = sysfs.cgroup_ancestors(r, "/../../etc/..")
    assert climbing == [r / "etc", r] and all(d == r or r in d.parents for d in climbing)


def test_v1_dirs_find_alone_and_co_mounted_controllers_and_the_container_root(tmp_path):
    root = tmp_path / "cg"
    for d in ("cpu,cpuacct/docker/abc", "cpuset", "memory"):
        (root / d).mkdir(parents=True)
    member = sysfs.parse_proc_cgroup("4:cpu,cpuacct:/docker/abc\n3:cpuset:/\n")
    cpu = sysfs.cgroup_v1_dirs(root, "cpu", member)
    m = root / "cpu,cpuacct"
    assert cpu == [m / "docker" / "abc", m / "docker", m]
    assert sysfs.cgroup_v1_dirs(root, "cpuset", member) == [root / "cpuset"]     # not cpu's
    # the host path of /proc/self/cgroup is not mounted in a container: the mount root is last
    inside = sysfs.cgroup_v1_dirs(root, "memory", sysfs.parse_proc_cgroup("5:memory:/host/path\n"))
    assert inside[-1] == root / "memory" and len(inside) == len(set(inside))
    assert sysfs.cgroup_v1_dirs(root, "blkio", member) == []
    assert sysfs.cgroup_v1_dirs(tmp_path / "none", "cpu", member) == []


# --------------------------------------------------------------------------- CPU quota

def test_the_tightest_cpu_limit_wins_wherever_it_sits(tmp_path):
    root, proc = tree(tmp_path, {"cpu.max": "max 100000", "k/cpu.max": "400000 100000",
                                 "k/pod/cpu.max": "150000 100000"}, "0::/k/pod\n")
    cg = sysfs.read_cgroup_cpu(root, proc)
    assert cg["cpus"] == pytest.approx(1.5) and cg["file"] == str(root / "k" / "pod" / "cpu.max")
    assert cg["error"] is None and cg["version"] == 2


def test_cpu_max_with_only_a_quota_uses_the_default_period(tmp_path):
    root, proc = tree(tmp_path, {"cpu.max": "50000"})
    assert sysfs.read_cgroup_cpu(root, proc)["cpus"] == pytest.approx(0.5)


@pytest.mark.parametrize("raw", ["0 100000", "-5 100000", "50000 0", "1 2 3", "", "max abc"])
def test_a_cpu_max_that_makes_no_sense_is_unknown_with_the_file(tmp_path, raw):
    root, proc = tree(tmp_path, {"cpu.max": raw})
    cg = sysfs.read_cgroup_cpu(root, proc)
    assert is_unknown(cg["cpus"]) and "cannot parse" in cg["cpus"] and "cpu.max" in cg["cpus"]
    assert is_unknown(cg["error"])


def test_a_bad_file_at_one_level_does_not_hide_a_limit_at_another(tmp_path):
    root, proc = tree(tmp_path, {"cpu.max": "200000 100000", "app/cpu.max": "garbage"}, "0::/app\n")
    cg = sysfs.read_cgroup_cpu(root, proc)
    assert cg["cpus"] == pytest.approx(2.0)
    assert is_unknown(cg["error"]) and "cannot parse 'garbage'" in cg["error"]


def test_an_unreadable_cpu_max_is_reported_not_fatal(tmp_path):
    root, proc = tree(tmp_path, {"cpu.max": None})
    cg = sysfs.read_cgroup_cpu(root, proc)
    assert is_unknown(cg["cpus"]) and "cannot read" in cg["cpus"]


def test_v1_quota_zero_or_a_missing_period_is_an_error(tmp_path):
    root, proc = tree(tmp_path, {"cpu/cpu.cfs_quota_us": "0", "cpu/cpu.cfs_period_us": "100000"}, "2:cpu:/\n")
    cg = sysfs.read_cgroup_cpu(root, proc)
    assert is_unknown(cg["cpus"]) and "cannot parse" in cg["cpus"] and cg["version"] == 1
    (tmp_path / "b").mkdir()
    root, proc = tree(tmp_path / "b", {"cpu/cpu.cfs_quota_us": "50000"}, "2:cpu:/\n")
    cg = sysfs.read_cgroup_cpu(root, proc)
    assert is_unknown(cg["cpus"]) and "cpu.cfs_period_us does not exist" in cg["cpus"]


def test_v1_quota_in_a_container_is_read_at_the_mount_root(tmp_path):
    root, proc = tree(tmp_path, {"cpu,cpuacct/cpu.cfs_quota_us": "150000", "cpu,cpuacct/cpu.cfs_period_us": "100000"},
                      "4:cpu,cpuacct:/docker/0123abcd\n")
    cg = sysfs.read_cgroup_cpu(root, proc)
    assert cg["cpus"] == pytest.approx(1.5) and cg["version"] == 1


def test_no_quota_file_says_where_it_looked(tmp_path):
    root, _ = tree(tmp_path, {"cgroup.procs": "1"})
    cg = sysfs.read_cgroup_cpu(root, tmp_path / "no_proc_file")
    assert is_unknown(cg["cpus"]) and f"no cpu.max or cpu.cfs_quota_us under {root}" in cg["cpus"]
    assert "no_proc_file does not exist" in cg["error"]            # why the membership is unknown


def test_a_korean_folder_name_is_read_and_named(tmp_path):
    root, proc = tree(tmp_path, {"작업/cpu.max": "100000 100000"}, "0::/작업\n", name="그룹")
    assert sysfs.read_cgroup_cpu(root, proc)["cpus"] == pytest.approx(1.0)
    gone = sysfs.read_cgroup_cpu(tmp_path / "없음", proc)
    assert is_unknown(gone["cpus"]) and "없음" in gone["cpus"]


# --------------------------------------------------------------------------- memory limit

def test_the_tightest_memory_limit_wins_v1_or_v2(tmp_path):
    root, proc = tree(tmp_path, {"memory.max": str(8 * 2**30), "a/memory.max": "max",
                                 "memory/memory.limit_in_bytes": str(2 * 2**30)}, "0::/a\n4:memory:/\n")
    m = sysfs.read_cgroup_memory(root, proc)
    assert m["bytes"] == 2 * 2**30 and m["version"] == 1
    assert m["file"] == str(root / "memory" / "memory.limit_in_bytes")


def test_memory_garbage_is_skipped_and_alone_is_unknown(tmp_path):
    root, proc = tree(tmp_path, {"memory.max": "lots", "a/memory.max": str(2**30)}, "0::/a\n")
    assert sysfs.read_cgroup_memory(root, proc)["bytes"] == 2**30
    (tmp_path / "b").mkdir()
    root, proc = tree(tmp_path / "b", {"memory.max": "lots"})
    m = sysfs.read_cgroup_memory(root, proc)
    assert is_unknown(m["bytes"]) and "cannot parse 'lots'" in m["bytes"]
    (tmp_path / "c").mkdir()
    root, proc = tree(tmp_path / "c", {"memory.max": None})
    assert "cannot read" in sysfs.read_cgroup_memory(root, proc)["bytes"]
    assert "no cgroup file system" in sysfs.read_cgroup_memory(tmp_path / "nope", proc)["bytes"]


def test_memory_near_two_to_the_63_means_no_limit(tmp_path):
    root, proc = tree(tmp_path, {"memory/memory.limit_in_bytes": str(2**63 - 4096)}, "4:memory:/\n")
    m = sysfs.read_cgroup_memory(root, proc)
    assert m["bytes"] is None and m["raw"] == str(2**63 - 4096)


# --------------------------------------------------------------------------- files, THP, page size

def test_cgroup_files_report_unreadable_ones_and_the_v1_files(tmp_path):
    root, proc = tree(tmp_path, {"memory.max": None, "cpu.max": "max 100000",
                                 "cpu/cpu.cfs_quota_us": "-1", "memory/memory.usage_in_bytes": "123"},
                      "0::/\n3:cpu:/\n4:memory:/\n")
    files = sysfs.cgroup_files(root, proc)
    assert files[str(proc)] == "0::/\n3:cpu:/\n4:memory:/"
    assert files[str(root / "cpu.max")] == "max 100000"
    assert is_unknown(files[str(root / "memory.max")]) and "cannot read" in files[str(root / "memory.max")]
    assert files[str(root / "cpu" / "cpu.cfs_quota_us")] == "-1"
    assert files[str(root / "memory" / "memory.usage_in_bytes")] == "123"
    assert str(root / "cpu.weight") not in files                    # missing files are left out


def test_thp_mode_of_empty_brackets_or_a_folder_is_unknown(tmp_path):
    f = tmp_path / "enabled"
    f.write_text("always [] never")
    assert is_unknown(sysfs.transparent_hugepage_mode(f))
    assert sysfs.transparent_hugepage_mode(tmp_path).startswith("unknown: cannot read")


def test_page_size_falls_back_to_mmap_without_sysconf(monkeypatch):
    def no_sysconf(name):
        raise ValueError("unrecognized configuration name")

    monkeypatch.setattr(os, "sysconf", no_sysconf)
    assert sysfs.page_size() == mmap.PAGESIZE
    monkeypatch.delattr(os, "sysconf")
    assert sysfs.page_size() == mmap.PAGESIZE
