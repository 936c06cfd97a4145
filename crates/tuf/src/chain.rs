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
