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
__version__ = "0.1.0"


def __getattr__(name):
    # Lazy submodules: `optkit.doctor()` works because the doctor module is callable.
    if name in ("doctor",):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
