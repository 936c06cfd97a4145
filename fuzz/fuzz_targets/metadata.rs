//! Fuzz target: metadata parsing and verification must never panic on any input, and
//! whatever parses must round-trip: writing it and reading it back gives the same signed
//! bytes and the same signatures.
#![no_main]

use ceremony::tuf::metadata::{Metadata, RoleType};
use ceremony::tuf::verify::{check_threshold, verify_delegate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(md) = Metadata::from_slice(data) else { return };
    let again = Metadata::from_slice(&md.to_bytes()).expect("what we write must read back");
    assert_eq!(again.signed_bytes(), md.signed_bytes());
    assert_eq!(again.signatures(), md.signatures());
    match md.role_type() {
        RoleType::Root => {
            if let Ok(root) = md.root() {
                let _ = root.keyid_mismatches();
                if let Some(d) = root.delegation("root") {
                    let _ = check_threshold(&md.signed_bytes(), md.signatures(), &d);
                }
                let _ = verify_delegate(&md, "root", &md);
            }
        }
        RoleType::Targets => {
            if let Ok(targets) = md.targets() {
                if let Some(d) = &targets.delegations {
                    let _ = d.keyid_mismatches();
                    for role in d.roles.iter().flatten().take(8) {
                        if let Some(del) = targets.delegation(&role.name) {
                            let _ = check_threshold(&md.signed_bytes(), md.signatures(), &del);
                        }
                    }
                    if let Some(s) = &d.succinct_roles {
                        let name = s.role_for_target("packages/aa/bb/x.whl");
                        assert!(s.is_role(&name));
                    }
                }
            }
        }
        RoleType::Snapshot => drop(md.snapshot()),
        RoleType::Timestamp => drop(md.timestamp()),
    }
});
