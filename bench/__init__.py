"""Benchmark harness for livesell: peer servers, a lean viewer load generator and scenarios.

Run ``python -m bench --help``; results are appended to BENCHMARKS.md with ``--write``.
"""
