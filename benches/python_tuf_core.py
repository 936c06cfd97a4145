#!/usr/bin/env python3
"""python-tuf doing the core of a 100,000-project promotion, for comparison with Ceremony.

    python benches/python_tuf_core.py WORKSPACE [RUNS]

WORKSPACE is a workspace prepared by the claimed_promote bench and kept with
CEREMONY_BENCH_KEEP=WORKSPACE (its recently-claimed is WORKSPACE.rc.json). Each run, in a
fresh process, times what issue 5's python-tuf figure (7.3 s, 464 MiB) covers: read
recently-claimed and verify it against the trusted targets' delegation (signatures and
threshold, expiry), build claimed from its project delegations, sign it with two Ed25519
keys, write it, read it back. python-tuf writes claimed as one file; it has no layout of
shards. Prints one JSON line a run: {"core_s", "peak_mib"}.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import DelegatedRole, Delegations, Metadata, Targets


def trusted_targets(ws: Path) -> Path:
    states = sorted(p for p in (ws / "states").iterdir() if p.name.isdigit())
    return states[-1] / "trusted" / "targets.json"


def core(ws: Path, out: Path) -> dict:
    signers = [CryptoSigner.generate_ed25519() for _ in range(2)]
    start = time.perf_counter()
    targets = Metadata.from_file(str(trusted_targets(ws)))
    source = Metadata.from_file(str(ws.with_suffix(".rc.json")))
    targets.signed.verify_delegate("recently-claimed", source.signed_bytes, source.signatures)
    if source.signed.is_expired():
        raise SystemExit("recently-claimed has expired")
    delegations = source.signed.delegations
    keys, roles = {}, {}
    for name, role in delegations.roles.items():
        for keyid in role.keyids:
            keys[keyid] = delegations.keys[keyid]
        roles[name] = DelegatedRole(name, list(role.keyids), role.threshold, True, paths=list(role.paths))
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=300)
    claimed = Metadata(Targets(version=1, expires=expires, delegations=Delegations(keys, roles)))
    for signer in signers:
        claimed.sign(signer, append=True)
    claimed.to_file(str(out))
    Metadata.from_file(str(out))
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"core_s": round(seconds, 3), "peak_mib": round(peak_mib, 1), "claimed_mb": round(out.stat().st_size / 1e6, 1)}


def main() -> None:
    ws = Path(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "--child":
        print(json.dumps(core(ws, Path(sys.argv[3]))))
        return
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            out = Path(tmp) / f"claimed{run}.json"
            child = subprocess.run([sys.executable, __file__, str(ws), "--child", str(out)], check=True, capture_output=True, text=True)
            print(f"python-tuf's core, run {run + 1}: {child.stdout.strip()}")
            os.remove(out)


if __name__ == "__main__":
    main()
