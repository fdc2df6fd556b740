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
