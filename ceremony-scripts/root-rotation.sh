#!/usr/bin/env bash
# Runbook: planned root rotation (a holder leaves, a token ages out). Root N+1 must be
# signed by a threshold of root N's keys AND of its own: old and new holders both sign.
#
# Settings (environment):
#   CEREMONY_WORKSPACE         the workspace from the last ceremony
#   CEREMONY_RUNBOOK_USB       the USB stick's directory
#   CEREMONY_RUNBOOK_ADD       holder specs of the new root holders (lib.sh rb_register), may be empty
#   CEREMONY_RUNBOOK_REMOVE    names of the root holders who leave, may be empty
#   CEREMONY_RUNBOOK_THRESHOLD the new root threshold (default: unchanged)
#   CEREMONY_RUNBOOK_SIGNERS   who signs: enough of the old holders and enough of the new
#   CEREMONY_RUNBOOK_DATE              today's date in UTC (YYYY-MM-DD); asked on a terminal when unset
#   CEREMONY_RUNBOOK_PREVIOUS_HEAD     the last ceremony's closing head from its signed paper record; asked first when unset
#   secrets: CEREMONY_RUNBOOK_SECRET_<HOLDER>; non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need_next_ceremony "the holders who sign today"
read -r -a adds <<<"${CEREMONY_RUNBOOK_ADD:-}"
read -r -a removes <<<"${CEREMONY_RUNBOOK_REMOVE:-}"
[[ ${#adds[@]} -gt 0 || ${#removes[@]} -gt 0 || -n "${CEREMONY_RUNBOOK_THRESHOLD:-}" ]] ||
    rb_die "set CEREMONY_RUNBOOK_ADD, CEREMONY_RUNBOOK_REMOVE or CEREMONY_RUNBOOK_THRESHOLD: a rotation changes something"

rb_title "Planned root rotation"
rb_room_checks
rb_begin "Planned root rotation" "${RB_SIGNERS[@]}"

rb_check_sealed_workspace

name="root-rotation-$(date -u +%Y%m%d)"
if ! rb_only_export_left "$name"; then
    args=(root rotate)
    if [[ ${#adds[@]} -gt 0 ]]; then
        rb_step "the new holders register their keys"
        for spec in "${adds[@]}"; do
            rb_register "$spec"
            args+=(--add-root "${spec%%:*}")
        done
    fi
    for gone in "${removes[@]}"; do args+=(--remove-root "$gone"); done
    [[ -n "${CEREMONY_RUNBOOK_THRESHOLD:-}" ]] && args+=(--root-threshold "$CEREMONY_RUNBOOK_THRESHOLD")

    rb_step "stage the next root version"
    rb_stage_next_root "${args[@]}"
    rb_check "the change on screen adds and removes exactly the holders in the ceremony plan"

    rb_step "old and new holders sign"
    rb_say "Root N+1 needs the threshold of the previous root's keys and of its own; \`ceremony status\` shows both."
    rb_sign_round "${RB_SIGNERS[@]}"
fi

rb_export "$name" new-root
rb_say "Done. The online side publishes the new N.root.json next to every older one (they stay forever)."
