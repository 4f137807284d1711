"""Benchmark scenarios (B1 fan-out throughput, B2 latency, B3 memory, B4 join storm,
B7 coalescing, B8 slow consumers). Each module exposes ``run(options) -> Report``."""
