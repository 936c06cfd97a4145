//! Fuzz target: the hostile tar reader (`bundle::read_bundle`) and the verification that
//! follows (`bundle::verify_bundle`, trusting a fixed root whose bundles are the seeds) must
//! never panic. Whatever reads must be consistent with its manifest, and reading is a pure
//! function of the bytes.
#![no_main]

use std::sync::OnceLock;

use ceremony::bundle::{read_bundle, verify_bundle, Limits};
use ceremony::tuf::metadata::Metadata;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fn trusted_root() -> &'static Metadata {
    static ROOT: OnceLock<Metadata> = OnceLock::new();
    ROOT.get_or_init(|| {
        Metadata::from_slice(include_bytes!("../fixtures/bundle-trusted-root.json")).expect("the fixture root reads")
    })
}

/// Small limits, so the fuzzer reaches them; the reader's logic is the same at any size.
const LIMITS: Limits = Limits { max_member_bytes: 1 << 20, max_total_bytes: 4 << 20, max_members: 64 };

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = read_bundle(data, &LIMITS) else { return };
    let again = read_bundle(data, &LIMITS).expect("reading is deterministic");
    assert_eq!(again, bundle);
    for f in &bundle.manifest.files {
        let bytes = if f.path == "transcript.jsonl" { &bundle.transcript } else { &bundle.files[&f.path] };
        assert_eq!(bytes.len() as u64, f.length);
        assert_eq!(hex::encode(Sha256::digest(bytes)), f.sha256);
    }
    // A fixed clock before the fixture's expiry, so verdicts do not change with the date.
    let now = time::macros::datetime!(2026-11-22 00:00 UTC);
    let report = verify_bundle(&bundle, trusted_root(), now);
    let _ = report.first_problem();
});
