"""The Lua scripts of the Redis store: loaded once, called by SHA, reloaded on ``NOSCRIPT``.

Each write script is ``common.lua`` (the write buffer, stock and order helpers), optionally
``items.lua`` (adding items to a buyer's order), then its own body; see ``scripts/``.

Every call passes one key, ``{prefix}:seq``, so a Redis Cluster client routes it to the slot
that holds all of the deployment's keys; the scripts derive the other key names from the
prefix argument, all under the same hash tag, hence the same slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

# script name -> the files it is made of, in order
LAYOUT: dict[str, tuple[str, ...]] = {
    "capture": ("common", "items", "capture"),
    "review": ("common", "items", "review"),
    "action": ("common", "action"),
    "patch": ("common", "items", "patch"),
    "expire": ("common", "expire"),
    "dismiss": ("common", "dismiss"),
    "products": ("common", "products"),
    "adjust": ("common", "adjust"),
    "stock": ("common", "stock"),
    "catalog": ("common", "catalog"),
}


def source(name: str) -> str:
    """The full text of one script."""
    folder = resources.files(__package__).joinpath("scripts")
    return "\n".join(folder.joinpath(f"{part}.lua").read_text("utf-8")
                     for part in LAYOUT[name])


class Scripts:
    """The registered scripts of one client."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.by_name: dict[str, AsyncScript] = {
            name: client.register_script(source(name)) for name in LAYOUT}

    async def run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """EVALSHA one script; redis-py loads it and retries once if the server lost it."""
        return await self.by_name[name](keys=keys, args=args)

    async def run_many(self, name: str, keys: Sequence[str],
                       argv: Sequence[Sequence[Any]]) -> list[Any]:
        """EVALSHA one script per argument list, pipelined in one round trip.

        A call refused with ``NOSCRIPT`` did not run, so after reloading the script only those
        calls are made again; the others ran exactly once.
        """
        script = self.by_name[name]
        pipe = self.client.pipeline(transaction=False)
        for args in argv:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        answers: list[Any] = await pipe.execute(raise_on_error=False)
        missing = [i for i, a in enumerate(answers) if isinstance(a, NoScriptError)]
        if missing:
            script.sha = await self.client.script_load(script.script)
            for i in missing:
                answers[i] = await script(keys=keys, args=argv[i])
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        return answers
