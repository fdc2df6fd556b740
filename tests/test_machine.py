"""optkit.machine: the machine readers. cgroups, smt_topology/cpu_governor on a fake sysfs,
usable_cpus on this machine, query_gpus with a missing/failing/odd nvidia-smi, probe_compiler
and an unrunnable $CC are tested in tests/test_doctor.py (ptrace facts in tests/test_profilers.py);
here: the other readers and edges, each on faked input (no GPU, no network, no torch import)."""
from __future__ import annotations

import importlib.machinery
import importlib.metadata
import math
import os
import shutil
import sys
import types

import pytest

from optkit import machine
from optkit.fmt import is_unknown


# --------------------------------------------------------------------------- CPUs

@pytest.mark.parametrize("args,want", [
    ((8, [0, 1, 2, 3], 1.5, 8), 2),            # the quota, rounded up, is the smallest
    ((8, [0, 1, 2, 3], None, 8), 4),           # the affinity mask
    ((8, list(range(8)), 0.2, 8), 1),          # a fifth of a CPU is still one
    ((2, list(range(8)), 6.0, 16), 2),
    ((16, list(range(16)), None, 3), 3),       # loky's view
    ((None, "unknown: x", "unknown: y", "unknown: z"), 1),   # nothing known: one CPU
    ((0, [], 0.0, 0), 1), ((-4, [], -1.0, -2), 1),
])
def test_usable_from_takes_the_smallest_known_count(args, want):
    assert machine.usable_from(*args) == want


def test_affinity_and_its_failures(monkeypatch):
    assert machine.affinity() == sorted(os.sched_getaffinity(0))

    def denied(pid):
        raise PermissionError("not allowed")

    monkeypatch.setattr(os, "sched_getaffinity", denied)
    assert machine.affinity() == "unknown: not allowed"
    monkeypatch.delattr(os, "sched_getaffinity")
    assert machine.affinity() == "unknown: os.sched_getaffinity is not available on this platform"
    assert machine.usable_from(4, machine.affinity(), None, 4) == 4


def test_loky_cpu_count_and_without_joblib(monkeypatch):
    n = machine.loky_cpu_count()
    assert isinstance(n, int) and 1 <= n <= (os.cpu_count() or n)
    for name in ("joblib", "joblib.externals", "joblib.externals.loky", "loky"):
        monkeypatch.setitem(sys.modules, name, None)
    v = machine.loky_cpu_count()
    assert is_unknown(v) and "joblib/loky not importable" in v


@pytest.mark.parametrize("cpuinfo,want", [
    ("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n", "Intel(R) Xeon(R) CPU @ 2.20GHz"),
    ("processor : 0\nHardware : BCM2835\n", "BCM2835"),
    ("cpu model\t\t: Loongson-3A5000\n", "Loongson-3A5000"),
    ("Model Name : a: b : c\n", "a: b : c"),                 # only the first colon splits
])
def test_cpu_model_from_cpuinfo(monkeypatch, cpuinfo, want):
    monkeypatch.setattr(machine, "read_text", lambda p: (cpuinfo, None))
    assert machine.cpu_model() == want


def test_cpu_model_falls_back_to_platform_then_unknown(monkeypatch):
    monkeypatch.setattr(machine, "read_text", lambda p: (None, "/proc/cpuinfo does not exist"))
    monkeypatch.setattr(machine.platform, "processor", lambda: "")
    monkeypatch.setattr(machine.platform, "machine", lambda: "arm64")
    assert machine.cpu_model() == "arm64"
    monkeypatch.setattr(machine.platform, "machine", lambda: "")
    assert machine.cpu_model() == "unknown: /proc/cpuinfo does not exist"
    monkeypatch.setattr(machine, "read_text", lambda p: ("processor : 0\n", None))
    assert machine.cpu_model() == "unknown: no model name"


def test_cpu_model_of_an_odd_cpuinfo_never_raises(monkeypatch):
    monkeypatch.setattr(machine, "read_text", lambda p: ("model name\nprocessor : 0\n", None))
    assert isinstance(machine.cpu_model(), str)


def _cpu_tree(root, cores, governors=None, smt=None):
    for i, core in enumerate(cores):
        topo = root / f"cpu{i}" / "topology"
        topo.mkdir(parents=True)
        (topo / "physical_package_id").write_text("0\n")
        if core is not None:
            (topo / "core_id").write_text(f"{core}\n")
        if governors and governors[i]:
            (root / f"cpu{i}" / "cpufreq").mkdir()
            (root / f"cpu{i}" / "cpufreq" / "scaling_governor").write_text(governors[i] + "\n")
    if smt is not None:
        (root / "smt").mkdir()
        (root / "smt" / "active").write_text(smt)
    return root


def test_smt_topology_edges(tmp_path):
    flat = _cpu_tree(tmp_path / "a", [0, 1, 2, 3])                 # no smt/active file
    t = machine.smt_topology(flat, cpus=[0, 1, 2, 3])
    assert (t["threads_per_core"], t["cores"], t["smt_active"], t["error"]) == (1, 4, None, None)
    holed = _cpu_tree(tmp_path / "b", [0, None], smt="0\n")         # cpu1 has no core_id
    t = machine.smt_topology(str(holed), cpus=[0, 1])
    assert is_unknown(t["threads_per_core"]) and "core_id" in t["error"] and t["smt_active"] is False
    assert t["logical"] == 2
    none = machine.smt_topology(flat, cpus=[])
    assert none["threads_per_core"] == "unknown: no CPUs" and none["logical"] == 0
    odd = _cpu_tree(tmp_path / "c", [0, 0], smt="forced\n")
    assert machine.smt_topology(odd, cpus=[0, 1])["smt_active"] is None


def test_cpu_governor_mixed_and_partly_missing(tmp_path):
    root = _cpu_tree(tmp_path, [0, 1, 2], governors=["performance", None, "powersave"])
    g = machine.cpu_governor(root, cpus=[0, 1, 2])
    assert g["governors"] == {"performance": [0], "powersave": [2]}
    assert g["driver"] is None and g["error"] is None                # no scaling_driver file
    assert machine.cpu_governor(root, cpus=[])["governors"] == "unknown: no CPUs"
    missing = machine.cpu_governor(root, cpus=[1])
    assert is_unknown(missing["governors"]) and "scaling_governor does not exist" in missing["governors"]


# --------------------------------------------------------------------------- packages

def test_importable_does_not_import(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "optkit_t_probe_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert machine.importable("optkit_t_probe_mod") and not marker.exists()
    assert machine.importable("json") and machine.importable("optkit.fmt")
    assert not machine.importable("optkit_t_no_such_module")
    assert not machine.importable("optkit.no_such_part") and not machine.importable("no_pkg.sub")
    monkeypatch.setitem(sys.modules, "optkit_t_blocked", None)      # how tests make a module missing
    assert not machine.importable("optkit_t_blocked")
    assert not machine.importable("")


def test_dist_version_by_import_name(monkeypatch):
    import numpy

    assert machine.dist_version("numpy") == numpy.__version__
    assert machine.dist_version("optkit_t_not_a_distribution") is None
    asked = []

    def version(dist):
        asked.append(dist)
        if dist == "opencv-contrib-python":
            return "4.0-alt"
        raise importlib.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(importlib.metadata, "version", version)
    assert machine.dist_version("cv2") == "4.0-alt"                  # another distribution of cv2
    assert asked == ["opencv-python-headless", "opencv-python", "opencv-contrib-python"]

    def broken(dist):
        raise OSError("METADATA unreadable")

    monkeypatch.setattr(importlib.metadata, "version", broken)
    assert machine.dist_version("numpy") == "unknown: METADATA unreadable"


def test_package_versions_names_every_package_and_optkit(monkeypatch):
    import optkit

    v = machine.package_versions()
    assert set(v) == set(machine.PACKAGES) | {"optkit"}
    assert v["optkit"] == optkit.__version__ and all(isinstance(x, str) for x in v.values())
    monkeypatch.setattr(machine, "dist_version", lambda name: None)
    v = machine.package_versions()
    assert v["numpy"] == "unknown: importable but no package metadata"
    monkeypatch.setitem(sys.modules, "psutil", None)
    monkeypatch.setattr(machine.importlib.util, "find_spec",
                        lambda name: None if name == "psutil" else importlib.machinery.ModuleSpec(name, None))
    assert machine.package_versions()["psutil"] == "not installed"


# --------------------------------------------------------------------------- compiler

def test_openmp_flag_candidates():
    assert machine.openmp_flag_candidates() == [(["-fopenmp"], ["-fopenmp"]),
                                                (["-Xpreprocessor", "-fopenmp"], ["-lomp"])]
    assert machine.openmp_flag_candidates("gcc") == machine.openmp_flag_candidates()
    assert machine.openmp_flag_candidates("cl.exe") == [(["/openmp"], [])]
    assert machine.openmp_flag_candidates("/opt/msvc/CL") == [(["/openmp"], [])]
    assert machine.openmp_flag_candidates("/usr/bin/clang")[0] == (["-fopenmp"], ["-fopenmp"])


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_cc_with_flags_and_with_bad_quoting(monkeypatch):
    monkeypatch.setenv("CC", "gcc -O2 -pthread")
    assert machine.compiler_command() == ([shutil.which("gcc"), "-O2", "-pthread"], "")
    monkeypatch.setenv("CC", 'gcc "-O2')
    argv, why = machine.compiler_command()
    assert argv is None and why == "CC='gcc \"-O2' is not a runnable compiler: fix or unset CC"
    monkeypatch.setenv("CC", "   ")                               # blank: as if unset
    argv, why = machine.compiler_command()
    assert argv and why == ""


def test_no_compiler_anywhere(monkeypatch):
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setattr(machine.shutil, "which", lambda name: None)
    assert machine.compiler_command() == (None, "no C compiler found (CC, cc, gcc, clang)")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_probe_answers_are_shared_per_executable_and_copied(monkeypatch):
    monkeypatch.delenv("CC", raising=False)
    machine.probe_compiler(cc="gcc")                       # the answer is cached from here on
    a = machine.probe_compiler(cc="gcc")
    b = machine.probe_compiler(cc=shutil.which("gcc"))
    assert a == b and a is not b and a["cc"] == shutil.which("gcc")
    a["openmp_ok"] = "changed by a caller"
    assert machine.probe_compiler(cc="gcc")["openmp_ok"] in (True, False)
    flags = machine.openmp_flags("gcc")
    if b["openmp_ok"]:
        assert flags == (b["openmp_flags"]["compile"], b["openmp_flags"]["link"])
        flags[0].append("-changed")
        assert "-changed" not in machine.openmp_flags("gcc")[0]
    else:
        assert flags is None


def test_openmp_flags_none_without_openmp(monkeypatch):
    monkeypatch.setattr(machine, "probe_compiler", lambda cc=None: {"openmp_ok": False, "openmp_flags": None})
    assert machine.openmp_flags() is None


# --------------------------------------------------------------------------- GPU and torch

def _smi(tmp_path, body):
    p = tmp_path / "fake-smi"
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return str(p)


def test_query_gpus_two_gpus_blank_lines_and_no_gpus(tmp_path):
    two = _smi(tmp_path, 'echo "0, GPU A, 550.1, Enabled, P0, 100, 1, 0, 1, 2"\necho ""\n'
                         'echo "1, GPU B, 550.1, Enabled, P0, 100, 1, 0, 1, 2"\n')
    g = machine.query_gpus(two)
    assert g["present"] and g["summary"] == "2 x GPU A, GPU B (driver 550.1)" and g["error"] is None
    assert [x["index"] for x in g["gpus"]] == ["0", "1"] and set(g["gpus"][0]) == set(machine.GPU_FIELDS)
    empty = machine.query_gpus(_smi(tmp_path, "exit 0\n"))
    assert not empty["present"] and empty["summary"] == "no GPU" and empty["error"] == "nvidia-smi lists no GPU"
    assert machine.query_gpus("")["error"] == "nvidia-smi not found"
    assert machine.query_gpus(None)["error"] == "nvidia-smi not found"


def test_query_gpus_hanging_smi_times_out(tmp_path):
    g = machine.query_gpus(_smi(tmp_path, "exec sleep 0.4\n"), timeout=0.05)
    assert not g["present"] and is_unknown(g["summary"]) and "nvidia-smi failed" in g["summary"]
    assert g["error"] == g["summary"] and g["gpus"] == []


def test_torch_readers_without_torch(monkeypatch):
    monkeypatch.setattr(machine, "importable", lambda name: False if name == "torch" else True)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert machine.torch_module() is None and machine.gpu_available() is False
    assert machine.torch_cuda() == "torch not imported"
    monkeypatch.setitem(sys.modules, "torch", None)          # how the tests block an import
    assert machine.gpu_available() is False


def test_torch_module_is_none_when_torch_is_blocked(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    assert machine.torch_module() is None


def _fake_torch(available):
    def is_available():
        if isinstance(available, Exception):
            raise available
        return available
    return types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=is_available))


def test_torch_readers_with_a_fake_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(True))
    assert machine.torch_cuda() is True and machine.gpu_available() is True
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(False))
    assert machine.torch_cuda() is False and machine.gpu_available() is False
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(RuntimeError("driver too old")))
    assert machine.torch_cuda() == "unknown: driver too old" and machine.gpu_available() is False


# --------------------------------------------------------------------------- the rest

def test_env_without_thread_settings_extra_and_no_mutation(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    env = machine.env_without_thread_settings(threads=2, extra={"NUMBA_NUM_THREADS": "1", "X": "y"})
    assert env["OMP_NUM_THREADS"] == "2" and env["NUMBA_NUM_THREADS"] == "1" and env["X"] == "y"
    assert os.environ["OMP_NUM_THREADS"] == "5" and os.environ.get("X") != "y"
    assert machine.env_without_thread_settings(threads="3", environ={})["MKL_NUM_THREADS"] == "3"
    with pytest.raises(ValueError):
        machine.env_without_thread_settings(threads="many", environ={})


def test_machine_busy_s(monkeypatch):
    a = machine.machine_busy_s()
    sum(i * i for i in range(300_000))
    b = machine.machine_busy_s()
    assert math.isfinite(a) and 0 < a <= b
    monkeypatch.setitem(sys.modules, "psutil", None)
    assert math.isnan(machine.machine_busy_s())


def test_readers_never_change_the_thread_environment():
    before = {k: os.environ.get(k) for k in machine.THREAD_ENV_VARS}
    machine.cpu_model(), machine.usable_cpus(), machine.package_versions(), machine.smt_topology()
    machine.cpu_governor(), machine.affinity()
    assert {k: os.environ.get(k) for k in machine.THREAD_ENV_VARS} == before


def test_env_build_flags_are_shlex_split(monkeypatch):
    env = {"CPPFLAGS": "-I'/opt/my libomp/include' -DX=1", "CFLAGS": "-O1", "LDFLAGS": "-L/opt/lib -lomp"}
    assert machine.env_build_flags(env) == (["-I/opt/my libomp/include", "-DX=1", "-O1"], ["-L/opt/lib", "-lomp"])
    assert machine.env_build_flags({}) == ([], [])


@pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("ar") is None, reason="needs gcc and ar")
def test_probe_compiler_passes_cppflags_and_ldflags_through(monkeypatch, tmp_path):
    """E43: a compiler run by hand reads no CPPFLAGS/LDFLAGS, so the probe passes them: a header
    found only through CPPFLAGS' -I, a library only through LDFLAGS' -L (Homebrew's keg-only
    libomp on macOS is found that way). Each setting gets its own cached answer."""
    import subprocess

    inc, lib = tmp_path / "inc", tmp_path / "lib"
    inc.mkdir()
    lib.mkdir()
    (inc / "onlyhere.h").write_text("#define ONLY_HERE 1\n")
    (tmp_path / "foo.c").write_text("int optkit_test_foo(void) { return 0; }\n")
    subprocess.run(["gcc", "-c", str(tmp_path / "foo.c"), "-o", str(tmp_path / "foo.o")], check=True)
    subprocess.run(["ar", "rcs", str(lib / "liboptkitfoo.a"), str(tmp_path / "foo.o")], check=True)
    for name in ("CPPFLAGS", "CFLAGS", "LDFLAGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CPPFLAGS", "-include onlyhere.h")              # not found: no -I
    assert not machine.probe_compiler(cc="gcc", refresh=True)["c_ok"]
    monkeypatch.setenv("CPPFLAGS", f"-I{inc} -include onlyhere.h")
    assert machine.probe_compiler(cc="gcc")["c_ok"]
    monkeypatch.delenv("CPPFLAGS")
    monkeypatch.setenv("LDFLAGS", "-loptkitfoo")                       # not found: no -L
    assert not machine.probe_compiler(cc="gcc", refresh=True)["c_ok"]
    monkeypatch.setenv("LDFLAGS", f"-L{lib} -loptkitfoo")
    assert machine.probe_compiler(cc="gcc", refresh=True)["c_ok"]
