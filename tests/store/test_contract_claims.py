"""Contract for staff work on both stores: claims, printed marks, comment figures; and the
claims rule's Lua twin against the domain function (hypothesis, EVAL on the test Redis)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livesell.domain.claims import ClaimHeld, may_release, may_take
from livesell.store.base import Store
from tests.store.conftest import REDIS_URL
from tests.store.test_contract import NOW, order_req, setup_show


async def test_a_claim_is_one_persons_until_it_expires(store: Store) -> None:
    await setup_show(store)
    claim = await store.claim_order("s1", "dd-0001", "An", NOW, 120)
    assert (claim.code, claim.holder, claim.expires_at) == ("DD-0001", "An", NOW + 120)
    with pytest.raises(ClaimHeld) as refused:
        await store.claim_order("s1", "DD-0001", "Bình", NOW + 60, 120)
    assert refused.value.detail["claim"].holder == "An"
    # The holder renews; another show's order of the same code is another claim.
    renewed = await store.claim_order("s1", "DD-0001", "An", NOW + 60, 120)
    assert renewed.expires_at == NOW + 180
    await store.claim_order("s2", "DD-0001", "Bình", NOW, 120)
    assert [c.holder for c in await store.list_claims("s1", NOW + 100)] == ["An"]
    # Once it has run out, it is listed no more and anyone may take it.
    assert await store.list_claims("s1", NOW + 181) == []
    taken = await store.claim_order("s1", "DD-0001", "Bình", NOW + 181, 120)
    assert taken.holder == "Bình"


async def test_only_the_holder_releases_a_live_claim(store: Store) -> None:
    await setup_show(store)
    await store.claim_order("s1", "DD-0002", "An", NOW, 120)
    assert not await store.release_claim("s1", "DD-0002", "Bình", NOW + 1)
    assert [c.code for c in await store.list_claims("s1", NOW + 1)] == ["DD-0002"]
    assert await store.release_claim("s1", "DD-0002", "An", NOW + 1)
    assert await store.list_claims("s1", NOW + 1) == []
    assert not await store.release_claim("s1", "DD-0002", "An", NOW + 1)


async def test_printed_marks_and_comment_figures(store: Store) -> None:
    await setup_show(store)
    await store.capture([order_req("c1", [("A1", "500g", 1)]),
                         order_req("c2", [("A2", None, 1)], buyer="u2")], NOW)
    late = order_req("c3", [("C1", None, 1)], buyer="u3")
    late = replace(late, comment=replace(late.comment, received_at=NOW + 130))
    await store.capture([late], NOW + 130)
    stats = await store.comment_stats("s1")
    assert stats["sources"] == {"sim": 3}
    minute = int(NOW // 60) * 60
    assert sum(n for _, n in stats["minutes"]) == 3
    assert dict(stats["minutes"]) == {minute: 2, int((NOW + 130) // 60) * 60: 1}
    assert await store.comment_stats("nope") == {"minutes": [], "sources": {}}
    assert await store.printed("s1") == {}
    await store.mark_printed("s1", ["dd-0001", "DD-0002"], NOW)
    await store.mark_printed("s1", ["DD-0002"], NOW + 5)
    assert await store.printed("s1") == {"DD-0001": NOW, "DD-0002": NOW + 5}


names = st.sampled_from(["An", "Bình", "Chi"])
times = st.floats(min_value=1e9, max_value=2e9, allow_nan=False).map(lambda t: round(t, 3))


@pytest.mark.redis
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(holder=st.none() | names, who=names, expires=times, now=times,
       op=st.sampled_from(["take", "release"]))
def test_claims_lua_twin_matches_the_domain_rule(holder: str | None, who: str, expires: float,
                                                 now: float, op: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    key = f"{{lstest-{uuid.uuid4().hex[:10]}}}:claims"
    try:
        if holder is not None:
            client.hset(key, "DD-1", json.dumps({"holder": holder, "expires_at": repr(expires)}))
        from importlib import resources

        text = resources.files("livesell.store.redis").joinpath(
            "scripts/claims.lua").read_text("utf-8")
        done, _, _ = client.eval(text, 1, key, op, key, "DD-1", who, repr(now),
                                 repr(now + 120))
        rule = may_take if op == "take" else may_release
        assert bool(done) == rule(holder, expires, who, now)
    finally:
        client.delete(key)
        client.close()


async def test_duty_roster_expires(store: Store) -> None:
    from livesell.domain.claims import Duty

    await store.set_duty("s1", Duty("An", (), NOW + 90))
    await store.set_duty("s1", Duty("Bình", ("B1",), NOW + 30))
    roster = await store.list_duty("s1", NOW)
    assert [(d.holder, d.products) for d in roster] == [("An", ()), ("Bình", ("B1",))]
    assert [d.holder for d in await store.list_duty("s1", NOW + 31)] == ["An"]
    await store.set_duty("s1", Duty("An", (), NOW))  # leaving: until now
    assert [d.holder for d in await store.list_duty("s1", NOW)] == ["Bình"]
    assert await store.list_duty("s2", NOW) == []
