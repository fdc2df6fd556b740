"""A self-check's verdict: its status, message and timings, shown as a coloured box in a
notebook (plain text elsewhere) and recorded in VERDICTS (what the course's tests read)."""
from __future__ import annotations

import datetime as _dt
import html
import json
import os

from optkit.fmt import format_time
from optkit.i18n import tr

__all__ = ["STATUSES", "VERDICTS", "Verdict", "ipython", "show", "record"]


STATUSES = ("pass", "wrong", "too slow", "error", "timeout", "not yet")


def _code_spans(escaped: str) -> str:
    """Markdown's `code` spans of an already escaped message as <code> (the plain text keeps
    its backticks); an unpaired backtick stays as it is."""
    parts = escaped.split("`")
    if len(parts) % 2 == 0:                  # odd number of backticks: leave the text alone
        return escaped
    return "".join(p if i % 2 == 0 else f"<code>{p}</code>" for i, p in enumerate(parts))


VERDICTS: list = []


_STYLE = {   # status -> (background, border, headline)
    "pass": ("#e6f4ea", "#1a7f37", "PASS"),
    "wrong": ("#fdecea", "#b42318", "WRONG"),
    "error": ("#fdecea", "#b42318", "ERROR"),
    "timeout": ("#fdecea", "#b42318", "TIMEOUT"),
    "too slow": ("#fff4e5", "#b54708", "TOO SLOW"),
    "not yet": ("#f2f2f2", "#6b6b6b", "NOT YET"),
}


class Verdict:
    """Outcome of :meth:`Exercise.check`."""

    def __init__(self, exercise, status, message, speedup=None, target=None,
                 reference_speedup=None, details=None, timings=None):
        if status not in _STYLE:
            raise ValueError(f"unknown verdict status {status!r}; use one of {list(_STYLE)}")
        self.exercise = exercise
        self.status = status
        self.message = message
        self.speedup = speedup
        self.target = target
        self.reference_speedup = reference_speedup
        self.details = details or ""
        self.timings = timings or {}
        self.time = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._shown_at = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "status": self.status, "passed": self.passed,
                "speedup": self.speedup, "target": self.target,
                "reference_speedup": self.reference_speedup, "message": self.message,
                "notebook_time": self.time}

    def _timings_line(self) -> str:
        if not self.timings:
            return ""
        return tr("median per call: ") + " · ".join(
            f"{tr(k)} {format_time(v)}" for k, v in self.timings.items())

    def __str__(self) -> str:
        head = tr(_STYLE[self.status][2])
        s = f"{head} · {tr(self.exercise)}: {self.message}"   # the title in the course language
        if self.timings:
            s += "\n" + self._timings_line()
        if self.details:
            s += "\n" + self.details
        return s

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        bg, border, head = _STYLE[self.status]
        head = tr(head)
        details = (f"<pre style='margin:4px 0 0 0;white-space:pre-wrap;font-size:90%'>"
                   f"{html.escape(self.details)}</pre>" if self.details else "")
        if self.timings:
            details = (f"<div style='font-size:85%;color:#444'>{html.escape(self._timings_line())}"
                       f"</div>{details}")
        return (f'<div class="optkit-verdict" data-status="{html.escape(self.status)}" '
                f"style='background:{bg};border-left:6px solid {border};padding:6px 10px;"
                f"margin:4px 0;color:#1d1d1d'>"
                f"<b style='color:{border}'>{head}</b> · {html.escape(tr(self.exercise))}: "
                f"{_code_spans(html.escape(self.message))}{details}</div>")

    def _mimebundle(self):
        return {"text/plain": str(self), "text/html": self._repr_html_()}

    def _ipython_display_(self):
        # check() already displayed it in this cell: returning it as the cell value must
        # not show it a second time.
        ip = ipython()
        count = getattr(ip, "execution_count", None) if ip else None
        if self._shown_at is not None and self._shown_at == count:
            return
        from IPython.display import display

        display(self._mimebundle(), raw=True)
        self._shown_at = count


def ipython():
    try:
        from IPython import get_ipython

        return get_ipython()
    except Exception:
        return None


def show(verdict):
    ip = ipython()
    if ip is not None and hasattr(ip, "display_formatter"):
        try:
            verdict._ipython_display_()
            return
        except Exception:
            pass
    print(verdict)


def record(verdict):
    VERDICTS.append(verdict)
    path = os.environ.get("OPTKIT_VERDICTS")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(verdict.to_dict(), default=str) + "\n")
        except OSError as exc:
            print(f"optkit.check: could not write verdict to {path}: {exc}")
