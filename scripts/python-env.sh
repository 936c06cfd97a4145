#!/usr/bin/env bash
# Creates (once) the Python virtual environment that holds python-tuf, the reference
# implementation our tests use as an independent judge. Prints the interpreter's path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CEREMONY_VENV:-$root/.venv}"
want="$root/tests/python/requirements.txt"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$want" "$venv/.requirements" 2>/dev/null; then
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$want" >&2
    cp "$want" "$venv/.requirements"
fi
echo "$venv/bin/python"
