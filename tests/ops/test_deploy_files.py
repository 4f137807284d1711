"""The deployment files keep their shape (no Docker needed): compose, Caddyfile, Dockerfile."""

from __future__ import annotations

from pathlib import Path

import yaml

from livesell.config import setting_names

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_two_nodes_on_redis_with_aof_behind_a_proxy() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"node1", "node2", "redis", "proxy"} <= set(services)
    for node in ("node1", "node2"):
        env = services[node]["environment"]
        assert env["LIVESELL_STORE"].startswith("redis://redis:")
        assert services[node]["depends_on"]["redis"]["condition"] == "service_healthy"
        for key in env:  # every variable names a real setting
            assert key.removeprefix("LIVESELL_").lower() in setting_names(), key
    assert "--appendonly" in services["redis"]["command"]
    assert services["redis"]["command"][services["redis"]["command"].index("--appendonly") + 1] \
        == "yes"
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]


def test_caddyfile_balances_both_nodes_with_sticky_cookie_and_readiness() -> None:
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy node1:8080 node2:8080" in caddy
    assert "lb_policy cookie" in caddy and "health_uri /readyz" in caddy


def test_dockerfile_runs_as_non_root_with_a_healthcheck_and_a_volume() -> None:
    docker = (ROOT / "Dockerfile").read_text()
    assert "USER livesell" in docker and "HEALTHCHECK" in docker and "/healthz" in docker
    assert 'VOLUME ["/data"]' in docker
    env_example = (ROOT / "deploy" / ".env.example").read_text()
    for line in env_example.splitlines():
        if line and not line.startswith("#"):
            key = line.split("=", 1)[0]
            if key != "LIVESELL_DOMAIN":
                assert key.removeprefix("LIVESELL_").lower() in setting_names(), key
