"""Code that worker processes run, and where they import it from (shared core: knows no lesson).

A worker started by ``spawn`` or ``forkserver`` (a DataLoader's workers, a spawn process pool,
loky, Dask's local workers) is a fresh interpreter: it finds a pickled function or class by
importing its module by name. :func:`check_worker_import` says, before any worker starts, whether
they will find a module the notebook imported from a file beside it."""
from __future__ import annotations

import os
import sys
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
