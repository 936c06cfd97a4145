#!/usr/bin/env bash
# Installs (once) what the FAT tests of tests/workspace_move.rs need: dosfstools (mkfs.vfat)
# to make a FAT image, mtools to copy into it without mounting, and fusefat to mount it
# without a kernel module. Idempotent: installs only what is missing, never asks.
#
#   bash scripts/fat-env.sh               install; exit 2 saying what to install where it cannot
#   bash scripts/fat-env.sh --probe DIR   install where it can, then prove what this machine
#                                         can do: writes DIR/fat-tools and DIR/fat-mount, each
#                                         `ok` or `unavailable: REASON` (tests/common/skips.rs)
#
# The probe really mounts a FAT image with fusefat, writes a file on it, unmounts, and reads
# the file back with mtools: a test may skip the FAT checks only where this failed.
set -euo pipefail
probe_dir=""
if [ "${1:-}" = "--probe" ]; then
    probe_dir="${2:?usage: fat-env.sh --probe DIR}"
    mkdir -p "$probe_dir"
fi
missing=()
command -v mkfs.vfat >/dev/null 2>&1 || missing+=(dosfstools)
command -v mcopy >/dev/null 2>&1 || missing+=(mtools)
command -v fusefat >/dev/null 2>&1 || missing+=(fusefat)
install_error=""
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        install_error="the FAT tests need ${missing[*]}; install them (sudo apt-get install ${missing[*]})"
    else
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null; } >&2; then
            install_error="apt-get could not install ${missing[*]}"
        fi
    fi
fi
if [ -z "$probe_dir" ]; then
    [ -z "$install_error" ] || { echo "fat-env.sh: $install_error" >&2; exit 2; }
    exit 0
fi

# --probe: each verdict with the reason, never a failure of this script.
verdict() { echo "$2" >"$probe_dir/$1"; echo "fat-env.sh: $1: $2" >&2; }
work="$(mktemp -d)"
trap 'fusermount -u "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
tools=""
for t in mkfs.vfat mcopy; do command -v "$t" >/dev/null 2>&1 || tools="$tools $t"; done
if [ -n "$tools" ]; then
    verdict fat-tools "unavailable:$tools missing; ${install_error:-not installed}"
elif ! err="$(truncate -s 4M "$work/img" && mkfs.vfat "$work/img" 2>&1 >/dev/null && echo probe >"$work/f" && mcopy -i "$work/img" "$work/f" ::/f 2>&1)"; then
    verdict fat-tools "unavailable: making and writing a FAT image failed: $err"
else
    verdict fat-tools ok
fi
mount_tools=""
for t in mkfs.vfat fusefat fusermount mcopy; do command -v "$t" >/dev/null 2>&1 || mount_tools="$mount_tools $t"; done
if [ -n "$mount_tools" ]; then
    verdict fat-mount "unavailable:$mount_tools missing; ${install_error:-not installed}"
elif [ ! -e /dev/fuse ]; then
    verdict fat-mount "unavailable: /dev/fuse does not exist (no FUSE in this kernel or container)"
else
    if ! err="$(mkdir -p "$work/mnt" && truncate -s 4M "$work/mimg" && mkfs.vfat "$work/mimg" 2>&1 >/dev/null)"; then
        verdict fat-mount "unavailable: making a FAT image failed: $err"
    elif ! err="$(fusefat -o rw+ "$work/mimg" "$work/mnt" 2>&1)"; then
        verdict fat-mount "unavailable: fusefat cannot mount a FAT image here: $(echo "$err" | head -3 | tr '\n' ' ')"
    elif ! { echo mounted >"$work/mnt/probe.txt" && fusermount -u "$work/mnt"; } 2>/dev/null; then
        verdict fat-mount "unavailable: a fusefat mount took no file or did not unmount"
    elif [ "$(mtype -i "$work/mimg" ::/probe.txt 2>/dev/null)" != mounted ]; then
        verdict fat-mount "unavailable: a file written through the fusefat mount was not in the image"
    else
        verdict fat-mount ok
    fi
fi
