#!/usr/bin/env bash
# The test command: sets up what the tests need (python-tuf in a virtual environment) and
# runs every test. Safe to run on a fresh machine and again on a used one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v cargo >/dev/null || { echo "test.sh: cargo is not installed; install Rust (rustup) first" >&2; exit 2; }
echo "== python-tuf environment: $(bash scripts/python-env.sh)"
echo "== cargo test"
cargo test --locked --all-targets --no-fail-fast 2>&1
echo "== demo, verified by python-tuf"
bash scripts/demo.sh "$(mktemp -d)/demo" >/dev/null
echo "demo ok"
