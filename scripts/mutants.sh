#!/usr/bin/env bash
# Mutation testing of the security core (docs/testing.md, "Mutation testing"): cargo-mutants
# changes one thing in the code at a time (a comparison flipped, a function returning a
# default, a match arm deleted) and runs the tests that cover that file; a mutant no test
# catches is a check nothing proves. This script names the files and the tests that must
# catch their mutants, gives each file a time budget, and ends with one line per file and
# the surviving mutants that docs/testing.md does not explain. Exit 1 when there is one.
#
#   bash scripts/mutants.sh                  # every file below, resuming earlier runs
#   bash scripts/mutants.sh crates/tuf/src/verify.rs src/bundle/mod.rs
#   MUTANTS_BUDGET=600 bash scripts/mutants.sh --fresh src/workspace/ledger.rs
#
# Results stay in target/mutants/FILE/mutants.out between runs; a rerun skips mutants already
# caught (cargo-mutants --iterate) unless --fresh is given, so a file whose budget ran out
# goes on where it stopped. It takes hours on two cores: it is not part of the test command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -q "$version"; then
    echo "mutants.sh: installing cargo-mutants $version (crates.io)" >&2
    cargo install --locked cargo-mutants --version "$version" >&2
fi

# File → the tests that must catch its mutants. crates/tuf stands alone: its own tests only.
# The integration tests named are the fast ones that reach the file's checks; the slow
# interop tests (tuf-js, tough, the browser) and the token tests are left to the test command.
workspace_tests="--lib --test=tamper --test=workspace_lifecycle --test=key_separation --test=stick_chooses_nothing --test=inner_checks --test=claimed_promotion --test=promotion_review"
bundle_tests="--lib --test=bundle --test=published --test=verify --test=inner_checks"
pypi_tests="--lib --test=claimed_promotion --test=promotion_review --test=project_paths_props --test=holes"
declare -A tests=(
    [crates/tuf/src/canonical.rs]=tuf [crates/tuf/src/metadata.rs]=tuf [crates/tuf/src/wire.rs]=tuf
    [crates/tuf/src/key.rs]=tuf [crates/tuf/src/verify.rs]=tuf [crates/tuf/src/chain.rs]=tuf
    [crates/tuf/src/jsonview.rs]=tuf [crates/tuf/src/datetime.rs]=tuf [crates/tuf/src/limits.rs]=tuf
    [crates/tuf/src/build.rs]=tuf
    [src/workspace/ledger.rs]=$workspace_tests [src/workspace/staging.rs]=$workspace_tests
    [src/workspace/sealed.rs]=$workspace_tests [src/workspace/exclusive_keys.rs]=$workspace_tests
    [src/workspace/signing.rs]=$workspace_tests [src/workspace/collected.rs]=$workspace_tests
    [src/workspace/policy.rs]=$workspace_tests [src/workspace/transcript.rs]=$workspace_tests
    [src/bundle/mod.rs]=$bundle_tests [src/bundle/extract.rs]=$bundle_tests [src/bundle/pack.rs]=$bundle_tests
    [src/bundle/anchor.rs]=$bundle_tests [src/bundle/published.rs]=$bundle_tests
    [src/pypi/claimed.rs]=$pypi_tests [src/pypi/pep480.rs]=$pypi_tests [src/pypi/project.rs]=$pypi_tests
)
# The order they run in: the checks an attacker meets first.
order=(
    crates/tuf/src/verify.rs crates/tuf/src/chain.rs crates/tuf/src/key.rs crates/tuf/src/canonical.rs
    crates/tuf/src/metadata.rs crates/tuf/src/wire.rs crates/tuf/src/jsonview.rs crates/tuf/src/datetime.rs
    crates/tuf/src/limits.rs crates/tuf/src/build.rs
    src/workspace/ledger.rs src/workspace/exclusive_keys.rs src/workspace/sealed.rs src/workspace/staging.rs
    src/bundle/mod.rs src/bundle/extract.rs src/bundle/anchor.rs src/bundle/published.rs src/bundle/pack.rs
    src/workspace/signing.rs src/workspace/collected.rs src/workspace/policy.rs src/workspace/transcript.rs
    src/pypi/claimed.rs src/pypi/pep480.rs src/pypi/project.rs
)

fresh=false
files=()
for arg in "$@"; do
    case "$arg" in
        --fresh) fresh=true ;;
        -*) echo "mutants.sh: unknown option $arg (known: --fresh)" >&2; exit 2 ;;
        *) [ -n "${tests[$arg]:-}" ] || { echo "mutants.sh: $arg is not in the list of the security core (edit this script to add it)" >&2; exit 2; }
           files+=("$arg") ;;
    esac
done
[ "${#files[@]}" -gt 0 ] || files=("${order[@]}")
budget="${MUTANTS_BUDGET:-5400}"

# cargo-mutants mutates a copy: one per package (so crates/tuf and the main crate can run side
# by side), refreshed from the working tree before each file, keeping its build
# between files and runs, where cargo-mutants' own scratch copy would build from nothing for
# every file. Only files whose bytes differ are copied, as new files: cargo then rebuilds what
# changed, and a file put back after a mutant (an interrupted run) is never older than its build.
refresh() {
    local tree="$1" file
    mkdir -p "$tree"
    git ls-files --cached --others --exclude-standard | sort >"$tree.files"
    while IFS= read -r file; do
        [ -f "$file" ] || continue
        cmp -s "$file" "$tree/$file" || { mkdir -p "$tree/$(dirname "$file")" && cp "$file" "$tree/$file"; }
    done <"$tree.files"
    # A file gone from the working tree goes from the copy too (a stale tests/*.rs would be built).
    (cd "$tree" && find . \( -path ./target -o -path ./.venv \) -prune -o -type f -print | sed 's|^\./||' | sort) |
        comm -23 - "$tree.files" | (cd "$tree" && xargs -r -d '\n' rm -f)
}
for file in "${files[@]}"; do
    out="$PWD/target/mutants/${file//\//_}"
    mkdir -p "$out"
    package=ceremony
    [ "${tests[$file]}" != tuf ] || package=ceremony-tuf
    tree="target/mutants/tree-$package"
    # Before every file: a run the budget interrupted may leave its last mutant in the copy.
    refresh "$tree"
    # A mutant that makes a loop endless is caught by the timeout: short for crates/tuf, whose
    # tests take a second or two, long enough for src/'s integration tests.
    timeout=300
    [ "$package" = ceremony ] || timeout=30
    args=(--dir "$tree" --in-place --profile mutants --file "$file" --output "$out" --timeout "$timeout" --build-timeout 1200 --no-shuffle)
    args+=(--package "$package")
    if [ "$package" = ceremony ]; then
        # As cargo arguments (-C), not after `--`: the build of each mutant then compiles
        # only these test binaries, not all forty.
        read -r -a selection <<<"${tests[$file]}"
        for a in "${selection[@]}"; do args+=(--cargo-arg="$a"); done
    fi
    if ! $fresh && [ -f "$out/mutants.out/outcomes.json" ]; then
        args+=(--iterate)
    fi
    echo "== $file (budget ${budget}s): cargo mutants ${args[*]}" >&2
    start=$(date +%s)
    set +e
    timeout --signal=INT "$budget" cargo mutants "${args[@]}" >"$out/run.log" 2>&1
    rc=$?
    set -e
    # Seconds over all runs of this file, as the table gives them.
    echo "$(($(cat "$out/seconds" 2>/dev/null || echo 0) + $(date +%s) - start))" >"$out/seconds.new"
    mv "$out/seconds.new" "$out/seconds"
    case $rc in
        0 | 2 | 3) ;;    # 2: some mutants missed, 3: some timed out; the summary says which
        124 | 130) echo "   budget spent; a rerun goes on where this stopped" >&2 ;;
        *) echo "mutants.sh: cargo mutants failed on $file (exit $rc); see $out/run.log" >&2; tail -5 "$out/run.log" >&2 ;;
    esac
done

python3 scripts/mutants_summary.py docs/testing.md "${files[@]}"
