//! The simulated ceremony behind `ceremony demo`: throw-away keys, real metadata.
//!
//! For now it builds a root history of five versions with the rotations real ceremonies
//! make (a keyholder replaced, the threshold raised, a lost key revoked, the targets key
//! rotated), each version signed by a threshold of the previous root and of its own.

use std::path::{Path, PathBuf};

use time::{Duration, OffsetDateTime};

use crate::build::{RoleSpec, RootSpec};
use crate::fsio::write_atomic;
use crate::key::Algorithm;
use crate::metadata::Metadata;
use crate::signer::{Signer, SoftwareSigner};

/// One root version the demo wrote, and what changed in it.
#[derive(Debug, Clone)]
pub struct DemoRoot {
    pub path: PathBuf,
    pub version: u64,
    pub change: String,
    pub signed_by: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write {0}: {1}")]
    Io(String, std::io::Error),
    #[error("the demo built metadata it cannot read back: {0}")]
    Build(String),
}

struct Holder {
    name: &'static str,
    signer: SoftwareSigner,
}

fn holder(name: &'static str, algorithm: Algorithm) -> Holder {
    Holder { name, signer: SoftwareSigner::generate(algorithm) }
}

fn role(holders: &[&Holder], threshold: u64) -> RoleSpec {
    RoleSpec { keys: holders.iter().map(|h| h.signer.public_key().clone()).collect(), threshold }
}

/// Writes `1.root.json` ... `5.root.json` into `dir`.
pub fn write_sample_root_chain(dir: &Path, now: OffsetDateTime) -> Result<Vec<DemoRoot>, DemoError> {
    let alice = holder("alice", Algorithm::Ed25519);
    let bob = holder("bob", Algorithm::EcdsaP256);
    let carol = holder("carol", Algorithm::EcdsaP384);
    let dave = holder("dave", Algorithm::Ed25519);
    let erin = holder("erin", Algorithm::EcdsaP256);
    let targets1 = holder("targets key 1", Algorithm::EcdsaP256);
    let targets2 = holder("targets key 2", Algorithm::EcdsaP256);
    let online = holder("online key", Algorithm::Ed25519);

    let spec = |version: u64, root: RoleSpec, targets: &Holder| RootSpec {
        version,
        expires: now + Duration::days(365),
        root,
        targets: role(&[targets], 1),
        snapshot: role(&[&online], 1),
        timestamp: role(&[&online], 1),
    };
    let plan: Vec<(RootSpec, Vec<&Holder>, &str)> = vec![
        (spec(1, role(&[&alice, &bob, &carol], 2), &targets1), vec![&alice, &bob, &carol],
         "bootstrap: alice, bob and carol hold root keys, 2 of 3 must sign"),
        (spec(2, role(&[&alice, &bob, &dave], 2), &targets1), vec![&alice, &bob, &dave],
         "carol leaves, dave joins; still 2 of 3"),
        (spec(3, role(&[&alice, &bob, &dave, &erin], 3), &targets1), vec![&alice, &bob, &dave, &erin],
         "erin joins and the threshold rises to 3 of 4"),
        (spec(4, role(&[&alice, &dave, &erin], 2), &targets1), vec![&alice, &dave, &erin],
         "bob's key is lost: revoked, 2 of 3"),
        (spec(5, role(&[&alice, &dave, &erin], 2), &targets2), vec![&alice, &dave],
         "the targets key is rotated"),
    ];
    let mut written = Vec::new();
    for (spec, signers, change) in plan {
        let signed = spec.to_signed().map_err(|e| DemoError::Build(e.to_string()))?;
        let mut md = Metadata::from_signed(signed).map_err(|e| DemoError::Build(e.to_string()))?;
        for h in &signers {
            let sig = h.signer.sign(&md.signed_bytes()).map_err(|e| DemoError::Build(e.to_string()))?;
            md.set_signature(sig);
        }
        let path = dir.join(format!("{}.root.json", spec.version));
        write_atomic(&path, &md.to_bytes()).map_err(|e| DemoError::Io(path.display().to_string(), e))?;
        written.push(DemoRoot {
            path,
            version: spec.version,
            change: change.to_string(),
            signed_by: signers.iter().map(|h| h.name.to_string()).collect(),
        });
    }
    Ok(written)
}
