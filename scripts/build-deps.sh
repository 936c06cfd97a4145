#!/usr/bin/env bash
# Installs the Debian packages that building ceremony itself needs: the `pcsc` crate (YubiKey
# PIV through PC/SC) links libpcsclite, found with pkg-config. Both README commands call this
# before `cargo build`, so either works first on a fresh machine. Prints nothing when all is
# there; says what to install when it cannot install it itself (not root, not Debian).
set -euo pipefail
packages=(libpcsclite-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "build-deps.sh: building ceremony needs the PC/SC library's headers and pkg-config (Debian: ${missing[*]}; Fedora: pcsc-lite-devel pkgconf); install them and run this again" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "build-deps.sh: building ceremony needs ${missing[*]}; run \`sudo apt-get install ${missing[*]}\` and run this again" >&2
    exit 2
fi
echo "build-deps.sh: installing ${missing[*]} (needed to build ceremony)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
