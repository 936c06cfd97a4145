//! Differential test: our canonical JSON against securesystemslib's `encode_canonical`.
//!
//! `tests/python/canonical_corpus.py` writes random JSON values, each serialized several
//! ways by Python's `json.dumps`, plus hand-written texts, together with the bytes
//! securesystemslib produces for them (`NAME.expected`) or the reason it cannot
//! (`NAME.refused`). Every input must canonicalize to exactly the expected bytes, or be
//! refused when Python refuses it.

mod common;

use ceremony::tuf::canonical::{canonicalize, is_canonical};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;

enum Want {
    Bytes(Vec<u8>),
    Refused(String),
}

fn corpus(dir: &Path, seed: &str, count: &str) -> BTreeMap<String, (Want, Vec<String>)> {
    let printed = common::run_python(
        "canonical_corpus.py",
        &[dir.as_os_str(), OsStr::new("--seed"), OsStr::new(seed), OsStr::new("--count"), OsStr::new(count)],
    );
    eprintln!("corpus: {}", String::from_utf8_lossy(&printed).trim());
    let mut cases: BTreeMap<String, (Option<Want>, Vec<String>)> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path = dir.join(&name);
        if let Some(case) = name.strip_suffix(".expected") {
            cases.entry(case.into()).or_default().0 = Some(Want::Bytes(std::fs::read(path).unwrap()));
        } else if let Some(case) = name.strip_suffix(".refused") {
            let why = std::fs::read_to_string(path).unwrap().trim().to_string();
            cases.entry(case.into()).or_default().0 = Some(Want::Refused(why));
        } else if let Some(stem) = name.strip_suffix(".json") {
            let case = stem.rsplit_once('.').unwrap().0;
            cases.entry(case.into()).or_default().1.push(name.clone());
        } else {
            panic!("unexpected file {name} in the corpus");
        }
    }
    cases
        .into_iter()
        .map(|(case, (want, inputs))| {
            let want = want.unwrap_or_else(|| panic!("case {case} has no .expected or .refused"));
            assert!(!inputs.is_empty(), "case {case} has no input");
            (case, (want, inputs))
        })
        .collect()
}

#[test]
fn matches_securesystemslib() {
    let dir = tempfile::TempDir::new().unwrap();
    let cases = corpus(dir.path(), "458", "3000");
    let (mut accepted, mut refused, mut inputs_checked) = (0, 0, 0);
    let mut failures = Vec::new();
    for (case, (want, inputs)) in &cases {
        for input_name in inputs {
            inputs_checked += 1;
            let input = std::fs::read(dir.path().join(input_name)).unwrap();
            let got = canonicalize(&input);
            match (want, &got) {
                (Want::Bytes(want), Ok(got)) if got == want => {
                    assert!(is_canonical(got), "{input_name}: output not is_canonical");
                }
                (Want::Refused(_), Err(_)) => {}
                (Want::Bytes(want), _) => failures.push(format!(
                    "{input_name}: securesystemslib gives {:?}\n  we give {:?}",
                    String::from_utf8_lossy(want),
                    got.as_ref().map(|b| String::from_utf8_lossy(b))
                )),
                (Want::Refused(why), Ok(got)) => {
                    failures.push(format!("{input_name}: Python refuses ({why}) but we give {:?}", String::from_utf8_lossy(got)))
                }
            }
        }
        match want {
            Want::Bytes(want) => {
                accepted += 1;
                // The expected bytes themselves are canonical.
                assert!(is_canonical(want), "{case}.expected is not is_canonical");
            }
            Want::Refused(_) => refused += 1,
        }
    }
    eprintln!("{} cases ({accepted} accepted, {refused} refused), {inputs_checked} inputs checked", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {inputs_checked} inputs differ from securesystemslib:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(accepted >= 2000, "too few accepted cases: {accepted}");
    assert!(refused >= 100, "too few refused cases: {refused}");
}
