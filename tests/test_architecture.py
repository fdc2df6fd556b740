"""The package's layout rules (issue 16), checked on the source and the notebooks' code cells.

- no private name (`_x`) reached across modules: `from optkit.m import _x`, `m._x` on an
  imported optkit module, in the package and in every notebook's code cells;
- no import cycle inside optkit (imports inside functions count: a lazy import is still a
  dependency);
- no module over MAX_LINES lines (generated data excepted, listed in LONG_DATA_MODULES);
- README's package table names every module;
- every lesson notebook `NN_slug` has its room `optkit/lessons/<slug>.py` and its tests
  `tests/lessons/test_<slug>.py`; a room too large for one module has annexes
  `optkit/lessons/<slug>_<part>.py`; nothing else lives in `optkit/lessons/`;
- the shared core imports no room, and a room imports no later lesson's room.

Run as a script (`python tests/test_architecture.py`) it prints the figures behind each rule.
"""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PKG = REPO / "optkit"
MAX_LINES = 600
# Modules that are data rather than code may be longer, each with the reason.
LONG_DATA_MODULES: dict[str, str] = {
    "optkit.messages_ko": "the Korean message catalogue: one dict literal, English -> Korean, no code"}
# Notebooks whose lesson needs no code of its own (the course index and machine tour).
NO_ROOM = {"welcome": "00 is the course index: it shows optkit.doctor and optkit.data, the shared core",
           "profiling": "01 profiles the case study's references with the core's lineprof, bench and pipeline"}


def modules() -> dict[str, Path]:
    """Dotted name -> path of every module of the package."""
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _resolve(current: str, is_pkg: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = current.split(".")
    if not is_pkg:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(tree: ast.AST, current: str, is_pkg: bool, known: set) -> tuple[dict, list]:
    """(local name -> optkit module it is bound to, [(target module, imported name or None)])."""
    bound, edges = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("optkit"):
                    target = a.name
                    edges.append((target, None))
                    if a.asname:
                        bound[a.asname] = target
                    else:
                        bound[a.name.split(".")[0]] = "optkit"
        elif isinstance(node, ast.ImportFrom):
            src = _resolve(current, is_pkg, node.level, node.module)
            if not src.startswith("optkit"):
                continue
            for a in node.names:
                sub = f"{src}.{a.name}"
                if sub in known:            # `from optkit import bench`: a module
                    edges.append((sub, None))
                    bound[a.asname or a.name] = sub
                else:                       # `from optkit.bench import compare`: a name
                    edges.append((src, a.name))
    return bound, edges


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def private_uses(tree: ast.AST, current: str, bound: dict, edges: list, known: set) -> list[str]:
    """Private names of another optkit module this code reaches."""
    found = []
    for target, name in edges:
        if name and name.startswith("_") and not name.startswith("__") and target != current:
            found.append(f"{target}.{name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        base = _dotted(node.value)
        if base is None:
            continue
        head, _, rest = base.partition(".")
        if head not in bound:
            continue
        mod = bound[head] + ("." + rest if rest else "")
        if mod in known and mod != current:
            found.append(f"{mod}.{node.attr}")
    return found


def package_graph() -> tuple[dict, dict]:
    """(module -> set of optkit modules it imports, module -> private names it reaches)."""
    mods = modules()
    known = set(mods)
    graph, private = {}, {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound, edges = imports_of(tree, name, path.name == "__init__.py", known)
        deps = set()
        for target, _ in edges:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "optkit":
                deps.add(target)
        graph[name] = deps
        private[name] = private_uses(tree, name, bound, edges, known)
    return graph, private


def cycles(graph: dict) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def notebook_private_uses() -> dict[str, list[str]]:
    known = set(modules())
    out = {}
    for nb in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        found, seen = [], {}      # names bound by earlier cells stay bound (one kernel)
        for c in cells:
            if c["cell_type"] != "code":
                continue
            src = "".join(c["source"])
            # IPython magics and shell lines are not Python: blank them out.
            src = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines())
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            bound, edges = imports_of(tree, "__notebook__", False, known)
            seen.update(bound)
            found += private_uses(tree, "__notebook__", seen, edges, known)
        if found:
            out[nb.stem] = sorted(set(found))
    return out


def line_counts() -> dict[str, int]:
    return {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in modules().items()}


def readme_modules() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*`(optkit(?:\.\w+)*)`", text, re.M))


def lesson_slugs() -> list[str]:
    return [re.sub(r"^\d\d_", "", p.stem) for p in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


# --------------------------------------------------------------------------- tests


def test_no_private_names_across_modules():
    _, private = package_graph()
    bad = {m: sorted(set(v)) for m, v in private.items() if v}
    assert not bad, f"private names reached across modules: {bad}"


def test_notebooks_use_no_private_names():
    bad = notebook_private_uses()
    assert not bad, f"notebook cells reach private names: {bad}"


def test_no_import_cycle():
    graph, _ = package_graph()
    found = cycles(graph)
    assert not found, f"import cycles inside optkit: {found}"


def test_no_module_over_the_limit():
    long = {m: n for m, n in line_counts().items() if n > MAX_LINES and m not in LONG_DATA_MODULES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_readme_names_every_module():
    missing = sorted(set(modules()) - readme_modules() - {"optkit", "optkit.lessons"})
    assert not missing, f"README's package table does not name: {missing}"


def test_every_lesson_has_its_room_and_tests():
    missing = []
    for slug in lesson_slugs():
        if slug in NO_ROOM:
            continue
        if not (PKG / "lessons" / f"{slug}.py").exists():
            missing.append(f"optkit/lessons/{slug}.py")
        if not (REPO / "tests" / "lessons" / f"test_{slug}.py").exists():
            missing.append(f"tests/lessons/test_{slug}.py")
    assert not missing, f"lesson rooms or tests missing: {missing}"


# the core modules whose tests live under another name (the design card: tests/test_<module>.py)
TESTS_NAMED_OTHERWISE = {"messages_ko": "test_i18n_messages.py",
                         "prangerule": "test_rules_loops.py"}   # with the other rules of a stated method


def test_every_core_module_has_its_test_file():
    core = [m.rpartition(".")[2] for m in modules() if m.count(".") == 1 and not m.startswith("optkit.lessons")]
    missing = [f"tests/{TESTS_NAMED_OTHERWISE.get(name, f'test_{name}.py')}" for name in core
               if not (REPO / "tests" / TESTS_NAMED_OTHERWISE.get(name, f"test_{name}.py")).is_file()]
    assert core and not missing, f"core modules without their test file: {missing}"


def _lesson_of(module: str, slugs: list[str]) -> str | None:
    """The slug a module of optkit.lessons belongs to (its room or an annex `<slug>_<part>`)."""
    name = module.rpartition(".")[2]
    for slug in sorted(slugs, key=len, reverse=True):
        if name == slug or name.startswith(slug + "_"):
            return slug
    return None


def test_every_module_in_lessons_belongs_to_a_lesson():
    slugs = lesson_slugs()
    strays = [m for m in modules() if m.startswith("optkit.lessons.") and _lesson_of(m, slugs) is None]
    assert not strays, f"modules in optkit/lessons/ named after no lesson: {strays}"


def test_core_imports_no_room_and_rooms_look_back_only():
    slugs = lesson_slugs()
    order = {slug: i for i, slug in enumerate(slugs)}
    graph, _ = package_graph()
    bad = []
    for m, deps in graph.items():
        here = _lesson_of(m, slugs) if m.startswith("optkit.lessons.") else None
        for d in deps:
            if not d.startswith("optkit.lessons."):
                continue
            there = _lesson_of(d, slugs)
            if here is None and m != "optkit.cli":
                bad.append(f"core {m} imports room {d}")
            elif here is not None and there is not None and order[there] > order[here]:
                bad.append(f"{m} (lesson {here}) imports a later lesson's {d}")
    assert not bad, bad


def test_notebooks_are_reviewable_as_text():
    """A one-line prose change is a one-line diff: every notebook (English and Korean) is stored
    as nbformat writes it (JSON, indent 1, keys sorted as written), each cell's source a list of
    lines (one JSON string per line), no outputs. This is why there is no paired text copy."""
    paths = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((REPO / "notebooks" / "ko").glob("*.ipynb"))
    assert paths
    bad = []
    for p in paths:
        raw = p.read_text(encoding="utf-8")
        nb = json.loads(raw)
        if json.dumps(nb, indent=1, ensure_ascii=False) + "\n" != raw:
            bad.append(f"{p.name}: not in nbformat's layout (indent 1)")
        for c in nb["cells"]:
            src = c["source"]
            if isinstance(src, str) or any(not ln.endswith("\n") for ln in src[:-1]) or \
                    any("\n" in ln[:-1] for ln in src):
                bad.append(f"{p.name} cell {c.get('id')}: source is not one string per line")
            if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count")):
                bad.append(f"{p.name} cell {c.get('id')}: outputs committed")
    assert not bad, bad[:10]


def test_the_checker_sees_what_it_looks_for():
    """The rules above must be able to fail: a cycle, a private import and a private attribute."""
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    known = {"optkit", "optkit.x", "optkit.y"}
    tree = ast.parse("from optkit.x import _p\nfrom . import x as m\nm._q()\nimport optkit.x\noptkit.x._r\n")
    bound, edges = imports_of(tree, "optkit.y", False, known)
    assert sorted(private_uses(tree, "optkit.y", bound, edges, known)) == ["optkit.x._p", "optkit.x._q", "optkit.x._r"]
    tree = ast.parse("from .x import _own\n")
    bound, edges = imports_of(tree, "optkit.x", False, known)
    assert private_uses(tree, "optkit.x", bound, edges, known) == []



# --------------------------------------------------------------------------- code a learner sees
# The measured code is in the notebook's cells, not printed from a hidden module with
# inspect.getsource. Where a room, a benchmark, a check or a test needs the same function, the
# cell's copy and the room's are kept equal here (same AST: a docstring or a line of code that
# differs fails). (notebook, cell id, function the cell defines, room module, qualified name)
CELL_COPIES = [
    ("02_numpy_opencv", "9eb13de3", "crop_fast", "optkit.pipeline", "crop_fast"),
    ("03_cython_numba", "e24aade9", "rlsa_python", "optkit.lessons.cython_numba", "rlsa_python"),
    ("03_cython_numba", "3312753e", "crop_opencv", "optkit.lessons.cython_numba", "crop_opencv"),
    ("03_cython_numba", "c7f26379", "runs_per_row_python", "optkit.lessons.cython_numba", "runs_per_row_python"),
    ("03_cython_numba", "6d17358d", "rlsa_vertical_python", "optkit.lessons.cython_numba", "rlsa_vertical_python"),
    ("06_frameworks_first", "a0f9e0e5", "parse_csv_module", "optkit.lessons.frameworks_first_csv", "parse_csv_module"),
    ("07_scale_out", "8305d332", "run_dask", "optkit.lessons.scale_out", "run_dask"),
    ("08_capstone", "bd95df51", "augment_python", "optkit.lessons.capstone", "augment_python"),
]
# inspect.getsource calls still in the notebooks, each with the reason it is still there. The
# allowed form needs no entry: inspect.getsource(name) of a function a code cell of the same
# notebook defines (notebook 03 writes its own cell's functions into a script for py-spy).
GETSOURCE_LEFT: dict = {}

# Code that worker processes run (DataLoader workers, spawn pools, loky, Dask) cannot live in a
# cell: a worker imports it by module and name, and a cell's code is in the kernel's __main__.
# It lives in a helper file next to the notebook, which the notebook links, imports and measures.
# Where the room keeps a copy for the tests, the two are kept equal here (same AST).
# (notebook, helper file in notebooks/, definition, room module, qualified name in the room)
HELPER_COPIES = [
    ("06_frameworks_first", "lesson06_datasets.py", "PerSampleCrops", "optkit.lessons.frameworks_first", "PerSampleCrops"),
    ("06_frameworks_first", "lesson06_datasets.py", "BatchCrops", "optkit.lessons.frameworks_first", "BatchCrops"),
    ("07_scale_out", "lesson07_tasks.py", "preprocess", "optkit.lessons.scale_out", "preprocess"),
    ("07_scale_out", "lesson07_tasks.py", "process_seed", "optkit.lessons.scale_out", "process_seed"),
    ("07_scale_out", "lesson07_tasks.py", "process_chunk", "optkit.lessons.scale_out", "process_chunk"),
]

PYTHON_CELL_MAGICS = ("%%requires",)     # cell magics whose body is Python (optkit.magics)


def _code_cells(nb: Path) -> list[tuple[str, str, ast.Module | None]]:
    """(cell id, source, tree or None when the cell is not Python) of every code cell."""
    out = []
    for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"])
        if src.startswith("%%"):
            if not src.startswith(PYTHON_CELL_MAGICS):
                out.append((c.get("id"), src, None))
                continue
            src = src.split("\n", 1)[1] if "\n" in src else ""
        py = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines())
        try:
            out.append((c.get("id"), src, ast.parse(py)))
        except SyntaxError:
            out.append((c.get("id"), src, None))
    return out


def getsource_uses() -> dict[tuple[str, str], str]:
    """(notebook, the argument's text) -> cell id, for every inspect.getsource(...) call whose
    argument is not a function defined by a `def` in a code cell of the same notebook (and for
    every cell that says getsource where the checker finds no such call)."""
    out = {}
    for nb in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = _code_cells(nb)
        defined = {n.name for _, _, t in cells if t for n in ast.walk(t)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for cid, src, tree in cells:
            calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                     and (_dotted(n.func) or "").split(".")[-1] == "getsource"] if tree else []
            for n in calls:
                arg = n.args[0] if n.args else None
                if not (isinstance(arg, ast.Name) and arg.id in defined):
                    out[(nb.stem, ast.unparse(arg) if arg else "")] = cid
            if "getsource" in src and not calls:
                out[(nb.stem, f"getsource in cell {cid}, not a call the checker reads")] = cid
    return out


def _function_node(tree: ast.AST, qualname: str):
    node = tree
    for part in qualname.split("."):
        node = next(n for n in node.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part)
    return node


def test_notebooks_print_no_hidden_code():
    left = getsource_uses()
    new = {k: v for k, v in left.items() if k not in GETSOURCE_LEFT}
    assert not new, ("inspect.getsource of code the notebook does not define: put the code in a cell "
                     f"(and in CELL_COPIES if a room needs it too): {new}")
    gone = set(GETSOURCE_LEFT) - set(left)
    assert not gone, f"GETSOURCE_LEFT names calls that are gone: remove them from the list: {sorted(gone)}"


@pytest.mark.parametrize("nb, cell_id, name, module, qualname", CELL_COPIES, ids=[c[2] for c in CELL_COPIES])
def test_cell_copy_is_the_rooms_code(nb, cell_id, name, module, qualname, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "notebooks"))   # a cell imports its helper file, as in the kernel
    cells = {cid: tree for cid, _, tree in _code_cells(REPO / "notebooks" / f"{nb}.ipynb")}
    assert cells.get(cell_id) is not None, f"{nb}: no code cell {cell_id}"
    in_cell = _function_node(cells[cell_id], name)
    path = modules()[module]
    in_room = _function_node(ast.parse(path.read_text(encoding="utf-8")), qualname)
    assert ast.dump(in_cell) == ast.dump(in_room), (
        f"{nb} cell {cell_id} defines {name} differently from {module}.{qualname}: keep the two equal")
    assert ast.get_docstring(in_cell) == ast.get_docstring(in_room)
    # The cell's own imports and its def, compiled as the kernel compiles the cell: the bytecode
    # must be the room's, so that an exercise's check (optkit.rules) knows a learner's call of the
    # cell's copy for a call of the reference (`np.f()` compiles differently when `np` is not
    # imported in the same cell).
    import importlib

    from optkit.rules import code_key

    unit = ast.Module(body=[n for n in cells[cell_id].body if isinstance(n, (ast.Import, ast.ImportFrom))] + [in_cell],
                      type_ignores=[])
    ns: dict = {}
    exec(compile(unit, f"<{nb} cell {cell_id}>", "exec"), ns)
    room = importlib.import_module(module)
    for part in qualname.split("."):
        room = getattr(room, part)
    assert code_key(ns[name].__code__) == code_key(room.__code__), (
        f"{nb} cell {cell_id}: {name} compiles to other bytecode than {module}.{qualname} "
        "(import what it uses, numpy as np above all, in the same cell)")



@pytest.mark.parametrize("nb, helper, name, module, qualname", HELPER_COPIES,
                         ids=[f"{c[1]}:{c[2]}" for c in HELPER_COPIES])
def test_helper_file_copy_is_the_rooms_code(nb, helper, name, module, qualname):
    path = REPO / "notebooks" / helper
    in_file = _function_node(ast.parse(path.read_text(encoding="utf-8")), name)
    in_room = _function_node(ast.parse(modules()[module].read_text(encoding="utf-8")), qualname)
    assert ast.dump(in_file) == ast.dump(in_room), (
        f"notebooks/{helper} defines {name} differently from {module}.{qualname}: keep the two equal")


@pytest.mark.parametrize("nb, helper", sorted({c[:2] for c in HELPER_COPIES}))
def test_notebook_links_imports_and_shows_its_helper_file(nb, helper):
    """The notebook links the file (a relative link JupyterLab opens), imports it by name (as its
    workers do), checks that workers will find it, and shows it."""
    cells = json.loads((REPO / "notebooks" / f"{nb}.ipynb").read_text(encoding="utf-8"))["cells"]
    prose = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = [(cid, t) for cid, _, t in _code_cells(REPO / "notebooks" / f"{nb}.ipynb") if t is not None]
    assert f"]({helper})" in prose, f"{nb}: no markdown link to {helper}"
    stem = helper.removesuffix(".py")
    importing = [cid for cid, t in code for n in ast.walk(t) if isinstance(n, (ast.Import, ast.ImportFrom))
                 and (stem in [a.name for a in n.names] if isinstance(n, ast.Import) else n.module == stem)]
    assert importing, f"{nb}: no cell imports {stem}"
    first = next(t for cid, t in code if cid == importing[0])
    calls = {getattr(n.func, "attr", getattr(n.func, "id", "")) for n in ast.walk(first) if isinstance(n, ast.Call)}
    assert {"check_worker_import", "read_text"} <= calls, (
        f"{nb} cell {importing[0]}: check that workers find {helper} and show it where it is imported")

def test_the_code_checks_can_fail():
    """The two rules above see what they look for: a differing body, a hidden getsource."""
    a = ast.parse("def f(x):\n    return x + 1\n")
    b = ast.parse("def f(x):\n    return x + 2\n")
    assert ast.dump(_function_node(a, "f")) != ast.dump(_function_node(b, "f"))
    tree = ast.parse("import inspect\nprint(inspect.getsource(kernels.rlsa_python))\n")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (_dotted(n.func) or "").endswith("getsource")]
    assert len(calls) == 1 and not isinstance(calls[0].args[0], ast.Name)

if __name__ == "__main__":
    graph, private = package_graph()
    counts = line_counts()
    n_priv = sorted({p for v in private.values() for p in v})
    nb_priv = notebook_private_uses()
    print(f"modules: {len(counts)}  lines: {sum(counts.values())}")
    big = max(counts, key=counts.get)
    print(f"largest: {big} {counts[big]}")
    print(f"over {MAX_LINES}: " + ", ".join(f"{m} {n}" for m, n in sorted(counts.items(), key=lambda kv: -kv[1]) if n > MAX_LINES))
    print(f"cycles: {cycles(graph)}")
    print(f"private names across modules ({len(n_priv)}): {n_priv}")
    print(f"notebooks' private names ({sum(map(len, nb_priv.values()))}): {nb_priv}")
    print(f"README table lacks: {sorted(set(counts) - readme_modules() - {'optkit', 'optkit.lessons'})}")
    sys.exit(0)
