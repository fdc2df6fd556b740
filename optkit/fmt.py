"""Formatting shared by every module: durations, speedup factors, CPU use, and the
"unknown: <reason>" value a machine reader returns for what it could not read. A leaf: it
imports nothing from optkit."""
from __future__ import annotations

import math
import re
import unicodedata

__all__ = ["format_time", "format_speedup", "format_use", "unknown", "is_unknown", "text_width", "wrap",
           "NARROW_WIDTH"]

#: characters of monospace output that fit a 1280-pixel JupyterLab window with the file browser
#: open; a longer line wraps there, mid-word
NARROW_WIDTH = 100


def format_time(seconds: float | None) -> str:
    """Human-readable duration: 812 ns, 12.3 µs, 4.56 ms, 1.23 s."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s = float(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(s) >= scale:
            v = s / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{s * 1e9:.3g} ns"


def format_use(u: float | None) -> str:
    """CPU time / wall time, two decimals ('–' when unknown)."""
    return "–" if u is None or not math.isfinite(u) else f"{u:.2f}"


def format_speedup(s: float | None, below: float | None = None) -> str:
    """'x12.3' style factor (more digits below 1 so slow-downs stay readable). ``below``: a target
    that ``s`` missed: the factor is rounded down, so that x4.97 against a target of x5 shows as
    x4.9, never as the target itself."""
    if s is None or not math.isfinite(s):
        return "–"
    digits = 0 if s >= 100 else 1 if s >= 1 else 2
    if below is not None and s < below:
        s = math.floor(s * 10 ** digits + 1e-9) / 10 ** digits     # 0.57 stays x0.57
    return f"x{s:.{digits}f}"


def unknown(reason) -> str:
    """How a machine reader says it could not read something: ``"unknown: <first line>"``."""
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else "no detail"
    return f"unknown: {text[:200]}"


def is_unknown(value) -> bool:
    return isinstance(value, str) and value.startswith("unknown")


#: an ANSI colour/style escape (``ESC [ ... m``): it takes no column on screen
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _char_width(c: str) -> int:
    if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
        return 0                       # combining marks, zero-width characters (ZWJ, ZWSP, BOM)
    if "\u1160" <= c <= "\u11ff":
        return 0                       # Hangul medial vowels and final consonants join the syllable
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


def text_width(line: str) -> int:
    """Columns ``line`` takes in a monospace font: wide (East Asian, Korean) characters count
    two; combining marks, zero-width characters and ANSI colour escapes count nothing; a tab
    reaches the next multiple of 8 columns."""
    col = 0
    for c in _ANSI.sub("", line):
        col += 8 - col % 8 if c == "\t" else _char_width(c)
    return col


def wrap(text: str, width: int = NARROW_WIDTH, indent: str = "    ") -> str:
    """``text`` with every line over ``width`` columns (:func:`text_width`) broken between words;
    the continuation lines start with the line's own leading spaces and ``indent``. A line that fits, and a single word longer than
    the width (a path), are kept as they are."""
    out = []
    for line in str(text).split("\n"):
        if text_width(line) <= width:
            out.append(line)
            continue
        lead = line[:len(line) - len(line.lstrip(" "))]
        current = ""
        for word in line[len(lead):].split(" "):
            if current and text_width(current + " " + word) <= width:
                current += " " + word
            elif current:
                out.append(current)
                current = lead + indent + word
            else:
                current = lead + word
        out.append(current.rstrip())
    return "\n".join(out)
