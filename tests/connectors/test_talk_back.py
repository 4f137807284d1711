"""Talk back: each captured buyer hears back on their platform, once, in the right shape; a
public reply never carries the link, a phone or an address; failures are kept for staff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from livesell import keys
from livesell.connectors.base import PlatformError
from livesell.connectors.replies import Reply, ReplyQueue
from livesell.domain.models import CaptureResult, CommentStatus
from livesell.domain.replies import ReplyLine, reply_text, scrub
from tests.conftest import auth, seed_show
from tests.connectors.fakes import (
    FakeFacebook,
    FakeTwitch,
    FakeYouTube,
    eventually,
    held,
    wait_until,
)
from tests.connectors.test_facebook_hooks import POST, change, delivery, sign

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05}
PUBLIC = "https://shop.example.vn"


async def serve(aiohttp_server: Any, app: Any) -> str:
    server: TestServer = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


async def settled(client: TestClient, show: str) -> dict[str, Any]:
    """The replies once none is waiting any more."""
    async def done() -> bool:
        return (await replies(client, show))["queued"] == 0

    await wait_until(done)
    return await replies(client, show)


async def replies(client: TestClient, show: str) -> dict[str, Any]:
    resp = await client.get(f"/api/shows/{show}/replies", headers=auth("test-staff-token"))
    assert resp.status == 200
    return dict(await resp.json())


@pytest.fixture
async def graph(aiohttp_server: Any) -> AsyncIterator[tuple[FakeFacebook, str]]:
    fake = FakeFacebook()
    yield fake, await serve(aiohttp_server, fake.app())


async def fb_client(aiohttp_client: Any, settings: Any, url: str, mode: str) -> TestClient:
    from livesell.app import create_app
    from livesell.http.auth import hash_token
    from tests.conftest import ROLE_TOKENS

    app = create_app(settings.with_(facebook_page_token="fb-secret-token", facebook_reply=mode,
                                    facebook_graph_url=url, public_url=PUBLIC + "/"))
    client: TestClient = await aiohttp_client(app)
    for role, token in ROLE_TOKENS.items():
        await app[keys.STORE].add_token(hash_token(token), role, role, 0.0)
    return client


def test_reply_texts_in_both_languages() -> None:
    lines = [ReplyLine("A1", "1kg", 2, False), ReplyLine("C1", "", 1, True)]
    text = reply_text("vi", "DD-0042", lines, 720_000, "https://s.vn/o/DD-0042?t=abc")
    assert text.startswith("Shop đã giữ A1 1kg x2 cho bạn. Mã đơn DD-0042, tổng 720.000\u00a0₫.")
    assert "C1 x1 tạm hết" in text and text.endswith("https://s.vn/o/DD-0042?t=abc")
    public = reply_text("en", "DD-0042", lines[:1], 720_000)
    assert public == ("We are holding A1 1kg x2 for you. Order DD-0042, total 720.000\u00a0₫. "
                      "We will message you to confirm.")
    many = [ReplyLine(f"SP{i}", "500g", 1, False) for i in range(40)]
    assert len(reply_text("vi", "DD-1", many, 1)) <= 200
    assert scrub("gọi 0912 345 678 hoặc +84 912.345.678 nhé") == "gọi hoặc nhé"


async def test_facebook_buyer_gets_one_private_reply_with_the_link(
        aiohttp_client: Any, settings: Any, graph: tuple[FakeFacebook, str]) -> None:
    fake, url = graph
    client = await fb_client(aiohttp_client, settings, url, "private")
    show = await seed_show(client, facebook_post_id=POST, talk_back=True)
    raw = delivery(change("add", "1", "chốt A2 x2 sdt 0912345678 giao 12 Lê Lợi"))
    assert (await client.post("/hooks/facebook", data=raw, headers=sign(raw))).status == 200
    await eventually(lambda: fake.replies)
    [order] = await client.app[keys.STORE].list_orders(show)
    [sent] = fake.replies
    assert sent["comment"] == "998877_1" and sent["edge"] == "private_replies"
    assert order.code in sent["message"] and "240.000" in sent["message"]
    assert order.buyer_url(PUBLIC) in sent["message"]
    assert "0912345678" not in sent["message"] and "Lê Lợi" not in sent["message"]
    # Facebook re-delivers the webhook: still one reply.
    assert (await client.post("/hooks/facebook", data=raw, headers=sign(raw))).status == 200
    body = await settled(client, show)
    assert body["sent"] == 1 and body["failed"] == 0 and len(fake.replies) == 1


async def test_public_comment_reply_never_carries_link_or_contact(
        aiohttp_client: Any, settings: Any, graph: tuple[FakeFacebook, str]) -> None:
    fake, url = graph
    client = await fb_client(aiohttp_client, settings, url, "comment")
    show = await seed_show(client, facebook_post_id=POST, talk_back=True)
    fake.reply_faults.append((500, 2))  # a passing failure: retried
    raw = delivery(change("add", "1", "chốt A2 0912345678", name="Bình 0987654321"))
    await client.post("/hooks/facebook", data=raw, headers=sign(raw))
    await eventually(lambda: fake.replies)
    [sent] = fake.replies
    assert sent["edge"] == "comments"
    assert "/o/" not in sent["message"] and "?t=" not in sent["message"]
    assert "0912345678" not in sent["message"] and "0987654321" not in sent["message"]
    [reply] = (await settled(client, show))["replies"]
    assert reply["state"] == "sent" and reply["attempts"] == 2 and reply["private"] is False


async def test_no_reply_unless_the_show_opted_in(
        aiohttp_client: Any, settings: Any, graph: tuple[FakeFacebook, str]) -> None:
    fake, url = graph
    client = await fb_client(aiohttp_client, settings, url, "private")
    show = await seed_show(client, facebook_post_id=POST)
    raw = delivery(change("add", "1", "chốt A2"), change("add", "2", "hello", user="u2"))
    await client.post("/hooks/facebook", data=raw, headers=sign(raw))
    assert (await held(client, show))["A2:"] == 1
    assert (await replies(client, show))["replies"] == []
    resp = await client.post(f"/api/shows/{show}/talkback", json={"enabled": True},
                             headers=auth())
    assert resp.status == 200 and (await resp.json())["talk_back"] is True
    raw = delivery(change("add", "3", "chốt A2", user="u3"), change("add", "4", "xinh", user="u4"))
    await client.post("/hooks/facebook", data=raw, headers=sign(raw))
    await eventually(lambda: fake.replies)
    assert [r["comment"] for r in fake.replies] == ["998877_3"]  # chatter gets no reply
    bad = await client.post(f"/api/shows/{show}/talkback", json={"enabled": "yes"},
                            headers=auth())
    assert bad.status == 400


async def test_a_refused_reply_is_failed_and_shown(
        aiohttp_client: Any, settings: Any, graph: tuple[FakeFacebook, str]) -> None:
    fake, url = graph
    client = await fb_client(aiohttp_client, settings, url, "private")
    show = await seed_show(client, facebook_post_id=POST, talk_back=True)
    fake.reply_faults.append((403, 10))  # permission refused: no retry will fix it
    raw = delivery(change("add", "1", "chốt A2"))
    await client.post("/hooks/facebook", data=raw, headers=sign(raw))

    async def failed() -> bool:
        return (await replies(client, show))["failed"] == 1

    deadline = asyncio.get_running_loop().time() + 10
    while not await failed():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    [reply] = (await replies(client, show))["replies"]
    assert reply["attempts"] == 1 and "403" in reply["error"] and fake.replies == []


async def test_youtube_reply_is_a_chat_message_insert(
        client: TestClient, aiohttp_server: Any) -> None:
    show = await seed_show(client, talk_back=True)
    youtube = FakeYouTube()
    youtube.say("LCC.1", "chốt A2", channel="UC1")
    youtube.say("LCC.2", "chốt C1", channel="UC2")
    youtube.insert_faults.append((403, "quotaExceeded"))
    from livesell.connectors.runner import parse_connectors
    from livesell.connectors.supervisor import ConnectorRunner

    [spec] = parse_connectors([{"kind": "youtube", "show": show, "video_id": youtube.video_id,
                                "api_key": youtube.api_key, "oauth_token": youtube.oauth_token,
                                "base_url": await serve(aiohttp_server, youtube.app()),
                                **FAST}], {})
    queue = ReplyQueue(client.app[keys.STORE], PUBLIC, "vi", retry_initial=0.01,
                       retry_max=0.02)
    runner = ConnectorRunner(client.app[keys.SERVICE], [spec], replies=queue)
    runner.start_all()
    try:
        await eventually(lambda: youtube.inserted and len(queue.recent(show)) == 2
                         and all(r.state != "queued" for r in queue.recent(show)))
    finally:
        await runner.close()
    [body] = youtube.inserted
    snippet = body["snippet"]
    assert snippet["type"] == "textMessageEvent" and snippet["liveChatId"] == youtube.chat_id
    assert "Mã đơn" in snippet["textMessageDetails"]["messageText"]
    assert "/o/" not in snippet["textMessageDetails"]["messageText"]
    states = sorted(r.state for r in queue.recent(show))
    assert states == ["failed", "sent"]
    assert spec.connector.health.quota_used >= 100  # type: ignore[attr-defined]


async def test_twitch_reply_is_a_privmsg_to_the_comment(client: TestClient) -> None:
    show = await seed_show(client, talk_back=True)
    twitch = FakeTwitch()
    await twitch.start()
    from livesell.connectors.runner import parse_connectors
    from livesell.connectors.supervisor import ConnectorRunner

    try:
        [spec] = parse_connectors([{"kind": "twitch", "show": show, "channel": twitch.channel,
                                    "nick": "htxbot", "oauth_token": "abc", "url": twitch.url,
                                    **FAST}], {})
        queue = ReplyQueue(client.app[keys.STORE], PUBLIC, "en")
        runner = ConnectorRunner(client.app[keys.SERVICE], [spec], replies=queue)
        runner.start_all()
        try:
            await eventually(twitch.live)
            await twitch.send(twitch.privmsg("m-1", "chốt A2", user_id="7", login="an"))

            def privmsgs() -> list[str]:
                return [line for lines in twitch.received for line in lines
                        if "PRIVMSG" in line]

            await eventually(privmsgs)
        finally:
            await runner.close()
        [line] = privmsgs()
        assert line.startswith("@reply-parent-msg-id=m-1 PRIVMSG #shopchannel :We are holding")
    finally:
        await twitch.stop()


class Recorder:
    platform = "sim"
    private = False

    def __init__(self, interval: float, fail: int = 0) -> None:
        self.interval = interval
        self.fail = fail
        self.sent: list[tuple[float, str]] = []

    async def send(self, reply: Reply, comment: Mapping[str, Any]) -> None:
        if self.fail:
            self.fail -= 1
            raise PlatformError(429, "slow down")
        self.sent.append((asyncio.get_running_loop().time(), reply.comment_id))


async def test_replies_are_paced_retried_and_never_repeated(client: TestClient) -> None:
    show = await seed_show(client)
    service = client.app[keys.SERVICE]
    comments = [{"source": "sim", "id": f"s{i}", "author": {"id": f"b{i}", "name": "B"},
                 "text": "chốt A2"} for i in range(3)]
    results = await service.ingest(show, comments, "sim")
    store = client.app[keys.STORE]
    queue = ReplyQueue(store, PUBLIC, "vi", retry_initial=0.01, retry_max=0.02)
    sender = Recorder(0.15, fail=1)
    queue.add_sender(sender, show)
    assert await queue.captured(show, True, comments, results) == 3
    assert await queue.captured(show, True, comments, results) == 0
    await eventually(lambda: [r.state for r in queue.recent(show)] == ["sent"] * 3)
    await queue.close()
    assert len(sender.sent) == 3
    times = [at for at, _ in sender.sent]
    assert all(b - a >= 0.14 for a, b in zip(times, times[1:], strict=False))
    # After a restart, the store remembers what was answered.
    again = ReplyQueue(store, PUBLIC, "vi")
    again.add_sender(Recorder(0.01), show)
    assert await again.captured(show, True, comments, results) == 0
    chatter = [CaptureResult("x", CommentStatus.QUESTION)]
    assert await again.captured(show, True, [{"source": "sim", "id": "x"}], chatter) == 0


async def test_an_edit_without_its_text_is_read_back_from_facebook(
        aiohttp_client: Any, settings: Any, graph: tuple[FakeFacebook, str]) -> None:
    fake, url = graph
    client = await fb_client(aiohttp_client, settings, url, "private")
    show = await seed_show(client, facebook_post_id=POST)
    raw = delivery(change("add", "1", "chốt A2"))
    await client.post("/hooks/facebook", data=raw, headers=sign(raw))
    fake.comments.append({"id": "998877_1", "message": "chốt A2 x4"})  # its text now
    raw = delivery(change("edited", "1"))  # no message in the change
    assert (await client.post("/hooks/facebook", data=raw, headers=sign(raw))).status == 200
    resp = await client.get(f"/api/shows/{show}/review", headers=auth())
    [item] = (await resp.json())["review"]
    assert item["text"] == "chốt A2 x4"
    # Graph refusing the read still answers Facebook 200 (no retry storm), and says why.
    fake.token = "rotated"
    raw = delivery(change("add", "2", user="u2"))
    assert (await client.post("/hooks/facebook", data=raw, headers=sign(raw))).status == 200
    [hook] = client.app[keys.CONNECTORS].statuses(show)
    assert "reading comment" in hook.last_error
