#!/usr/bin/env bash
# Installs (once) what the FAT tests of tests/workspace_move.rs need: dosfstools (mkfs.vfat)
# to make a FAT image, mtools to copy into it without mounting, and fusefat to mount it
# without a kernel module. Idempotent: installs only what is missing, never asks.
set -euo pipefail
missing=()
command -v mkfs.vfat >/dev/null 2>&1 || missing+=(dosfstools)
command -v mcopy >/dev/null 2>&1 || missing+=(mtools)
command -v fusefat >/dev/null 2>&1 || missing+=(fusefat)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "fat-env.sh: the FAT tests need ${missing[*]}; install them (sudo apt-get install ${missing[*]})" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
fi
