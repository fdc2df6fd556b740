"""What a learner's function must leave alone while :class:`optkit.check.Exercise` checks it.

The learner's function runs inside the check's own process, so it can reach the exercise and
the code that judges it. This module holds what :mod:`optkit.check` uses against that:

- :func:`settings`: the Exercise's arguments ``time_budget_s``, ``seeds`` and
  ``target_speedup``, validated (a bad setting is the instructor's, and must not read as the
  learner's endless loop);
- :class:`Held`: taken at the start of a check, it keeps the Exercise's settings (its
  attributes: the target, the baseline, the reference ...); :meth:`Held.release` (at the end of
  the check) restores them and turns the verdict into "wrong" when anything had changed;
- :func:`timed_input_problem`: the learner's timed inputs must come back unchanged, as in the
  correctness calls.

Identity only (``is``): a check runs many times per notebook, so this stays cheap.
"""
from __future__ import annotations

import math
import numbers

from .i18n import tr

__all__ = ["Held", "settings", "timed_input_problem"]

_ABSENT = object()


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


def timed_input_problem(changed_input, fn, fresh, timed, check_inputs=True):
    """What the learner's function did to its timed inputs ``timed`` (compared with ``fresh``, a
    pristine copy of them) as a message, or None; ``changed_input(fn, before, now)``: the
    check's own comparison (it skips the ``out`` argument)."""
    if not check_inputs:
        return None
    from .rules import snapshot_value

    problem = changed_input(fn, [snapshot_value(a) for a in fresh], tuple(timed))
    return tr("while it was timed, {problem}", problem=problem) if problem else None


def _same_items(now, kept) -> bool:
    if len(now) != len(kept):
        return False
    if isinstance(now, dict):
        return all(k in now and now[k] is v for k, v in kept.items())
    return all(a is b for a, b in zip(now, kept))


class Held:
    """The Exercise's settings and the reference's and baseline's bindings, kept from the start
    of a check (see the module's docstring)."""

    def __init__(self, ex):
        self.ex = ex
        ex.held = self
        self.attrs = dict(vars(ex))
        self.contents = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in self.attrs.items()
                         if type(v) in (dict, list)}
        self.bindings = {}
        self.start = [(key, owner, value) for key, (owner, value, _, _) in self.bindings.items()]

    @staticmethod
    def _now(kind, owner, name):
        if kind == "global":
            return owner.get(name, _ABSENT)
        return owner.__dict__.get(name, _ABSENT) if kind == "attr" else getattr(owner, name, _ABSENT)

    def changed_bindings(self) -> list:
        return [key for key, owner, value in self.start if self._now(key[0], owner, key[2]) is not value]

    def changed_settings(self) -> list:
        now = vars(self.ex)
        names = [k for k in set(now) | set(self.attrs) if now.get(k, _ABSENT) is not self.attrs.get(k, _ABSENT)]
        for k, old in self.contents.items():
            if k not in names and not _same_items(self.attrs[k], old):
                names.append(k)
        return sorted(names)

    def _restore(self):
        for key, owner, value in self.start:
            kind, _, name = key
            if self._now(kind, owner, name) is value:
                continue
            if kind == "global":
                if value is _ABSENT:
                    owner.pop(name, None)
                else:
                    owner[name] = value
            elif value is _ABSENT:
                try:
                    delattr(owner, name)
                except AttributeError:
                    pass
            else:
                setattr(owner, name, value)
        for k, old in self.contents.items():
            v = self.attrs[k]
            v.clear()
            v.update(old) if isinstance(v, dict) else v.extend(old)
        now = vars(self.ex)
        now.clear()
        now.update(self.attrs)

    def release(self, verdict):
        """Restore what changed; the verdict, or a "wrong" one saying what the learner's function
        changed."""
        bindings, attrs = self.changed_bindings(), self.changed_settings()
        self._restore()
        self.ex.__dict__.pop("held", None)
        if verdict is None or not (bindings or attrs):
            return verdict
        from .verdict import Verdict

        if bindings:
            shown = ", ".join(sorted({f"`{self.bindings[k][3]}`" for k in bindings}))
            roles = sorted({self.bindings[k][2] for k in bindings})
            msg = tr("your function changed {names}, which the {role} uses: the check restored it; "
                     "the exercise's own functions must stay as they are", names=shown,
                     role=tr(" and ").join(tr(r) for r in roles))
        else:
            msg = tr("your function changed the exercise's settings ({names}): the check restored them; "
                     "a solution computes its result and leaves the exercise alone",
                     names=", ".join(a.lstrip("_") for a in attrs))
        return Verdict(self.attrs["name"], "wrong", msg, target=self.attrs.get("target_speedup"))
