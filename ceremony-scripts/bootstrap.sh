#!/usr/bin/env bash
# Runbook: bootstrap. The keyholders meet, register their keys, and sign root version 1
# and the top-level targets that delegate to claimed, recently-claimed and unclaimed (PEP 480).
#
# Settings (environment):
#   CEREMONY_WORKSPACE          a new, empty directory for the workspace (kept, sealed, for later ceremonies)
#   CEREMONY_RUNBOOK_USB        the mounted USB stick's directory: the bundle, report and root go there
#   CEREMONY_RUNBOOK_HOLDERS    space-separated holder specs (ceremony-scripts/lib.sh rb_register):
#                               "alice:yubikey:12345678:9c bob:pkcs11:/usr/lib/...so:TOKEN:LABEL carol:passphrase"
#   CEREMONY_RUNBOOK_CLAIMED_HOLDERS  the holders' claimed keys, same spec format, NAME the person:
#                               registered as NAME.claimed (`key new ... --for claimed`), because a key
#                               that signed both targets and claimed would let the online key serve
#                               one as the other. Default: NAME:passphrase for each passphrase holder
#                               (the key comes from the same passphrase); token holders must name
#                               another slot or key label, e.g. "alice:yubikey:12345678:9d:generate"
#   CEREMONY_RUNBOOK_ONLINE_KEY the online key's public TUF key file, brought from the online side
#   CEREMONY_RUNBOOK_THRESHOLD  signatures needed for root, targets and claimed (default 2)
#   CEREMONY_RUNBOOK_SIGNERS    who signs today (default: every holder)
#   CEREMONY_RUNBOOK_EXPIRES    how long root and targets are valid (default 365d)
#   CEREMONY_RUNBOOK_DATE       today's date in UTC (YYYY-MM-DD); asked on a terminal when unset
#   secrets: CEREMONY_RUNBOOK_SECRET_<HOLDER> (see lib.sh); non-interactive: CEREMONY_RUNBOOK_NONINTERACTIVE=1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rb_need CEREMONY_WORKSPACE "a new directory for the ceremony workspace"
rb_need CEREMONY_RUNBOOK_USB "the directory of the mounted USB stick"
rb_need CEREMONY_RUNBOOK_HOLDERS "the holder specs, e.g. \"alice:yubikey:12345678 bob:passphrase carol:passphrase\""
rb_need CEREMONY_RUNBOOK_ONLINE_KEY "the online key's public key file (TUF key JSON)"
threshold="${CEREMONY_RUNBOOK_THRESHOLD:-2}"
expires="${CEREMONY_RUNBOOK_EXPIRES:-365d}"
read -r -a specs <<<"$CEREMONY_RUNBOOK_HOLDERS"
names=()
for spec in "${specs[@]}"; do names+=("${spec%%:*}"); done
read -r -a signers <<<"${CEREMONY_RUNBOOK_SIGNERS:-${names[*]}}"
list="$(IFS=,; echo "${names[*]}")"
claimed_line="$(rb_claimed_specs "${specs[@]}")"
read -r -a claimed_specs <<<"$claimed_line"
claimed_names=()
for spec in "${claimed_specs[@]}"; do claimed_names+=("${spec%%:*}.claimed"); done
claimed_list="$(IFS=,; echo "${claimed_names[*]}")"

RB_FIRST_CEREMONY=1
rb_title "Bootstrap ceremony: keys, root version 1, top-level targets"
rb_say "Holders: ${names[*]}; $threshold of ${#names[@]} must sign root, targets and claimed."
rb_room_checks

name="bootstrap-$(date -u +%Y%m%d)"
rb_step "a new workspace"
if rb_workspace_exists; then
    rb_say "The workspace exists (an earlier run of this runbook made it): going on where that run stopped."
else
    rb_ceremony init
fi
rb_begin "Bootstrap: holders' keys, root version 1, top-level targets" "${names[@]}"

if ! rb_only_export_left "$name"; then
    rb_step "each holder registers their key"
    for spec in "${specs[@]}"; do rb_register "$spec"; done
    rb_step "each holder registers their claimed key, which signs nothing else"
    for spec in "${claimed_specs[@]}"; do rb_register "$spec" claimed; done
    if rb_registered online; then
        rb_say "The online key is already registered (an earlier run): skipped."
    else
        rb_check "the online key file's SHA-256 ($(sha256sum "$CEREMONY_RUNBOOK_ONLINE_KEY" | cut -c1-16)…) was read out by the online side's operator and matches"
        rb_ceremony key import --holder online "$CEREMONY_RUNBOOK_ONLINE_KEY"
    fi
    rb_ceremony key list
    rb_check "every holder sees their own name, key type and token serial in the list above"

    rb_step "stage root version 1 and the top-level targets"
    if rb_staged root || rb_trusted root; then
        rb_say "Root version 1 is already staged (an earlier run): not staged again."
    else
        rb_ceremony root init --root "$list" --root-threshold "$threshold" --targets "$list" --targets-threshold "$threshold" \
            --snapshot online --timestamp online --expires "$expires"
    fi
    if rb_staged targets || rb_trusted targets; then
        rb_say "The top-level targets are already staged (an earlier run): not staged again."
    else
        rb_ceremony targets init --claimed "$claimed_list" --claimed-threshold "$threshold" --online online --expires "$expires"
    fi
    rb_review
    rb_check "the roles, keys and thresholds on screen are the ones agreed in the ceremony plan"

    rb_step "the holders sign"
    rb_sign_round "${signers[@]}"
fi

rb_export "$name" new-root
rb_say "Done. Hand the USB stick to the online side: ceremony-scripts/online-import.sh imports it, trusting 1.root.json."
