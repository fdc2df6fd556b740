"""optkit.fmt: durations, factors, CPU use, "unknown: ..." values and the monospace width/wrap of
printed lines. Typical format_time/format_speedup values are in tests/test_bench.py; text_width's
use on notebook output is in tests/test_notebooks.py (NARROW_CELLS); here: the edges."""
from __future__ import annotations

import numpy as np
import pytest

from optkit import fmt
from optkit.fmt import (NARROW_WIDTH, format_speedup, format_time, format_use, is_unknown, text_width,
                        unknown, wrap)


@pytest.mark.parametrize("s,txt", [(None, "–"), (float("nan"), "–"), (np.float64("nan"), "–"),
                                   (0, "0 ns"), (0.0, "0 ns"), (1, "1 s"), (1e-3, "1 ms"),
                                   (1e-6, "1 µs"), (999e-9, "999 ns"), (123.4e-3, "123 ms"),
                                   (99.94e-6, "99.9 µs"), (3600.0, "3600 s"), (np.float32(2.5), "2.5 s"),
                                   (-0.002, "-2 ms")])
def test_format_time_edges(s, txt):
    assert format_time(s) == txt


@pytest.mark.parametrize("u,txt", [(None, "–"), (float("nan"), "–"), (float("inf"), "–"),
                                   (0.0, "0.00"), (1.234, "1.23"), (7.999, "8.00")])
def test_format_use(u, txt):
    assert format_use(u) == txt


@pytest.mark.parametrize("s,txt", [(None, "–"), (float("nan"), "–"), (float("inf"), "–"),
                                   (float("-inf"), "–"), (100.0, "x100"), (1.0, "x1.0"),
                                   (0.999, "x1.00"), (0.123, "x0.12"), (0.0, "x0.00"), (2500.4, "x2500")])
def test_format_speedup_edges(s, txt):
    assert format_speedup(s) == txt


@pytest.mark.parametrize("s,target,txt", [(4.97, 5, "x4.9"), (0.999, 1, "x0.99"), (149.6, 150, "x149"),
                                          (5.04, 5, "x5.0"), (4.97, None, "x5.0"), (99.96, 100, "x99.9"),
                                          (0.57, 1, "x0.57"), (4.8999999999999995, 5, "x4.9")])
def test_format_speedup_below_a_missed_target_never_shows_the_target(s, target, txt):
    # a "too slow" verdict must not print "x5.0 ... target x5.0"
    assert format_speedup(s, below=target) == txt


def test_unknown_keeps_the_first_line_and_caps_it():
    assert unknown("no such file\nTraceback ...") == "unknown: no such file"
    assert unknown(FileNotFoundError("/sys/x missing")) == "unknown: /sys/x missing"
    assert unknown("") == "unknown: no detail" and unknown("  \n ") == "unknown: no detail"
    assert unknown(None) == "unknown: None"
    assert unknown("  padded  ") == "unknown: padded"
    long = unknown("x" * 5000)
    assert long == "unknown: " + "x" * 200
    assert unknown("권한이 없습니다") == "unknown: 권한이 없습니다"


def test_is_unknown_only_for_unknown_strings():
    assert is_unknown(unknown("why")) and is_unknown("unknown")
    for v in (None, 0, 3.5, ["unknown"], b"unknown: x", "known", "", "Unknown: x"):
        assert not is_unknown(v), v


@pytest.mark.parametrize("line,width", [
    ("", 0), ("abc", 3), ("한국어", 6), ("측정 환경: CPU", 14),
    ("e\u0301", 1),                                   # e + combining acute: one column
    ("a\u200bb", 2), ("a\u200db", 2), ("\ufeffx", 1),  # zero-width space, ZWJ, BOM
    ("\u1112\u1161\u11ab", 2),                         # 한 spelt as conjoining jamo: one syllable
    ("\x1b[31mred\x1b[0m", 3), ("\x1b[1;32mok\x1b[m", 2),
    ("\t", 8), ("ab\tc", 9), ("ＡＢ", 4),              # full-width Latin counts two
])
def test_text_width(line, width):
    assert text_width(line) == width


def test_tab_after_wide_text_reaches_the_next_tab_stop():
    assert text_width("가\tx") == 9
    assert text_width("한국어\t|") == 9


def test_wrap_leaves_lines_that_fit_alone():
    text = "short line\n" + "y" * NARROW_WIDTH + "\n\nlast"
    assert wrap(text) == text
    assert wrap("") == ""


def test_wrap_breaks_between_words_and_keeps_every_word():
    words = [f"word{i:03d}" for i in range(60)]
    line = "  " + " ".join(words)
    out = wrap(line, width=40, indent="    ")
    lines = out.split("\n")
    assert len(lines) > 1
    assert all(text_width(x) <= 40 for x in lines), lines
    assert lines[0].startswith("  word000") and not lines[0].startswith("   ")
    assert all(x.startswith("      word") for x in lines[1:])       # own 2 spaces + the indent
    assert " ".join(out.split()) == " ".join(words)


def test_wrap_counts_korean_as_two_columns():
    line = " ".join(["측정값"] * 30)          # 30 words of 6 columns, 209 columns in all
    lines = wrap(line, width=50).split("\n")
    assert all(text_width(x) <= 50 for x in lines), [text_width(x) for x in lines]
    assert len(lines) >= 5
    assert "".join(line.split()) == "".join("".join(lines).split())


def test_wrap_keeps_an_unbreakable_word_whole():
    path = "/very/long/" + "p" * 150 + "/file.ipynb"
    assert wrap(path, width=40) == path
    out = wrap("see " + path + " now", width=40).split("\n")
    assert path in [x.strip() for x in out]


def test_wrap_default_width_is_the_narrow_width():
    line = " ".join(["abcd"] * 60)
    assert all(text_width(x) <= NARROW_WIDTH for x in wrap(line).split("\n"))
    assert fmt.NARROW_WIDTH == 100


def test_huge_text_is_measured_and_wrapped():
    line = " ".join(["가나다"] * 20_000)               # 139,999 columns on one line
    assert text_width(line) == 20_000 * 6 + 19_999
    lines = wrap(line).split("\n")
    assert len(lines) > 1000 and max(text_width(x) for x in lines) <= NARROW_WIDTH
