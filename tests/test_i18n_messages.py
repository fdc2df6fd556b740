"""What optkit itself says, in Korean under OPTKIT_LANG=ko and unchanged English otherwise:
verdicts of optkit.check, the doctor's report, the charts outside optkit.plot, and a
catalogue that has a Korean entry for every literal message passed to tr()."""
import ast
import re
import string
from pathlib import Path

import numpy as np
import pytest

from optkit import i18n
from optkit.check import Exercise

OPTKIT = Path(__file__).resolve().parent.parent / "optkit"
KO = i18n.MESSAGES["ko"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _literal_messages(tree):
    """First arguments of tr(...) calls that are string literals (or a literal `a if c else b`)."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr"):
            continue
        found += [(node.lineno, text) for text in _literals(node.args[0])]
    return found


def _literals(arg):
    """The string literals an argument can be: itself, or the branches of `a if c else b` (nested)."""
    if isinstance(arg, ast.IfExp):
        return _literals(arg.body) + _literals(arg.orelse)
    return [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else []


def _messages_by_module():
    return {p.relative_to(OPTKIT).as_posix(): _literal_messages(ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(OPTKIT.rglob("*.py"))}


def test_every_literal_tr_message_has_a_korean_entry():
    by_module = _messages_by_module()
    # the modules this covers really go through tr() (so the test cannot pass vacuously)
    for name, at_least in {"check.py": 35, "verdict.py": 1, "rules.py": 8, "doctor.py": 70, "plot.py": 13, "lessons/capstone_leaderboard.py": 3,
                           "lineprof.py": 3, "outputs.py": 14, "annotate.py": 10, "cext.py": 5,
                           "lessons/scale_out.py": 4, "lessons/frameworks_first.py": 1}.items():
        assert len(by_module[name]) >= at_least, (name, len(by_module[name]))
    missing = [f"{name}:{line}: {msg!r}" for name, msgs in by_module.items()
               for line, msg in msgs if msg not in KO]
    assert not missing, "messages without a Korean entry:\n" + "\n".join(missing)
    # default arguments that reach tr() through a parameter, and titles the notebooks' code passes
    for msg in ("Capstone leaderboard", "measured roof", "augmented patches (pure-Python reference)",
                "Memory-bound kernels: achieved GB/s (useful bytes) against the measured roof"):
        assert msg in KO, msg


def _fields(text):
    return sorted({f for _, f, _, _ in string.Formatter().parse(text) if f})


def test_catalogue_entries_are_korean_with_the_same_fields():
    tree = ast.parse((OPTKIT / "messages_ko.py").read_text(encoding="utf-8"))
    dicts = [n for n in ast.walk(tree) if isinstance(n, ast.Dict)]
    assert len(dicts) == 1
    keys = [k.value for k in dicts[0].keys]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes, f"keys given twice (the later one silently wins): {dupes}"
    not_korean, bad_fields = [], []
    for en, ko in KO.items():
        if _fields(en) != _fields(ko):
            bad_fields.append((en, ko))
        # a few entries are identifiers or punctuation only, the same in both languages
        if not HANGUL.search(ko) and ko not in {"affinity mask", "CPU", "{problem} ({where})",
                                               "{kind} {dtype}, shape {shape}", "입력 {k}/{n} ({args})"}:
            not_korean.append((en, ko))
    assert not bad_fields, bad_fields
    assert not not_korean, not_korean


# ----------------------------------------------------------------------------- verdicts

def _double(a):
    return a * 2


def _exercise(**kw):
    return Exercise("double", reference=_double, make_args=lambda seed: (np.arange(5.0) + seed,), **kw)


def _mine(a):
    return a + a


def _wrong(a):
    return a * 3


def _mutates(a):
    a *= 2
    return a


def _calls_reference(a):
    return _double(a)


@pytest.fixture
def korean(monkeypatch):
    monkeypatch.setenv("OPTKIT_LANG", "ko")


@pytest.fixture
def english(monkeypatch):
    monkeypatch.delenv("OPTKIT_LANG", raising=False)


def test_verdicts_in_english_without_the_setting(english):
    v = _exercise().check(_wrong, display=False)
    assert v.status == "wrong"
    assert str(v).startswith("WRONG · double: wrong result on input 1 of 3 (float64 array of shape (5,)): "
                             "4 of 5 elements differ (max abs diff 4, ")
    assert "<b style='color:#b42318'>WRONG</b>" in v._repr_html_()
    ok = _exercise().check(_mine, display=False)
    assert str(ok) == "PASS · double: correct on 3 inputs"
    assert _exercise().check(_mutates, display=False).message.startswith(
        "your function changed its input `a` (")
    called = _exercise().check(_calls_reference, display=False).message
    assert called.startswith("your function calls ") and "(the exercise's reference)" in called


def test_verdicts_in_korean_under_optkit_lang_ko(korean):
    v = _exercise().check(_wrong, display=False)
    assert v.status == "wrong"                              # records keep the English status
    assert str(v).startswith("오답 · double: 입력 1/3 (float64 배열, shape (5,))에서 결과가 틀렸습니다: "
                             "원소 5개 중 4개가 다릅니다 (최대 절대 오차 4, ")
    html = v._repr_html_()
    assert 'data-status="wrong"' in html and "<b style='color:#b42318'>오답</b>" in html
    ok = _exercise().check(_mine, display=False)
    assert ok.passed and str(ok) == "통과 · double: 입력 3개 모두 정답입니다"
    assert _exercise().check(_mutates, display=False).message.startswith("함수가 입력 `a`을(를) 바꿨습니다 (")
    called = _exercise().check(_calls_reference, display=False).message
    assert "(연습 문제의 참조 구현)" in called and "직접 작성" in called


def test_race_and_not_yet_verdicts_in_korean(korean):
    calls = []

    def racy(a):
        calls.append(1)
        return a * 2 + (len(calls) % 2) * 1e-3    # differs from one run to the next

    v = _exercise(race_args=lambda: (np.arange(50.0),)).check(racy, display=False)
    assert v.status == "wrong"
    assert "같은 입력에 다른 결과가 나옵니다: 데이터 경쟁(data race)일까요?" in v.message

    def stub(a):
        raise NotImplementedError

    nv = _exercise().check(stub, display=False)
    assert nv.status == "not yet" and str(nv).startswith("아직 작성 전 · double: 아직 구현하지 않았습니다")


def test_speed_verdict_in_both_languages(monkeypatch):
    def loop(a):
        return np.array([x * 2 for x in a])

    ex = Exercise("double", reference=_double, make_args=lambda seed: (np.arange(2000.0),),
                  baseline=loop, target_speedup=1e9, time_budget_s=20)
    monkeypatch.delenv("OPTKIT_LANG", raising=False)
    v = ex.check(_mine, display=False)
    assert v.status == "too slow" and " vs the baseline; target x" in v.message
    assert "median per call: baseline " in str(v)
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    v = ex.check(_mine, display=False)
    assert v.status == "too slow" and v.message.startswith("정답이지만 기준 대비 x")
    assert str(v).startswith("너무 느림 · ") and "호출당 시간의 중앙값: 기준 " in str(v)


# ----------------------------------------------------------------------------- doctor

def _report(tmp_path):
    """The doctor on this machine, with one thread variable set too high and no GPU."""
    from optkit import doctor

    env = {"OMP_NUM_THREADS": "64"}
    return doctor.Report(doctor.collect(env=env, nvidia_smi=str(tmp_path / "no-nvidia-smi"),
                                        import_torch=False))


def test_doctor_report_in_english_without_the_setting(english, tmp_path):
    rep = _report(tmp_path)
    n = rep.usable_cpus
    text = rep.text()
    assert "Problems & advice\n-----------------" in text
    assert f"OMP_NUM_THREADS=64 is more than the {n} usable CPU" in text
    advice = [p["advice"] for p in rep.problems]
    assert f"export OMP_NUM_THREADS={n} (or less when you run several worker processes)" in advice
    assert f"usable CPUs: {n}; GPU: " in text and "misconfiguration(s) to fix" in text
    assert "Production-container checklist" in rep.checklist()


def test_doctor_report_in_korean(korean, tmp_path):
    rep = _report(tmp_path)
    n = rep.usable_cpus
    text = rep.text()
    assert "문제와 조언\n" in text and "Problems & advice" not in text
    assert f"OMP_NUM_THREADS=64는 사용 가능한 CPU {n}개보다 많습니다" in text
    advice = [p["advice"] for p in rep.problems]
    assert f"export OMP_NUM_THREADS={n} (워커 프로세스를 여러 개 돌린다면 더 적게)" in advice
    assert f"사용 가능한 CPU: {n}; GPU: " in text and "고쳐야 할 잘못된 설정" in text
    listed = rep.checklist()                       # selects its sections by the English titles
    assert "이 머신에 권장하는 설정" in listed and "프로덕션 컨테이너 체크리스트" in listed
    assert "문제와 조언" not in listed
    assert "[fail] threads" in rep._repr_html_()   # severities and statuses stay as they are
    # Hangul takes two terminal columns: the Korean report still fits, and its values line up
    import unicodedata

    from optkit import doctor

    def columns(line):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    for line in (text + "\n" + listed).splitlines()[:-1]:
        assert columns(line) <= doctor.TEXT_WIDTH or len(line.split()) <= 2, line   # or one long word
    section = text.split("\nCPU\n---\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert any(HANGUL.search(line) for line in section)
    starts = set()
    for line in section:
        m = re.match(r"^  \S.*?\s{2,}(?=\S)", line) or re.match(r"^\s+(?=\S)", line)
        starts.add(columns(m.group(0)))
    assert len(starts) == 1, (starts, section)


# ----------------------------------------------------------------------------- charts

@pytest.fixture
def korean_font():
    import matplotlib

    matplotlib.use("Agg", force=True)
    with matplotlib.rc_context():
        i18n.use_korean_font()
        yield


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + \
        [fig.axes[0].get_xlabel(), fig.axes[0].get_title()] + \
        [t.get_text() for t in fig.texts]


def test_bandwidth_chart_speaks_korean(monkeypatch, korean_font):
    import matplotlib

    matplotlib.use("Agg", force=True)
    from optkit import plot

    monkeypatch.delenv("OPTKIT_LANG", raising=False)
    en = " ".join(_texts(plot.bandwidth_chart({"copy": 5.0}, 10.0)))
    assert "achieved bandwidth, useful bytes only" in en and "(50% of the roof)" in en
    assert "measured roof: 10.0 GB/s" in en
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    ko = " ".join(_texts(plot.bandwidth_chart({"copy": 5.0}, 10.0)))
    assert "달성한 대역폭" in ko and "(상한의 50%)" in ko and "측정한 상한(roof): 10.0 GB/s" in ko


def test_capstone_leaderboard_chart_speaks_korean(monkeypatch, korean_font):
    import matplotlib

    matplotlib.use("Agg", force=True)
    from optkit.lessons import capstone_leaderboard as capstone

    board = capstone.Leaderboard(rows=[])
    monkeypatch.delenv("OPTKIT_LANG", raising=False)
    en = " ".join(_texts(board.plot()))
    assert "no speedups to show" in en and "Capstone leaderboard" in en
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    ko = " ".join(_texts(board.plot()))
    assert "표시할 속도 향상이 없습니다" in ko and "캡스톤 리더보드" in ko and "pure Python 파이프라인" in ko


def test_chart_quality_note_names_the_warning_kinds_in_korean(korean):
    from optkit import bench, plot

    noisy = bench.Comparison([bench.Timing("a", 0, 1.0, 1.0, 0.8, 1, 5),
                              bench.Timing("b", 0, 0.5, 0.5, 0.01, 1, 5)], baseline="a")
    text = plot.speedup_bars(noisy)._supxlabel.get_text()
    assert text.startswith("⚠ 측정에 잡음 경고가 있습니다") and "noisy" not in text
    assert "기준" in " ".join(t.get_text() for t in plot.speedup_bars(noisy).axes[0].texts)


def _exercise_titles():
    """Every Exercise("title", ...) the course creates: notebooks (English sources) and rooms."""
    import nbformat

    repo = OPTKIT.parent
    titles = set()
    sources = [c.source for p in sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))
               for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
    sources += [p.read_text(encoding="utf-8") for p in sorted((OPTKIT / "lessons").glob("*.py"))]
    for src in sources:
        titles.update(re.findall(r'\bExercise\(\s*"([^"]+)"', src))
    return titles


def _notebook_code_trees():
    """(notebook stem, cell id, syntax tree) of every code cell of the English notebooks; lines
    with IPython syntax (%magic, !shell) are left out, cells that still are not Python skipped."""
    import nbformat

    out = []
    for p in sorted((OPTKIT.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for c in nbformat.read(p, as_version=4).cells:
            if c.cell_type != "code":
                continue
            lines = [line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            try:
                out.append((p.stem, c.get("id"), ast.parse("\n".join(lines))))
            except SyntaxError:              # a %%cython or %%writefile cell
                continue
    return out


def test_every_literal_tr_message_in_the_notebooks_has_a_korean_entry():
    found = [(stem, cid, line, msg) for stem, cid, tree in _notebook_code_trees()
             for line, msg in _literal_messages(tree)]
    # 02's and 07's own printed lines, chart titles and verdicts go through tr() (not vacuous)
    for stem, at_least in {"02_numpy_opencv": 30, "07_scale_out": 40}.items():
        assert sum(f[0] == stem for f in found) >= at_least, stem
    missing = [f"{stem} {cid} line {line}: {msg!r}" for stem, cid, line, msg in found if msg not in KO]
    assert not missing, "messages without a Korean entry:\n" + "\n".join(missing)
    # labels the cells translate through tr itself (rename(index=tr), Styler.format_index(tr))
    for msg in ("reference", "ratio", "pickled bytes", "a seed", "a chunk of 8 seeds", "the page image",
                "the whole Document", "one result (crops)", "workers", "pages / s (median)",
                "IQR of the run time", "speedup vs 1 worker"):
        assert msg in KO, msg


def _case_labels():
    """Every label of an Exercise's cases=[(label, ...)] and bad_inputs=[(label, ...)] in the notebooks."""
    labels = set()
    for _, _, tree in _notebook_code_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("cases", "bad_inputs"):
                assert isinstance(node.value, ast.List), "cases and bad_inputs are written as list literals"
                for item in node.value.elts:
                    assert isinstance(item, ast.Tuple) and isinstance(item.elts[0], ast.Constant)
                    labels.add(item.elts[0].value)
    return labels


def test_every_case_label_has_a_korean_entry():
    labels = _case_labels()
    assert {"two corners have the same y - x", "exactly 1 % of the pixels are dark",
            "a list holding a string"} <= labels and len(labels) >= 20
    missing = sorted(label for label in labels if label not in KO)
    assert not missing, f"case labels with no Korean entry in optkit/messages_ko.py: {missing}"


def test_a_failing_case_is_named_in_korean(korean):
    e = Exercise("02 corner order", reference=_double, make_args=lambda seed: (np.arange(5.0),),
                 cases=[("two corners have the same y - x", (np.arange(3.0),))])
    wrong_on_the_case = lambda a: a * 2 if len(a) == 5 else a * 3        # noqa: E731
    v = e.check(wrong_on_the_case, display=False)
    assert v.status == "wrong" and "입력 '두 꼭짓점의 y - x가 같음' (" in str(v), str(v)
    assert "two corners" not in str(v)


def test_a_bad_input_is_named_in_korean(korean):
    def refuses_nothing(a):
        return a * 2

    e = Exercise("04 C: sum of a uint8 buffer", reference=_double, make_args=lambda seed: (np.arange(5.0),),
                 bad_inputs=[("a list holding a string", ([1.0, "x"],), TypeError)])
    v = e.check(refuses_nothing, display=False)
    assert v.status == "wrong" and "'문자열이 든 리스트'에 대해" in str(v), str(v)


def test_a_failing_case_keeps_its_english_label_in_english(english):
    e = Exercise("02 corner order", reference=_double, make_args=lambda seed: (np.arange(5.0),),
                 cases=[("two corners have the same y - x", (np.arange(3.0),))])
    v = e.check(lambda a: a * 2 if len(a) == 5 else a * 3, display=False)
    assert "the input where two corners have the same y - x (" in str(v), str(v)


def test_every_exercise_title_has_a_korean_entry():
    titles = _exercise_titles()
    assert {"01 quad areas", "04 C: sum of a uint8 buffer"} <= titles
    missing = sorted(t for t in titles if t not in KO)
    assert not missing, f"exercise titles with no Korean entry in optkit/messages_ko.py: {missing}"


def test_verdict_shows_the_exercise_title_in_korean(korean):
    e = Exercise("04 C: sum of a uint8 buffer", reference=_double, make_args=lambda seed: (np.arange(5.0),))
    v = e.check(_mine, display=False)
    assert str(v).startswith("통과 · 04 C: uint8 버퍼의 합: ") and "04 C: uint8 버퍼의 합" in v._repr_html_()
    assert v.to_dict()["exercise"] == "04 C: sum of a uint8 buffer"      # records keep the English name


# ----------------------------------------------------------------------------- optkit's own lines

def test_compiler_note_and_annotation_legend_speak_korean(korean):
    from optkit.annotate import CompilerStatus, render_annotation as render_html

    assert CompilerStatus(True, True, "gcc").message() == "C 컴파일러(gcc)와 OpenMP가 있습니다: 이 노트북의 모든 셀이 실행됩니다."
    for status in (CompilerStatus(False, False, "", "cc: not found"), CompilerStatus(True, False, "gcc", "")):
        text = status.message()
        assert HANGUL.search(text) and "compiler found" not in text and "skipped" not in text, text
    assert "cc: not found" in CompilerStatus(False, False, "", "cc: not found").message()
    assert "Cython 어노테이션" in render_html([]) and "노란색" in render_html([])


def test_compiler_note_and_legend_unchanged_in_english(english):
    from optkit.annotate import CompilerStatus, render_annotation as render_html

    assert CompilerStatus(True, True, "gcc").message() == (
        "C compiler found (gcc) with OpenMP: every cell of this notebook will run.")
    assert "-fopenmp failed" in CompilerStatus(True, False, "gcc", "").message()
    html = render_html([])
    assert "<b>Cython annotation</b>" in html and ">yellow</span> = Python interaction" in html


_CTX = {"cpu_model": "Some CPU", "usable_cpus": 2, "threads_per_core": 2, "cpu_governor": "performance",
        "python": "3.11.7", "versions": {"numpy": "2.4.6"}}


def test_measured_on_footer_and_annotation_note_speak_korean(korean):
    from optkit.annotate import Annotation
    from optkit.context import context_line

    line = context_line(_CTX)
    assert line.startswith("측정 환경: Some CPU") and "사용 가능한 CPU 2개" in line, line
    assert "코어당 스레드 2개" in line and "Measured on" not in line and "usable" not in line, line
    reused = Annotation([], module_name="m", compiled=False).html
    assert "바뀌지 않은 셀" in reused and "unchanged cell" not in reused
    assert "초 만에 컴파일함" in Annotation([], module_name="m", compiled=True, seconds=1.25).html


def test_measured_on_footer_and_annotation_note_unchanged_in_english(english):
    from optkit.annotate import Annotation
    from optkit.context import context_line

    assert context_line(_CTX) == ("Measured on: Some CPU; 2 usable CPUs (2 threads per core); governor "
                                  "performance; Python 3.11.7, NumPy 2.4.6")
    assert "(1 thread per core)" in context_line({**_CTX, "threads_per_core": 1})
    assert "(unchanged cell: reused the compiled module)" in Annotation([], module_name="m", compiled=False).html
    assert "(compiled in 1.2 s)" in Annotation([], module_name="m", compiled=True, seconds=1.25).html


def test_wrap_counts_korean_characters_as_two_columns():
    from optkit.fmt import text_width, wrap

    assert text_width("가a") == 3
    line = "  " + " ".join(["처리량"] * 40)                       # 40 words of 6 columns
    out = wrap(line).split("\n")
    assert len(out) > 2 and all(text_width(l) <= 100 for l in out)
    assert " ".join(w for l in out for w in l.split()) == line.strip()     # no word lost or cut
    assert all(l.startswith("      ") for l in out[1:]) and out[0].startswith("  처리량")
    assert wrap("short\n" + "x" * 120) == "short\n" + "x" * 120        # one long word stays whole


def test_text_width_counts_what_the_screen_shows():
    import unicodedata

    from optkit.fmt import text_width, wrap

    assert text_width("e\u0301") == 1                                # a combining accent takes no column
    assert text_width("a\u200bb\u200dc\ufeff") == 3                  # zero-width space, joiner, BOM (Cf)
    assert text_width("\u20dd") == 0                                 # an enclosing mark (Me)
    nfd = unicodedata.normalize("NFD", "처리량")
    assert len(nfd) > 3 and text_width(nfd) == text_width("처리량") == 6   # NFD Korean: jamo join
    assert text_width("\x1b[1;31mred\x1b[0m") == 3                  # colour escapes take no column
    assert text_width("a\tb") == 9 and text_width("\t") == 8         # a tab reaches the next stop
    line = " ".join(["cafe\u0301"] * 30)                             # 30 words of 4 columns: 149 columns
    assert text_width(line) == 149
    out = wrap(line).split("\n")
    assert len(out) == 2 and all(text_width(l) <= 100 for l in out)
    fits = " ".join(["e\u0301"] * 50)                                # 99 columns on screen, 149 characters
    assert wrap(fits) == fits
