#!/usr/bin/env bash
# Runbook: emergency revocation. A root key is lost or compromised: the next root version
# drops it (and may add a replacement) before anyone can use it, signed by the holders
# who remain. The threshold must stay reachable by keys that are still safe.
#
# Settings (environment):
#   CEREMONY_WORKSPACE            the workspace from the last ceremony
#   CEREMONY_RUNBOOK_USB          the USB stick's directory
#   CEREMONY_RUNBOOK_REVOKE       the holder whose key is lost or compromised
#   CEREMONY_RUNBOOK_REPLACEMENT  optional: the replacement holder's spec (lib.sh rb_register)
#   CEREMONY_RUNBOOK_THRESHOLD    optional: the new root threshold (default unchanged)
#   CEREMONY_RUNBOOK_SIGNERS      who signs: remaining holders only, never the revoked one
#   CEREMONY_RUNBOOK_DATE              today's date in UTC (YYYY-MM-DD); asked on a terminal when unset
#   secrets: CEREMONY_RUNBOOK_SECRET_<HOLDER>; non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need CEREMONY_WORKSPACE "the workspace of the last ceremony"
rb_need CEREMONY_RUNBOOK_USB "the directory of the mounted USB stick"
rb_need CEREMONY_RUNBOOK_REVOKE "the holder whose key is lost or compromised"
rb_need CEREMONY_RUNBOOK_SIGNERS "the remaining holders who sign today"
revoked="$CEREMONY_RUNBOOK_REVOKE"
read -r -a signers <<<"$CEREMONY_RUNBOOK_SIGNERS"
for s in "${signers[@]}"; do
    [[ "$s" != "$revoked" ]] || rb_die "$revoked's key is being revoked and must not sign; remove $revoked from CEREMONY_RUNBOOK_SIGNERS"
done

rb_title "Emergency revocation of $revoked's root key"
rb_say "If the key is COMPROMISED (not just lost), also rotate every other role it signs (targets, claimed) as soon as this root is published."
rb_room_checks
rb_begin "Emergency revocation of $revoked's root key" "${signers[@]}"

rb_step "the workspace is the one sealed after the last ceremony"
rb_ceremony log verify
rb_check "the transcript head above matches the one printed in the last ceremony's report"
rb_check "the loss or compromise of $revoked's key is recorded (who noticed, when, how), and $revoked is informed"

name="revocation-$(date -u +%Y%m%d)"
if rb_exported "$name"; then
    rb_say "Today's bundle is already on the USB stick (an earlier run exported it): only the rest of the export is left."
else
    args=(root rotate --remove-root "$revoked")
    if [[ -n "${CEREMONY_RUNBOOK_REPLACEMENT:-}" ]]; then
        rb_step "the replacement holder registers their key"
        rb_register "$CEREMONY_RUNBOOK_REPLACEMENT"
        args+=(--add-root "${CEREMONY_RUNBOOK_REPLACEMENT%%:*}")
    fi
    [[ -n "${CEREMONY_RUNBOOK_THRESHOLD:-}" ]] && args+=(--root-threshold "$CEREMONY_RUNBOOK_THRESHOLD")

    rb_step "stage the next root version without $revoked's key"
    if rb_staged root; then
        rb_say "The next root version is already staged (an earlier run of this runbook): going on to its review and signing."
    else
        rb_ceremony "${args[@]}"
    fi
    rb_review root
    rb_check "the change on screen removes $revoked's key (compare its keyid with the record) and nothing else unplanned"
    rb_check "the remaining holders can still meet the new threshold without $revoked"

    rb_step "the remaining holders sign"
    rb_sign_round "${signers[@]}"
fi

rb_export "$name"
rb_say "Done. Publish the new root at once: clients stop trusting $revoked's key when they update root."
