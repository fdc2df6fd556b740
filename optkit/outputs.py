"""Outputs checked against the reference before any timing counts: :func:`assert_same` (arrays
with tolerances and NaN equal to NaN, containers element by element, dataclasses field by field)
and :class:`MismatchError`, which names where the first difference is."""
from __future__ import annotations

import dataclasses
import math

from optkit.i18n import tr

__all__ = ["MismatchError", "assert_same", "as_array", "identical", "compare_arrays", "check_output",
           "steady_items_off"]


class MismatchError(AssertionError):
    """A variant's output differs from the reference (the first variant's output)."""

    def __init__(self, message: str, label: str | None = None, index=None,
                 max_abs_diff: float | None = None):
        super().__init__(message)
        self.label = label
        self.index = index
        self.max_abs_diff = max_abs_diff


def as_array(obj):
    """ndarray for array-likes (NumPy arrays, torch tensors, anything with __array__)."""
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):      # torch.Tensor, no torch import
        return obj.detach().cpu().numpy()
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        return np.asarray(obj)
    return None


def steady_items_off(ref, results, same) -> list:
    """Indices along the first axis at which EVERY one of ``results`` differs from ``ref``
    (``same(a, b)`` raises AssertionError on a difference): a deterministic bug such as an
    item never computed, not a race. Empty unless all are arrays of ref's shape."""
    import numpy as np

    r = as_array(ref)
    if r is None or r.ndim == 0 or r.size == 0:
        return []
    common = None
    for out in results:
        o = as_array(out)
        if o is None or o.shape != r.shape:
            return []
        bad = set()
        for k in np.flatnonzero((r != o).reshape(len(r), -1).any(axis=1))[:64]:
            try:
                same(r[k], o[k])
            except AssertionError:
                bad.add(int(k))
        common = bad if common is None else common & bad
        if not common:
            return []
    return sorted(common)


def identical(a, b) -> bool:
    import numpy as np

    try:
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    except Exception:
        return False


def compare_arrays(ref, out, rtol, atol, where, strict_dtype=False):
    import numpy as np

    a, b = as_array(ref), as_array(out)
    if b is None:
        try:
            b = np.asarray(out)
        except Exception:
            raise MismatchError(where + tr("expected an array, got {kind}", kind=type(out).__name__))
    if a.shape != b.shape:
        raise MismatchError(where + tr("shape differs: expected {expected}, got {got}", expected=a.shape, got=b.shape))
    # dtype strictness is for arrays; a Python number where NumPy returned a scalar is fine
    if strict_dtype and a.dtype != b.dtype and isinstance(ref, np.ndarray) \
            and isinstance(out, np.ndarray):
        raise MismatchError(where + tr("dtype differs: expected {expected}, got {got}", expected=a.dtype, got=b.dtype))
    if a.dtype == b.dtype and identical(a, b):     # fast path: no float copies needed
        return
    numeric = all(x.dtype.kind in "biufc" for x in (a, b))
    if numeric:
        if a.dtype.kind == "c" or b.dtype.kind == "c":
            a2, b2 = a.astype(complex), b.astype(complex)
        else:
            a2, b2 = a.astype(np.float64), b.astype(np.float64)
        ok = np.isclose(b2, a2, rtol=rtol, atol=atol, equal_nan=True)
    else:
        ok = np.asarray(a == b)
        if ok.shape != a.shape:        # elementwise comparison not possible
            ok = np.full(a.shape, bool(np.array_equal(a, b)))
    if ok.all():
        return
    bad = np.argwhere(~ok)
    n_bad = len(bad)
    idx = tuple(int(i) for i in bad[0]) if a.ndim else ()
    msg = where + tr("{bad} of {size} elements differ", bad=n_bad, size=a.size)
    maxdiff = None
    if numeric:
        with np.errstate(invalid="ignore"):
            d = np.abs(b2 - a2)
        maxdiff = float(np.nanmax(d)) if d.size else 0.0
        msg += tr(" (max abs diff {diff}, rtol={rtol}, atol={atol})", diff=f"{maxdiff:.4g}",
                  rtol=f"{rtol:g}", atol=f"{atol:g}")
    ev, gv = (a[idx], b[idx]) if a.ndim else (a[()], b[()])
    ev, gv = (v.item() if hasattr(v, "item") else v for v in (ev, gv))
    msg += tr("; first at index {index}: expected {expected}, got {got}", index=idx if a.ndim else "()",
              expected=repr(ev), got=repr(gv))
    raise MismatchError(msg, index=idx, max_abs_diff=maxdiff)


def assert_same(ref, out, rtol=1e-7, atol=0.0, *, strict_dtype=False, _where="") -> None:
    """Raise :class:`MismatchError` unless ``out`` matches ``ref``.

    Arrays (and array-likes): same shape, values close (``np.isclose``, NaN == NaN); dtype
    may differ unless ``strict_dtype``. Lists/tuples: same length, element-wise. Dicts: same
    keys, value-wise. Dataclasses: field by field. Floats: ``math.isclose``. Everything
    else: ``==``. The message names the position (``[2] [0]``, ``.quads``) and, for arrays,
    the number of differing elements, the max abs difference and the first differing index.
    """
    if as_array(ref) is not None and not isinstance(ref, (list, tuple, dict)):
        compare_arrays(ref, out, rtol, atol, _where, strict_dtype)
        return
    if isinstance(ref, (list, tuple)):
        if not isinstance(out, (list, tuple)) and as_array(out) is None:
            raise MismatchError(_where + tr("expected a {expected}, got {got}", expected=type(ref).__name__,
                                            got=type(out).__name__))
        out = list(out)
        if len(out) != len(ref):
            raise MismatchError(_where + tr("length differs: expected {expected}, got {got}",
                                            expected=len(ref), got=len(out)))
        for i, (r, o) in enumerate(zip(ref, out)):
            assert_same(r, o, rtol, atol, strict_dtype=strict_dtype, _where=f"{_where}[{i}] ")
        return
    if dataclasses.is_dataclass(ref) and not isinstance(ref, type):
        if type(out) is not type(ref):
            raise MismatchError(_where + tr("expected a {expected}, got {got}", expected=type(ref).__name__,
                                            got=type(out).__name__))
        for f in dataclasses.fields(ref):
            assert_same(getattr(ref, f.name), getattr(out, f.name), rtol, atol,
                        strict_dtype=strict_dtype, _where=f"{_where}.{f.name} ")
        return
    if isinstance(ref, dict):
        if not isinstance(out, dict):
            raise MismatchError(_where + tr("expected a dict, got {got}", got=type(out).__name__))
        if set(ref) != set(out):
            missing, extra = set(ref) - set(out), set(out) - set(ref)
            raise MismatchError(_where + tr("keys differ: missing {missing}, extra {extra}",
                                            missing=sorted(map(repr, missing)), extra=sorted(map(repr, extra))))
        for k in ref:
            assert_same(ref[k], out[k], rtol, atol, strict_dtype=strict_dtype, _where=f"{_where}[{k!r}] ")
        return
    if isinstance(ref, float) or (isinstance(out, float) and isinstance(ref, (int, float))):
        try:
            if isinstance(out, (str, bytes, bytearray)):     # float("1.0") parses: text is no number
                raise TypeError
            o = float(out)
        except (TypeError, ValueError):
            raise MismatchError(_where + tr("expected a number {expected}, got {got}", expected=repr(ref),
                                            got=repr(out)))
        if math.isnan(ref) and math.isnan(o):
            return
        if not math.isclose(o, ref, rel_tol=rtol, abs_tol=atol):
            raise MismatchError(_where + tr("expected {expected}, got {got} (abs diff {diff})", expected=repr(ref),
                                            got=repr(out), diff=f"{abs(o - ref):.4g}"),
                                max_abs_diff=abs(o - ref))
        return
    try:
        same = ref == out
        same = bool(same.all()) if hasattr(same, "all") else bool(same)
    except Exception as exc:
        raise MismatchError(_where + tr("cannot compare {expected} with {got}: {exc}",
                                        expected=type(ref).__name__, got=type(out).__name__, exc=exc))
    if not same:
        r, o = repr(ref), repr(out)
        raise MismatchError(_where + tr("expected {expected}, got {got}", expected=r[:200], got=o[:200]))


def check_output(label, ref_label, ref, out, check, rtol, atol):
    try:
        if check is not None:
            ok = check(ref, out)
            if ok is False or (ok is not None and ok is not True and not bool(ok)):
                raise MismatchError("check(ref, out) returned False")
        else:
            assert_same(ref, out, rtol, atol)
    except MismatchError as exc:
        raise MismatchError(f"variant {label!r} does not match {ref_label!r}: {exc}",
                            label=label, index=exc.index, max_abs_diff=exc.max_abs_diff) from None
    except AssertionError as exc:
        raise MismatchError(f"variant {label!r} does not match {ref_label!r}: {exc}",
                            label=label) from None
