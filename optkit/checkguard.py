"""What a learner's function must leave alone while :class:`optkit.check.Exercise` checks it.

The learner's function runs inside the check's own process, so it can reach the exercise and
the code that judges it. This module holds what :mod:`optkit.check` uses against that:

- :func:`settings`: the Exercise's arguments ``time_budget_s``, ``seeds`` and
  ``target_speedup``, validated (a bad setting is the instructor's, and must not read as the
  learner's endless loop);
- :class:`Held`: taken at the start of a check, it keeps the Exercise's settings (its
  attributes: the target, the baseline, the reference ...) and the bindings that the reference
  and the baseline read: the globals named in their code (and in the code of same-module
  functions they call, two levels), attributes of modules they name, and the builtins they use
  (a name newly put into their module that shadows a builtin counts as a change).
  :meth:`Held.verify` (before each expected output is computed) raises :class:`Changed` when
  one of those was rebound; :meth:`Held.release` (at the end of the check) restores every one of
  them and turns the verdict into "wrong" when anything had changed;
- :func:`timed_input_problem`: the learner's timed inputs must come back unchanged, as in the
  correctness calls.

It also holds the default arguments of every function it watches, each entry of the keyword
ones too (a learner's function could change what the reference computes through them), the
names of the check's own modules (``OWN_MODULES``) with the default arguments of their functions
and methods (a clock passed as a default), the attributes and methods of their classes, each
entry of a private namespace their functions look names up in (check's frozen comparison), the
builtins their functions read (a name put into such a module that shadows one counts as a
change), and the attributes of the Exercise's classes.

Identity only (``is``), names only (no deep walk of values): a check runs many times per
notebook, so this stays cheap. Not covered: a value changed in place (an array the reference
reads, an attribute of another object: a library's internals, the check's objects reached
through the call stack), a binding changed and put back between two looks, and a change made
before the check starts (a cell typed before it).
"""
from __future__ import annotations

import builtins
import dis
import functools
import math
import numbers
import types

from .i18n import tr

__all__ = ["Changed", "Held", "settings", "timed_input_problem"]

_ABSENT = object()
DEPTH = 2            # same-module functions the reference calls, and those they call
# The check's own modules: a learner's function that rebinds a name in them (a bound clock, a
# comparison, a constant) changes how it is judged.
OWN_MODULES = ("optkit.check", "optkit.checkguard", "optkit.guard", "optkit.timingcheck", "optkit.rules",
               "optkit.prangerule", "optkit.poolrule", "optkit.timing", "optkit.bench", "optkit.results",
               "optkit.outputs", "optkit.verdict", "optkit.pywork")


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


class Changed(BaseException):
    """A binding the reference or baseline reads was rebound during the check (raised by
    :meth:`Held.verify` up to ``Exercise.check``, which every other handler lets through)."""


def _python_function(f):
    """The Python function behind f (a partial's, a wrapper's, a Numba dispatcher's py_func,
    a bound method's), else None."""
    for _ in range(6):
        if isinstance(f, types.FunctionType):
            return f
        f = (getattr(f, "__func__", None) or getattr(f, "py_func", None) or getattr(f, "__wrapped__", None)
             or getattr(f, "func", None))
    return None


def _names(code, out, stored):
    """The names ``code`` reads (into ``out``), and those it assigns with ``global`` (``stored``:
    a cache the function itself fills, such as scene.default_scene's, is not a change)."""
    names, assigned = _code_names(code)
    out.update(names)
    stored.update(assigned)
    return out


@functools.lru_cache(maxsize=4096)
def _code_names(code):       # read once per code object: a check takes its snapshot many times
    names, stored = set(code.co_names), {i.argval for i in dis.get_instructions(code)
                                         if i.opname in ("STORE_GLOBAL", "DELETE_GLOBAL")}
    for c in code.co_consts:
        if isinstance(c, types.CodeType):        # comprehensions, lambdas, nested functions
            n, st = _code_names(c)
            names |= n
            stored |= st
    return frozenset(names), frozenset(stored)


def _defaults(f, role, shown, found):
    """Into ``found``: f's default arguments, as a whole, and each entry of the keyword ones."""
    for attr in ("__defaults__", "__kwdefaults__"):
        found.setdefault(("fattr", id(f), attr), (f, getattr(f, attr), role, f"{shown}.{attr}"))
    for k, v in (f.__kwdefaults__ or {}).items():
        found.setdefault(("global", id(f.__kwdefaults__), k), (f.__kwdefaults__, v, role, f"{shown}.__kwdefaults__[{k!r}]"))


def _watch(f, role, found, depth=DEPTH, seen=None):
    """Into ``found``: (kind, id of the namespace, name) -> (namespace, value, role, shown as) for
    what ``f`` reads; ``kind``: "global", "builtin" or "attr" (of a module)."""
    seen = set() if seen is None else seen
    f = _python_function(f)
    if f is None or id(f) in seen:
        return
    seen.add(id(f))
    g = f.__globals__
    mod = g.get("__name__", "?")
    _defaults(f, role, f"{mod}.{f.__qualname__}", found)
    stored = set()
    names = _names(f.__code__, set(), stored)
    for name in names - stored:
        value = g.get(name, _ABSENT)
        found.setdefault(("global", id(g), name), (g, value, role, f"{mod}.{name}"))
        if value is _ABSENT and hasattr(builtins, name):
            found.setdefault(("builtin", 0, name), (builtins, getattr(builtins, name), role, f"builtins.{name}"))
        if isinstance(value, types.ModuleType):    # cv2.LUT: an attribute it names of a module it reads
            for attr in names:
                if attr in getattr(value, "__dict__", {}):
                    found.setdefault(("attr", id(value), attr), (value, value.__dict__[attr], role,
                                                                 f"{mod}.{name}.{attr}"))
        elif depth > 0 and isinstance(value, types.FunctionType) and value.__globals__ is g:
            _watch(value, role, found, depth - 1, seen)


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
        _watch(ex.reference, "reference", self.bindings)
        if ex.baseline is not None:
            _watch(ex.baseline, "baseline", self.bindings)
        self._watch_check(ex)
        self.start = [(key, owner, value) for key, (owner, value, _, _) in self.bindings.items()]

    def _watch_check(self, ex):
        """The names of the check's own modules and the attributes of the Exercise's classes."""
        import sys

        def code(f, shown, glb):
            """A clock or a setting passed as a default argument; the names its globals hold for
            it (a private namespace such as check's frozen comparison, entry by entry); a
            builtin it reads, which a name put into its module would shadow."""
            _defaults(f, "check", shown, self.bindings)
            g = f.__globals__
            if g is not glb and id(g) not in spaces:
                spaces.add(id(g))
                for k, v in g.items():
                    self.bindings.setdefault(("global", id(g), k), (g, v, "check", f"{shown}.__globals__[{k!r}]"))
            for n in _names(f.__code__, set(), set()):
                if n not in g and hasattr(builtins, n):
                    self.bindings.setdefault(("global", id(g), n), (g, _ABSENT, "check", f"{g.get('__name__')}.{n}"))

        spaces = set()
        for name in OWN_MODULES:
            m = sys.modules.get(name)
            for k, v in (list(vars(m).items()) if m is not None else ()):
                if not (k.startswith("__") and k.endswith("__")):
                    self.bindings.setdefault(("global", id(vars(m)), k), (vars(m), v, "check", f"{name}.{k}"))
                    if isinstance(v, types.FunctionType) and (v.__module__ == name or v.__globals__ is not getattr(
                            sys.modules.get(v.__module__), "__dict__", None)):   # or a frozen copy (check._B)
                        code(v, f"{name}.{k}", vars(m))
                    elif isinstance(v, type) and v.__module__ == name:
                        for a, f in vars(v).items():       # its methods and class attributes
                            if not (a.startswith("__") and a.endswith("__")):
                                self.bindings.setdefault(("attr", id(v), a), (v, f, "check", f"{name}.{k}.{a}"))
                            f = _python_function(f)
                            if f is not None:
                                code(f, f"{name}.{k}.{a}", vars(m))
        for cls in type(ex).__mro__[:-1]:
            for k, v in vars(cls).items():
                if not (k.startswith("__") and k.endswith("__")):
                    self.bindings.setdefault(("attr", id(cls), k), (cls, v, "check", f"{cls.__name__}.{k}"))

    @staticmethod
    def _now(kind, owner, name):
        if kind == "global":
            return owner.get(name, _ABSENT)
        if kind == "attr":
            return owner.__dict__.get(name, _ABSENT)
        return getattr(owner, name, _ABSENT)           # a builtin, or a function's defaults

    def changed_bindings(self) -> list:
        return [key for key, owner, value in self.start if self._now(key[0], owner, key[2]) is not value]

    def changed_settings(self) -> list:
        now = vars(self.ex)
        names = [k for k in set(now) | set(self.attrs) if now.get(k, _ABSENT) is not self.attrs.get(k, _ABSENT)]
        for k, old in self.contents.items():
            if k not in names and not _same_items(self.attrs[k], old):
                names.append(k)
        return sorted(names)

    def verify(self):
        """Raise :class:`Changed` when a binding the reference or baseline reads was rebound."""
        if self.changed_bindings():
            raise Changed()

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
            msg = tr("{names} changed while your function was being checked (read by the {role}): the check "
                     "put back what it found at the start; the exercise's own code and what it uses must stay "
                     "as they are", names=shown,
                     role=tr(" and ").join(tr(r) for r in roles))
        else:
            msg = tr("your function changed the exercise's settings ({names}): the check restored them; "
                     "a solution computes its result and leaves the exercise alone",
                     names=", ".join(a for a in attrs if not a.startswith("_")) or tr("its own state"))
        return Verdict(self.attrs["name"], "wrong", msg, target=self.attrs.get("target_speedup"))
