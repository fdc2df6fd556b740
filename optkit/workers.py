"""Code that worker processes run, and where they import it from (shared core: knows no lesson).

A worker started by ``spawn`` or ``forkserver`` (a DataLoader's workers, a spawn process pool,
loky, Dask's local workers) is a fresh interpreter: it finds a pickled function or class by
importing its module by name. :func:`check_worker_import` says, before any worker starts, whether
they will find a module the notebook imported from a file beside it."""
from __future__ import annotations

import io
import os
import pickle
import sys
import types
from multiprocessing.pool import RUN, Pool
from pathlib import Path

from optkit.i18n import tr


def check_worker_import(module):
    """The folder worker processes will import ``module`` from; a clear error when they cannot.

    DataLoader workers (forkserver), spawn pools, loky and Dask's local workers are fresh
    interpreters that import a module by name to find a pickled class or function, with this
    process's ``sys.path`` (an empty entry: their working folder, which is this process's). A
    cell's code lives in ``__main__``, which they cannot import (plain pickle sends only names;
    loky's and Dask's cloudpickle can send such code by value); a file on that path they find."""
    where = getattr(module, "__file__", None)
    if not where:
        raise ImportError(tr("{name!r} has no file: worker processes import their code from a file, so it "
                             "cannot run there", name=getattr(module, "__name__", module)))
    folder = Path(where).resolve().parent
    if folder not in {Path(p or os.getcwd()).resolve() for p in sys.path}:
        raise ImportError(tr("{name} was loaded from {folder}, which is not on sys.path: worker processes "
                             "import it by name and would not find it. Open the notebook from that folder "
                             "(JupyterLab starts its kernel there), or run sys.path.insert(0, {path!r}) "
                             "before starting workers", name=module.__name__, folder=folder, path=str(folder)))
    return folder


class WorkerImportError(ImportError):
    """A task whose code the pool's workers could not import (refused before it was sent)."""


class PoolClosedError(ValueError):
    """A task given to a pool that has been closed (multiprocessing says "Pool not running")."""


class _Found(Exception):
    pass


class _Nowhere:
    """A file that keeps nothing: pickling into it only walks the object."""

    def write(self, data):
        return len(data)


class _MainFinder(pickle.Pickler):
    """Pickles into nothing and stops at the first function or class from ``__main__``."""

    def reducer_override(self, x):
        if isinstance(x, (type, types.FunctionType)) and getattr(x, "__module__", None) == "__main__":
            raise _Found(getattr(x, "__qualname__", repr(x)))
        return NotImplemented


def main_object(obj):
    """The name of the first function or class defined in ``__main__`` (a notebook cell) that
    pickling ``obj`` would send by name; None when there is none, or when ``obj`` cannot be
    pickled at all (the pool then raises its own error, at once). Nothing is kept: arrays'
    buffers are passed over (pickle protocol 5, out of band), not copied."""
    try:
        _MainFinder(_Nowhere(), protocol=pickle.HIGHEST_PROTOCOL, buffer_callback=lambda view: None).dump(obj)
    except _Found as found:
        return str(found)
    except Exception:
        return None
    return None


class CheckedPool(Pool):
    """A multiprocessing Pool that refuses, before any worker sees it, a task its workers could
    not import: a function or class defined in ``__main__`` under ``spawn`` or ``forkserver``
    (the worker would die unpickling it, the task would be lost and ``map`` would wait for ever),
    whether it is the task's function or travels in its arguments (``apply_async``'s ``args``
    and ``kwds``) or items (``map``, ``starmap`` and their async forms: the items are listed and
    checked before any is sent; ``imap``/``imap_unordered``: a list or tuple is checked at once,
    a lazy iterable item by item as the pool takes it, and the result at the first such item is
    that error), and says so clearly when it has been closed. Not caught: a worker that dies for
    another reason (a crash in C, a module it cannot import for another cause) still loses its
    task; :func:`stop_pool` ends such a pool. ``home``: where such code belongs (in the
    message, a sentence); ``restart``: how to start the pool again (in the message)."""

    def __init__(self, *args, home=None, restart=None, **kwargs):
        self.optkit_home, self.optkit_restart = home, restart
        super().__init__(*args, **kwargs)

    @property
    def running(self) -> bool:
        """Whether the pool still takes tasks (False once it is closed or terminated)."""
        return self._state == RUN

    def _check_running(self):
        if self._state != RUN:
            raise PoolClosedError(tr("this pool has been closed (multiprocessing: Pool not running), "
                                     "so it takes no more tasks: {restart}",
                                     restart=self.optkit_restart or tr("start a new pool")))

    def _refusal(self, func, sent=None):
        """The WorkerImportError for a task whose function (or, with ``sent``, whose arguments or
        items) workers cannot import; None when they can, or under ``fork``."""
        method = self._ctx.get_start_method()
        if method not in ("spawn", "forkserver"):
            return None
        if getattr(sys.modules.get("__main__"), "__file__", None):   # a script: its workers import
            return None                                              # its file as __mp_main__
        home = self.optkit_home or tr("Define it in a .py file beside the notebook, import it from "
                                      "there and pass that")
        name = main_object(func)
        if name:
            return WorkerImportError(tr(
                "{name} is defined in a notebook cell (the kernel's __main__): this pool's workers "
                "({method} start: fresh interpreters) find a function by importing its module by "
                "name, and they cannot import __main__, so the task would never run. Nothing was "
                "sent; the pool still works. {home}", name=name, method=method, home=home))
        name = main_object(sent) if sent is not None else None
        if name:
            return WorkerImportError(tr(
                "{name}, in the items or arguments sent to the pool, is defined in a notebook cell "
                "(the kernel's __main__): this pool's workers ({method} start: fresh interpreters) "
                "find a class or function by importing its module by name, and they cannot import "
                "__main__, so the task would never run (its worker would die unpickling it). "
                "Nothing was sent; the pool still works. {home}", name=name, method=method, home=home))
        return None

    def _check_task(self, func, sent=None):
        self._check_running()
        refused = self._refusal(func, sent)
        if refused is not None:
            raise refused

    def _checked_items(self, iterable):
        """``iterable`` for imap: a list or tuple checked now; a lazy one checked item by item
        while the pool's task thread takes it (the error becomes that item's result)."""
        if isinstance(iterable, (list, tuple)):
            self._check_task(None, iterable)
            return iterable

        def items():
            for x in iterable:
                refused = self._refusal(None, x)
                if refused is not None:
                    raise refused
                yield x
        return items()

    def apply_async(self, func, args=(), kwds={}, callback=None, error_callback=None):
        self._check_task(func, (args, kwds))
        return super().apply_async(func, args, kwds, callback, error_callback)

    def _map_async(self, func, iterable, *args, **kwargs):
        self._check_running()
        if not hasattr(iterable, "__len__"):       # what Pool._map_async does first
            iterable = list(iterable)
        self._check_task(func, iterable)
        return super()._map_async(func, iterable, *args, **kwargs)

    def imap(self, func, iterable, chunksize=1):
        self._check_task(func)
        return super().imap(func, self._checked_items(iterable), chunksize)

    def imap_unordered(self, func, iterable, chunksize=1):
        self._check_task(func)
        return super().imap_unordered(func, self._checked_items(iterable), chunksize)


def stop_pool(pool, timeout_s=10.0):
    """Close a multiprocessing Pool and wait for its workers to finish; when that takes longer
    than ``timeout_s`` (a task that can never finish, lost with a worker that died, makes
    ``join()`` wait for ever), terminate it. Returns "closed" or "terminated"."""
    import threading

    pool.close()
    waiter = threading.Thread(target=pool.join, daemon=True)
    waiter.start()
    waiter.join(timeout_s)
    if not waiter.is_alive():
        return "closed"
    pool.terminate()
    waiter.join(timeout_s)
    return "terminated"
