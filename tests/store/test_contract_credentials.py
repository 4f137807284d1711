"""Revoking tokens and removing users, on both stores (the contract fixture runs each)."""

from __future__ import annotations

from livesell.store.base import Store

NOW = 1_800_000_000.0


async def test_revoke_tokens_by_hash_and_by_name(store: Store) -> None:
    epoch = await store.credentials_epoch()
    await store.add_token("h1", "staff", "desk", NOW)
    await store.add_token("h2", "staff", "desk", NOW)
    await store.add_token("h3", "host", "lan", NOW)
    assert await store.revoke_tokens(token_hash="h1") == 1
    assert await store.token_role("h1") is None
    assert await store.credentials_epoch() == epoch + 1
    assert await store.revoke_tokens(name="desk") == 1
    assert await store.token_role("h2") is None
    assert await store.token_role("h3") == ("host", "lan")
    assert await store.revoke_tokens(token_hash="nope") == 0
    assert await store.credentials_epoch() == epoch + 2


async def test_remove_user(store: Store) -> None:
    await store.add_user("lan", "host", "scrypt$x", NOW)
    epoch = await store.credentials_epoch()
    assert await store.remove_user("lan") is True
    assert await store.get_user("lan") is None
    assert await store.remove_user("lan") is False
    assert await store.credentials_epoch() == epoch + 1
