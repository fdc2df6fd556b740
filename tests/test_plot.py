"""optkit.plot: check what is drawn (bars, labels, ideal line, scales), not only that it runs."""
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from optkit import bench, plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _bars(ax):
    return [p for p in ax.patches if (p.get_gid() or "").startswith("bar:")] or \
        [p for p in ax.patches if p.get_width() > 0 and p.get_height() > 0]


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


TIMES = {"python loop": 1.0, "numpy": 0.1, "numba": 0.0123}


# --------------------------------------------------------------------------- speedup bars

def _ends(bars):
    return [b.get_x() + b.get_width() for b in bars]


def test_speedup_bars_draws_one_bar_per_variant_with_labels():
    fig = plot.speedup_bars(TIMES, log=False)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = _bars(ax)
    assert len(bars) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == list(TIMES)
    assert [round(e, 3) for e in _ends(bars)] == [1.0, 10.0, round(1 / 0.0123, 3)]
    assert all(b.get_x() == 0 for b in bars)
    texts = " ".join(_texts(fig))
    assert "x10.0" in texts and "x81.3" in texts and "x1.0" in texts
    assert ax.get_xscale() == "linear"
    w, h = fig.get_size_inches()
    assert 6 <= w <= 8 and 2 <= h <= 6


def test_speedup_bars_marks_the_baseline():
    fig = plot.speedup_bars(TIMES, baseline="numpy")
    ax = fig.axes[0]
    base = [b for b in _bars(ax) if b.get_label() == "baseline"]
    assert len(base) == 1
    assert base[0].get_hatch() == "//"
    assert _ends(base)[0] == pytest.approx(1.0)
    others = [b for b in _bars(ax) if b is not base[0]]
    assert all(not b.get_hatch() for b in others)
    assert any("baseline" in t for t in _texts(fig))
    assert "speedup vs numpy" in ax.get_xlabel()
    assert "x0.10" in " ".join(_texts(fig))        # the loop is 10x slower than numpy


def test_speedup_bars_log_scale_and_title():
    fig = plot.speedup_bars(TIMES, log=True, title="My title")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert fig._suptitle.get_text() == "My title"
    assert [round(e, 3) for e in _ends(_bars(ax))] == [1.0, 10.0, round(1 / 0.0123, 3)]
    assert "x10" in [t.get_text() for t in ax.get_xticklabels()]


def test_speedup_bars_log_axis_chosen_automatically_for_wide_ranges():
    assert plot.speedup_bars({"a": 1.0, "b": 0.001}).axes[0].get_xscale() == "log"
    assert plot.speedup_bars({"a": 1.0, "b": 0.2}).axes[0].get_xscale() == "linear"
    assert plot.speedup_bars({"a": 1.0, "b": 0.001}, log=False).axes[0].get_xscale() == "linear"


def test_speedup_bars_colours_slower_variants_differently():
    fig = plot.speedup_bars({"base": 1.0, "faster": 0.5, "slower": 2.0})
    base, faster, slower = _bars(fig.axes[0])
    assert faster.get_facecolor() != slower.get_facecolor() != base.get_facecolor()
    assert "x0.50" in _texts(fig)[2]


def _timing(label, median, iqr):
    return bench.Timing(label=label, first_call_s=median, best_s=median * 0.98, median_s=median,
                        iqr_s=iqr, loops=1, repeats=7)


def test_speedup_bars_draws_bars_within_the_noise_band_neutral():
    # x0.89 with a 30 % IQR on the baseline is within the noise: neither red nor blue;
    # x0.5 and x2 with small IQRs stay red and blue
    fig = plot.speedup_bars({"base": _timing("base", 1.0, 0.3), "noisy": _timing("noisy", 1.12, 0.05),
                             "faster": _timing("faster", 0.5, 0.02),
                             "slower": _timing("slower", 2.0, 0.05)})
    ax = fig.axes[0]
    base, noisy, faster, slower = _bars(ax)
    colour = matplotlib.colors.to_rgba
    assert noisy.get_facecolor() == colour(plot.NEUTRAL)
    assert faster.get_facecolor() == colour(plot.FASTER)
    assert slower.get_facecolor() == colour(plot.SLOWER)
    assert noisy.get_facecolor() != base.get_facecolor()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("slower" in t for t in legend) and any("within the noise" in t for t in legend)
    # the same medians with tight IQRs: the x0.89 bar is clearly slower, so red
    tight = plot.speedup_bars({"base": _timing("base", 1.0, 0.01), "noisy": _timing("noisy", 1.12, 0.01)})
    assert _bars(tight.axes[0])[1].get_facecolor() == colour(plot.SLOWER)
    # plain seconds: no spread known, only the ratio rule (x1.05 is not a clear difference)
    plain = plot.speedup_bars({"base": 1.0, "close": 0.95, "far": 0.5})
    _, close, far = _bars(plain.axes[0])
    assert close.get_facecolor() == colour(plot.NEUTRAL)
    assert far.get_facecolor() == colour(plot.FASTER)
    assert [t.get_text() for t in plain.axes[0].get_legend().get_texts()] == [
        "light grey: within the noise of the baseline"]


def test_speedup_bars_from_comparison_uses_its_baseline():
    c = bench.compare({"a": lambda: sum(range(300)), "b": lambda: sum(range(300))},
                      baseline="b", repeat=3, min_time=0.005)
    fig = plot.speedup_bars(c)
    labels = [b.get_label() for b in _bars(fig.axes[0])]
    assert labels.count("baseline") == 1
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    assert _bars(fig.axes[0])[1].get_label() == "baseline"


def test_speedup_bars_bad_input():
    with pytest.raises(ValueError, match="positive"):
        plot.speedup_bars({"a": 1.0, "b": 0.0})
    with pytest.raises(KeyError):
        plot.speedup_bars({"a": 1.0}, baseline="zzz")
    with pytest.raises(TypeError):
        plot.speedup_bars([1, 2])
    with pytest.raises(ValueError):
        plot.speedup_bars({})


# --------------------------------------------------------------------------- scaling

def test_scaling_time_loglog():
    x = [100, 1000, 10000]
    fig = plot.scaling({"loop": [1e-4, 1e-3, 1e-2], "numpy": [1e-6, 2e-6, 1e-5]}, x=x)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"loop", "numpy"}
    assert list(lines["loop"].get_xdata()) == x
    assert list(lines["loop"].get_ydata()) == [1e-4, 1e-3, 1e-2]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loop", "numpy"]


def test_scaling_throughput_linear_and_from_sweep():
    s = bench.Sweep([10, 20], {"a": [1.0, 4.0]})
    fig = plot.scaling(s, kind="throughput", loglog=False)
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [10.0, 5.0]       # n / t
    assert ax.get_xscale() == "linear"
    assert "throughput" in ax.get_ylabel()
    fig = plot.scaling(s, kind="throughput", xlabel="boxes")
    assert fig.axes[0].get_xlabel() == "boxes" and "boxes / s" in fig.axes[0].get_ylabel()


def test_scaling_bad_input():
    with pytest.raises(ValueError, match="x"):
        plot.scaling({"a": [1.0]})
    with pytest.raises(ValueError, match="has 1 times"):
        plot.scaling({"a": [1.0]}, x=[1, 2])
    with pytest.raises(ValueError, match="kind"):
        plot.scaling({"a": [1.0]}, x=[1], kind="speed")


# --------------------------------------------------------------------------- thread scaling

def test_thread_scaling_ideal_line_and_efficiency():
    fig = plot.thread_scaling({"openmp": [1.0, 0.5, 0.4, 0.25], "numba": [2.0, 1.25, 1.0, 0.8]},
                              threads=[1, 2, 3, 4])
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert "ideal (y = x)" in lines
    assert list(lines["ideal (y = x)"].get_ydata()) == [1, 2, 3, 4]
    assert list(lines["openmp"].get_ydata()) == pytest.approx([1, 2, 2.5, 4])
    assert list(lines["numba"].get_ydata()) == pytest.approx([1, 1.6, 2.0, 2.5])
    texts = _texts(fig)
    # efficiency = speedup / threads
    for pct in ("100%", "83%", "80%", "67%", "62%"):
        assert pct in texts, (pct, texts)
    assert [int(t) for t in ax.get_xticks()] == [1, 2, 3, 4]


def test_thread_scaling_axes_name_the_unit_of_a_worker_sweep():
    fig = plot.thread_scaling({"dask": [2.0, 1.1]}, threads=[1, 2], unit="worker")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "workers" and ax.get_ylabel() == "speedup vs 1 worker"
    assert plot.thread_scaling({"a": [1.0, 0.6]}, threads=[1, 2]).axes[0].get_xlabel() == "threads"


def test_thread_scaling_serial_reference_without_efficiency_labels():
    s = bench.Sweep([1, 2], {"serial": [1.0, 1.0], "parallel": [1.0, 0.6]}, kind="threads",
                    context={"controls": {"parallel": "openmp"}})
    fig = plot.thread_scaling(s)
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert "serial (thread count not controlled)" in labels and "parallel" in labels
    assert _texts(fig) == ["83%"]             # only the controlled variant: 1/0.6/2


def test_thread_scaling_marks_usable_cpus_from_sweep_context():
    s = bench.Sweep([1, 2, 4], {"a": [1.0, 0.5, 0.5]}, kind="threads", context={"usable_cpus": 2})
    fig = s.plot()
    assert any("usable CPUs = 2" in t for t in _texts(fig))


# --------------------------------------------------------------------------- ladder

def test_ladder_cumulative_speedups():
    steps = [("reference", 2.0), ("numpy", 0.4), ("numba", 0.1), ("C + OpenMP", 0.02)]
    fig = plot.ladder(steps, title="Path")
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == 4
    assert [round(b.get_height(), 6) for b in bars] == [1.0, 5.0, 20.0, 100.0]
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert ticks == ["reference", "numpy", "numba", "C + OpenMP"]
    texts = " ".join(_texts(fig))
    assert "x5.0" in texts and "x20.0" in texts and "x100" in texts
    assert "x4.0 step" in texts and "x5.0 step" in texts
    assert ax.get_yscale() == "log"             # final factor > 30: log axis by default
    assert plot.ladder(steps[:2]).axes[0].get_yscale() == "linear"


def test_ladder_from_comparison_and_bad_input():
    c = bench.Comparison([bench.Timing("a", 0, 1, 1.0, 0, 1, 1), bench.Timing("b", 0, 1, 0.5, 0, 1, 1)],
                         baseline="a")
    fig = plot.ladder(c)
    assert [round(p.get_height(), 3) for p in fig.axes[0].patches] == [1.0, 2.0]
    with pytest.raises(ValueError):
        plot.ladder([])
    with pytest.raises(ValueError):
        plot.ladder([("a", -1.0)])


def test_ladder_step_colour_and_gain_from_the_same_round_comparison():
    """A step's gain comes from its own same-round comparison when given; red only when clearly
    slower, light grey and "within noise" when not clearly different (E5 #4)."""
    def colours(fig):
        return [matplotlib.colors.to_hex(b.get_facecolor()) for b in _bars(fig.axes[0])]

    def timing(median, iqr):
        return bench.Timing("t", 0, median, median, iqr, 1, 5)

    # the bars alone (timed at different moments) say x0.61, the same rounds say x0.89 with
    # overlapping spreads: grey, "within noise", the gain from the same rounds
    typed = ("typed", 1.0 / 0.61 * 0.1, (timing(0.1, 0.02), timing(0.1 / 0.89, 0.03)))
    fig = plot.ladder([("python", 10.0), ("plain", 0.1), typed])
    assert colours(fig)[2] == plot.NEUTRAL
    texts = " ".join(_texts(fig))
    assert "(x0.89 step)\nwithin noise" in texts and "x0.61" not in texts
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["light grey: within the noise of the previous step"]
    # clearly slower in the same rounds: red
    slow = ("typed", 0.2, (timing(0.1, 0.001), timing(0.2, 0.001)))
    fig = plot.ladder([("python", 10.0), ("plain", 0.1), slow])
    assert colours(fig)[2] == plot.SLOWER and "within noise" not in " ".join(_texts(fig))
    # Timings as bars: their IQRs decide (02's pipeline ladder: 268 ms then 319 ms, IQR 210 ms)
    fig = plot.ladder([("reference", 8.0), ("nms", timing(0.268, 0.05)), ("order", timing(0.319, 0.21))])
    assert colours(fig)[2] == plot.NEUTRAL
    # plain seconds: the ratio rule alone
    assert colours(plot.ladder([("a", 1.0), ("b", 0.97)]))[1] == plot.NEUTRAL
    assert colours(plot.ladder([("a", 1.0), ("b", 0.5)]))[1] == plot.FASTER
    with pytest.raises(ValueError):
        plot.ladder([("a", 1.0), ("b", 0.5, (1.0,))])
    with pytest.raises(ValueError):
        plot.ladder([("a", 1.0), ("b", 0.5, (1.0, 0.0))])


def test_quality_note_when_measurements_were_noisy():
    noisy = bench.Comparison([bench.Timing("a", 0, 1.0, 1.0, 0.8, 1, 5),
                              bench.Timing("b", 0, 0.5, 0.5, 0.01, 1, 5)], baseline="a")
    fig = plot.speedup_bars(noisy)
    assert fig._supxlabel is not None and "noisy" in fig._supxlabel.get_text()
    quiet = bench.Comparison([bench.Timing("a", 0, 1.0, 1.0, 0.01, 1, 5)], baseline="a")
    assert plot.speedup_bars(quiet)._supxlabel is None
    sweep = bench.Sweep([1, 2], {"a": [1.0, 0.6]}, kind="threads", comparisons=[noisy, quiet])
    assert sweep.warnings()[0].startswith("noisy: at threads=1:")
    assert "noisy" in plot.thread_scaling(sweep)._supxlabel.get_text()


def _noisy_comparison(labels=("python loops, float64", "uint32 + shift, in place", "b")):
    rows = [bench.Timing(labels[0], 0, 1.0, 1.0, 0.8, 1, 5)]
    rows += [bench.Timing(k, 0, t, t, 0.01, 1, 5) for k, t in zip(labels[1:], (1.4, 0.01))]
    return bench.Comparison(rows, baseline=labels[0])


@pytest.mark.parametrize("make", [
    lambda c, s: plot.speedup_bars(c),
    lambda c, s: plot.speedup_bars(c, log=False, title="a title"),
    lambda c, s: plot.speedup_bars(_noisy_comparison(("a long baseline label " * 3, "x", "y"))),
    lambda c, s: plot.ladder(c),
    lambda c, s: plot.ladder(_noisy_comparison(tuple(f"step {i}" for i in range(3)))),
    lambda c, s: plot.scaling(s),
    lambda c, s: plot.thread_scaling(s),
], ids=["bars", "bars-linear", "bars-long-label", "ladder", "ladder-steps", "scaling", "threads"])
def test_quality_note_sits_below_the_x_label(make):
    noisy = _noisy_comparison()
    sweep = bench.Sweep([1, 2], {"a": [1.0, 0.6]}, kind="threads", comparisons=[noisy, noisy])
    fig = make(noisy, sweep)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    note = fig._supxlabel.get_window_extent(r)
    label = ax.xaxis.label.get_window_extent(r)
    assert not note.overlaps(label), (note, label)
    # below everything the axes draw underneath: tick labels and the x label
    assert note.y1 <= ax.get_tightbbox(r).y0 + 0.5
    # and still inside the figure (a PNG export keeps it)
    assert note.y0 >= -0.5
    # a long y label (the ladder's baseline name) stays clear of the title
    if fig._suptitle is not None and ax.yaxis.label.get_text():
        assert not ax.yaxis.label.get_window_extent(r).overlaps(fig._suptitle.get_window_extent(r))


def test_red_bars_are_explained_only_when_present():
    def legend_texts(fig):
        leg = fig.axes[0].get_legend()
        return [t.get_text() for t in leg.get_texts()] if leg else []

    fig = plot.speedup_bars({"base": 1.0, "faster": 0.5, "slower": 2.0})
    assert plot.SLOWER in [matplotlib.colors.to_hex(b.get_facecolor()) for b in _bars(fig.axes[0])]
    assert legend_texts(fig) == ["red: slower than the baseline"]
    assert legend_texts(plot.speedup_bars({"base": 1.0, "faster": 0.5})) == []
    fig = plot.ladder([("a", 1.0), ("b", 0.5), ("c", 0.6), ("d", 0.1)])
    assert legend_texts(fig) == ["red: slower than the previous step"]
    assert legend_texts(plot.ladder([("a", 1.0), ("b", 0.5), ("c", 0.1)])) == []
    # the legend sits above the axes, clear of the bars and their labels
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    assert ax.get_legend().get_window_extent(r).y0 >= ax.get_window_extent(r).y1 - 0.5


def test_log_axes_carry_plain_labels():
    fig = plot.scaling({"a": [2e-4, 2.8e-4]}, x=[1000, 2000])      # less than a decade
    ax = fig.axes[0]
    fig.canvas.draw()
    ylabels = [t.get_text() for t in ax.get_yticklabels(minor=True) + ax.get_yticklabels()]
    assert any(lbl.endswith("µs") for lbl in ylabels)
    xlabels = [t.get_text() for t in ax.get_xticklabels(minor=True) + ax.get_xticklabels()]
    assert "2,000" in xlabels or "1,000" in xlabels


# --------------------------------------------------------------------------- hygiene

def test_png_export(tmp_path):
    fig = plot.speedup_bars(TIMES)
    out = tmp_path / "bars.png"
    fig.savefig(out, dpi=100)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_no_global_style_change():
    before = dict(matplotlib.rcParams)
    plot.speedup_bars(TIMES, log=True)
    plot.scaling({"a": [1.0, 2.0]}, x=[1, 2])
    plot.thread_scaling({"a": [1.0, 0.6]}, threads=[1, 2])
    plot.ladder([("a", 1.0), ("b", 0.5)])
    after = dict(matplotlib.rcParams)
    assert {k: v for k, v in after.items() if before.get(k) != v} == {}
    code = ("import matplotlib; b = dict(matplotlib.rcParams); import optkit.plot; "
            "a = dict(matplotlib.rcParams); assert a == b")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_in_a_jupyter_kernel_each_output_appears_once(tmp_path):
    """One real kernel run (kernel start is the slow part, so one notebook covers plots,
    check verdicts and a line profile of a function defined in a cell)."""
    pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.kernelspec import KernelSpecManager

    if "optkit" not in KernelSpecManager().find_kernel_specs():
        pytest.skip("kernel 'optkit' not installed")
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np\n"
        "from optkit import plot, check, lineprof",
        "plot.speedup_bars({'a': 1.0, 'b': 0.1})",                      # returned
        "fig = plot.ladder([('a', 1.0), ('b', 0.1)])\nplt.show()",        # plt.show()
        "fig = plot.scaling({'a': [1, 2]}, x=[1, 2])",                    # neither
        "fig = plot.scaling({'a': [1, 2]}, x=[1, 2])\nfig",               # variable returned
        "plot.thread_scaling({'a': [1, 0.6]}, threads=[1, 2])\nprint('done')",
        "ex = check.Exercise('sq', lambda a: a * a, lambda s: (np.arange(5.0) + s,))\n"
        "ex.check(lambda a: a ** 2)",                                     # verdict returned
        "v = ex.check(lambda a: a + 1)",                                  # verdict assigned
        "def cell_fn(n):\n    s = 0\n    for i in range(n):\n        s += i * i\n    return s\n"
        "p = lineprof.profile(cell_fn, 20000)\nprint(repr(p.hottest.source))\np.plot()",
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, kernel_name="optkit", timeout=120,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in nb.cells]
    assert images == [0, 1, 1, 1, 1, 1, 0, 0, 1]
    for i, status, text in ((6, "pass", "PASS"), (7, "wrong", "WRONG")):
        outs = [o for o in nb.cells[i].outputs if "text/html" in o.get("data", {})]
        assert len(outs) == 1, nb.cells[i].outputs
        assert f'data-status="{status}"' in outs[0]["data"]["text/html"]
        assert outs[0]["data"]["text/plain"].startswith(text)
    printed = "".join(o.get("text", "") for o in nb.cells[8].outputs)
    assert "s += i * i" in printed or "for i in range(n):" in printed
