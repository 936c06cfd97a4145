#!/usr/bin/env python3
"""Builds the repositories tests/independent_clients.rs serves to python-tuf, tuf-js and tough.

  independent_clients.py build --bundle DIR [--bundle DIR]... --online SEED --dev-dir DIR
                               --claimed-project NAME --rc-paths FILE --out OUT
      DIR: the metadata/ directory of each extracted ceremony bundle, oldest first.
      SEED: the online key's hex Ed25519 seed; DIR/NAME.seed: the claimed project's
      developer key (pep480.py recently-claimed --dev-dir writes it); FILE: {name: patterns}
      from `ceremony project paths` for one recently-claimed project.
      Writes OUT/targets (every target file, published at both consistent-snapshot
      layouts), one metadata directory per case under OUT/cases/, and OUT/cases.json:
      a list of {"id", "kind", "a", "b", "root", "metadata_dir", "targets_dir", "target",
      "good_sha256", "bad_sha256"}.

Cases:
  normal      the legitimate repository: the offline files of the last bundle (and every
              root), recently-claimed and unclaimed signed by the online key, the claimed
              project's role signed by its developer; one case per target (claimed,
              recently-claimed, unclaimed). A client must return good_sha256.
  control     the attacker's repository ("renamed", below) with nothing substituted, asking
              for the recently-claimed project's file: the attacker legitimately owns that name, so
              every client must return bad_sha256. Proves the attacker's signing works, so a
              refusal in the attack cases is the layout's doing.
  baseline    each attacker's repository with nothing substituted, asking for the claimed
              project's file: must never return bad_sha256.
  attack      for role name A (every offline targets-type role ever published) and file B
              (every offline targets-type file ever published, any version, except A's
              current file): B's bytes served as V.A.json with the attacker's snapshot
              listing A at B's version V. Must never return bad_sha256.

The attacker owns the online key: it signs snapshot, timestamp and a recently-claimed that
delegates the claimed project, with the same patterns (read from the shard that delegates
it), to the attacker's key, and that role lists a malicious file at the claimed project's
exact target path. Two attackers ("variant"): "same" delegates under the project's own role
name, "renamed" under a new one (see cmd_build). Everything about the layout is read from the bundle files, so
the cases do not depend on how Ceremony signs shards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

EXPIRES = (datetime.now(timezone.utc) + timedelta(days=300)).replace(microsecond=0)
FILE_NAME = re.compile(r"^([0-9]+)\.(.+)\.json$")


def signer_from_seed(seed_hex: str) -> CryptoSigner:
    priv = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    return CryptoSigner(priv, SSlibKey.from_crypto(priv.public_key()))


def read_seed(path: str) -> CryptoSigner:
    with open(path) as f:
        return signer_from_seed(f.read().strip())


def sign(signed, signer: CryptoSigner) -> bytes:
    md = Metadata(signed)
    md.sign(signer)
    return md.to_bytes(JSONSerializer(compact=True))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- the bundles


def offline_files(bundle_dirs: list[str]) -> tuple[dict, dict]:
    """(roots {version: bytes}, files {(role, version): bytes}) over every bundle. A bundle
    repeats the current version of every role: the same (role, version) must be the same
    bytes everywhere."""
    roots, files = {}, {}
    for d in bundle_dirs:
        for name in sorted(os.listdir(d)):
            m = FILE_NAME.match(name)
            if not m:
                continue
            version, role = int(m.group(1)), m.group(2)
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            table, key = (roots, version) if role == "root" else (files, (role, version))
            if table.get(key, data) != data:
                raise SystemExit(f"two different files for {name} in the bundles")
            table[key] = data
    return roots, files


def current(files: dict) -> dict:
    """{role: (version, bytes)} for the newest version of each role."""
    out = {}
    for (role, version), data in files.items():
        if role not in out or out[role][0] < version:
            out[role] = (version, data)
    return out


def delegated_projects(cur: dict) -> set[str]:
    """Every role the current offline files delegate that is not itself an offline or online
    role: the claimed projects."""
    names = set()
    for _, data in cur.values():
        for role in (json.loads(data)["signed"].get("delegations") or {}).get("roles", []):
            names.add(role["name"])
    return names - set(cur) - {"recently-claimed", "unclaimed"}


def delegation_of(project: str, cur: dict) -> dict:
    """The delegation to `project` in the current offline files (the shard that holds it)."""
    for _, data in cur.values():
        signed = json.loads(data)["signed"]
        for role in (signed.get("delegations") or {}).get("roles", []):
            if role["name"] == project:
                return role
    raise SystemExit(f"no offline file delegates {project}")


# --------------------------------------------------------------------------- targets


class TargetStore:
    """OUT/targets: each file at DIR/HASH.FILENAME (python-tuf, tuf-js) and at
    HASH.DIR/FILENAME, i.e. HASH. + the whole target path (tough)."""

    def __init__(self, root: str):
        self.root = root

    def add(self, path: str, content: bytes) -> TargetFile:
        digest = sha256(content)
        head, tail = os.path.split(path)
        for rel in (os.path.join(head, f"{digest}.{tail}"), f"{digest}.{path}"):
            full = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(content)
        return TargetFile.from_data(path, content, ["sha256"])


def warehouse_path(filename: str, content: bytes) -> str:
    d = sha256(content)
    return f"packages/{d[:2]}/{d[2:4]}/{d[4:]}/{filename}"


def role_file(version: int, files: list[TargetFile], signer: CryptoSigner) -> bytes:
    t = Targets(version=version, expires=EXPIRES, targets={f.path: f for f in files})
    return sign(t, signer)


def delegating_file(version: int, roles: list[tuple[str, list[str], CryptoSigner]], signer: CryptoSigner) -> bytes:
    """A targets-type file delegating each (name, paths, key) at threshold 1, terminating."""
    keys, delegated = {}, {}
    for name, paths, key in roles:
        keys[key.public_key.keyid] = key.public_key
        delegated[name] = DelegatedRole(name, [key.public_key.keyid], 1, True, paths=paths)
    t = Targets(version=version, expires=EXPIRES, delegations=Delegations(keys, roles=delegated))
    return sign(t, signer)


# --------------------------------------------------------------------------- repositories


def write_repo(out: str, roots: dict, meta: dict, online: CryptoSigner) -> None:
    """OUT/V.root.json for every root, V.ROLE.json for meta {role: (version, bytes)}, and the
    online key's snapshot (listing meta's versions) and timestamp."""
    os.makedirs(out)
    for version, data in roots.items():
        with open(os.path.join(out, f"{version}.root.json"), "wb") as f:
            f.write(data)
    for role, (version, data) in meta.items():
        with open(os.path.join(out, f"{version}.{role}.json"), "wb") as f:
            f.write(data)
    snap = Snapshot(version=1, expires=EXPIRES, meta={f"{r}.json": MetaFile(v) for r, (v, _) in meta.items()})
    with open(os.path.join(out, "1.snapshot.json"), "wb") as f:
        f.write(sign(snap, online))
    ts = Timestamp(version=1, expires=EXPIRES, snapshot_meta=MetaFile(1))
    with open(os.path.join(out, "timestamp.json"), "wb") as f:
        f.write(sign(ts, online))


def cmd_build(a) -> int:
    online = read_seed(a.online)
    roots, files = offline_files(a.bundle)
    cur = current(files)
    store = TargetStore(os.path.join(a.out, "targets"))
    with open(a.rc_paths) as f:
        (rc_project, rc_patterns), = json.load(f).items()

    # The legitimate side.
    project = a.claimed_project
    developer = read_seed(os.path.join(a.dev_dir, project + ".seed"))
    good = f"{project} 1.0, signed by its developer\n".encode()
    claimed_target = store.add(warehouse_path(f"{project.replace('-', '_')}-1.0.tar.gz", good), good)
    rc_developer = signer_from_seed(os.urandom(32).hex())
    rc_good = f"{rc_project} 1.0, signed by its developer\n".encode()
    rc_target = store.add(warehouse_path(f"{rc_project.replace('-', '_')}-1.0.tar.gz", rc_good), rc_good)
    unclaimed_good = b"an unclaimed file, signed by the online key\n"
    unclaimed_target = store.add(warehouse_path("zz_unclaimed_thing-1.0.tar.gz", unclaimed_good), unclaimed_good)
    legit = {role: vd for role, vd in cur.items()}
    # Every claimed project publishes its role: tough loads every delegated role up front and
    # stops loading a delegator's roles at the first one snapshot does not list.
    for other in sorted(delegated_projects(cur) - {project}):
        legit[other] = (1, role_file(1, [], read_seed(os.path.join(a.dev_dir, other + ".seed"))))
    legit["recently-claimed"] = (10, delegating_file(10, [(rc_project, rc_patterns, rc_developer)], online))
    legit["unclaimed"] = (1, role_file(1, [unclaimed_target], online))
    legit[project] = (1, role_file(1, [claimed_target], developer))
    legit[rc_project] = (1, role_file(1, [rc_target], rc_developer))

    # The attacker's side: its own key, a file at each exact target path, delegated with
    # the same patterns either under the same role names ("same") or under new ones
    # ("renamed"). Under the same name the attacker's role replaces the project's own, which
    # a client that loads every delegated role up front (tough) refuses outright; renamed,
    # the project's own role stays valid and only the substitution can hide it.
    attacker = signer_from_seed(os.urandom(32).hex())
    patterns = delegation_of(project, cur)["paths"]
    evil = f"{project} 1.0, signed by the attacker\n".encode()
    evil_target = store.add(claimed_target.path, evil)
    rc_evil = f"{rc_project} 1.0, signed by the attacker\n".encode()
    rc_evil_target = store.add(rc_target.path, rc_evil)
    hostile = {}
    for variant, suffix in (("same", ""), ("renamed", ".attacker")):
        meta = dict(legit)
        roles = [(project + suffix, patterns, attacker), (rc_project + suffix, rc_patterns, attacker)]
        meta["recently-claimed"] = (11, delegating_file(11, roles, online))
        meta[project + suffix] = (2, role_file(2, [evil_target], attacker))
        meta[rc_project + suffix] = (2, role_file(2, [rc_evil_target], attacker))
        hostile[variant] = meta

    cases = []
    first_root = os.path.join(a.out, "trusted-root.json")
    os.makedirs(a.out, exist_ok=True)
    with open(first_root, "wb") as f:
        f.write(roots[min(roots)])

    def case(kind: str, variant: str, meta: dict, target: TargetFile, good: bytes, bad: bytes | None, a_: str = "", b: str = "") -> None:
        cid = f"{len(cases):03d}-{kind}"
        mdir = os.path.join(a.out, "cases", cid)
        write_repo(mdir, roots, meta, online)
        cases.append({"id": cid, "kind": kind, "variant": variant, "a": a_, "b": b, "root": first_root,
                      "metadata_dir": mdir, "targets_dir": store.root, "target": target.path,
                      "good_sha256": sha256(good), "bad_sha256": sha256(bad) if bad is not None else None})

    case("normal", "", legit, claimed_target, good, None, b="claimed project")
    case("normal", "", legit, rc_target, rc_good, None, b="recently-claimed project")
    case("normal", "", legit, unclaimed_target, unclaimed_good, None, b="unclaimed file")
    case("control", "renamed", hostile["renamed"], rc_target, rc_good, rc_evil, b="recently-claimed project")
    for variant, base in hostile.items():
        case("baseline", variant, base, claimed_target, good, evil, b="nothing substituted")
        for role_a in sorted({r for r, _ in files}):
            for (role_b, version_b), data in sorted(files.items()):
                if role_b == role_a and version_b == cur[role_a][0]:
                    continue
                meta = dict(base)
                meta[role_a] = (version_b, data)
                case("attack", variant, meta, claimed_target, good, evil, a_=role_a, b=f"{version_b}.{role_b}.json")
    with open(os.path.join(a.out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(json.dumps({"cases": len(cases), "offline_files": sorted(f"{v}.{r}.json" for r, v in files)}))
    return 0


def main(argv) -> int:
    p = argparse.ArgumentParser(prog="independent_clients.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("build")
    s.add_argument("--bundle", action="append", required=True)
    s.add_argument("--online", required=True)
    s.add_argument("--dev-dir", required=True)
    s.add_argument("--claimed-project", required=True)
    s.add_argument("--rc-paths", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_build)
    a = p.parse_args(argv[1:])
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
