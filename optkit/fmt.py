"""Formatting shared by every module: durations, speedup factors, CPU use, and the
"unknown: <reason>" value a machine reader returns for what it could not read. A leaf: it
imports nothing from optkit."""
from __future__ import annotations

import math

__all__ = ["format_time", "format_speedup", "format_use", "unknown", "is_unknown"]


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


def format_speedup(s: float | None) -> str:
    """'x12.3' style factor (more digits below 1 so slow-downs stay readable)."""
    if s is None or not math.isfinite(s):
        return "–"
    if s >= 100:
        return f"x{s:.0f}"
    if s >= 1:
        return f"x{s:.1f}"
    return f"x{s:.2f}"


def unknown(reason) -> str:
    """How a machine reader says it could not read something: ``"unknown: <first line>"``."""
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else "no detail"
    return f"unknown: {text[:200]}"


def is_unknown(value) -> bool:
    return isinstance(value, str) and value.startswith("unknown")
