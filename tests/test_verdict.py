# Verdicts as Exercise.check makes them (statuses, recording, the pass block) are in tests/test_check.py.
"""optkit.verdict on its own: every status, escaping of what a learner's code put in a message,
the Korean headline, record() to the OPTKIT_VERDICTS file (and when it cannot), show()."""
import datetime as dt
import json

import pytest

from optkit import verdict
from optkit.verdict import STATUSES, VERDICTS, Verdict, record, show


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    monkeypatch.delenv("OPTKIT_VERDICTS", raising=False)
    monkeypatch.delenv("OPTKIT_LANG", raising=False)
    kept = list(VERDICTS)
    VERDICTS.clear()
    yield
    VERDICTS[:] = kept


HEADLINES = {"pass": "PASS", "wrong": "WRONG", "too slow": "TOO SLOW", "error": "ERROR",
             "timeout": "TIMEOUT", "not yet": "NOT YET"}


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_has_its_headline_and_only_pass_passes(status):
    v = Verdict("ex 1", status, "a message")
    assert str(v) == f"{HEADLINES[status]} · ex 1: a message"
    assert repr(v) == str(v)
    assert v.passed is (status == "pass") and v.to_dict()["passed"] is v.passed
    assert f'data-status="{status}"' in v._repr_html_()


def test_the_statuses_are_exactly_the_ones_a_verdict_takes():
    assert set(STATUSES) == set(HEADLINES)
    for bad in ("PASS", "passed", "", None, 1):
        with pytest.raises(ValueError, match="unknown verdict status") as info:
            Verdict("ex", bad, "m")
        assert "'too slow'" in str(info.value)          # it lists what to use


def test_the_html_block_escapes_what_the_learners_code_said():
    msg = "<script>alert('x')</script> & \"quoted\""
    v = Verdict("<b>name</b>", "error", msg, details="Traceback: <module> line 1")
    h = v._repr_html_()
    assert "<script>" not in h and "&lt;script&gt;" in h and "&amp;" in h
    assert "<b>name</b>" not in h and "&lt;b&gt;name&lt;/b&gt;" in h
    assert "&lt;module&gt;" in h and "<pre" in h
    assert str(v).startswith("ERROR · <b>name</b>: <script>")       # plain text stays as given


def test_text_shows_timings_then_details():
    v = Verdict("ex", "too slow", "slower than the target", timings={"reference": 0.002, "yours": 1.5e-6},
                details="one more line")
    lines = str(v).splitlines()
    assert lines[0] == "TOO SLOW · ex: slower than the target"
    assert lines[1].startswith("median per call: ") and "reference" in lines[1] and " · " in lines[1]
    assert lines[2] == "one more line"
    assert "median per call: " in v._repr_html_()
    bare = Verdict("ex", "pass", "ok")
    assert str(bare) == "PASS · ex: ok" and "median per call" not in bare._repr_html_()
    assert bare.details == "" and bare.timings == {}


def test_to_dict_is_json_with_a_utc_time():
    v = Verdict("ex", "pass", "ok", speedup=3.5, target=2.0, reference_speedup=4.0)
    d = json.loads(json.dumps(v.to_dict()))
    assert d == {"exercise": "ex", "status": "pass", "passed": True, "speedup": 3.5, "target": 2.0,
                 "reference_speedup": 4.0, "message": "ok", "notebook_time": v.time}
    when = dt.datetime.fromisoformat(d["notebook_time"])
    assert when.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.timezone.utc) - when).total_seconds()) < 600


def test_the_korean_edition_translates_the_headline_and_keeps_the_message(monkeypatch):
    monkeypatch.setenv("OPTKIT_LANG", "ko")
    v = Verdict("ex", "pass", "결과가 같습니다", timings={"yours": 0.001})
    s = str(v)
    assert s.startswith("통과 · ex: 결과가 같습니다") and "PASS" not in s
    assert "호출당 시간의 중앙값: " in s
    assert "결과가 같습니다" in v._repr_html_()                   # Hangul is not escaped away
    assert v.status == "pass"                                   # the status code stays English


def test_record_appends_one_json_line_per_verdict(tmp_path, monkeypatch):
    path = tmp_path / "verdicts.jsonl"
    path.write_text(json.dumps({"exercise": "earlier"}) + "\n", encoding="utf-8")
    monkeypatch.setenv("OPTKIT_VERDICTS", str(path))
    a, b = Verdict("한국어 과제", "wrong", "틀렸습니다: 값이 다릅니다"), Verdict("ex", "pass", "ok")
    record(a)
    record(b)
    assert VERDICTS == [a, b]
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert [x["exercise"] for x in lines] == ["earlier", "한국어 과제", "ex"]      # appended
    assert lines[1]["message"] == "틀렸습니다: 값이 다릅니다" and lines[1]["passed"] is False


def test_record_without_a_file_only_keeps_the_verdict(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    v = Verdict("ex", "pass", "ok")
    record(v)
    assert VERDICTS == [v] and list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("where", ["a folder", "a missing folder"])
def test_record_to_a_file_it_cannot_write_says_so_and_does_not_raise(tmp_path, monkeypatch, capsys, where):
    target = tmp_path if where == "a folder" else tmp_path / "nowhere" / "v.jsonl"
    monkeypatch.setenv("OPTKIT_VERDICTS", str(target))
    v = Verdict("ex", "pass", "ok")
    record(v)
    assert VERDICTS == [v]
    out = capsys.readouterr().out
    assert out.startswith(f"optkit.check: could not write verdict to {target}: "), out


def test_show_prints_outside_ipython(capsys, monkeypatch):
    monkeypatch.setattr(verdict, "ipython", lambda: None)
    show(Verdict("ex", "wrong", "not the same"))
    assert capsys.readouterr().out == "WRONG · ex: not the same\n"


class _Shell:
    display_formatter = object()

    def __init__(self):
        self.execution_count = 1


def test_a_verdict_is_displayed_once_per_cell(monkeypatch):
    """check() displays it, and returning it as the cell's value must not show it twice; in the
    next cell it shows again."""
    import IPython.display

    shown, shell = [], _Shell()
    monkeypatch.setattr(verdict, "ipython", lambda: shell)
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    v = Verdict("ex", "pass", "ok <3")
    show(v)
    v._ipython_display_()                    # the cell's value, same execution count
    assert len(shown) == 1
    bundle, raw = shown[0]
    assert raw is True and bundle["text/plain"] == "PASS · ex: ok <3" and "ok &lt;3" in bundle["text/html"]
    shell.execution_count = 2
    v._ipython_display_()
    assert len(shown) == 2


def test_show_falls_back_to_print_when_the_display_fails(monkeypatch, capsys):
    import IPython.display

    def broken(*a, **k):
        raise RuntimeError("no frontend")

    monkeypatch.setattr(verdict, "ipython", lambda: _Shell())
    monkeypatch.setattr(IPython.display, "display", broken)
    show(Verdict("ex", "timeout", "took too long"))
    assert capsys.readouterr().out == "TIMEOUT · ex: took too long\n"


def test_code_spans_in_a_message_show_as_code_in_the_html():
    """L6 6: a message's `code` spans render as <code> (escaped inside), the text keeps them."""
    from optkit.verdict import Verdict

    v = Verdict("ex", "wrong", "return what `pool.map(f, xs)` hands back, not `<b>`")
    h = v._repr_html_()
    assert "<code>pool.map(f, xs)</code>" in h and "<code>&lt;b&gt;</code>" in h and "`" not in h
    assert "`pool.map(f, xs)`" in str(v)
    odd = Verdict("ex", "wrong", "an odd ` backtick")._repr_html_()
    assert "an odd ` backtick" in odd and "<code>" not in odd
