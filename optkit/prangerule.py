"""The rule of a "make this Numba kernel parallel" task (03 Exercise 2): the answer must be a
Numba dispatcher compiled with ``parallel=True`` whose work runs in loops over Numba's own
``prange``. Read off the code, not timed: a ``prange`` whose bound is a constant below 2 (one
thread does everything) is refused, and so is any read of the input (the function's first
argument, or a name made from it: ``m = mask``, ``row = mask[y]``, ``mask.copy()``) outside
the body of every ``prange`` loop (a token ``prange`` loop next to a serial one). And the
race rule: every write in a ``prange`` body must go to memory of that iteration only."""
from __future__ import annotations

import ast

from optkit.i18n import tr

__all__ = ["parallel_prange_rule", "prange_race_rule"]

# Attributes that describe the input without reading its elements (``h, w = mask.shape``).
_SHAPE = {"shape", "size", "ndim", "dtype", "strides", "itemsize", "nbytes"}
# Calls that read only the input's shape and dtype.
_SHAPE_ONLY = {"len", "shape", "zeros_like", "empty_like", "ones_like", "full_like"}
# NumPy functions whose first argument makes a view or copy of the input.
_VIEWS = {"asarray", "ascontiguousarray", "asfortranarray", "array", "copy", "ravel", "reshape",
          "transpose", "view", "atleast_2d"}


def _view_of(node, names) -> bool:
    """Whether the expression only names one of ``names`` or a view of it (a subscript, ``.T``,
    ``m.reshape(...)``, ``np.ascontiguousarray(m)`` of the name itself): no pass over its
    elements, unlike ``m.copy()``, ``m.sum()``, ``np.asarray(m, np.int64)`` or
    ``np.ascontiguousarray(m.T)``, which read every element where they stand."""
    while True:
        if isinstance(node, ast.Name):
            return node.id in names
        if isinstance(node, (ast.Subscript, ast.Starred)):
            node = node.value
        elif isinstance(node, ast.Attribute) and node.attr not in _SHAPE:
            node = node.value
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) \
                in _VIEWS - {"array", "copy"}:
            f = node.func
            if isinstance(f, ast.Attribute) and _made_from(f.value, names):
                node = f.value                           # m.reshape(...), m.view()
            elif len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Name):
                node = node.args[0]                      # np.ascontiguousarray(m): no dtype, no .T copied
            else:
                return False
        else:
            return False


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


def _calls(node, glb, obj, attr=None) -> bool:
    """Whether ``node`` is a call of ``obj`` by a name, or a module's attribute (named ``attr``
    when given), looked up in the function's globals ``glb`` (``prange`` imported ``as pr``,
    ``numba.prange``, ``nb.get_thread_id``)."""
    if obj is None or not isinstance(node, ast.Call):
        return False
    f = node.func
    if isinstance(f, ast.Name):
        return glb.get(f.id) is obj
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and attr in (None, f.attr) and \
        getattr(glb.get(f.value.id), f.attr, None) is obj


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
        return _calls(node, glb, numba.prange, "prange")

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
              and node.value is not None and _view_of(node.value, names) for x in ast.walk(node.value)}
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


def prange_race_rule(fn, args=None):
    """A rule for ``Exercise(rules=[...])``: in a Numba function's ``prange`` loops, every
    write to an array element (``a[i] += ...``, ``a[i] = ...``, also through ``a[0][i]``,
    ``obj.a[i]`` or an alias ``b = a`` made inside the loop) must name a private index as one
    whole element of a subscript: the loop variable itself (when the body never assigns it),
    Numba's own ``numba.get_thread_id()`` called right there, or a name whose every assignment
    inside the loop is exactly the loop variable (``y = i``) or that call (one row per thread).
    A call in the loop to a function of the learner's (found by name in the function's globals,
    its source readable) that writes into one of its parameters must get private memory there
    (``bump(per_row[y], L)``, an array made in the loop), not a shared array (``bump(hist, L)``);
    this is read through aliases in the helper and the helpers it calls by name.
    An index that only mentions them (``k + 0*y``, ``t*0``) does not count. Arrays made inside
    the loop (``row = np.zeros(...)``, ``row = out[y]``) are private. A race shows only
    sometimes when it runs (rarely on a busy machine); this reads the code instead.
    Returns a message naming the line, or None. Not caught: writes through library calls
    (``np.add.at``, ``out=``), through a helper reached other than by a plain name (a method, a
    closure, an object's attribute), or writing an array it did not get as a parameter. A
    helper that changes a whole parameter with an operator (``total += part``) writes into it
    when it is given an array: a name the function indexes, makes with ``np.``, or gets as an
    array input. A helper that rebinds its parameter as its first use of it (``hist =
    hist.copy()``, ``out = np.zeros(...)``) does not write into what it was given; any other
    rebinding is still read as writing into it. Refused
    although correct: a helper given a whole shared array and the row to write (``bump(per_row,
    y, L)``): pass the row itself. Refused although correct: a flattened private index
    (``out[y*w + x]``) and a row from an inner loop over the chunk's rows (``for y in range(lo,
    hi): out[y, k] += 1``): which rows an inner range covers cannot be read off the code, so
    the message asks for the loop variable or the thread id itself."""
    import ast
    import inspect
    import textwrap
    import types

    f = getattr(fn, "py_func", fn)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return None
    glb = getattr(f, "__globals__", {}) or {}
    try:
        import numba
        numba_tid, numba_prange = numba.get_thread_id, numba.prange
    except (ImportError, AttributeError):
        numba_tid = numba_prange = None

    def thread_id(node):            # exactly numba's get_thread_id(), looked up in the globals
        return isinstance(node, ast.Call) and not node.args and not node.keywords and \
            _calls(node, glb, numba_tid, "get_thread_id")

    def target_names(t):
        if isinstance(t, ast.Name):
            return [t.id]
        if isinstance(t, (ast.Tuple, ast.List)):
            return [n for e in t.elts for n in target_names(e)]
        if isinstance(t, ast.Starred):
            return target_names(t.value)
        return []

    def chain(node):                 # (root node, [slices]) of a Subscript/Attribute chain
        slices = []
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            if isinstance(node, ast.Subscript):
                slices.append(node.slice)
            node = node.value
        return node, slices

    def write_targets(node):         # what an assignment writes (a[i] += ..., a[i], b[j] = ...), or None
        if isinstance(node, ast.AugAssign):
            return [node.target]
        if isinstance(node, ast.Assign):
            return [e for t in node.targets for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t])]
        return None

    def fresh_array(v):              # np.zeros(...), np.empty_like(a), np.array(a), a.copy(): a new array
        if not isinstance(v, ast.Call) or not isinstance(v.func, ast.Attribute):
            return False
        if v.func.attr == "copy" and not v.args:
            return True
        return isinstance(v.func.value, ast.Name) and v.func.value.id in ("np", "numpy") and v.func.attr in (
            "zeros", "empty", "ones", "full", "zeros_like", "empty_like", "ones_like", "full_like", "copy",
            "array") and not any(k.arg == "copy" for k in v.keywords)

    def written_params(callee, depth=0, seen=(), whole=False):
        """Positions and names of the parameters of a function of the learner's that it writes
        into (``a[i] = ...``, ``a[i] += ...``, through an alias ``b = a`` or ``b = a[i]`` made in
        it, or by passing them on to such a function); empty when it cannot be read. With
        ``whole``: the parameters it changes as a whole with an operator (``total += part``,
        also through an alias ``t = total``), a write only when what it is given is an array."""
        g = getattr(callee, "py_func", callee)
        if not isinstance(g, types.FunctionType) or depth > 4 or g in seen:
            return set()
        try:
            t = ast.parse(textwrap.dedent(inspect.getsource(g)))
        except (OSError, TypeError, SyntaxError):
            return set()
        fdef = next((n for n in t.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
        if fdef is None:
            return set()
        params = [a.arg for a in (*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs)]
        origin = {p: p for p in params}          # name -> the parameter it aliases
        for k, stmt in enumerate(fdef.body):      # `hist = hist.copy()` first: a new array, not the parameter
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and stmt.targets[0].id in params and fresh_array(stmt.value) and not any(
                        isinstance(n, ast.Name) and n.id == stmt.targets[0].id
                        for earlier in fdef.body[:k] for n in ast.walk(earlier)):
                origin.pop(stmt.targets[0].id, None)
        for _ in range(3):
            for node in ast.walk(fdef):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name):
                    root, _slices = chain(node.value)
                    if isinstance(root, ast.Name) and root.id in origin and not (whole and _slices and not any(
                            isinstance(e, ast.Slice) for sl in _slices for e in ast.walk(sl))):   # t = total[:]
                        origin.setdefault(node.targets[0].id, origin[root.id])
        hit = set()
        g_glb = getattr(g, "__globals__", {}) or {}
        for node in ast.walk(fdef):
            targets = write_targets(node)
            if targets is None and isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                inner = written_params(g_glb.get(node.func.id), depth + 1, (*seen, g), whole)
                targets = [a for i, a in enumerate(node.args) if i in inner] + \
                    [k.value for k in node.keywords if k.arg in inner]
                for a in targets:
                    root, _slices = chain(a)
                    if isinstance(root, ast.Name) and root.id in origin:
                        hit.add(origin[root.id])
                continue
            if targets is None:
                continue
            for tgt in targets:
                if whole:
                    if isinstance(node, ast.AugAssign) and isinstance(tgt, ast.Name) and tgt.id in origin:
                        hit.add(origin[tgt.id])
                elif isinstance(tgt, ast.Subscript):
                    root, _slices = chain(tgt)
                    if isinstance(root, ast.Name) and root.id in origin:
                        hit.add(origin[root.id])
        return {i for i, p in enumerate(params) if p in hit} | hit

    top = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    arrays = {n.value.id for n in ast.walk(tree)    # names the function indexes, or makes with NumPy
              if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)}
    arrays |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
               and isinstance(n.value.func, ast.Attribute) and isinstance(n.value.func.value, ast.Name)
               and n.value.func.value.id in ("np", "numpy") for t in n.targets if isinstance(t, ast.Name)}
    if top is not None and args is not None:       # and the inputs that are arrays
        arrays |= {a.arg for a, v in zip(top.args.args, args) if hasattr(v, "shape")}

    def is_prange(loop):             # spelled prange, or any name for Numba's prange (`as pr`)
        if not (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call)):
            return False
        fn_node = loop.iter.func
        return getattr(fn_node, "id", getattr(fn_node, "attr", "")) == "prange" or \
            _calls(loop.iter, glb, numba_prange)

    for loop in ast.walk(tree):
        if not is_prange(loop):
            continue
        assigned = {}                # name -> list of assigned values (None: unknown)
        iterated = {}                # name -> what an inner `for name in ...` walks through
        for node in ast.walk(loop):
            if node is loop:
                continue
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    single = isinstance(t, ast.Name)
                    for n in target_names(t):
                        assigned.setdefault(n, []).append(node.value if single else None)
                        if not single and isinstance(node.value, (ast.Tuple, ast.List)):
                            assigned[n].extend(node.value.elts)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
                for n in target_names(node.target):
                    assigned.setdefault(n, []).append(None)
            elif isinstance(node, (ast.For, ast.comprehension)):
                for n in target_names(node.target):
                    assigned.setdefault(n, []).append(None)
                    if isinstance(node.target, ast.Name):
                        iterated.setdefault(n, []).append(node.iter)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        for n in target_names(item.optional_vars):
                            assigned.setdefault(n, []).append(None)
        loop_vars = set(target_names(loop.target))
        steady = loop_vars - assigned.keys()      # a loop variable set again in the body is not private
        private = steady | {n for n, vals in assigned.items() if n not in loop_vars and vals and all(
            v is not None and (thread_id(v) or isinstance(v, ast.Name) and v.id in steady) for v in vals)}

        def private_slice(s):
            elts = s.elts if isinstance(s, ast.Tuple) else [s]
            return any(isinstance(e, ast.Name) and e.id in private or thread_id(e) for e in elts)

        shared = set()               # names assigned in the loop that alias an outer array
        for _ in range(len(assigned) + 1):
            grew = False
            for n, vals in assigned.items():
                if n in shared or n in loop_vars:
                    continue
                for v in vals + iterated.get(n, []):     # `for row in per:` walks rows of an outer array
                    if v is None:
                        continue
                    root, slices = chain(v)
                    if isinstance(root, ast.Name) and (root.id not in assigned or root.id in shared) \
                            and root.id not in loop_vars and not any(map(private_slice, slices)):
                        shared.add(n)
                        grew = True
                        break
            if not grew:
                break

        def private_arg(node):       # an argument that is memory of this iteration only
            root, slices = chain(node)
            return not isinstance(root, ast.Name) or root.id in assigned and root.id not in shared \
                or any(map(private_slice, slices))

        for node in ast.walk(loop):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            callee = glb.get(node.func.id)
            written = written_params(callee)
            bad = [a for i, a in enumerate(node.args) if i in written and not isinstance(a, ast.Starred)
                   and not private_arg(a)]
            bad += [k.value for k in node.keywords if k.arg in written and not private_arg(k.value)]
            whole = written_params(callee, whole=True)
            bad += [a for i, a in enumerate(node.args) if i in whole and isinstance(a, ast.Name)
                    and a.id in arrays and not private_arg(a)]
            bad += [k.value for k in node.keywords if k.arg in whole and isinstance(k.value, ast.Name)
                    and k.value.id in arrays and not private_arg(k.value)]
            if bad:
                loop_var = ast.unparse(loop.target)
                return tr("the check cannot tell that this call writes only memory of one thread: in the prange "
                          "loop over `{var}`, `{line}` passes `{array}` to `{helper}`, which may write into it, so "
                          "different threads may write the same element (a data race?): pass only memory of this "
                          "iteration (a row indexed by `{var}` itself, or an array made in the loop), or write the "
                          "update in the loop body, where the check reads its index",
                          var=loop_var, line=ast.unparse(node), array=ast.unparse(bad[0]), helper=node.func.id)

        def array_value(v):          # an array on the right of `+=`: a known array, np.*(...), a slice
            return isinstance(v, ast.Name) and v.id in arrays or isinstance(v, ast.Call) and isinstance(
                v.func, ast.Attribute) and getattr(v.func.value, "id", None) in ("np", "numpy") or isinstance(
                v, ast.Subscript) and any(isinstance(e, ast.Slice) for e in ast.walk(v.slice))

        for node in ast.walk(loop):  # `row = per[0]; row += local`: a view of outer memory changed whole (E51 1)
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id in shared \
                    and (node.target.id in arrays or array_value(node.value)):
                value = next((v for v in assigned[node.target.id] if v is not None), None)
                return tr("in the prange loop over `{var}`, `{line}` changes all of `{array}`, which is `{value}`: "
                          "memory made outside the loop, which other threads may change too (a data race?): give "
                          "each thread its own memory, a row indexed by `{var}` itself (or by a "
                          "`numba.get_thread_id()` taken in the loop)", var=ast.unparse(loop.target),
                          line=ast.unparse(node), array=node.target.id,
                          value=ast.unparse(value) if value is not None else "?")

        for node in ast.walk(loop):
            targets = write_targets(node)
            if targets is None:
                continue
            for t in targets:
                if not isinstance(t, ast.Subscript):
                    continue
                root, slices = chain(t)
                if not isinstance(root, ast.Name):
                    continue
                if root.id in assigned and root.id not in shared:
                    continue         # an array made inside the loop: private
                if any(map(private_slice, slices)):
                    continue
                line = ast.unparse(node).splitlines()[0]
                loop_var = ast.unparse(loop.target)
                named = {n.id for sl in slices for n in ast.walk(sl) if isinstance(n, ast.Name)}
                if named & (loop_vars - steady):
                    return tr("in the prange loop over `{var}`, `{line}` writes `{array}` at an index that uses "
                              "`{name}`, but `{name}` is assigned again inside the loop, so it is no longer this "
                              "iteration's own index and different threads may write the same element (a data "
                              "race?): leave the loop variable as it is and give any other value another name",
                              var=loop_var, line=line, array=root.id, name=min(named & (loop_vars - steady)))
                used = {getattr(n, "id", None) or getattr(n, "arg", None) for n in ast.walk(tree)
                        if isinstance(n, (ast.Name, ast.arg))} | {loop_var}

                def free(*names):    # the first example name the learner's function does not use
                    more = (f"{names[0]}{i}" for i in range(len(used) + 1))
                    return next(c for c in (*names, *more) if c not in used)
                copy, k, n, a = free("r", "j", "row"), free("k", "b", "col"), free("n", "w"), \
                    free("mine", "local", "buf")
                return tr("the check cannot tell that this write is private to one thread: in the prange loop over "
                          "`{var}`, `{line}` writes `{array}` at an index that has neither `{var}` itself (or a "
                          "plain copy of it, such as `{copy} = {var}`) nor a `numba.get_thread_id()` taken in the loop as one "
                          "of its elements, so different threads may write the same element (a data race?): give each "
                          "thread its own memory, indexed by `{var}` itself as one index (a new array `{a}`, "
                          "`{a}[{var}, {k}]`) or by the thread id; a flat index such as `{a}[{var} * {n} + {k}]` "
                          "is not read as private", var=loop_var, line=line, array=root.id, copy=copy, k=k, n=n, a=a)
    return None
