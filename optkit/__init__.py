"""optkit: measured, explained speedups for CPU-side Python in ML services.

Modules (import what you need; nothing heavy is imported here):
    bench     time implementations of the same job, correctness first
    plot      speedup bars, scaling curves, thread scaling, ladder charts
    lineprof  line-by-line profiles as data and charts
    check     self-checking exercises
    doctor    what this machine really offers (CPUs, threads, memory, compiler, GPU)
    data      deterministic synthetic documents and CSV files
    pipeline  the OCR case study: reference and fast versions of every stage
    native    the C extension (warp_crops, reference-counting lessons)
"""
import os as _os

__version__ = "0.1.0"

# Fork safety (see optkit/native.c, "Fork safety"): libgomp cannot run threads in a child made by
# fork() once the parent ran any OpenMP region (numba's omp layer, OpenCV, native itself). The
# native module's own pthread_atfork handler only exists once it is imported, so a child that
# imports it for the first time would not know. This one hook, registered when optkit is imported,
# only sets a flag in the child; it changes nothing else. optkit.native reads it when it loads.
_fork_state = {"forked_child": False}


def forked_child() -> bool:
    """True in a process made by os.fork() (e.g. a multiprocessing 'fork' worker) after optkit
    was imported: optkit.native then runs warp_crops on one thread (OpenMP would hang)."""
    return _fork_state["forked_child"]


def _mark_forked_child():
    _fork_state["forked_child"] = True


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_mark_forked_child)


def load_ipython_extension(ip):
    """`%load_ext optkit` registers the course's cell magics:
    `%%cython_annotate` (coloured Cython annotation that works in JupyterLab) and
    `%%c_extension` (compile a small Python/C API module written in a cell)."""
    import importlib

    for name in ("annotate", "cext"):
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ImportError as exc:  # pragma: no cover - reported, not fatal
            print(f"optkit: magic module {name!r} unavailable: {exc}")
            continue
        mod.load_ipython_extension(ip)
