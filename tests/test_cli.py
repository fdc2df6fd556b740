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


def test_lab_command_is_local_with_a_token(monkeypatch):
    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    cmd = cli.lab_command(8899, REPO / "notebooks", token="abc")
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port=8899" in cmd
    assert "--IdentityProvider.token=abc" in cmd
    assert f"--ServerApp.root_dir={REPO / 'notebooks'}" in cmd
    assert "--allow-root" not in cmd
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    assert "--allow-root" in cli.lab_command(8899, REPO / "notebooks", token="abc")


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
        names = {item["name"] for item in listing["content"]}
        assert "00_welcome.ipynb" in names, names  # root directory is notebooks/
        with pytest.raises(urllib.error.HTTPError) as err:  # no token: refused
            urllib.request.urlopen(f"{base}/api/contents", timeout=5)
        assert err.value.code in (401, 403)
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
