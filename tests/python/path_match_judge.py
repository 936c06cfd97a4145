#!/usr/bin/env python3
"""python-tuf's path-pattern matching as the judge of src/pypi/project.rs (tests/project_paths_props.rs).

Usage: path_match_judge.py IN OUT

IN is JSON:
  {"pairs": [[PATTERN, PATH], ...],
   "roles": [{"paths": [PATTERN, ...], "targets": [PATH, ...]}, ...]}

OUT is JSON:
  {"fnmatchcase": [fnmatch.fnmatchcase(PATH, PATTERN) for each pair],
   "delegated":   [DelegatedRole(paths=[PATTERN]).is_delegated_path(PATH) for each pair],
   "roles":       [[DelegatedRole(paths=PATHS).is_delegated_path(T) for T in targets], ...],
   "python": VERSION, "tuf": VERSION}
A verdict is null when Python raises instead of answering (a class its `re` refuses).

Every verdict comes from the standard library's fnmatch or from python-tuf itself
(tuf.api.metadata.DelegatedRole, the class its ngclient consults on every delegation),
never from code in this script. Prints the number of pairs and roles judged.
"""

import fnmatch
import json
import platform
import sys

import tuf
from tuf.api.metadata import DelegatedRole


def role(paths):
    return DelegatedRole("judged", [], 1, True, paths=list(paths))


def verdict(judge, *args):
    """True or False, or None when Python raises (a pattern its `re` cannot compile)."""
    try:
        return judge(*args)
    except Exception:  # noqa: BLE001 - any refusal is the verdict
        return None


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        given = json.load(f)
    pairs = given["pairs"]
    out = {
        "fnmatchcase": [verdict(fnmatch.fnmatchcase, path, pattern) for pattern, path in pairs],
        "delegated": [verdict(role([pattern]).is_delegated_path, path) for pattern, path in pairs],
        "roles": [
            [verdict(role(r["paths"]).is_delegated_path, t) for t in r["targets"]]
            for r in given["roles"]
        ],
        "python": platform.python_version(),
        "tuf": tuf.__version__,
    }
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f)
    print(f"{len(pairs)} pairs, {len(given['roles'])} roles judged by python {out['python']}, tuf {out['tuf']}")


if __name__ == "__main__":
    main()
