"""Charts for measured speedups: plain matplotlib, one Figure per call, no global style changes.

Example::

    from optkit import bench, plot

    cmp = bench.compare({"loop": slow, "numpy": fast}, x)
    plot.speedup_bars(cmp)                           # bars "x12.3", baseline marked
    plot.scaling(bench.sweep_sizes(funcs, make, [10**3, 10**4, 10**5]))
    plot.thread_scaling({"openmp": [0.8, 0.42, 0.3, 0.25]}, threads=[1, 2, 3, 4])
    plot.ladder([("reference", 2.0), ("numpy", 0.2), ("numba", 0.05)])
    fig = plot.ladder(...); fig.savefig("ladder.png")

Every function returns a :class:`matplotlib.figure.Figure` (~7 x 3.5 inches). In Jupyter it is
shown exactly once, whether the cell ends with the figure itself, with ``plt.show()``, or with
neither: the figure lives in pyplot until it is displayed, and displaying it as a cell value
also closes it in pyplot so the inline backend does not draw it a second time.
Nothing here touches ``rcParams`` or the pyplot style.
"""
from __future__ import annotations

import math
import sys

from matplotlib.figure import Figure

from optkit.fmt import format_speedup, format_time
from optkit.i18n import tr

__all__ = ["speedup_bars", "scaling", "thread_scaling", "ladder", "bandwidth_chart", "OptkitFigure", "FIGSIZE",
           "figure", "set_title", "wrap", "log_labels", "speedup_formatter"]

FIGSIZE = (7.0, 3.5)
BASE_COLOUR = "#9e9e9e"
FASTER = "#1f77b4"
SLOWER = "#d62728"
NEUTRAL = "#e0e0e0"       # within the noise band of the baseline: neither faster nor slower
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f"]


class OptkitFigure(Figure):
    """A matplotlib Figure that Jupyter renders exactly once (see the module docstring)."""


def _png_once(fig):
    """IPython image/png formatter for OptkitFigure: render, then drop it from pyplot."""
    from IPython.core.pylabtools import print_figure

    data = print_figure(fig, "png", bbox_inches="tight", dpi=110)
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:
        pass
    return data


def _register_formatter():
    if "IPython" not in sys.modules:      # plain scripts: nothing to register, import nothing
        return
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:
        return
    if ip is None or not hasattr(ip, "display_formatter"):
        return
    fmt = ip.display_formatter.formatters.get("image/png")
    if fmt is not None:
        fmt.for_type(OptkitFigure, _png_once)


def figure(figsize=FIGSIZE, layout="constrained", **kw):
    """A new OptkitFigure (shown once in Jupyter): every optkit chart starts here."""
    import matplotlib.pyplot as plt

    _register_formatter()
    fig = plt.figure(figsize=figsize, FigureClass=OptkitFigure, layout=layout, **kw)
    return fig


def speedup_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"x{v:g}")


def _time_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: format_time(v) if v > 0 else "0")


def _plain_formatter():
    from matplotlib.ticker import FuncFormatter

    def si(v, _pos=None):
        for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
            if v >= scale:
                return f"{v / scale:g}{suffix}" if scale > 1e4 else f"{v / 1e3:g}k"
        return f"{v:,.0f}" if v >= 1 else f"{v:g}"

    return FuncFormatter(si)


def log_labels(axis, formatter, values):
    """Readable log-axis labels: plain units on major ticks; minor ticks labelled too when
    the data span less than about a decade (otherwise the axis would carry no label)."""
    from matplotlib.ticker import NullFormatter

    axis.set_major_formatter(formatter)
    vals = [v for v in values if v and v > 0]
    narrow = bool(vals) and max(vals) / min(vals) < 15
    axis.set_minor_formatter(formatter if narrow else NullFormatter())


def set_title(fig, ax, text):
    """Title aligned with the figure's left edge (long tick labels push the axes right)."""
    fig.suptitle(text, x=0.01, ha="left", fontsize=11)


def _quality_note(fig, data):
    """A small footnote when the measurements behind the chart were noisy or kept waiting.

    It is the figure's supxlabel: constrained layout reserves a strip for it at the very
    bottom, below the axes' tick labels and x label, so it never covers them."""
    notes = getattr(data, "warnings", None)
    try:
        notes = notes() if callable(notes) else []
    except Exception:
        notes = []
    if notes:
        words = {"noisy": tr("noisy"), "waiting": tr("waiting"), "elsewhere": tr("elsewhere")}
        kinds = sorted({n.split(":", 1)[0] for n in notes})
        fig.supxlabel(tr("⚠ {kinds} measurements (a busy machine?): see .warnings() of the result",
                         kinds=tr(" and ").join(words.get(k, k) for k in kinds)), x=0.01, ha="left",
                      fontsize=7.5, color="#b54708")


def _slower_legend(fig, ax, present, than, neutral=False):
    """Explain the red (and light grey) bars, only when there is one: a small legend entry just
    above the axes' top right corner (constrained layout makes room for it under the title)."""
    if not present and not neutral:
        return None
    from matplotlib.patches import Patch

    handles, texts = [], []
    if present:
        handles.append(Patch(facecolor=SLOWER, edgecolor="black", linewidth=0.6))
        texts.append(tr("red: slower than {than}", than=tr(than)))
    if neutral:
        handles.append(Patch(facecolor=NEUTRAL, edgecolor="black", linewidth=0.6))
        texts.append(tr("light grey: within the noise of {than}", than=tr(than)))
    return ax.legend(handles, texts, loc="lower right", ncols=len(handles),
                     bbox_to_anchor=(1.0, 1.0), bbox_transform=ax.transAxes, fontsize=8,
                     frameon=False, handlelength=1.2, borderaxespad=0.0)


def _medians(data) -> dict:
    """{label: seconds} from a Comparison or a mapping."""
    if hasattr(data, "rows"):
        return {r.label: r.median_s for r in data.rows}
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if hasattr(v, "median_s"):
                v = v.median_s
            out[str(k)] = float(v)
        return out
    raise TypeError(f"expected a bench.Comparison or a dict label -> seconds, got {type(data).__name__}")


def _check_positive(times: dict, what="time"):
    if not times:
        raise ValueError("nothing to plot: no variants")
    for k, v in times.items():
        if not (v > 0 and math.isfinite(v)):
            raise ValueError(f"{what} for {k!r} must be a positive number of seconds, got {v!r}")


# --------------------------------------------------------------------------- speedup bars

AUTO_LOG_RATIO = 30.0      # speedup_bars/ladder switch to a log axis beyond this range


def speedup_bars(data, baseline=None, log=None, title=None) -> Figure:
    """One horizontal bar per variant: speedup over ``baseline`` (median time ratio).

    ``data``: a :class:`optkit.bench.Comparison` or ``{label: seconds}``. The baseline
    (default: the Comparison's baseline or the first label) is grey, hatched and labelled
    "baseline"; faster variants are blue, slower ones red, and a variant that is not clearly
    different from the baseline (``bench.clearly_different``: the IQR band of a Comparison's
    rows or of Timings; the ratio rule alone for plain seconds) is light grey; every bar
    carries its factor ("x12.3") and median time; when a bar is red or light grey, a legend
    entry says what the colour means.
    ``log``: True/False forces the axis; None (default) picks a
    log axis when the largest and smallest factors are more than ``AUTO_LOG_RATIO`` apart
    (a x300 bar would otherwise flatten the baseline to nothing).
    """
    times = _medians(data)
    _check_positive(times)
    if baseline is None:
        baseline = getattr(data, "baseline", None) or next(iter(times))
    if baseline not in times:
        raise KeyError(f"baseline {baseline!r} is not one of {list(times)}")
    labels = list(times)
    speed = [times[baseline] / times[k] for k in labels]
    hi, lo = max(speed), min(min(speed), 1.0)
    if log is None:
        log = hi / lo > AUTO_LOG_RATIO
    fig = figure(figsize=(FIGSIZE[0], max(2.2, min(6.0, 1.1 + 0.42 * len(labels)))))
    ax = fig.add_subplot()
    y = list(range(len(labels)))
    measured = _measurements(data)
    colours = [BASE_COLOUR if k == baseline else
               NEUTRAL if not _clearly_apart(measured[k], measured[baseline]) else
               (FASTER if s >= 1 else SLOWER) for k, s in zip(labels, speed)]
    left = lo / 1.6 if log else 0
    bars = ax.barh(y, [s - left for s in speed], left=left, color=colours, edgecolor="black",
                   linewidth=0.6, height=0.62)
    for b, k in zip(bars, labels):
        b.set_gid(f"bar:{k}")
        if k == baseline:
            b.set_hatch("//")
            b.set_label("baseline")
    ax.set_yticks(y, [wrap(k, 28) for k in labels])
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8, linestyle=":")
    if log:
        ax.set_xscale("log")
        ax.set_xlim(left, hi * 10.0)
        ax.xaxis.set_major_formatter(speedup_formatter())
    else:
        ax.set_xlim(0, hi * 1.38)
    for yi, s, k in zip(y, speed, labels):
        txt = f"{format_speedup(s)}  ({format_time(times[k])})"
        if k == baseline:
            txt += "  " + tr("baseline")
        ax.text(s * 1.06 if log else s + hi * 0.012, yi, txt, va="center", ha="left", fontsize=9,
                fontweight="normal" if k == baseline else "bold")
    ax.set_xlabel(tr("speedup vs {baseline} (higher is better)", baseline=wrap(str(baseline), 40)))
    set_title(fig, ax, title or tr("Speedup over the baseline (median time per call)"))
    ax.grid(axis="x", alpha=0.3, which="major")
    ax.set_axisbelow(True)
    _slower_legend(fig, ax, SLOWER in colours, "the baseline", neutral=NEUTRAL in colours)
    _quality_note(fig, data)
    return fig


def _measurements(data) -> dict:
    """{label: Timing or seconds} for the noise rule (a Timing keeps its IQR)."""
    if hasattr(data, "rows"):
        return {r.label: r for r in data.rows}
    return {str(k): (v if hasattr(v, "median_s") else float(v)) for k, v in data.items()}


def _clearly_apart(a, b) -> bool:
    from .timing import clearly_different

    return clearly_different(a, b)


# --------------------------------------------------------------------------- scaling

def _series(obj, x):
    if hasattr(obj, "times") and hasattr(obj, "x"):
        return list(obj.x), {str(k): list(v) for k, v in obj.times.items()}
    if isinstance(obj, dict):
        if x is None:
            raise ValueError("x (the sizes or thread counts) is required when data is a dict")
        x = list(x)
        series = {str(k): list(v) for k, v in obj.items()}
        for k, v in series.items():
            if len(v) != len(x):
                raise ValueError(f"{k!r} has {len(v)} times but x has {len(x)} values")
        return x, series
    raise TypeError(f"expected a bench.Sweep or a dict label -> list of seconds, got {type(obj).__name__}")


def scaling(sweep_or_dict, x=None, kind="time", loglog=True, title=None, xlabel=None) -> Figure:
    """Time (or throughput = n / time) against input size, one line per variant.

    ``sweep_or_dict``: a :class:`optkit.bench.Sweep` or ``{label: [seconds per size]}`` with
    the sizes in ``x``. ``xlabel`` names the size ("pixels", "boxes"); throughput is then
    that unit per second.
    """
    if kind not in ("time", "throughput"):
        raise ValueError(f"kind must be 'time' or 'throughput', got {kind!r}")
    xs, series = _series(sweep_or_dict, x)
    if not series:
        raise ValueError("nothing to plot: no variants")
    fig = figure()
    ax = fig.add_subplot()
    markers = "osD^v<>ph*"
    for i, (label, ts) in enumerate(series.items()):
        pts = [(n, t) for n, t in zip(xs, ts) if t is not None and t > 0 and math.isfinite(t)]
        if not pts:
            continue
        nx = [p[0] for p in pts]
        ny = [p[1] if kind == "time" else p[0] / p[1] for p in pts]
        ax.plot(nx, ny, marker=markers[i % len(markers)], color=COLOURS[i % len(COLOURS)],
                label=label, linewidth=1.6, markersize=5)
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
        log_labels(ax.xaxis, _plain_formatter(), xs)
        ys = [t if kind == "time" else n / t for ts in series.values() for n, t in zip(xs, ts)
              if t is not None and t > 0 and math.isfinite(t)]
        log_labels(ax.yaxis, _time_formatter() if kind == "time" else _plain_formatter(), ys)
    elif kind == "time":
        ax.yaxis.set_major_formatter(_time_formatter())
    ax.set_xlabel(xlabel or tr("input size n"))
    unit = xlabel or "items"
    ax.set_ylabel(tr("median time per call") if kind == "time" else tr("throughput [{unit} / s]", unit=unit))
    set_title(fig, ax, title or tr("Time vs input size" if kind == "time" else "Throughput vs input size"))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, frameon=False)
    _quality_note(fig, sweep_or_dict)
    return fig


def thread_scaling(data, threads=None, title=None, unit="thread") -> Figure:
    """Measured speedup vs thread count per variant (relative to its own time at the first
    thread count), the ideal line y = x, and parallel efficiency (speedup / threads) in %.
    ``unit`` names what is counted on the x axis ("thread", or "worker" for a sweep over
    worker processes).
    For a Sweep from :func:`optkit.bench.sweep_threads`, variants without a thread control
    (serial references) are drawn dotted and get no efficiency labels."""
    xs, series = _series(data, threads)
    if not series:
        raise ValueError("nothing to plot: no variants")
    xs = [int(t) for t in xs]
    if min(xs) < 1:
        raise ValueError(f"thread counts must be >= 1, got {xs}")
    fig = figure()
    ax = fig.add_subplot()
    x0 = xs[0]
    ideal = [t / x0 for t in xs]
    ax.plot(xs, ideal, linestyle="--", color="black", linewidth=1, label=tr("ideal (y = x)"))
    ymax = max(ideal)
    controls = (getattr(data, "context", None) or {}).get("controls")
    for i, (label, ts) in enumerate(series.items()):
        if not ts or not ts[0] or ts[0] <= 0:
            continue
        sp = [ts[0] / t if t and t > 0 else float("nan") for t in ts]
        colour = COLOURS[i % len(COLOURS)]
        fixed = isinstance(controls, dict) and label not in controls   # a serial reference
        ax.plot(xs, sp, marker="o", color=colour, linewidth=1.2 if fixed else 1.6,
                linestyle=":" if fixed else "-",
                label=f"{label} (thread count not controlled)" if fixed else label)
        for t, s in zip(xs, sp):
            if math.isfinite(s) and t != x0 and not fixed:
                eff = s / (t / x0) * 100
                ax.annotate(f"{eff:.0f}%", (t, s), textcoords="offset points", xytext=(8, -12 - 10 * i),
                            fontsize=8, color=colour)
        ymax = max(ymax, max(s for s in sp if math.isfinite(s)))
    usable = (getattr(data, "context", None) or {}).get("usable_cpus")
    if usable and usable < max(xs):
        ax.axvspan(usable, max(xs) + 0.5, color="#b42318", alpha=0.06, linewidth=0)
        ax.axvline(usable, color="#b42318", linestyle=":", linewidth=1)
        ax.text(usable, 0.03, tr(" usable CPUs = {usable}: more " + unit + "s only compete", usable=usable),
                color="#b42318", fontsize=8, va="bottom", transform=ax.get_xaxis_transform())
    ax.set_xticks(xs)
    ax.set_xlim(min(xs) - 0.3, max(xs) + 0.5)
    ax.set_ylim(0, ymax * 1.2)
    ax.set_xlabel(tr(unit + "s"))
    ax.set_ylabel(tr("speedup vs {n} " + unit + ("s" if x0 > 1 else ""), n=x0))
    set_title(fig, ax, title or tr(unit.capitalize() + " scaling (labels: parallel efficiency = speedup / "
                                 + unit + "s)"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="best")
    _quality_note(fig, data)
    return fig


# --------------------------------------------------------------------------- ladder

def ladder(steps, title=None, log=None) -> Figure:
    """The optimisation path: each step's cumulative speedup over the first step.

    ``steps``: list of ``(label, seconds)`` in order (or a Comparison, in its row order);
    seconds may be a Timing, or a list of samples (median and IQR are used). An item
    ``(label, seconds, (previous, this))`` also gives the step's own comparison with the
    step before it, measured in the same rounds (Timings or samples): its gain and noise
    verdict then come from that pair, not from two bars timed at different moments.
    Bars carry "x3.1" (cumulative) and, from the second step on, the gain over the
    previous step: blue when clearly faster, red when clearly slower
    (``bench.clearly_different``: the IQR band of Timings or samples, the ratio rule alone
    for plain seconds), light grey and marked "within noise" otherwise; a legend entry
    explains red and grey. ``log`` (None: automatic) uses a log axis when the factors span
    more than ``AUTO_LOG_RATIO``.
    """
    from optkit.timing import clearly_different, median_iqr

    source = steps
    if hasattr(steps, "rows"):
        steps = [(r.label, r) for r in steps.rows]
    items = []
    for item in steps:
        label, value, *rest = item
        if len(rest) > 1:
            raise ValueError(f"a ladder step is (label, seconds) or (label, seconds, (previous, this)), "
                             f"got {len(item)} items")
        pair = rest[0] if rest else None
        if pair is not None and len(pair) != 2:
            raise ValueError(f"step {label!r}: its comparison is a pair (previous, this)")
        items.append((str(label), value, pair))
    if not items:
        raise ValueError("nothing to plot: no steps")
    steps = [(k, median_iqr(v)[0]) for k, v, _ in items]
    _check_positive(dict(steps))
    pairs = [p if p is not None else (items[i - 1][1], items[i][1]) for i, (_, _, p) in enumerate(items)][1:]
    for (k, _), pair in zip(steps[1:], pairs):
        _check_positive({f"{k} (its comparison)": min(median_iqr(x)[0] for x in pair)})
    gains = [median_iqr(a)[0] / median_iqr(b)[0] for a, b in pairs]
    clear = [clearly_different(a, b) for a, b in pairs]
    labels = [k for k, _ in steps]
    t0 = steps[0][1]
    cum = [t0 / t for _, t in steps]
    if log is None:
        log = max(cum) / min(min(cum), 1.0) > AUTO_LOG_RATIO
    n = len(steps)
    crowded = n > 6
    fig = figure(figsize=(min(11.0, max(FIGSIZE[0], 0.8 * n)), FIGSIZE[1] + (0.4 if crowded else 0)))
    ax = fig.add_subplot()
    xpos = list(range(n))
    colours = [BASE_COLOUR] + [NEUTRAL if not c else FASTER if g > 1 else SLOWER
                               for g, c in zip(gains, clear)]
    bars = ax.bar(xpos, cum, color=colours, edgecolor="black", linewidth=0.6, width=0.6)
    bars[0].set_hatch("//")
    top = max(cum)
    fs = 7.5 if crowded else 8.5
    for i, (b, c) in enumerate(zip(bars, cum)):
        txt = format_speedup(c)
        if i:
            gain = format_speedup(gains[i - 1])
            noise = "" if clear[i - 1] else "\n" + tr("within noise")   # own line: narrow bars
            txt += (f"\n({gain})" if crowded else f"\n({gain} step)") + noise
        y = c * 1.08 if log else c + top * 0.02
        ax.text(b.get_x() + b.get_width() / 2, y, txt, ha="center", va="bottom", fontsize=fs,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=0.6))
    if crowded:
        ax.set_xticks(xpos, labels, fontsize=fs, rotation=30, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(xpos, [wrap(k, 14) for k in labels], fontsize=fs)
    if log:
        ax.set_yscale("log")
        ax.set_ylim(min(min(cum), 1.0) / 2, top * 3)
        ax.yaxis.set_major_formatter(speedup_formatter())
    else:
        ax.set_ylim(0, top * 1.3)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.set_ylabel(wrap(tr("cumulative speedup vs {first}", first=labels[0]), 32))   # long names: 2 lines
    set_title(fig, ax, title or tr("Optimisation ladder (cumulative speedup per step)"))
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.set_axisbelow(True)
    _slower_legend(fig, ax, SLOWER in colours, "the previous step", neutral=NEUTRAL in colours)
    _quality_note(fig, source)
    return fig


def wrap(text, width):
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "\n".join(lines)


def bandwidth_chart(gbs: dict, roof: float, roof_label="measured roof", title=None):
    """Achieved bandwidth as horizontal bars in GB/s, with the measured roof as a dashed line.

    ``gbs``: {label: GB/s} in the order to draw; ``roof``: the roof in GB/s (e.g. the best STREAM
    kernel). Each bar is labelled with its GB/s and its share of the roof. Returns a Figure that
    Jupyter renders once."""
    if not gbs:
        raise ValueError("bandwidth_chart needs at least one {label: GB/s}")
    vals = {str(k): float(v) for k, v in gbs.items()}
    bad = [k for k, v in vals.items() if not (math.isfinite(v) and v > 0)]
    if bad:
        raise ValueError(f"bandwidths must be positive and finite: {bad}")
    roof = float(roof)
    if not (math.isfinite(roof) and roof > 0):
        raise ValueError(f"roof must be a positive number of GB/s, got {roof!r}")
    labels = list(vals)
    fig = figure(figsize=(FIGSIZE[0], max(2.2, min(6.0, 1.3 + 0.42 * len(labels)))))
    ax = fig.add_subplot()
    y = list(range(len(labels)))
    bars = ax.barh(y, [vals[k] for k in labels], color="#1f77b4", edgecolor="black", linewidth=0.6,
                   height=0.62)
    for b, k in zip(bars, labels):
        b.set_gid(f"bar:{k}")
    ax.set_yticks(y, [wrap(k, 30) for k in labels])
    ax.invert_yaxis()
    top = max(max(vals.values()), roof)
    ax.axvline(roof, color="black", linestyle="--", linewidth=1.2, gid="roof")
    ax.set_ylim(len(labels) - 0.5, -1.2)             # room above the first bar for the roof's label
    ax.text(roof, -0.85, f"{tr(roof_label)}: {roof:.1f} GB/s", ha="center", va="center", fontsize=9,
            bbox=dict(facecolor="white", edgecolor="none", pad=1.5))
    for yi, k in zip(y, labels):
        ax.text(vals[k] + top * 0.012, yi, tr("{gbs} GB/s  ({share} of the roof)", gbs=f"{vals[k]:.1f}",
                                              share=f"{vals[k] / roof:.0%}"),
                va="center", ha="left", fontsize=9, zorder=3,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1.0))
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel(tr("achieved bandwidth, useful bytes only [GB/s] (higher is better)"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    set_title(fig, ax, tr(title) if title else tr("Achieved memory bandwidth against the measured roof"))
    return fig
