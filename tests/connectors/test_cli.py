"""``livesell connectors``: check the config; list, stop and start on a running server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from livesell import keys
from livesell.cli import main
from tests.conftest import OWNER, seed_show
from tests.connectors.conftest import AppFactory
from tests.connectors.fakes import eventually
from tests.connectors.fakes.relays import FakeRelay


def test_check_lists_the_configured_connectors(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("connectors:\n  - {kind: ssn, show: s1, session: abc}\n"
                      "  - {kind: twitch, show: s1, channel: htx, enabled: false}\n")
    assert main(["connectors", "check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "0\tssn\tshow s1\ton" in out and "1\ttwitch\tshow s1\toff" in out
    config.write_text("connectors:\n  - {kind: ssn, show: s1}\n")
    assert main(["connectors", "check", "--config", str(config)]) == 2


@pytest.mark.parametrize("make_app", ["sqlite"], indirect=True)
async def test_list_stop_start_on_a_running_server(make_app: AppFactory, aiohttp_server: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    relay = FakeRelay()
    await relay.start()
    try:
        first = await make_app()
        show = await seed_show(first)
        await first.close()
        client = await make_app(connectors=[{"kind": "ssn", "show": show, "url": relay.url}])
        server: TestServer = client.server
        url = str(server.make_url("")).rstrip("/")
        base = ["--show", show, "--url", url, "--token", OWNER]

        def cli(*words: str) -> int:
            return main(["connectors", *words, *base])

        assert await asyncio.to_thread(cli, "list") == 0
        assert '"kind": "ssn"' in capsys.readouterr().out
        assert await asyncio.to_thread(cli, "stop", "0") == 0
        assert '"state": "stopped"' in capsys.readouterr().out
        assert await asyncio.to_thread(cli, "start", "0") == 0
        assert await asyncio.to_thread(cli, "stop") == 2
        assert await asyncio.to_thread(cli, "stop", "7") == 1
        # The same health, as Prometheus figures.
        runner = client.app[keys.CONNECTORS]
        await eventually(lambda: runner.statuses(show)[0].state == "live")
        text = await (await client.get("/metrics")).text()
        assert f'livesell_connector_up{{connector="social stream ninja relay",show="{show}"}} 1.0' \
            in text
    finally:
        await relay.stop()
