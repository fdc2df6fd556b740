"""The `optkit` command.

    optkit doctor [--json] [--check]     what this machine offers, and what to fix
    optkit bench NAME [--json]           instructor benchmarks (pipeline, crops, ...)
    optkit lab [--port N] [--lang ko]    JupyterLab on notebooks/ (what `make lab` runs;
                                         --lang ko: Korean learner edition, Korean UI)
    optkit install-kernel                register the "Python (optkit)" Jupyter kernel
    optkit student [--out DIR]           build the learner edition of the notebooks
    optkit leaderboard FILES...          gather capstone results into one table and chart

Sub-commands live in the module that owns the concern; this file only dispatches.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KERNEL_NAME = "optkit"
KERNEL_DISPLAY = "Python (optkit)"

# name -> "module:function"; each function takes argv (list of str) and returns an exit code.
COMMANDS = {
    "doctor": "optkit.doctor:main",
    "student": "optkit.student:main",
    "leaderboard": "optkit.lessons.capstone_leaderboard:leaderboard_main",
}
BENCHES = {
    "pipeline": "optkit.lessons.numpy_opencv:bench_main",
    "crops": "optkit.lessons.c_extension:bench_main",
}


def _load(ref: str):
    mod, func = ref.split(":")
    return getattr(importlib.import_module(mod), func)


def install_kernel(argv=None) -> int:
    """Register the kernel inside this environment (sys.prefix).

    The kernel starts with --InteractiveShell.display_page=True so that pager output
    (`%lprun`'s table) is shown as a cell output everywhere, nbclient included.
    """
    from ipykernel.kernelspec import install

    ap = argparse.ArgumentParser(prog="optkit install-kernel")
    ap.add_argument("--prefix", default=sys.prefix, help="environment prefix to install into")
    prefix = Path(ap.parse_args(argv).prefix)
    if prefix.exists() and not prefix.is_dir():
        ap.error(f"argument --prefix: {prefix} is not a folder")
    path = Path(install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY, prefix=str(prefix)))
    spec_file = path / "kernel.json"
    spec = json.loads(spec_file.read_text())
    flag = "--InteractiveShell.display_page=True"
    if flag not in spec["argv"]:
        spec["argv"].append(flag)
    spec.setdefault("env", {})
    spec_file.write_text(json.dumps(spec, indent=1))
    # The "Jupyter news" pop-up covers part of the page: switch the announcements plugin off.
    cfg = prefix / "etc" / "jupyter" / "labconfig"
    cfg.mkdir(parents=True, exist_ok=True)
    pc = cfg / "page_config.json"
    page = json.loads(pc.read_text()) if pc.exists() else {}
    page.setdefault("disabledExtensions", {})["@jupyterlab/apputils-extension:announcements"] = True
    pc.write_text(json.dumps(page, indent=1))
    # Per-cell execution time (jupyterlab-execute-time) needs the notebook to record timing.
    settings = prefix / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    ov = settings / "overrides.json"
    overrides = json.loads(ov.read_text()) if ov.exists() else {}
    overrides.setdefault("@jupyterlab/notebook-extension:tracker", {})["recordTiming"] = True
    ov.write_text(json.dumps(overrides, indent=1))
    print(f"registered Jupyter kernel '{KERNEL_DISPLAY}' in {path}")
    return 0


def lab_command(port: int, root: Path, open_browser: bool = False) -> list[str]:
    """The `jupyter lab` command line `make lab` runs (also used by the browser test).

    It holds no secret: /proc/PID/cmdline is readable by every user of the machine. The token
    reaches the server through the environment (see :func:`lab_env`), which only the same user
    (and root) can read.
    """
    cmd = [sys.executable, "-m", "jupyterlab",
           f"--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={root}",
           f"--ServerApp.open_browser={open_browser}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # jupyter refuses root without it; only added when needed
    return cmd


# A jupyter_server config file (no secret in it): the server takes the token out of its own
# environment before it starts anything, so kernels and terminals never inherit JUPYTER_TOKEN
# (a learner's `%env` or os.environ in a saved notebook would show it). Loaded twice by some
# servers: the second load finds the token kept aside by the first.
TOKEN_CONFIG = """\
# written by `optkit lab` (see optkit/cli.py, lab_env)
import os, sys
_token = os.environ.pop("JUPYTER_TOKEN", "") or getattr(sys, "optkit_lab_token", "")
if _token:
    sys.optkit_lab_token = _token
    c.IdentityProvider.token = _token
"""


def lab_config_dir(base=None) -> Path:
    """The private folder holding TOKEN_CONFIG as jupyter_server_config.py (for lab_env).

    One per user, reused by every `optkit lab` (the server replaces this process, so nothing
    could remove a new folder afterwards): ``optkit-lab-config`` in Jupyter's runtime folder
    (``JUPYTER_RUNTIME_DIR``, private to the user), or in ``base`` (a test's own folder)."""
    import tempfile

    if base is None:
        from jupyter_core.paths import jupyter_runtime_dir

        base = jupyter_runtime_dir()
    folder = Path(base) / "optkit-lab-config"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    cfg = folder / "jupyter_server_config.py"
    try:
        current = cfg.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != TOKEN_CONFIG:                # written whole, then renamed: never half a file
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(TOKEN_CONFIG)
        os.replace(tmp, cfg)
    return folder


def lab_env(token: str, base: dict | None = None, config_dir=None) -> dict:
    """The environment to start :func:`lab_command` with: `base` (default os.environ) plus the token.

    jupyter_server's IdentityProvider takes its token from JUPYTER_TOKEN, so auth stays on and the
    token is never on a command line. config_dir (see :func:`lab_config_dir`) goes first on
    JUPYTER_CONFIG_PATH: its config removes JUPYTER_TOKEN from the server's environment once read,
    so no kernel the server starts has it.
    """
    if not token:
        raise ValueError("an empty token would switch authentication off")
    env = dict(os.environ if base is None else base)
    env.pop("JUPYTER_TOKEN_FILE", None)
    env["JUPYTER_TOKEN"] = token
    if config_dir is not None:
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            [str(config_dir)] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p])
    return env


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` on ``host`` is taken (another server listens there), found by binding
    it the way the Jupyter server will (SO_REUSEADDR on POSIX, so a port a closed server left
    in TIME_WAIT counts as free, as it does for the server)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if os.name == "posix":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def lab(argv=None) -> int:
    from .cliargs import port

    ap = argparse.ArgumentParser(prog="optkit lab", description="JupyterLab on notebooks/, token auth, 127.0.0.1")
    # a string default goes through `type` too, so PORT=abc is the same clear error as --port abc
    ap.add_argument("--port", type=port, default=os.environ.get("PORT") or "8888",
                    help="port on 127.0.0.1 (default: $PORT or 8888)")
    ap.add_argument("--root", default=None, help="folder to serve (default: notebooks/)")
    ap.add_argument("--lang", choices=["en", "ko"], default="en",
                    help="ko: the Korean learner edition with JupyterLab's Korean UI (see optkit.i18n)")
    args = ap.parse_args(argv)
    if args.root is not None and not Path(args.root).is_dir():
        ap.error(f"argument --root: no folder at {args.root}")
    root, extra = Path(args.root or REPO / "notebooks"), []
    if args.lang != "en":
        from optkit import i18n

        try:
            root, extra = i18n.lab_setup(args.lang, args.root)
        except i18n.TranslationError as exc:
            print(f"optkit lab: error: {exc}", file=sys.stderr)
            return 2
        os.environ[i18n.ENV_VAR] = args.lang        # kernels started by this server speak it too
    if port_in_use(args.port):     # fail before a URL is printed that would never answer
        print(f"optkit lab: error: port {args.port} on 127.0.0.1 is already in use (another "
              f"JupyterLab still running?); stop it, or pick another port: make lab PORT=8899 "
              f"(optkit lab --port 8899)", file=sys.stderr)
        return 1
    token = secrets.token_hex(24)
    cmd = lab_command(args.port, root) + extra
    url = f"http://127.0.0.1:{args.port}/lab?token={token}"
    bar = "=" * min(100, len(url) + 4)
    print(f"\n{bar}\n  optkit JupyterLab: open this URL (token auth is on, 127.0.0.1 only)\n  {url}\n{bar}\n", flush=True)
    os.execve(cmd[0], cmd, lab_env(token, config_dir=lab_config_dir()))
    return 0  # not reached


def _install_kernel_checked(argv) -> int:
    try:
        return install_kernel(argv)
    except OSError as exc:
        print(f"optkit install-kernel: error: cannot install the kernel: {exc}", file=sys.stderr)
        return 1


def main(argv=None) -> int:
    """Run one sub-command; returns its exit status (2 for a bad argument, with argparse's message)."""
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:     # argparse's error() and --help: already printed their message
        code = exc.code
        if code is None or isinstance(code, int):
            return int(code or 0)
        print(code, file=sys.stderr)
        return 1


def _dispatch(argv: list) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    name, rest = argv[0], argv[1:]
    if name == "lab":
        return lab(rest)
    if name == "install-kernel":
        return _install_kernel_checked(rest)
    if name == "bench":
        if rest and rest[0] in ("-h", "--help"):
            print(f"usage: optkit bench {{{','.join(BENCHES)}}} [--json] (each has its own --help)")
            return 0
        if not rest or rest[0] not in BENCHES:
            print(f"usage: optkit bench {{{','.join(BENCHES)}}} [--json]\n"
                  f"optkit bench: error: choose a benchmark: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        return int(_load(BENCHES[rest[0]])(rest[1:]) or 0)
    if name in COMMANDS:
        return int(_load(COMMANDS[name])(rest) or 0)
    print(f"{__doc__}\noptkit: error: unknown command {name!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
