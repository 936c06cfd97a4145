#!/usr/bin/env bash
# Installs (once) what the report test needs: Debian's Chromium, to render and print the
# ceremony record headless, and poppler-utils (pdftotext, pdfinfo), to read the PDF back.
# Idempotent: installs only what is missing, never asks. Prints Chromium's path.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; } || missing+=(poppler-utils)
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
fi
command -v chromium
