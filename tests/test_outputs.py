"""optkit.outputs: the reference check every measurement passes first. Its use through
bench.compare (list/dict/scalar cases, shape and tolerance messages, check=) is tested in
tests/test_bench.py, and exercise verdicts in tests/test_check.py; here: assert_same and its
helpers called directly, with the messages a learner reads."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from optkit.outputs import (MismatchError, as_array, assert_same, check_output, compare_arrays, identical,
                            steady_items_off)


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.delenv("OPTKIT_LANG", raising=False)


def _msg(ref, out, **kw):
    with pytest.raises(MismatchError) as ei:
        assert_same(ref, out, **kw)
    return ei.value


class FakeTensor:
    """Looks like a torch tensor (detach/cpu/numpy) without importing torch."""

    def __init__(self, arr):
        self.arr = np.asarray(arr)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.arr


@dataclasses.dataclass
class Boxes:
    quads: np.ndarray
    labels: list


def test_as_array():
    a = np.arange(3)
    assert as_array(a) is a
    assert np.array_equal(as_array(FakeTensor([1, 2])), [1, 2])
    assert isinstance(as_array(np.float64(2.0)), np.ndarray)
    for obj in ([1, 2], (1,), "abc", b"ab", 3, None, {"a": 1}):
        assert as_array(obj) is None, obj


def test_identical_treats_nan_as_equal_only_for_floats():
    f = np.array([1.0, np.nan])
    assert identical(f, f.copy()) and identical(f.astype(complex), f.astype(complex))
    assert not identical(f, np.array([1.0, 2.0]))
    assert identical(np.arange(3), np.arange(3)) and not identical(np.arange(3), np.arange(1, 4))
    assert identical(np.array(["a"]), np.array(["a"]))
    assert identical([1], [1]) is False                    # not an array: not "identical", no crash


def test_array_mismatch_names_count_max_diff_and_first_index():
    ref = np.zeros((4, 5))
    out = ref.copy()
    out[2, 3], out[3, 0] = 0.5, -2.0
    e = _msg(ref, out)
    s = str(e)
    assert "2 of 20 elements differ" in s and "max abs diff 2" in s and "rtol=1e-07, atol=0" in s
    assert "first at index (2, 3): expected 0.0, got 0.5" in s
    assert e.index == (2, 3) and e.max_abs_diff == pytest.approx(2.0)


def test_nan_matches_nan_and_tolerances_apply():
    ref = np.array([1.0, np.nan, 3.0])
    assert_same(ref, np.array([1.0, np.nan, 3.0]))
    assert_same(ref, ref.astype(np.float32), rtol=1e-6)
    assert "max abs diff" in str(_msg(ref, np.array([1.0, 2.0, 3.0])))
    assert_same(ref, ref + 1e-3, rtol=0, atol=2e-3)
    _msg(ref, ref + 1e-3, rtol=0, atol=1e-4)
    assert_same(np.array([1 + 1j]), np.array([1 + 1j]))
    assert "1 of 1 elements differ" in str(_msg(np.array([1 + 1j]), np.array([1 - 1j])))


def test_dtype_strictness():
    a = np.arange(4, dtype=np.int32)
    assert_same(a, a.astype(np.int64))
    e = _msg(a, a.astype(np.int64), strict_dtype=True)
    assert "dtype differs: expected int32, got int64" in str(e)
    assert_same(np.float64(2.0), 2.0, strict_dtype=True)     # a Python number for a NumPy scalar is fine


def test_array_against_what_is_not_one():
    ref = np.arange(3)
    assert_same(ref, [0, 1, 2])
    assert_same(ref, FakeTensor([0, 1, 2]))
    assert "shape differs: expected (3,), got ()" in str(_msg(ref, None))
    assert "expected an array, got list" in str(_msg(ref, [[1], [1, 2]]))        # ragged
    assert "shape differs: expected (3,), got (2, 3)" in str(_msg(ref, np.zeros((2, 3))))


def test_text_arrays_are_compared_elementwise():
    ref = np.array(["가", "나", "다"])
    assert_same(ref, ref.copy())
    s = str(_msg(ref, np.array(["가", "X", "다"])))
    assert "1 of 3 elements differ" in s and "expected '나', got 'X'" in s and "max abs diff" not in s


def test_zero_dim_and_empty_arrays():
    assert_same(np.array(1.5), np.array(1.5))
    assert "index ()" in str(_msg(np.array(1.5), np.array(2.5)))
    assert_same(np.zeros((0, 3)), np.zeros((0, 3)))
    _msg(np.zeros((0, 3)), np.zeros((3, 0)))


def test_containers_name_the_position():
    assert "[1] [0] " in str(_msg([1, [5, 6]], [1, [7, 6]]))
    assert "['b'] " in str(_msg({"a": 1, "b": 2}, {"a": 1, "b": 3}))
    s = str(_msg({"a": 1, "b": 2}, {"a": 1, "c": 2}))
    assert "keys differ: missing [\"'b'\"], extra [\"'c'\"]" in s
    assert "expected a dict, got list" in str(_msg({"a": 1}, [1]))
    assert "expected a list, got int" in str(_msg([1], 1))
    assert "length differs: expected 2, got 3" in str(_msg((1, 2), [1, 2, 3]))
    assert_same((1, 2), np.array([1, 2]))            # an array for a tuple, element by element


def test_dataclasses_field_by_field():
    ref = Boxes(np.zeros((2, 4, 2)), ["a", "b"])
    assert_same(ref, Boxes(np.zeros((2, 4, 2)), ["a", "b"]))
    s = str(_msg(ref, Boxes(np.zeros((2, 4, 2)), ["a", "c"])))
    assert s.startswith(".labels [1] ") and "expected 'b', got 'c'" in s
    assert ".quads " in str(_msg(ref, Boxes(np.ones((2, 4, 2)), ["a", "b"])))
    assert "expected a Boxes, got tuple" in str(_msg(ref, (ref.quads, ref.labels)))


def test_scalars_and_what_cannot_be_compared():
    assert_same(1.0, 1.0 + 1e-9)
    assert_same(3, 3.0000000001)                         # an int reference, a float result
    s = str(_msg(1.0, 1.5))
    assert "expected 1.0, got 1.5 (abs diff 0.5)" in s
    assert "expected a number 1.0, got None" in str(_msg(1.0, None))
    assert "expected 'abc', got 'abd'" in str(_msg("abc", "abd"))
    assert len(str(_msg("x" * 1000, "y" * 1000))) < 500         # long values are cut

    class Rude:
        def __eq__(self, other):
            raise RuntimeError("no comparing me")

    assert "cannot compare Rude with int: no comparing me" in str(_msg(Rude(), 1))


def test_text_is_not_a_float_result():
    with pytest.raises(MismatchError):
        assert_same(1.0, "1.0")


def test_steady_items_off_finds_items_every_run_gets_wrong():
    ref = np.arange(24.0).reshape(6, 4)
    runs = []
    for extra in (1, 3, 5):             # item 2 always wrong, one other item wrong per run (a race)
        o = ref.copy()
        o[2] = 0
        o[extra, 0] = -1
        runs.append(o)

    def same(a, b):
        assert_same(a, b)

    assert steady_items_off(ref, runs, same) == [2]
    assert steady_items_off(ref, runs[:1], same) == [1, 2]
    racy = [ref.copy(), ref.copy()]
    racy[0][1] = 0
    racy[1][4] = 0
    assert steady_items_off(ref, racy, same) == []
    assert steady_items_off(ref, [ref.copy()], same) == []
    assert steady_items_off(ref, [ref[:3]], same) == []              # another shape: no claim
    assert steady_items_off([1, 2], [[1, 3]], same) == []            # not arrays
    assert steady_items_off(np.array(1.0), [np.array(2.0)], same) == []
    loose = lambda a, b: assert_same(a, b, rtol=0, atol=100)         # noqa: E731
    assert steady_items_off(ref, runs, loose) == []                  # within the tolerance: not "off"


def test_compare_arrays_prefixes_where():
    with pytest.raises(MismatchError, match=r"^\[3\] shape differs"):
        compare_arrays(np.zeros(2), np.zeros(3), 1e-7, 0.0, "[3] ")


def test_check_output_names_the_variant():
    check_output("fast", "ref", [1], [1], None, 1e-7, 0.0)
    check_output("fast", "ref", [3, 1], [1, 3], lambda r, o: sorted(r) == sorted(o), 1e-7, 0.0)
    check_output("fast", "ref", 1, 1, lambda r, o: None, 1e-7, 0.0)           # None: no objection
    with pytest.raises(MismatchError) as ei:
        check_output("fast", "ref", np.zeros(3), np.ones(3), None, 1e-7, 0.0)
    e = ei.value
    assert str(e).startswith("variant 'fast' does not match 'ref': 3 of 3 elements differ")
    assert e.label == "fast" and e.index == (0,) and e.max_abs_diff == 1.0
    for verdict in (False, np.bool_(False), 0, []):
        with pytest.raises(MismatchError, match=r"variant '빠름' does not match 'ref': check\(ref, out\) returned False"):
            check_output("빠름", "ref", 1, 2, lambda r, o, v=verdict: v, 1e-7, 0.0)

    def asserting(ref, out):
        assert ref == out, "counts differ"

    with pytest.raises(MismatchError, match="counts differ") as ei:
        check_output("v", "ref", 1, 2, asserting, 1e-7, 0.0)
    assert ei.value.label == "v"
