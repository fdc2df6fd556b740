"""Packaging: pyproject and environment.yml agree; the extension builds with and without OpenMP."""
import os
import re
import subprocess
import sys
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


def pyproject_requirements():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(data["dependencies"])
    for extra in data["optional-dependencies"].values():
        reqs += extra
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
    assert pyproject_requirements()["torch"] == "==2.13.0"


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
    env = dict(os.environ, OPTKIT_NO_OPENMP="1", PIP_NO_INPUT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "--target", str(target), str(REPO)],
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
