"""``livesell simulate``: post a realistic comment storm to a running server.

Comments are written the way viewers write them (codes, quantities, variants, phones, with
and without diacritics), from a pool of repeat buyers, with cancels, questions, chat and
re-delivered duplicates mixed in. Used for demos, load tests and benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

FIRST = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Ngọc", "Minh", "Thanh", "Hoàng", "Kim", "Bảo"]
LAST = ["An", "Bình", "Cúc", "Dũng", "Hạnh", "Hậu", "Lan", "Mai", "Phúc", "Tâm", "Trinh", "Yến"]
ORDER_STYLES = [
    "chốt {code} {qty}", "chot {code} x{qty}", "{code} {variant} x{qty}", "lấy {code} {qty} hộp",
    "mua {code} sl {qty}", "{code}", "chốt đơn {code} {variant} {qty} sdt {phone}",
    "e lấy {code} {qty} nha shop", "+{qty}", "đặt {code} {variant}", "{code} x{qty} {phone}",
    "chốt {code} {variant} x{qty} ❤️", "cho mình {qty} {code} nha", "#{code} {qty}",
]
CANCEL_STYLES = ["hủy {code}", "huy don", "thôi không lấy nữa", "bỏ {code} nha shop"]
QUESTION_STYLES = ["{code} giá bao nhiêu vậy shop?", "còn hàng không shop", "ship Cà Mau bao lâu?",
                   "{code} còn ko ạ", "how much {code}?"]
CHAT_STYLES = ["shop ơi xinh quá", "hàng đẹp quá", "chào shop nha", "đã chốt rồi nha",
               "cua chắc thịt không shop", "live hôm nay vui quá 😍", "năm 2026 rồi"]


def phone(rng: random.Random) -> str:
    digits = "09" + "".join(rng.choice("0123456789") for _ in range(8))
    form = rng.randrange(4)
    if form == 0:
        return digits
    if form == 1:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    if form == 2:
        return f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


@dataclass
class CommentStorm:
    """Generates comments for a lineup: ``[(code, [variant labels])]``."""

    lineup: list[tuple[str, list[str]]]
    buyers: int = 500
    seed: int = 7
    source: str = "sim"
    order_share: float = 0.6
    duplicate_share: float = 0.02
    rng: random.Random = field(init=False)
    sent: list[dict[str, Any]] = field(default_factory=list)
    n: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.names = [f"{self.rng.choice(FIRST)} {self.rng.choice(MIDDLE)} "
                      f"{self.rng.choice(LAST)}" for _ in range(self.buyers)]

    def text(self) -> str:
        rng = self.rng
        code, variants = rng.choice(self.lineup)
        roll = rng.random()
        if roll < self.order_share:
            style = rng.choice(ORDER_STYLES)
        elif roll < self.order_share + 0.08:
            style = rng.choice(CANCEL_STYLES)
        elif roll < self.order_share + 0.22:
            style = rng.choice(QUESTION_STYLES)
        else:
            style = rng.choice(CHAT_STYLES)
        variant = rng.choice(variants) if variants and variants[0] else ""
        if len(variants) > 1 and "{code}" in style and "{variant}" not in style \
                and rng.random() < 0.8:
            style += " {variant}"  # most viewers name the size when there are several
        qty = rng.choice([1, 1, 1, 2, 2, 3])
        return " ".join(style.format(code=code, qty=qty, variant=variant,
                                     phone=phone(rng)).split())

    def comment(self) -> dict[str, Any]:
        if self.sent and self.rng.random() < self.duplicate_share:
            return self.rng.choice(self.sent[-200:])  # a platform re-delivering a comment
        self.n += 1
        buyer = self.rng.randrange(self.buyers)
        item = {"source": self.source, "id": f"{self.seed}-{self.n}",
                "author": {"id": f"u{buyer}", "name": self.names[buyer]}, "text": self.text()}
        self.sent.append(item)
        if len(self.sent) > 1000:
            del self.sent[:500]
        return item

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        while True:
            yield [self.comment() for _ in range(size)]


async def lineup_of(session: aiohttp.ClientSession, url: str,
                    show: str) -> list[tuple[str, list[str]]]:
    async with session.get(f"{url}/api/shows/{show}") as resp:
        if resp.status != 200:
            raise SystemExit(f"error: show {show} not found at {url} ({resp.status})")
        snapshot = await resp.json()
    return [(p["code"], [v["label"] for v in p["variants"]]) for p in snapshot["lineup"]]


async def simulate(url: str, show: str, token: str, rate: float, buyers: int, duration: float,
                   batch: int = 20, seed: int = 7, quiet: bool = False) -> Counter[str]:
    """Post ``rate`` comments a second for ``duration`` seconds; returns status counts."""
    url = url.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    counts: Counter[str] = Counter()
    async with aiohttp.ClientSession(headers=headers) as session:
        storm = CommentStorm(await lineup_of(session, url, show), buyers, seed)
        period = batch / rate
        start = time.monotonic()
        pending: set[asyncio.Task[None]] = set()

        async def post(comments: list[dict[str, Any]]) -> None:
            try:
                async with session.post(f"{url}/api/shows/{show}/comments",
                                        json={"comments": comments}) as resp:
                    if resp.status != 200:
                        counts[f"http {resp.status}"] += len(comments)
                        return
                    for result in (await resp.json())["results"]:
                        counts[result["status"]] += 1
            except aiohttp.ClientError:
                counts["error"] += len(comments)

        batches = storm.batches(batch)
        tick = 0
        last_line = 0.0
        while (elapsed := time.monotonic() - start) < duration:
            task = asyncio.create_task(post(next(batches)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            tick += 1
            if not quiet and elapsed - last_line >= 1.0:
                last_line = elapsed
                done = sum(counts.values())
                print(f"\r{elapsed:5.0f}s  sent {tick * batch:7d}  answered {done:7d}  "
                      f"ordered {counts['ordered']:6d}  waitlisted {counts['waitlisted']:6d}  "
                      f"review {counts['review']:5d}  dup {counts['duplicate']:5d}",
                      end="", file=sys.stderr, flush=True)
            await asyncio.sleep(max(0.0, start + tick * period - time.monotonic()))
        await asyncio.gather(*pending)
    if not quiet:
        print(file=sys.stderr)
    return counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--show", required=True)
    parser.add_argument("--token", required=True, help="a token with the ingest role or above")
    parser.add_argument("--rate", type=float, default=200.0, help="comments per second")
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--batch", type=int, default=20, help="comments per request")
    parser.add_argument("--seed", type=int, default=7)


def run(args: argparse.Namespace) -> int:
    if args.rate <= 0 or args.duration <= 0 or not 1 <= args.batch <= 500:
        print("error: --rate and --duration must be positive, --batch 1..500", file=sys.stderr)
        return 2
    counts = asyncio.run(simulate(args.url, args.show, args.token, args.rate, args.buyers,
                                  args.duration, args.batch, args.seed))
    total = sum(counts.values())
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) + f" total={total}")
    return 0 if total else 1
