#!/usr/bin/env bash
# Runbook: periodic promotion (every two to four weeks). The projects in the online
# repository's recently-claimed role move, in one batch, into the offline claimed role,
# so a compromise of the online server can no longer forge them (PEP 480).
#
# Settings (environment):
#   CEREMONY_WORKSPACE                 the workspace from the last ceremony (out of its sealed bag)
#   CEREMONY_RUNBOOK_USB               the USB stick's directory: results go there
#   CEREMONY_RUNBOOK_RECENTLY_CLAIMED  the online repository's recently-claimed.json, brought on the USB stick
#   CEREMONY_RUNBOOK_SIGNERS           who signs today (space-separated; at least the claimed threshold)
#   CEREMONY_RUNBOOK_DATE              today's date in UTC (YYYY-MM-DD); asked on a terminal when unset
#   CEREMONY_RUNBOOK_PREVIOUS_HEAD     the last ceremony's closing head from its signed paper record; asked first when unset
#   secrets: CEREMONY_RUNBOOK_SECRET_<HOLDER>; non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need_next_ceremony "the holders who sign today, e.g. \"alice carol\"" \
    CEREMONY_RUNBOOK_RECENTLY_CLAIMED "the online repository's recently-claimed.json"

rb_title "Promotion ceremony: recently-claimed into claimed"
rb_room_checks
rb_begin "Promotion: recently-claimed into claimed" "${RB_SIGNERS[@]}"

rb_check_sealed_workspace

name="promotion-$(date -u +%Y%m%d)"
if ! rb_only_export_left "$name"; then
    rb_step "stage the promotion"
    if rb_staged claimed; then
        rb_say "A promotion is already staged (an earlier run of this runbook staged it and stopped): going on to its review and signing."
        rb_say "To stage it again from recently-claimed instead: \`ceremony discard claimed\`, then run this runbook again."
    else
        rb_check "the SHA-256 of recently-claimed.json ($(sha256sum "$CEREMONY_RUNBOOK_RECENTLY_CLAIMED" | cut -c1-16)…) matches the one the online side's operator sent"
        # The tool checks recently-claimed against the online key the trusted targets delegates
        # it to, its expiry and version, and every project's paths, keys and threshold.
        rb_ceremony claimed promote "$CEREMONY_RUNBOOK_RECENTLY_CLAIMED"
    fi
    rb_review
    rb_check "the batch on screen (new projects, developer key changes, anything skipped) is what the online side announced"

    rb_step "the claimed holders sign the new claimed index (the shards it pins are sealed by one-time keys)"
    rb_sign_round "${RB_SIGNERS[@]}"
fi

rb_export "$name"
rb_say "Done. The online side imports the bundle and then removes the promoted projects from recently-claimed (docs/online-import.md)."
