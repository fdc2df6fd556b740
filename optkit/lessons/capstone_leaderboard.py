"""Lesson 08's leaderboard (the annex of ``optkit.lessons.capstone``): ``optkit leaderboard
FILES_OR_FOLDERS...`` reads the room's result files (written by ``capstone.save_result``; files
other people wrote, so each is bounded and checked), keeps each learner's newest run per
machine, and ranks them in a table and a chart. Rows whose speedups are within the noise of
each other (``optkit.timing.clearly_different``, applied to each row and the row above it)
share a rank, marked ``=``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import stat
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from optkit.i18n import tr
from optkit.lessons.capstone import (CLOCK_SKEW, FUTURE_SLACK, MAX_CPUS, MAX_JSON_DEPTH, MAX_RESULT_BYTES, MAX_TEXT,
                                     SCHEMA, SPEEDUP_RANGE, STATUSES, TARGET_SPEEDUP, ResultFileError)

__all__ = ["load_result", "Leaderboard", "leaderboard", "leaderboard_main", "rank_all"]

TIME_RANGE_S = (1e-9, 1e5)      # an end-to-end median outside: not a timing of this pipeline
MAX_REL_IQR = 2.0               # an IQR above twice its median: not a usable spread
E2E_TIMES = (("median_s", "iqr_s"), ("baseline_median_s", "baseline_iqr_s"))


def _read_bounded(path: Path) -> str:
    """The text of a small regular file. Opened without blocking (a FIFO named *.json must not
    wait for a writer) and checked before reading (no device such as /dev/zero, no folder)."""
    def not_regular(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a file")
        return ResultFileError(f"{path}: not a regular file ({kind})")

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):                       # a device is not even opened
            raise not_regular(mode)
        fd = os.open(path, flags)
    except OSError as exc:
        raise ResultFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)                                # what was opened, not what was named
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(st.st_mode)
        if st.st_size > MAX_RESULT_BYTES:
            raise ResultFileError(f"{path}: too large for a result file ({st.st_size} bytes, "
                                  f"at most {MAX_RESULT_BYTES})")
        chunks, size = [], 0
        while size <= MAX_RESULT_BYTES:
            b = os.read(fd, MAX_RESULT_BYTES + 1 - size)
            if not b:
                break
            chunks.append(b)
            size += len(b)
    except OSError as exc:
        raise ResultFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if size > MAX_RESULT_BYTES:
        raise ResultFileError(f"{path}: too large for a result file (more than {MAX_RESULT_BYTES} bytes)")
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResultFileError(f"{path}: cannot read: not UTF-8 text ({exc.reason})") from exc


def _json_depth(raw: str) -> int:
    """How deeply the JSON text nests arrays and objects (brackets inside strings ignored),
    found in one linear pass without parsing it."""
    depth = deepest = 0
    in_str = escaped = False
    for ch in raw:
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _when(rec) -> _dt.datetime | None:
    """The record's 'when' as an aware datetime (UTC if it names no zone), None if it has none;
    ValueError if it is not an ISO 8601 date."""
    w = rec.get("when")
    if w is None:
        return None
    if not isinstance(w, str) or len(w) > 40:
        raise ValueError(w)
    t = _dt.datetime.fromisoformat(w[:-1] + "+00:00" if w.endswith("Z") else w)
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


def load_result(path) -> dict:
    """Read and validate one result file; ResultFileError (naming the file) when it is unusable.

    The file must be a regular file of at most MAX_RESULT_BYTES, JSON nested at most
    MAX_JSON_DEPTH deep; the speedup a finite number within SPEEDUP_RANGE; names at most MAX_TEXT
    characters; the date (if any) not in the future."""
    path = Path(path)
    raw = _read_bounded(path)
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise ResultFileError(f"{path}: JSON nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        rec = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ResultFileError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(rec, dict):
        raise ResultFileError(f"{path}: expected a JSON object, got {type(rec).__name__}")
    if rec.get("schema", SCHEMA) != SCHEMA:
        raise ResultFileError(f"{path}: unknown schema {_plain(repr(rec.get('schema')), 40)} "
                              f"(expected {SCHEMA!r})")
    problems = []
    for key in ("name", "machine"):
        v = rec.get(key)
        if not isinstance(v, str) or not v.strip():
            problems.append(f"'{key}' must be a non-empty string")
        elif len(v) > MAX_TEXT:
            problems.append(f"'{key}' is longer than {MAX_TEXT} characters")
    for key in ("cpu_model", "learner"):
        v = rec.get(key)
        if v is not None and (not isinstance(v, str) or len(v) > MAX_TEXT):
            problems.append(f"'{key}' must be a string of at most {MAX_TEXT} characters")
    if rec.get("verdict") not in STATUSES:
        problems.append(f"'verdict' must be one of {list(STATUSES)}, got {_plain(repr(rec.get('verdict')), 40)}")
    sp = rec.get("speedup")
    lo, hi = SPEEDUP_RANGE
    if sp is not None and (isinstance(sp, bool) or not isinstance(sp, (int, float))
                           or (isinstance(sp, float) and not math.isfinite(sp)) or sp <= 0):
        problems.append(f"'speedup' must be a positive number or null, got {_plain(repr(sp), 40)}")
    elif sp is not None and not lo <= sp <= hi:            # exact for a 400-digit int too
        shown = f"{sp:.3g}" if isinstance(sp, float) else f"an integer of {len(str(sp))} digits"
        problems.append(f"'speedup' must be between x{lo:g} and x{hi:g}, got {shown}")
    if rec.get("verdict") == "pass" and sp is None:
        problems.append("a 'pass' needs a 'speedup'")
    cpus = rec.get("cpus")
    if cpus is not None and (isinstance(cpus, bool) or not isinstance(cpus, int)
                             or not 1 <= cpus <= MAX_CPUS):
        problems.append(f"'cpus' must be a positive integer, got {_plain(repr(cpus), 40)}")
    try:
        when = _when(rec)
    except (ValueError, TypeError):
        problems.append(f"'when' must be an ISO 8601 date, got {_plain(repr(rec.get('when')), 40)}")
    else:
        if when is not None and when > _dt.datetime.now(_dt.timezone.utc) + FUTURE_SLACK:
            problems.append(f"'when' is in the future ({rec['when']})")
    e2e = _end_to_end_problems(rec.get("end_to_end"), problems)
    if problems:
        raise ResultFileError(f"{path}: " + "; ".join(problems))
    rec = dict(rec)
    if e2e is not None:
        rec["end_to_end"] = e2e
    if isinstance(sp, int):
        rec["speedup"] = float(sp)
    rec["file"] = str(path)
    return rec


def _seconds(v):
    """``v`` as a finite float, else None (a bool, a string, a 400-digit int, NaN, inf)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        f = float(v)
    except (OverflowError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _end_to_end_problems(e2e, problems):
    """The end-to-end timing of a result file with its times as floats (None when the file has
    none); appends to ``problems`` what makes it unusable: each median a finite number of
    seconds within TIME_RANGE_S, each IQR (when given) finite, >= 0 and at most MAX_REL_IQR
    times its median."""
    if e2e is None:
        return None
    if not isinstance(e2e, dict):
        problems.append(f"'end_to_end' must be an object, got {type(e2e).__name__}")
        return None
    out = dict(e2e)
    lo, hi = TIME_RANGE_S
    for med_key, iqr_key in E2E_TIMES:
        med = _seconds(e2e.get(med_key))
        if med is None or not lo <= med <= hi:
            problems.append(f"'end_to_end.{med_key}' must be a number of seconds between {lo:g} and "
                            f"{hi:g}, got {_plain(repr(e2e.get(med_key)), 40)}")
            continue
        out[med_key] = med
        if e2e.get(iqr_key) is None:
            continue
        iqr = _seconds(e2e.get(iqr_key))
        if iqr is None or not 0 <= iqr <= MAX_REL_IQR * med:
            problems.append(f"'end_to_end.{iqr_key}' must be a number of seconds from 0 to "
                            f"{MAX_REL_IQR:g} x its median, got {_plain(repr(e2e.get(iqr_key)), 40)}")
            continue
        out[iqr_key] = iqr
    return out


def _plain(text, width: int | None = None) -> str:
    """`text` safe to show: control and formatting characters (ANSI escapes, bidi overrides,
    new lines) become '?', and it is cut to `width` characters."""
    s = "".join("?" if unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")
                else ch for ch in str(text))
    return s if width is None or len(s) <= width else s[: max(width - 1, 0)] + "…"


def _label(text, width: int = 40) -> str:
    """Plain text for a matplotlib label: no mathtext (every '$' escaped)."""
    return _plain(text, width).replace("$", r"\$")


@dataclass
class Leaderboard:
    rows: list                                     # valid records, best first
    skipped: list = field(default_factory=list)    # (file, reason)

    def to_dict(self) -> dict:
        keys = ("rank", "tie", "name", "machine", "cpus", "cpu_model", "verdict", "speedup", "when", "file")
        return {"rows": [{k: r.get(k) for k in keys} for r in self.rows],
                "skipped": [{"file": f, "reason": why} for f, why in self.skipped]}

    def table(self) -> str:
        head = (f"{'#':>3}  {'name':<20} {'machine':<18} {'cpus':>4}  {'verdict':<9} {'speedup':>9}"
                f" {'± spread':>9}  measured by")
        lines = [head, "-" * len(head)]
        for r in self.rows:       # names are other people's text: shown plain, no escapes
            sp = f"x{r['speedup']:.1f}" if r.get("speedup") else "-"
            lines.append(f"{_rank(r):>3}  {_plain(r['name'], 20):<20} {_plain(r['machine'], 18):<18} "
                         f"{r.get('cpus') or '?':>4}  {r['verdict']:<9} {sp:>9} {_spread_text(r):>9}  "
                         f"{_source(r)}")
        if not self.rows:
            lines.append("(no valid result files)")
        for f, why in self.skipped:
            lines.append(f"skipped {_plain(why, 300)}")    # one line per bad file
        return "\n".join(lines)

    __str__ = table

    def _repr_html_(self) -> str:
        import html

        cells = "".join(
            f"<tr><td>{_rank(r)}</td><td>{html.escape(_plain(r['name']))}</td>"
            f"<td>{html.escape(_plain(r['machine']))}</td>"
            f"<td>{r.get('cpus') or '?'}</td><td>{html.escape(r['verdict'])}</td>"
            f"<td>{'x%.1f' % r['speedup'] if r.get('speedup') else '-'}</td>"
            f"<td>{_spread_text(r)}</td><td>{_source(r)}</td></tr>" for r in self.rows)
        skipped = "".join(f"<li>{html.escape(_plain(why, 300))}</li>" for _, why in self.skipped)
        return ("<table class='optkit-leaderboard'><tr><th>#</th><th>name</th><th>machine</th>"
                f"<th>cpus</th><th>verdict</th><th>speedup</th><th>± spread</th>"
                f"<th>measured by</th></tr>{cells}</table>"
                + (f"<p>skipped:</p><ul>{skipped}</ul>" if skipped else ""))

    def plot(self, target: float | None = TARGET_SPEEDUP, title: str | None = "Capstone leaderboard"):
        """Horizontal bars of each learner's speedup (log scale), coloured by verdict."""
        from optkit import plot

        rows = [r for r in self.rows if r.get("speedup")]
        fig = plot.figure(figsize=(7.0, max(2.0, 0.45 * len(rows) + 1.2)), layout=None)
        ax = fig.add_subplot(1, 1, 1)
        colours = {"pass": "#2ca02c", "too slow": "#ff7f0e"}
        if rows:
            # plain text: a '$' in a name must not switch on mathtext; numbered so that two
            # learners whose labels look alike still get a bar each
            labels = [f"{_rank(r)}. {_label(r['name'], 30)} ({_label(r['machine'], 20)})" for r in rows]
            labels = [x if labels.count(x) == 1 else f"{x} #{i}" for i, x in enumerate(labels, 1)][::-1]
            values = [r["speedup"] for r in rows][::-1]
            cols = [colours.get(r["verdict"], "#d62728") for r in rows][::-1]
            bars = ax.barh(labels, values, color=cols, height=0.6)
            ax.set_xscale("log")
            for bar, v in zip(bars, values):
                ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" x{v:.1f}",
                        va="center", fontsize=8)
            if target:
                ax.axvline(target, color="#555555", linestyle="--", linewidth=1,
                           label=tr("target x{target}", target=f"{target:g}"))
                ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
            ax.set_xlim(1, max(values + [target or 1]) * 3)   # bars start at x1 (the baseline)
            # "x1, x10, x100" like the other charts (not 10^0, 10^1); minor ticks labelled too
            # when the axis spans less than about a decade
            plot.log_labels(ax.xaxis, plot.speedup_formatter(), ax.get_xlim())
        else:
            ax.text(0.5, 0.5, tr("no speedups to show"), ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel(tr("speedup over the pure-Python pipeline (each on their own machine)"))
        if title:
            ax.set_title(tr(title))        # the default title is in the catalogue
        fig.tight_layout()
        return fig


def _expand(paths) -> list[Path]:
    files = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(p.glob("*.json")))
        else:
            files.append(p)
    return files


def leaderboard(paths) -> Leaderboard:
    """Gather result files (or folders of them): passes first, then by speedup; one row per
    learner id, name and machine (a row named the id itself gives way to a named row, as new or newer, of the
    same id and machine; the newest file wins; a file without a date never replaces a
    dated one, and a date later than now + CLOCK_SKEW never replaces a plausible one). Unusable files are listed in .skipped, one reason each: one bad file never
    stops the others."""
    best, skipped = {}, []
    oldest = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)
    latest = _dt.datetime.now(_dt.timezone.utc) + CLOCK_SKEW

    def newness(rec):   # a date beyond now (+ clock skew) is not believed: it never replaces a row
        when = _when(rec)
        return (0, when) if when is not None and when > latest else (1, when or oldest)

    for f in _expand(paths):
        try:
            rec = load_result(f)
        except ResultFileError as exc:
            skipped.append((str(f), str(exc)))
            continue
        except Exception as exc:            # whatever else a hostile file finds: skip it too
            skipped.append((str(f), f"{f}: unusable ({type(exc).__name__}: {exc})"))
            continue
        # one row per learner id, name and machine (learners sharing one account share the id
        # and type their own names); a row named the id itself is the run saved before a name
        # was typed, superseded below by a named row of the same id and machine
        key = (rec.get("learner") or "", rec["name"], rec["machine"])
        if key not in best or newness(rec) > newness(best[key]):
            best[key] = rec
    named = {}                          # (id, machine) -> the newness of its newest named row
    for k, r in best.items():
        if k[0] and k[1] != k[0]:
            named[(k[0], k[2])] = max(named.get((k[0], k[2]), newness(r)), newness(r))
    best = {k: r for k, r in best.items()          # a newer unnamed run stays (A11 1)
            if not (k[0] and k[1] == k[0] and (k[0], k[2]) in named and newness(r) <= named[(k[0], k[2])])}
    order = {s: i for i, s in enumerate(("pass", "too slow", "wrong", "error", "timeout", "not yet"))}
    rows = sorted(best.values(), key=lambda r: (order[r["verdict"]], -(r.get("speedup") or 0), r["name"]))
    rank_all(rows)
    return Leaderboard(rows, skipped)


def _source(rec) -> str:
    """Which measurement a row's speedup comes from: the notebook's end-to-end comparison
    or the check's shorter timing (one figure, no spread); "?" for anything else in the file."""
    return {"end to end": "end to end", "check": "check"}.get(rec.get("speedup_source"), "?")


def _spread_text(rec) -> str:
    """The ± of a row's speedup (:func:`_spread`), "-" where the file gives none."""
    sp = _spread(rec) if rec.get("speedup") else 0.0
    return f"±{sp:.1f}" if sp > 0 else "-"


def _spread(rec) -> float:
    """The noise of a row's speedup: its end-to-end measurement's relative IQRs (learner's and
    baseline's) times the speedup; 0 when the file has none (the check's figure, one number)."""
    e2e = rec.get("end_to_end")
    sp = _seconds(rec.get("speedup"))
    if not isinstance(e2e, dict) or sp is None:
        return 0.0
    rel = 0.0
    for med, iqr in E2E_TIMES:          # unusable values count as no spread, never raise
        i, m = _seconds(e2e.get(iqr)), _seconds(e2e.get(med))
        if i is not None and m is not None and m > 0 and 0 <= i <= MAX_REL_IQR * m:
            rel += i / m
    spread = sp * rel
    return spread if math.isfinite(spread) else 0.0


def rank_all(rows) -> None:
    """Ranks for rows already in order (``rank``; ``tie`` True where a rank is shared). Each row
    is compared with the row just above it: when both have the same verdict and their speedups
    are not ``clearly_different`` (a ratio under x1.1, or medians closer than their spreads
    added), the row joins that row's rank. A tie group therefore stays open as long as each
    neighbouring pair is unclear (x30, x28, x26.5 share one rank: no row is ranked below a row
    it is not clearly apart from). One number (no end-to-end measurement) has no spread: the
    ratio rule alone applies."""
    from optkit.timing import Timing, clearly_different

    def timing(r):
        return Timing(str(r["name"]), math.nan, math.nan, r["speedup"], _spread(r), 1, 1)

    prev = None
    for i, r in enumerate(rows, 1):
        r["rank"], r["tie"] = i, False
        if prev is not None and r.get("speedup") and prev.get("speedup") \
                and r["verdict"] == prev["verdict"] \
                and not clearly_different(timing(prev), timing(r)):
            r["rank"] = prev["rank"]
            r["tie"] = prev["tie"] = True
        prev = r


def _rank(r) -> str:
    return f"{r['rank']}{'=' if r.get('tie') else ''}"


def leaderboard_main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="optkit leaderboard",
                                 description="gather capstone result files into one table and chart")
    ap.add_argument("files", nargs="+", help="result .json files or folders holding them")
    ap.add_argument("--json", action="store_true", help="print JSON only")
    ap.add_argument("--png", metavar="PATH", help="also write a bar chart of the speedups")
    args = ap.parse_args(argv)
    board = leaderboard(args.files)
    chart_failed = False
    if args.png and board.rows:
        try:
            import matplotlib

            import io

            Path(args.png).parent.mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            fmt = Path(args.png).suffix[1:].lower() or "png"
            with matplotlib.rc_context({"text.usetex": False}):    # names are text, not LaTeX
                board.plot().savefig(buf, format=fmt, dpi=110)
            with open(args.png, "wb") as f:    # written here, so that a failed write is an error
                f.write(buf.getvalue())
        except (OSError, ValueError, RuntimeError) as exc:
            # the table is still printed below: one problem with the chart stops nobody
            print(f"optkit leaderboard: cannot write {args.png}: {_plain(exc, 300)}", file=sys.stderr)
            chart_failed = True
    if args.json:
        print(json.dumps(board.to_dict(), indent=1))
    else:
        print(board.table())
        if args.png and board.rows and not chart_failed:
            print(f"chart: {args.png}")
    if not board.rows:
        if not args.json:
            print("optkit leaderboard: no valid result files", file=sys.stderr)
        return 1
    return 1 if board.skipped or chart_failed else 0
