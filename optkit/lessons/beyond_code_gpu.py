"""Lesson 05's GPU cells (the annex of ``optkit.lessons.beyond_code``): GPU state from nvidia-smi,
tensors made on the device vs copied from the CPU, synchronised timing, torch.utils.benchmark.

    gpu_demo()    every GPU cell standalone: ``python -m optkit.lessons.beyond_code gpu-demo``

torch and optkit.bench are imported inside the functions, so ``gpu-demo`` runs where only the
standard library and torch are installed.
"""
from __future__ import annotations

import time

from optkit.machine import query_gpus, torch_module

__all__ = ["gpu_state", "torch_creation_demo", "torch_sync_demo", "torch_benchmark_demo", "gpu_demo"]


# ----------------------------------------------------------------------------- GPU
def gpu_state(nvidia_smi="nvidia-smi") -> dict:
    """Persistence mode and performance state from nvidia-smi (the doctor's query); "no GPU" without it."""
    return query_gpus(nvidia_smi)


def _sync(torch, device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def torch_creation_demo(device=None, n=4096, repeat=20) -> dict:
    """Create an n x n float32 tensor directly on `device` vs on the CPU then .to(device).

    Synchronises before reading every clock; median times through optkit.bench. device=None: "cuda" when available, else "cpu"
    (on the CPU both paths are the same kind of work; the copy is what a GPU adds)."""
    torch = torch_module()
    if torch is None:
        raise RuntimeError("torch is not installed")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    g = torch.Generator(device=device).manual_seed(0) if device != "cpu" else None

    def on_device():
        return torch.empty(n, n, device=device).normal_(generator=g) if g is not None else \
            torch.randn(n, n, device=device)

    def cpu_then_copy():
        return torch.randn(n, n).to(device)

    def synced(f):
        def run():
            f()
            _sync(torch, device)        # the clock is read only after the device finished
        return run

    out = {"device": str(device), "n": n}
    funcs = {"created on device": synced(on_device), "created on CPU, then copied": synced(cpu_then_copy)}
    from optkit import bench

    timings = bench.measure(funcs, repeat=max(1, int(repeat)), min_time=0.005, min_repeats=1)
    for label, t in timings.items():     # medians, interleaved rounds
        out[label] = t.median_s
    return out


def torch_sync_demo(device=None, n=4096, k=10) -> dict:
    """k matmuls on `device`: the clock read without synchronising (launch only) vs after
    torch.cuda.synchronize(). On the CPU, torch runs synchronously and both agree."""
    torch = torch_module()
    if torch is None:
        raise RuntimeError("torch is not installed")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    a = torch.randn(n, n, device=device)
    (a @ a).sum().item()
    _sync(torch, device)
    t0 = time.perf_counter()
    for _ in range(k):
        r = a @ a
    no_sync = time.perf_counter() - t0
    _sync(torch, device)
    with_sync = time.perf_counter() - t0
    del r
    return {"device": str(device), "n": n, "k": k, "without synchronize": no_sync, "with synchronize": with_sync}


def torch_benchmark_demo(device=None, n=1024, min_run_time=0.5, num_threads=None) -> dict:
    """torch.utils.benchmark.Timer on `a @ b` (it synchronises CUDA for you, warms up, and
    reports a median and IQR). num_threads=None: torch's own setting (the Timer's default is 1)."""
    torch = torch_module()
    if torch is None:
        raise RuntimeError("torch is not installed")
    from torch.utils import benchmark

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    num_threads = num_threads or torch.get_num_threads()
    m = benchmark.Timer(stmt="a @ b", globals={"a": a, "b": b}, label="matmul", num_threads=num_threads,
                        description=f"{n}x{n} on {device}").blocked_autorange(min_run_time=min_run_time)
    return {"device": str(device), "n": n, "median_s": m.median, "iqr_s": m.iqr, "threads": num_threads,
            "gflops": 2 * n**3 / m.median / 1e9, "runs": len(m.times),
            "text": "\n".join(line for line in str(m).splitlines() if not line.startswith("<"))}


def gpu_demo(print_fn=print, nvidia_smi="nvidia-smi") -> dict:
    """Run the notebook's GPU cells standalone and print what they measure.

    Runs for real on a CUDA device; without one it says so and runs the CPU equivalents."""
    import shutil

    res = {"nvidia_smi": shutil.which(nvidia_smi), "gpu_state": gpu_state(nvidia_smi)}
    torch = torch_module()
    res["torch"] = getattr(torch, "__version__", None)
    res["cuda"] = bool(torch is not None and torch.cuda.is_available())
    print_fn(f"nvidia-smi: {res['nvidia_smi'] or 'not found'}; GPU: {res['gpu_state']['summary']}")
    for g in res["gpu_state"].get("gpus", []):
        print_fn(f"  GPU {g['index']}: {g['name']}, persistence {g['persistence_mode']}, {g['pstate']}, "
                 f"SM clock {g['clocks.sm']}/{g['clocks.max.sm']} MHz")
        if g["persistence_mode"].lower() not in ("enabled", "on"):
            print_fn("  advice: persistence mode is off: sudo nvidia-smi -pm 1 (or run nvidia-persistenced)")
    if torch is None:
        print_fn("torch is not installed: nothing more to run")
        return res
    device = "cuda" if res["cuda"] else "cpu"
    print_fn(f"torch {torch.__version__}, device {device}"
             + (f" ({torch.cuda.get_device_name(0)})" if res["cuda"] else " (no CUDA device: CPU equivalents)"))
    n = 4096 if res["cuda"] else 1024
    res["creation"] = torch_creation_demo(device, n=n, repeat=10 if res["cuda"] else 3)
    c = res["creation"]
    print_fn(f"tensor creation ({n}x{n} float32): on device {c['created on device'] * 1e3:.3f} ms, "
             f"CPU then copy {c['created on CPU, then copied'] * 1e3:.3f} ms, "
             f"ratio {c['created on CPU, then copied'] / c['created on device']:.1f}")
    res["sync"] = torch_sync_demo(device, n=n, k=10 if res["cuda"] else 3)
    s = res["sync"]
    print_fn(f"{s['k']} matmuls {n}x{n}: clock without synchronize {s['without synchronize'] * 1e3:.3f} ms, "
             f"with synchronize {s['with synchronize'] * 1e3:.3f} ms")
    if res["cuda"]:
        # the state while the GPU is busy: P-state under load
        a = torch.randn(n, n, device=device)
        for _ in range(400):   # queue about a second of work, then look at the GPU while it runs
            a @ a
        res["gpu_state_under_load"] = gpu_state(nvidia_smi)
        torch.cuda.synchronize()
        for g in res["gpu_state_under_load"].get("gpus", []):
            print_fn(f"  under load: GPU {g['index']} {g['pstate']}, SM clock {g['clocks.sm']} MHz, "
                     f"utilisation {g['utilization.gpu']} %")
            if g["pstate"] not in ("P0", "P2"):
                print_fn(f"  advice: {g['pstate']} under load (expect P0, or P2 on GeForce cards): see the clocks "
                         "event reasons in nvidia-smi -q -d PERFORMANCE (power cap, thermal slowdown)")
    res["benchmark"] = torch_benchmark_demo(device, n=n if res["cuda"] else 512)
    b = res["benchmark"]
    print_fn(f"torch.utils.benchmark a @ b ({b['n']}x{b['n']} on {device}): median {b['median_s'] * 1e3:.3f} ms, "
             f"IQR {b['iqr_s'] * 1e3:.3f} ms, {b['gflops']:.0f} GFLOP/s")
    return res
