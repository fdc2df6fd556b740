"""What a learner's function must leave alone while :class:`optkit.check.Exercise` checks it.

The learner's function runs inside the check's own process, so it can reach the exercise and
the code that judges it. This module holds what :mod:`optkit.check` uses against that:

- :func:`settings`: the Exercise's arguments ``time_budget_s``, ``seeds`` and
  ``target_speedup``, validated (a bad setting is the instructor's, and must not read as the
  learner's endless loop).
"""
from __future__ import annotations

import math
import numbers

from .i18n import tr

__all__ = ["settings"]


def settings(time_budget_s, seeds, target_speedup):
    """``(time_budget_s as a float, seeds as a non-empty tuple, target_speedup)``, validated;
    ValueError or TypeError naming the argument."""
    if isinstance(time_budget_s, bool) or not isinstance(time_budget_s, numbers.Real):
        raise TypeError(tr("time_budget_s must be a number of seconds, got {value!r}", value=time_budget_s))
    budget = float(time_budget_s)
    if not (math.isfinite(budget) and budget > 0):
        raise ValueError(tr("time_budget_s must be a finite number of seconds > 0, got {value!r}",
                            value=time_budget_s))
    if isinstance(seeds, (str, bytes)):
        raise TypeError(tr("seeds must be a sequence of seeds (such as (0, 1, 2)), got {value!r}", value=seeds))
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise TypeError(tr("seeds must be a sequence of seeds (such as (0, 1, 2)), got {value!r}",
                           value=seeds)) from None
    if not seeds:
        raise ValueError(tr("seeds must not be empty"))
    if target_speedup is not None:
        if isinstance(target_speedup, bool) or not isinstance(target_speedup, numbers.Real):
            raise TypeError(tr("target_speedup must be None or a number > 0, got {value!r}",
                               value=target_speedup))
        if not (math.isfinite(float(target_speedup)) and target_speedup > 0):
            raise ValueError(tr("target_speedup must be None or a finite number > 0, got {value!r}",
                                value=target_speedup))
    return budget, seeds, target_speedup
