"""The Lua twin of ``domain.buyers.hoard_room`` answers as the Python rule does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis

from livesell.domain.buyers import hoard_room

from .conftest import REDIS_URL

pytestmark = pytest.mark.redis

LIMITS = resources.files("livesell.store").joinpath("redis/scripts/limits.lua").read_text()
SCRIPT = LIMITS + """
local a = cjson.decode(ARGV[1])
local qty, notes = hoard_room(a[1], a[2], a[3], a[4], a[5], a[6])
return cjson.encode({qty, notes})
"""


@pytest.fixture
def redis() -> Iterator[Redis]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    client.close()


small = st.integers(min_value=0, max_value=40)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # stateless client
@given(qty=st.integers(min_value=1, max_value=50), show_units=small, anonymous_cap=small,
       has_phone=st.booleans(), origin_units=small, origin_cap=small)
def test_lua_hoard_room_matches_the_domain(
        redis: Redis, qty: int, show_units: int, anonymous_cap: int, has_phone: bool,
        origin_units: int, origin_cap: int) -> None:
    args = [qty, show_units, anonymous_cap, has_phone, origin_units, origin_cap]
    out = json.loads(redis.eval(SCRIPT, 0, json.dumps(args)))
    want_qty, want_notes = hoard_room(*args)  # type: ignore[arg-type]
    assert out[0] == want_qty
    assert (out[1] or []) == list(want_notes)
