#!/usr/bin/env python3
"""python-tuf's ngclient as one of the independent clients of tests/independent_clients.rs.

Reads a JSON list of cases on stdin, each {"root", "metadata_dir", "targets_dir", "target"};
for each runs an Updater from an empty local state, trusting `root`, over judge.py's
LocalFetcher (the two directories, no network), and downloads `target`. Prints one JSON
list: {"ok": true, "sha256": HEX} of the bytes python-tuf accepted, or {"ok": false,
"error": TEXT}.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import os

from tuf.ngclient import Updater

from judge import MD_BASE, TG_BASE, LocalFetcher, err


def fetch(case: dict) -> dict:
    work = tempfile.mkdtemp(prefix="python-tuf-client-")
    try:
        cache, dl = os.path.join(work, "metadata"), os.path.join(work, "targets")
        os.makedirs(cache)
        os.makedirs(dl)
        with open(case["root"], "rb") as f:
            root = f.read()
        up = Updater(metadata_dir=cache, metadata_base_url=MD_BASE, target_dir=dl, target_base_url=TG_BASE,
                     fetcher=LocalFetcher(case["metadata_dir"], case["targets_dir"]), bootstrap=root)
        up.refresh()
        info = up.get_targetinfo(case["target"])
        if info is None:
            return {"ok": False, "error": "target not found"}
        with open(up.download_target(info), "rb") as f:
            return {"ok": True, "sha256": hashlib.sha256(f.read()).hexdigest()}
    except Exception as e:  # noqa: BLE001 - every refusal is a verdict, not a crash
        return {"ok": False, "error": err(e)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    cases = json.load(sys.stdin)
    print(json.dumps([fetch(c) for c in cases]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
