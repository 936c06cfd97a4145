//! Inputs the fuzzers found, kept so the bugs they showed stay fixed. Each must either be
//! refused or read back unchanged after writing.

use ceremony::tuf::metadata::Metadata;

#[test]
fn fuzz_findings_round_trip_or_are_refused() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        seen += 1;
        let Ok(md) = Metadata::from_slice(&bytes) else { continue };
        let again =
            Metadata::from_slice(&md.to_bytes()).unwrap_or_else(|e| panic!("{}: what we write must read back: {e}", path.display()));
        assert_eq!(again.signed_bytes(), md.signed_bytes(), "{}", path.display());
        assert_eq!(again.signatures(), md.signatures(), "{}", path.display());
    }
    assert!(seen > 0, "expected `seen > 0`, got {:?}", seen);
}
