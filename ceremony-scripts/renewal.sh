#!/usr/bin/env bash
# Runbook: renewal before expiry. Offline roles (root, targets, claimed) get a new version
# with a later expiry and no other change; clients refuse expired metadata (the
# indefinite-freeze defence), so this is done well before `expires`.
#
# Settings (environment):
#   CEREMONY_WORKSPACE        the workspace from the last ceremony
#   CEREMONY_RUNBOOK_USB      the USB stick's directory
#   CEREMONY_RUNBOOK_ROLES    the roles to renew, space-separated (default: "root targets")
#   CEREMONY_RUNBOOK_EXPIRES  the new validity (default 365d)
#   CEREMONY_RUNBOOK_SIGNERS  who signs (enough for every renewed role's thresholds)
#   CEREMONY_RUNBOOK_DATE              today's date in UTC (YYYY-MM-DD); asked on a terminal when unset
#   CEREMONY_RUNBOOK_PREVIOUS_HEAD     the last ceremony's closing head from its signed paper record; asked first when unset
#   secrets: CEREMONY_RUNBOOK_SECRET_<HOLDER>; non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need_next_ceremony "the holders who sign today"
read -r -a roles <<<"${CEREMONY_RUNBOOK_ROLES:-root targets}"
expires="${CEREMONY_RUNBOOK_EXPIRES:-365d}"

rb_title "Renewal: ${roles[*]} valid for $expires more"
rb_room_checks
rb_begin "Renewal of ${roles[*]}, valid for $expires more" "${RB_SIGNERS[@]}"

rb_check_sealed_workspace

name="renewal-$(date -u +%Y%m%d)"
if ! rb_only_export_left "$name"; then
    rb_step "stage the renewals"
    for role in "${roles[@]}"; do
        if rb_staged "$role"; then
            rb_say "$role is already staged (an earlier run of this runbook): not staged again."
        else
            rb_ceremony renew "$role" --expires "$expires"
        fi
    done
    rb_review "${roles[@]}"
    rb_check "each change on screen is the expiry (and version) only"

    rb_step "the holders sign"
    rb_sign_round "${RB_SIGNERS[@]}"
fi

# A renewed root is a new trust anchor, read out like any other.
if [[ " ${roles[*]} " == *" root "* ]]; then
    rb_export "$name" new-root
else
    rb_export "$name"
fi
rb_say "Done. Put the next renewal in the calendar, well before the new expiry."
