#!/usr/bin/env python3
"""python-tuf builds the online side of PEP 480 around a ceremony's bundle.

  pep480.py keygen PREFIX
      writes PREFIX.seed (hex Ed25519 seed) and PREFIX.pub.json (TUF key object)
  pep480.py recently-claimed --online SEED --paths PATHS.json --out FILE --version N
                             [--expires ISO] [--dev-dir DIR | --pool K] [--mutate KIND:NAME]...
      recently-claimed signed by the online key, delegating to every project in PATHS.json
      ({name: [patterns]}, from `ceremony project paths`), each with its own developer key
      (seed in DIR/NAME.seed) or one of K shared keys, threshold 1, terminating.
      Mutations (for refusal tests): widen, dup, dupbad, nonterminating, threshold, rename,
      upperkey, upperpublic, succinct.
      --file-form writes it as Ceremony writes metadata (canonical, compact); --signed-tail
      adds a member after "signed" and signs the rest of the file instead of signed.
  pep480.py online-repo --bundle-metadata DIR --online SEED --recently-claimed FILE
                        --dev-dir DIR --project NAME --out REPO [--stranger]
      REPO/metadata and REPO/targets: the bundle's files plus recently-claimed, an empty
      unclaimed, NAME's project role listing one file (signed by NAME's developer key, or
      with --stranger by another key), snapshot and timestamp by the online key. Prints
      {"target": PATH}.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, SSlibKey

FAR = (datetime.now(timezone.utc) + timedelta(days=300)).strftime("%Y-%m-%dT%H:%M:%SZ")


def signer_from_seed(seed_hex: str) -> CryptoSigner:
    priv = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    return CryptoSigner(priv, SSlibKey.from_crypto(priv.public_key()))


def new_seed() -> str:
    return os.urandom(32).hex()


def key_dict(signer: CryptoSigner) -> dict:
    d = signer.public_key.to_dict()
    return {"keytype": d["keytype"], "scheme": d["scheme"], "keyval": d["keyval"]}


def keyid(key: dict) -> str:
    return hashlib.sha256(encode_canonical(key).encode()).hexdigest()


def sign_file(signed: dict, signers: list[CryptoSigner], path: str, file_form: bool = False, signed_tail: bool = False) -> None:
    """Writes {"signatures", "signed"} as json.dump does, or in file form (canonical, compact).
    signed_tail (file form): adds a member "zz" after "signed" and signs what follows
    '"signed":' up to the last brace instead of the signed bytes (a reader that took the
    rest of the file for signed would accept it)."""
    data = encode_canonical(signed).encode()
    if signed_tail:
        data += b',"zz":{}'
    sigs = []
    for s in signers:
        sig = s.sign(data)
        sigs.append({"keyid": keyid(key_dict(s)), "sig": sig.signature})
    envelope = {"signatures": sigs, "signed": signed}
    if signed_tail:
        envelope["zz"] = {}
    with open(path, "w") as f:
        if file_form or signed_tail:
            f.write(encode_canonical(envelope))
        else:
            json.dump(envelope, f)


def targets(version: int, delegations: dict | None = None, files: dict | None = None, expires: str = FAR) -> dict:
    t = {"_type": "targets", "spec_version": "1.0.31", "version": version, "expires": expires, "targets": files or {}}
    if delegations is not None:
        t["delegations"] = delegations
    return t


def cmd_keygen(a) -> int:
    seed = new_seed()
    with open(a.prefix + ".seed", "w") as f:
        f.write(seed)
    with open(a.prefix + ".pub.json", "w") as f:
        json.dump(key_dict(signer_from_seed(seed)), f)
    return 0


def cmd_recently_claimed(a) -> int:
    online = signer_from_seed(open(a.online).read().strip())
    paths = json.load(open(a.paths))
    pool = [signer_from_seed(new_seed()) for _ in range(a.pool)] if not a.dev_dir else []
    keys, roles = {}, []
    for i, (name, patterns) in enumerate(paths.items()):
        if a.dev_dir:
            seed = new_seed()
            with open(os.path.join(a.dev_dir, name + ".seed"), "w") as f:
                f.write(seed)
            dev = signer_from_seed(seed)
        else:
            dev = pool[i % len(pool)]
        k = key_dict(dev)
        keys[keyid(k)] = k
        roles.append({"name": name, "keyids": [keyid(k)], "threshold": 1, "terminating": True, "paths": patterns})
    by_name = {r["name"]: r for r in roles}
    for m in a.mutate:
        kind, name = m.split(":", 1)
        r = by_name[name]
        if kind == "widen":
            r["paths"] = ["packages/*/*/*/*", "simple/*/*"]
        elif kind == "dup":
            roles.append(copy.deepcopy(r))
        elif kind == "nonterminating":
            r["terminating"] = False
        elif kind == "threshold":
            r["threshold"] = len(r["keyids"]) + 1
        elif kind == "rename":
            r["name"] = "claimed"
        elif kind == "dupbad":
            # A second copy that is invalid alone (widened paths); the first stays valid.
            bad = copy.deepcopy(r)
            bad["paths"] = ["packages/*/*/*/*", "simple/*/*"]
            roles.append(bad)
        elif kind == "upperkey":
            # The developer's one key listed again under its keyid in upper case, threshold 2.
            upper = r["keyids"][0].upper()
            keys[upper] = copy.deepcopy(keys[r["keyids"][0]])
            r["keyids"] = r["keyids"] + [upper]
            r["threshold"] = 2
        elif kind == "upperpublic":
            # The developer's one key again, its public hex in upper case: another key
            # object, so another (correct, lower-case) keyid, for the same key; threshold 2.
            other = copy.deepcopy(keys[r["keyids"][0]])
            other["keyval"]["public"] = other["keyval"]["public"].upper()
            keys[keyid(other)] = other
            r["keyids"] = r["keyids"] + [keyid(other)]
            r["threshold"] = 2
        elif kind == "succinct":
            succinct = {"keyids": [r["keyids"][0]], "threshold": 1, "bit_length": 8, "name_prefix": "bins"}
        else:
            raise SystemExit(f"unknown mutation {kind}")
    delegations = {"keys": keys, "roles": roles}
    if any(m.startswith("succinct:") for m in a.mutate):
        delegations["succinct_roles"] = succinct
    signed = targets(a.version, delegations, expires=a.expires or FAR)
    sign_file(signed, [online], a.out, a.file_form, a.signed_tail)
    return 0


def cmd_online_repo(a) -> int:
    online = signer_from_seed(open(a.online).read().strip())
    md = os.path.join(a.out, "metadata")
    tg = os.path.join(a.out, "targets")
    os.makedirs(md)
    os.makedirs(tg)
    meta = {}
    for f in sorted(os.listdir(a.bundle_metadata)):
        shutil.copy(os.path.join(a.bundle_metadata, f), md)
        version, role = f[: -len(".json")].split(".", 1)
        if role != "root":
            meta[role + ".json"] = {"version": int(version)}
    rc = json.load(open(a.recently_claimed))
    rc_version = rc["signed"]["version"]
    shutil.copy(a.recently_claimed, os.path.join(md, f"{rc_version}.recently-claimed.json"))
    meta["recently-claimed.json"] = {"version": rc_version}
    sign_file(targets(1), [online], os.path.join(md, "1.unclaimed.json"))
    meta["unclaimed.json"] = {"version": 1}

    # The project's own role: one distribution file, signed by its developer.
    name = a.project
    dev = signer_from_seed(open(os.path.join(a.dev_dir, name + ".seed")).read().strip())
    if a.stranger:
        dev = signer_from_seed(new_seed())
    content = f"{name} 1.0, signed by its developer\n".encode()
    digest = hashlib.sha256(content).hexdigest()
    filename = f"{name.replace('-', '_')}-1.0.tar.gz"
    target = f"packages/{digest[:2]}/{digest[2:4]}/{digest[4:64]}/{filename}"
    tdir = os.path.join(tg, os.path.dirname(target))
    os.makedirs(tdir)
    with open(os.path.join(tdir, f"{digest}.{filename}"), "wb") as f:
        f.write(content)
    files = {target: {"length": len(content), "hashes": {"sha256": digest}}}
    sign_file(targets(1, files=files), [dev], os.path.join(md, f"1.{name}.json"))
    meta[f"{name}.json"] = {"version": 1}

    sign_file({"_type": "snapshot", "spec_version": "1.0.31", "version": 1, "expires": FAR, "meta": meta}, [online],
              os.path.join(md, "1.snapshot.json"))
    sign_file({"_type": "timestamp", "spec_version": "1.0.31", "version": 1, "expires": FAR,
               "meta": {"snapshot.json": {"version": 1}}}, [online], os.path.join(md, "timestamp.json"))
    print(json.dumps({"target": target}))
    return 0


def main(argv) -> int:
    p = argparse.ArgumentParser(prog="pep480.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("keygen")
    s.add_argument("prefix")
    s.set_defaults(fn=cmd_keygen)
    s = sub.add_parser("recently-claimed")
    s.add_argument("--online", required=True)
    s.add_argument("--paths", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--version", type=int, required=True)
    s.add_argument("--expires")
    s.add_argument("--dev-dir")
    s.add_argument("--pool", type=int, default=8)
    s.add_argument("--mutate", action="append", default=[])
    s.add_argument("--file-form", action="store_true")
    s.add_argument("--signed-tail", action="store_true")
    s.set_defaults(fn=cmd_recently_claimed)
    s = sub.add_parser("online-repo")
    s.add_argument("--bundle-metadata", required=True)
    s.add_argument("--online", required=True)
    s.add_argument("--recently-claimed", required=True)
    s.add_argument("--dev-dir", required=True)
    s.add_argument("--project", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--stranger", action="store_true")
    s.set_defaults(fn=cmd_online_repo)
    a = p.parse_args(argv[1:])
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
