//! The simulated ceremony behind `ceremony demo`: throw-away keys, real metadata.
//!
//! [`run`] walks the three jobs the toolkit exists for, in one workspace, with in-memory
//! keys and no prompts: a bootstrap (root v1 and PEP 480 targets), a promotion batch of
//! generated projects from a `recently-claimed` signed by a throw-away online key, and a
//! planned root rotation (one holder replaced, signed by the old and the new thresholds).
//! After each phase it exports a bundle; at the end it verifies every bundle trusting only
//! root v1, as the online side would, and writes the printable report. It reports each
//! step as an [`Event`]; the command line turns them into words.
//!
//! [`write_sample_root_chain`] builds a five-version root history (used by interop tests).

use std::path::{Path, PathBuf};

use time::{Duration, OffsetDateTime};

use crate::keys::signer::{Signer, SoftwareSigner};
use crate::support::fsio::write_atomic;
use crate::tuf::build::{RoleSpec, RootSpec};
use crate::tuf::key::Algorithm;
use crate::tuf::metadata::Metadata;

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

struct SampleHolder {
    name: &'static str,
    signer: SoftwareSigner,
}

fn holder(name: &'static str, algorithm: Algorithm) -> SampleHolder {
    SampleHolder { name, signer: SoftwareSigner::generate(algorithm) }
}

fn role(holders: &[&SampleHolder], threshold: u64) -> RoleSpec {
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

    let spec = |version: u64, root: RoleSpec, targets: &SampleHolder| RootSpec {
        version,
        expires: now + Duration::days(365),
        root,
        targets: role(&[targets], 1),
        snapshot: role(&[&online], 1),
        timestamp: role(&[&online], 1),
    };
    let plan: Vec<(RootSpec, Vec<&SampleHolder>, &str)> = vec![
        (
            spec(1, role(&[&alice, &bob, &carol], 2), &targets1),
            vec![&alice, &bob, &carol],
            "bootstrap: alice, bob and carol hold root keys, 2 of 3 must sign",
        ),
        (spec(2, role(&[&alice, &bob, &dave], 2), &targets1), vec![&alice, &bob, &dave], "carol leaves, dave joins; still 2 of 3"),
        (
            spec(3, role(&[&alice, &bob, &dave, &erin], 3), &targets1),
            vec![&alice, &bob, &dave, &erin],
            "erin joins and the threshold rises to 3 of 4",
        ),
        (spec(4, role(&[&alice, &dave, &erin], 2), &targets1), vec![&alice, &dave, &erin], "bob's key is lost: revoked, 2 of 3"),
        (spec(5, role(&[&alice, &dave, &erin], 2), &targets2), vec![&alice, &dave], "the targets key is rotated"),
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

// ---------------------------------------------------------------------------------------
// The whole simulated ceremony.

use serde::Serialize;

use crate::audit::report::{render_html, Report};
use crate::bundle::{read_bundle, verify_bundle, Limits};
use crate::keys::holder::{Holder, KeySource};
use crate::keys::signer::passphrase::{generate_passphrase, PassphraseSigner, Profile};
use crate::pypi::claimed::{self, ShardProjects};
use crate::pypi::pep480::{Project, TargetsPlan};
use crate::support::secret::SecretBytes;
use crate::workspace::promotion::PromoteRequest;
use crate::workspace::propose::{self, RolePlan, RootPlan, Rotation};
use crate::workspace::staging;
use crate::workspace::Workspace;

/// What `run` needs besides the directory.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where everything goes; created if absent, must not hold a workspace yet.
    pub dir: PathBuf,
    /// How many generated projects the promotion batch carries.
    pub projects: usize,
    /// The running binary's SHA-256, for the report.
    pub binary_sha256: Option<String>,
    pub now: OffsetDateTime,
}

/// One threshold's state after a signature, for narration.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdState {
    pub role: String,
    pub version: u64,
    pub keys_of: String,
    pub have: u64,
    pub need: u64,
}

/// A step of the demo, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    Phase {
        number: u8,
        title: &'static str,
    },
    Registered {
        holder: String,
        keyid: String,
        kind: String,
    },
    /// `covers` names the bytes the digest is of (`role_digest`'s label).
    Staged {
        role: String,
        version: u64,
        covers: String,
        digest_hex: String,
        words: Vec<String>,
    },
    RecentlyClaimed {
        path: PathBuf,
        version: u64,
        projects: usize,
    },
    Promoted {
        new: usize,
        files: usize,
    },
    Signed {
        holder: String,
        roles: Vec<(String, u64)>,
        after: Vec<ThresholdState>,
    },
    Exported {
        bundle: PathBuf,
        sha256: String,
        new_files: Vec<String>,
    },
    Verified {
        bundle: PathBuf,
        ok: bool,
        newest_root: Option<u64>,
        files: usize,
        problem: Option<String>,
    },
    Wrote {
        what: &'static str,
        path: PathBuf,
    },
}

/// One exported bundle and what verifying it found.
#[derive(Debug, Clone, Serialize)]
pub struct DemoBundle {
    pub phase: String,
    pub path: PathBuf,
    pub sha256: String,
    pub new_files: Vec<String>,
    pub verified: bool,
    pub newest_root_version: Option<u64>,
}

/// Where everything is, for `--json` and the closing lines.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub ok: bool,
    pub dir: PathBuf,
    pub workspace: PathBuf,
    pub trusted_root: PathBuf,
    pub recently_claimed: PathBuf,
    pub bundles: Vec<DemoBundle>,
    pub report: PathBuf,
    pub transcript: PathBuf,
    pub holders: Vec<String>,
    pub projects_promoted: usize,
}

/// Turns any error of a step into a demo error that names the step.
fn at<T, E: std::fmt::Display>(step: &str, r: Result<T, E>) -> Result<T, DemoError> {
    r.map_err(|e| DemoError::Build(format!("{step}: {e}")))
}

/// The demo's state between phases: the workspace and the keys in memory.
struct Demo<'e> {
    dir: PathBuf,
    ws: Workspace,
    holders: Vec<(String, PassphraseSigner)>,
    online: SoftwareSigner,
    now: OffsetDateTime,
    emit: &'e mut dyn FnMut(Event),
    bundles: Vec<DemoBundle>,
}

/// Runs the whole simulated ceremony in `opts.dir`, reporting each step to `emit`.
pub fn run(opts: &DemoOptions, emit: &mut dyn FnMut(Event)) -> Result<DemoSummary, DemoError> {
    let dir = opts.dir.clone();
    for sub in ["bundles", "online"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(|e| DemoError::Io(p.display().to_string(), e))?;
    }
    let ws = at("create the workspace", Workspace::init(&dir.join("workspace")))?;
    let online = SoftwareSigner::generate(Algorithm::Ed25519);
    let mut demo = Demo { dir, ws, holders: Vec::new(), online, now: opts.now, emit, bundles: Vec::new() };
    let trusted_root = demo.bootstrap()?;
    let (rc_path, promoted) = demo.promotion(opts.projects)?;
    demo.rotation()?;
    demo.verify_all(&trusted_root)?;
    let (report, transcript) = demo.record(opts.binary_sha256.clone())?;
    Ok(DemoSummary {
        ok: demo.bundles.iter().all(|b| b.verified),
        workspace: demo.dir.join("workspace"),
        dir: demo.dir,
        trusted_root,
        recently_claimed: rc_path,
        bundles: demo.bundles,
        report,
        transcript,
        holders: demo.holders.iter().map(|(n, _)| n.clone()).collect(),
        projects_promoted: promoted,
    })
}

impl Demo<'_> {
    /// Registers a holder with a key derived from a fresh passphrase (test KDF profile:
    /// the keys are thrown away, so the strong profile's seconds would buy nothing).
    fn add_passphrase_holder(&mut self, name: &str) -> Result<SecretBytes, DemoError> {
        let phrase = generate_passphrase(name);
        let secret = SecretBytes::new(phrase.as_bytes().to_vec());
        self.add_passphrase_record(name, &secret)?;
        Ok(secret)
    }

    /// Registers `name` (a person, or a person's record such as `alice.claimed`) with the key
    /// `secret` derives under that name: the same passphrase gives each record its own key.
    fn add_passphrase_record(&mut self, name: &str, secret: &SecretBytes) -> Result<(), DemoError> {
        let signer = at("derive a key", PassphraseSigner::derive(secret, name, &Profile::Test.params()))?;
        let holder = Holder {
            name: name.to_string(),
            key: signer.public_key().clone(),
            source: signer.key_source().clone(),
            registered: crate::tuf::datetime::format_expires(self.now),
        };
        self.register(holder)?;
        self.holders.push((name.to_string(), signer));
        Ok(())
    }

    fn register(&mut self, holder: Holder) -> Result<(), DemoError> {
        let lock = at("lock the workspace", self.ws.lock())?;
        at("register a holder", self.ws.add_holder(&lock, &holder))?;
        let kind = holder.key.public_key().map(|p| p.algorithm().label().to_string()).unwrap_or_default();
        (self.emit)(Event::Registered { holder: holder.name.clone(), keyid: holder.key.keyid().to_string(), kind });
        Ok(())
    }

    fn key(&self, name: &str) -> Result<crate::tuf::key::Key, DemoError> {
        at("find a holder", self.ws.holder(name)).map(|h| h.key)
    }

    fn keys(&self, names: &[&str]) -> Result<Vec<crate::tuf::key::Key>, DemoError> {
        names.iter().map(|n| self.key(n)).collect()
    }

    fn staged(&mut self, role: &str, md: &Metadata) {
        let d = crate::workspace::role_digest::role_digest(role, md);
        let words = d.words.iter().map(|w| w.to_string()).collect();
        (self.emit)(Event::Staged { role: role.to_string(), version: md.version(), covers: d.label, digest_hex: d.sha256, words });
    }

    /// Phase 1: alice, bob and carol hold root and targets at 2 of 3, and claimed at 2 of 3
    /// with keys of its own (alice.claimed, ...) from the same passphrases: a key that signed
    /// both targets and claimed would let the online key serve one file as the other.
    fn bootstrap(&mut self) -> Result<PathBuf, DemoError> {
        (self.emit)(Event::Phase { number: 1, title: "bootstrap: keys, root version 1, top-level targets" });
        for name in ["alice", "bob", "carol"] {
            let secret = self.add_passphrase_holder(name)?;
            self.add_passphrase_record(&format!("{name}.claimed"), &secret)?;
        }
        let online = Holder {
            name: "online".into(),
            key: self.online.public_key().clone(),
            source: KeySource::PublicOnly,
            registered: crate::tuf::datetime::format_expires(self.now),
        };
        self.register(online)?;
        let three = self.keys(&["alice", "bob", "carol"])?;
        let online = self.key("online")?;
        let expires = propose::default_expiry(self.now);
        let plan = RootPlan {
            root: RolePlan { keys: three.clone(), threshold: 2 },
            targets: RolePlan { keys: three, threshold: 2 },
            snapshot: RolePlan { keys: vec![online.clone()], threshold: 1 },
            timestamp: RolePlan { keys: vec![online.clone()], threshold: 1 },
            expires,
        };
        let lock = at("lock the workspace", self.ws.lock())?;
        let root = at("stage root version 1", propose::root_init(&self.ws, &lock, &plan))?;
        let claimed = self.keys(&["alice.claimed", "bob.claimed", "carol.claimed"])?;
        let tp = TargetsPlan { claimed, claimed_threshold: 2, online, expires };
        let targets = at("stage targets", crate::workspace::propose::targets_init(&self.ws, &lock, &tp))?;
        drop(lock);
        self.staged("root", &root);
        self.staged("targets", &targets);
        self.sign(&["alice", "bob"])?;
        self.export("bootstrap", "1-bootstrap.tar")?;
        // The online side receives root v1 out of band and trusts nothing else.
        let first = at("read the trusted roots", staging::trusted_roots(&self.ws))?;
        let root1 = first.first().ok_or_else(|| DemoError::Build("no root version 1 after export".into()))?;
        let path = self.dir.join("1.root.json");
        write_atomic(&path, &root1.to_bytes()).map_err(|e| DemoError::Io(path.display().to_string(), e))?;
        (self.emit)(Event::Wrote { what: "root version 1, the online side's trust anchor", path: path.clone() });
        Ok(path)
    }
}

/// Plausible PyPI-style names for the generated projects: a few fixed ones (dashes, dots,
/// digits, the shapes that make project path patterns interesting) and numbered ones.
fn project_names(n: usize) -> Vec<String> {
    let fixed = ["acme-widgets", "bluebird", "data-tools", "data-tools2", "flask-login-extra", "pyspam", "zope-wiring"];
    let mut names: Vec<String> = fixed.iter().take(n).map(|s| s.to_string()).collect();
    let mut i = 1;
    while names.len() < n {
        names.push(format!("demo-project-{i:03}"));
        i += 1;
    }
    names
}

impl Demo<'_> {
    /// Phase 2: the online repository's recently-claimed (generated here, signed by the
    /// online key) moves into the offline claimed role; bob and carol sign with their
    /// claimed keys.
    fn promotion(&mut self, count: usize) -> Result<(PathBuf, usize), DemoError> {
        (self.emit)(Event::Phase { number: 2, title: "promotion: projects move from recently-claimed into claimed" });
        let projects: ShardProjects = project_names(count)
            .into_iter()
            .map(|name| {
                let dev = SoftwareSigner::generate(Algorithm::Ed25519);
                let key = dev.public_key();
                let id = key.keyid().to_string();
                Project::new(name, 1, &[(id, key.canonical_bytes().to_vec())])
            })
            .collect();
        let signed = claimed::shard_signed(&projects, 1, self.now + Duration::days(7));
        let mut source = at("build recently-claimed", Metadata::from_signed(signed))?;
        let sig = at("sign recently-claimed", self.online.sign(&source.signed_bytes()))?;
        source.set_signature(sig);
        let rc = self.dir.join("online").join("recently-claimed.json");
        write_atomic(&rc, &source.to_bytes()).map_err(|e| DemoError::Io(rc.display().to_string(), e))?;
        (self.emit)(Event::RecentlyClaimed { path: rc.clone(), version: 1, projects: projects.len() });
        let lock = at("lock the workspace", self.ws.lock())?;
        let source =
            at("verify recently-claimed", crate::workspace::recently_claimed::verify_recently_claimed(&self.ws, source, self.now))?;
        let req =
            PromoteRequest { source: &source, only: &[], skip_invalid: false, expires: propose::default_expiry(self.now), now: self.now };
        let (promotion, staged) = at("plan the promotion", crate::workspace::promotion::plan_promotion(&self.ws, &req))?;
        at("stage the promotion", crate::workspace::promotion::stage_promotion(&self.ws, &lock, &promotion, &staged))?;
        drop(lock);
        (self.emit)(Event::Promoted { new: promotion.new.len(), files: promotion.files.len() });
        // Shards are sealed, not signed by anyone: the holders read the index's words only.
        for (role, md) in staged.iter().filter(|(role, _)| claimed::shard_key_of(role).is_none()) {
            self.staged(role, md);
        }
        self.sign(&["bob.claimed", "carol.claimed"])?;
        self.export("promotion", "2-promotion.tar")?;
        Ok((rc, promotion.new.len()))
    }

    /// Phase 3: carol hands her root key over to dave. Root 2 needs 2 of the old root keys
    /// (alice, bob, carol) and 2 of the new (alice, bob, dave): dave alone is not enough.
    fn rotation(&mut self) -> Result<(), DemoError> {
        (self.emit)(Event::Phase { number: 3, title: "root rotation: carol's root key is replaced by dave's" });
        drop(self.add_passphrase_holder("dave")?);
        let rotation = Rotation {
            add_root: self.keys(&["dave"])?,
            remove_root: self.keys(&["carol"])?,
            root_threshold: None,
            targets: None,
            targets_threshold: None,
            snapshot: None,
            timestamp: None,
            expires: propose::default_expiry(self.now),
        };
        let lock = at("lock the workspace", self.ws.lock())?;
        let root = at("stage root version 2", propose::root_rotate(&self.ws, &lock, &rotation))?;
        drop(lock);
        self.staged("root", &root);
        self.sign(&["dave", "alice", "bob"])?;
        self.export("root rotation", "3-root-rotation.tar")
    }

    /// Each holder signs every staged role that needs their key; then the thresholds.
    fn sign(&mut self, names: &[&str]) -> Result<(), DemoError> {
        for name in names {
            let holder = at("find a holder", self.ws.holder(name))?;
            let signer = self
                .holders
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s)
                .ok_or_else(|| DemoError::Build(format!("no key in memory for {name}")))?;
            let lock = at("lock the workspace", self.ws.lock())?;
            let roles = at("find what to sign", crate::workspace::signing::signable(&self.ws, &holder, &[], self.now))?;
            let done = at("sign", crate::workspace::signing::sign_roles(&self.ws, &lock, &holder, signer, roles))?;
            drop(lock);
            let after = self.thresholds()?;
            (self.emit)(Event::Signed { holder: name.to_string(), roles: done, after });
        }
        Ok(())
    }

    fn thresholds(&self) -> Result<Vec<ThresholdState>, DemoError> {
        let status = at("read the status", crate::workspace::status::status(&self.ws, self.now))?;
        let mut out = Vec::new();
        for s in status {
            for (label, r) in &s.thresholds {
                out.push(ThresholdState {
                    role: s.role.clone(),
                    version: s.version,
                    keys_of: label.clone(),
                    have: r.have,
                    need: r.threshold,
                });
            }
        }
        Ok(out)
    }

    fn export(&mut self, phase: &str, file: &str) -> Result<(), DemoError> {
        let out = self.dir.join("bundles").join(file);
        let lock = at("lock the workspace", self.ws.lock())?;
        let done = at("export the bundle", crate::bundle::export::export_bundle(&self.ws, &lock, &out, self.now))?;
        let new_files: Vec<String> = done.files.iter().filter(|(_, new)| *new).map(|(p, _)| p.clone()).collect();
        (self.emit)(Event::Exported { bundle: out.clone(), sha256: done.sha256.clone(), new_files: new_files.clone() });
        self.bundles.push(DemoBundle {
            phase: phase.to_string(),
            path: out,
            sha256: done.sha256,
            new_files,
            verified: false,
            newest_root_version: None,
        });
        Ok(())
    }

    /// Phase 4: every bundle verified as the online side does, trusting root v1 only.
    fn verify_all(&mut self, trusted_root: &Path) -> Result<(), DemoError> {
        (self.emit)(Event::Phase { number: 4, title: "the online side verifies every bundle, trusting only root version 1" });
        let root = at("read root version 1", Metadata::from_file(trusted_root))?;
        for b in &mut self.bundles {
            let file = std::fs::File::open(&b.path).map_err(|e| DemoError::Io(b.path.display().to_string(), e))?;
            let bundle = at("read the bundle", read_bundle(std::io::BufReader::new(file), &Limits::default()))?;
            let report = verify_bundle(&bundle, &root, self.now);
            b.verified = report.ok;
            b.newest_root_version = report.newest_root_version;
            (self.emit)(Event::Verified {
                bundle: b.path.clone(),
                ok: report.ok,
                newest_root: report.newest_root_version,
                files: report.files.len(),
                problem: report.first_problem(),
            });
        }
        Ok(())
    }

    /// Phase 5: the printable record and a copy of the transcript next to the bundles.
    fn record(&mut self, binary: Option<String>) -> Result<(PathBuf, PathBuf), DemoError> {
        (self.emit)(Event::Phase { number: 5, title: "the ceremony record" });
        let report = at("build the report", Report::build(&self.ws, self.now, binary))?;
        let html = self.dir.join("report.html");
        write_atomic(&html, render_html(&report).as_bytes()).map_err(|e| DemoError::Io(html.display().to_string(), e))?;
        (self.emit)(Event::Wrote { what: "the printable report", path: html.clone() });
        let bytes = at("read the transcript", self.ws.transcript_bytes())?;
        let transcript = self.dir.join("transcript.jsonl");
        write_atomic(&transcript, &bytes).map_err(|e| DemoError::Io(transcript.display().to_string(), e))?;
        (self.emit)(Event::Wrote { what: "a copy of the transcript", path: transcript.clone() });
        Ok((html, transcript))
    }
}
