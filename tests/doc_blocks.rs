//! Every command block (```sh, ```bash, ```console) of README.md, ceremony-scripts/README.md
//! and docs/*.md is a tested script, so the docs cannot drift from the tool.
//!
//! Each block runs under `bash -euo pipefail` with no standard input, in a fresh temporary
//! directory laid out like the root of a clone (`scripts`, `tests` and `ceremony-scripts`
//! link to this repository's), with the built `ceremony` first on PATH. The HTML comment on
//! the line before a block changes how it runs:
//!
//! - `<!-- doc-test: continues -->` runs it after the file's previous block, in the same
//!   directory and shell, as a reader following the text would;
//! - `<!-- doc-test: name NAME -->` lets blocks of any file say `<!-- doc-test: after NAME -->`
//!   to run after it (and what it runs after), e.g. in the workspace a bootstrap left;
//! - `<!-- doc-test: skip (REASON) -->` does not run it; (file, REASON) must be in
//!   `EXCEPTIONS`, the one list of blocks that cannot run in a test.
//!
//! A block with neither a run nor an exception fails the test, and so does a block that fails.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use common::doc_blocks::{blocks, documented_files, Block, Marker};

/// The blocks that cannot run in a test: (file, the reason its marker gives), one entry per block.
const EXCEPTIONS: &[(&str, &str)] = &[
    ("README.md", "runs the demo and the whole test suite themselves, and installs Debian packages"),
    ("docs/fuzzing.md", "cargo-fuzz: a nightly toolchain, and each run takes minutes"),
    ("docs/fuzzing.md", "cargo-fuzz: a nightly toolchain, and each run takes minutes"),
    ("docs/key-separation.md", "a migration fragment: needs bob's YubiKey and carol's token in an existing workspace"),
    ("docs/online-import.md", "names the online repository's own files: its bundle and its newest root"),
    ("docs/pkcs11-keys.md", "writes to /etc as root"),
    ("docs/pkcs11-keys.md", "needs a real PIV card behind OpenSC, its labels and its PIN file"),
    ("docs/preflight.md", "fails on purpose on any machine with a network interface up, as a test machine has"),
    ("docs/testing.md", "runs test binaries of this suite itself"),
    ("docs/testing.md", "mutation testing takes hours on two cores"),
];

fn all_blocks() -> Vec<Block> {
    let root = common::repo_root();
    let mut all = Vec::new();
    for file in documented_files(root) {
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        all.extend(blocks(&file, &text).unwrap_or_else(|e| panic!("{e}")));
    }
    all
}

/// For each block that runs, the block it runs after (`None`: a fresh directory).
fn predecessors(all: &[Block]) -> Vec<Option<usize>> {
    let mut names = BTreeMap::new();
    for (i, b) in all.iter().enumerate() {
        if let Marker::Name(n) = &b.marker {
            assert!(names.insert(n.clone(), i).is_none(), "{}: the doc-test name {n} is used twice", b.place());
        }
    }
    let mut prev = vec![None; all.len()];
    for (i, b) in all.iter().enumerate() {
        prev[i] = match &b.marker {
            Marker::Continues => {
                let p = i.checked_sub(1).filter(|&p| all[p].file == b.file);
                let p = p.unwrap_or_else(|| panic!("{}: continues, but is the file's first block", b.place()));
                assert!(!matches!(all[p].marker, Marker::Skip(_)), "{}: continues a skipped block", b.place());
                Some(p)
            }
            Marker::After(n) => Some(*names.get(n).unwrap_or_else(|| panic!("{}: after {n}, which no block is named", b.place()))),
            _ => None,
        };
    }
    prev
}

/// The runs that cover every block that is not skipped: each run is a chain of blocks, the
/// last one a block no other continues.
fn runs(all: &[Block]) -> Vec<Vec<usize>> {
    let prev = predecessors(all);
    let continued: Vec<usize> = prev.iter().flatten().copied().collect();
    let mut out = Vec::new();
    for (i, b) in all.iter().enumerate() {
        if matches!(b.marker, Marker::Skip(_)) || continued.contains(&i) {
            continue;
        }
        let mut chain = vec![i];
        while let Some(p) = prev[*chain.last().unwrap()] {
            chain.push(p);
        }
        chain.reverse();
        out.push(chain);
    }
    out
}

/// A fresh directory laid out like a clone's root.
fn clone_like_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for part in ["scripts", "tests", "ceremony-scripts"] {
        std::os::unix::fs::symlink(common::repo_root().join(part), dir.path().join(part)).unwrap();
    }
    dir
}

fn run_chain(all: &[Block], chain: &[usize]) {
    let dir = clone_like_dir();
    let mut script = String::new();
    for &i in chain {
        script.push_str(&format!("echo '### doc-test: {}' >&2\n{}\n", all[i].place(), all[i].text));
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ceremony")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    // The venv lives in this repository; python-env.sh would look for it next to the links.
    let venv = common::python().parent().and_then(Path::parent).unwrap();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("CEREMONY_VENV", venv)
        .env_remove("CEREMONY_WORKSPACE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let last = all[*chain.last().unwrap()].place();
    assert!(
        out.status.success(),
        "the doc block {last} failed ({}); the last block announced on stderr is the one that failed\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        tail(&out.stdout),
        tail(&out.stderr)
    );
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[test]
fn every_skipped_block_is_in_the_one_exception_list() {
    let all = all_blocks();
    let mut skipped: Vec<(String, String)> = all
        .iter()
        .filter_map(|b| match &b.marker {
            Marker::Skip(reason) => Some((b.file.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    let mut listed: Vec<(String, String)> = EXCEPTIONS.iter().map(|(f, r)| (f.to_string(), r.to_string())).collect();
    skipped.sort();
    listed.sort();
    assert_eq!(skipped, listed, "the docs' skip markers and EXCEPTIONS must name the same blocks");
}

#[test]
fn passphrase_blocks_use_the_test_profile_or_say_why_not() {
    for b in all_blocks() {
        let derives = b.text.contains("key new passphrase") || b.text.contains(":passphrase");
        let test_profile = b.text.contains("--kdf-profile test") || b.text.contains("KDF_PROFILE=test");
        let says_why = b.text.lines().any(|l| l.contains('#') && l.contains("profile"));
        assert!(!derives || test_profile || says_why, "{}: derives a passphrase key without --kdf-profile test", b.place());
    }
}

#[test]
fn a_marker_away_from_its_block_is_refused() {
    let text = "<!-- doc-test: continues -->\n\nsome text\n```sh\ntrue\n```\n";
    let got = blocks("x.md", text);
    assert!(got.is_err(), "expected an error, got {:?}", got);
    let text = "<!-- doc-test: skipp (typo) -->\n```sh\ntrue\n```\n";
    let got = blocks("x.md", text);
    assert!(got.is_err(), "expected an error, got {:?}", got);
    let text = "<!-- doc-test: skip (why) -->\n```sh\ntrue\n```\n```text\nnot a command\n```\n```bash\nfalse\n```\n";
    let found = blocks("x.md", text).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].marker, Marker::Skip("why".into()));
    assert_eq!((found[1].line, found[1].marker.clone()), (8, Marker::Run));
}

#[test]
fn every_block_runs() {
    let all = all_blocks();
    let runs = runs(&all);
    assert!(!runs.is_empty(), "expected something, got {:?}", runs);
    for chain in &runs {
        run_chain(&all, chain);
        let places: Vec<String> = chain.iter().map(|&i| all[i].place()).collect();
        eprintln!("ran {}", places.join(" then "));
    }
}
