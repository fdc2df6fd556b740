# Comparison/Sweep as bench makes them (labels, speedups, fastest, JSON keys, HTML table, noisy,
# waiting and worker notes, Korean table) are in tests/test_bench.py; their charts in tests/test_plot.py.
"""optkit.results on hand-made timings: what a caller reads (lookup errors, speedups at the
edges, the notes of each kind, text and HTML of odd labels) and Sweep's spread and notes."""
import json
import math
from pathlib import Path

import pytest

from optkit.results import NOISY_SPREAD, Comparison, Sweep
from optkit.timing import Timing


def T(label, median, iqr=0.0, **kw):
    return Timing(label, first_call_s=median, best_s=median, median_s=median, iqr_s=iqr, loops=1,
                  repeats=5, **kw)


def test_an_unknown_label_names_the_ones_there_are():
    c = Comparison([T("loop", 1.0), T("numpy", 0.1)], baseline="loop")
    assert c["numpy"].median_s == 0.1
    with pytest.raises(KeyError, match=r"no variant 'numba'; have \['loop', 'numpy'\]"):
        c["numba"]
    with pytest.raises(KeyError):
        c.speedup("numba")


def test_speedups_against_another_baseline_and_a_zero_time():
    c = Comparison([T("a", 2.0), T("b", 0.5), T("instant", 0.0)], baseline="a")
    assert c.speedup("b") == 4.0 and c.speedup("a", baseline="b") == 0.25
    assert c.speedup("instant") == math.inf                      # never a ZeroDivisionError
    assert c.speedups(baseline="b") == {"a": 0.25, "b": 1.0, "instant": math.inf}
    assert c.fastest == "instant"
    assert "x" in str(c)                                         # the table renders an infinite ratio


def test_rows_are_a_copy_and_the_context_too():
    rows, ctx = [T("a", 1.0)], {"usable_cpus": 2}
    c = Comparison(rows, baseline="a", context=ctx)
    rows.append(T("b", 1.0))
    ctx["usable_cpus"] = 64
    assert c.labels == ["a"] and c.context == {"usable_cpus": 2}


def test_each_kind_of_note_for_its_case():
    rows = [T("quiet", 1.0, 0.01, cpu_s=1.0),
            T("noisy", 1.0, NOISY_SPREAD * 1.0 + 0.01, cpu_s=1.0),
            T("crowded", 1.0, cpu_s=0.2, busy_cpu_s=1.9),            # others used 1.7 cores
            T("on gpu", 1.0, cpu_s=0.05, busy_cpu_s=0.05, gpu=True),
            T("sleepy", 1.0, cpu_s=0.05, busy_cpu_s=0.05),
            T("pooled", 1.0, cpu_s=0.01, child_cpu_s=1.8)]
    w = Comparison(rows, baseline="quiet").warnings()
    assert [x.split(":", 1)[0] for x in w] == ["noisy", "waiting", "elsewhere", "waiting", "elsewhere"]
    assert "of noisy exceeds 25%" in w[0]
    assert "timing crowded" in w[1] and "other programs kept the CPUs busy" in w[1]
    assert w[2].startswith("elsewhere: on gpu kept the CPU mostly idle with CUDA")
    assert "timing sleepy" in w[3] and "crowded" not in w[3] and "on gpu" not in w[3]
    assert "pooled (1.8 cores)" in w[4]
    assert Comparison(rows[:1], baseline="quiet").warnings() == []


def test_a_row_without_cpu_figures_gets_no_waiting_note():
    """Timings made without CPU counters (NaN CPU time) say nothing about waiting."""
    c = Comparison([T("a", 1.0), T("b", 0.5)], baseline="a")
    assert c.warnings() == []


def test_warnings_in_korean_on_request_english_by_default(monkeypatch):
    c = Comparison([T("a", 1.0, 0.5, cpu_s=1.0)], baseline="a")
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    assert c.warnings()[0].startswith("noisy: ")
    ko = c.warnings(language=None)[0]
    assert ko.startswith("잡음: ") and "25%" in ko
    assert c.warnings(language="en") == c.warnings()


def test_text_table_cuts_long_labels_and_keeps_korean_ones():
    long = "a very long variant label that does not fit"
    c = Comparison([T("기준 구현", 1.0, cpu_s=1.0), T(long, 0.5, cpu_s=0.5)], baseline="기준 구현")
    lines = str(c).splitlines()
    assert lines[2].startswith("기준 구현") and lines[2].endswith("(baseline)")
    assert lines[3].startswith(long[:23] + " ") and long[:24] not in lines[3]
    assert "x2.0" in lines[3] and not lines[3].endswith("(baseline)")
    assert repr(c) == str(c)


def test_html_escapes_labels_and_colours_the_speedups():
    c = Comparison([T("<base>", 1.0), T("faster & better", 0.5), T("slower", 2.0), T("level", 0.99)],
                   baseline="<base>")
    h = c._repr_html_()
    assert "<base>" not in h and "&lt;base&gt;" in h and "faster &amp; better" in h
    cells = {lbl: h.split(lbl, 1)[1].split("</tr>", 1)[0] for lbl in ("faster &amp; better", "slower", "level")}
    assert "color:#1a7f37" in cells["faster &amp; better"]      # green: faster
    assert "color:#b42318" in cells["slower"]                   # red: slower
    assert "color:#" not in cells["level"].split("font-weight:bold;", 1)[1]   # within 5 %: no colour


def test_json_survives_odd_context_values():
    c = Comparison([T("a", 1.0), T("b", 0.25)], baseline="a",
                   context={"cache": Path("/tmp/x"), "cpus": {3, 1}, "nan": float("nan")})
    d = json.loads(c.to_json())
    assert d["context"]["cache"] == "/tmp/x" and d["rows"][1]["speedup"] == 4.0
    assert "\n" not in c.to_json(indent=None)
    assert d["rows"][0]["samples_s"] == []


def test_an_empty_comparison_renders():
    c = Comparison([], baseline="a")
    assert str(c).splitlines()[0].startswith("variant") and "<table" in c._repr_html_()
    assert c.labels == [] and c.warnings() == [] and c.speedups() == {}


# --------------------------------------------------------------------------- Sweep

def test_sweep_copies_its_inputs():
    times = {"a": [1.0, 2.0]}
    s = Sweep([10, 20], times)
    times["a"].append(3.0)
    times["b"] = [1.0]
    assert s.times == {"a": [1.0, 2.0]} and s.labels == ["a"] and s.kind == "size"


def test_sweep_iqrs_are_nan_where_nothing_was_measured():
    c0 = Comparison([T("a", 1.0, 0.1), T("b", 2.0, 0.2)], baseline="a")
    c1 = Comparison([T("a", 2.0, 0.3)], baseline="a")                   # b missing at the second x
    s = Sweep([1, 2, 3], {"a": [1.0, 2.0, 4.0], "b": [2.0, 3.0, 5.0]}, comparisons=[c0, c1])
    iq = s.iqrs
    assert iq["a"][:2] == [0.1, 0.3] and iq["b"][0] == 0.2
    assert math.isnan(iq["b"][1]) and math.isnan(iq["a"][2]) and math.isnan(iq["b"][2])
    assert all(math.isnan(v) for v in Sweep([1], {"a": [1.0]}).iqrs["a"])


def test_sweep_speedups_baseline_and_zero_or_missing_times():
    s = Sweep([1, 2], {"ref": [1.0, 4.0], "fast": [0.5, 0.0], "gone": [0.25, None]})
    sp = s.speedups()
    assert sp["ref"] == [1.0, 1.0] and sp["fast"][0] == 2.0 and math.isnan(sp["fast"][1])
    assert math.isnan(sp["gone"][1])
    assert Sweep([1], {"a": [2.0], "b": [1.0]}, baseline="b").speedups()["a"] == [0.5]
    assert s.speedups(baseline="fast")["ref"][0] == 0.5               # 0.5 s / 1.0 s


def test_sweep_notes_name_the_point_they_belong_to():
    noisy = Comparison([T("a", 1.0, 0.9)], baseline="a")
    quiet = Comparison([T("a", 1.0, 0.01)], baseline="a")
    sizes = Sweep([100, 1000], {"a": [1.0, 1.0]}, comparisons=[quiet, noisy]).warnings()
    assert len(sizes) == 1 and sizes[0].startswith("noisy: at n=1000: the spread (IQR) of a")
    threads = Sweep([1, 4], {"a": [1.0, 1.0]}, kind="threads", comparisons=[noisy, quiet]).warnings()
    assert len(threads) == 1 and threads[0].startswith("noisy: at threads=1: ")


def test_sweep_text_html_and_json():
    c = Comparison([T("<a>", 0.002, 0.0001)], baseline="<a>")
    s = Sweep([1, 2], {"<a>": [0.002, 0.001]}, kind="threads", comparisons=[c, c], context={"k": Path("/p")})
    text = str(s).splitlines()
    assert text[0].split() == ["threads", "<a>"] and text[-1] == "median ± IQR per call"
    assert len(text) == 4 and "±" in text[1]
    h = s._repr_html_()
    assert "<th style='text-align:right;word-break:keep-all'>&lt;a&gt;</th>" in h and "All thread counts" in h
    assert "All thread counts" not in Sweep([1], {"a": [1.0]})._repr_html_()
    d = json.loads(s.to_json())
    assert d["kind"] == "threads" and d["x"] == [1, 2] and d["context"]["k"] == "/p"
    assert len(d["comparisons"]) == 2 and d["comparisons"][0][0]["label"] == "<a>"
