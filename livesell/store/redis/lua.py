"""The Lua scripts of the Redis store: loaded once, called by SHA, reloaded on ``NOSCRIPT``.

Each script is the rule tables (``RULES``, Lua table literals generated here from the
domain's own tables), ``rules.lua`` (the Lua twins of the domain's rule functions),
``common.lua`` (the write buffer, stock and order helpers), optionally ``items.lua`` (adding
items to a buyer's order), then its own body; see ``scripts/``.

Every call passes one key, ``{prefix}:seq``, so a Redis Cluster client routes it to the slot
that holds all of the deployment's keys; the scripts derive the other key names from the
prefix argument, all under the same hash tag, hence the same slot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError

from ...domain import first_paid, inventory, orders

# script name -> the files it is made of, in order
LAYOUT: dict[str, tuple[str, ...]] = {
    "capture": ("common", "limits", "first_paid", "items", "buyers", "capture"),
    "review": ("common", "limits", "first_paid", "items", "review"),
    "action": ("common", "first_paid", "action"),
    "patch": ("common", "limits", "first_paid", "items", "patch"),
    "expire": ("common", "expire"),
    "dismiss": ("common", "dismiss"),
    "products": ("common", "products"),
    "adjust": ("common", "adjust"),
    "stock": ("common", "stock"),
    "catalog": ("common", "catalog"),
    "payments": ("common", "first_paid", "payments"),
}


def rule_tables() -> dict[str, Any]:
    """The domain's rule tables as the Lua twins read them (``RULES`` in every script)."""
    return {
        "actions": {name: {"from": {str(s): True for s in allowed}, "to": str(target)}
                    for name, (allowed, target) in orders.ACTIONS.items()},
        "needs_held": {name: True for name in orders.NEEDS_HELD},
        "promised": {str(s): True for s in orders.PROMISED},
        "closed_lines": {str(s): True for s in orders.CLOSED_LINES},
        "on_payment": {str(a): str(b) for a, b in first_paid.ON_PAYMENT.items()},
        "line_after": {action: {str(a): str(b) for a, b in table.items()}
                       for action, table in orders.LINE_AFTER.items()},
        "editable": {str(s): str(state) for s, state in orders.EDITABLE.items()},
        "give_back": {str(s): rank for s, rank in orders.GIVE_BACK_ORDER.items()},
        "cancellable": {str(s): True for s in orders.CANCELLABLE},
        "books": {str(s): column for s, column in inventory.BOOKS.items()},
        "counted": {str(s): True for s in inventory.COUNTED_STATES},
    }


def lua_literal(value: Any) -> str:
    """A Lua table constructor for nested dicts of strings, numbers and booleans."""
    if isinstance(value, dict):
        fields = ", ".join(f"[{lua_literal(k)}] = {lua_literal(v)}"
                           for k, v in sorted(value.items()))
        return "{" + fields + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"no Lua literal for {value!r}")


def part(name: str) -> str:
    """One file of ``scripts/``."""
    return resources.files(__package__).joinpath("scripts", f"{name}.lua").read_text("utf-8")


def rules_source() -> str:
    """The rule tables and ``rules.lua``: the start of every script.

    Each table is built on first use: a script runs afresh on every call and reads only a
    few of them, and building all of them would cost more than the rules themselves.
    """
    builders = "".join(f"  {name} = function() return {lua_literal(value)} end,\n"
                       for name, value in sorted(rule_tables().items()))
    return ("local RULES_OF = {\n" + builders + "}\n"
            "local RULES = setmetatable({}, {__index = function(t, name)\n"
            "  local value = RULES_OF[name]()\n"
            "  rawset(t, name, value)\n"
            "  return value\n"
            "end})\n" + part("rules"))


def source(name: str) -> str:
    """The full text of one script."""
    return "\n".join([rules_source(), *(part(p) for p in LAYOUT[name])])


class Scripts:
    """The registered scripts of one client."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self.by_name: dict[str, AsyncScript] = {
            name: client.register_script(source(name)) for name in LAYOUT}

    async def run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """EVALSHA one script; redis-py loads it and retries once if the server lost it."""
        return await self.by_name[name](keys=keys, args=args)

    async def stream(self, name: str, keys: Sequence[str], argv: Iterable[Sequence[Any]],
                     take: Callable[[int, bytes], None]) -> None:
        """EVALSHA one script per argument list, in order, on one connection: each call is
        sent as soon as its arguments are built, and each answer (undecoded) is handed to
        ``take(index, answer)`` as soon as it arrives.

        A pipeline waits for every answer before the caller sees any; here the caller builds
        the next call and decodes the last answer while the server runs the calls between, so
        the two processes work side by side instead of in turn. One connection, in order: the
        calls run in the order given. A lost connection repeats the exchange, as a pipeline's
        retry does (the scripts are safe to retry); calls refused with ``NOSCRIPT`` did not
        run and are made again, alone, once the script is loaded.
        """
        script = self.by_name[name]
        built: list[Sequence[Any]] = []
        fresh = iter(argv)
        missing: list[int] = []
        pool = self.client.connection_pool
        conn = await pool.get_connection()  # type: ignore[no-untyped-call]

        async def send(args: Sequence[Any], first: bool) -> None:
            await conn.send_packed_command(
                conn.pack_command("EVALSHA", script.sha, len(keys), *keys, *args),
                check_health=first)

        async def exchange(only: Sequence[int] | None) -> None:
            chosen = list(range(len(built)) if only is None else only)
            missing.clear()
            for n, i in enumerate(chosen):  # a retry sends again what was sent before
                await send(built[i], n == 0)
            if only is None:
                for args in fresh:
                    built.append(args)
                    chosen.append(len(built) - 1)
                    await send(args, len(chosen) == 1)
            failed: ResponseError | None = None
            for i in chosen:
                try:
                    raw = await conn.read_response(disable_decoding=True)
                except NoScriptError:
                    missing.append(i)
                    continue
                except ResponseError as exc:  # read on: the connection stays in step
                    failed = failed or exc
                    continue
                take(i, raw)
            if failed is not None:
                raise failed

        async def reset(_error: Exception) -> None:
            await conn.disconnect()

        try:
            await conn.retry.call_with_retry(lambda: exchange(None), reset)
            if missing:
                script.sha = await self.client.script_load(script.script)
                again = list(missing)
                await conn.retry.call_with_retry(lambda: exchange(again), reset)
                if missing:
                    raise NoScriptError("NOSCRIPT the script was lost again while reloading")
        except BaseException:
            await conn.disconnect()  # answers may be left unread on it
            raise
        finally:
            await pool.release(conn)
