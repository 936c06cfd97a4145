#!/usr/bin/env python3
"""Generate TUF interop fixtures with python-tuf (the independent judge).

Usage: make_fixtures.py OUTDIR

Writes, under OUTDIR (created; existing fixture subdirectories are replaced):

  chains/CASE/N.root.json ... + chains/manifest.json
      Root-rotation chains, valid and invalid.  manifest.json is a list of
      {"case", "files", "valid", "fail_at", "why", "note", "python_tuf",
      "disagreement"}; "files" are relative to chains/ and listed in verification
      order; "valid"/"fail_at" are the verdict a careful verifier (Ceremony) must
      give, "fail_at" being the 0-based index in "files" of the first file that
      must be refused (null when valid).  "python_tuf" is python-tuf's own verdict
      {"ok", "failed_at", "error"}, asked of ngclient's TrustedMetadataSet when the
      fixtures are made (judge.root_chain).  The two agree except in the cases named
      in DISAGREEMENTS, whose reason is "disagreement" (null elsewhere); the maker
      fails when they differ in any other case, or agree in a named one.

  metadata/*.json + metadata/manifest.json
      A small complete repository (root, targets, snapshot, timestamp, delegated
      roles incl. succinct hash bins) plus a few invalid derived role files.
      manifest.json is a list of {"file", "role", "delegator_file",
      "delegator_role", "valid"} (+ "succinct": true for hash-bin roles); paths
      relative to metadata/.  consistent_snapshot is false.
  targets/...
      The target files that metadata/ describes (for judge.py updater).
  consistent/metadata/, consistent/targets/
      The same repository shape with consistent_snapshot true: version-prefixed
      metadata (N.ROLE.json) and hash-prefixed target files, for judge.py updater.

  unknown-fields/root.json + unknown-fields/keys.json
      A 2-of-3 ed25519 root signed by only one key, full of x- fields (including
      non-ASCII and control characters); keys.json holds the private seeds.

Keys are random on every run; all other content is fixed.  Keyids are always
the hex SHA-256 of the canonical JSON of the whole public key object including
any x- custom fields.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import sys
from datetime import datetime, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, Signature, SSlibKey
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Role,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from judge import root_chain

FAR = datetime(2099, 1, 1, tzinfo=timezone.utc)
PRETTY = JSONSerializer(compact=False)


# --------------------------------------------------------------------------
# keys


class K:
    """A signing key whose public Key object may carry x- custom fields.

    kind: "ed25519" | "p256" | "p384" | "rsa".  legacy: use keytype
    "ecdsa-sha2-nistp256"/"-nistp384" instead of "ecdsa".
    """

    def __init__(self, kind, custom=None, legacy=False, priv=None, label=""):
        self.kind = kind
        self.label = label or kind
        if priv is None:
            if kind == "ed25519":
                priv = ed25519.Ed25519PrivateKey.generate()
            elif kind == "p256":
                priv = ec.generate_private_key(ec.SECP256R1())
            elif kind == "p384":
                priv = ec.generate_private_key(ec.SECP384R1())
            elif kind == "rsa":
                priv = rsa.generate_private_key(public_exponent=65537, key_size=3072)
            else:
                raise ValueError(kind)
        self.priv = priv
        scheme = {
            "ed25519": "ed25519",
            "p256": "ecdsa-sha2-nistp256",
            "p384": "ecdsa-sha2-nistp384",
            "rsa": "rsassa-pss-sha256",
        }[kind]
        base = SSlibKey.from_crypto(priv.public_key(), scheme=scheme)
        keytype = base.keytype
        if legacy:
            assert kind in ("p256", "p384")
            keytype = scheme
        self.custom = dict(custom or {})
        key_dict = {
            "keytype": keytype,
            "scheme": scheme,
            "keyval": dict(base.keyval),
            **copy.deepcopy(self.custom),
        }
        self.keyid = keyid_of(key_dict)
        self.key = SSlibKey(
            self.keyid, keytype, scheme, dict(base.keyval), copy.deepcopy(self.custom)
        )
        self.signer = CryptoSigner(priv, self.key)

    def variant(self, custom=None, legacy=False):
        """Same private key, different public key object (hence keyid)."""
        return K(self.kind, custom=custom, legacy=legacy, priv=self.priv, label=self.label)

    def sign(self, payload: bytes) -> Signature:
        return self.signer.sign(payload)


def keyid_of(key_dict) -> str:
    return hashlib.sha256(encode_canonical(key_dict).encode("utf-8")).hexdigest()


def role_of(keys, threshold, **custom):
    return Role([k.keyid for k in keys], threshold, custom or None)


# --------------------------------------------------------------------------
# writing helpers


def write_md(md: Metadata, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    md.to_file(path, PRETTY)


def write_json(obj, path: str) -> None:
    """Hand-made JSON, formatted like python-tuf's pretty JSONSerializer."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(json.dumps(obj, indent=1, sort_keys=True).encode("utf-8"))


def sign_md(md: Metadata, signers) -> Metadata:
    for s in signers:
        md.sign(s.signer, append=True)
    return md


def make_root(version, roles_keys, *, custom=None, consistent=False):
    """roles_keys: {"root": (keys, thr, role_custom), "targets": ..., ...}"""
    keys = {}
    roles = {}
    for name, spec in roles_keys.items():
        ks, thr = spec[0], spec[1]
        rc = spec[2] if len(spec) > 2 else {}
        for k in ks:
            keys[k.keyid] = k.key
        roles[name] = role_of(ks, thr, **rc)
    return Root(
        version=version,
        expires=FAR,
        keys=keys,
        roles=roles,
        consistent_snapshot=consistent,
        unrecognized_fields=dict(custom or {}),
    )


# --------------------------------------------------------------------------
# chains

# The chains where python-tuf's verdict is not the one a careful verifier gives, and why.
# Each is checked both ways when the fixtures are made: python-tuf must still disagree.
DISAGREEMENTS = {
    "same-key-twice": (
        "python-tuf counts keyids, not keys: version 2 lists one P-256 key under two "
        "keyids (differing only in an x- field), so its two signatures by that one key "
        "meet the 2-of-3 threshold for python-tuf; Ceremony counts the key once (1 of 2) "
        "and refuses version 2"
    ),
}


def judged_by_python_tuf(base, manifest):
    """Records python-tuf's verdict on every chain, and stops when it differs from the
    expected one outside DISAGREEMENTS (or agrees in a case named there)."""
    unknown = set(DISAGREEMENTS) - {c["case"] for c in manifest}
    if unknown:
        raise SystemExit(f"DISAGREEMENTS names cases that do not exist: {sorted(unknown)}")
    for c in manifest:
        verdict = root_chain([os.path.join(base, f) for f in c["files"]])
        c["python_tuf"] = verdict
        c["disagreement"] = DISAGREEMENTS.get(c["case"])
        agrees = verdict["ok"] == c["valid"] and (c["valid"] or verdict["failed_at"] == c["fail_at"])
        if not agrees and c["disagreement"] is None:
            raise SystemExit(
                f"chains/{c['case']}: python-tuf says {verdict}, the manifest expects "
                f"valid={c['valid']} fail_at={c['fail_at']}; fix the case or name it in DISAGREEMENTS"
            )
        if agrees and c["disagreement"] is not None:
            raise SystemExit(
                f"chains/{c['case']}: python-tuf now agrees ({verdict}); remove it from DISAGREEMENTS"
            )


def chains(outdir):
    base = os.path.join(outdir, "chains")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    manifest = []

    def case(name, files, valid, fail_at, why, note):
        manifest.append(
            {
                "case": name,
                "files": [f"{name}/{f}" for f in files],
                "valid": valid,
                "fail_at": fail_at,
                "why": why,
                "note": note,
            }
        )

    # ---- rotation ---------------------------------------------------------
    E1, P1, R1, Q1 = K("ed25519"), K("p256"), K("rsa"), K("p384")
    E2, R2, P2 = K("ed25519"), K("rsa"), K("p256")
    T1, T2, T3 = K("ed25519"), K("p384"), K("rsa")
    S1, S2 = K("rsa"), K("ed25519")
    TS1, TS2 = K("p256"), K("rsa")

    def others(t, s, ts):
        return {"targets": ([t], 1), "snapshot": ([s], 1), "timestamp": ([ts], 1)}

    plan = [
        # (root keys, threshold, other roles, signers)
        ([E1], 1, others(T1, S1, TS1), [E1]),
        ([E1, P1, R1], 2, others(T2, S1, TS1), [E1, P1]),
        ([E1, P1, R1, Q1], 3, others(T2, S2, TS1), [P1, R1, Q1]),
        ([P1, R1, Q1], 2, others(T2, S2, TS2), [P1, R1, Q1]),
        ([Q1, E2, R2, P2], 2, others(T3, S2, TS2), [P1, Q1, E2]),
        ([Q1, E2, R2, P2], 3, others(T3, S1, TS2), [E2, R2, P2]),
        ([E2, R2, P2], 2, others(T1, S1, TS1), [E2, R2, P2]),
    ]
    rot_md = []
    for i, (rk, thr, oth, signers) in enumerate(plan):
        spec = {"root": (rk, thr), **oth}
        root = make_root(i + 1, spec)
        md = sign_md(Metadata(root), signers)
        rot_md.append(md)
    # sanity: every step meets both thresholds (checked again by selfcheck)
    rot_files = [f"{i + 1}.root.json" for i in range(len(rot_md))]
    for md, f in zip(rot_md, rot_files):
        write_md(md, os.path.join(base, "rotation", f))
    case("rotation", rot_files, True, None, None,
         "7 versions; root thresholds 1/1 -> 2/3 -> 3/4 -> 2/3 -> 2/4 -> 3/4 -> 2/3 "
         "over ed25519, ECDSA P-256, ECDSA P-384 and RSA-PSS keys; targets, "
         "snapshot and timestamp keys rotated")

    def copy_rot(name, idxs):
        for i in idxs:
            shutil.copy(
                os.path.join(base, "rotation", rot_files[i]),
                os.path.join(base, name, rot_files[i]),
            )

    # ---- byte-changed -----------------------------------------------------
    os.makedirs(os.path.join(base, "byte-changed"))
    copy_rot("byte-changed", range(len(rot_files)))
    p = os.path.join(base, "byte-changed", "3.root.json")
    data = open(p, "rb").read()
    assert data.count(b'"2099-01-01T00:00:00Z"') == 1
    data = data.replace(b'"2099-01-01T00:00:00Z"', b'"2098-01-01T00:00:00Z"')
    open(p, "wb").write(data)
    case("byte-changed", rot_files, False, 2, "signature",
         "rotation's files with one digit of version 3's expires changed "
         "(2099 -> 2098); signatures kept")

    # ---- below-threshold --------------------------------------------------
    os.makedirs(os.path.join(base, "below-threshold"))
    copy_rot("below-threshold", range(3))
    md4 = Metadata.from_bytes(rot_md[3].to_bytes())
    del md4.signatures[Q1.keyid]
    write_md(md4, os.path.join(base, "below-threshold", "4.root.json"))
    case("below-threshold", rot_files[:4], False, 3, "threshold",
         "version 4 keeps only 2 signatures (P-256, RSA): meets its own 2-of-3 but "
         "not version 3's 3-of-4")

    # ---- duplicate-signature ----------------------------------------------
    os.makedirs(os.path.join(base, "duplicate-signature"))
    copy_rot("duplicate-signature", range(2))
    md3 = rot_md[2]
    payload = md3.signed_bytes
    s_a = P1.sign(payload)
    s_b = P1.sign(payload)  # ECDSA: a second, different but valid signature
    s_q = Q1.sign(payload)
    d = md3.to_dict()
    d["signatures"] = [s_a.to_dict(), s_b.to_dict(), s_q.to_dict()]
    write_json(d, os.path.join(base, "duplicate-signature", "3.root.json"))
    case("duplicate-signature", rot_files[:3], False, 2, "duplicate-signature",
         "version 3 lists the P-256 key's keyid twice (two distinct valid ECDSA "
         "signatures) plus P-384: counting the duplicate gives 2/2 for v2 and 3/3 "
         "for v3, counting keys once gives 1/2 and 2/3. python-tuf refuses the file "
         "at parse time (Metadata.from_dict: 'Multiple signatures found for keyid')")

    # ---- version-skipped --------------------------------------------------
    os.makedirs(os.path.join(base, "version-skipped"))
    copy_rot("version-skipped", range(2))
    skip = Metadata(copy.deepcopy(rot_md[3].signed))  # v4 content: P1,R1,Q1 2-of-3
    sign_md(skip, [P1, R1])  # meets v2's 2-of-3 (E1,P1,R1) and its own 2-of-3
    write_md(skip, os.path.join(base, "version-skipped", "4.root.json"))
    case("version-skipped", ["1.root.json", "2.root.json", "4.root.json"], False, 2, "version",
         "versions 1, 2, 4; version 4 is signed to version 2's threshold and its "
         "own, so only the version number is wrong")

    # ---- new-keys-only ----------------------------------------------------
    os.makedirs(os.path.join(base, "new-keys-only"))
    copy_rot("new-keys-only", range(4))
    nk = Metadata(copy.deepcopy(rot_md[4].signed))
    sign_md(nk, [E2, P2])  # new keys only: 2-of-4 of its own, 0 of v4's keys
    write_md(nk, os.path.join(base, "new-keys-only", "5.root.json"))
    case("new-keys-only", rot_files[:5], False, 4, "threshold",
         "version 5 signed only by two keys that are new in version 5 (meets its "
         "own 2-of-4, 0 of version 4's 2-of-3)")

    # ---- yubikey-history --------------------------------------------------
    yubikey_history(base, case)

    # ---- same-key-twice ---------------------------------------------------
    A, B = K("ed25519"), K("p256")
    C = K("p256")
    Ca = C.variant({"x-ceremony-label": "first listing"})
    Cb = C.variant({"x-ceremony-label": "second listing"})
    D = K("ed25519")
    X = K("ed25519")
    other = {"targets": ([X], 1), "snapshot": ([X], 1), "timestamp": ([X], 1)}
    r1 = sign_md(Metadata(make_root(1, {"root": ([A, B], 2), **other})), [A, B])
    r2 = Metadata(make_root(2, {"root": ([Ca, Cb, D], 2), **other}))
    sign_md(r2, [A, B, Ca, Cb])
    write_md(r1, os.path.join(base, "same-key-twice", "1.root.json"))
    write_md(r2, os.path.join(base, "same-key-twice", "2.root.json"))
    case("same-key-twice", ["1.root.json", "2.root.json"], False, 1, "same-key-twice",
         "version 2's root role (2-of-3) lists one P-256 public key under two keyids "
         "(differing only in an x- field) and is signed by that key under both plus "
         "by version 1's two keys (v1's 2-of-2 met). A careful verifier counts the "
         "key once (1/2); python-tuf accepts (see DISAGREEMENTS)")

    # ---- wrong-type -------------------------------------------------------
    wt = Metadata(Targets(version=2, expires=FAR))
    sign_md(wt, [E1])
    os.makedirs(os.path.join(base, "wrong-type"))
    copy_rot("wrong-type", range(1))
    write_md(wt, os.path.join(base, "wrong-type", "2.root.json"))
    case("wrong-type", ["1.root.json", "2.root.json"], False, 1, "type",
         "2.root.json is a targets metadata file (_type targets, version 2) signed "
         "by version 1's root key")

    # ---- bad-first --------------------------------------------------------
    F1, F2, F3 = K("ed25519"), K("p256"), K("rsa")
    bf = Metadata(make_root(1, {"root": ([F1, F2, F3], 2), **other}))
    sign_md(bf, [F2])
    write_md(bf, os.path.join(base, "bad-first", "1.root.json"))
    case("bad-first", ["1.root.json"], False, 0, "threshold",
         "the trusted first root is 2-of-3 but carries one valid signature")

    judged_by_python_tuf(base, manifest)
    write_json(manifest, os.path.join(base, "manifest.json"))


def yubikey_history(base, case):
    """Modelled on sigstore root-signing (tuf-on-ci, YubiKey ECDSA P-256)."""
    owners = ["@alice", "@bob", "@carol", "@dave", "@erin"]
    priv = {o: K("p256", label=o) for o in owners}

    def holder(o, legacy):
        return priv[o].variant({"x-tuf-on-ci-keyowner": o}, legacy=legacy)

    online1 = K("p256", label="online1")
    online2 = K("p256", label="online2")

    def online(k, legacy, uri):
        custom = {"x-tuf-on-ci-online-uri": uri} if uri else {}
        return k.variant(custom, legacy=legacy)

    role_custom = {"x-tuf-on-ci-expiry-period": 182, "x-tuf-on-ci-signing-period": 35}
    online_custom = {"x-tuf-on-ci-expiry-period": 7, "x-tuf-on-ci-signing-period": 4}

    # version: (root owners, thr, legacy, online key, online uri, signers)
    plan = [
        (["@alice", "@bob", "@carol"], 2, True, online1, None, ["@alice", "@bob"]),
        (["@alice", "@bob", "@carol", "@dave"], 2, True, online1, None, ["@bob", "@carol"]),
        (
            ["@alice", "@bob", "@carol", "@dave"],
            2,
            False,
            online1,
            "gcpkms:projects/example/locations/global/keyRings/root-signing/cryptoKeys/timestamp/cryptoKeyVersions/1",
            ["@alice", "@carol"],
        ),
        (
            ["@alice", "@carol", "@dave"],
            2,
            False,
            online2,
            "gcpkms:projects/example/locations/global/keyRings/root-signing/cryptoKeys/timestamp/cryptoKeyVersions/2",
            ["@carol", "@dave"],
        ),
        (
            ["@alice", "@carol", "@dave", "@erin"],
            3,
            False,
            online2,
            "gcpkms:projects/example/locations/global/keyRings/root-signing/cryptoKeys/timestamp/cryptoKeyVersions/2",
            ["@alice", "@dave", "@erin"],
        ),
    ]
    prev_keys = None  # owner -> K as listed in the previous root
    files = []
    d = os.path.join(base, "yubikey-history")
    for i, (rown, thr, legacy, onk, uri, signers) in enumerate(plan):
        version = i + 1
        ks = {o: holder(o, legacy) for o in rown}
        onl = online(onk, legacy, uri)
        root = make_root(
            version,
            {
                "root": (list(ks.values()), thr, role_custom),
                "targets": (list(ks.values()), thr, role_custom),
                "snapshot": ([onl], 1, online_custom),
                "timestamp": ([onl], 1, {"x-tuf-on-ci-expiry-period": 2, "x-tuf-on-ci-signing-period": 1}),
            },
            custom={"x-tuf-on-ci-root-signing-version": version, "x-ceremony-fixture": "yubikey-history"},
            consistent=True,
        )
        md = Metadata(root)
        payload = md.signed_bytes
        sigs = {}
        for o in signers:
            s = priv[o].sign(payload)  # one signature per YubiKey touch
            # listed under the previous root's keyid (if the key was there) ...
            if prev_keys and o in prev_keys and prev_keys[o].keyid not in sigs:
                sigs[prev_keys[o].keyid] = Signature(prev_keys[o].keyid, s.signature)
            # ... and under this root's keyid
            sigs[ks[o].keyid] = Signature(ks[o].keyid, s.signature)
        # empty placeholders for keyholders of this root who did not sign
        for o in rown:
            if ks[o].keyid not in sigs:
                sigs[ks[o].keyid] = Signature(ks[o].keyid, "")
        md.signatures = sigs
        f = f"{version}.root.json"
        write_md(md, os.path.join(d, f))
        files.append(f)
        prev_keys = ks
    case("yubikey-history", files, True, None, None,
         "5 versions in the style of sigstore root-signing/tuf-on-ci: ECDSA P-256 "
         "keys with x-tuf-on-ci-keyowner (keyids cover it), online key with "
         "x-tuf-on-ci-online-uri from v3, x- fields in signed and in roles, empty "
         "placeholder signatures for keyholders who did not sign; v1-v2 keytype "
         "ecdsa-sha2-nistp256, v3+ keytype ecdsa, so keyids change at v3 and v3 "
         "lists each signature under the old keyid and the new one")


# --------------------------------------------------------------------------
# repository with delegations


def repository(mddir, tdir, consistent):
    shutil.rmtree(mddir, ignore_errors=True)
    shutil.rmtree(tdir, ignore_errors=True)
    os.makedirs(mddir)
    os.makedirs(tdir)

    rE = K("ed25519")
    rP = K("p256", custom={"x-ceremony-keyowner": "@root-holder-2"})
    rR = K("rsa")
    tQ = K("p384", custom={"x-ceremony-keyowner": "@release-manager"})
    sR = K("rsa")
    tsE = K("ed25519", custom={"x-ceremony-online-uri": "file:online/timestamp.key"})

    paE, paP = K("ed25519"), K("p256")
    pbQ, pbR = K("p384"), K("rsa")
    hP = K("p256")
    bpE = K("ed25519")  # bins-parent's own key
    binE = K("ed25519", custom={"x-ceremony-purpose": "hash bins"})

    entries = []  # manifest
    written = {}  # role -> (Metadata, bytes)

    def add_target(tg: Targets, path: str, content: bytes):
        tf = TargetFile.from_data(path, content, ["sha256", "sha512"])
        tg.targets[path] = tf
        if consistent:
            dirname, sep, basename = path.rpartition("/")
            fp = os.path.join(tdir, f"{dirname}{sep}{tf.hashes['sha256']}.{basename}")
        else:
            fp = os.path.join(tdir, path)
        os.makedirs(os.path.dirname(fp), exist_ok=True)
        with open(fp, "wb") as f:
            f.write(content)

    # top-level targets
    targets = Targets(
        version=1,
        expires=FAR,
        unrecognized_fields={"x-ceremony-comment": "top-level targets with delegations"},
    )
    add_target(targets, "top/readme.txt", b"top-level target\n")
    add_target(targets, "top/simple/index.html", b"<html>simple</html>\n")

    # project-a / project-b / hashed / bins-parent
    hashed_target = "hashed/data-1.bin"
    hpre = hashlib.sha256(hashed_target.encode()).hexdigest()[:2]
    prefixes = sorted({hpre, "00", "ff"})
    roles = {
        "project-a": DelegatedRole(
            "project-a", [paE.keyid, paP.keyid], 2, True, paths=["packages/*/*/*/project_a-*"]
        ),
        "project-b": DelegatedRole(
            "project-b", [pbQ.keyid, pbR.keyid], 1, False, paths=["packages/*/*/*/project_b-*"]
        ),
        "hashed": DelegatedRole("hashed", [hP.keyid], 1, False, path_hash_prefixes=prefixes),
        "bins-parent": DelegatedRole("bins-parent", [bpE.keyid], 1, False, paths=["files/*"]),
    }
    dkeys = {k.keyid: k.key for k in (paE, paP, pbQ, pbR, hP, bpE)}
    targets.delegations = Delegations(dkeys, roles=roles)

    pa = Targets(version=1, expires=FAR)
    add_target(pa, "packages/3.12/p/project_a/project_a-1.0-py3-none-any.whl", b"project a wheel 1.0\n")
    add_target(pa, "packages/source/p/project_a/project_a-1.0.tar.gz", b"project a sdist 1.0\n")
    pb = Targets(version=1, expires=FAR, unrecognized_fields={"x-ceremony-project": "b"})
    add_target(pb, "packages/3.12/p/project_b/project_b-2.0-py3-none-any.whl", b"project b wheel 2.0\n")
    hs = Targets(version=1, expires=FAR)
    add_target(hs, hashed_target, b"\x00\x01hashed role data\xff")

    bp = Targets(version=1, expires=FAR)
    succ = SuccinctRoles([binE.keyid], 1, 3, "bin")
    bp.delegations = Delegations({binE.keyid: binE.key}, succinct_roles=succ)
    bins = {name: Targets(version=1, expires=FAR) for name in succ.get_roles()}
    counts = {name: 0 for name in bins}
    n = 0
    while min(counts.values()) < 1 or sum(counts.values()) < 12:
        path = f"files/file-{n}.txt"
        b = succ.get_role_for_target(path)
        if counts[b] < 2:
            add_target(bins[b], path, f"bin file {n}\n".encode())
            counts[b] += 1
        n += 1

    # sign & write delegated roles first (snapshot needs versions only)
    def fname(role, version):
        return f"{version}.{role}.json" if consistent else f"{role}.json"

    def entry(f, role, delegator_file, delegator_role, valid, succinct):
        e = {
            "file": f,
            "role": role,
            "delegator_file": delegator_file,
            "delegator_role": delegator_role,
            "valid": valid,
        }
        if succinct:
            e["succinct"] = True
        entries.append(e)

    def emit(role, signed, signers, delegator_role, delegator_file, succinct=False):
        md = sign_md(Metadata(signed), signers)
        f = fname(role, signed.version)
        write_md(md, os.path.join(mddir, f))
        written[role] = md
        entry(f, role, delegator_file, delegator_role, True, succinct)
        return md

    root = make_root(
        1,
        {
            "root": ([rE, rP, rR], 2, {"x-ceremony-role-note": "offline"}),
            "targets": ([tQ], 1),
            "snapshot": ([sR], 1),
            "timestamp": ([tsE], 1),
        },
        custom={"x-ceremony-ceremony-id": "2024-pypi-example", "x-ceremony-witnesses": ["@w1", "@w2"]},
        consistent=consistent,
    )
    rootfile = "1.root.json" if consistent else "root.json"
    emit("root", root, [rE, rR], "root", rootfile)
    if consistent:
        # ngclient's bootstrap reads root.json; also keep the versioned copy
        shutil.copy(os.path.join(mddir, "1.root.json"), os.path.join(mddir, "root.json"))
    tfile = fname("targets", 1)
    emit("targets", targets, [tQ], "root", rootfile)
    emit("project-a", pa, [paE, paP], "targets", tfile)
    emit("project-b", pb, [pbR], "targets", tfile)
    emit("hashed", hs, [hP], "targets", tfile)
    bpfile = fname("bins-parent", 1)
    emit("bins-parent", bp, [bpE], "targets", tfile)
    for name, tg in bins.items():
        emit(name, tg, [binE], "bins-parent", bpfile, succinct=True)

    snap = Snapshot(version=1, expires=FAR)
    snap.meta = {f"{r}.json": MetaFile(version=1) for r in written if r != "root"}
    emit("snapshot", snap, [sR], "root", rootfile)
    snapbytes = open(os.path.join(mddir, fname("snapshot", 1)), "rb").read()
    ts = Timestamp(version=1, expires=FAR)
    ts.snapshot_meta = MetaFile.from_data(1, snapbytes, ["sha256"])
    emit("timestamp", ts, [tsE], "root", rootfile)
    if consistent:
        # timestamp is never version-prefixed by clients
        os.replace(os.path.join(mddir, "1.timestamp.json"), os.path.join(mddir, "timestamp.json"))
        entries[-1]["file"] = "timestamp.json"

    # ---- invalid derived files (only in the plain repository) ----
    if not consistent:
        pa_md = written["project-a"]

        def bad(name, md_or_bytes, role, delegator_role, delegator_file, succinct=False):
            path = os.path.join(mddir, name)
            if isinstance(md_or_bytes, Metadata):
                write_md(md_or_bytes, path)
            else:
                open(path, "wb").write(md_or_bytes)
            entry(name, role, delegator_file, delegator_role, False, succinct)

        # forged: signed by two strangers (keys not delegated) under their own keyids
        s1, s2 = K("ed25519"), K("p256")
        bad("project-a.forged.json", sign_md(Metadata(copy.deepcopy(pa_md.signed)), [s1, s2]),
            "project-a", "targets", tfile)
        # stranger's signatures listed under the delegated keyids
        wk = Metadata(copy.deepcopy(pa_md.signed))
        pl = wk.signed_bytes
        wk.signatures = {
            paE.keyid: Signature(paE.keyid, s1.sign(pl).signature),
            paP.keyid: Signature(paP.keyid, s2.sign(pl).signature),
        }
        bad("project-a.wrongkey.json", wk, "project-a", "targets", tfile)
        # half: only one of the 2-of-2
        half = Metadata(copy.deepcopy(pa_md.signed))
        sign_md(half, [paP])
        bad("project-a.half.json", half, "project-a", "targets", tfile)
        # tampered: one byte of signed changed, signatures kept
        raw = open(os.path.join(mddir, "project-a.json"), "rb").read()
        assert raw.count(b'"length": 20') >= 1
        raw = raw.replace(b'"length": 20', b'"length": 21', 1)
        bad("project-a.tampered.json", raw, "project-a", "targets", tfile)
        # project-b signed by project-a's keys
        pbw = sign_md(Metadata(copy.deepcopy(written["project-b"].signed)), [paE, paP])
        bad("project-b.wrongrole.json", pbw, "project-b", "targets", tfile)
        # a bin signed by bins-parent's own key instead of the bin key
        b3 = sign_md(Metadata(copy.deepcopy(written["bin-3"].signed)), [bpE])
        bad("bin-3.wrongkey.json", b3, "bin-3", "bins-parent", bpfile, succinct=True)
        # targets signed by a root key instead of the targets key
        tw = sign_md(Metadata(copy.deepcopy(written["targets"].signed)), [rE])
        bad("targets.rootkey.json", tw, "targets", "root", rootfile)
        # timestamp tampered
        raw = open(os.path.join(mddir, "timestamp.json"), "rb").read()
        raw = raw.replace(b'"version": 1', b'"version": 2', 1)
        bad("timestamp.tampered.json", raw, "timestamp", "root", rootfile)

    write_json(entries, os.path.join(mddir, "manifest.json"))


# --------------------------------------------------------------------------
# unknown fields


def unknown_fields(outdir):
    d = os.path.join(outdir, "unknown-fields")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    k1 = K("ed25519")
    k2 = K("ed25519", custom={"x-ceremony-keyowner": "@bob", "x-ceremony-yubikey-serial": 12345678})
    k3 = K("ed25519")
    o = K("ed25519", custom={"x-ceremony-online-uri": "azurekms:https://example.vault.azure.net/keys/ts"})
    root = make_root(
        1,
        {
            "root": ([k1, k2, k3], 2, {"x-ceremony-role-field": {"nested": [1, "two", None, True]}}),
            "targets": ([k1, k2, k3], 2),
            "snapshot": ([o], 1),
            "timestamp": ([o], 1),
        },
        custom={
            "x-note": "Z\u00fcrich \u2603 \U0001F600 \u0007 tab\t",
            "x-ceremony-object": {"b": [3, 2, 1], "a": {"z": "", "y": False}},
            "x-ceremony-number": 12345678901234,
        },
        consistent=True,
    )
    md = sign_md(Metadata(root), [k1])
    write_md(md, os.path.join(d, "root.json"))
    keys = []
    for k in (k1, k2, k3):
        seed = k.priv.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        keys.append(
            {
                "keyid": k.keyid,
                "keytype": "ed25519",
                "scheme": "ed25519",
                "private_seed_hex": seed.hex(),
                "public": k.key.keyval["public"],
            }
        )
    write_json(keys, os.path.join(d, "keys.json"))


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    chains(out)
    repository(os.path.join(out, "metadata"), os.path.join(out, "targets"), consistent=False)
    repository(
        os.path.join(out, "consistent", "metadata"),
        os.path.join(out, "consistent", "targets"),
        consistent=True,
    )
    unknown_fields(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
