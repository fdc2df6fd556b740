"""What a learner's function may call and how a wrong answer is explained: forbidden names found
in the code, the prange race rule, argument descriptions, hints for floats and lists."""
from __future__ import annotations

import copy
import functools

from optkit import outputs as _outputs
from optkit.i18n import tr
from optkit.poolrule import pool_chunks_rule  # noqa: F401  (07 Exercise A imports it from here)
# 03 Exercise 2 imports both rules from here
from optkit.prangerule import parallel_prange_rule, prange_race_rule  # noqa: F401

__all__ = ["quality_kinds", "quality_warning", "code_of", "name_of", "known_as", "code_key", "forbidden_keys", "forbidden_name", "all_codes",
           "static_calls", "snapshot_value", "param_names", "describe_value", "describe_args",
           "float_hint", "list_hint", "same_int", "prange_race_rule", "parallel_prange_rule",
           "numba_function_rule", "numpy_own_type",
           "result_type_check", "compile_failure", "pool_chunks_rule"]


def code_of(f):
    """The Python code object behind a function, a Numba dispatcher or a partial; else None."""
    seen = 0
    while f is not None and seen < 5:
        seen += 1
        code = getattr(f, "__code__", None)
        if code is not None:
            return code
        f = getattr(f, "py_func", None) or getattr(f, "__wrapped__", None) or getattr(f, "func", None)
    return None


def name_of(f) -> str:
    mod = getattr(f, "__module__", None) or ""
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    if mod.startswith("optkit."):
        return f"{mod.split('.', 1)[1]}.{name}"
    return name


def known_as(name: str, fn=None) -> str:
    """A name from :func:`name_of` as the learner's notebook knows it: an optkit function
    (``lessons.cython_numba.f``) through the alias its module was imported under in fn's module
    or the notebook (``kernels.f``), else its bare name; any other name as it is."""
    import sys

    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get("optkit." + ".".join(parts[:i]))
        if module is None:
            continue
        for f in (getattr(fn, "py_func", None), fn, sys.modules.get("__main__")):
            scope = vars(f) if isinstance(f, type(sys)) else getattr(f, "__globals__", None) or {}
            alias = next((k for k, v in list(scope.items()) if v is module and not k.startswith("_")), None)
            if alias:
                return f"{alias}.{'.'.join(parts[i:])}"
        return ".".join(parts[i:])
    return name


def code_key(code):
    """What identifies a function's code whatever its name, file or line (a clone made with
    ``code.replace(co_firstlineno=...)`` has the same key): bytecode, names, and the constants
    the bytecode loads (an unused constant added with ``code.replace(co_consts=...)`` makes
    no new function)."""
    import dis

    used = sorted({ins.arg for ins in dis.get_instructions(code)
                   if ins.opcode in dis.hasconst and ins.arg is not None})
    consts = tuple((i, code_key(c) if hasattr(c, "co_code") else (type(c).__name__, repr(c)))
                   for i, c in ((i, code.co_consts[i]) for i in used if i < len(code.co_consts)))
    return (code.co_code, consts, code.co_names)


def forbidden_keys(forbidden: dict) -> dict:
    """{code_key: display name} of the forbidden functions and of the functions defined inside
    them. A comprehension, generator expression or lambda inside one (``<listcomp>``, ...) is
    left out: a learner writes ``[text[a:b] for a, b in zip(starts, ends)]`` in a helper of
    their own as naturally as the reference does, and a copy of the whole reference is caught
    by its own key when it is called."""
    keys = {}
    for c, name in forbidden.items():
        for sub in all_codes(c):
            if sub is c or not sub.co_name.startswith("<"):
                keys.setdefault(code_key(sub), name)
    return keys


def forbidden_name(code, forbidden, keys, own, cache):
    """The forbidden function ``code`` is (the very code object or a clone of it), else None.
    The learner's own code objects never count as clones."""
    if not hasattr(code, "co_code"):
        return None
    name = forbidden.get(code)
    if name is not None or not keys:
        return name
    try:
        return cache[code]
    except (KeyError, TypeError):
        pass
    name = None if code in own else keys.get(code_key(code))
    cache[code] = name
    return name


def all_codes(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            yield from all_codes(c)


def static_calls(fn, forbidden: dict):
    """Names of forbidden functions that ``fn``'s code refers to (globals, module attributes,
    closure cells), found without running it. ``forbidden``: {code object: display name}."""
    code = code_of(fn)
    if code is None:
        return []
    target = fn
    for _ in range(5):      # the plain function (a Numba dispatcher has __code__ but no __globals__)
        if target is None or getattr(target, "__globals__", None) is not None:
            break
        target = getattr(target, "py_func", None) or getattr(target, "__wrapped__", None) \
            or getattr(target, "func", None)
    glb = getattr(target, "__globals__", {}) or {}
    names = set()
    for c in all_codes(code):
        names.update(c.co_names)
    found = []

    keys, own, cache = forbidden_keys(forbidden), set(all_codes(code)), {}

    def visit(obj):
        c = code_of(obj) if callable(obj) else None
        name = forbidden_name(c, forbidden, keys, own, cache) if c is not None else None
        if name is not None and name not in found:
            found.append(name)

    for n in names:
        if n in glb:
            obj = glb[n]
            visit(obj)
            if type(obj).__name__ == "module":
                for attr in names:          # the module's own names: no module __getattr__ runs
                    visit(vars(obj).get(attr))  # (NumPy's warns on np.object, np.str, ...)
    for cell in getattr(target, "__closure__", None) or ():
        try:
            visit(cell.cell_contents)
        except ValueError:      # an empty cell
            pass
    return found


def snapshot_value(value, depth=0):
    """A deep copy to compare with later, or None when the value is not plain data."""
    import dataclasses

    import numpy as np

    if depth > 3:
        return None
    if isinstance(value, (np.ndarray, np.generic, str, bytes, bytearray, int, float, complex,
                          bool, type(None))):
        return copy.deepcopy(value)
    if isinstance(value, (list, tuple, dict)) or (dataclasses.is_dataclass(value)
                                                  and not isinstance(value, type)):
        try:
            return copy.deepcopy(value)
        except Exception:
            return None
    if hasattr(value, "detach") and hasattr(value, "clone"):        # torch tensor
        return value.detach().clone()
    return None


def param_names(fn, n):
    import inspect

    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else tr("argument {i}", i=i + 1) for i in range(n)]


def describe_value(v) -> str:
    import numpy as np

    if isinstance(v, np.ndarray):
        return tr("{dtype} array of shape {shape}", dtype=v.dtype, shape=v.shape)
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return tr("{kind} {dtype} of shape {shape}", kind=type(v).__name__, dtype=getattr(v, "dtype"),
                  shape=tuple(v.shape))
    if isinstance(v, (list, tuple)):
        return tr("{kind} of {n} items", kind=type(v).__name__, n=len(v))
    if isinstance(v, (int, float, str, bool)):
        return repr(v) if len(repr(v)) < 40 else type(v).__name__
    return type(v).__name__


def describe_args(args) -> str:
    """How a verdict names an input: shapes and dtypes of arrays, values of small parameters."""
    return ", ".join(describe_value(a) for a in args) or tr("no arguments")


def float_hint(exc, expected) -> str:
    """A hint when floats are close but not close enough: a dtype question, usually."""
    import numpy as np

    d = getattr(exc, "max_abs_diff", None)
    arr = _outputs.as_array(expected) if not isinstance(expected, (list, tuple, dict)) else None
    if d is None or arr is None or arr.dtype.kind != "f" or not arr.size:
        return ""
    scale = float(np.nanmax(np.abs(arr))) or 1.0
    if d / scale < 1e-3:
        return tr("; the values are close, only not close enough: do you compute in float32 where "
                  "the reference uses float64 (or the other way round), or in a different order?")
    return ""


_PLAIN = (str, int, float, bool, type(None))


def numpy_own_type(kind) -> bool:
    """Whether ``kind`` is NumPy's own ndarray or scalar type (by identity: a class of a
    learner's that calls itself ``__module__ = "numpy"`` is not)."""
    return kind in _numpy_types()


@functools.lru_cache(maxsize=1)
def _numpy_types() -> frozenset:
    """NumPy's ndarray and scalar types, built once (list_hint asks per item)."""
    import numpy as np

    return frozenset(np.sctypeDict.values()) | {np.ndarray}


def _plain_item(x, depth=2) -> bool:
    """Whether repr(x) runs none of a learner's code: an exact str, int, float, bool or None, a
    NumPy scalar or number array (not of dtype object), or an exact tuple or list of those."""
    kind = type(x)
    if kind in _PLAIN:
        return True
    if numpy_own_type(kind):                   # an ndarray or a NumPy scalar (not a subclass of one's own)
        dtype = getattr(x, "dtype", None)
        return dtype is not None and dtype.kind in "biufcmMSU?" and dtype.fields is None
    return kind in (tuple, list) and depth > 0 and len(x) <= 1000 and all(_plain_item(v, depth - 1) for v in x)


def list_hint(expected, got) -> str:
    """For lists: the same items in another order, or which item differs. Only for items whose
    repr() is safe to call (:func:`_plain_item`; a learner's item with its own slow or endless
    ``__repr__`` would run outside every budget): else ""."""
    if not isinstance(expected, list) or type(got) not in (list, tuple):
        return ""
    got = list(got)
    if len(got) > 100_000 or not all(_plain_item(v) for v in got):
        return ""
    try:
        if len(got) == len(expected) and sorted(map(repr, got)) == sorted(map(repr, expected)):
            i = next(i for i, (a, b) in enumerate(zip(expected, got)) if repr(a) != repr(b))
            j = next(j for j, b in enumerate(expected) if repr(b) == repr(got[i]))
            # indices and kinds only: an item can be a whole array, too long to print
            return tr("; the items are right but in a different order (item {i}, {kind}, is the "
                      "one expected at {j}): keep the order of the input",
                      i=i, j=j, kind=describe_value(got[i]))
    except Exception:
        return ""
    return ""


def same_int(expected, got) -> bool:
    """``compare=`` for exercises whose answer is a count (pixels, threads): ``got`` must be
    a whole-number type (a Python ``int`` or a NumPy integer) equal to ``expected``. A float
    (even ``2.0``) or a bool (``True`` is an ``int`` to Python, not a count) is refused with
    a message that says so."""
    import operator

    import numpy as np

    kind = type(got)
    if kind is not int and not (isinstance(got, np.integer) and numpy_own_type(kind)):
        if isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_)):
            # an int subclass (its own ==, !=, repr) or a non-NumPy integer type: not a plain count
            raise AssertionError(tr("expected the whole number {expected}, got a {kind}: a count is a "
                                    "plain int (or a NumPy integer), not an object of its own class",
                                    expected=int(operator.index(expected)), kind=kind.__name__))
        raise AssertionError(tr("expected the whole number {expected}, got {got!r} ({kind}): a count "
                                "is an int (not a float such as 2.0, not True or False)",
                                expected=expected, got=got, kind=kind.__name__))
    got = int(operator.index(got))          # plain ints on both sides: no learner's __ne__ runs
    if got != int(operator.index(expected)):
        raise AssertionError(tr("expected {expected}, got {got}", expected=expected, got=got))
    return True


def numba_function_rule(fn, args=None):
    """A rule for ``Exercise(rules=[...])`` of a "write it with Numba" task: the function checked
    must itself be a Numba dispatcher (``@njit``, ``@jit``, any options) in nopython mode. Refused:
    plain Python/NumPy, a ``def`` around a Numba function (its own code would run unchecked),
    ``@vectorize``/``@guvectorize``, and object mode (``forceobj=True``, ``nopython=False``, a
    ``with objmode`` block, an overload compiled in it), in the function itself or in a Numba
    function it names (a global or a closure variable, and so on down). Returns a message, or None."""
    try:
        from numba.core.dispatcher import Dispatcher
    except ImportError:       # no Numba here: nothing can be a Numba function; say so
        Dispatcher = ()
    if not (Dispatcher and isinstance(fn, Dispatcher)):
        return tr("it is not a Numba function: the task asks for a Numba version, the function itself "
                  "compiled with `@njit` (keep the decorator of the exercise's cell; a plain `def` "
                  "around a Numba function, @vectorize and @guvectorize are refused too)")
    if _object_mode(fn, set()):
        return tr("it runs in Numba's object mode (`forceobj=True`, `nopython=False` or a `with "
                  "objmode(...)` block), which runs Python code: the task asks for a function "
                  "compiled with `@njit` in nopython mode")
    return None


def _object_mode(fn, visited) -> bool:
    """Whether the Numba dispatcher ``fn``, or one it names (globals, closure), runs object mode."""
    import numba
    from numba.core.dispatcher import Dispatcher, ObjModeLiftedWith

    if id(fn) in visited:
        return False
    visited.add(id(fn))
    opts, py, names = fn.targetoptions or {}, fn.py_func, set()
    if opts.get("forceobj") or opts.get("nopython") is False:
        return True
    for code in all_codes(py.__code__):
        names.update(code.co_names + code.co_freevars)
    seen = [py.__globals__.get(n) for n in names]
    for cell in py.__closure__ or ():
        try:
            seen.append(cell.cell_contents)
        except ValueError:        # an empty cell
            pass
    if "objmode" in names or any(v is numba.objmode for v in seen) or any(
            getattr(c, "objectmode", False) or any(isinstance(x, ObjModeLiftedWith) for x in c.lifted or ())
            for c in list(fn.overloads.values())):     # its compiled overloads, and their lifted blocks
        return True
    return any(_object_mode(v, visited) for v in seen if isinstance(v, Dispatcher))


def result_type_check(expected, got, custom, depth=0):
    """Raise AssertionError unless ``got`` is of the reference's type family, checked before
    any of ``got``'s own methods run: an exact ndarray (no subclass) where the reference
    returns an ndarray; a plain number (Python or NumPy scalar, 0-d array) for a number;
    list/tuple (or array) for a list/tuple, element-wise; dict for dict; None for None; else
    the reference's very type. A custom ``compare`` decides types itself."""
    import numpy as np

    if custom or got is None or depth > 20:
        return
    t = type(got)
    if isinstance(expected, np.ndarray):
        ok = t is np.ndarray or t is type(expected)
    elif expected is None:
        ok = False
    elif isinstance(expected, (bool, int, float, complex, np.generic)):
        ok = t in (bool, int, float, complex) or (t is np.ndarray and got.ndim == 0) or \
            (isinstance(got, np.generic) and numpy_own_type(t))
    elif isinstance(expected, (list, tuple)):
        ok = t in (list, tuple, type(expected)) or t is np.ndarray
        if ok and t is not np.ndarray:
            for e, g in zip(expected, got):
                result_type_check(e, g, False, depth + 1)
    elif isinstance(expected, dict):
        ok = t is dict or t is type(expected)
        if ok:
            for k in expected:
                if k in got:
                    result_type_check(expected[k], dict.__getitem__(got, k), False, depth + 1)
    else:
        ok = t is type(expected)
    if not ok:
        raise AssertionError(f"expected {type(expected).__name__}, got {t.__name__}")


def compile_failure(fn):
    """The message for a function of a `%%c_extension` module whose last compile failed
    (optkit.cext marks the module, or the placeholder it leaves when there was none)."""
    import sys

    name = getattr(fn, "__module__", None) or ""
    mod = getattr(fn, "__self__", None)
    if type(mod).__name__ != "module":
        mod = sys.modules.get(name)
    failed = getattr(fn, "__optkit_compile_failed__", None) or getattr(mod, "__optkit_compile_failed__", None)
    if failed:
        return tr("the last compile of `{module}` failed, so there is no "
                  "new version to check: fix the compile error shown under the C cell and run "
                  "that cell again", module=getattr(mod, "__name__", name))
    return None


def quality_kinds(cmp) -> list:
    """The kinds of warning that make a comparison's factor unreliable ("noisy", "waiting")
    that bench gave ``cmp`` (a Comparison), sorted; [] when none (or none can be read)."""
    try:
        return sorted({w.split(":", 1)[0] for w in cmp.warnings()} & {"noisy", "waiting"})
    except Exception:
        return []


def quality_warning(cmp) -> str:
    """" ⚠ noisy and waiting timing (...)" when bench flagged the comparison, else "". The advice
    to run the check again stays even far from the target: code on several threads loses far
    more to a busy machine than the one-thread baseline (03's prange solution moved from x2.9 to
    x23 between two runs), and its CPU use under load does not tell it from one-thread code."""
    kinds = quality_kinds(cmp)
    if not kinds:
        return ""
    return " " + tr("⚠ {kinds} timing (a busy machine?): the factor shown may be off; run the "
                    "check again", kinds=tr(" and ").join(tr(k) for k in kinds))
