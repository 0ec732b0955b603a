#!/usr/bin/env bash
# Runs every Tessera test on a fresh Debian machine: installs what the tests
# need (redis-server/redis-tools for differential tests, pytest and redis-py),
# checks formatting and lints, builds, then runs the unit and end-to-end tests
# (cargo) and the differential suite against a real redis-server (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}"
    sudo_if_needed apt-get update -q
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
if ! python3 -c 'import pytest, redis' 2>/dev/null; then
    echo "==> installing pytest and redis-py"
    python3 -m pip install -q -r tests/diff/requirements.txt 2>/dev/null \
        || sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pytest python3-redis
fi

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo build --release"
cargo build --release --workspace --locked
echo "==> cargo test (unit and end-to-end)"
TESSERA_BIN="$PWD/target/release/tessera" cargo test --release --workspace --locked
echo "==> pytest tests/diff (differential against redis-server, redis-py walk-through)"
TESSERA_BIN="$PWD/target/release/tessera" python3 -m pytest tests/diff -q
