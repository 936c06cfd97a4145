#!/usr/bin/env bash
# The test command: sets up what the tests need (python-tuf in a virtual environment) and
# runs every test. Safe to run on a fresh machine and again on a used one. Runs as root: the
# software token stack (tests/tokens/stack.sh) installs Debian packages and starts pcscd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v cargo >/dev/null || { echo "test.sh: cargo is not installed; install Rust (rustup) first" >&2; exit 2; }
# The main job first, before anything else here installs packages, so a package the demo
# needs but does not install itself (scripts/build-deps.sh) fails here as on a fresh machine.
echo "== demo, verified by python-tuf"
bash scripts/demo.sh "$(mktemp -d)/demo" >/dev/null
echo "demo ok"
echo "== python-tuf environment: $(bash scripts/python-env.sh)"
echo "== headless browser for the report test: $(bash scripts/browser-env.sh)"
echo "== software token stack: SoftHSM2 + PIV card (tests/tokens/README.md)"
eval "$(bash tests/tokens/stack.sh up)"
trap 'bash tests/tokens/stack.sh down' EXIT
echo "== format and lints: cargo fmt --check, cargo clippy -D warnings"
for tool in fmt clippy; do
    cargo $tool --version >/dev/null 2>&1 || { echo "test.sh: cargo $tool is not installed; run: rustup component add rustfmt clippy" >&2; exit 2; }
done
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings 2>&1
echo "== cargo test"
cargo test --locked --workspace --all-targets --no-fail-fast 2>&1
echo "== supply chain: cargo-deny licenses, bans (no network clients), sources"
bash scripts/supply-chain.sh
