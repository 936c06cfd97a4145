#!/usr/bin/env bash
# The end of the test command (scripts/test.sh): every check that did not run, counted.
#
#   bash scripts/not-run.sh [SKIP_LOG]
#
# Prints the checks tests skipped at run time (SKIP_LOG, written through tests/common/skips.rs,
# each with the probe's proof that the machine cannot run it) and every #[ignore]d test with
# the reason its attribute gives. Exits 1 when an #[ignore] gives no reason: an ignored test
# must say why, or it is a check hidden from the count.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log="${1:-}"
skipped=0
if [ -n "$log" ] && [ -s "$log" ]; then
    skipped="$(wc -l <"$log")"
fi
echo "skipped at run time: $skipped"
[ "$skipped" = 0 ] || sed 's/^/  SKIPPED: /' "$log"
# Each `#[ignore = "reason"]` with the test it marks (the next `fn`), in tests/, src/, crates/.
listing="$(
    find tests src crates -name '*.rs' -not -path '*/target/*' -print0 | sort -z | xargs -0 awk '
        /^[ \t]*#\[ignore\]/ { printf "BARE %s:%d\n", FILENAME, FNR }
        /^[ \t]*#\[ignore *= *"/ { reason = $0; sub(/.*#\[ignore *= *"/, "", reason); sub(/"\].*/, "", reason); pending = FILENAME ":" FNR; next }
        pending != "" && /fn [a-z_0-9]+/ { name = $0; sub(/.*fn /, "", name); sub(/\(.*/, "", name); printf "IGNORED %s %s: %s\n", pending, name, reason; pending = "" }
    '
)"
ignored="$(grep -c '^IGNORED' <<<"$listing" || true)"
echo "ignored (run by hand, each with its reason): $ignored"
grep '^IGNORED' <<<"$listing" | sed 's/^IGNORED /  IGNORED: /' || true
if grep -q '^BARE' <<<"$listing"; then
    grep '^BARE' <<<"$listing" | sed 's/^BARE /not-run.sh: an #[ignore] without a reason (write #[ignore = "why"]): /' >&2
    exit 1
fi
