#!/usr/bin/env python3
"""python-tuf as the independent judge of TUF metadata files.

Every subcommand prints exactly ONE JSON object on stdout and exits 0, also when
the verdict is negative; a non-zero exit means a usage error (or a bug here).

  judge.py load FILE
      {"ok", "type", "version", "error"}            Metadata.from_file
  judge.py verify-delegate --delegator FILE --role NAME --delegate FILE
      {"ok", "error"}   delegator.signed.verify_delegate(NAME, delegate.signed_bytes,
                        delegate.signatures); works for root -> root/targets/snapshot/
                        timestamp and targets -> delegated (incl. succinct) roles.
                        Only signatures are checked; "ok" is false also when the
                        delegate's _type does not fit the role (targets for delegated
                        roles, the role name for top-level roles).
  judge.py root-chain FILE...
      {"ok", "failed_at", "error"}  Uses ngclient's own
                        tuf.ngclient._internal.trusted_metadata_set.TrustedMetadataSet:
                        FILE[0] is the trusted root (must verify itself), each further
                        file goes through TrustedMetadataSet.update_root (version must
                        be previous+1, signed by previous root's and its own
                        threshold). Expiry of roots is not checked (ngclient checks only
                        the final root's expiry, and only when loading timestamp).
  judge.py unchanged --before FILE --after FILE
      {"ok", "error"}   "signed" equal as parsed JSON, canonical bytes of "signed"
                        identical, every signature of BEFORE present (same keyid and
                        sig) in AFTER.
  judge.py updater --metadata-dir DIR --targets-dir DIR --target PATH
      {"ok", "error", "path"}  ngclient.Updater run offline: a FetcherInterface
                        subclass serves the two directories; trust anchor is
                        DIR/1.root.json if present, else DIR/root.json. Downloads PATH
                        into a temporary directory ("path" is where it landed; the
                        directory is left behind for the caller to inspect).
  judge.py bundle-dir DIR [--trusted-root FILE]
      {"ok", "files", "checked", "error"}  every VERSION.ROLE.json in DIR (a bundle's
                        metadata/ directory) loads; the root chain from FILE (default:
                        DIR's lowest root version) through every root in DIR holds
                        (ngclient's update_root); every other role verifies under its
                        delegator found in DIR: the newest root for top-level roles,
                        else the targets-type file whose delegations name it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from urllib import parse

from securesystemslib.formats import encode_canonical
from tuf.api import exceptions
from tuf.api.metadata import Metadata
from tuf.ngclient import FetcherInterface, Updater
from tuf.ngclient._internal.trusted_metadata_set import TrustedMetadataSet
from tuf.ngclient.config import EnvelopeType

TOP_LEVEL = {"root", "targets", "snapshot", "timestamp"}


def err(e: BaseException) -> str:
    msg = str(e)
    name = type(e).__name__
    cause = e.__cause__ or e.__context__
    if cause is not None and str(cause) and str(cause) not in msg:
        msg = f"{msg} ({type(cause).__name__}: {cause})"
    return f"{name}: {msg}" if msg else name


def out(obj) -> int:
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    return 0


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------


def cmd_load(a) -> int:
    try:
        md = Metadata.from_file(a.file)
        return out({"ok": True, "type": md.signed.type, "version": md.signed.version, "error": None})
    except Exception as e:  # noqa: BLE001
        return out({"ok": False, "type": None, "version": None, "error": err(e)})


def cmd_verify_delegate(a) -> int:
    try:
        delegator = Metadata.from_file(a.delegator)
        delegate = Metadata.from_file(a.delegate)
        if delegator.signed.type not in ("root", "targets"):
            raise ValueError(f"delegator is {delegator.signed.type}, not root or targets")
        want = a.role if a.role in TOP_LEVEL else "targets"
        if delegate.signed.type != want:
            raise exceptions.RepositoryError(
                f"expected _type {want} for role {a.role}, got {delegate.signed.type}"
            )
        delegator.signed.verify_delegate(a.role, delegate.signed_bytes, delegate.signatures)
        return out({"ok": True, "error": None})
    except Exception as e:  # noqa: BLE001
        return out({"ok": False, "error": err(e)})


def root_chain(files) -> dict:
    """ngclient's verdict on a root chain: {"ok", "failed_at", "error"}; FILES[0] is the
    trusted root. Shared with make_fixtures.py, which records it in chains/manifest.json."""
    i = 0
    try:
        tms = TrustedMetadataSet(read(files[0]), EnvelopeType.METADATA)
        for i in range(1, len(files)):
            tms.update_root(read(files[i]))
        return {"ok": True, "failed_at": None, "error": None}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "failed_at": i, "error": err(e)}


def cmd_root_chain(a) -> int:
    return out(root_chain(a.files))


def cmd_unchanged(a) -> int:
    try:
        before = json.loads(read(a.before))
        after = json.loads(read(a.after))
        problems = []
        if before.get("signed") != after.get("signed"):
            problems.append("signed differs as parsed JSON" + first_diff(before.get("signed"), after.get("signed")))
        cb = encode_canonical(before["signed"]).encode("utf-8")
        ca = encode_canonical(after["signed"]).encode("utf-8")
        if cb != ca:
            problems.append("canonical bytes of signed differ")
        have = [(s.get("keyid"), s.get("sig")) for s in after.get("signatures", [])]
        for s in before.get("signatures", []):
            if (s.get("keyid"), s.get("sig")) not in have:
                problems.append(f"signature of {s.get('keyid')} missing or changed")
        # both must still load in python-tuf
        for name, p in (("before", a.before), ("after", a.after)):
            try:
                Metadata.from_file(p)
            except Exception as e:  # noqa: BLE001
                problems.append(f"{name} does not load: {err(e)}")
        if problems:
            return out({"ok": False, "error": "; ".join(problems)})
        return out({"ok": True, "error": None})
    except Exception as e:  # noqa: BLE001
        return out({"ok": False, "error": err(e)})


def first_diff(x, y, path="signed") -> str:
    if type(x) is not type(y):
        return f" at {path}: {type(x).__name__} vs {type(y).__name__}"
    if isinstance(x, dict):
        for k in sorted(set(x) | set(y)):
            if k not in x:
                return f" at {path}.{k}: added"
            if k not in y:
                return f" at {path}.{k}: removed"
            d = first_diff(x[k], y[k], f"{path}.{k}")
            if d:
                return d
        return ""
    if isinstance(x, list):
        if len(x) != len(y):
            return f" at {path}: length {len(x)} vs {len(y)}"
        for i, (u, v) in enumerate(zip(x, y)):
            d = first_diff(u, v, f"{path}[{i}]")
            if d:
                return d
        return ""
    return "" if x == y else f" at {path}: {x!r} vs {y!r}"


# ---------------------------------------------------------------------------

MD_BASE = "http://metadata.invalid/"
TG_BASE = "http://targets.invalid/"


class LocalFetcher(FetcherInterface):
    """Serves MD_BASE/... from the metadata dir and TG_BASE/... from the targets dir."""

    def __init__(self, mddir: str, tgdir: str):
        self.roots = {MD_BASE: os.path.abspath(mddir), TG_BASE: os.path.abspath(tgdir)}
        self.log: list[str] = []

    def _fetch(self, url: str):
        for base, d in self.roots.items():
            if url.startswith(base):
                rel = parse.unquote(url[len(base):])
                p = os.path.normpath(os.path.join(d, rel))
                if not (p == d or p.startswith(d + os.sep)):
                    raise exceptions.DownloadHTTPError(f"outside: {url}", 403)
                if not os.path.isfile(p):
                    self.log.append(f"404 {url}")
                    raise exceptions.DownloadHTTPError(f"not found: {url}", 404)
                self.log.append(f"200 {url}")
                with open(p, "rb") as f:
                    data = f.read()
                return iter([data])
        raise exceptions.DownloadHTTPError(f"unknown url {url}", 404)


def cmd_updater(a) -> int:
    path = None
    try:
        mddir = a.metadata_dir
        anchor = os.path.join(mddir, "1.root.json")
        if not os.path.isfile(anchor):
            anchor = os.path.join(mddir, "root.json")
        work = tempfile.mkdtemp(prefix="judge-updater-")
        cache = os.path.join(work, "metadata")
        dl = os.path.join(work, "targets")
        os.makedirs(cache)
        os.makedirs(dl)
        fetcher = LocalFetcher(mddir, a.targets_dir)
        up = Updater(
            metadata_dir=cache,
            metadata_base_url=MD_BASE,
            target_dir=dl,
            target_base_url=TG_BASE,
            fetcher=fetcher,
            bootstrap=read(anchor),
        )
        up.refresh()
        info = up.get_targetinfo(a.target)
        if info is None:
            raise exceptions.RepositoryError(f"target {a.target} not found in metadata")
        path = up.download_target(info)
        return out({"ok": True, "error": None, "path": path})
    except Exception as e:  # noqa: BLE001
        if os.environ.get("JUDGE_DEBUG"):
            traceback.print_exc()
        return out({"ok": False, "error": err(e), "path": path})


def _bundle_files(d: str) -> dict:
    """role -> (version, path) for the newest version of each role; roots listed apart."""
    newest, roots = {}, []
    for f in sorted(os.listdir(d)):
        version, role = f[: -len(".json")].split(".", 1)
        path = os.path.join(d, f)
        if role == "root":
            roots.append((int(version), path))
        elif role not in newest or newest[role][0] < int(version):
            newest[role] = (int(version), path)
    return {"roles": newest, "roots": [p for _, p in sorted(roots)]}


def _delegator_of(role: str, loaded: dict, root: Metadata):
    if role in TOP_LEVEL:
        return root
    for md in loaded.values():
        dl = getattr(md.signed, "delegations", None) if md.signed.type == "targets" else None
        if dl is not None and dl.roles and role in dl.roles:
            return md
    raise ValueError(f"no file in the bundle delegates to {role}")


def cmd_bundle_dir(a) -> int:
    checked = []
    try:
        found = _bundle_files(a.dir)
        names = [os.path.join(a.dir, f) for f in sorted(os.listdir(a.dir))]
        for f in names:
            Metadata.from_file(f)
        chain = ([a.trusted_root] if a.trusted_root else []) + found["roots"]
        tms = TrustedMetadataSet(read(chain[0]), EnvelopeType.METADATA)
        trusted_version = Metadata.from_file(chain[0]).signed.version
        for f in chain[1:]:
            # The trusted root itself (or an older one) is in the history too: skip it.
            if Metadata.from_file(f).signed.version > trusted_version:
                tms.update_root(read(f))
        checked.append("root chain to " + os.path.basename(chain[-1]))
        root = Metadata.from_file(chain[-1])
        loaded = {r: Metadata.from_file(p) for r, (_, p) in found["roles"].items()}
        for role, md in loaded.items():
            delegator = _delegator_of(role, loaded, root)
            delegator.signed.verify_delegate(role, md.signed_bytes, md.signatures)
            checked.append(role)
        return out({"ok": True, "files": len(names), "checked": checked, "error": None})
    except Exception as e:  # noqa: BLE001
        return out({"ok": False, "files": None, "checked": checked, "error": err(e)})


# ---------------------------------------------------------------------------


# Each subcommand's function and arguments; a flag ending in "!" is required.
COMMANDS = {
    "load": (cmd_load, ["file"]),
    "verify-delegate": (cmd_verify_delegate, ["--delegator!", "--role!", "--delegate!"]),
    "root-chain": (cmd_root_chain, ["files+"]),
    "unchanged": (cmd_unchanged, ["--before!", "--after!"]),
    "updater": (cmd_updater, ["--metadata-dir!", "--targets-dir!", "--target!"]),
    "bundle-dir": (cmd_bundle_dir, ["dir", "--trusted-root"]),
}


def add_argument(parser, spec: str) -> None:
    if spec.endswith("!"):
        parser.add_argument(spec[:-1], required=True)
    elif spec.endswith("+"):
        parser.add_argument(spec[:-1], nargs="+")
    else:
        parser.add_argument(spec)


def main(argv) -> int:
    p = argparse.ArgumentParser(prog="judge.py", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, (fn, specs) in COMMANDS.items():
        s = sub.add_parser(name)
        for spec in specs:
            add_argument(s, spec)
        s.set_defaults(fn=fn)

    a = p.parse_args(argv[1:])  # argparse exits 2 on usage errors
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
