"""Start ``livesell serve`` as a real subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# serve refuses an admin token under 32 characters
OWNER_TOKEN = "e2e-owner-token-for-tests-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(data: Path, port: int, *extra: str, env: dict[str, str] | None = None,
          timeout: float = 15.0) -> subprocess.Popen[bytes]:
    """Launch the server and wait until /healthz answers."""
    full_env = {**os.environ, "LIVESELL_ADMIN_TOKEN": OWNER_TOKEN, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "livesell", "serve", "--data", str(data), "--port", str(port),
         *extra], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{stop(proc)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server did not answer /healthz in time:\n{stop(proc)}")


def stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is None:
        return ""
    with proc.stdout:
        return proc.stdout.read().decode()
