"""Comment parser throughput on one core: comments parsed per second.

Two inputs: the labelled corpus (tests/data/comments.yaml) repeated, and the same number of
distinct comments generated from it (phones, fillers, emoji and corpus texts combined), so
that nothing can be served from a cache. Each input is timed over several rounds, by wall
clock (perf_counter) and by process CPU (process_time); the table gives the median and the
best round. On a shared machine the CPU figure is the one to trust. Run pinned to one core:

    taskset -c 1 .venv/bin/python bench/parser.py [--parses N] [--rounds R] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make the package importable
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from livesell.domain.catalog import load_catalog_file  # noqa: E402
from livesell.domain.parser import (  # noqa: E402
    DEFAULT_MIN_CONFIDENCE,
    Parser,
    lineup_product,
)

DATA = REPO / "tests" / "data"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"
FILLERS = ["shop ơi", "em", "nha", "ạ", "nhé", "😍", "🦀🦀", "[top fan]", "@Shop", "chị ơi", "ok"]


def load(corpus_file: Path = DATA / "comments.yaml") -> tuple[Parser, list[str], list[str]]:
    """The benchmark lineup (pinned A1, the default confidence gate), the core corpus texts
    and the texts of every tier (core, hard orders, show-night noise)."""
    lineup = [lineup_product(p) for p in load_catalog_file(DATA / "parser_catalog.yaml")]
    corpus = yaml.safe_load(corpus_file.read_text(encoding="utf-8"))
    parser = Parser(lineup, pinned="A1", min_confidence=DEFAULT_MIN_CONFIDENCE)
    tiers = [c["text"] for tier in ("comments", "hard", "noise") for c in corpus.get(tier) or ()]
    return parser, [c["text"] for c in corpus["comments"]], tiers


def distinct_texts(corpus: Sequence[str], n: int, seed: int = 2026) -> list[str]:
    """``n`` different comments in the corpus's style."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        text = rng.choice(corpus)
        roll = rng.random()
        if roll < 0.35:
            phone = "0" + rng.choice("35789") + "".join(rng.choices("0123456789", k=8))
            text = f"{text} {phone}" if rng.random() < 0.5 else f"{phone} {text}"
        elif roll < 0.7:
            text = f"{rng.choice(FILLERS)} {text} {rng.choice(FILLERS)} {rng.choice(FILLERS)}"
        else:
            text = f"{text}, {rng.choice(corpus)} {rng.randint(1, 9)}"
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def measure(parser: Parser, texts: Sequence[str]) -> tuple[float, float]:
    """Wall and CPU seconds to parse every text once."""
    parse = parser.parse
    gc.collect()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for text in texts:
        parse(text)
    return time.perf_counter() - wall0, time.process_time() - cpu0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1-minute load average, or "unknown"."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def report(rows: list[tuple[str, int, list[tuple[float, float]]]]) -> str:
    """Markdown table: per input, comments/s by wall and by CPU, median and best round."""
    lines = [
        "| input | parses/round | rounds | comments/s CPU median | CPU best | "
        "wall median | wall best | µs/comment CPU median |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, count, times in rows:
        walls = sorted(count / w for w, _ in times)
        cpus = sorted(count / c for _, c in times)
        mid = len(times) // 2
        lines.append(
            f"| {name} | {count:,} | {len(times)} | {cpus[mid]:,.0f} | {cpus[-1]:,.0f} | "
            f"{walls[mid]:,.0f} | {walls[-1]:,.0f} | {1e6 / cpus[mid]:.1f} |"
        )
    return "\n".join(lines)


def write_section(command: str, table: str) -> None:
    """Append a dated section to BENCHMARKS.md (creating it with only its heading)."""
    if not BENCHMARKS_MD.exists():
        BENCHMARKS_MD.write_text("# Benchmarks\n", encoding="utf-8")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    body = (
        f"\n## Comment parser throughput — {stamp}\n\n"
        f"Command: `{command}`\n\n"
        f"Machine: {os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}, "
        f"process on cores {affinity}, load average {load_average()} at the end (other work "
        f"on the machine shows in the wall figures first).\n\n{table}\n"
    )
    with BENCHMARKS_MD.open("a", encoding="utf-8") as out:
        out.write(body)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table; with --write, record it in BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parses", type=int, default=200_000, help="parses per input (min 1000)")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per input")
    ap.add_argument("--write", action="store_true", help="append the results to BENCHMARKS.md")
    ap.add_argument("--corpus", type=Path, default=DATA / "comments.yaml",
                    help="labelled comments to draw from (default: the test corpus)")
    args = ap.parse_args(argv)
    parser, corpus, every_tier = load(args.corpus)
    n = max(args.parses, 1000)
    repeated = (corpus * math.ceil(n / len(corpus)))[:n]
    distinct = distinct_texts(corpus, n)
    measure(parser, corpus)  # warm-up: first-use costs are not the steady state
    rounds = max(args.rounds, 1)
    rows = [
        (
            f"corpus ({len(corpus)} comments, repeated)",
            n,
            [measure(parser, repeated) for _ in range(rounds)],
        ),
        ("distinct generated comments", n, [measure(parser, distinct) for _ in range(rounds)]),
    ]
    if len(every_tier) > len(corpus):  # the show-night mix: hard orders and chatter as well
        mixed = distinct_texts(every_tier, n)
        rows.append((f"distinct, all tiers ({len(every_tier)} comments)", n,
                     [measure(parser, mixed) for _ in range(rounds)]))
    table = report(rows)
    print(table)
    if args.write:
        command = " ".join(["python", "bench/parser.py", *(argv or sys.argv[1:])])
        write_section(command, table)
        print(f"appended to {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
