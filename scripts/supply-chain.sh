#!/usr/bin/env bash
# Supply-chain checks (docs/supply-chain.md): cargo-deny's license, ban and source checks
# against deny.toml, which need no network once the crates are in cargo's cache, and the
# advisory check when the RustSec database is available.
#
# Idempotent and fast on a second run: cargo-deny is installed only when missing or not the
# pinned version (a one-off build of a few minutes), then each check takes about a second.
#
#   bash scripts/supply-chain.sh                       # licenses, bans, sources
#   CEREMONY_ADVISORIES=1 bash scripts/supply-chain.sh # also advisories (fetches the RustSec
#                                                      # database from github.com, or uses the
#                                                      # copy already in ~/.cargo/advisory-dbs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_DENY_VERSION=0.20.2

command -v cargo >/dev/null || { echo "supply-chain.sh: cargo is not installed; install Rust (rustup) first" >&2; exit 2; }

installed=""
if command -v cargo-deny >/dev/null; then
    installed="$(cargo-deny --version 2>/dev/null | awk '{print $2}')"
fi
if [ "$installed" != "$CARGO_DENY_VERSION" ]; then
    echo "== installing cargo-deny $CARGO_DENY_VERSION (was: ${installed:-none})"
    cargo install cargo-deny --version "=$CARGO_DENY_VERSION" --locked
fi

# The lock file is committed and must not change: --locked everywhere.
cargo metadata --format-version 1 --locked >/dev/null

echo "== cargo deny: licenses, bans (no network clients), sources (crates.io only)"
cargo deny --offline check licenses bans sources

if [ "${CEREMONY_ADVISORIES:-0}" = "1" ]; then
    echo "== cargo deny: advisories (RustSec)"
    if timeout 120 cargo deny check advisories; then
        :
    elif ls "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/*/ >/dev/null 2>&1; then
        echo "supply-chain.sh: cannot fetch the advisory database; checking against the local copy" >&2
        cargo deny --offline check advisories
    else
        echo "supply-chain.sh: the RustSec advisory database cannot be fetched (github.com unreachable) and there is no local copy; advisories NOT checked" >&2
        exit 1
    fi
else
    echo "== advisories skipped (set CEREMONY_ADVISORIES=1 where github.com is reachable)"
fi
echo "supply chain ok"
