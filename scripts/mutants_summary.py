"""The end of scripts/mutants.sh: one line per file from cargo-mutants' results, then every
surviving mutant that docs/testing.md does not explain as equivalent. Exit 1 when one survives
unexplained or when some mutant of a file was never run (its budget ran out).

usage: python3 scripts/mutants_summary.py docs/testing.md FILE...
"""

import re
import subprocess
import sys
from pathlib import Path

POSITION = re.compile(r"^(\S+?\.rs):\d+:\d+: ")


def plain(name: str) -> str:
    """A mutant's name without its line and column, as docs/testing.md lists it."""
    return POSITION.sub(r"\1: ", name.strip())


def equivalents(doc: Path) -> set:
    """Names in the first column of the table under the "Equivalent mutants" heading."""
    names, inside = set(), False
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            inside = "equivalent mutants" in line.lower()
        elif inside and line.startswith("| `"):
            # A `|` in a name is written `\|` inside a table cell.
            names.add(line.split("`")[1].replace("\\|", "|"))
    return names


def listed(file: str) -> list:
    package = "ceremony-tuf" if file.startswith("crates/tuf/") else "ceremony"
    out = subprocess.run(
        ["cargo", "mutants", "--list", "--line-col=false", "--package", package, "--file", file],
        capture_output=True, text=True, check=True,
    )
    return [line for line in out.stdout.splitlines() if line.strip()]


def outcome(out: Path, kind: str) -> list:
    path = out / "mutants.out" / f"{kind}.txt"
    return [plain(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def main() -> int:
    doc, files = Path(sys.argv[1]), sys.argv[2:]
    explained = equivalents(doc)
    unexplained, incomplete = [], []
    print("| file | mutants | caught | missed (equivalent) | timeout | unviable | not run | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for file in files:
        out = Path("target/mutants") / file.replace("/", "_")
        names = set(listed(file))
        caught = set(outcome(out, "caught")) | set(outcome(out, "previously_caught"))
        missed, timeout = set(outcome(out, "missed")), set(outcome(out, "timeout"))
        unviable = set(outcome(out, "unviable"))
        not_run = names - caught - missed - timeout - unviable
        seconds = (out / "seconds").read_text().strip() if (out / "seconds").exists() else "-"
        equivalent = missed & explained
        print(
            f"| `{file}` | {len(names)} | {len(caught & names)} | {len(missed)} ({len(equivalent)}) | {len(timeout)} "
            f"| {len(unviable)} | {len(not_run)} | {seconds} |"
        )
        unexplained += sorted(missed - explained)
        if not_run:
            incomplete.append(f"{file}: {len(not_run)} not run")
    for name in unexplained:
        print(f"SURVIVED (not explained in {doc}): {name}")
    for line in incomplete:
        print(f"NOT RUN: {line} (run scripts/mutants.sh again to go on)")
    return 1 if unexplained or incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
