"""The rule of a "send the work to this pool in chunks" task (07 Exercise A): while the answer
runs, the given pool records every task it is given and the objects it hands back; the answer
must return those objects (computed by the pool's workers), from enough tasks that carry several
items each."""
from __future__ import annotations

import hashlib
import inspect
import math
import threading

from optkit.i18n import tr

__all__ = ["pool_chunks_rule"]

_POOL_MAPS = ("map", "map_async", "starmap", "starmap_async", "imap", "imap_unordered")
_MARK = "optkit_pool_rule"        # set on every counting wrapper: a pool that has one is watched
_THROUGH = "optkit_pool_rule_class"   # set on a class-level wrapper (calls through the class)
_CLASS_LOCK = threading.Lock()        # guards installing and removing the class-level wrappers


def _digest(x):
    """A digest of an array's dtype, shape and bytes (None for anything else): what the pool
    handed back, kept small (not a copy) so that a later change can be told."""
    import numpy as np

    if not isinstance(x, np.ndarray) or x.dtype.hasobject:
        return None
    h = hashlib.blake2b(f"{x.dtype.str}{x.shape}".encode(), digest_size=16)
    try:
        h.update(np.ascontiguousarray(x))         # no copy when it is contiguous already
    except (TypeError, ValueError, BufferError):
        h.update(x.tobytes())
    return h.digest()


def _numbers(x):
    """``x`` as flat float64 numbers (None when it is not numbers, or fewer than two)."""
    import numpy as np

    try:
        a = np.asarray(x, dtype=np.float64).ravel()
    except Exception:             # not numbers (ragged, objects, text): no digest
        return None
    return a if a.size >= 2 else None


def _keys(x, sizes=(2, 4, 8), raw=None):
    """Every digest that tells a result sent to the pool (``x``: an array, a sequence of
    numbers, bytes) from what comes back, order-free too: the array's own (:func:`_digest`),
    its values in order and sorted (a transpose, a reversal, a cast), its raw bytes, and those
    bytes read as ``sizes``-byte words, sorted (a view as another dtype, also reordered). A
    result is computed here when one of its keys (``sizes``: its itemsize) is among what was
    sent. ``raw``: ``x``'s bytes (:func:`_raw`) when the caller has them already."""
    import numpy as np

    out = set()
    if isinstance(x, np.ndarray):
        if x.dtype.hasobject:
            return out
        out.add(_digest(x))
    a = _numbers(x)
    if a is not None:
        out.add(("values", hashlib.blake2b(a.tobytes(), digest_size=16).digest()))
        out.add(("sorted", hashlib.blake2b(np.sort(a).tobytes(), digest_size=16).digest()))
    raw = _raw(x) if raw is None else raw
    if raw:
        out.add(("bytes", hashlib.blake2b(raw, digest_size=16).digest()))
        for k in sizes:
            if len(raw) % k == 0 and len(raw) >= 2 * k:
                words = np.sort(np.frombuffer(raw, f"u{k}"))
                out.add((f"u{k}", hashlib.blake2b(words.tobytes(), digest_size=16).digest()))
    return out


def _raw(x):
    """The bytes of an array (in C order) or of a bytes-like object; None for anything else."""
    import numpy as np

    try:
        if isinstance(x, np.ndarray):
            return None if x.dtype.hasobject else np.ascontiguousarray(x).tobytes()
        return bytes(x) if isinstance(x, (bytes, bytearray, memoryview)) else None
    except (TypeError, ValueError, BufferError):
        return None


_PIECES_MAX = 64 << 20      # bytes of sent arrays kept to find a result's bytes inside one


def _piece_of(x, pieces):
    """Whether the bytes of result ``x`` are a run of the bytes of an array sent to the pool (a
    row of a stacked array computed here, picked out by the workers)."""
    raw = _raw(x) if pieces else None
    return bool(raw) and len(raw) >= 16 and any(raw in p for p in pieces if len(p) > len(raw))


def _payload_arrays(obj, out, depth=0):
    """Digests (:func:`_keys`) of what was sent to the pool, lists/tuples/deques/dicts/sets
    opened: each array, each sequence of numbers, the bytes of bytes-like objects."""
    import array
    import collections

    import numpy as np

    if isinstance(obj, (np.ndarray, bytes, bytearray, memoryview)):
        out |= _keys(obj)
    elif isinstance(obj, dict) and depth < 4:
        _payload_arrays(list(obj.values()), out, depth + 1)
    elif isinstance(obj, (set, frozenset)) and depth < 4:
        _payload_arrays(list(obj), out, depth + 1)
    elif isinstance(obj, (list, tuple, collections.deque, array.array)) and depth < 4:
        out |= _keys(obj)
        for x in obj:
            _payload_arrays(x, out, depth + 1)


class _Sink:
    def write(self, data):
        return len(data)


def _arrays_in(obj, found):
    """Every NumPy array and sequence ``obj`` holds, found the way the pool would pickle it (any
    container, any depth, a ``functools.partial``'s arguments, an object array's items, what an
    object's ``__reduce__`` gives): appended to ``found`` as references, so that their bytes can
    be read again when the rule judges (the pool pickles them later, in its own thread). Each
    part is walked on its own: one that cannot be pickled (a lambda for a thread pool) hides only
    what it holds."""
    import collections
    import pickle

    import numpy as np

    class Finder(pickle.Pickler):
        def persistent_id(self, x):      # called for every object the pickling meets
            if isinstance(x, np.ndarray) and not x.dtype.hasobject or isinstance(x, (bytes, bytearray)) or \
                    isinstance(x, (list, tuple, collections.deque)) and len(x) > 1:
                found.append(x)
            return None

    parts = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    for part in parts:
        try:        # protocol 5 with a buffer callback: an array's data is not copied
            Finder(_Sink(), protocol=5, buffer_callback=lambda buf: None).dump(part)
        except Exception:
            pass


def _flat(x, depth=0):
    """An object and what it holds (lists and tuples, and dicts' values, two levels), each with
    its :func:`_digest`: a snapshot taken when the pool hands it back, so that filling a
    handed-back list, or writing into a handed-back array, with values computed here later does
    not make them the pool's."""
    out = [(x, _digest(x))]
    if isinstance(x, (list, tuple, dict)) and depth < 2:
        for y in (x.values() if isinstance(x, dict) else x):
            out += _flat(y, depth + 1)
    return out


def _bounds(a):
    """The byte range ``[lo, hi)`` an array's elements occupy (None when it is empty)."""
    lo = hi = a.__array_interface__["data"][0]
    for n, st in zip(a.shape, a.strides):
        if n == 0:
            return None
        lo, hi = (lo + st * (n - 1), hi) if st < 0 else (lo, hi + st * (n - 1))
    return lo, hi + a.itemsize


def _root(a):
    """The object at the end of an array's ``.base`` chain (the array itself when it owns its data)."""
    import numpy as np

    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


def _holder(x, roots):
    """The array the pool handed back that ``x`` is a view of (its bytes lie inside it), or None."""
    import numpy as np

    if not isinstance(x, np.ndarray) or x.dtype.hasobject or x.base is None:
        return None
    mine = _bounds(x)
    for h in roots.get(id(_root(x)), ()):
        theirs = _bounds(h)
        if mine and theirs and theirs[0] <= mine[0] and mine[1] <= theirs[1]:
            return h
    return None


class _Seen:
    """The iterator of ``imap``/``imap_unordered``, keeping (a snapshot of) what it yields."""

    def __init__(self, it, kept):
        self._it, self._kept = it, kept

    def __iter__(self):
        return self

    def next(self, timeout=None):     # chunked imap is a plain generator: no timeout there
        x = self._it.next(timeout) if hasattr(self._it, "next") else next(self._it)
        self._kept.append(_flat(x))
        return x

    def __next__(self):
        return self.next()


def pool_chunks_rule(pool_arg=0, items_arg=1, min_per_task=2, workers=None):
    """A rule for ``Exercise(rules=[...])`` of a "send the work to this pool in chunks" task.

    While the answer runs, the pool passed as argument ``pool_arg`` records, from every thread,
    the tasks it is given and the objects it hands back: a multiprocessing Pool's ``apply`` and
    ``apply_async`` (one task each), ``map``/``starmap``/``imap`` and their async forms, also
    called through the class (``Pool.map(pool, ...)``, ``type(pool).imap(pool, ...)``: for the
    call, the methods of the pool's class and its bases send a call made for this pool to its
    counting wrapper; they are put back afterwards, also when the answer raises): one task per
    chunk of ``chunksize`` items (multiprocessing's default when none is given: about four
    chunks per worker; 1 for ``imap``); an Executor's ``submit`` (its ``map`` submits one per
    item). The answer keeps the rule when every item of the list it returns is an object the
    pool handed back (results of a process pool are unpickled, new objects; a copy, or a value
    computed here, is not one; a task's result may be a list, a tuple or a dict of them), or a
    view of one (a row of the stacked array a task returned: its bytes lie inside it), unchanged
    since (an array whose dtype, shape or bytes differ from the digest taken when it was handed
    back was written here), none of them an array the answer sent to the pool (nor the same
    numbers sent in any container, dtype, shape or order, nor the same bytes, read as any
    dtype: :func:`_keys`; nor a run of the bytes of an array sent), and the tasks whose results it returns number at most
    ``len(items) // min_per_task`` (chunks, not one task per item) and at least
    ``min(workers, len(items) // min_per_task)`` (the work split across the workers). What was
    handed back is noted when ``map``, ``get()``, ``result()`` or the iterator returns it, or
    when the task ends, before a callback sees it.
    ``workers``: the pool's worker count; when None it is read from the pool's private
    ``_processes`` (Pool) or ``_max_workers`` (Executor): neither has a public one.
    Not seen: a pool's private parts (``_taskqueue``; a ``map_async`` result's ``_value``, whose
    chunks can be written here before the map ends) and other pools; their results do not
    count as the pool's. What was sent is found the way the pool pickles it (any container, a
    partial's arguments, what an object's ``__reduce__`` gives: every array, list, tuple and
    deque met), and read again when the rule judges (the pool pickles later, so buffers filled
    after the call are seen). Blind spots: results computed here and sent in a form whose
    values differ from the arrays they are returned as (encoded, compressed, or pieces whose
    bytes are no run of an array sent); results computed here that reach the workers outside what the pool is sent (a file
    written here and loaded by the workers, shared memory: the pool is sent only names); only
    the answer's call that the rule watches is watched (an answer that tells it is watched, or
    counts its calls, can use the pool on that call only); a change to a handed-back object that
    is not an
    array (the check's comparison with the reference refuses what is not an array). A pool still
    watched by an earlier call (one given up on as stuck) is not watched twice: the rule says
    so. Returns a message, or None."""

    def rule(fn, args):
        pool, n = args[pool_arg], len(args[items_arg])
        mp_pool = hasattr(type(pool), "apply_async")
        width = workers or getattr(pool, "_processes", None) or getattr(pool, "_max_workers", None) or 1
        names = [m for m in (_POOL_MAPS + ("apply", "apply_async", "_map_async") if mp_pool else ("submit",))
                 if callable(getattr(type(pool), m, None))]
        if any(getattr(vars(pool).get(m), _MARK, False) for m in names):
            return tr("this pool is still watched by an earlier check whose call never ended (given "
                      "up on as stuck): restart the kernel, then run the notebook's cells again")
        calls, sent, sent_arrays, lock, here = [], set(), [], threading.Lock(), threading.local()

        def chunk_size(size, count):
            if size is None:                              # what Pool._map_async does
                size = math.ceil(count / (4 * width)) if count else 1
            return max(1, int(size))

        def counted(name, method):
            def call(*a, **k):
                if getattr(here, "depth", 0):       # Pool.apply calls apply_async: count the outer call
                    return method(*a, **k)
                here.depth = 1
                try:
                    try:                                  # func=, iterable= by keyword: positional
                        bound = inspect.signature(method).bind(*a, **k)
                        a, k = bound.args, bound.kwargs
                    except (TypeError, ValueError):       # the method itself says what is wrong
                        pass
                    if name in _POOL_MAPS or name == "_map_async":
                        it = list(a[1] if len(a) > 1 else k.pop("iterable"))
                        at = 3 if name == "_map_async" else 2
                        default = 1 if name.startswith("imap") else None
                        size = chunk_size(a[at] if len(a) > at else k.get("chunksize", default), len(it))
                        a = (a[0], it) + a[2:]
                        payload = it
                    else:
                        size, payload = None, (a[1:], k)
                    found = []               # the task function, its arguments, every item
                    _arrays_in([a[0], *payload] if size is not None else [*a, k], found)
                    with lock:
                        _payload_arrays(payload, sent)
                        sent_arrays.extend(found)
                    rec = {"name": name, "size": size, "items": None, "lock": threading.Lock()}
                    if name.endswith("_async"):           # note the results before a callback sees them
                        a, k = _noting_callback(name, a, k, rec)
                    out = method(*a, **k)
                    rec["out"] = out
                    if name.startswith("imap"):
                        rec["items"] = []
                        out = _Seen(out, rec["items"])
                    elif name in ("map", "starmap", "apply"):
                        rec["items"] = [_flat(v) for v in out] if size else [_flat(out)]
                    else:                                 # an AsyncResult or a Future
                        _snapshot_on_get(out, rec)
                    with lock:
                        calls.append(rec)
                    return out
                finally:
                    here.depth = 0
            setattr(call, _MARK, True)
            call.optkit_busy = lambda: getattr(here, "depth", 0)
            return call

        wrappers, through = {}, []
        try:
            for m in names:
                wrappers[m] = counted(m, getattr(pool, m))
                setattr(pool, m, wrappers[m])
            for m in names:
                for cls in type(pool).__mro__[:-1]:
                    if inspect.isfunction(vars(cls).get(m)):     # a plain method, or a wrapper
                        _through_class(cls, m, through)
            result = fn(*args)
        finally:
            for cls, m, w in through:
                _release_class(cls, m, w)
            for m, w in wrappers.items():
                if vars(pool).get(m) is w:        # only this call's wrapper, never a later check's
                    del pool.__dict__[m]
        pieces, kept = [], 0                        # the bytes of the arrays sent, for parts of them
        for x in sent_arrays:                       # as they are now
            raw = _raw(x)                           # read once: for the keys and the pieces
            sent |= _keys(x, raw=raw)
            if raw and kept < _PIECES_MAX:
                pieces.append(raw)
                kept += len(raw)
        return _judge(result, calls, sent, n, width, min_per_task, pieces)

    rule.__name__ = rule.__qualname__ = "pool_chunks_rule"
    return rule


def _through_class(cls, m, through):
    """Put on ``cls`` (or reuse, counting its users) a wrapper of its method ``m`` that sends a
    call made through the class for a watched pool to that pool's counting wrapper (unless that
    wrapper is already running in this thread: then the method itself runs); noted in
    ``through`` at once, so that it is always put back."""
    with _CLASS_LOCK:
        have = vars(cls).get(m)
        if getattr(have, _THROUGH, False):
            have.optkit_users[0] += 1
            through.append((cls, m, have))
            return
        original = have

        def via_class(self, *a, **k):
            w = getattr(self, "__dict__", {}).get(m)
            if getattr(w, _MARK, False) and not w.optkit_busy():
                return w(*a, **k)
            return original(self, *a, **k)

        via_class.__name__, via_class.__qualname__ = original.__name__, original.__qualname__
        via_class.__doc__, via_class.__wrapped__ = original.__doc__, original
        setattr(via_class, _THROUGH, True)
        via_class.optkit_original, via_class.optkit_users = original, [1]
        setattr(cls, m, via_class)
        through.append((cls, m, via_class))


def _release_class(cls, m, wrapper):
    """One user less of a class-level wrapper; the last one puts the method back (unless
    something else has replaced it since)."""
    with _CLASS_LOCK:
        wrapper.optkit_users[0] -= 1
        if wrapper.optkit_users[0] <= 0 and vars(cls).get(m) is wrapper:
            setattr(cls, m, wrapper.optkit_original)


def _take(rec, value):
    """The snapshot of what one async call handed back (the first time only)."""
    with rec["lock"]:
        if rec["items"] is None:
            rec["items"] = [_flat(v) for v in value] if rec["size"] else [_flat(value)]


def _noting_callback(name, a, k, rec):
    """The arguments of a Pool's ``*_async`` call with its ``callback`` (given or not) wrapped so
    that the results are noted when the task ends, before the answer's callback sees them."""
    at = 4 if name == "_map_async" else 3        # (func, iterable[, mapper], chunksize, callback)
    given = a[at] if len(a) > at else k.get("callback")

    def callback(value):
        try:
            _take(rec, value)
        except Exception:                         # never break the pool's result thread
            pass
        if given is not None:
            given(value)

    if len(a) > at:
        return a[:at] + (callback,) + a[at + 1:], k
    return a, dict(k, callback=callback)


def _snapshot_on_get(out, rec):
    """Take the snapshot of an AsyncResult's ``get()`` or a Future's ``result()`` when it returns,
    and of a Future when it is done (before the answer's own done-callbacks run)."""
    future = hasattr(out, "add_done_callback")
    attr = "result" if future else "get"
    method = getattr(out, attr)

    def get(*a, **k):
        value = method(*a, **k)
        _take(rec, value)
        return value

    setattr(out, attr, get)
    rec["read"] = method
    if future:
        def done(f):
            try:
                if not f.cancelled() and f.exception() is None:
                    _take(rec, method(0))
            except Exception:
                pass
        out.add_done_callback(done)


def _handed_back(rec):
    """The tasks of one call, each as the list of objects it handed back."""
    items = rec["items"]
    if items is None:                  # never read here (a callback may have taken the results)
        out = rec["out"]
        try:
            done = out.done() and not out.cancelled() and out.exception() is None \
                if hasattr(out, "add_done_callback") else out.ready() and out.successful()
            if not done:
                return []
            _take(rec, rec["read"](0))
        except Exception:
            return []
        items = rec["items"]
    size = rec["size"] or len(items) or 1
    return [[x for item in items[i:i + size] for x in item] for i in range(0, len(items), size)]


def _judge(result, calls, sent, n, width, min_per_task, pieces=()):
    import numpy as np

    if not isinstance(result, (list, tuple)):
        return None                              # not a list: the checks already call it wrong
    if not calls:
        return tr("the pool got no work: the task asks you to send the {n} items to the given "
                  "pool's workers in chunks (`pool.map(..., chunksize=...)`), not to compute "
                  "them in this process", n=n)
    owner, digests, keep, roots = {}, {}, [], {}     # id of a handed-back object -> its tasks, digests
    for c, call in enumerate(calls):
        for t, task in enumerate(_handed_back(call)):
            keep.append(task)
            for x, d in task:
                if id(x) not in owner and isinstance(x, np.ndarray):
                    roots.setdefault(id(_root(x)), []).append(x)
                owner.setdefault(id(x), set()).add((c, t))
                digests.setdefault(id(x), set()).add(d)
    used, foreign, changed, courier = set(), [], [], []
    for i, x in enumerate(result):
        h = x if id(x) in owner else _holder(x, roots)    # or a view of what the pool handed back
        if h is None:
            foreign.append(i)
            continue
        used |= owner[id(h)]
        now = _digest(h) if isinstance(h, np.ndarray) else None
        if now is not None and now not in digests[id(h)]:
            changed.append(i)
        elif sent and isinstance(x, np.ndarray) and (sent & (_keys(x, (x.itemsize,)) | (
                _keys(h, (h.itemsize,)) if h is not x else set())) or _piece_of(x, pieces)):
            courier.append(i)
    if foreign:
        return tr("{k} of the {m} results you returned did not come from the pool (item {i}, for "
                  "one): return the objects that the given pool's `map` (or `get()`) hands back, "
                  "computed by its workers, not values computed in this process or copies",
                  k=len(foreign), m=len(result), i=foreign[0])
    if changed:
        return tr("{k} of the {m} results you returned changed after the pool returned it (item {i}, "
                  "for one): computed here and written into an object the pool handed back, not by "
                  "its workers; return the pool's results as its workers computed them",
                  k=len(changed), m=len(result), i=changed[0])
    if courier:
        return tr("{k} of the results were sent to the pool as arguments and came back unchanged "
                  "(item {i}, for one): they were computed in this process; send the items, and "
                  "let the workers compute", k=len(courier), i=courier[0])
    most, least = max(1, n // min_per_task), min(width, max(1, n // min_per_task))
    if len(used) > most:
        return tr("the pool got {tasks} tasks for {n} items, about one round trip per item: "
                  "send them in chunks (`pool.map(f, items, chunksize=...)` with a chunksize "
                  "above 1, or lists of items), so that each task carries several", tasks=len(used), n=n)
    if len(used) < least:
        return tr("your results came from {tasks} task(s), for {n} items and a pool of {w} "
                  "workers: split the items into at least {least} chunks, so that every worker "
                  "gets some", tasks=len(used), n=n, w=width, least=least)
    return None
