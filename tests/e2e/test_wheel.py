"""The wheel is the product: build it, install it in a fresh venv, serve the demo from it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.e2e.serve import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(*cmd: str | Path, cwd: Path | None = None, timeout: float = 300) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.timeout(600)
def test_wheel_installs_in_a_fresh_venv_and_serves_the_demo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    out = run(sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", dist, ROOT,
              cwd=tmp_path)
    assert "SetuptoolsDeprecationWarning" not in out  # e.g. the licence table form
    [wheel] = dist.glob("livesell-*.whl")
    assert list(dist.glob("livesell-*.tar.gz"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("livesell/web/templates/viewer.html", "livesell/web/i18n/common.json",
                   "livesell/web/static/js/live.js", "livesell/demo/catalog.yaml"):
        assert needed in names, needed
    assert any(n.startswith("livesell/web/static/vendor/") for n in names)
    assert not any(n.startswith(("tests/", "bench/", "web/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel,
        timeout=480)

    port = free_port()
    data = tmp_path / "data"
    # run from an unrelated folder so nothing of the checkout can be imported by accident
    proc = subprocess.Popen(
        [str(env_dir / "bin" / "livesell"), "serve", "--demo", "--port", str(port),
         "--data", str(data)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={"PATH": "/usr/bin:/bin", "LIVESELL_ADMIN_TOKEN": "w" * 40})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, body = get(base + "/api/shows")
        assert status == 200
        show = json.loads(body)["shows"][0]["id"]
        status, home = get(base + "/")
        assert status == 200
        code = re.search(rb'href="/p/([A-Za-z0-9]+)"', get(f"{base}/s/{show}")[1])
        pages = ["/", f"/s/{show}", f"/s/{show}/overlay", "/login", "/readyz", "/metrics",
                 "/static/js/live.js", "/static/css/site.css"]
        if code:
            pages.append(f"/p/{code.group(1).decode()}")
        for page in pages:
            assert get(base + page)[0] == 200, page
    finally:
        proc.terminate()
        proc.wait(15)
        if proc.stdout is not None:
            proc.stdout.close()
