#!/usr/bin/env bash
# Runbook: the online side. Verifies a ceremony's bundle trusting only a root the online
# repository already trusts, then lays out what to publish (docs/online-import.md).
# Runs on the online side's machine; nothing here touches the offline keys.
#
# Settings (environment):
#   CEREMONY_RUNBOOK_BUNDLE        the bundle from the USB stick
#   CEREMONY_RUNBOOK_TRUSTED_ROOT  a root metadata file the repository already trusts (its
#                                  newest published N.root.json; after a bootstrap, the
#                                  1.root.json from the USB stick)
#   CEREMONY_RUNBOOK_TRUSTED_ROOT_SHA256  that file's SHA-256 (64 hex digits) or its six words,
#                                  as read out at the ceremony that made it and written on its
#                                  paper record; asked on the terminal when unset. A stick
#                                  swapped on the way replaces the bundle and 1.root.json
#                                  together, never the paper
#   CEREMONY_RUNBOOK_PUBLISHED     the repository's published metadata directory (N.root.json,
#                                  VERSION.ROLE.json, ...); an empty directory before the first
#                                  import. A bundle older than what it publishes is refused
#   CEREMONY_RUNBOOK_PUBLISH       a new or empty directory: the files to publish are put there
#   CEREMONY_RUNBOOK_BUNDLE_SHA256 optional: the bundle's SHA-256 from the ceremony record
#   non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need CEREMONY_RUNBOOK_BUNDLE "the bundle file from the USB stick"
rb_need CEREMONY_RUNBOOK_TRUSTED_ROOT "a root metadata file the repository already trusts"
rb_need CEREMONY_RUNBOOK_PUBLISHED "the repository's published metadata directory (an empty directory before the first import)"
rb_need CEREMONY_RUNBOOK_PUBLISH "an empty directory for the files to publish"
bundle="$CEREMONY_RUNBOOK_BUNDLE"
out="$CEREMONY_RUNBOOK_PUBLISH"
published="$CEREMONY_RUNBOOK_PUBLISHED"
root_name="$(basename "$CEREMONY_RUNBOOK_TRUSTED_ROOT")"
anchor="${CEREMONY_RUNBOOK_TRUSTED_ROOT_SHA256:-}"
if [[ -z "$anchor" ]]; then
    rb_noninteractive && rb_die "set CEREMONY_RUNBOOK_TRUSTED_ROOT_SHA256 to the SHA-256 of $root_name (or its six words) from the paper record of the ceremony that made it"
    [[ -t 0 ]] || rb_die "no terminal to ask for the SHA-256 of $root_name on; set CEREMONY_RUNBOOK_TRUSTED_ROOT_SHA256"
    read -r -p "SHA-256 of $root_name (the trust anchor) from the paper record, or its six words: " anchor
fi
# 64 hex digits (spaces allowed) are the digest; anything else is taken for the six words.
if [[ "${anchor// /}" =~ ^[0-9a-fA-F]{64}$ ]]; then
    anchor_flag=(--trusted-root-sha256 "$anchor")
else
    anchor_flag=(--trusted-root-words "$anchor")
fi

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
# written unless the bundle verifies, the trusted root has the digest on the paper record,
# and nothing in the bundle is older than (or differs from) what the repository publishes.
rb_run "$CEREMONY" bundle extract "$bundle" --trusted-root "$CEREMONY_RUNBOOK_TRUSTED_ROOT" "${anchor_flag[@]}" \
    --published "$published" --out "$out"

rb_step "lay out what to publish"
rb_say "Publish under the repository's metadata directory, with consistent-snapshot names as they are:"
for f in "$out"/metadata/*.json; do
    name="$(basename "$f")"
    if cmp -s "$f" "$published/$name"; then
        rb_say "  $name   (already published: nothing to do)"
        continue
    fi
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
rb_say "The next import trusts the newest N.root.json published now; its SHA-256 is on the paper record of the ceremony that made it."
