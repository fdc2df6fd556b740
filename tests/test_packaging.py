"""Packaging: pyproject, environment.yml and the locks agree; the installed environment is the
lock with torch's CPU build; the learner set-up has no test tool; the extension builds with and
without OpenMP."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
try:
    import tomllib
except ImportError:  # Python 3.10: pytest brings tomli there
    import tomli as tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(req: str):
    """'dask[distributed]>=2024.1' -> ('dask', {'distributed'}, '>=2024.1')."""
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(\[[^\]]*\])?\s*(.*?)\s*(#.*)?$", req)
    assert m, f"cannot parse requirement {req!r}"
    extras = {e.strip() for e in (m.group(2) or "[]")[1:-1].split(",") if e.strip()}
    return _norm(m.group(1)), extras, m.group(3).replace(" ", "")


def _load(name):
    """A module of requirements/ (the packaging scripts are not part of the optkit package)."""
    spec = importlib.util.spec_from_file_location(f"optkit_req_{name}", REPO / "requirements" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


envcheck = _load("envcheck")
torch_cpu = _load("torch_cpu")
lock = _load("lock")
LEARNER_EXTRAS = ("torch", "frameworks")     # what the learner set-up installs; "test" is not


def pyproject_requirements(extras=LEARNER_EXTRAS, base=True):
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(data["dependencies"]) if base else []
    for extra in extras:
        reqs += data["optional-dependencies"][extra]
    out = {}
    for r in reqs:
        name, extras, spec = _split(r)
        out[name] = spec
        for e in extras:  # dask[distributed] means conda's dask + distributed
            out[_norm(e)] = spec
    return out


def environment_requirements():
    yaml = pytest.importorskip("yaml")  # PyYAML comes with jupyterlab (jupyter-events)

    env = yaml.safe_load((REPO / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-"):          # pip options (the CPU wheel index)
                continue
            name, _, spec = _split(item)
            out[name] = spec
    for tool in ("python", "pip", "c-compiler"):
        out.pop(tool, None)
    return out


def test_environment_yml_matches_pyproject():
    pp, env = pyproject_requirements(), environment_requirements()
    assert set(pp) == set(env), (
        f"only in pyproject: {sorted(set(pp) - set(env))}; only in environment.yml: {sorted(set(env) - set(pp))}")
    differ = {n: (pp[n], env[n]) for n in pp if pp[n] != env[n]}
    assert not differ, f"version specs differ (pyproject, environment.yml): {differ}"


def test_torch_pin_is_the_cpu_build():
    pin = pyproject_requirements()["torch"]
    assert pin == "==2.13.0"
    assert torch_cpu.pinned() == "torch" + pin              # what the set-up installs
    assert envcheck.torch_pin() == pin[2:]


def test_environment_yml_takes_torch_from_the_cpu_index():
    text = (REPO / "environment.yml").read_text()
    assert re.search(r"^\s*- --extra-index-url https://download.pytorch.org/whl/cpu\s*$", text, re.M)
    assert torch_cpu.DEFAULT_INDEX == "https://download.pytorch.org/whl/cpu"
    for tool in pyproject_requirements(("test",), base=False):
        assert tool not in environment_requirements(), f"{tool}: a test tool in the learner's conda route"


def test_parser_sees_a_mismatch():
    # the sync check would catch a missing package
    assert _split("dask[distributed]>=2024.1") == ("dask", {"distributed"}, ">=2024.1")
    assert _split("jupyterlab_execute_time>=3.1")[0] == _split("jupyterlab-execute-time")[0]


def test_native_reports_its_build():
    from optkit import native

    info = native.build_info()
    assert isinstance(info["openmp"], bool)
    assert info["max_threads"] >= 1


@pytest.mark.slow
def test_build_with_openmp_forced_off_installs_and_reports_it(tmp_path):
    """OPTKIT_NO_OPENMP=1: pip installs a serial build that says openmp: False."""
    target = tmp_path / "site"
    # Build from a clean copy of the sources: pip builds in the tree, and a build/lib left by an
    # earlier (OpenMP) build in the checkout would be reused as up to date.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".lock-venv", "build", "learner", "learner-ko", "test-artifacts",
        "*.so", "*.pyd", "__pycache__", "*.egg-info"))
    env = dict(os.environ, OPTKIT_NO_OPENMP="1", PIP_NO_INPUT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "--target", str(target), str(src)],
        env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # -S: no site-packages, so the editable optkit cannot shadow the one just installed.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import optkit.native as n; "
            "print(n.__file__); print(n.build_info()['openmp'])")
    out = subprocess.run([sys.executable, "-S", "-c", code, str(target)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    path, openmp = out.stdout.split()
    assert path.startswith(str(target))
    assert openmp == "False"


FLAGS_PROBE = r'''
import hashlib, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import optkit.native as n
img = np.random.default_rng(0).integers(0, 255, (400, 500, 3), dtype=np.uint8)
rng = np.random.default_rng(1)
base = np.array([[10, 10], [60, 12], [62, 40], [8, 38]], np.float32)
q = (base[None] * rng.uniform(0.5, 3, (200, 1, 1)) + rng.uniform(-50, 450, (200, 1, 2))).astype(np.float32)
digests = {hashlib.sha256(n.warp_crops(img, q, (16, 32), kernel=k).tobytes()).hexdigest()
           for k in ("tuned", "portable", "plain")}
q1 = q[:1].copy()
q1[0, 2, 0] = np.nan
try:
    n.warp_crops(img, q1, (8, 8))
    nan = "accepted"
except ValueError:
    nan = "refused"
tiny = "subnormals" if (np.array([1e-310]) * 1.0)[0] != 0 else "flushed-to-zero"   # crtfastmath.o (A11 4)
print(n.__file__.startswith(sys.argv[1]), n.build_info()["openmp"], len(digests), nan, tiny)
'''


@pytest.mark.slow
def test_a_fast_math_cflags_and_a_change_of_flags_are_handled_by_the_build(tmp_path):
    """A10 2: CFLAGS=-ffast-math folded the NaN check away and made the kernels differ; A10 3: a
    serial build was never replaced once OpenMP became available (setuptools looks at file times
    only)."""
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".lock-venv", "build", "learner", "learner-ko", "test-artifacts", "notebooks",
        "tests", "*.so", "*.pyd", "__pycache__", "*.egg-info"))

    def build_and_probe(**env):
        env = dict(os.environ, **env)
        proc = subprocess.run([sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"], cwd=src,
                              env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out = subprocess.run([sys.executable, "-c", FLAGS_PROBE, str(src)], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    assert build_and_probe(CFLAGS="-ffast-math", LDFLAGS="-Ofast", OPTKIT_NO_OPENMP="1") == \
        ["True", "False", "1", "refused", "subnormals"]
    env = {k: v for k, v in os.environ.items() if k not in ("CFLAGS", "LDFLAGS", "OPTKIT_NO_OPENMP")}
    with_omp = build_and_probe(**env)
    if n_openmp := native_openmp():          # the same compiler gives this checkout OpenMP: so must the rebuild
        assert with_omp == ["True", "True", "1", "refused", "subnormals"], (with_omp, n_openmp)


def native_openmp() -> bool:
    from optkit import native
    return native.build_info()["openmp"]


# --------------------------------------------------------------------------- the locks

def _claimed_pythons():
    """Every minor version from requires-python's floor to the newest the README claims."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    floor = re.fullmatch(r">=3\.(\d+)", data["requires-python"])
    assert floor, data["requires-python"]
    classifiers = [c for c in data.get("classifiers", []) if c.startswith("Programming Language :: Python :: 3.")]
    minors = sorted(int(c.rsplit(".", 1)[1]) for c in classifiers)
    assert minors and minors[0] == int(floor.group(1)), "classifiers must start at requires-python's floor"
    assert minors == list(range(minors[0], minors[-1] + 1))
    return [f"3.{m}" for m in minors]


PLATFORMS = {   # the room's machines: marker environment values that differ between them
    "linux-x86_64": dict(sys_platform="linux", platform_system="Linux", platform_machine="x86_64", os_name="posix"),
    "linux-aarch64": dict(sys_platform="linux", platform_system="Linux", platform_machine="aarch64", os_name="posix"),
    "macos-arm64": dict(sys_platform="darwin", platform_system="Darwin", platform_machine="arm64", os_name="posix"),
    "windows-amd64": dict(sys_platform="win32", platform_system="Windows", platform_machine="AMD64", os_name="nt"),
}


def _marker_env(python, platform):
    return dict(PLATFORMS[platform], python_version=python, python_full_version=python + ".0",
                implementation_name="cpython", platform_python_implementation="CPython", extra="")


def _wanted_on(python, platform, extras=LEARNER_EXTRAS):
    """pyproject's learner requirements (names, dask's extra as its own name) whose environment
    marker holds for Python on platform (scalene: Linux x86_64 only; memray: not Windows)."""
    from packaging.requirements import Requirement

    data = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = _marker_env(python, platform)
    out = set()
    for text in list(data["dependencies"]) + [r for e in extras for r in data["optional-dependencies"][e]]:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate(env):
            out |= {_norm(req.name)} | {_norm(e) for e in req.extras}
    return out


def _pins_for(path, python, platform):
    from packaging.markers import Marker

    env = _marker_env(python, platform)
    out = {}
    for name, version, marker in envcheck.lock_entries(path):
        if not marker or Marker(marker).evaluate(env):
            assert name not in out, f"{path.name}: {name} pinned twice for Python {python} on {platform}"
            out[name] = version
    return out


def test_readme_claims_the_pythons_the_lock_covers():
    pythons = _claimed_pythons()
    assert lock.PYTHON_MIN == pythons[0]
    assert lock.claimed_pythons() == pythons             # make lock checks wheels for each
    readme = (REPO / "README.md").read_text()
    assert f"Python {pythons[0]} to {pythons[-1]}" in readme


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_lock_pins_every_dependency_once_for_every_python_and_platform(platform):
    for python in _claimed_pythons():
        direct = _wanted_on(python, platform) - {"torch"} - {"distributed"}
        pins = _pins_for(envcheck.LEARNER, python, platform)
        assert direct <= set(pins), f"Python {python} on {platform}: not locked: {sorted(direct - set(pins))}"
        assert "distributed" in pins           # dask[distributed]
        assert "py-spy" in pins                # the sampling profiler of 01 and 03, everywhere
        tests = _pins_for(envcheck.TEST, python, platform)
        for tool in pyproject_requirements(("test",), base=False):
            assert tool in tests, f"{tool} not in test.txt for Python {python} on {platform}"


def test_every_locked_file_has_a_hash():
    for path in (envcheck.LEARNER, envcheck.TEST):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
        pinned = [b for b in blocks if re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==", b)]
        assert len(pinned) == len(envcheck.lock_entries(path)) > 0
        for block in pinned:
            assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), f"{path.name}: no hash in {block[:80]!r}"


def test_learner_lock_holds_no_test_tool_and_nothing_from_cuda():
    learner = {n for n, _, _ in envcheck.lock_entries(envcheck.LEARNER)}
    test = {n for n, _, _ in envcheck.lock_entries(envcheck.TEST)}
    assert learner and test and not (learner & test), f"in both locks: {sorted(learner & test)}"
    assert set(pyproject_requirements(("test",), base=False)) <= test
    assert not {n for n in learner if lock.CUDA.match(n)}, "a CUDA package or torch in learner.txt"
    for name in ("sympy", "networkx", "filelock", "fsspec", "jinja2"):   # torch's CPU dependencies
        assert name in learner


def test_installed_environment_equals_the_lock():
    """Every locked package at its version, torch at its pin, nothing unlocked (pip, optkit aside)."""
    import setuptools  # noqa: F401  (puts its vendored packages on sys.path: they are not installed)

    with_test = importlib.util.find_spec("pytest") is not None     # make test installed test.txt
    assert envcheck.differences(with_test) == []


def test_envcheck_sees_a_difference(monkeypatch):
    have = envcheck.installed()
    monkeypatch.setattr(envcheck, "installed", lambda: dict(have, numpy="0.1", extra_pkg="1.0"))
    diff = envcheck.differences(True)
    assert any(d.startswith("wrong version: numpy 0.1") for d in diff)
    assert "not in the lock: extra_pkg==1.0" in diff


def test_setup_prunes_only_what_neither_lock_holds(monkeypatch):
    have = envcheck.installed()
    monkeypatch.setattr(envcheck, "installed", lambda: dict(have, stray_pkg="1.0", torch="2.13.0+cpu"))
    calls = []
    monkeypatch.setattr(envcheck.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    assert envcheck.prune() == ["stray_pkg"]          # torch, pip and optkit stay
    assert len(calls) == 1 and calls[0][-1] == "stray_pkg" and "uninstall" in calls[0]


def test_no_cuda_distribution_and_torch_is_a_cpu_build():
    cuda = sorted(n for n in envcheck.installed() if lock.CUDA.match(n) and n != "torch")
    assert cuda == [], f"CUDA packages installed: {cuda}"
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed (TORCH=0)")
    import torch

    assert torch.version.cuda is None, f"torch {torch.__version__} is a CUDA build"


def test_torch_installer_refuses_a_wheel_that_needs_cuda_here():
    linux = sys.platform.startswith("linux")
    reqs = ['nvidia-cublas==13.1.1.3; platform_system == "Linux"', "triton==3.7.1; sys_platform == 'linux'",
            "sympy>=1.13.3", 'nvidia-nccl-cu13; platform_system == "Windows"', "filelock"]
    got = torch_cpu.cuda_requirements(reqs)
    assert got == (["nvidia-cublas", "triton"] if linux else [])
    assert torch_cpu.cuda_requirements(["sympy", "jinja2", "fsspec>=0.8.5"]) == []


def test_unreachable_torch_index_is_given_up_quickly():
    t0 = time.monotonic()
    assert torch_cpu.reachable("http://127.0.0.1:9/whl/cpu") is False      # discard port: refused
    assert time.monotonic() - t0 < torch_cpu.PROBE_TIMEOUT_S + 1


@pytest.mark.slow
def test_torch_step_with_an_unreachable_index_is_quick_and_never_takes_cuda():
    """The set-up's torch step, index unreachable: the default index's CPU wheel, or a clear refusal."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed (TORCH=0): the step would install it")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(REPO / "requirements" / "torch_cpu.py"),
                           "--index", "http://127.0.0.1:9/whl/cpu"],
                          capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    assert "did not answer" in out
    if proc.returncode == 0:
        assert "(CPU build) from pip's default index" in out
    else:
        assert "refused" in out or "not found" in out, out
    assert took < 120, f"{took:.0f} s"
    import torch

    assert torch.version.cuda is None


def _make_n(*args):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # not the variables of a calling make (make test-fast TORCH=0 passes them down)
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "TORCH", "TORCH_INDEX",
                        "WHEELHOUSE", "EDITION", "LEARNER_DIR", "VENV", "KO"}}
    proc = subprocess.run([make, "-n", "-C", str(REPO), "VENV=/nonexistent/optkit-venv", *args],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_learner_setup_installs_no_test_tool():
    setup = _make_n("setup")
    assert "requirements/learner.txt" in setup and "--require-hashes --no-deps" in setup
    assert "requirements/test.txt" not in setup and "pytest" not in setup
    assert "requirements/torch_cpu.py --index 'https://download.pytorch.org/whl/cpu'" in setup
    assert "requirements/test.txt" in _make_n("test-fast")
    assert "torch_cpu.py" not in _make_n("setup", "TORCH=0")
    assert "TORCH_INDEX=" not in setup
    assert "requirements/envcheck.py --prune" in setup      # what an older lock left goes


def test_wheelhouse_setup_uses_the_folder_and_nothing_else(tmp_path):
    pip_lines = [l for l in _make_n("setup", f"WHEELHOUSE={tmp_path}").splitlines()
                 if " -m pip " in l or "torch_cpu.py" in l]
    assert len(pip_lines) == 3
    for line in pip_lines:
        assert "PIP_CONFIG_FILE=/dev/null" in line and "-u PIP_FIND_LINKS" in line
        assert f"--no-index --find-links {tmp_path}" in line or f"--wheelhouse {tmp_path}" in line


def test_lab_opens_the_learner_edition_by_default():
    lab = _make_n("lab")
    assert "optkit.cli student --src notebooks --out learner" in lab
    assert "--root learner/notebooks" in lab and "learner/solutions/" in lab
    assert "EDITION=instructor" in lab
    assert "--lang ko" not in lab


def test_lab_ko_opens_the_korean_learner_edition_in_korean():
    lab = _make_n("lab", "KO=1")
    assert "optkit.cli student --src notebooks/ko --out learner-ko" in lab
    assert "--root learner-ko/notebooks --lang ko" in lab


def test_a_variants_exception_keeps_its_type_on_every_python():
    """bench.compare re-raises a variant's own exception (3.10 has no BaseException.add_note)."""
    from optkit import bench

    def broken(x):
        raise ZeroDivisionError("learner bug")

    with pytest.raises(ZeroDivisionError, match="learner bug") as info:
        bench.compare({"ok": lambda x: x, "broken": broken}, 1, repeat=1, min_time=0.001)
    assert any("'broken'" in n for n in getattr(info.value, "__notes__", []))


def test_native_sources_are_listed_explicitly_and_match_git():
    """setup.py and the Makefile name the C sources one by one (a stray copy in csrc/ must not be
    compiled in), and the list is exactly the tracked files of optkit/csrc."""
    import ast
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "optkit/csrc"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    tree = ast.parse((REPO / "setup.py").read_text())
    lists = {t.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name) and t.id in ("NATIVE_SOURCES", "NATIVE_HEADERS")}
    assert set(lists) == {"NATIVE_SOURCES", "NATIVE_HEADERS"}, lists
    assert sorted(lists["NATIVE_SOURCES"]) == sorted(f for f in tracked if f.endswith(".c"))
    assert sorted(lists["NATIVE_HEADERS"]) == sorted(f for f in tracked if f.endswith(".h"))
    assert "glob" not in (REPO / "setup.py").read_text().split("setup(")[-1]
    make = (REPO / "Makefile").read_text()
    m = re.search(r"^NATIVE_SRC\s*:=\s*((?:.*\\\n)*.*)$", make, re.M)
    assert m, "Makefile has no NATIVE_SRC list"
    assert sorted(m.group(1).replace("\\\n", " ").split()) == sorted(tracked)
    assert "wildcard optkit/csrc" not in make


def _setup_py_functions(*names):
    """setup.py's functions `names`, without running setup() (it runs at import)."""
    import ast

    tree = ast.parse((REPO / "setup.py").read_text())
    keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) and
            not (isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("setuptools"))]
    keep += [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    ns = {}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "setup.py", "exec"), ns)
    return [ns[n] for n in names]


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("gcc") is None or shutil.which("ar") is None,
                    reason="needs gcc and ar (a unix compiler)")
def test_setup_openmp_probe_links_with_ldflags(monkeypatch, tmp_path):
    """E43: distutils' linker_exe (which links setup.py's probe) gets no $LDFLAGS, unlike the
    extension's own link: the probe adds them, so a library found only through LDFLAGS' -L
    (Homebrew's keg-only libomp) passes the probe. A private static library stands in for it."""
    import setuptools  # noqa: F401  (distutils = setuptools' copy)
    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler

    _compiles, = _setup_py_functions("_env_flags", "_compiles")[1:]
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "foo.c").write_text("int optkit_test_foo(void) { return 0; }\n")
    subprocess.run(["gcc", "-c", str(tmp_path / "foo.c"), "-o", str(tmp_path / "foo.o")], check=True)
    subprocess.run(["ar", "rcs", str(lib / "liboptkitfoo.a"), str(tmp_path / "foo.o")], check=True)
    source = "int optkit_test_foo(void);\nint main(void) { return optkit_test_foo(); }\n"
    for name in ("CPPFLAGS", "CFLAGS", "LDFLAGS", "CC", "LDSHARED"):
        monkeypatch.delenv(name, raising=False)

    def probe():
        cc = new_compiler()
        customize_compiler(cc)
        return _compiles(cc, source, [], ["-loptkitfoo"])
    assert not probe()                                   # without -L the library is not found
    monkeypatch.setenv("LDFLAGS", f"-L{lib}")
    assert probe()
