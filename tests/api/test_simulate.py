"""The comment-storm simulator against a real app."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from livesell.commands.simulate import CommentStorm, simulate
from livesell.domain.masking import contains_phone
from tests.conftest import OWNER, auth, seed_show


def test_storm_mixes_kinds_and_redelivers() -> None:
    storm = CommentStorm([("A1", ["500g", "1kg"]), ("A2", [""])], buyers=30, seed=3,
                         duplicate_share=0.05)
    comments = [storm.comment() for _ in range(2000)]
    ids = [c["id"] for c in comments]
    assert len(set(ids)) < len(ids)  # some re-delivered
    texts = " ".join(c["text"] for c in comments)
    assert "hủy" in texts and "?" in texts and contains_phone(texts)
    assert len({c["author"]["id"] for c in comments}) <= 30


async def test_simulate_posts_and_counts(client: TestClient) -> None:
    show = await seed_show(client)
    counts = await simulate(str(client.make_url("")), show, OWNER, rate=400, buyers=50,
                            duration=1.0, batch=20, quiet=True)
    # however fast this machine posts, every comment sent (whole batches) has its answer
    assert sum(counts.values()) >= 20 and sum(counts.values()) % 20 == 0
    assert counts["ordered"] > 0 and counts["question"] > 0
    assert not any(k.startswith("http") or k == "error" for k in counts)
    stock = await (await client.get(f"/api/shows/{show}/stock", headers=auth())).json()
    for level in stock:
        assert level["available"] >= 0
