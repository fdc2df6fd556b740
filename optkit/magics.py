"""The course's IPython magics, registered by ``%load_ext optkit``:

    %%cython_annotate    coloured Cython annotation that works in JupyterLab (optkit.annotate)
    %%c_extension        compile a small Python/C API module written in a cell (optkit.cext)
    %%requires MODULE    run the cell only when MODULE imports; otherwise skip it with one
                         message that says how to install it (so Run All carries on)

``%load_ext optkit.magics`` registers ``%%requires`` alone. Nothing is registered at import.
"""
from __future__ import annotations

import importlib
from typing import Callable

__all__ = ["TORCH_PIN", "INSTALL_HINT", "TorchMissing", "have", "require_torch", "run_if_available",
           "run_cell_code", "load_ipython_extension", "load_all"]

TORCH_PIN = "torch==2.13.0"
INSTALL_HINT = (f"install the CPU build with  pip install {TORCH_PIN} --index-url https://download.pytorch.org/whl/cpu  "
                "(PyPI's Linux torch is the CUDA build, GBs more; or, from the repository root:  make setup  without TORCH=0)")


class TorchMissing(ImportError):
    """torch is not installed; the message says how to install it."""


# --------------------------------------------------------------------------- optional torch

def have(module: str) -> bool:
    """True when ``module`` can be imported (a failed import counts as missing)."""
    try:
        importlib.import_module(module)
    except Exception:       # ImportError, and a broken install (an OSError from a shared library ...)
        return False
    return True


def require_torch():
    """The torch module, or :class:`TorchMissing` with the install command."""
    try:
        import torch
    except ImportError as exc:
        raise TorchMissing(f"this needs PyTorch, which is not installed: {INSTALL_HINT}") from exc
    return torch


_ANNOUNCED: set = set()


def run_if_available(modules, run: Callable, *, out: Callable = print):
    """Call ``run()`` when every module in ``modules`` imports; otherwise skip it with a message.

    The first skip for a module prints the full explanation (how to install it); later
    skips print one short line, so a notebook without torch shows one clear message and
    Run All carries on. Returns ``run()``'s value, or None when skipped.
    """
    if isinstance(modules, str):
        modules = modules.replace(",", " ").split()
    modules = list(modules)
    if not modules:
        raise ValueError("name at least one module, e.g. %%requires torch")
    missing = [m for m in modules if not have(m)]
    if not missing:
        return run()
    new = [m for m in missing if m not in _ANNOUNCED]
    if new:
        hints = []
        for m in new:
            hint = INSTALL_HINT if m == "torch" else f"install it with  pip install {m}"
            hints.append(f"{m} is not installed: {hint}")
        out("Skipped: " + "; ".join(hints) + ". Cells that need it are skipped; "
            "the rest of the notebook runs. Restart the kernel after installing.")
        _ANNOUNCED.update(new)
    else:
        out(f"Skipped (needs {', '.join(missing)}; see the first skipped cell above).")
    return None


def run_cell_code(ip, cell: str):
    """Run a cell's code in the notebook namespace like a normal cell: IPython syntax
    (``%magics``) allowed, exceptions propagate with their traceback, and the value of a
    final expression is returned (None when the cell ends with ``;``)."""
    import ast

    src = ip.transform_cell(cell)
    tree = ast.parse(src)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<cell>", "exec"), ip.user_ns)
    if last is None:
        return None
    value = eval(compile(last, "<cell>", "eval"), ip.user_ns)
    return None if cell.rstrip().endswith(";") else value


def load_ipython_extension(ip):
    """``%load_ext optkit`` (or ``%load_ext optkit.magics``) registers the ``%%requires MODULE [MODULE ...]`` cell
    magic: the cell runs normally when the modules import, and is skipped with a message
    otherwise (so Run All carries on without torch)."""

    def requires(line, cell):
        return run_if_available(line, lambda: run_cell_code(ip, cell))

    ip.register_magic_function(requires, magic_kind="cell", magic_name="requires")


def load_all(ip):
    """Register every magic of the course (what ``%load_ext optkit`` calls)."""
    for name in ("annotate", "cext"):
        try:
            mod = importlib.import_module(f"optkit.{name}")
        except ImportError as exc:  # pragma: no cover - reported, not fatal
            print(f"optkit: magic module {name!r} unavailable: {exc}")
            continue
        mod.load_ipython_extension(ip)
    load_ipython_extension(ip)
