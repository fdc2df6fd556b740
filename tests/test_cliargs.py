"""optkit.cliargs: the argparse types of the `optkit` sub-commands (and the lessons' own CLIs).
No other test file covers this module directly."""
from __future__ import annotations

import argparse

import pytest

from optkit.cliargs import int_in, nonnegative_int, port, positive_int


def _refused(fn, text):
    with pytest.raises(argparse.ArgumentTypeError) as ei:
        fn(text)
    return str(ei.value)


@pytest.mark.parametrize("text,value", [("1", 1), ("12", 12), (" 7 ", 7), ("+3", 3), ("1_000", 1000),
                                        ("9" * 40, int("9" * 40))])
def test_positive_int_accepts_whole_numbers(text, value):
    assert positive_int(text) == value and type(positive_int(text)) is int


@pytest.mark.parametrize("text,message", [
    ("0", "must be at least 1, got 0"),
    ("-5", "must be at least 1, got -5"),
    ("abc", "expected a whole number, got 'abc'"),
    ("1.5", "expected a whole number, got '1.5'"),
    ("", "expected a whole number, got ''"),
    ("0x10", "expected a whole number, got '0x10'"),          # base 10 only
    ("삼", "expected a whole number, got '삼'"),               # Korean text named as typed
])
def test_positive_int_refuses_with_a_readable_message(text, message):
    assert _refused(positive_int, text) == message


def test_a_number_too_long_for_int_is_a_message_not_a_crash():
    msg = _refused(positive_int, "9" * 5000)                   # over Python's int-digit limit
    assert msg.startswith("expected a whole number")


def test_nonnegative_int_takes_zero_and_refuses_below():
    assert nonnegative_int("0") == 0 and nonnegative_int("42") == 42
    assert _refused(nonnegative_int, "-1") == "must be 0 or more, got -1"
    assert _refused(nonnegative_int, "x") == "expected a whole number, got 'x'"


def test_int_in_keeps_its_bounds_inclusive_and_names_them():
    check = int_in(1, 10, " repeats")
    assert check("1") == 1 and check("10") == 10
    assert _refused(check, "11") == "must be 1..10 repeats, got 11"
    assert _refused(check, "0") == "must be 1..10 repeats, got 0"
    assert _refused(int_in(2, 4), "5") == "must be 2..4, got 5"
    assert check.__name__ == "int 1..10"


@pytest.mark.parametrize("text,ok", [("1", True), ("8888", True), ("65535", True),
                                     ("0", False), ("65536", False), ("-80", False)])
def test_port_range(text, ok):
    if ok:
        assert port(text) == int(text)
    else:
        assert _refused(port, text) == f"a port is 1..65535, got {int(text)}"


@pytest.mark.parametrize("argv,fragment", [
    (["--threads", "0"], "argument --threads: must be at least 1, got 0"),
    (["--threads", "two"], "argument --threads: expected a whole number, got 'two'"),
    (["--port", "70000"], "argument --port: a port is 1..65535, got 70000"),
    (["--repeat", "100000"], "argument --repeat: must be 1..50, got 100000"),
])
def test_through_argparse_a_bad_value_is_one_line_and_exit_2(argv, fragment, capsys):
    p = argparse.ArgumentParser(prog="optkit x")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--port", type=port, default=8888)
    p.add_argument("--repeat", type=int_in(1, 50), default=5)
    with pytest.raises(SystemExit) as ei:
        p.parse_args(argv)
    assert ei.value.code == 2
    err = capsys.readouterr().err
    assert f"optkit x: error: {fragment}" in err and "Traceback" not in err
    assert p.parse_args(["--threads", "3", "--port", "9000"]).threads == 3
