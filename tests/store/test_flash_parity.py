"""The flash-quota rule and its Lua twin give the same answer for any input (EVAL on the test
Redis): ``domain.flash.returned_to_quota`` vs ``flash_return`` in ``common.lua``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from livesell.domain.flash import returned_to_quota
from livesell.domain.models import FlashDeal
from livesell.store.redis.lua import rules_source
from tests.store.conftest import REDIS_URL

pytestmark = pytest.mark.redis

BODY = """
local flash = cjson.decode(ARGV[3])
local line = cjson.decode(ARGV[4])
return flash_return(flash, line, tonumber(ARGV[5]))
"""

codes = st.sampled_from(["A1", "a1", "B2", "CUA2"])
labels = st.sampled_from(["500g", "500G", "1kg", "", "Hũ 500g", "hũ 500g", "HŨ 500G"])
stamps = st.floats(min_value=1_799_999_990, max_value=1_800_000_010, allow_nan=False)


@pytest.fixture(scope="module")
def script() -> str:
    folder = resources.files("livesell.store.redis").joinpath("scripts")
    return rules_source() + folder.joinpath("common.lua").read_text("utf-8") + BODY


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


def flash_doc(flash: FlashDeal | None) -> Any:
    return None if flash is None else flash.to_json()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flash=st.none() | st.builds(
        FlashDeal, code=codes, price=st.sampled_from([99_000, 150_000]),
        ends_at=st.just(1_800_000_600.0), variant=st.none() | labels,
        quantity=st.none() | st.integers(1, 20), taken=st.integers(0, 20),
        started_at=stamps),
    code=codes, variant=labels, unit_price=st.sampled_from([99_000, 150_000, 190_000]),
    created_at=stamps, qty=st.integers(0, 25))
async def test_lua_twin_matches_the_domain(redis: Redis, script: str, flash: FlashDeal | None,
                                           code: str, variant: str, unit_price: int,
                                           created_at: float, qty: int) -> None:
    expected = returned_to_quota(flash, code, variant, unit_price, created_at, qty)
    # Stored documents keep timestamps as exact decimal strings (see common.lua).
    line = {"code": code, "variant": variant, "unit_price": unit_price,
            "created_at": repr(created_at)}
    answer = await redis.eval(script, 1, "{lsparity}:seq", "{lsparity}", "1800000000.0",
                              json.dumps(flash_doc(flash), ensure_ascii=False),
                              json.dumps(line, ensure_ascii=False), qty)
    assert int(answer) == expected
