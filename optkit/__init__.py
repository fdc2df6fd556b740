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
__version__ = "0.1.0"


def load_ipython_extension(ip):
    """`%load_ext optkit` registers the course's cell magics (see optkit.magics):
    `%%cython_annotate`, `%%c_extension` and `%%requires`."""
    from optkit import magics

    magics.load_all(ip)
