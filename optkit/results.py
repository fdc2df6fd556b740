"""The result objects of ``optkit.bench``: :class:`Comparison` (one variant per row) and
:class:`Sweep` (medians over sizes or thread counts). Each renders itself: text, an HTML table
in a notebook, and ``.plot()`` (drawn by ``optkit.plot``, imported when a chart is asked for)."""
from __future__ import annotations

import json
from dataclasses import asdict

from optkit.context import context_line
from optkit.fmt import format_speedup, format_time, format_use, wrap
from optkit.i18n import tr
from optkit.timing import WAITED_CPU_USE, Timing

__all__ = ["Comparison", "Sweep", "NOISY_SPREAD"]

NOISY_SPREAD = 0.25       # IQR / median above which a result is flagged as noisy


class Comparison:
    """Result of :func:`compare`: one :class:`Timing` per variant, in the given order."""

    def __init__(self, rows, baseline, context=None):
        self.rows: list[Timing] = list(rows)
        self.baseline: str = baseline
        self.context: dict = dict(context or {})

    def __getitem__(self, label) -> Timing:
        for r in self.rows:
            if r.label == label:
                return r
        raise KeyError(f"no variant {label!r}; have {self.labels}")

    @property
    def labels(self) -> list:
        return [r.label for r in self.rows]

    @property
    def fastest(self) -> str:
        return min(self.rows, key=lambda r: r.median_s).label

    def speedup(self, label, baseline=None) -> float:
        """Baseline median time / ``label`` median time (2.0 = twice as fast)."""
        base = self[self.baseline if baseline is None else baseline].median_s
        t = self[label].median_s
        return base / t if t > 0 else float("inf")

    def speedups(self, baseline=None) -> dict:
        return {r.label: self.speedup(r.label, baseline) for r in self.rows}

    def warnings(self, language: str | None = "en") -> list:
        """Plain-language notes on measurement quality (noisy spread, process kept waiting)
        and on where the work ran (worker processes, a GPU) when not in this process.

        Each note starts with its kind (``noisy:``, ``waiting:``, ``elsewhere:``). English by
        default, the form code reads; ``language=None`` gives the learner's language (the
        notebook display), as :func:`optkit.i18n.tr` does."""
        def note(kind, text):
            return f"{tr(kind, language=language)}: {text}"

        out = []
        noisy = [str(r.label) for r in self.rows if r.spread > NOISY_SPREAD]
        if noisy:
            out.append(note("noisy", tr(
                "the spread (IQR) of {labels} exceeds {limit:.0%} of the median; re-run before "
                "drawing conclusions.", language=language, labels=", ".join(noisy),
                limit=NOISY_SPREAD)))
        waited = [r for r in self.rows if r.cpu_use < WAITED_CPU_USE]
        others = [str(r.label) for r in waited if r.where == "waiting for other programs"]
        gpu = [str(r.label) for r in waited if r.where.startswith("GPU")]
        idle = [str(r.label) for r in waited if str(r.label) not in others + gpu]
        if others:
            out.append(note("waiting", tr(
                "while timing {labels} this process (with any child processes) ran on a CPU for "
                "less than {limit:.0%} of the time while other programs kept the CPUs busy, so "
                "these times are inflated.", language=language, labels=", ".join(others),
                limit=WAITED_CPU_USE)))
        if gpu:
            out.append(note("elsewhere", tr(
                "{labels} kept the CPU mostly idle with CUDA in use: the time is the GPU's (or "
                "waiting for it), not this CPU's.", language=language, labels=", ".join(gpu))))
        if idle:
            out.append(note("waiting", tr(
                "while timing {labels} this process ran on a CPU for less than {limit:.0%} of the "
                "time: other programs competed for the CPU (or the code sleeps / waits for I/O), "
                "so these times are inflated.", language=language, labels=", ".join(idle),
                limit=WAITED_CPU_USE)))
        workers = [tr("{label} ({cores:.1f} cores)", language=language, label=r.label,
                      cores=r.child_cpu_use) for r in self.rows if r.where == "worker processes"]
        if workers:
            out.append(note("elsewhere", tr(
                "most CPU time of {labels} was spent in child processes (workers); CPU use "
                "counts them.", language=language, labels=", ".join(workers))))
        return out

    def to_dict(self) -> dict:
        """Plain data, times in seconds (JSON-serialisable)."""
        return {
            "baseline": self.baseline,
            "rows": [dict(asdict(r), speedup=self.speedup(r.label)) for r in self.rows],
            "context": self.context,
        }

    def to_json(self, **kw) -> str:
        kw.setdefault("indent", 2)
        return json.dumps(self.to_dict(), default=str, **kw)

    def plot(self, **kw):
        from . import plot as _plot

        kw.setdefault("baseline", self.baseline)
        return _plot.speedup_bars(self, **kw)

    def __str__(self) -> str:
        head = (f"{'variant':<24}{'first call':>11}{'best':>11}{'median':>11}{'IQR':>11}"
                f"{'CPU use':>9}  speedup")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            tag = "  (baseline)" if r.label == self.baseline else ""
            lines.append(f"{str(r.label)[:23]:<24}{format_time(r.first_call_s):>11}"
                         f"{format_time(r.best_s):>11}{format_time(r.median_s):>11}"
                         f"{format_time(r.iqr_s):>11}{format_use(r.cpu_use):>9}  "
                         f"{format_speedup(self.speedup(r.label))}{tag}")
        lines += [wrap(f"! {w}", indent="  ") for w in self.warnings()]
        lines.append(wrap(context_line(self.context)))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        th = "".join(f"<th style='text-align:right;word-break:keep-all'>{h}</th>" for h in
                     (tr("first call"), tr("best"), tr("median"), "IQR",
                      tr("loops × repeats"),
                      "<span title='{}'>{}</span>".format(
                          html.escape(tr("process CPU time / wall time while timing: 1.0 = one "
                                         "core busy; above 1 = several threads; well below 1 = "
                                         "the process waited"), quote=True), tr("CPU use")),
                      html.escape(tr("speedup vs {baseline}", baseline=self.baseline))))
        body = []
        for r in self.rows:
            s = self.speedup(r.label)
            is_base = r.label == self.baseline
            colour = "" if is_base else ("color:#1a7f37;" if s >= 1.05 else
                                         "color:#b42318;" if s < 0.95 else "")
            name = html.escape(str(r.label)) + (f" <i>({tr('baseline')})</i>" if is_base else "")
            cells = [format_time(r.first_call_s), format_time(r.best_s), format_time(r.median_s),
                     format_time(r.iqr_s), f"{r.loops} × {r.repeats}", format_use(r.cpu_use)]
            tds = "".join(f"<td style='text-align:right;white-space:nowrap'>{c}</td>" for c in cells)
            body.append(f"<tr><td style='{_LABEL_CELL}'>{name}</td>{tds}"
                        f"<td style='text-align:right;font-weight:bold;{colour}'>"
                        f"{format_speedup(s)}</td></tr>")
        warn = "".join(f"<br><span style='color:#b54708'>⚠ {html.escape(w)}</span>"
                       for w in self.warnings(language=None))
        # Jupyter's stylesheet gives tables a fixed layout, sized by the header row, which
        # cut long labels short: automatic layout, and a label column wide enough to wrap in
        return ("<div class='optkit-comparison'><table style='table-layout:auto'>"
                f"<thead><tr><th style='{_LABEL_CELL}'>{tr('variant')}</th>{th}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>"
                "<small>" + html.escape(tr(
                    "Per-call times, variants timed in interleaved rounds. The first call "
                    "(warm-up: compilation, caches) is shown on its own and is not part of "
                    "best/median/IQR (inter-quartile range of the repeats).")) +
                f" {html.escape(context_line(self.context))}{warn}</small></div>")


# the label column of Comparison's HTML table: wide enough for a long label, wrapped beyond
# (between words only: Korean is not broken between syllables)
_LABEL_CELL = ("text-align:left;min-width:14em;max-width:24em;white-space:normal;word-break:keep-all;"
               "overflow-wrap:anywhere;text-overflow:clip;overflow:visible")


class Sweep:
    """Medians of several variants over a range of sizes or thread counts."""

    def __init__(self, x, times, kind="size", comparisons=None, context=None, baseline=None):
        self.x: list = list(x)
        self.times: dict = {k: list(v) for k, v in times.items()}
        self.kind: str = kind                    # "size" or "threads"
        self.comparisons: list = list(comparisons or [])
        self.context: dict = dict(context or {})
        self.baseline = baseline

    @property
    def labels(self) -> list:
        return list(self.times)

    @property
    def iqrs(self) -> dict:
        """{label: [IQR of the per-call times at each x]}, the spread of :attr:`times`
        (NaN where the sweep was built without its comparisons)."""
        out = {k: [] for k in self.times}
        for i in range(len(self.x)):
            c = self.comparisons[i] if i < len(self.comparisons) else None
            for k in self.times:
                try:
                    out[k].append(c[k].iqr_s if c is not None else float("nan"))
                except KeyError:
                    out[k].append(float("nan"))
        return out

    def warnings(self) -> list:
        """The measurement-quality notes of every point, prefixed with its x."""
        name = "threads" if self.kind == "threads" else "n"
        return [f"{w.split(':', 1)[0]}: at {name}={x}: {w.split(':', 1)[1].strip()}"
                for x, c in zip(self.x, self.comparisons) for w in c.warnings()]

    def speedups(self, baseline=None) -> dict:
        """{label: [baseline median / label median at each x]} (baseline: first variant).
        For a thread sweep, :func:`optkit.plot.thread_scaling` shows instead each variant
        against its own time at the first thread count."""
        if baseline is None:
            baseline = self.baseline if self.baseline is not None else self.labels[0]
        base = self.times[baseline]
        return {k: [b / t if t and t > 0 else float("nan") for b, t in zip(base, v)]
                for k, v in self.times.items()}

    def to_dict(self) -> dict:
        return {"kind": self.kind, "x": self.x, "times": self.times, "baseline": self.baseline,
                "comparisons": [c.to_dict()["rows"] for c in self.comparisons],
                "context": self.context}

    def to_json(self, **kw) -> str:
        kw.setdefault("indent", 2)
        return json.dumps(self.to_dict(), default=str, **kw)

    def plot(self, **kw):
        from . import plot as _plot

        if self.kind == "threads":
            return _plot.thread_scaling(self, **kw)
        return _plot.scaling(self, **kw)

    def __str__(self) -> str:
        name = "threads" if self.kind == "threads" else "n"
        head = f"{name:>10}" + "".join(f"{str(k)[:23]:>24}" for k in self.times)
        lines = [head]
        iqrs = self.iqrs
        for i, x in enumerate(self.x):
            lines.append(f"{x:>10}" + "".join(
                f"{format_time(v[i]) + ' ± ' + format_time(iqrs[k][i]):>24}"
                for k, v in self.times.items()))
        lines.append("median ± IQR per call")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        name = "threads" if self.kind == "threads" else "n"
        th = "".join(f"<th style='text-align:right;word-break:keep-all'>{html.escape(str(k))}</th>"
                     for k in self.times)
        iqrs = self.iqrs
        rows = "".join(
            f"<tr><td style='text-align:right'>{x}</td>" +
            "".join(f"<td style='text-align:right'>{format_time(v[i])} "
                    f"<small>± {format_time(iqrs[k][i])}</small></td>"
                    for k, v in self.times.items())
            + "</tr>" for i, x in enumerate(self.x))
        together = (" " + tr("All thread counts of all variants timed in one set of "
                             "interleaved rounds.") if self.kind == "threads" else "")
        return (f"<div class='optkit-sweep'><table><thead><tr><th>{tr(name)}</th>{th}</tr></thead>"
                f"<tbody>{rows}</tbody></table><small>{tr('median time per call ± IQR.')}{together} "
                f"{html.escape(context_line(self.context))}</small></div>")
