#!/usr/bin/env bash
# Runbook: the online side. Verifies a ceremony's bundle trusting only a root the online
# repository already trusts, then lays out what to publish (docs/online-import.md).
# Runs on the online side's machine; nothing here touches the offline keys.
#
# Settings (environment):
#   CEREMONY_RUNBOOK_BUNDLE        the bundle from the USB stick
#   CEREMONY_RUNBOOK_TRUSTED_ROOT  a root metadata file the repository already trusts (its
#                                  newest published N.root.json; after a bootstrap, the
#                                  1.root.json whose SHA-256 was read out at the ceremony)
#   CEREMONY_RUNBOOK_PUBLISH       a new or empty directory: the files to publish are put there
#   CEREMONY_RUNBOOK_BUNDLE_SHA256 optional: the bundle's SHA-256 from the ceremony record
#   non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need CEREMONY_RUNBOOK_BUNDLE "the bundle file from the USB stick"
rb_need CEREMONY_RUNBOOK_TRUSTED_ROOT "a root metadata file the repository already trusts"
rb_need CEREMONY_RUNBOOK_PUBLISH "an empty directory for the files to publish"
bundle="$CEREMONY_RUNBOOK_BUNDLE"
out="$CEREMONY_RUNBOOK_PUBLISH"

rb_title "Online import of $(basename "$bundle")"

rb_step "the bundle is the one the ceremony exported"
actual="$(sha256sum "$bundle" | cut -d' ' -f1)"
rb_say "SHA-256 of the bundle: $actual"
if [[ -n "${CEREMONY_RUNBOOK_BUNDLE_SHA256:-}" && "$CEREMONY_RUNBOOK_BUNDLE_SHA256" != "$actual" ]]; then
    echo "runbook: the bundle's SHA-256 is not the one in the ceremony record; do not import it" >&2
    exit 1
fi
rb_check "this SHA-256 matches the one written in the ceremony record"

rb_step "verify it, trusting only the root we already trust, and unpack it"
# ceremony, never tar: tar -x follows header fields (prefixes, long names, links) that the
# bundle reader refuses, so it could unpack other files than the ones verified. Nothing is
# written unless the bundle verifies.
rb_run "$CEREMONY" bundle extract "$bundle" --trusted-root "$CEREMONY_RUNBOOK_TRUSTED_ROOT" --out "$out"

rb_step "lay out what to publish"
rb_say "Publish under the repository's metadata directory, with consistent-snapshot names as they are:"
for f in "$out"/metadata/*.json; do
    name="$(basename "$f")"
    case "$name" in
        *.root.json) rb_say "  $name   (root: also publish as root.json if it is the newest; keep every older N.root.json)" ;;
        *) rb_say "  $name   (list it in the next snapshot.json with version ${name%%.*})" ;;
    esac
done
rb_say "Keep serving every role the bundle does not carry (bundle extract names them above: online roles, and"
rb_say "claimed shards unchanged since an earlier bundle, which export leaves out): keep their published files"
rb_say "and their versions in snapshot.json. The new claimed index still delegates to each such shard's own seal key."
rb_say "Then: sign a new snapshot.json listing these versions and a new timestamp.json with the online key."
if ls "$out"/metadata/*.claimed.*.json >/dev/null 2>&1; then
    rb_say "This bundle carries claimed project files (a promotion): remove the promoted projects from recently-claimed in the same snapshot."
fi
rb_check "snapshot and timestamp are updated and the files are published; a client update from the old root succeeds"
