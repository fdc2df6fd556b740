"""optkit.doctor against fake cgroup trees, fake nvidia-smi scripts and a broken environment."""
import json
import os
import stat
import subprocess
import sys

import pytest

import optkit
from optkit import doctor, machine


def _tree(tmp_path, files: dict, proc_cgroup: str = "0::/\n"):
    root = tmp_path / "cgroup"
    root.mkdir()
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text(proc_cgroup)
    return str(root), str(proc)


def _script(tmp_path, name, body):
    p = tmp_path / name
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return str(p)


NO_GPU = "/nonexistent/nvidia-smi"


# ---------------------------------------------------------------- SMT and frequency governor

def _sys_cpu(tmp_path, cores, governor=None):
    """A fake /sys/devices/system/cpu: ``cores[i]`` is logical CPU i's core id."""
    root = tmp_path / "cpu"
    for i, core in enumerate(cores):
        topo = root / f"cpu{i}" / "topology"
        topo.mkdir(parents=True)
        (topo / "physical_package_id").write_text("0\n")
        (topo / "core_id").write_text(f"{core}\n")
        if governor:
            freq = root / f"cpu{i}" / "cpufreq"
            freq.mkdir()
            (freq / "scaling_governor").write_text(governor + "\n")
            (freq / "scaling_driver").write_text("intel_pstate\n")
    (root / "smt").mkdir()
    (root / "smt" / "active").write_text("1\n" if len(set(cores)) < len(cores) else "0\n")
    return str(root)


def test_smt_topology_counts_threads_per_core(tmp_path):
    two_way = _sys_cpu(tmp_path, [0, 0, 1, 1])
    t = machine.smt_topology(two_way, cpus=[0, 1, 2, 3])
    assert t["threads_per_core"] == 2 and t["cores"] == 2 and t["logical"] == 4
    assert t["smt_active"] is True
    # a process pinned to both threads of one core has one core's worth of execution units
    assert machine.smt_topology(two_way, cpus=[0, 1])["cores"] == 1


def test_governor_is_read_and_missing_cpufreq_is_unknown(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    g = machine.cpu_governor(_sys_cpu(tmp_path / "a", [0, 1], governor="powersave"), cpus=[0, 1])
    assert g["governors"] == {"powersave": [0, 1]} and g["driver"] == "intel_pstate"
    vm = machine.cpu_governor(_sys_cpu(tmp_path / "b", [0, 1]), cpus=[0, 1])
    assert machine.is_unknown(vm["governors"]) and "cpufreq" in vm["governors"]
    t = machine.smt_topology(str(tmp_path / "nowhere"), cpus=[0])
    assert machine.is_unknown(t["threads_per_core"])


# ---------------------------------------------------------------- cgroup CPU quota
def test_cgroup_v2_quota_gives_fractional_cpus(tmp_path):
    root, proc = _tree(tmp_path, {"cgroup.controllers": "cpu memory", "cpu.max": "150000 100000\n"})
    cg = machine.read_cgroup_cpu(root, proc)
    assert cg["cpus"] == pytest.approx(1.5)
    assert cg["version"] == 2 and cg["raw"] == "150000 100000"


def test_cgroup_v2_max_means_no_limit(tmp_path):
    root, proc = _tree(tmp_path, {"cpu.max": "max 100000"})
    cg = machine.read_cgroup_cpu(root, proc)
    assert cg["cpus"] is None and cg["raw"] == "max 100000" and cg["error"] is None


def test_cgroup_v2_limit_on_parent_is_found(tmp_path):
    root, proc = _tree(tmp_path, {"cpu.max": "max 100000", "kubepods/cpu.max": "50000 100000",
                                  "kubepods/pod1/cpu.max": "max 100000"}, "0::/kubepods/pod1\n")
    assert machine.read_cgroup_cpu(root, proc)["cpus"] == pytest.approx(0.5)


def test_cgroup_garbage_is_reported_not_fatal(tmp_path):
    root, proc = _tree(tmp_path, {"cpu.max": "lots of cpus please"})
    cg = machine.read_cgroup_cpu(root, proc)
    assert machine.is_unknown(cg["cpus"]) and "cannot parse" in cg["cpus"]
    d = doctor.collect(cgroup_root=root, proc_self_cgroup=proc, nvidia_smi=NO_GPU)
    assert machine.is_unknown(d["cpus"]["cgroup_quota_cpus"])
    assert d["cpus"]["usable"] >= 1
    assert any("cannot parse" in p["message"] for p in d["problems"])
    assert "cannot parse" in doctor.Report(d).text()


def test_cgroup_v1_quota_files(tmp_path):
    root, proc = _tree(tmp_path, {"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "250000\n",
                                  "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
                                  "memory/docker/abc/memory.limit_in_bytes": str(3 * 2**30)},
                       "5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n")
    cg = machine.read_cgroup_cpu(root, proc)
    assert cg["cpus"] == pytest.approx(2.5) and cg["version"] == 1
    assert "cpu.cfs_quota_us=250000" in cg["raw"]
    assert machine.read_cgroup_memory(root, proc)["bytes"] == 3 * 2**30


def test_cgroup_v1_minus_one_is_no_limit(tmp_path):
    root, proc = _tree(tmp_path, {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000",
                                  "memory/memory.limit_in_bytes": "9223372036854771712"},
                       "1:cpu:/\n4:memory:/\n")
    assert machine.read_cgroup_cpu(root, proc)["cpus"] is None
    assert machine.read_cgroup_memory(root, proc)["bytes"] is None


def test_memory_v2(tmp_path):
    root, proc = _tree(tmp_path, {"memory.max": "1073741824"})
    assert machine.read_cgroup_memory(root, proc)["bytes"] == 2**30
    (tmp_path / "b").mkdir()
    root2, proc2 = _tree(tmp_path / "b", {"memory.max": "max"})
    assert machine.read_cgroup_memory(root2, proc2)["bytes"] is None


def test_missing_cgroup_filesystem_is_unknown(tmp_path):
    d = doctor.collect(cgroup_root=str(tmp_path / "no-such-dir"), proc_self_cgroup=str(tmp_path / "nope"),
                       nvidia_smi=NO_GPU)
    assert machine.is_unknown(d["cpus"]["cgroup_quota_cpus"])
    assert "no cgroup file system" in d["cpus"]["cgroup_quota_cpus"]
    assert machine.is_unknown(d["memory"]["cgroup_limit_bytes"])
    assert d["cpus"]["usable"] >= 1


def test_quota_lowers_usable_cpus(tmp_path):
    root, proc = _tree(tmp_path, {"cpu.max": "50000 100000"})
    d = doctor.collect(cgroup_root=root, proc_self_cgroup=proc, nvidia_smi=NO_GPU)
    assert d["cpus"]["usable"] == 1          # half a CPU rounds up to one
    assert "export OMP_NUM_THREADS=1" in [r["setting"] for r in d["recommendations"]]


# ---------------------------------------------------------------- this machine
def test_usable_cpus_matches_affinity_and_loky():
    from joblib.externals.loky import cpu_count
    n = machine.usable_cpus()
    expected = min(len(os.sched_getaffinity(0)), cpu_count(), os.cpu_count())
    assert n == expected
    d = doctor.collect(nvidia_smi=NO_GPU)
    assert d["cpus"]["usable"] == n
    assert d["cpus"]["os_cpu_count"] == os.cpu_count()
    assert d["cpus"]["affinity"] == sorted(os.sched_getaffinity(0))


@pytest.mark.skipif(len(os.sched_getaffinity(0)) != 2, reason="the course machine has 2 CPUs")
def test_course_machine_reports_two_cpus():
    assert machine.usable_cpus() == 2


def test_module_is_callable_and_renders():
    rep = doctor.report(nvidia_smi=NO_GPU)
    assert isinstance(rep, doctor.Report)
    html = rep._repr_html_()
    for section in ("Python &amp; packages", "CPUs", "Memory", "Threads &amp; pools", "Compiler &amp; OpenMP",
                    "Native build", "GPU", "Problems &amp; advice", "Production-container checklist"):
        assert section in html
    text = rep.text()
    assert "usable CPUs" in text and "no GPU" in text and "numpy" in text
    assert "Production-container checklist" in rep.checklist()


def test_packages_and_thread_settings_present():
    d = doctor.collect(nvidia_smi=NO_GPU)
    import numpy
    assert d["packages"]["numpy"] == numpy.__version__
    assert set(d["threads"]["env"]) == set(machine.THREAD_ENV_VARS)
    assert isinstance(d["threads"]["cv2"], int) and isinstance(d["threads"]["numba"], int)
    pools = d["threads"]["pools"]
    assert any(p["internal_api"] == "openblas" for p in pools)
    assert all({"user_api", "internal_api", "num_threads", "filepath"} <= set(p) for p in pools)
    assert isinstance(d["native"], dict) and "openmp" in d["native"]


# ---------------------------------------------------------------- GPU
def test_no_nvidia_smi_means_no_gpu():
    g = machine.query_gpus(NO_GPU)
    assert g == {"present": False, "summary": "no GPU", "gpus": [], "error": f"{NO_GPU} not found"}


def test_fake_nvidia_smi_persistence_off_and_p8_get_advice(tmp_path):
    smi = _script(tmp_path, "nvidia-smi",
                  'echo "0, NVIDIA H100 80GB HBM3, 550.54.15, Disabled, P8, 81559, 1, 0, 345, 1980"\n')
    d = doctor.collect(nvidia_smi=smi)
    g = d["gpu"]
    assert g["present"] and g["gpus"][0]["persistence_mode"] == "Disabled" and g["gpus"][0]["pstate"] == "P8"
    assert "550.54.15" in g["summary"]
    gpu_problems = [p for p in d["problems"] if p["topic"] == "gpu"]
    assert any("persistence" in p["message"] and "nvidia-smi -pm 1" in p["advice"] for p in gpu_problems)
    assert any("P8" in p["message"] and "P0" in p["advice"] for p in gpu_problems)
    assert any("nvidia-smi -pm 1" in r["setting"] for r in d["recommendations"])
    assert any(i["item"].startswith("GPU persistence") and i["status"] == "fix" for i in d["checklist"])


def test_failing_or_odd_nvidia_smi_is_unknown(tmp_path):
    smi = _script(tmp_path, "nvidia-smi", 'echo "NVIDIA-SMI has failed: no driver" >&2\nexit 9\n')
    g = machine.query_gpus(smi)
    assert not g["present"] and machine.is_unknown(g["summary"]) and "exited 9" in g["summary"]
    smi2 = _script(tmp_path, "smi2", 'echo "what is this"\n')
    g2 = machine.query_gpus(smi2)
    assert not g2["present"] and machine.is_unknown(g2["error"])


# ---------------------------------------------------------------- compiler
def test_compiler_probe_works_here_and_is_cached():
    r = machine.probe_compiler()
    assert r["c_ok"] is True
    assert r["openmp_ok"] is True and r["openmp_threads"] >= 1
    assert machine.probe_compiler() == r


def test_compiler_probe_missing_and_broken_compiler(tmp_path):
    r = machine.probe_compiler(cc=str(tmp_path / "no-cc"))
    assert not r["c_ok"] and "no C compiler" in r["detail"]
    bad = _script(tmp_path, "badcc", 'echo "error: cannot compile" >&2\nexit 1\n')
    r2 = machine.probe_compiler(cc=bad)
    assert not r2["c_ok"] and not r2["openmp_ok"] and "compile failed" in r2["detail"]
    d = doctor.collect(cc=bad, nvidia_smi=NO_GPU)
    assert not d["ok"]
    assert any(p["topic"] == "compiler" and p["severity"] == "fail" for p in d["problems"])



def test_one_compiler_probe_for_doctor_cython_and_c_extension(monkeypatch):
    """doctor, the %%cython magics and %%c_extension ask the same function (machine.probe_compiler)
    about the same compiler and get the same answer: one program, one set of OpenMP flags."""
    from optkit import annotate, cext

    monkeypatch.delenv("OPTKIT_NO_OPENMP", raising=False)
    monkeypatch.delenv("OPTKIT_NO_COMPILER", raising=False)
    asked, real = [], machine.probe_compiler

    def spy(cc=None, **kw):
        asked.append(real(cc, **kw))
        return asked[-1]

    monkeypatch.setattr(machine, "probe_compiler", spy)
    doctor_says = doctor.collect(nvidia_smi=NO_GPU)["compiler"]
    c_extension = cext.openmp_flags()
    cython = annotate.compiler_status(refresh=True)
    assert len(asked) == 2, "%%c_extension and %%cython must each ask machine.probe_compiler"
    assert all(r == doctor_says for r in asked)           # the same compiler, the same cached answer
    assert doctor_says["openmp_ok"], "this machine's compiler has OpenMP (gcc -fopenmp)"
    f = doctor_says["openmp_flags"]
    assert c_extension == (f["compile"], f["link"])
    assert cython.has_openmp is (f["compile"] == ["-fopenmp"])

# ---------------------------------------------------------------- problems, --check, --json
def test_thread_env_above_usable_cpus_fails_check(monkeypatch, capsys):
    monkeypatch.setenv("OMP_NUM_THREADS", "64")
    assert doctor.main(["--check", "--nvidia-smi", NO_GPU]) == 1
    out = capsys.readouterr().out
    assert "OMP_NUM_THREADS=64" in out and "FAILED" in out
    assert f"export OMP_NUM_THREADS={machine.usable_cpus()}" in out


def test_good_environment_passes_check(monkeypatch, capsys):
    for var in machine.THREAD_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    assert doctor.main(["--check", "--nvidia-smi", NO_GPU]) == 0
    assert "check: ok" in capsys.readouterr().out


def test_invalid_thread_env_value_is_a_problem(monkeypatch):
    monkeypatch.setenv("NUMBA_NUM_THREADS", "lots")
    d = doctor.collect(nvidia_smi=NO_GPU)
    assert any("NUMBA_NUM_THREADS" in p["message"] and p["severity"] == "fail" for p in d["problems"])


def test_child_env_drops_openblas_goto_variable_too():
    # OpenBLAS also reads GOTO_NUM_THREADS: a child meant to show the defaults must not inherit it
    env = machine.env_without_thread_settings(environ={"GOTO_NUM_THREADS": "8", "OPENBLAS_NUM_THREADS": "8",
                                                       "PATH": "/bin"})
    assert env == {"PATH": "/bin"}
    capped = machine.env_without_thread_settings(threads=1, environ={"GOTO_NUM_THREADS": "8"})
    assert capped["GOTO_NUM_THREADS"] == "1" and capped["OPENBLAS_NUM_THREADS"] == "1"


def test_oversubscribed_pools_warn_and_fail_check(monkeypatch, capsys):
    import numba
    import threadpoolctl
    fake_pool = {"user_api": "blas", "internal_api": "openblas", "prefix": "libopenblas", "num_threads": 64,
                 "version": "0", "filepath": "/x/libopenblas.so"}
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: [fake_pool])
    monkeypatch.setattr(numba.config, "NUMBA_NUM_THREADS", 64)
    # once another test has started numba's threading layer, the doctor asks numba itself
    monkeypatch.setattr(numba, "get_num_threads", lambda: 64)
    for var in machine.THREAD_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    d = doctor.collect(nvidia_smi=NO_GPU)
    msgs = [p["message"] for p in d["problems"] if p["severity"] == "fail"]
    assert any("openblas" in m and "oversubscribed" in m for m in msgs)
    assert any(m.startswith("numba runs 64 threads") for m in msgs)
    assert any(i["status"] == "fix" and "pool" in i["item"] for i in d["checklist"])
    assert doctor.main(["--check", "--nvidia-smi", NO_GPU]) == 1


def test_native_missing_is_unknown_and_fails_check(monkeypatch):
    import importlib
    real = importlib.import_module

    def fake_import(name, *a, **k):
        if name == "optkit.native":
            raise ImportError("simulated: extension not built")
        return real(name, *a, **k)

    monkeypatch.setattr(doctor.importlib, "import_module", fake_import)
    d = doctor.collect(nvidia_smi=NO_GPU)
    assert d["native"].startswith("unknown: ImportError: simulated")
    assert not d["ok"]


def test_json_output_is_valid_json_only(capsys):
    assert doctor.main(["--json", "--nvidia-smi", NO_GPU]) == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("python", "packages", "cpus", "memory", "threads", "compiler", "native", "gpu",
                "problems", "recommendations", "checklist"):
        assert key in d
    assert d["cpus"]["usable"] == machine.usable_cpus()
    assert d["gpu"]["present"] is False and d["gpu"]["summary"] == "no GPU"


def test_cli_json_in_a_fresh_process():
    p = subprocess.run([sys.executable, "-m", "optkit.cli", "doctor", "--json"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["cpus"]["usable"] == machine.usable_cpus()
    if not os.path.exists("/usr/bin/nvidia-smi"):
        assert d["gpu"]["summary"] == "no GPU"


def test_collect_survives_a_section_that_raises(monkeypatch):
    monkeypatch.setattr(doctor, "memory_facts", lambda *a: 1 / 0)
    d = doctor.collect(nvidia_smi=NO_GPU)
    assert machine.is_unknown(d["memory"]["error"]) and "ZeroDivisionError" in d["memory"]["error"]
    assert "Memory" in doctor.Report(d).text()


def test_real_oversubscribed_openmp_pool_in_a_fresh_process():
    """OMP_NUM_THREADS=64 set before start: libgomp really sizes its pool to 64, and the doctor
    reads the pool before anything (torch, numba) resets it."""
    env = dict(os.environ, OMP_NUM_THREADS="64")
    p = subprocess.run([sys.executable, "-m", "optkit.cli", "doctor", "--check", "--json"], capture_output=True,
                       text=True, timeout=120, env=env)
    assert p.returncode == 1, p.stderr
    d = json.loads(p.stdout)
    assert d["threads"]["env"]["OMP_NUM_THREADS"] == "64"
    fails = [x["message"] for x in d["problems"] if x["severity"] == "fail"]
    assert any("OMP_NUM_THREADS=64" in m for m in fails)
    import optkit.native
    if optkit.native.build_info()["openmp"]:
        assert any(x["internal_api"] == "openmp" and x["num_threads"] == 64 for x in d["threads"]["pools"])
        assert any("openmp" in m and "oversubscribed" in m for m in fails)


def test_missing_helper_libraries_are_unknown_not_fatal(monkeypatch):
    for name in ("psutil", "threadpoolctl", "joblib", "joblib.externals.loky", "loky", "cv2"):
        monkeypatch.setitem(sys.modules, name, None)     # importing them now raises ImportError
    d = doctor.collect(nvidia_smi=NO_GPU)
    assert machine.is_unknown(d["memory"]["total_bytes"])
    assert machine.is_unknown(d["threads"]["pools"])
    assert machine.is_unknown(d["threads"]["cv2"])
    assert machine.is_unknown(d["cpus"]["loky_cpu_count"])
    assert d["cpus"]["usable"] == min(len(os.sched_getaffinity(0)), os.cpu_count())
    assert "unknown" in doctor.Report(d).text() and doctor.Report(d)._repr_html_()
    json.dumps(d)


def test_text_report_fits_a_notebook_beside_the_file_browser():
    """Every line of the text report (and of 05's container checklist) fits 100 characters,
    wrapped between words: the words of every value come through whole."""
    rep = doctor.report()
    text = rep.text()
    for t in (text, rep.checklist()):
        assert max(len(line) for line in t.splitlines()) <= doctor.TEXT_WIDTH
    words = text.split()
    for _, rows in doctor.sections(rep.data):
        for k, v in rows:
            for w in f"{k} {v}".split():
                assert w in words, (w, k, v)
    for line in rep.text(line_width=60).splitlines():     # narrower: only an unbreakable word sticks out
        assert len(line) <= 60 or len(line.split()) <= 2, line


def test_an_unrunnable_cc_gives_one_message_in_doctor_cython_and_c_extension(monkeypatch, tmp_path):
    """$CC is the compiler distutils builds with: when it does not run, the probe does not
    quietly test another compiler, and all three say the same thing."""
    from optkit import annotate, cext, machine

    monkeypatch.setenv("CC", "garbage-cc --flag")
    monkeypatch.setenv("OPTKIT_CACHE", str(tmp_path))
    want = "CC='garbage-cc --flag' is not a runnable compiler: fix or unset CC"
    assert machine.compiler_command() == (None, want)
    p = machine.probe_compiler(refresh=True)
    assert p["cc"] is None and not p["c_ok"] and p["detail"] == want
    st = annotate.compiler_status(refresh=True)
    assert not st.has_compiler and want in st.detail
    src = ('#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "badcc", 0, -1, 0};\n'
           'PyMODINIT_FUNC PyInit_badcc(void) { return PyModule_Create(&m); }\n')
    with pytest.raises(cext.CompileError) as ei:
        cext.compile_module(src, "badcc", force=True)
    assert want in ei.value.message and "install gcc" not in ei.value.message
    monkeypatch.delenv("CC")
    argv, why = machine.compiler_command()
    assert (argv is None) == bool(why)
    annotate.compiler_status(refresh=True)          # leave the cached answer of the real compiler
    machine.probe_compiler(refresh=True)


def test_problems_and_checklist_read_a_thread_variable_alike(monkeypatch):
    # OpenMP allows a comma list (one count per nesting level): both the problems and the
    # checklist read its first item, so --check and the checklist cannot disagree
    for var in machine.THREAD_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    assert doctor.env_thread_count("1,1") == 1 and doctor.env_thread_count(" 2 ") == 2
    assert doctor.env_thread_count("lots") is None and doctor.env_thread_count("") is None
    assert doctor.env_thread_count("1,1", "NUMBA_NUM_THREADS") is None     # one number only
    for value, bad in (("1,1", False), ("lots", True), ("0", True), (str(machine.usable_cpus() + 1), True)):
        monkeypatch.setenv("OMP_NUM_THREADS", value)
        d = doctor.collect(nvidia_smi=NO_GPU)
        problem = any("OMP_NUM_THREADS" in p["message"] and p["severity"] == "fail" for p in d["problems"])
        row = next(r for r in d["checklist"] if r["item"].startswith("thread env vars"))
        assert problem is bad, (value, d["problems"])
        assert (row["status"] == "fix") is bad, (value, row)
