"""optkit: measured, explained speedups for CPU-side Python in ML services.

A shared core that knows no lesson (import what you need; nothing heavy is imported here):
    bench, timing, outputs, results, context, fmt   measuring, correctness first
    plot        every chart           lineprof    line-by-line profiles as data
    check, verdict, guard, rules   self-checking exercises   machine, sysfs, doctor   machine facts
    data, scene, pipeline   the synthetic documents and the OCR case study
    files, magics, annotate, cext, native, student, i18n, site, cli
and one room per lesson in optkit.lessons (optkit.lessons.<notebook slug>). README.md lists
every module.
"""
import os as _os

__version__ = "0.1.0"

# Fork safety (see optkit/csrc/module.c, "Fork safety"): libgomp cannot run threads in a child made by
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
    """`%load_ext optkit` registers the course's cell magics (see optkit.magics):
    `%%cython_annotate`, `%%c_extension` and `%%requires`."""
    from optkit import magics

    magics.load_all(ip)
