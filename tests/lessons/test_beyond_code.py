"""optkit.lessons.beyond_code: the measurement helpers behind notebook 05 (small sizes: these are quick)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from optkit import machine, plot
from optkit.lessons import beyond_code as system
from optkit.lessons import beyond_code_gpu as gpu

ALLOWED = sorted(os.sched_getaffinity(0))
HAS_TORCH = system.torch_module() is not None


# ---------------------------------------------------------------- CPUs
def test_cpu_view_agrees_with_os():
    v = system.cpu_view()
    assert v["os.cpu_count()"] == os.cpu_count()
    assert v["affinity"] == ALLOWED
    assert 1 <= v["usable"] <= len(ALLOWED)


def test_cgroup_files_reads_fake_tree(tmp_path):
    root = tmp_path / "cg"
    (root / "app").mkdir(parents=True)
    (root / "app" / "cpu.max").write_text("200000 100000\n")
    (root / "memory.max").write_text("max\n")
    proc = tmp_path / "cgroup"
    proc.write_text("0::/app\n")
    files = system.cgroup_files(str(root), str(proc))
    assert files[str(root / "app" / "cpu.max")] == "200000 100000"
    assert files[str(root / "memory.max")] == "max"
    missing = system.cgroup_files(str(tmp_path / "none"), str(tmp_path / "none2"))
    assert all(v.startswith("unknown") for v in missing.values())


def test_child_with_one_cpu_sees_one_cpu():
    cpu = ALLOWED[-1]
    v = system.child_view(affinity={cpu}, n=64, repeat=2)
    assert v["affinity"] == [cpu]
    assert v["os.cpu_count()"] == os.cpu_count()       # the OS count does not change
    assert v["loky cpu_count()"] == 1
    assert all(p["num_threads"] == 1 for p in v["pools"] if p["internal_api"] == "openblas")
    assert v["matmul_s"] > 0 and v["matmul_n"] == 64
    # every timed product comes back, and matmul_s is their median
    import statistics
    assert len(v["matmul_samples_s"]) == 2 and all(t > 0 for t in v["matmul_samples_s"])
    assert v["matmul_s"] == pytest.approx(statistics.median(v["matmul_samples_s"]))
    # other programs' CPU while it timed: cores' worth, never more than the machine has
    assert v["other_cpu_use"] is None or 0 <= v["other_cpu_use"] <= (os.cpu_count() or 1) + 0.5


def _cell_05(cell_id):
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parents[2] / "notebooks" / "05_beyond_code.ipynb").read_text())
    return next("".join(c["source"]) for c in nb["cells"] if c["id"] == cell_id)


def _child(samples, openblas_threads=1):
    import statistics
    return {"affinity": ALLOWED[:2] or [0, 1], "matmul_s": statistics.median(samples),
            "matmul_samples_s": samples, "other_cpu_use": 0.0,
            "pools": [{"internal_api": "openblas", "num_threads": openblas_threads}]}


def _blas_threads_05():
    """The notebook's own ``blas_threads`` (defined in cell 7bd46224, used by e48cb3af)."""
    import ast
    tree = ast.parse(_cell_05("7bd46224"))
    ns = {}
    exec(compile(ast.Module([n for n in tree.body if isinstance(n, ast.FunctionDef)
                             and n.name == "blas_threads"], []), "05 7bd46224", "exec"), ns)
    return ns["blas_threads"]


def test_05_affinity_verdict_judges_the_samples(capsys):
    """Cell e48cb3af names a cause only when the two children's samples are clearly apart: medians
    x1.5 apart whose spreads overlap are 'no clear difference'; tight samples x1.5 apart are not."""
    src = _cell_05("e48cb3af")
    ns = {"os": os, "blas_threads": _blas_threads_05()}
    wide_full, wide_one = [1.0, 0.4, 1.6, 0.5, 1.5], [1.5, 0.6, 2.4, 0.7, 2.3]
    exec(src, {**ns, "children": {"all": _child(wide_full, 2), "one": _child(wide_one)}})
    assert "no clear difference" in capsys.readouterr().out
    tight_full, tight_one = [1.0, 1.01, 0.99, 1.0, 1.0], [1.5, 1.51, 1.49, 1.5, 1.5]
    exec(src, {**ns, "children": {"all": _child(tight_full, 2), "one": _child(tight_one)}})
    out = capsys.readouterr().out
    assert "no clear difference" not in out and "fewer CPUs" in out and "median of 5 timed products" in out
    assert "(1 against 2)" in out
    # the same pool in both (one thread each): the CPU count cannot explain it
    exec(src, {**ns, "children": {"all": _child(tight_full), "one": _child(tight_one)}})
    assert "cannot explain" in capsys.readouterr().out.replace("\n    ", " ")
    # a pool the restricted child kept at full size took turns on its one CPU
    exec(src, {**ns, "children": {"all": _child(tight_full, 2), "one": _child(tight_one, 2)}})
    assert "took turns on its one CPU" in capsys.readouterr().out.replace("\n    ", " ")


def test_child_view_rejects_bad_affinity():
    with pytest.raises(ValueError, match="subset"):
        system.child_view(affinity={max(ALLOWED) + 1000})
    with pytest.raises(ValueError):
        system.child_view(affinity=set())


def test_child_view_says_when_the_platform_cannot_restrict_affinity(monkeypatch):
    monkeypatch.delattr(os, "sched_setaffinity")        # as on macOS
    with pytest.raises(NotImplementedError, match="sched_setaffinity"):
        system.child_view(affinity={ALLOWED[0]})


def test_env_var_only_works_before_the_pool_starts():
    r = system.env_before_vs_after("OPENBLAS_NUM_THREADS", 1)
    blas = lambda v: [p["num_threads"] for p in v["pools"] if p["internal_api"] == "openblas"]  # noqa: E731
    assert blas(r["set before start"]) == [1]
    default = blas(system.child_view(n=0, libs=("numpy",)))
    assert blas(r["set after start"]) == default
    assert r["set after start"]["env"]["OPENBLAS_NUM_THREADS"] == "1"   # set, but too late


def test_import_steps_lists_pools_per_import():
    steps = system.import_steps(("numpy", "no_such_module_xyz", "optkit.native"))
    names = [name for name, _ in steps]
    assert names == ["numpy", "optkit.native"]          # missing modules are skipped
    numpy_pools = {p["internal_api"] for p in steps[0][1]}
    assert "openblas" in numpy_pools
    assert len(steps[1][1]) >= len(steps[0][1])
    import optkit.native
    if optkit.native.build_info()["openmp"]:
        assert any(p["user_api"] == "openmp" for p in steps[1][1])


# ---------------------------------------------------------------- oversubscription
def test_threads_per_worker():
    assert system.threads_per_worker(1, cpus=8) == 8
    assert system.threads_per_worker(3, cpus=8) == 2
    assert system.threads_per_worker(16, cpus=8) == 1
    assert system.threads_per_worker(2) == max(1, machine.usable_cpus() // 2)
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError):
            system.threads_per_worker(bad, cpus=4)
    with pytest.raises(ValueError):
        system.threads_per_worker(2, cpus=0)


def test_oversubscription_runs_workers_with_capped_pools():
    r = system.oversubscription(workers=2, threads=1, n=64, tasks=20, max_seconds=5)
    assert r["workers"] == 2 and r["tasks_done"] == 40
    assert r["pool_threads"] == [1, 1]
    assert 0 < r["task_s"] < r["wall_s"]


def test_oversubscription_stops_early_at_max_seconds():
    r = system.oversubscription(workers=1, threads=1, n=128, tasks=10**7, max_seconds=0.2)
    assert 0 < r["tasks_done"] < 10**7 and r["wall_s"] < 10


def test_oversubscription_experiment_interleaves_rounds(monkeypatch):
    calls = []
    times = iter([3.0, 1.0, 9.0, 2.0, 4.0, 1.5])      # default, capped, default, capped, ...

    def fake(workers, threads, kind, **kw):
        calls.append(threads)
        assert kw == {"n": 64, "max_seconds": 0.5}
        return {"kind": kind, "workers": workers, "threads": threads, "pool_threads": [threads] * workers,
                "tasks_done": 10, "task_s": next(times), "wall_s": 1.0}

    monkeypatch.setattr(system, "oversubscription", fake)
    cap = system.threads_per_worker(2)
    res = system.oversubscription_experiment(2, n=64, max_seconds=0.5)
    assert calls == [None, cap] * 3                  # alternated round by round, not one block each
    default, capped = res.values()
    assert default["task_s_rounds"] == [3.0, 9.0, 4.0] and default["task_s"] == 4.0   # the median
    assert capped["task_s_rounds"] == [1.0, 2.0, 1.5] and capped["task_s"] == 1.5
    assert default["tasks_done"] == 30 and default["wall_s"] == 3.0 and default["rounds"] == 3
    calls.clear()
    times = iter([1.0] * 6)
    system.oversubscription_experiment(2, host_threads=8, rounds=2, n=64, max_seconds=0.5)
    assert calls == [8, None, cap] * 2
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="rounds"):
            system.oversubscription_experiment(2, rounds=bad)


def test_oversubscription_experiment_runs_for_real():
    res = system.oversubscription_experiment(1, n=64, tasks=5, max_seconds=2, rounds=2)
    assert len(res) == 2
    for r in res.values():
        assert len(r["task_s_rounds"]) == 2 and all(t > 0 for t in r["task_s_rounds"])
        assert r["tasks_done"] == 10


def test_oversubscription_bad_input():
    with pytest.raises(ValueError, match="kind"):
        system.oversubscription(kind="gpu")
    with pytest.raises(ValueError):
        system.oversubscription(workers=0)
    with pytest.raises(ValueError):
        system.oversubscription(threads=0)


# ---------------------------------------------------------------- memory
def test_stream_small():
    r = system.stream(n=2**18, repeat=2)
    assert set(r["gbs"]) == {"copy", "scale", "add", "triad"}
    assert all(v > 0 for v in r["gbs"].values())
    assert r["best"] == max(r["gbs"].values())
    # GB/s is bytes moved / median time (timed through optkit.bench, best kept beside it)
    assert r["gbs"]["add"] == pytest.approx(3 * 2**18 * 8 / r["median_s"]["add"] / 1e9)
    assert r["best_s"]["add"] <= r["median_s"]["add"]
    r2 = system.stream(n=2**18 + 7, repeat=1, threads=2)
    assert r2["threads"] == 2 and all(v > 0 for v in r2["gbs"].values())


def test_stream_bad_input():
    with pytest.raises(ValueError):
        system.stream(n=10)
    with pytest.raises(ValueError):
        system.stream(n=2**16, threads=0)


def test_alloc_vs_out_counts_page_faults():
    switch = system._hugepage_switch()
    if switch is not None:
        before = switch(True)
        switch(before)
    r = system.alloc_vs_out(n=2**22, repeat=3)
    fresh, reused = r["fresh: c = a + b"], r["reused: np.add(a, b, out=c)"]
    assert fresh["median_s"] > 0 and reused["median_s"] > 0
    assert fresh["gbs"] == pytest.approx(3 * 2**22 * 8 / fresh["median_s"] / 1e9)
    assert reused["page_faults_per_call"] <= fresh["page_faults_per_call"]
    assert fresh["page_faults_per_call"] > 0      # 32 MiB results come fresh from the OS
    assert fresh["result_bytes"] == 2**22 * 8
    if "fresh, no madvise" in r:
        if system.transparent_hugepage_mode() in ("madvise", "never"):   # no huge page unasked
            assert r["fresh, no madvise"]["page_faults_per_call"] >= 2**22 * 8 / system.page_size() * 0.9
        after = switch(True)                      # NumPy's switch was restored
        switch(after)
        assert after == before
    with pytest.raises(ValueError):
        system.alloc_vs_out(n=3)


def test_faults_verdict_counts_base_pages_and_names_huge_pages_only_under_thp(monkeypatch):
    import mmap
    import os

    assert system.page_size() == mmap.PAGESIZE and system.page_size() >= 4096
    monkeypatch.setattr(os, "sysconf", lambda name: 16384)          # Apple silicon's base page
    assert system.page_size() == 16384
    mib32 = 32 * 2**20
    # 16 KiB pages: 2,048 faults is one per page, not "huge pages" (it would be 1/4 of 4 KiB pages)
    v = system.faults_verdict(2048, mib32, 16384, "madvise")
    assert "2,048 pages of 16 KiB" in v and v.endswith("one per page")
    assert system.faults_verdict(8192, mib32, 4096, "madvise").endswith("one per page")
    assert system.faults_verdict(16, mib32, 4096, "madvise").endswith("fewer: mostly huge pages")
    assert system.faults_verdict(16, mib32, 4096, "always").endswith("mostly huge pages")
    # 0.6 of the pages faulted one by one is not "mostly" huge pages; below an eighth it is
    assert system.faults_verdict(0.6 * 8192, mib32, 4096, "madvise").endswith("fewer: some huge pages")
    assert system.faults_verdict(8192 / 8, mib32, 4096, "madvise").endswith("fewer: some huge pages")
    assert system.faults_verdict(8192 / 8 - 1, mib32, 4096, "madvise").endswith("mostly huge pages")
    from optkit.fmt import unknown
    for thp in ("never", unknown("no /sys/kernel/mm/transparent_hugepage (not Linux)")):
        v = system.faults_verdict(0, mib32, 16384, thp)
        assert v.endswith("fewer faults than pages") and "huge" not in v


def test_transparent_hugepage_mode_reads_the_bracketed_word(tmp_path):
    from optkit.fmt import is_unknown

    f = tmp_path / "enabled"
    for text, mode in (("always [madvise] never\n", "madvise"), ("[always] madvise never", "always"),
                       ("always madvise [never]", "never")):
        f.write_text(text)
        assert system.transparent_hugepage_mode(f) == mode
    f.write_text("always madvise never")          # no bracketed mode: unknown, with the reason
    assert is_unknown(system.transparent_hugepage_mode(f))
    assert is_unknown(system.transparent_hugepage_mode(tmp_path / "missing"))
    assert "does not exist" in str(system.transparent_hugepage_mode(tmp_path / "missing"))


def test_kernel_bandwidth_and_normalize():
    img = np.random.default_rng(0).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    out = np.empty(img.shape, np.float32)
    ref = system.normalize_fresh(img)
    assert ref.dtype == np.float32
    got = system.normalize_into(img, out=out)
    assert got is out
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    with pytest.raises(ValueError):
        system.normalize_into(img, out=np.empty((2, 2), np.float32))
    r = system.kernel_bandwidth(system.normalize_fresh, (img,), img.nbytes + out.nbytes, repeat=3)
    assert r["gbs"] == pytest.approx(r["nbytes"] / r["median_s"] / 1e9)
    assert r["best_gbs"] >= r["gbs"] and r["iqr_s"] >= 0
    with pytest.raises(ValueError):
        system.kernel_bandwidth(system.normalize_fresh, (img,), 0)
    with pytest.raises(TypeError):
        system.kernel_bandwidth(42, (), 10)
    both = system.kernel_bandwidths({"fresh": (system.normalize_fresh, (img,)),
                                     "out": (system.normalize_into, (img, 127.5, 64.0, out))},
                                    img.nbytes + out.nbytes, repeat=3)
    assert set(both) == {"fresh", "out"} and all(v["gbs"] > 0 for v in both.values())
    with pytest.raises(ValueError):
        system.kernel_bandwidths({}, 10)


# ---------------------------------------------------------------- asynchronous work, GPU
def test_async_timing_demo_launch_returns_before_the_work():
    r = system.async_timing_demo(n=128, k=20)
    assert r["launch_only_s"] < r["until_result_s"]


def test_gpu_state_without_nvidia_smi():
    g = gpu.gpu_state("/nonexistent/nvidia-smi")
    assert g["present"] is False and g["summary"] == "no GPU"


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_torch_demos_on_cpu():
    c = gpu.torch_creation_demo("cpu", n=64, repeat=2)
    assert c["created on device"] > 0 and c["created on CPU, then copied"] > 0
    s = gpu.torch_sync_demo("cpu", n=64, k=2)
    assert 0 < s["without synchronize"] <= s["with synchronize"]
    b = gpu.torch_benchmark_demo("cpu", n=64, min_run_time=0.05)
    assert b["median_s"] > 0 and b["runs"] >= 1 and "measurement" in b["text"]


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_gpu_demo_cli_json():
    p = subprocess.run([sys.executable, "-m", "optkit.lessons.beyond_code", "gpu-demo", "--json"],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["cuda"] == system.gpu_available()
    assert "creation" in r and "sync" in r and "benchmark" in r
    if not r["cuda"]:
        assert r["creation"]["device"] == "cpu"


@pytest.mark.skipif(not HAS_TORCH or system.gpu_available(), reason="needs torch and no CUDA device")
def test_gpu_demo_reports_fake_gpu_state_and_falls_back_to_cpu(tmp_path):
    smi = tmp_path / "nvidia-smi"
    smi.write_text('#!/bin/sh\necho "0, NVIDIA H100 80GB HBM3, 550.54.15, Disabled, P8, 81559, 1, 0, 345, 1980"\n')
    smi.chmod(0o755)
    lines = []
    r = gpu.gpu_demo(print_fn=lines.append, nvidia_smi=str(smi))
    text = "\n".join(lines)
    assert r["gpu_state"]["present"] and "persistence Disabled" in text and "nvidia-smi -pm 1" in text
    assert r["cuda"] is False and "CPU equivalents" in text and r["creation"]["device"] == "cpu"


def test_bandwidth_chart_draws_bars_in_gbs_and_the_roof():
    fig = plot.bandwidth_chart({"stream, 1 thread": 12.0, "normalise, fresh": 3.0}, roof=15.0,
                                 roof_label="roof (2 threads)")
    ax = fig.axes[0]
    bars = {p.get_gid(): p.get_width() for p in ax.patches if p.get_gid()}
    assert bars == {"bar:stream, 1 thread": 12.0, "bar:normalise, fresh": 3.0}
    roof = [ln for ln in ax.lines if ln.get_gid() == "roof"]
    assert len(roof) == 1 and list(roof[0].get_xdata()) == [15.0, 15.0]
    texts = [t.get_text() for t in ax.texts]
    assert "roof (2 threads): 15.0 GB/s" in texts
    assert "3.0 GB/s  (20% of the roof)" in texts
    assert "GB/s" in ax.get_xlabel()
    assert ax.get_xlim()[1] > 15.0
    import matplotlib.pyplot as plt
    plt.close(fig)
    with pytest.raises(ValueError):
        plot.bandwidth_chart({}, roof=1.0)
    with pytest.raises(ValueError):
        plot.bandwidth_chart({"a": 0.0}, roof=1.0)
    with pytest.raises(ValueError):
        plot.bandwidth_chart({"a": 1.0}, roof=float("nan"))
