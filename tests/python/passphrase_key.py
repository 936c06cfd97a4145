#!/usr/bin/env python3
"""An independent derivation of Ceremony's passphrase keys (construction
ceremony-passphrase-v1, docs/passphrase-keys.md), with pyca/cryptography's Argon2id
and Ed25519 and securesystemslib's canonical JSON.

  passphrase_key.py PASSPHRASE_FILE HOLDER MEMORY_KIB ITERATIONS LANES
      {"public": hex, "keyid": hex}

PASSPHRASE_FILE: its first line, without the line ending, is the passphrase.
"""

from __future__ import annotations

import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from securesystemslib.formats import encode_canonical


def main() -> int:
    path, holder, memory_kib, iterations, lanes = sys.argv[1:6]
    with open(path, "rb") as f:
        passphrase = f.read().split(b"\n", 1)[0]
    if passphrase.endswith(b"\r"):
        passphrase = passphrase[:-1]
    salt = hashlib.sha256(b"ceremony passphrase key v1\x00" + holder.encode("utf-8")).digest()
    seed = Argon2id(
        salt=salt,
        length=32,
        iterations=int(iterations),
        lanes=int(lanes),
        memory_cost=int(memory_kib),
    ).derive(passphrase)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": public.hex()}}
    keyid = hashlib.sha256(encode_canonical(key).encode("utf-8")).hexdigest()
    sys.stdout.write(json.dumps({"public": public.hex(), "keyid": keyid}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
