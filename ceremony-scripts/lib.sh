#!/usr/bin/env bash
# Shared helpers of the ceremony runbooks (sourced, never run).
#
# Every runbook walks the administrators through one job: it prints each checklist item
# people tick, shows each exact `ceremony` command before running it, and pauses for a
# confirmation when run on a terminal. With CEREMONY_RUNBOOK_NONINTERACTIVE=1 it answers
# yes everywhere (for CI and rehearsals) and takes every secret from a file named in an
# environment variable, never from argv:
#
#   CEREMONY_RUNBOOK_SECRET_<HOLDER>   file whose first line is HOLDER's passphrase or
#                                      token PIN (HOLDER upper-cased, non-alphanumerics
#                                      as _: holder "carol-b" -> CEREMONY_RUNBOOK_SECRET_CAROL_B)
#                                      A person's record for a role (alice.claimed) uses
#                                      CEREMONY_RUNBOOK_SECRET_ALICE_CLAIMED if set, else
#                                      alice's file (the same passphrase; the same PIN).
#
# Common settings:
#   CEREMONY            the ceremony binary (default: `ceremony` on PATH)
#   CEREMONY_WORKSPACE  the ceremony workspace (required)
#   CEREMONY_RUNBOOK_USB  the directory of the USB stick the results go to (required
#                         where a runbook writes results)
#   CEREMONY_RUNBOOK_DATE today's date in UTC, YYYY-MM-DD, from a watch or phone: the
#                         machine's clock must say the same. Asked on a terminal when unset;
#                         required in non-interactive runs
#
# Every runbook is resumable: after any refusal, fix the cause and run the same runbook
# again with the same settings. It skips what is already done (the workspace, registered
# holders, staged roles, signatures already made, a bundle already exported) and goes on
# where it stopped. To start a step over instead, `ceremony discard ROLE` first.
#
#   CEREMONY_RUNBOOK_PLACE      where the ceremony takes place, for its record (else asked)
#   CEREMONY_RUNBOOK_ATTENDEES  everyone present, names separated by commas (default: the
#                               holders the runbook names; add witnesses)
#   CEREMONY_RUNBOOK_BAGS       the tamper-evident bag numbers sealed at the end, separated
#                               by spaces (else asked)
#   CEREMONY_RUNBOOK_PURPOSE    overrides the runbook's own purpose line
#   CEREMONY_RUNBOOK_PREVIOUS_HEAD  the previous ceremony's closing head, copied from its
#                               signed paper record (64 hex digits or the six words): asked
#                               first on a terminal when unset; required in non-interactive
#                               runs after the bootstrap. `ceremony begin` refuses a workspace
#                               whose last ceremony did not close there.
set -euo pipefail

CEREMONY="${CEREMONY:-ceremony}"
RB_NONINTERACTIVE="${CEREMONY_RUNBOOK_NONINTERACTIVE:-0}"
RB_STEP=0

rb_noninteractive() { [[ "$RB_NONINTERACTIVE" == 1 ]]; }

# Refuses with one plain sentence, exit 2 (bad usage), like the ceremony tool.
rb_die() {
    echo "runbook: $*" >&2
    exit 2
}

# Requires an environment variable; names what to set.
rb_need() {
    local name="$1" what="$2"
    [[ -n "${!name:-}" ]] || rb_die "set $name to $what"
}

# The settings of every ceremony after the bootstrap, checked in this order: the workspace,
# the USB stick, each further NAME WHAT pair given, and last who signs today
# (CEREMONY_RUNBOOK_SIGNERS, described by WHO), read into the array RB_SIGNERS.
RB_SIGNERS=()
rb_need_next_ceremony() {
    local who="$1"
    shift
    rb_need CEREMONY_WORKSPACE "the workspace of the last ceremony"
    rb_need CEREMONY_RUNBOOK_USB "the directory of the mounted USB stick"
    while [[ $# -ge 2 ]]; do
        rb_need "$1" "$2"
        shift 2
    done
    rb_need CEREMONY_RUNBOOK_SIGNERS "$who"
    read -r -a RB_SIGNERS <<<"$CEREMONY_RUNBOOK_SIGNERS"
}

rb_title() {
    echo "================================================================"
    echo " $*"
    echo "================================================================"
    if rb_noninteractive; then
        echo "(non-interactive: every question is answered yes; a real ceremony is run on a terminal)"
    fi
}

rb_step() {
    RB_STEP=$((RB_STEP + 1))
    echo
    echo "---- Step $RB_STEP: $* ----"
}

rb_say() { echo "$*"; }

# Asks a yes/no question on the terminal; non-interactive: yes. Like the tool, only the
# whole words count: a lone `y` or an empty line is asked again.
rb_confirm() {
    local question="$1" answer
    if rb_noninteractive; then
        echo "$question yes (non-interactive)"
        return 0
    fi
    [[ -t 0 ]] || rb_die "no terminal to ask \"$question\" on; run on a terminal or set CEREMONY_RUNBOOK_NONINTERACTIVE=1"
    while true; do
        read -r -p "$question [yes/no] " answer
        case "$answer" in
            yes) return 0 ;;
            no) return 1 ;;
            *) echo "      type yes or no" ;;
        esac
    done
}

# A checklist item people tick; the runbook stops when it is not done.
rb_check() {
    local item="$1"
    if rb_noninteractive; then
        echo "  [x] $item (non-interactive: assumed done)"
        return 0
    fi
    echo "  [ ] $item"
    rb_confirm "      Done?" || rb_die "stopped: \"$item\" is not done; a ceremony goes on only when every item is ticked"
}

# Shows the exact command, then runs it. The tool's own refusal (one sentence) stops the
# runbook with the tool's exit status.
rb_run() {
    echo "\$ $*"
    local status=0
    "$@" || status=$?
    if [[ $status -ne 0 ]]; then
        echo "runbook: the command above was refused (exit $status); the ceremony stops here until it is fixed" >&2
        exit "$status"
    fi
}

# `ceremony` with the flags a runbook always passes (--yes when non-interactive).
rb_ceremony() {
    if rb_noninteractive; then
        rb_run "$CEREMONY" --yes "$@"
    else
        rb_run "$CEREMONY" "$@"
    fi
}

# The environment variable naming HOLDER's secret file.
rb_secret_var() {
    local upper
    upper="$(tr '[:lower:]' '[:upper:]' <<<"$1" | tr -c 'A-Z0-9\n' '_')"
    echo "CEREMONY_RUNBOOK_SECRET_${upper}"
}

# The file holding HOLDER's secret, or nothing (then the tool asks on the terminal).
# Non-interactive runs need the file. A record PERSON.ROLE falls back to PERSON's file.
rb_secret_file() {
    local var
    var="$(rb_secret_var "$1")"
    if [[ -z "${!var:-}" && "$1" == *.* ]]; then
        var="$(rb_secret_var "${1%.*}")"
    fi
    if [[ -n "${!var:-}" ]]; then
        [[ -r "${!var}" ]] || rb_die "$var names ${!var}, which cannot be read"
        echo "${!var}"
    elif rb_noninteractive; then
        rb_die "set $var to a file holding $1's passphrase or PIN (non-interactive runs never prompt)"
    fi
}

# The flags that hand HOLDER's secret files to the tool for HOLDER and HOLDER's records
# (HOLDER.root, HOLDER.targets, HOLDER.claimed), which `sign --holder HOLDER` signs with
# too: --pin-file for tokens, --passphrase-file for passphrase keys (from where `key list`
# says each key lives), each flag once, from the first record that needs it.
rb_secret_flag() {
    local holder="$1" name rest file pin="" pass=""
    while read -r name rest; do
        [[ "$name" == "$holder" || "$name" == "$holder".root || "$name" == "$holder".targets || "$name" == "$holder".claimed ]] || continue
        file="$(rb_secret_file "$name")"
        [[ -n "$file" ]] || continue
        case "$rest" in
            *YubiKey* | *PKCS#11*) [[ -n "$pin" ]] || pin="$file" ;;
            *) [[ -n "$pass" ]] || pass="$file" ;;
        esac
    done < <("$CEREMONY" key list)
    [[ -z "$pin" ]] || printf '%s\n%s\n' --pin-file "$pin"
    [[ -z "$pass" ]] || printf '%s\n%s\n' --passphrase-file "$pass"
}

# The previous ceremony's closing head, from its signed paper record, asked before anything
# else: `ceremony begin` refuses a workspace whose last ceremony closed anywhere else (a
# rewritten transcript, a workspace rolled back to an older copy). A bootstrap makes a new
# workspace: there was no previous ceremony (`none`), and begin refuses a workspace that
# closed one.
RB_PREVIOUS_HEAD=""
rb_previous_head() {
    rb_step "the previous ceremony's paper record"
    if [[ "${RB_FIRST_CEREMONY:-0}" == 1 ]]; then
        RB_PREVIOUS_HEAD=none
        rb_say "A bootstrap begins a new workspace: no ceremony came before it (ceremony begin checks that with --previous-head none)."
        return 0
    fi
    local typed="${CEREMONY_RUNBOOK_PREVIOUS_HEAD:-}"
    if [[ -z "$typed" ]]; then
        rb_noninteractive && rb_die "set CEREMONY_RUNBOOK_PREVIOUS_HEAD to the previous ceremony's closing head, from its signed paper record (64 hex digits or the six words)"
        [[ -t 0 ]] || rb_die "no terminal to ask for the previous closing head on; set CEREMONY_RUNBOOK_PREVIOUS_HEAD to the previous ceremony's closing head from its signed paper record"
        rb_say "Take the signed paper record of the previous ceremony out of its folder: the \"Closing head\" row of the summary at the top of its first page, its six words also written there by hand."
        while [[ -z "${typed// /}" ]]; do
            read -r -p "The previous ceremony's closing head as written there (64 hex digits or the six words): " typed
        done
    fi
    RB_PREVIOUS_HEAD="$typed"
    rb_say "Previous closing head from the paper: $RB_PREVIOUS_HEAD (ceremony begin compares it with the workspace)."
}

# The room: the previous paper record's closing head, bags, image, network, the date, then
# the tool's own preflight checks.
rb_room_checks() {
    rb_previous_head
    rb_step "the room and the machine"
    rb_check "the tamper-evident bags of the laptop, the tokens and the USB stick are intact and their numbers match the last record"
    rb_check "the laptop was booted from the verified live image (its SHA-256 compared with the published one)"
    rb_check "the laptop has no network hardware: Wi-Fi and Bluetooth removed, no cable connected"
    rb_check_date
    rb_run_preflight
}

# Today's date as the operator reads it from a watch or phone (CEREMONY_RUNBOOK_DATE, or
# typed), against the machine's clock: before a workspace exists nothing else can judge the
# clock, and every expiry a ceremony writes counts from it. A mismatch stops the runbook,
# rehearsal or not.
RB_DATE=""
rb_check_date() {
    local typed="${CEREMONY_RUNBOOK_DATE:-}" clock
    if [[ -z "$typed" ]]; then
        rb_noninteractive && rb_die "set CEREMONY_RUNBOOK_DATE to today's date in UTC (YYYY-MM-DD), read from a watch or phone"
        [[ -t 0 ]] || rb_die "no terminal to ask for today's date on; set CEREMONY_RUNBOOK_DATE to today's date in UTC (YYYY-MM-DD)"
        read -r -p "Today's date in UTC, from a watch or phone, as YYYY-MM-DD: " typed
    fi
    [[ "$typed" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || rb_die "\"$typed\" is not a date as YYYY-MM-DD"
    clock="$(date -u +%Y-%m-%d)"
    if [[ "$clock" != "$typed" ]]; then
        echo "runbook: the machine's clock says $clock (UTC) but today is $typed; set the clock right (date -u -s 'YYYY-MM-DD HH:MM') and start again" >&2
        exit 1
    fi
    RB_DATE="$typed"
    echo "The machine's clock says $clock (UTC): the date typed."
}

# `ceremony preflight`: shows what it found. A real ceremony stops on a fail; a
# non-interactive rehearsal (CI machines have network interfaces up) notes it and goes on.
rb_run_preflight() {
    local args=(preflight)
    [[ -z "$RB_DATE" ]] || args+=(--date "$RB_DATE")
    echo "\$ $CEREMONY ${args[*]}"
    local status=0
    "$CEREMONY" "${args[@]}" || status=$?
    if [[ $status -eq 0 ]]; then
        echo "preflight: every check passed or warned."
        return 0
    fi
    echo "preflight found a FAIL above. A real ceremony STOPS here until the machine is fixed."
    if rb_noninteractive; then
        echo "(non-interactive rehearsal: noted, going on)"
        return 0
    fi
    rb_confirm "Is this a rehearsal that may go on despite the fail?" || rb_die "stopped at preflight; fix the machine and start again"
}

# Registers one holder from a spec:
#   NAME:passphrase
#   NAME:yubikey:SERIAL[:SLOT[:generate]]
#   NAME:pkcs11:MODULE:TOKEN:KEY-LABEL
# With a ROLE (second argument), registers NAME's own key for that role, the record
# NAME.ROLE (`--for ROLE`): for a passphrase key, from NAME's passphrase; for a token,
# the spec names another slot or key label.
# CEREMONY_RUNBOOK_KDF_PROFILE=test derives passphrase keys with the fast, UNSAFE profile
# (rehearsals and tests only).
rb_register() {
    local spec="$1" role="${2:-}" name kind a b c d
    IFS=: read -r name kind a b c d <<<"$spec"
    [[ -n "$name" && -n "$kind" ]] || rb_die "holder spec \"$spec\" is not NAME:KIND[:...]"
    local file record="$name" forrole=()
    if [[ -n "$role" ]]; then
        record="$name.$role"
        forrole=(--for "$role")
    fi
    if rb_registered "$record"; then
        rb_say "$record is already registered (an earlier run of this runbook): skipped."
        return 0
    fi
    file="$(rb_secret_file "$record")"
    case "$kind" in
        passphrase)
            if [[ -n "$role" ]]; then
                rb_check "$name is alone at the keyboard to type their passphrase again: $record's key is derived from it"
            else
                rb_check "$name is alone at the keyboard to choose the passphrase (or has it written in the sealed envelope)"
            fi
            local args=(key new passphrase --holder "$name" "${forrole[@]}")
            [[ -n "$file" ]] && args+=(--passphrase-file "$file")
            [[ -n "${CEREMONY_RUNBOOK_KDF_PROFILE:-}" ]] && args+=(--kdf-profile "$CEREMONY_RUNBOOK_KDF_PROFILE")
            rb_ceremony "${args[@]}"
            ;;
        yubikey)
            [[ -n "$a" ]] || rb_die "holder spec \"$spec\" needs the YubiKey's serial: NAME:yubikey:SERIAL"
            rb_check "$name's YubiKey came out of its sealed bag and the serial printed on it is $a"
            local args=(key new yubikey --holder "$name" "${forrole[@]}" --serial "$a" --slot "${b:-9c}")
            [[ "$c" == generate ]] && args+=(--generate)
            [[ -n "$file" ]] && args+=(--pin-file "$file")
            rb_ceremony "${args[@]}"
            ;;
        pkcs11)
            [[ -n "$a" && -n "$b" && -n "$c" ]] || rb_die "holder spec \"$spec\" needs NAME:pkcs11:MODULE:TOKEN:KEY-LABEL"
            rb_check "$name's token \"$b\" came out of its sealed bag and its serial matches the record"
            local args=(key new pkcs11 --holder "$name" "${forrole[@]}" --module "$a" --token "$b" --key-label "$c")
            [[ -n "$file" ]] && args+=(--pin-file "$file")
            rb_ceremony "${args[@]}"
            ;;
        *) rb_die "holder spec \"$spec\": the key kind must be passphrase, yubikey or pkcs11" ;;
    esac
}

# The claimed key specs: CEREMONY_RUNBOOK_CLAIMED_HOLDERS, or for each passphrase holder
# of CEREMONY_RUNBOOK_HOLDERS, NAME:passphrase (NAME.claimed from NAME's passphrase). A
# token holder's claimed key lives in another slot or key label, which only they can name.
rb_claimed_specs() {
    if [[ -n "${CEREMONY_RUNBOOK_CLAIMED_HOLDERS:-}" ]]; then
        echo "$CEREMONY_RUNBOOK_CLAIMED_HOLDERS"
        return 0
    fi
    local spec out=()
    for spec in "$@"; do
        case "$spec" in
            *:passphrase) out+=("$spec") ;;
            *) rb_die "set CEREMONY_RUNBOOK_CLAIMED_HOLDERS: ${spec%%:*} holds a token key, and their claimed key must be another slot or key label (e.g. \"${spec%%:*}:yubikey:SERIAL:9d:generate\")" ;;
        esac
    done
    echo "${out[*]}"
}

# What a re-run needs to know, from the tool's own JSON (pretty-printed, one member a line).

# True when the workspace exists (an earlier run made it).
rb_workspace_exists() {
    "$CEREMONY" status >/dev/null 2>&1
}

# The tool's JSON is read whole before it is searched: `grep -q` quitting early would
# close the pipe on the tool, and `pipefail` would turn that into a false answer.

# True when HOLDER (or the record HOLDER.ROLE) is registered.
rb_registered() {
    local out
    out="$("$CEREMONY" key list --json 2>/dev/null)" || return 1
    grep -qF "\"holder\": \"$1\"," <<<"$out"
}

# True when ROLE is staged (no argument: when anything is).
rb_staged() {
    local out pattern="\"role\": \""
    [[ -z "${1:-}" ]] || pattern+="$1\""
    out="$("$CEREMONY" status --json 2>/dev/null)" || return 1
    grep -qF "$pattern" <<<"$out"
}

# True when a version of ROLE is trusted (an earlier run exported it).
rb_trusted() {
    local dir="$CEREMONY_WORKSPACE/current/trusted"
    if [[ "$1" == root ]]; then
        compgen -G "$dir/root/*.root.json" >/dev/null
    else
        [[ -f "$dir/$1.json" ]]
    fi
}

# The holders and records (alice, alice.claimed) whose signature a staged role still lacks.
rb_missing() {
    local out
    out="$("$CEREMONY" status --json)" || rb_die "\`$CEREMONY status\` was refused; run it to see why"
    awk '
        /"missing": \[\]/ { next }
        /"missing": \[/ { inside = 1; next }
        inside && /^ *\]/ { inside = 0; next }
        inside && /"holder": / { sub(/.*"holder": "/, ""); sub(/",?$/, ""); print }' <<<"$out"
}

# True when a staged role still lacks HOLDER's signature or one of HOLDER's records'.
rb_still_signs() {
    local h="$1" missing
    missing="$(rb_missing)"
    grep -qFx -e "$h" -e "$h.root" -e "$h.targets" -e "$h.claimed" <<<"$missing"
}

# True when NAME's bundle is on the USB stick and nothing is staged: an earlier run
# exported it and stopped after; only the rest of the export is left.
rb_exported() {
    [[ -f "$CEREMONY_RUNBOOK_USB/$1.tar" ]] && ! rb_staged
}

# True when today's bundle NAME is already on the USB stick (see rb_exported), and says so:
# the runbook skips to the rest of the export.
rb_only_export_left() {
    rb_exported "$1" || return 1
    rb_say "Today's bundle is already on the USB stick (an earlier run exported it): only the rest of the export is left."
}

# The workspace brought out of its bag is the one the last ceremony sealed: its transcript
# verifies and its last closed ceremony closed at the head typed from the paper record
# (compared by the tool, not by eye: `ceremony begin` already did, this says so again).
rb_check_sealed_workspace() {
    rb_step "the workspace is the one sealed after the last ceremony"
    rb_ceremony log verify --previous-head "$RB_PREVIOUS_HEAD"
}

# Stages the next root version (`ceremony ROTATE-ARGS...`), unless an earlier run of this
# runbook staged it and stopped: then it goes on with that one. Shows it for review either way.
rb_stage_next_root() {
    if rb_staged root; then
        rb_say "The next root version is already staged (an earlier run of this runbook): going on to its review and signing."
    else
        rb_ceremony "$@"
    fi
    rb_review root
}

# Prints what is staged as `sign` will show it, so a checklist question about "the screen"
# is about this.
rb_review() {
    rb_say "What is staged, as each signer will see it (nothing is signed here):"
    rb_ceremony review "$@"
}

# Each named holder reviews and signs what needs their key; a holder with nothing left to
# sign (signed in an earlier run of this runbook) is skipped.
rb_sign_round() {
    local holder
    for holder in "$@"; do
        if ! rb_still_signs "$holder"; then
            rb_say "$holder has nothing left to sign (already signed, or no staged role needs $holder's key): skipped."
            continue
        fi
        rb_say "$holder signs. Everyone watches the screen:"
        rb_check "$holder's token serial (or, for a passphrase key, $holder's name) is the one on the screen"
        local flags=()
        mapfile -t flags < <(rb_secret_flag "$holder")
        rb_ceremony sign --holder "$holder" "${flags[@]}"
        rb_check "$holder read the six digest words aloud and every other holder compared them with their own screen or the record"
    done
    rb_ceremony status
}

# Opens the ceremony record (`ceremony begin`): PURPOSE (CEREMONY_RUNBOOK_PURPOSE overrides),
# the place (CEREMONY_RUNBOOK_PLACE, else asked) and who is present (CEREMONY_RUNBOOK_ATTENDEES,
# names separated by commas; default: the NAMES given after PURPOSE). The tool also records
# its own SHA-256 and the preflight. Run again with the same settings, it continues.
rb_begin() {
    local purpose="${CEREMONY_RUNBOOK_PURPOSE:-$1}" place="${CEREMONY_RUNBOOK_PLACE:-}" attendees name list=()
    shift
    attendees="${CEREMONY_RUNBOOK_ATTENDEES:-$(IFS=,; echo "$*")}"
    rb_step "open the ceremony record"
    if [[ -z "$place" ]]; then
        if rb_noninteractive; then place="rehearsal (CEREMONY_RUNBOOK_PLACE not set)"; else read -r -p "Where does this ceremony take place? " place; fi
    fi
    rb_check "everyone present is named here (witnesses too; else set CEREMONY_RUNBOOK_ATTENDEES): $attendees"
    local args=(begin --purpose "$purpose" --place "$place" --previous-head "$RB_PREVIOUS_HEAD")
    IFS=, read -r -a list <<<"$attendees"
    for name in "${list[@]}"; do [[ -z "${name// /}" ]] || args+=(--attendee "$name"); done
    rb_ceremony "${args[@]}"
}

# Closes the ceremony record (`ceremony end`) with the numbers of the tamper-evident bags
# sealed now: CEREMONY_RUNBOOK_BAGS (separated by spaces), else typed at the terminal. The
# tool prints the closing head, which the room writes on the paper record: the next
# ceremony begins by typing it.
rb_end() {
    local bags="${CEREMONY_RUNBOOK_BAGS:-}" bag list=() args=(end)
    rb_step "seal the bags and close the ceremony record"
    if [[ -z "$bags" ]] && ! rb_noninteractive; then
        read -r -p "Numbers of the tamper-evident bags sealed now (USB stick, tokens), separated by spaces: " bags
    fi
    read -r -a list <<<"$bags"
    for bag in "${list[@]}"; do args+=(--bag "$bag"); done
    rb_ceremony "${args[@]}"
}

# The newest trusted root's file name, N.root.json.
rb_newest_root() {
    local f
    for f in "$CEREMONY_WORKSPACE"/current/trusted/root/*.root.json; do basename "$f"; done | sort -n | tail -n 1
}

# The new root is the trust anchor: the online side trusts the N.root.json on the stick only
# when its SHA-256 is the one on the paper record, so a stick swapped on the way (bundle and
# root together) is caught. `bundle export` printed the digest and its six words; the copy on
# the stick must give the same digest.
rb_read_out_anchor() {
    local root
    root="$(rb_newest_root)"
    rb_step "read out the trust anchor: the SHA-256 of $root"
    rb_say "SHA-256 of the file $root (the trust anchor), the copy on the USB stick:"
    sha256sum "$CEREMONY_RUNBOOK_USB/$root"
    rb_check "this is the SHA-256 \`bundle export\` printed for $root (the report shows it too, with its six words)"
    rb_check "the room read the SHA-256 of $root and its six words aloud, and they are written on the paper record: the online side types them in to trust $root"
}

# Exports the bundle and the record onto the USB stick; prints their SHA-256 to write down.
# With a second argument `new-root` (bootstrap, rotations), the room also reads out the new
# root's file digest, the trust anchor (rb_read_out_anchor).
rb_export() {
    local name="$1" new_root="${2:-}"
    rb_need CEREMONY_RUNBOOK_USB "the directory of the mounted USB stick"
    mkdir -p "$CEREMONY_RUNBOOK_USB"
    rb_step "export onto the USB stick"
    local bundle="$CEREMONY_RUNBOOK_USB/$name.tar"
    if rb_exported "$name"; then
        rb_say "$bundle was already exported (an earlier run): going on with the rest of the export."
    else
        rb_ceremony bundle export --out "$bundle"
    fi
    rb_ceremony log verify
    # The online side needs a root it already trusts; after a bootstrap that is root v1.
    local root
    # Only the workspace's own files: a link planted there would copy a file of this machine
    # onto the stick.
    for root in "$CEREMONY_WORKSPACE"/current/trusted/root/*.root.json; do
        [[ -f "$root" && ! -L "$root" ]] || rb_die "$root is a link or not a file; the workspace was altered, restore it from a trusted copy"
        cp "$root" "$CEREMONY_RUNBOOK_USB/"
    done
    rb_say "SHA-256 of the bundle (write it in the ceremony record; the online side compares it):"
    sha256sum "$bundle"
    rb_check "the bundle and the root files are on the USB stick (ls $CEREMONY_RUNBOOK_USB)"
    [[ "$new_root" != new-root ]] || rb_read_out_anchor
    rb_end
    rb_ceremony report --out "$CEREMONY_RUNBOOK_USB/$name-report.html"
    rb_step "the closing head onto the paper record"
    rb_say "The closing head above (records, the 64 hex digits and the six words) is this ceremony's anchor outside the USB stick:"
    rb_say "the next ceremony begins by typing it from the paper, and refuses a workspace that did not close here."
    rb_check "the closing head's six words, read aloud from the screen, are written by hand on the printed report next to its printed closing head, and match it"
    rb_check "the report (this ceremony: bundle SHA-256, bag numbers, closing head) is printed and signed by everyone present; the USB stick and the tokens are sealed in the bags it names"
}
