"""Argument types shared by the `optkit` sub-commands.

Each is an argparse ``type=``: a bad value becomes argparse's one-line
``optkit X: error: argument --N: ...`` message and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse

__all__ = ["positive_int", "nonnegative_int", "int_in", "port"]


def _int(text: str) -> int:
    try:
        return int(str(text).strip(), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """A whole number >= 1 (threads, repeats, boxes, sizes)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def int_in(lo: int, hi: int, what: str = ""):
    """An argparse type for a whole number in lo..hi (a typo like --repeat 100000 is refused)."""
    def check(text: str) -> int:
        value = _int(text)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be {lo}..{hi}{what}, got {value}")
        return value
    check.__name__ = f"int {lo}..{hi}"       # argparse names the type in some messages
    return check


def nonnegative_int(text: str) -> int:
    """A whole number >= 0 (a seed)."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def port(text: str) -> int:
    """A TCP port, 1..65535."""
    value = _int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1..65535, got {value}")
    return value
