"""Line-by-line profiles as data and charts, through line_profiler's Python API.

Example::

    from optkit import lineprof

    prof = lineprof.profile(preprocess, image, boxes)   # runs preprocess(image, boxes) once
    prof.hottest            # Line(lineno=..., hits=..., time_s=..., share=85.2, source="...")
    print(prof.table())     # the classic line_profiler table
    prof.plot(top=5)        # bar chart: "this line is 85% of the time"
    prof.overhead           # profiled run time / plain run time (e.g. 2.5)

The notebooks still teach ``%lprun`` itself; this helper draws the chart and serves the checks.
It works for functions defined in notebook cells: their source is found through
``inspect.getsourcelines`` (IPython registers every cell with ``linecache``), falling back
to ``linecache`` directly; if neither has it, lines carry their numbers and timings but an
empty ``source``.

The profiler slows every line down (a tracing hook runs on each one). The cost is paid per
hit, not in proportion to a line's work: cheap lines hit very often are inflated far more than
a line spending its time in one C call, so shares shift and close rankings can flip;
``overhead`` shows the slowdown of the whole call. Measure final times with plain timers.
"""
from __future__ import annotations

import html
import inspect
import linecache
import statistics
import time
from dataclasses import dataclass

from optkit.i18n import tr

__all__ = ["Line", "LineProfile", "profile"]


@dataclass
class Line:
    lineno: int
    hits: int
    time_s: float
    share: float        # percent of the function's total line time
    source: str
    runs_s: tuple = ()  # this line's time in each profiled run (fresh profiler each), in order

    @property
    def per_hit_s(self) -> float:
        return self.time_s / self.hits if self.hits else 0.0


class LineProfile:
    """Result of :func:`profile`."""

    def __init__(self, name, filename, first_lineno, lines, total_s, plain_s, profiled_s,
                 unit, result=None, plain_runs_s=(), profiled_runs_s=()):
        self.name = name
        self.filename = filename
        self.first_lineno = first_lineno
        self.lines: list[Line] = lines
        self.total_s = total_s          # sum of all line times (profiled)
        self.plain_s = plain_s          # median plain run time
        self.profiled_s = profiled_s    # median profiled run time (wall clock around the call)
        self.plain_runs_s = list(plain_runs_s)        # every plain run, in round order
        self.profiled_runs_s = list(profiled_runs_s)  # every profiled run, interleaved with them
        self.unit = unit
        self.result = result            # what the function returned

    @property
    def overhead(self) -> float:
        """Profiled run time / plain run time (>= 1 in practice)."""
        return self.profiled_s / self.plain_s if self.plain_s > 0 else float("nan")

    def top(self, n=5) -> list:
        """The ``n`` lines with the most time, hottest first (lines never hit are skipped)."""
        hit = [ln for ln in self.lines if ln.hits]
        return sorted(hit, key=lambda ln: ln.time_s, reverse=True)[:n]

    @property
    def hottest(self) -> Line:
        t = self.top(1)
        if not t:
            raise ValueError("no line was executed")
        return t[0]

    def table(self) -> str:
        """The classic line_profiler table (times in microseconds)."""
        unit = 1e-6
        out = [f"Timer unit: {unit:g} s", "",
               f"Total time: {self.total_s:g} s",
               f"File: {self.filename}",
               f"Function: {self.name} at line {self.first_lineno}", "",
               f"{'Line #':>6} {'Hits':>9} {'Time':>12} {'Per Hit':>8} {'% Time':>8}  Line Contents",
               "=" * 72]
        for ln in self.lines:
            if ln.hits:
                out.append(f"{ln.lineno:>6} {ln.hits:>9} {ln.time_s / unit:>12.1f} "
                           f"{ln.per_hit_s / unit:>8.1f} {ln.share:>8.1f}  {ln.source}")
            else:
                out.append(f"{ln.lineno:>6} {'':>9} {'':>12} {'':>8} {'':>8}  {ln.source}")
        return "\n".join(out)

    def __str__(self):
        return self.table()

    def __repr__(self):
        h = self.top(1)
        hot = f", hottest line {h[0].lineno} ({h[0].share:.0f}%)" if h else ""
        return (f"<LineProfile {self.name}: {self.total_s:.4g} s profiled{hot}, "
                f"overhead x{self.overhead:.1f}>")

    def _repr_html_(self) -> str:
        rows = []
        hot = self.top(1)[0].lineno if self.top(1) else None
        for ln in self.lines:
            bar = (f"<div style='background:#ff7f0e;height:0.8em;width:{max(ln.share, 0):.1f}%'></div>"
                   if ln.hits else "")
            weight = "font-weight:bold;" if ln.lineno == hot else ""
            cells = (f"<td>{ln.lineno}</td><td style='text-align:right'>{ln.hits or ''}</td>"
                     f"<td style='text-align:right'>{_ft(ln.time_s) if ln.hits else ''}</td>"
                     f"<td style='text-align:right'>{f'{ln.share:.1f}%' if ln.hits else ''}</td>"
                     f"<td style='width:120px'>{bar}</td>"
                     f"<td style='text-align:left;white-space:pre;{weight}'><code>{html.escape(ln.source)}</code></td>")
            rows.append(f"<tr>{cells}</tr>")
        return ("<div class='optkit-lineprof'><table><thead><tr><th>line</th><th>hits</th>"
                "<th>time</th><th>share</th><th></th><th style='text-align:left'>source</th></tr>"
                f"</thead><tbody>{''.join(rows)}</tbody></table>"
                f"<small>{html.escape(self.name)}: {_ft(self.total_s)} under the profiler, "
                f"{_ft(self.plain_s)} without (profiler overhead x{self.overhead:.1f}; every line "
                "slows, the relative picture holds).</small></div>")

    def to_dict(self) -> dict:
        return {"name": self.name, "filename": self.filename, "total_s": self.total_s,
                "plain_s": self.plain_s, "profiled_s": self.profiled_s, "overhead": self.overhead,
                "lines": [vars(ln).copy() for ln in self.lines]}

    def plot(self, top=5, title=None):
        """Horizontal bars: share of time of the ``top`` hottest lines, hottest labelled
        "85% of the time"; the remaining lines are summed into one grey bar."""
        from .plot import figure as new_figure

        lines = self.top(top)
        if not lines:
            raise ValueError("no line was executed")
        lines = lines[:1] + [ln for ln in lines[1:] if ln.share >= 0.05]
        rest = max(0.0, 100.0 - sum(ln.share for ln in lines))
        labels = [f"line {ln.lineno}: {_short(ln.source, 40)}" for ln in lines]
        shares = [ln.share for ln in lines]
        colours = ["#d62728"] + ["#1f77b4"] * (len(lines) - 1)
        if rest >= 0.05:
            labels.append("all other lines")
            shares.append(rest)
            colours.append("#9e9e9e")
        fig = new_figure(figsize=(7.0, max(2.4, 0.9 + 0.45 * len(labels))))
        ax = fig.add_subplot()
        y = list(range(len(labels)))
        ax.barh(y, shares, color=colours, edgecolor="black", linewidth=0.5, height=0.65)
        ax.set_yticks(y, labels, fontsize=8.5, family="monospace")
        ax.invert_yaxis()
        ax.set_xlim(0, 100)              # a share cannot exceed 100 %
        for i, s in enumerate(shares):
            txt = tr("{share:.0f}% of the time", share=s) if i == 0 else f"{s:.1f}%"
            weight = "bold" if i == 0 else "normal"
            room = 26 if i == 0 else 9       # about the label's width, in % of the axis
            if s + 1 + room <= 100:          # beside the bar
                ax.text(s + 1, i, txt, va="center", fontsize=9, fontweight=weight)
            else:                            # a long bar: the label goes inside its end
                ax.text(s - 1, i, txt, va="center", ha="right", fontsize=9, fontweight=weight,
                        color="white")
        ax.set_xlabel(tr("share of the function's time [%]"))
        fig.suptitle(title or tr("Where {name}() spends its time (line_profiler; profiler overhead x{overhead:.1f})",
                                 name=self.name, overhead=self.overhead),
                     x=0.01, ha="left", fontsize=11)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        return fig


def _ft(s):
    from .fmt import format_time

    return format_time(s)


def _short(src, width=48):
    s = src.strip()
    return s if len(s) <= width else s[: width - 1] + "…"


def _source_lines(func, code):
    """(first line number, list of source lines) for ``func``; [] when unavailable."""
    try:
        lines, start = inspect.getsourcelines(func)
        return (start or code.co_firstlineno), [ln.rstrip("\n") for ln in lines]
    except (OSError, TypeError):
        pass
    all_lines = linecache.getlines(code.co_filename)
    if all_lines:
        first = code.co_firstlineno
        block = inspect.getblock(all_lines[first - 1:])
        return first, [ln.rstrip("\n") for ln in block]
    return code.co_firstlineno, []


def _unwrap(func):
    f = inspect.unwrap(func)
    f = getattr(f, "__func__", f)          # bound methods
    f = getattr(f, "py_func", f)           # Numba dispatchers: profile the Python version
    if not hasattr(f, "__code__"):
        raise TypeError(f"can only line-profile Python functions, got {type(func).__name__}")
    return f


def profile(func, *args, **kwargs) -> LineProfile:
    """Run ``func(*args, **kwargs)`` under line_profiler and return per-line data.

    Also times the plain call and the profiled call, interleaved, the median of three each
    (one each for calls over half a second), after one untimed warm-up call (imports, caches),
    to give :attr:`LineProfile.overhead`. Each line's ``time_s`` is the median of its times in
    the profiled runs (``runs_s``, kept to rank lines by the noise rule), so a moment of load in
    one run does not land on whichever line was running then; its hits are those of the median
    run (the same in every run of deterministic code).
    """
    from line_profiler import LineProfiler

    target = _unwrap(func)
    code = target.__code__
    if hasattr(func, "py_func"):               # a Numba dispatcher: run its Python version,
        func = target                          # the compiled one has no lines to trace

    def plain_run():
        t0 = time.perf_counter()
        out = func(*args, **kwargs)
        return time.perf_counter() - t0, out

    def profiled_run():
        lp = LineProfiler()
        lp.add_function(target)
        t0 = time.perf_counter()
        if target is func:
            lp.runcall(func, *args, **kwargs)
        else:                                  # wrapper: trace the inner function's code
            lp.enable_by_count()
            try:
                func(*args, **kwargs)
            finally:
                lp.disable_by_count()
        return time.perf_counter() - t0, lp.get_stats()

    warm, result = plain_run()                 # warm-up (imports, caches): not timed
    rounds = 3 if warm < 0.5 else 1            # slow functions: one run of each only
    plain, profiled = [], []
    for _ in range(rounds):                    # interleaved, so noise hits both alike
        plain.append(plain_run()[0])
        profiled.append(profiled_run())
    profiled_s, stats = sorted(profiled, key=lambda run: run[0])[len(profiled) // 2]   # the median run
    names = {code.co_name, getattr(code, "co_qualname", code.co_name)}

    def line_times(stats):
        """{lineno: (hits, seconds)} of the profiled function in one run's stats."""
        timings = []
        for (fname, first, name), entries in stats.timings.items():
            # line_profiler names functions by qualified name ("outer.<locals>.f", "Class.method")
            if first == code.co_firstlineno and name in names:
                timings = entries
                if fname == code.co_filename:
                    break
        per_line = {}
        for lineno, hits, t in timings:
            h, tt = per_line.get(lineno, (0, 0))
            per_line[lineno] = (h + hits, tt + t * stats.unit)
        return per_line

    unit = stats.unit
    every_run = [line_times(st) for _, st in profiled]
    hits_of = {ln: h for ln, (h, _) in line_times(stats).items()}
    per_line = {ln: (hits_of.get(ln, 0), statistics.median(run.get(ln, (0, 0.0))[1] for run in every_run))
                for run in every_run for ln in run}
    total = sum(t for _, t in per_line.values())

    start, src = _source_lines(target, code)
    linenos = list(range(start, start + len(src))) if src else []
    for ln in per_line:
        if ln not in linenos:
            linenos.append(ln)
    linenos.sort()
    lines = []
    for ln in linenos:
        hits, t = per_line.get(ln, (0, 0.0))
        text = src[ln - start] if src and 0 <= ln - start < len(src) else ""
        share = 100.0 * t / total if total > 0 else 0.0
        lines.append(Line(lineno=ln, hits=hits, time_s=t, share=share, source=text,
                          runs_s=tuple(run.get(ln, (0, 0.0))[1] for run in every_run)))
    return LineProfile(name=getattr(target, "__qualname__", code.co_name),
                       filename=code.co_filename, first_lineno=start, lines=lines, total_s=total,
                       plain_s=statistics.median(plain), profiled_s=profiled_s, unit=unit, result=result,
                       plain_runs_s=plain, profiled_runs_s=[t for t, _ in profiled])
