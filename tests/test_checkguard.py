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
