"""The optkit command and what `make lab` starts."""
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from optkit import cli

REPO = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_help_and_unknown_command(capsys):
    assert cli.main(["--help"]) == 0
    assert "optkit doctor" in capsys.readouterr().out
    assert cli.main(["no-such-command"]) == 2
    assert cli.main(["bench", "no-such-bench"]) == 2


def _descendants(pid: int) -> list:
    """Process ids below `pid` (Linux /proc)."""
    children = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def test_lab_command_is_local_and_holds_no_secret(monkeypatch, tmp_path):
    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    cmd = cli.lab_command(8899, REPO / "notebooks")
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port=8899" in cmd
    assert f"--ServerApp.root_dir={REPO / 'notebooks'}" in cmd
    assert not any("token" in arg.lower() for arg in cmd), cmd   # argv is readable by every user
    assert "--allow-root" not in cmd
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    assert "--allow-root" in cli.lab_command(8899, REPO / "notebooks")
    # the token travels in the environment, which jupyter_server's IdentityProvider reads
    env = cli.lab_env("abc", {"PATH": "/bin", "JUPYTER_TOKEN_FILE": "/elsewhere"})
    assert env == {"PATH": "/bin", "JUPYTER_TOKEN": "abc"}
    cfg = cli.lab_config_dir(tmp_path)
    assert cli.lab_config_dir(tmp_path) == cfg == tmp_path / "optkit-lab-config"   # reused
    assert list(tmp_path.iterdir()) == [cfg] and (cfg.stat().st_mode & 0o077) == 0
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))   # `optkit lab`'s place
    assert cli.lab_config_dir() == tmp_path / "runtime" / "optkit-lab-config"
    env = cli.lab_env("abc", {"JUPYTER_CONFIG_PATH": "/mine"}, config_dir=cfg)
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str(cfg), "/mine"]
    text = (cfg / "jupyter_server_config.py").read_text()
    assert "abc" not in text and 'os.environ.pop("JUPYTER_TOKEN"' in text
    with pytest.raises(ValueError, match="authentication off"):
        cli.lab_env("", {})


def test_lab_on_a_busy_port_fails_before_printing_a_url(capsys, monkeypatch):
    def no_exec(*a):
        raise AssertionError("must not start the server on a busy port")

    monkeypatch.setattr(cli.os, "execve", no_exec)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.port_in_use(port)
        assert cli.main(["lab", "--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert "token=" not in out + err and "http://" not in out + err
    assert f"port {port} on 127.0.0.1 is already in use" in err and "PORT=" in err
    assert not cli.port_in_use(free_port())


def test_install_kernel_keeps_pager_output_and_quiets_news(tmp_path):
    assert cli.install_kernel(["--prefix", str(tmp_path)]) == 0
    spec = json.loads((tmp_path / "share/jupyter/kernels/optkit/kernel.json").read_text())
    assert spec["display_name"] == "Python (optkit)"
    assert "--InteractiveShell.display_page=True" in spec["argv"]
    page = json.loads((tmp_path / "etc/jupyter/labconfig/page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] is True
    ov = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    assert ov["@jupyterlab/notebook-extension:tracker"]["recordTiming"] is True
    # idempotent: a second run changes nothing
    assert cli.install_kernel(["--prefix", str(tmp_path)]) == 0
    spec2 = json.loads((tmp_path / "share/jupyter/kernels/optkit/kernel.json").read_text())
    assert spec2["argv"].count("--InteractiveShell.display_page=True") == 1


def _cmdlines(pid: int) -> list[str]:
    """The command line of a process and of every process it started, as /proc shows them to anyone."""
    import psutil

    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    lines = []
    for p in procs:
        try:
            lines.append(Path(f"/proc/{p.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return lines


@pytest.mark.slow
def test_lab_serves_notebooks_with_token_auth_on_loopback():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "optkit.cli", "lab", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    try:
        url = None
        deadline = time.time() + 120
        lines = []
        while time.time() < deadline and url is None:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(rf"(http://127\.0\.0\.1:{port}/lab\?token=[0-9a-f]+)", line)
            url = m and m.group(1)
        assert url, "no URL with a token printed:\n" + "".join(lines)
        token = url.split("token=")[1]
        base = f"http://127.0.0.1:{port}"
        status = None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5) as r:
                    status = r.status
                    listing = json.load(r)
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200
        # the token is on no command line: /proc/PID/cmdline is readable by every local user
        if Path(f"/proc/{proc.pid}/cmdline").exists():
            lines = _cmdlines(proc.pid)
            assert lines and "jupyterlab" in lines[0]          # the server itself (optkit lab exec'd it)
            assert not [l for l in lines if token in l], lines
        names = {item["name"] for item in listing["content"]}
        assert "00_welcome.ipynb" in names, names  # root directory is notebooks/
        # a kernel the server starts does not inherit the token (%env would show it)
        req = urllib.request.Request(f"{base}/api/kernels?token={token}", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 201
        if Path(f"/proc/{proc.pid}/environ").exists():
            kernels = []
            while time.time() < deadline and not kernels:
                kernels = [pid for pid in _descendants(proc.pid)
                           if "ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
                time.sleep(0.2)
            assert kernels, "no kernel process found"
            environ = Path(f"/proc/{kernels[0]}/environ").read_bytes().split(b"\0")
            assert not [e for e in environ if e.startswith(b"JUPYTER_TOKEN") or token.encode() in e]
        with pytest.raises(urllib.error.HTTPError) as err:  # no token: refused
            urllib.request.urlopen(f"{base}/api/contents", timeout=5)
        assert err.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as err:  # a wrong token: refused
            urllib.request.urlopen(f"{base}/api/contents?token={token[::-1]}", timeout=5)
        assert err.value.code == 403
        # listening on loopback only: the port is not bound on the other addresses
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True)
        if listening.returncode == 0 and listening.stdout.strip():
            assert all("127.0.0.1" in l or "[::1]" in l for l in listening.stdout.strip().splitlines()), listening.stdout
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# ------------------------------------------------------------------------------ bad arguments

BAD_ARGUMENTS = [
    (["bench", "crops", "--threads", "0"], "--threads"),
    (["bench", "crops", "--threads", "two"], "--threads"),
    (["bench", "crops", "--repeat", "0"], "--repeat"),
    (["bench", "crops", "--threads", "1000000"], "--threads"),
    (["bench", "pipeline", "--repeat", "100000"], "--repeat"),
    (["bench", "crops", "--boxes", "-5"], "--boxes"),
    (["bench", "crops", "--boxes", "0"], "--boxes"),
    (["bench", "crops", "--boxes", "5"], "n_boxes"),           # below what the generator makes
    (["bench", "crops", "--width", "0"], "--width"),
    (["bench", "pipeline", "--repeat", "0"], "--repeat"),
    (["bench", "pipeline", "--boxes", "0"], "--boxes"),
    (["bench", "pipeline", "--seed", "-1"], "--seed"),
    (["bench", "pipeline", "--stages", "nope"], "--stages"),
    (["bench", "pipeline", "--width", "99999"], "width"),
    (["bench"], "choose a benchmark"),
    (["bench", "nope"], "choose a benchmark"),
    (["lab", "--port", "abc"], "--port"),
    (["lab", "--port", "0"], "--port"),
    (["lab", "--port", "70000"], "--port"),
    (["lab", "--root", "/nonexistent/optkit"], "--root"),
    (["doctor", "--no-such-flag"], "unrecognized"),
    (["install-kernel", "--prefix", "/dev/null"], "--prefix"),
    (["student", "--src", "/nonexistent/optkit"], "no notebook folder"),
    (["student", "--out", "notebooks/student"], "inside the source"),
    (["student", "--out", "."], "contains the source"),
    (["student", "--out", "README.md"], "not a folder"),
    (["leaderboard"], "required"),
    (["no-such-command"], "unknown command"),
]


@pytest.mark.parametrize("argv, mentions", BAD_ARGUMENTS, ids=[" ".join(a) for a, _ in BAD_ARGUMENTS])
def test_a_bad_argument_is_one_clear_line_and_exit_2(argv, mentions, tmp_path):
    # a subprocess: on a bad --port an old `optkit lab` would exec JupyterLab in place of pytest
    proc = subprocess.Popen([sys.executable, "-m", "optkit.cli", *argv], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        import os
        import signal

        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"optkit {' '.join(argv)} ran on instead of refusing the argument:\n{out[-500:]}{err[-500:]}")
    assert "Traceback" not in err, err
    assert proc.returncode == 2, (proc.returncode, out, err)
    last = err.strip().splitlines()[-1]
    assert re.match(r"optkit( [a-z-]+)*: error: ", last), err
    assert mentions in last, last
    assert len(err) < 2000 and not out.strip() or argv == ["no-such-command"], (out, err)


def test_a_bad_port_in_the_environment_is_the_same_clear_error():
    import os

    env = dict(os.environ, PORT="abc")
    r = subprocess.run([sys.executable, "-m", "optkit.cli", "lab"], cwd=REPO, env=env, text=True,
                       capture_output=True, timeout=60, start_new_session=True)
    assert "Traceback" not in r.stderr and r.returncode == 2, r.stderr
    assert "optkit lab: error: argument --port" in r.stderr


def test_main_returns_the_status_in_process(capsys):
    assert cli.main(["bench", "crops", "--threads", "0"]) == 2
    assert "argument --threads: must be 1..1024" in capsys.readouterr().err
    assert cli.main(["doctor", "--help"]) == 0
