"""The rule of a "make this Numba kernel parallel" task (03 Exercise 2): the answer must be a
Numba dispatcher compiled with ``parallel=True`` whose work runs in loops over Numba's own
``prange``. Read off the code, not timed: a ``prange`` whose bound is a constant below 2 (one
thread does everything) is refused, and so is any read of the input (the function's first
argument, or a name made from it: ``m = mask``, ``row = mask[y]``, ``mask.copy()``) outside
the body of every ``prange`` loop (a token ``prange`` loop next to a serial one)."""
from __future__ import annotations

import ast

from optkit.i18n import tr

__all__ = ["parallel_prange_rule"]

# Attributes that describe the input without reading its elements (``h, w = mask.shape``).
_SHAPE = {"shape", "size", "ndim", "dtype", "strides", "itemsize", "nbytes"}
# Calls that read only the input's shape and dtype.
_SHAPE_ONLY = {"len", "shape", "zeros_like", "empty_like", "ones_like", "full_like"}
# NumPy functions whose first argument makes a view or copy of the input.
_VIEWS = {"asarray", "ascontiguousarray", "asfortranarray", "array", "copy", "ravel", "reshape",
          "transpose", "view", "atleast_2d"}


def _made_from(node, names) -> bool:
    """Whether the expression is one of ``names`` or made from one (subscripts, attributes other
    than the shape ones, method calls on it, a NumPy view function of it)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id in names
        if isinstance(node, (ast.Subscript, ast.Starred)):
            node = node.value
        elif isinstance(node, ast.Attribute):
            if node.attr in _SHAPE:
                return False
            node = node.value
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and _made_from(f.value, names):
                return True
            if getattr(f, "attr", getattr(f, "id", None)) in _VIEWS and node.args:
                node = node.args[0]
            else:
                return False
        else:
            return False


def _constants(tree, params) -> dict:
    """Names assigned once in the function, to an int constant (``n_chunks = 1``)."""
    stores = {}
    for x in ast.walk(tree):
        if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store):
            stores[x.id] = stores.get(x.id, 0) + 1
    return {node.targets[0].id: node.value.value for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant) and type(node.value.value) is int
            and stores[node.targets[0].id] == 1 and node.targets[0].id not in params}


def _const_int(node, consts):
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _const_int(node.operand, consts)
        return None if v is None else -v
    return None


def _aliases(tree, first) -> set:
    """The input's name and every name made from it anywhere in the function."""
    names = {first}
    for _ in range(50):
        grew = False
        for node in ast.walk(tree):
            pairs = []
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, (ast.Tuple, ast.List)) and isinstance(node.value, (ast.Tuple, ast.List)):
                        pairs += list(zip(t.elts, node.value.elts))
                    else:
                        pairs.append((t, node.value))
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                pairs.append((node.target, node.value))
            elif isinstance(node, (ast.For, ast.comprehension)):
                pairs.append((node.target, node.iter))
            for target, value in pairs:
                if _made_from(value, names):
                    for n in ast.walk(target):
                        if isinstance(n, ast.Name) and n.id not in names:
                            names.add(n.id)
                            grew = True
        if not grew:
            break
    return names


def parallel_prange_rule(fn, args=None):
    """A rule for ``Exercise(rules=[...])`` of a "make it parallel" task: a Numba dispatcher
    compiled with ``parallel=True``, with a loop over Numba's own ``prange`` (looked up in the
    function's globals) whose bound is not a constant below 2, and every read of the input
    (first argument) inside a ``prange`` loop's body. A serial copy is refused, however fast.
    Not caught: the input passed to a helper called inside the loop that does all rows.
    Returns a message, or None."""
    import inspect
    import textwrap

    opts = getattr(fn, "targetoptions", None)
    if not isinstance(opts, dict) or not opts.get("parallel"):
        return tr("it is not a parallel Numba function: the task asks for `@njit(parallel=True)` "
                  "with a `prange` loop that splits the work between threads")
    f = getattr(fn, "py_func", fn)
    glb = getattr(f, "__globals__", {}) or {}
    try:
        import numba
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (ImportError, OSError, TypeError, SyntaxError):
        return None
    func = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))), None)

    def numba_prange(node):
        if not isinstance(node, ast.Call):
            return False
        fn_node = node.func
        if isinstance(fn_node, ast.Name):
            return glb.get(fn_node.id) is numba.prange
        return isinstance(fn_node, ast.Attribute) and fn_node.attr == "prange" and \
            isinstance(fn_node.value, ast.Name) and getattr(glb.get(fn_node.value.id), "prange", None) is numba.prange

    loops = [n for n in ast.walk(tree) if isinstance(n, ast.For) and numba_prange(n.iter)]
    if not loops:
        return tr("it has no `prange` loop: the task asks for the work split between threads with "
                  "`for ... in prange(...)` (numba's prange) under `@njit(parallel=True)`")
    params = [a.arg for a in func.args.posonlyargs + func.args.args] if func is not None else []
    consts = _constants(tree, params)
    for loop in loops:
        bounds = [_const_int(a, consts) for a in loop.iter.args]
        if bounds and None not in bounds and not loop.iter.keywords and (len(bounds) < 3 or bounds[2]):
            if len(range(*bounds[:3])) < 2:
                return tr("the loop `{line}` has fewer than two iterations, so one thread does all "
                          "the work: the task asks for a `prange` loop over the rows (or over several "
                          "chunks of them), which the threads share", line=ast.unparse(loop).splitlines()[0])
    if not params:
        return None
    names = _aliases(tree, params[0])
    inside = {id(x) for loop in loops for stmt in loop.body for x in ast.walk(stmt)}
    parents = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    makers = {id(x) for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr))
              and node.value is not None and _made_from(node.value, names) for x in ast.walk(node.value)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names) \
                or id(node) in inside or id(node) in makers:
            continue
        up = parents.get(id(node))
        if isinstance(up, ast.Attribute) and up.attr in _SHAPE:
            continue                                    # mask.shape: no element read
        if isinstance(up, ast.Call) and node in up.args and \
                getattr(up.func, "id", getattr(up.func, "attr", None)) in _SHAPE_ONLY:
            continue                                    # len(mask), np.zeros_like(mask)
        stmt = up
        while stmt is not None and not isinstance(stmt, ast.stmt):
            stmt = parents.get(id(stmt))
        if isinstance(stmt, ast.For) and numba_prange(stmt.iter):
            continue                                    # in the bound of a prange loop
        line = ast.unparse(stmt).splitlines()[0] if stmt is not None else node.id
        return tr("`{line}` reads `{name}` (the input `{arg}`, or an array made from it) outside "
                  "every `prange` loop: the task asks for the loop that reads the input to be a "
                  "`prange` loop, its iterations shared by the threads (the rule refuses a "
                  "whole-array expression of the input outside it too, such as `mask != 0`, although "
                  "parallel=True may run that one on several threads: read the input inside the loop)",
                  line=line, name=node.id, arg=params[0])
    return None
