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
echo "== the release binary has no failpoints (src/support/failpoint.rs)"
if grep -q CEREMONY_FAILPOINT target/release/ceremony; then
    echo "test.sh: target/release/ceremony reads CEREMONY_FAILPOINT: a release build has the test-only failpoints" >&2
    exit 1
fi
echo "release binary: no failpoints"
# What the machine can provide, proven once, before the tests (tests/common/skips.rs): a test
# may skip a check only where its probe says `unavailable`, and under CI=true only then.
probes="$(pwd)/target/test-probes"
rm -rf "$probes"
mkdir -p "$probes"
export CEREMONY_TEST_PROBES="$probes" CEREMONY_SKIP_LOG="$probes/skipped.log"
: >"$CEREMONY_SKIP_LOG"
echo "== FAT tools and a fusefat mount (scripts/fat-env.sh --probe)"
bash scripts/fat-env.sh --probe "$probes"
# Running ceremony as another user (tests/secret_hygiene.rs) takes root.
if [ "$(id -u)" = 0 ]; then echo ok; else echo "unavailable: the tests run as $(id -un), not root"; fi >"$probes/root"
echo "== format and lints: cargo fmt --check, cargo clippy -D warnings"
for tool in fmt clippy; do
    cargo $tool --version >/dev/null 2>&1 || { echo "test.sh: cargo $tool is not installed; run: rustup component add rustfmt clippy" >&2; exit 2; }
done
cargo fmt --all --check
# With the failpoints feature, as the tests build: its code is linted too.
cargo clippy --locked --workspace --all-targets --features ceremony/failpoints -- -D warnings 2>&1
echo "== the fuzz targets type-check on the stable toolchain (docs/fuzzing.md)"
CARGO_TARGET_DIR=target/fuzz-check cargo check --locked --manifest-path fuzz/Cargo.toml --bins 2>&1
echo "== cargo test (with the crash points of tests/crash_safety.rs: feature failpoints)"
tested=0
cargo test --locked --workspace --all-targets --features ceremony/failpoints --no-fail-fast 2>&1 || tested=$?
if ! grep -q CEREMONY_FAILPOINT target/debug/ceremony; then
    echo "test.sh: the tested binary has no failpoints, so the release check above proves nothing" >&2
    tested=1
fi
echo "== checks not run"
bash scripts/not-run.sh "$CEREMONY_SKIP_LOG" || tested=1
[ "$tested" = 0 ] || exit "$tested"
echo "== supply chain: cargo-deny licenses, bans (no network clients), sources"
bash scripts/supply-chain.sh
