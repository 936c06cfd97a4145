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
#   CEREMONY_RUNBOOK_PREVIOUS_HEAD     the last ceremony's closing head from its signed paper record; asked first when unset
#   secrets: CEREMONY_RUNBOOK_SECRET_<HOLDER>; non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need_next_ceremony "the remaining holders who sign today" \
    CEREMONY_RUNBOOK_REVOKE "the holder whose key is lost or compromised"
revoked="$CEREMONY_RUNBOOK_REVOKE"
for s in "${RB_SIGNERS[@]}"; do
    [[ "$s" != "$revoked" ]] || rb_die "$revoked's key is being revoked and must not sign; remove $revoked from CEREMONY_RUNBOOK_SIGNERS"
done

rb_title "Emergency revocation of $revoked's root key"
rb_say "If the key is COMPROMISED (not just lost), also rotate every other role it signs (targets, claimed) as soon as this root is published."
rb_room_checks
rb_begin "Emergency revocation of $revoked's root key" "${RB_SIGNERS[@]}"

rb_check_sealed_workspace
rb_check "the loss or compromise of $revoked's key is recorded (who noticed, when, how), and $revoked is informed"

name="revocation-$(date -u +%Y%m%d)"
if ! rb_only_export_left "$name"; then
    args=(root rotate --remove-root "$revoked")
    if [[ -n "${CEREMONY_RUNBOOK_REPLACEMENT:-}" ]]; then
        rb_step "the replacement holder registers their key"
        rb_register "$CEREMONY_RUNBOOK_REPLACEMENT"
        args+=(--add-root "${CEREMONY_RUNBOOK_REPLACEMENT%%:*}")
    fi
    [[ -n "${CEREMONY_RUNBOOK_THRESHOLD:-}" ]] && args+=(--root-threshold "$CEREMONY_RUNBOOK_THRESHOLD")

    rb_step "stage the next root version without $revoked's key"
    rb_stage_next_root "${args[@]}"
    rb_check "the change on screen removes $revoked's key (compare its keyid with the record) and nothing else unplanned"
    rb_check "the remaining holders can still meet the new threshold without $revoked"

    rb_step "the remaining holders sign"
    rb_sign_round "${RB_SIGNERS[@]}"
fi

rb_export "$name" new-root
rb_say "Done. Publish the new root at once: clients stop trusting $revoked's key when they update root."
