#!/usr/bin/env bash
# Self-check of the Python side of the interop tests: python-tuf (judge.py) must
# agree with every verdict the fixture manifests claim.
#
# Usage: tests/python/selfcheck.sh OUTDIR
#   Generates fixtures into OUTDIR with make_fixtures.py when OUTDIR/chains/manifest.json
#   is missing (set REGENERATE=1 to always regenerate), then checks
#   - every chains/manifest.json case with `judge.py root-chain`: the verdict must be the
#     `python_tuf` one the manifest recorded, and equal valid/fail_at unless the case names
#     a `disagreement` (make_fixtures.py's DISAGREEMENTS), where it must differ; and
#     make_fixtures.py must stop on a disagreement not named there or a named case that agrees,
#   - every metadata/manifest.json and consistent/metadata/manifest.json entry with
#     `judge.py verify-delegate` (ok must equal valid),
#   - `judge.py updater` for targets of every delegation kind in both repositories,
#   - unknown-fields/root.json loads, is 1-of-2 signed (so root-chain refuses it),
#     and `judge.py unchanged` holds for the file against itself.
# Exits non-zero on any disagreement.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out="$1"
py="$(bash "$root/scripts/python-env.sh")"
if [ "${REGENERATE:-0}" = 1 ] || [ ! -f "$out/chains/manifest.json" ]; then
    "$py" "$here/make_fixtures.py" "$out"
fi
exec "$py" - "$here/judge.py" "$out" <<'PY'
import json, os, subprocess, sys

judge, out = sys.argv[1], sys.argv[2]
py = sys.executable
failures = 0
checks = 0

def run(*args):
    r = subprocess.run([py, judge, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"judge.py {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)

def check(cond, what, detail):
    global failures, checks
    checks += 1
    if cond:
        print(f"ok    {what}")
    else:
        failures += 1
        print(f"FAIL  {what}: {detail}")

# chains
cdir = os.path.join(out, "chains")
for c in json.load(open(os.path.join(cdir, "manifest.json"))):
    res = run("root-chain", *[os.path.join(cdir, f) for f in c["files"]])
    recorded = c["python_tuf"]
    check((res["ok"], res["failed_at"]) == (recorded["ok"], recorded["failed_at"]),
          f"chains/{c['case']} as recorded (ok={recorded['ok']} failed_at={recorded['failed_at']})", res)
    agrees = res["ok"] == c["valid"] and (c["valid"] or res["failed_at"] == c["fail_at"])
    if c["disagreement"] is None:
        check(agrees, f"chains/{c['case']} valid={c['valid']} fail_at={c['fail_at']}", res)
    else:
        check(not agrees, f"chains/{c['case']} (named disagreement: python-tuf differs)", res)

# the maker itself stops on an unnamed disagreement and on a named case that agrees
sys.path.insert(0, os.path.dirname(judge))
import copy
import make_fixtures
named = dict(make_fixtures.DISAGREEMENTS)
for table, what in (({}, "an unnamed disagreement"), ({**named, "rotation": "test"}, "a named case that agrees")):
    make_fixtures.DISAGREEMENTS = table
    try:
        make_fixtures.judged_by_python_tuf(cdir, copy.deepcopy(json.load(open(os.path.join(cdir, "manifest.json")))))
        refused = None
    except SystemExit as e:
        refused = str(e)
    check(refused is not None, f"make_fixtures.py refuses {what}", refused)
make_fixtures.DISAGREEMENTS = named

# delegations
for sub in ("metadata", os.path.join("consistent", "metadata")):
    mdir = os.path.join(out, sub)
    for e in json.load(open(os.path.join(mdir, "manifest.json"))):
        res = run("verify-delegate",
                  "--delegator", os.path.join(mdir, e["delegator_file"]),
                  "--role", e["role"],
                  "--delegate", os.path.join(mdir, e["file"]))
        check(res["ok"] is e["valid"],
              f"{sub}/{e['file']} as {e['role']} by {e['delegator_role']} valid={e['valid']}", res)

# updater (consistent_snapshot false and true)
targets = [
    "top/readme.txt",                                              # targets itself
    "packages/3.12/p/project_a/project_a-1.0-py3-none-any.whl",    # project-a (paths)
    "packages/3.12/p/project_b/project_b-2.0-py3-none-any.whl",    # project-b
    "hashed/data-1.bin",                                           # path_hash_prefixes
    "files/file-0.txt",                                            # bins-parent -> bin-N
]
for sub in ("", "consistent"):
    base = os.path.join(out, sub)
    for t in targets:
        res = run("updater", "--metadata-dir", os.path.join(base, "metadata"),
                  "--targets-dir", os.path.join(base, "targets"), "--target", t)
        ok = res["ok"] and open(res["path"], "rb").read() == open(
            os.path.join(out, "targets", t), "rb").read()
        check(ok, f"updater {sub or 'plain'} {t}", res)
    res = run("updater", "--metadata-dir", os.path.join(base, "metadata"),
              "--targets-dir", os.path.join(base, "targets"), "--target", "no/such/file")
    check(res["ok"] is False, f"updater {sub or 'plain'} refuses unknown target", res)

# unknown-fields
uf = os.path.join(out, "unknown-fields", "root.json")
res = run("load", uf)
check(res["ok"] and res["type"] == "root" and res["version"] == 1, "unknown-fields/root.json loads", res)
res = run("root-chain", uf)
check(res["ok"] is False and res["failed_at"] == 0, "unknown-fields/root.json is below threshold (1/2)", res)
res = run("unchanged", "--before", uf, "--after", uf)
check(res["ok"] is True, "unchanged(root.json, root.json)", res)
res = run("unchanged", "--before", uf, "--after", os.path.join(out, "chains", "rotation", "1.root.json"))
check(res["ok"] is False, "unchanged detects a different file", res)

print(f"{checks - failures}/{checks} checks passed")
sys.exit(1 if failures else 0)
PY
