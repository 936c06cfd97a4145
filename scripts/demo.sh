#!/usr/bin/env bash
# The main job: builds ceremony and runs the simulated ceremony end to end (bootstrap,
# a promotion batch, a root rotation, a bundle after each), then has python-tuf (the
# reference implementation) check every bundle it wrote: every metadata file loads, the
# root chain from root version 1 holds, and every role verifies under its delegator.
# Usage: scripts/demo.sh [DIR]   (default: ./ceremony-demo)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$PWD/ceremony-demo}"
command -v cargo >/dev/null || { echo "demo.sh: cargo is not installed; install Rust (rustup) first" >&2; exit 2; }
command -v tar >/dev/null || { echo "demo.sh: tar is not installed; install it (apt-get install tar)" >&2; exit 2; }
bash "$root/scripts/build-deps.sh"
python="$(bash "$root/scripts/python-env.sh")"
cargo build --quiet --release --locked --manifest-path "$root/Cargo.toml"
rm -rf "$dir"
"$root/target/release/ceremony" demo --dir "$dir"
echo
echo "Independent check by python-tuf, trusting only $dir/1.root.json:"
verdicts="$dir/python-tuf-verdict.json"
: >"$verdicts"
for bundle in "$dir"/bundles/*.tar; do
    name="$(basename "$bundle" .tar)"
    out="$dir/bundles/$name"
    mkdir -p "$out"
    tar -xf "$bundle" -C "$out"
    verdict="$("$python" "$root/tests/python/judge.py" bundle-dir "$out/metadata" --trusted-root "$dir/1.root.json")"
    echo "$verdict" >>"$verdicts"
    if grep -q '"ok": true' <<<"$verdict"; then
        echo "  $name: python-tuf accepts it ($verdict)"
    else
        echo "  $name: python-tuf REFUSES it: $verdict" >&2
        exit 1
    fi
done
echo "python-tuf accepts every bundle (verdicts in $verdicts)."
