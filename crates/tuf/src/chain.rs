//! The root chain: a trusted root, then each next root its successor under the TUF rules
//! (specification 5.3.4-5.3.5): type root, version exactly one more, signed by a threshold
//! of the previous root's root keys and by a threshold of its own.

use serde::Serialize;
use time::OffsetDateTime;

use crate::datetime::{format_expires, MetaTime};
use crate::key::{short_keyid, LegacyForm};
use crate::metadata::{Metadata, Root};
use crate::verify::{check_threshold, ThresholdReport};

/// One root of the chain and what was found checking it.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Position in the chain, from 0 (the trusted root).
    pub index: usize,
    pub version: u64,
    pub expires: String,
    /// The previous root's root threshold over this root (absent for the trusted root).
    pub previous: Option<ThresholdReport>,
    /// This root's own root threshold over itself.
    pub own: Option<ThresholdReport>,
    /// Rules this step breaks; empty when it holds.
    pub problems: Vec<String>,
    /// Things worth knowing that do not break a rule (legacy forms, keyid mismatches).
    pub warnings: Vec<String>,
}

impl Step {
    pub fn holds(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The whole chain's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub ok: bool,
    pub steps: Vec<Step>,
    /// The newest root that chains from the trusted one.
    pub newest_trusted_version: Option<u64>,
    /// True when the newest trusted root's expiry has passed at the time of checking.
    pub newest_expired: bool,
}

/// Verifies `roots` in order: the first is trusted (it must still be signed to its own
/// threshold), each next must be its successor. Checking stops at the first failed step.
pub fn verify_root_chain(roots: &[Metadata], now: OffsetDateTime) -> ChainReport {
    let mut steps = Vec::with_capacity(roots.len());
    let mut trusted: Option<(Root, &Metadata)> = None;
    for (index, md) in roots.iter().enumerate() {
        let (step, root) = check_step(index, md, trusted.as_ref().map(|(r, _)| r));
        let holds = step.holds();
        steps.push(step);
        match (holds, root) {
            (true, Some(root)) => trusted = Some((root, md)),
            _ => break,
        }
    }
    let ok = !roots.is_empty() && steps.len() == roots.len() && steps.iter().all(Step::holds);
    let newest = trusted.as_ref().map(|(_, md)| *md);
    ChainReport {
        ok,
        newest_trusted_version: newest.map(Metadata::version),
        newest_expired: newest.is_some_and(|md| md.expires().is_expired(now)),
        steps,
    }
}

fn check_step(index: usize, md: &Metadata, previous: Option<&Root>) -> (Step, Option<Root>) {
    let mut step = Step {
        index,
        version: md.version(),
        expires: format_expires(md.expires().at),
        previous: None,
        own: None,
        problems: Vec::new(),
        warnings: legacy_time_warning(md.expires()),
    };
    let root = match md.root() {
        Ok(root) => root,
        Err(e) => {
            step.problems.push(e.to_string());
            return (step, None);
        }
    };
    let signed = md.signed_bytes();
    if let Some(prev) = previous {
        let expected = prev.header.version + 1;
        if md.version() != expected {
            step.problems.push(format!(
                "its version is {} but the successor of version {} must be version {expected}",
                md.version(),
                prev.header.version
            ));
        }
        step.previous = prev.delegation("root").map(|d| check_threshold(&signed, md.signatures(), &d));
        push_failure(&mut step.problems, step.previous.as_ref(), "the previous root's keys");
    }
    step.own = root.delegation("root").map(|d| check_threshold(&signed, md.signatures(), &d));
    push_failure(&mut step.problems, step.own.as_ref(), "its own root keys");
    step.warnings.extend(key_warnings(&root));
    (step, Some(root))
}

fn push_failure(problems: &mut Vec<String>, report: Option<&ThresholdReport>, whose: &str) {
    match report {
        None => problems.push(format!("{whose}: there is no root role")),
        Some(r) => {
            if let Some(why) = r.failure() {
                problems.push(format!("{whose}: {why}"));
            }
        }
    }
}

fn legacy_time_warning(t: MetaTime) -> Vec<String> {
    if t.legacy {
        vec!["expires is not in the YYYY-MM-DDTHH:MM:SSZ form (read as legacy; Ceremony never writes it)".into()]
    } else {
        Vec::new()
    }
}

fn key_warnings(root: &Root) -> Vec<String> {
    let mut warnings = Vec::new();
    for (listed, computed) in root.keyid_mismatches() {
        warnings.push(format!(
            "keyid {} is not the hash of its key object (that would be {})",
            short_keyid(&listed),
            short_keyid(&computed)
        ));
    }
    for (keyid, key) in &root.keys {
        match key.public_key().map(|p| p.legacy()) {
            Ok(Some(LegacyForm::EcdsaKeytype)) => {
                warnings.push(format!("key {} uses the legacy keytype {:?}", short_keyid(keyid), key.keytype()))
            }
            Ok(Some(LegacyForm::HexEcdsaPoint)) => {
                warnings.push(format!("key {} is a legacy hex ECDSA point, not PEM", short_keyid(keyid)))
            }
            Ok(None) => {}
            Err(e) => warnings.push(format!("key {} cannot be used: {e}", short_keyid(keyid))),
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::test_keys::{ed25519, metadata, p256, root_json, signed_by, simple_root, TestKey};

    const NOW: OffsetDateTime = datetime!(2029-06-01 00:00:00 UTC);

    fn root(version: u64, keys: &[&TestKey], threshold: u64, signers: &[&TestKey]) -> Metadata {
        signed_by(&simple_root(version, keys, threshold), signers)
    }

    fn problems(report: &ChainReport) -> Vec<String> {
        report.steps.iter().flat_map(|s| s.problems.clone()).collect()
    }

    #[test]
    fn a_rotation_signed_by_old_and_new_keys_chains() {
        let (a, b, c) = (ed25519(1), ed25519(2), p256(3));
        let roots = [root(1, &[&a, &b], 2, &[&a, &b]), root(2, &[&b, &c], 2, &[&a, &b, &c]), root(3, &[&c], 1, &[&b, &c])];
        let report = verify_root_chain(&roots, NOW);
        assert!(report.ok, "expected the chain to hold, got {:?}", problems(&report));
        assert_eq!(report.newest_trusted_version, Some(3), "expected version 3 trusted, got {report:?}");
        assert!(!report.newest_expired, "expected 2030 not expired in 2029, got {report:?}");
        assert_eq!(report.steps.len(), 3, "expected a step per root, got {report:?}");
        let first = &report.steps[0];
        assert!(first.previous.is_none(), "expected no previous check for the trusted root, got {first:?}");
        assert_eq!(first.own.as_ref().map(|r| r.have), Some(2), "expected both keys counted on the trusted root, got {first:?}");
        let second = &report.steps[1];
        assert_eq!((second.index, second.version), (1, 2), "expected step 1 to be version 2, got {second:?}");
        assert_eq!(second.expires, "2030-01-01T00:00:00Z", "expected the expiry as written, got {second:?}");
        assert_eq!(second.previous.as_ref().map(|r| r.have), Some(2), "expected a and b counted for the old root, got {second:?}");
        assert_eq!(second.own.as_ref().map(|r| r.have), Some(2), "expected b and c counted for the new root, got {second:?}");
        assert!(report.steps.iter().all(|s| s.warnings.is_empty()), "expected no warnings, got {report:?}");
    }

    #[test]
    fn no_roots_is_no_chain() {
        let report = verify_root_chain(&[], NOW);
        assert!(!report.ok, "expected an empty chain refused, got {report:?}");
        assert_eq!(report.newest_trusted_version, None, "expected nothing trusted, got {report:?}");
        assert!(!report.newest_expired, "expected nothing expired when nothing is trusted, got {report:?}");
    }

    #[test]
    fn the_trusted_root_must_meet_its_own_threshold() {
        let (a, b) = (ed25519(1), ed25519(2));
        let report = verify_root_chain(&[root(1, &[&a, &b], 2, &[&a])], NOW);
        assert!(!report.ok, "expected 1 of 2 refused, got {report:?}");
        assert_eq!(report.newest_trusted_version, None, "expected nothing trusted, got {report:?}");
        assert_eq!(
            problems(&report),
            ["its own root keys: 1 of the 2 root keys needed signed validly"],
            "expected the own-threshold problem, got {report:?}"
        );
    }

    #[test]
    fn the_successor_must_be_exactly_one_version_on() {
        let a = ed25519(1);
        for version in [1, 3, 5] {
            let roots = [root(1, &[&a], 1, &[&a]), root(version, &[&a], 1, &[&a])];
            let report = verify_root_chain(&roots, NOW);
            assert!(!report.ok, "expected version {version} after 1 refused, got {report:?}");
            assert_eq!(report.newest_trusted_version, Some(1), "expected only version 1 trusted, got {report:?}");
            assert_eq!(
                report.steps[1].problems,
                [format!("its version is {version} but the successor of version 1 must be version 2")],
                "expected the version rule named, got {report:?}"
            );
        }
    }

    #[test]
    fn the_successor_needs_the_previous_roots_threshold() {
        let (a, b) = (ed25519(1), ed25519(2));
        let roots = [root(1, &[&a], 1, &[&a]), root(2, &[&b], 1, &[&b])];
        let report = verify_root_chain(&roots, NOW);
        assert!(!report.ok, "expected a root not signed by the old key refused, got {report:?}");
        assert_eq!(report.newest_trusted_version, Some(1), "expected version 1 still the newest trusted, got {report:?}");
        assert_eq!(
            report.steps[1].problems,
            ["the previous root's keys: 0 of the 1 root keys needed signed validly"],
            "expected only the old-threshold problem, got {report:?}"
        );
    }

    #[test]
    fn the_successor_needs_its_own_threshold() {
        let (a, b) = (ed25519(1), ed25519(2));
        let roots = [root(1, &[&a], 1, &[&a]), root(2, &[&b], 1, &[&a])];
        let report = verify_root_chain(&roots, NOW);
        assert!(!report.ok, "expected a root not signed by its own key refused, got {report:?}");
        assert_eq!(
            report.steps[1].problems,
            ["its own root keys: 0 of the 1 root keys needed signed validly"],
            "expected only the own-threshold problem, got {report:?}"
        );
    }

    #[test]
    fn checking_stops_at_the_first_broken_step() {
        let (a, b) = (ed25519(1), ed25519(2));
        let roots = [root(1, &[&a], 1, &[&a]), root(2, &[&a], 1, &[&b]), root(3, &[&a], 1, &[&a])];
        let report = verify_root_chain(&roots, NOW);
        assert!(!report.ok, "expected the chain broken at version 2, got {report:?}");
        assert_eq!(report.steps.len(), 2, "expected no step after the broken one, got {report:?}");
        assert!(report.steps[0].holds() && !report.steps[1].holds(), "expected step 0 to hold and step 1 not, got {report:?}");
        assert_eq!(report.newest_trusted_version, Some(1), "expected version 1 the newest trusted, got {report:?}");
    }

    #[test]
    fn metadata_that_is_not_root_breaks_the_chain() {
        let a = ed25519(1);
        let targets = serde_json::json!({"_type": "targets", "spec_version": "1.0.31", "version": 2,
            "expires": "2030-01-01T00:00:00Z", "targets": {}});
        let roots = [root(1, &[&a], 1, &[&a]), signed_by(&targets, &[&a]), root(3, &[&a], 1, &[&a])];
        let report = verify_root_chain(&roots, NOW);
        assert!(!report.ok, "expected targets metadata refused as a root, got {report:?}");
        assert_eq!(report.steps.len(), 2, "expected checking to stop at the targets file, got {report:?}");
        let step = &report.steps[1];
        assert!(step.own.is_none() && step.previous.is_none(), "expected no threshold checked on a non-root, got {step:?}");
        assert_eq!(step.problems.len(), 1, "expected one problem, got {step:?}");
        assert!(step.problems[0].contains("root"), "expected the wrong type named, got {step:?}");
        assert_eq!(report.newest_trusted_version, Some(1), "expected version 1 the newest trusted, got {report:?}");
    }

    #[test]
    fn expiry_is_of_the_newest_trusted_root() {
        let a = ed25519(1);
        let expiring =
            |version: u64, expires: &str| signed_by(&root_json(version, expires, [(&[&a], 1), (&[&a], 1), (&[&a], 1), (&[&a], 1)]), &[&a]);
        let roots = [expiring(1, "2020-01-01T00:00:00Z"), expiring(2, "2030-01-01T00:00:00Z")];
        let report = verify_root_chain(&roots, NOW);
        assert!(report.ok && !report.newest_expired, "expected an old expired root not to matter, got {report:?}");
        let roots = [expiring(1, "2030-01-01T00:00:00Z"), expiring(2, "2029-06-01T00:00:00Z")];
        let report = verify_root_chain(&roots, NOW);
        assert!(report.ok, "expected expiry not to break the chain, got {report:?}");
        assert!(report.newest_expired, "expected the newest root, expiring now, reported expired, got {report:?}");
    }

    #[test]
    fn legacy_forms_and_odd_keys_are_warnings_not_problems() {
        let a = ed25519(1);
        let mut json = root_json(1, "2030-01-01T00:00:00.5Z", [(&[&a], 1), (&[&a], 1), (&[&a], 1), (&[&a], 1)]);
        // A P-256 key in both legacy forms, under a keyid that is not its hash, and a key of
        // an unsupported type: listed, though no role uses them.
        let point = match p256(2) {
            TestKey::P256(k) => hex::encode(k.verifying_key().to_encoded_point(false).as_bytes()),
            _ => unreachable!("p256() makes a P-256 key"),
        };
        let legacy_keytype = p256(3).key().public().to_string();
        let (hex_id, type_id, odd_id) = ("11".repeat(32), "22".repeat(32), "33".repeat(32));
        json["keys"][&hex_id] = serde_json::json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": point}});
        json["keys"][&type_id] =
            serde_json::json!({"keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": legacy_keytype}});
        json["keys"][&odd_id] = serde_json::json!({"keytype": "dsa", "scheme": "dsa", "keyval": {"public": "00"}});
        let report = verify_root_chain(&[signed_by(&json, &[&a])], NOW);
        assert!(report.ok, "expected warnings only, got {:?}", problems(&report));
        let warnings = &report.steps[0].warnings;
        let has = |text: &str| warnings.iter().filter(|w| w.contains(text)).count();
        assert_eq!(has("not in the YYYY-MM-DDTHH:MM:SSZ form"), 1, "expected the legacy expiry warned, got {warnings:?}");
        assert_eq!(has("is not the hash of its key object"), 3, "expected three keyid mismatches, got {warnings:?}");
        assert_eq!(has("key 11111111 is a legacy hex ECDSA point"), 1, "expected the hex point warned, got {warnings:?}");
        assert_eq!(has("key 22222222 uses the legacy keytype \"ecdsa-sha2-nistp256\""), 1, "expected the keytype warned, got {warnings:?}");
        assert_eq!(has("key 33333333 cannot be used"), 1, "expected the unsupported key warned, got {warnings:?}");
        assert_eq!(warnings.len(), 7, "expected exactly these seven warnings, got {warnings:?}");
    }

    #[test]
    fn a_strict_expiry_gives_no_time_warning() {
        let got = legacy_time_warning(crate::datetime::MetaTime::parse("2030-01-01T00:00:00Z").unwrap());
        assert!(got.is_empty(), "expected no warning, got {got:?}");
        let unsigned = metadata(&simple_root(1, &[&ed25519(1)], 1), &[]);
        let report = verify_root_chain(&[unsigned], NOW);
        assert!(!report.ok, "expected an unsigned root refused, got {report:?}");
    }
}
