#!/usr/bin/env bash
# What the test suite needs beyond Python packages: Chromium for the page tests, a Redis
# server on 127.0.0.1:6379 for the Redis store tests, and the Node reference server's
# packages for the benchmark harness check. Idempotent; safe to run on every test run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_ready=0
apt_install() {
  if [ "$apt_ready" = 0 ]; then
    as_root apt-get update -qq
    apt_ready=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium for the browser tests"
  apt_install chromium
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server for the Redis store tests"
  apt_install redis-server
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --port 6379 --bind 127.0.0.1 --save "" --appendonly no
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

# Reinstalled when the lock file is newer than what node_modules holds.
if command -v npm >/dev/null 2>&1 && { [ ! -f bench/peer/node_modules/.package-lock.json ] ||
    [ bench/peer/package-lock.json -nt bench/peer/node_modules/.package-lock.json ]; }; then
  (cd bench/peer && npm ci --silent --no-audit --no-fund) || echo "note: Node peer not installed"
fi
