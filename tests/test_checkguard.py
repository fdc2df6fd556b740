"""optkit.checkguard: the Exercise's settings validated, and what a learner's function must
leave alone during a check (the exercise's attributes, what its reference and baseline read),
restored when changed. The verdicts these give are tested in test_check.py."""
import types

import numpy as np
import pytest

from optkit import checkguard


def test_settings_are_validated_and_seeds_become_a_tuple():
    assert checkguard.settings(5, np.arange(2), None) == (5.0, (0, 1), None)
    assert checkguard.settings(0.5, [3], 2.5) == (0.5, (3,), 2.5)
    with pytest.raises(ValueError, match="time_budget_s"):
        checkguard.settings(float("inf"), (0,), None)
    with pytest.raises(TypeError, match="time_budget_s"):
        checkguard.settings(True, (0,), None)
    with pytest.raises(TypeError, match="seeds"):
        checkguard.settings(1, "012", None)
    with pytest.raises(TypeError, match="target_speedup"):
        checkguard.settings(1, (0,), True)


class _Ex:
    def __init__(self, reference, baseline=None):
        self.name, self.reference, self.baseline = "x", reference, baseline
        self.target_speedup, self.forbidden = 3.0, {1: "a"}


def test_held_restores_globals_builtin_shadows_module_attributes_and_settings():
    mod = types.ModuleType("heldmod")
    exec("import math\n"
         "def inner(x):\n    return math.sqrt(abs(x))\n"
         "def ref(x):\n    return inner(x) + len([x])\n", mod.__dict__)
    ex = _Ex(mod.ref)
    held = checkguard.Held(ex)
    held.verify()                                    # nothing changed: no exception
    inner, math_module = mod.inner, mod.math
    mod.inner, mod.len = (lambda x: 0), (lambda x: 0)
    with pytest.raises(checkguard.Changed):
        held.verify()
    ex.target_speedup = 0.1
    ex.forbidden.clear()
    v = held.release("the verdict")
    assert v.status == "wrong" and "`heldmod.inner`" in v.message and "`heldmod.len`" in v.message
    assert mod.inner is inner and "len" not in vars(mod) and mod.math is math_module
    assert ex.target_speedup == 3.0 and ex.forbidden == {1: "a"} and not hasattr(ex, "held")
    held = checkguard.Held(ex)
    ex.target_speedup = 0.1
    v = held.release("the verdict")
    assert v.status == "wrong" and "target_speedup" in v.message and ex.target_speedup == 3.0
    assert checkguard.Held(ex).release("unchanged") == "unchanged"


def test_a_cache_the_reference_fills_with_global_is_not_a_change():
    mod = types.ModuleType("cachemod")
    exec("_TABLE = None\n"
         "def ref(x):\n    global _TABLE\n    if _TABLE is None:\n        _TABLE = [1]\n    return x\n",
         mod.__dict__)
    ex = _Ex(mod.ref)
    held = checkguard.Held(ex)
    mod.ref(1)
    held.verify()
    assert held.release("ok") == "ok" and mod._TABLE == [1]


def _exercise_for_holds():
    from optkit.check import Exercise

    def ref(x, scale=2):
        return x * scale
    return Exercise("hold", ref, lambda seed: (np.arange(5) + seed,)), ref


def test_defaults_of_the_reference_are_held_and_restored():
    # A9 G1: a wrong answer that changes the reference's default argument to agree with it
    ex, ref = _exercise_for_holds()

    def wrong(x):
        getattr(ex, "refer" + "ence").__defaults__ = (3,)     # reached without naming it
        return x * 3
    v = ex.check(wrong, display=False)
    assert v.status == "wrong" and "__defaults__" in v.message and ref.__defaults__ == (2,)
    assert ex.check(lambda x: x * 2, display=False).status == "pass"      # judged as before


def test_the_exercise_class_and_the_checks_own_names_are_held():
    # A9 G4 (the class's _compare), G5 (a clock in guard, also as a default argument)
    from optkit import guard
    from optkit.check import Exercise

    ex, _ = _exercise_for_holds()
    compare, clock = Exercise._compare, guard.Fed.__call__.__kwdefaults__

    def cheat_class(x):
        Exercise._compare = lambda self, expected, got: None
        return 0
    v = ex.check(cheat_class, display=False)
    assert v.status == "wrong" and "Exercise._compare" in v.message and Exercise._compare is compare

    def cheat_clock(x):
        guard.Fed.__call__.__kwdefaults__ = {"_now": lambda: 0.0}
        return x * 2
    v = ex.check(cheat_clock, display=False)
    assert v.status == "wrong" and "Fed.__call__.__kwdefaults__" in v.message
    assert guard.Fed.__call__.__kwdefaults__ is clock

    def cheat_clock_entry(x):        # E47 1: the entry inside the same dict
        guard.Fed.__call__.__kwdefaults__["_now"] = lambda: 0.0
        return x * 2
    real = clock["_now"]
    v = ex.check(cheat_clock_entry, display=False)
    assert v.status == "wrong" and "__kwdefaults__['_now']" in v.message and clock["_now"] is real


def test_the_checks_frozen_comparison_its_classes_and_builtin_shadows_are_held():
    # E48 1: an entry of check's private namespace of the comparison (_B); E48 2: a method of one
    # of the check's own classes; E48 7: a builtin shadowed by a name put into its module; E48 3:
    # an entry of the reference's keyword-only defaults. Each refused, put back, and a later
    # honest wrong answer is still wrong.
    from optkit import check, results, timing
    from optkit.check import Exercise

    ex, _ = _exercise_for_holds()
    entry, speedup = check._B["compare_arrays"], results.Comparison.speedup

    def cheat_namespace(x):
        check._assert_same.__globals__["compare_arrays"] = lambda *a, **k: None
        return x * 3
    v = ex.check(cheat_namespace, display=False)
    assert v.status == "wrong" and "compare_arrays" in v.message and check._B["compare_arrays"] is entry

    def cheat_method(x):
        results.Comparison.speedup = lambda self, *a, **k: 5000.0
        return x * 2
    v = ex.check(cheat_method, display=False)
    assert v.status == "wrong" and "Comparison.speedup" in v.message and results.Comparison.speedup is speedup

    def cheat_shadow(x):
        timing.sorted = lambda xs, *a, **k: [0.0 for _ in xs]
        return x * 2
    v = ex.check(cheat_shadow, display=False)
    assert v.status == "wrong" and "optkit.timing.sorted" in v.message and "sorted" not in vars(timing)
    assert ex.check(lambda x: x * 3, display=False).status == "wrong"       # judged as before

    def ref_kw(x, *, scale=2):
        return x * scale
    kw = Exercise("hold kw", ref_kw, lambda seed: (np.arange(5) + seed,))

    def cheat_kw(x):
        getattr(kw, "refer" + "ence").__kwdefaults__["scale"] = 3
        return x * 3
    v = kw.check(cheat_kw, display=False)
    assert v.status == "wrong" and "__kwdefaults__['scale']" in v.message and ref_kw.__kwdefaults__ == {"scale": 2}


def test_numpy_types_are_known_by_identity_not_by_their_module_name():
    # A9 G6: a learner's class calling itself numpy
    from optkit.rules import numpy_own_type, same_int

    class Forged(np.int64):
        __module__ = "numpy"
    assert numpy_own_type(np.int64) and numpy_own_type(np.ndarray) and not numpy_own_type(Forged)
    with pytest.raises(AssertionError, match="a count is a plain int"):
        same_int(5, Forged(5))


def test_private_settings_are_not_named_to_the_learner():
    # A9 G10: the verdict named the internal `guarded` list
    ex, _ = _exercise_for_holds()

    def meddle(x):
        ex.__dict__["_private_thing"] = 1
        return x * 2
    v = ex.check(meddle, display=False)
    assert v.status == "wrong" and "_private" not in v.message and "its own state" in v.message
