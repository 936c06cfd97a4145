#!/usr/bin/env bash
# Reproducible release build check (docs/supply-chain.md): builds the committed tree
# (HEAD) twice, `cargo build --release --locked`, from two copies at different paths with
# two different target directories, and compares the SHA-256 of the two `ceremony`
# binaries. Paths that would otherwise end up in the binary (the source tree, the target
# directory, cargo's registry in CARGO_HOME, the toolchain) are remapped to fixed names,
# and SOURCE_DATE_EPOCH is the commit's time.
#
#   bash scripts/reproducible-build.sh [WORKDIR]
#
# Prints the hash and exits 0 when both builds are identical, 1 when they differ. Takes
# two full release builds (several minutes each). WORKDIR (default: a new temporary
# directory) keeps the two builds for inspection.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

command -v cargo >/dev/null || { echo "reproducible-build.sh: cargo is not installed" >&2; exit 2; }
git -C "$repo" diff --quiet HEAD -- . ':!target' 2>/dev/null || echo "note: uncommitted changes are not part of the build (it builds HEAD)" >&2

# The commit is fixed once: both builds use exactly this tree, whatever happens to HEAD meanwhile.
commit="$(git -C "$repo" rev-parse HEAD)"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
sysroot="$(rustc --print sysroot)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct "$commit")}"
# Nothing from the caller's environment that changes code generation.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTC_WRAPPER CARGO_BUILD_TARGET

build() {
    local name="$1" src="$work/$1/src" target="$work/$1/target"
    rm -rf "$src"
    mkdir -p "$src"
    git -C "$repo" archive --format=tar "$commit" | tar -x -C "$src"
    echo "== build $name: $src (target $target)" >&2
    (
        cd "$src"
        CARGO_TARGET_DIR="$target" \
        CARGO_ENCODED_RUSTFLAGS="$(printf '%s\x1f' \
            "--remap-path-prefix=$src=/build/ceremony" \
            "--remap-path-prefix=$target=/build/target" \
            "--remap-path-prefix=$cargo_home=/build/cargo-home" \
            "--remap-path-prefix=$sysroot=/build/rust-sysroot" | sed 's/\x1f$//')" \
        cargo build --release --locked --bin ceremony >&2
    )
    sha256sum "$target/release/ceremony" | awk '{print $1}'
}

a="$(build a)"
b="$(build b)"
echo "build a: $a"
echo "build b: $b"
if [ "$a" = "$b" ]; then
    echo "reproducible: sha256 $a (commit $commit, $(rustc --version), $(rustc -vV | sed -n 's/^host: //p'))"
    exit 0
fi
echo "NOT reproducible: the two release binaries differ (kept in $work/a and $work/b; compare with diffoscope)" >&2
exit 1
