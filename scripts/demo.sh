#!/usr/bin/env bash
# The main job: builds ceremony and runs the simulated ceremony end to end, then has
# python-tuf (the reference implementation) check what it wrote.
# Usage: scripts/demo.sh [DIR]   (default: ./ceremony-demo)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$PWD/ceremony-demo}"
command -v cargo >/dev/null || { echo "demo.sh: cargo is not installed; install Rust (rustup) first" >&2; exit 2; }
python="$(bash "$root/scripts/python-env.sh")"
cargo build --quiet --release --locked --manifest-path "$root/Cargo.toml"
rm -rf "$dir"
"$root/target/release/ceremony" demo --dir "$dir"
echo
echo "Independent check by python-tuf (ngclient's own root update rules):"
"$python" "$root/tests/python/judge.py" root-chain $(ls "$dir"/*.root.json | sort -t/ -k1 -V) | tee "$dir/python-tuf-verdict.json"
grep -q '"ok": true' "$dir/python-tuf-verdict.json"
