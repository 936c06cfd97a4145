//! The bundle: deterministic writing, hostile reading, verification from a trusted root,
//! python-tuf's verdict on what it carries, and `ceremony bundle verify`.

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use ceremony::bundle::{read_bundle, verify_bundle, write_bundle, Bundle, BundleError, BundleFile, BundleReport, Limits};
use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::build::{RoleSpec, RootSpec};
use ceremony::tuf::key::Algorithm;
use ceremony::tuf::metadata::Metadata;
use ceremony::workspace::transcript::{self, Action};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::macros::datetime;
use time::OffsetDateTime;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

const FAR: &str = "2099-01-01T00:00:00Z";

/// A ceremony's worth of keys and metadata: five roots, targets delegating to claimed.
struct Fixture {
    roots: Vec<Metadata>,
    targets_keys: Vec<SoftwareSigner>,
    claimed_key: SoftwareSigner,
    online: SoftwareSigner,
    transcript: Vec<u8>,
}

fn sign_all(md: &mut Metadata, signers: &[&SoftwareSigner]) {
    for s in signers {
        let sig = s.sign(&md.signed_bytes()).unwrap();
        md.set_signature(sig);
    }
}

fn role(keys: &[&SoftwareSigner], threshold: u64) -> RoleSpec {
    RoleSpec { keys: keys.iter().map(|k| k.public_key().clone()).collect(), threshold }
}

impl Fixture {
    fn new() -> Fixture {
        let a = SoftwareSigner::generate(Algorithm::Ed25519);
        let b = SoftwareSigner::generate(Algorithm::EcdsaP256);
        let c = SoftwareSigner::generate(Algorithm::Ed25519);
        let d = SoftwareSigner::generate(Algorithm::EcdsaP256);
        let targets_keys = vec![SoftwareSigner::generate(Algorithm::Ed25519), SoftwareSigner::generate(Algorithm::EcdsaP256)];
        let claimed_key = SoftwareSigner::generate(Algorithm::Ed25519);
        let online = SoftwareSigner::generate(Algorithm::Ed25519);
        // Who holds root keys in versions 1..=5.
        let holders: [(Vec<&SoftwareSigner>, u64); 5] =
            [(vec![&a, &b, &c], 2), (vec![&a, &b, &d], 2), (vec![&a, &b, &c, &d], 3), (vec![&a, &c, &d], 2), (vec![&a, &c, &d], 2)];
        let t: Vec<&SoftwareSigner> = targets_keys.iter().collect();
        let mut roots = Vec::new();
        for (i, (keys, threshold)) in holders.iter().enumerate() {
            let spec = RootSpec {
                version: i as u64 + 1,
                expires: datetime!(2099-01-01 00:00 UTC),
                root: role(keys, *threshold),
                targets: role(&t, 2),
                snapshot: role(&[&online], 1),
                timestamp: role(&[&online], 1),
            };
            let mut md = Metadata::from_signed(spec.to_signed().unwrap()).unwrap();
            let mut signers: Vec<&SoftwareSigner> = keys.clone();
            if i > 0 {
                signers.extend(holders[i - 1].0.iter().copied());
            }
            signers.sort_by_key(|s| s.public_key().keyid().to_string());
            signers.dedup_by_key(|s| s.public_key().keyid().to_string());
            sign_all(&mut md, &signers);
            roots.push(md);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        for (what, holder) in [("init", None), ("stage", None), ("sign", Some("alice")), ("sign", Some("bob"))] {
            let action = Action { action: what.into(), holder: holder.map(str::to_string), ..Action::default() };
            transcript::append(&path, action, "2026-01-01T00:00:00Z").unwrap();
        }
        let transcript = std::fs::read(&path).unwrap();
        Fixture { roots, targets_keys, claimed_key, online, transcript }
    }

    fn targets_with(&self, version: u64, expires: &str, signers: &[&SoftwareSigner]) -> Metadata {
        let key = |k: &SoftwareSigner| -> Value { serde_json::from_slice(&k.public_key().to_json_text()).unwrap() };
        let claimed_id = self.claimed_key.public_key().keyid();
        let online_id = self.online.public_key().keyid();
        let signed = json!({
            "_type": "targets", "spec_version": "1.0.31", "version": version, "expires": expires,
            "targets": {},
            "delegations": {
                "keys": { claimed_id: key(&self.claimed_key), online_id: key(&self.online) },
                "roles": [
                    {"name": "claimed", "keyids": [claimed_id], "threshold": 1, "terminating": false, "paths": ["*/*/*/*/*", "simple/*/*"]},
                    {"name": "recently-claimed", "keyids": [online_id], "threshold": 1, "terminating": false, "paths": ["*/*/*/*/*", "simple/*/*"]},
                ],
            },
        });
        let mut md = Metadata::from_signed(ceremony::tuf::canonical::to_canonical(&signed).unwrap()).unwrap();
        sign_all(&mut md, signers);
        md
    }

    fn targets(&self) -> Metadata {
        let t: Vec<&SoftwareSigner> = self.targets_keys.iter().collect();
        self.targets_with(1, FAR, &t)
    }

    fn claimed_with(&self, version: u64, expires: &str, signer: &SoftwareSigner) -> Metadata {
        let signed = json!({"_type": "targets", "spec_version": "1.0.31", "version": version,
            "expires": expires, "targets": {}});
        let mut md = Metadata::from_signed(ceremony::tuf::canonical::to_canonical(&signed).unwrap()).unwrap();
        sign_all(&mut md, &[signer]);
        md
    }

    fn claimed(&self) -> Metadata {
        self.claimed_with(1, FAR, &self.claimed_key)
    }

    /// The files of a bundle: roots `from..=5`, targets, claimed.
    fn files_from(&self, from: usize) -> Vec<BundleFile> {
        let mut files: Vec<BundleFile> =
            self.roots[from - 1..].iter().map(|r| BundleFile::metadata("root", r.version(), r.to_bytes(), r.version() == 5)).collect();
        files.push(BundleFile::metadata("targets", 1, self.targets().to_bytes(), true));
        files.push(BundleFile::metadata("claimed", 1, self.claimed().to_bytes(), true));
        files
    }

    fn files(&self) -> Vec<BundleFile> {
        self.files_from(1)
    }

    fn bundle_bytes(&self) -> Vec<u8> {
        write_bundle(&self.files(), &self.transcript).unwrap()
    }

    fn bundle(&self) -> Bundle {
        read_bundle(&self.bundle_bytes()[..], &Limits::default()).unwrap()
    }
}

fn replace(files: &mut [BundleFile], path: &str, bytes: Vec<u8>) {
    files.iter_mut().find(|f| f.path == path).unwrap().bytes = bytes;
}

fn verify_files(fx: &Fixture, files: &[BundleFile], trusted: usize) -> BundleReport {
    let bytes = write_bundle(files, &fx.transcript).unwrap();
    let bundle = read_bundle(&bytes[..], &Limits::default()).unwrap();
    verify_bundle(&bundle, &fx.roots[trusted - 1], now())
}

fn file<'r>(report: &'r BundleReport, path: &str) -> &'r ceremony::bundle::FileReport {
    report.files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path} in {report:#?}"))
}

/// What a report found wrong, one line a problem, for assertion messages.
fn failures(report: &BundleReport) -> String {
    let files = report.files.iter().flat_map(|f| f.problems.iter().map(move |p| format!("{}: {p}", f.path)));
    let transcript = report.transcript.problems.iter().map(|p| format!("transcript: {p}"));
    report.problems.iter().cloned().chain(files).chain(transcript).collect::<Vec<_>>().join("\n")
}

// ---------------------------------------------------------------------------------------
// Round trip and determinism

#[test]
fn round_trip_verifies_trusting_any_root_of_the_history() {
    let fx = Fixture::new();
    let bundle = fx.bundle();
    assert_eq!(bundle.files.len(), 7);
    assert_eq!(bundle.transcript, fx.transcript);
    assert_eq!(bundle.manifest.transcript.records, 4);
    assert_eq!(bundle.manifest.tool, format!("ceremony {}", env!("CARGO_PKG_VERSION")));
    for trusted in [1, 3, 5] {
        let report = verify_bundle(&bundle, &fx.roots[trusted - 1], now());
        assert!(report.ok, "trusting v{trusted}: {report:#?}");
        assert_eq!(report.newest_root_version, Some(5));
        assert_eq!(report.files.len(), 7);
        let order: Vec<&str> = report.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            order[..5],
            ["metadata/1.root.json", "metadata/2.root.json", "metadata/3.root.json", "metadata/4.root.json", "metadata/5.root.json"]
        );
        let targets = file(&report, "metadata/1.targets.json");
        assert_eq!(targets.thresholds.len(), 1);
        assert_eq!((targets.thresholds[0].have, targets.thresholds[0].need), (2, 2));
        assert_eq!(targets.verified_under.as_deref(), Some("root v5"));
        let claimed = file(&report, "metadata/1.claimed.json");
        assert_eq!(claimed.verified_under.as_deref(), Some("targets v1"));
        assert!(claimed.new, "claimed is not listed as new: {claimed:#?}");
        assert!(!file(&report, "metadata/2.root.json").new, "root v2 is listed as new: {:#?}", file(&report, "metadata/2.root.json"));
        // Root v5 is checked under v4's keys and its own.
        assert_eq!(file(&report, "metadata/5.root.json").thresholds.len(), 2);
        assert_eq!(report.transcript.records, Some(4));
    }
    // A bundle that starts right after the trusted root verifies too.
    let report = verify_files(&fx, &fx.files_from(3), 2);
    assert!(report.ok, "{report:#?}");
    // The report is a JSON document.
    let value = serde_json::to_value(verify_bundle(&bundle, &fx.roots[0], now())).unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(value["files"][5]["thresholds"][0]["need"], 2);
}

#[test]
fn the_same_files_give_the_same_bytes() {
    let fx = Fixture::new();
    let first = fx.bundle_bytes();
    assert_eq!(first, fx.bundle_bytes());
    let mut shuffled = fx.files();
    shuffled.reverse();
    shuffled.swap(0, 3);
    assert_eq!(write_bundle(&shuffled, &fx.transcript).unwrap(), first);

    let mut archive = tar::Archive::new(&first[..]);
    let mut names = Vec::new();
    for entry in archive.entries().unwrap().raw(true) {
        let entry = entry.unwrap();
        let h = entry.header();
        let got = h.as_ustar();
        assert!(got.is_some(), "expected Some, got {:?}", got);
        assert_eq!(h.entry_type(), tar::EntryType::Regular);
        assert_eq!((h.mtime().unwrap(), h.uid().unwrap(), h.gid().unwrap(), h.mode().unwrap()), (0, 0, 0, 0o644));
        assert_eq!(h.username().unwrap(), Some(""));
        assert_eq!(h.groupname().unwrap(), Some(""));
        names.push(String::from_utf8(h.path_bytes().into_owned()).unwrap());
    }
    assert_eq!(
        names,
        [
            "manifest.json", "metadata/1.root.json", "metadata/2.root.json", "metadata/3.root.json", "metadata/4.root.json",
            "metadata/5.root.json", "metadata/1.targets.json", "metadata/1.claimed.json", "transcript.jsonl"
        ]
    );
    // The archive ends with the two zero blocks of the end-of-archive marker, nothing more.
    assert_eq!(first.len() % 512, 0);
    assert!(
        first[first.len() - 1024..].iter().all(|b| *b == 0),
        "the last 1024 bytes are not all zero: {:?}",
        &first[first.len() - 1024..]
    );
}

#[test]
fn python_tuf_accepts_the_root_history_and_targets() {
    let fx = Fixture::new();
    let bundle = fx.bundle();
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in &bundle.files {
        let name = path.strip_prefix("metadata/").unwrap();
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let judge = |args: &[&OsStr]| -> Value { serde_json::from_slice(&common::run_python("judge.py", args)).unwrap() };
    let roots: Vec<std::path::PathBuf> = (1..=5).map(|v| dir.path().join(format!("{v}.root.json"))).collect();
    let mut args: Vec<&OsStr> = vec!["root-chain".as_ref()];
    args.extend(roots.iter().map(|p| p.as_os_str()));
    let verdict = judge(&args);
    assert_eq!(verdict["ok"], true, "{verdict}");
    let delegate = |delegator: &Path, role: &str, delegate: &Path| {
        judge(&[
            "verify-delegate".as_ref(),
            "--delegator".as_ref(),
            delegator.as_os_str(),
            "--role".as_ref(),
            role.as_ref(),
            "--delegate".as_ref(),
            delegate.as_os_str(),
        ])
    };
    let verdict = delegate(&roots[4], "targets", &dir.path().join("1.targets.json"));
    assert_eq!(verdict["ok"], true, "{verdict}");
    let verdict = delegate(&dir.path().join("1.targets.json"), "claimed", &dir.path().join("1.claimed.json"));
    assert_eq!(verdict["ok"], true, "{verdict}");
}

// ---------------------------------------------------------------------------------------
// Hostile archives

/// One tar member with the name bytes written directly into the header.
fn raw_member(name: &[u8], kind: tar::EntryType, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.as_mut_bytes()[..name.len()].copy_from_slice(name);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(kind);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn regular(name: &str, data: &[u8]) -> Vec<u8> {
    raw_member(name.as_bytes(), tar::EntryType::Regular, data)
}

fn archive(members: &[Vec<u8>]) -> Vec<u8> {
    let mut out = members.concat();
    out.extend_from_slice(&[0; 1024]);
    out
}

/// The good bundle's members, as (name, bytes), in archive order.
fn members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(bytes);
    archive
        .entries()
        .unwrap()
        .raw(true)
        .map(|e| {
            let mut e = e.unwrap();
            let name = String::from_utf8(e.header().path_bytes().into_owned()).unwrap();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            (name, data)
        })
        .collect()
}

fn rebuild(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    archive(&members.iter().map(|(n, d)| regular(n, d)).collect::<Vec<_>>())
}

fn read(bytes: &[u8]) -> Result<Bundle, BundleError> {
    read_bundle(bytes, &Limits::default())
}

/// The manifest with `edit` applied, re-serialized.
fn edit_manifest(good: &[(String, Vec<u8>)], edit: impl FnOnce(&mut Value)) -> Vec<(String, Vec<u8>)> {
    let mut out = good.to_vec();
    let mut manifest: Value = serde_json::from_slice(&out[0].1).unwrap();
    edit(&mut manifest);
    out[0].1 = serde_json::to_vec(&manifest).unwrap();
    out
}

#[test]
fn hostile_names_types_and_sizes_are_refused() {
    let fx = Fixture::new();
    let good = members(&fx.bundle_bytes());
    let got = read(&rebuild(&good));
    assert!(got.is_ok(), "expected Ok, got {:?}", got);
    let with = |extra: Vec<u8>| -> Vec<u8> {
        let mut all: Vec<Vec<u8>> = good.iter().map(|(n, d)| regular(n, d)).collect();
        all.push(extra);
        archive(&all)
    };
    use tar::EntryType as T;
    type Case = (&'static str, Vec<u8>, fn(&BundleError) -> bool);
    let cases: Vec<Case> = vec![
        ("absolute", with(regular("/etc/passwd", b"x")), |e| matches!(e, BundleError::AbsolutePath(_))),
        ("dot-dot", with(regular("metadata/../../evil.json", b"x")), |e| matches!(e, BundleError::DotComponent(_))),
        ("dot", with(regular("./manifest.json", b"x")), |e| matches!(e, BundleError::DotComponent(_))),
        ("backslash", with(regular("metadata\\1.root.json", b"x")), |e| matches!(e, BundleError::Backslash(_))),
        ("empty", with(regular("", b"x")), |e| matches!(e, BundleError::EmptyName)),
        ("not utf-8", with(raw_member(b"metadata/1.\xff.json", T::Regular, b"x")), |e| matches!(e, BundleError::NameNotUtf8)),
        ("symlink", with(raw_member(b"metadata/6.root.json", T::Symlink, b"")), |e| matches!(e, BundleError::Link(_))),
        ("hardlink", with(raw_member(b"metadata/6.root.json", T::Link, b"")), |e| matches!(e, BundleError::Link(_))),
        ("char device", with(raw_member(b"metadata/6.root.json", T::Char, b"")), |e| matches!(e, BundleError::NotRegular { .. })),
        ("block device", with(raw_member(b"metadata/6.root.json", T::Block, b"")), |e| matches!(e, BundleError::NotRegular { .. })),
        ("fifo", with(raw_member(b"metadata/6.root.json", T::Fifo, b"")), |e| matches!(e, BundleError::NotRegular { .. })),
        ("directory", with(raw_member(b"metadata/", T::Directory, b"")), |e| matches!(e, BundleError::NotRegular { .. })),
        ("pax header", with(raw_member(b"PaxHeader/x", T::XHeader, b"20 path=manifest.json\n")), |e| {
            matches!(e, BundleError::NotRegular { .. })
        }),
        ("gnu long name", with(raw_member(b"././@LongLink", T::GNULongName, b"metadata/9.root.json\0")), |e| {
            matches!(e, BundleError::NotRegular { .. })
        }),
        ("unexpected name", with(regular("notes.txt", b"x")), |e| matches!(e, BundleError::UnexpectedName(_))),
        ("leading zero", with(regular("metadata/01.root.json", b"x")), |e| matches!(e, BundleError::UnexpectedName(_))),
        ("bad role", with(regular("metadata/1.-root.json", b"x")), |e| matches!(e, BundleError::UnexpectedName(_))),
        ("duplicate", with(regular("metadata/1.root.json", &good[1].1)), |e| matches!(e, BundleError::Duplicate(_))),
        ("unlisted", with(regular("metadata/6.root.json", b"{}")), |e| matches!(e, BundleError::Unlisted(_))),
    ];
    for (name, bytes, expect) in cases {
        let got = read(&bytes);
        match &got {
            Err(e) if expect(e) => {}
            other => panic!("{name}: {other:?}"),
        }
        let said = got.unwrap_err().to_string();
        assert!(!said.is_empty(), "{name}: the error says nothing: {said:?}");
    }
}

#[test]
fn limits_are_checked_before_reading() {
    let fx = Fixture::new();
    let bytes = fx.bundle_bytes();
    let small = Limits { max_member_bytes: 100, ..Limits::default() };
    let got = read_bundle(&bytes[..], &small);
    assert!(matches!(got, Err(BundleError::MemberTooLarge { .. })), "expected Err(BundleError::MemberTooLarge {{ .. }}), got {:?}", got);
    let few = Limits { max_members: 3, ..Limits::default() };
    assert_eq!(read_bundle(&bytes[..], &few), Err(BundleError::TooManyMembers { limit: 3 }));
    let total = Limits { max_total_bytes: 2000, ..Limits::default() };
    assert_eq!(read_bundle(&bytes[..], &total), Err(BundleError::TooLarge { limit: 2000 }));

    // A header that claims 8 GiB less one byte (the most an octal size field holds) with no
    // data behind it: refused on the header alone. Larger sizes need base-256, which the
    // reader refuses outright (tests/holes.rs).
    let mut h = tar::Header::new_ustar();
    h.set_path("metadata/1.root.json").unwrap();
    h.set_size((1 << 33) - 1);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let got = read(h.as_bytes());
    assert!(matches!(got, Err(BundleError::MemberTooLarge { size, .. }) if size == (1 << 33) - 1), "{got:?}");
}

#[test]
fn manifest_and_members_must_agree() {
    let fx = Fixture::new();
    let good = members(&fx.bundle_bytes());
    assert_eq!(good[0].0, "manifest.json");

    let mut tampered = good.clone();
    tampered[2].1[10] ^= 1;
    assert_eq!(read(&rebuild(&tampered)), Err(BundleError::DigestMismatch("metadata/2.root.json".into())));

    let mut longer = good.clone();
    longer[2].1.push(b' ');
    let got = read(&rebuild(&longer));
    assert!(matches!(got, Err(BundleError::LengthMismatch { .. })), "expected Err(BundleError::LengthMismatch {{ .. }}), got {:?}", got);

    let mut missing = good.clone();
    missing.remove(3);
    assert_eq!(read(&rebuild(&missing)), Err(BundleError::MissingMember("metadata/3.root.json".into())));

    assert_eq!(read(&rebuild(&good[1..])), Err(BundleError::NoManifest));

    let mut not_json = good.clone();
    not_json[0].1 = b"{not json".to_vec();
    let got = read(&rebuild(&not_json));
    assert!(matches!(got, Err(BundleError::BadManifest(_))), "expected Err(BundleError::BadManifest(_)), got {:?}", got);

    let v2 = edit_manifest(&good, |m| m["format_version"] = json!(2));
    assert_eq!(read(&rebuild(&v2)), Err(BundleError::UnknownFormatVersion(2)));

    let other = edit_manifest(&good, |m| m["format"] = json!("something-else"));
    let got = read(&rebuild(&other));
    assert!(matches!(got, Err(BundleError::BadManifest(_))), "expected Err(BundleError::BadManifest(_)), got {:?}", got);

    let unknown_field = edit_manifest(&good, |m| m["extra"] = json!(1));
    let got = read(&rebuild(&unknown_field));
    assert!(matches!(got, Err(BundleError::BadManifest(_))), "expected Err(BundleError::BadManifest(_)), got {:?}", got);

    let twice = edit_manifest(&good, |m| {
        let first = m["files"][0].clone();
        m["files"].as_array_mut().unwrap().push(first);
    });
    let got = read(&rebuild(&twice));
    assert!(matches!(got, Err(BundleError::ListedTwice(_))), "expected Err(BundleError::ListedTwice(_)), got {:?}", got);

    let lists_manifest = edit_manifest(&good, |m| {
        m["files"].as_array_mut().unwrap().push(json!({"path": "manifest.json", "sha256": "00".repeat(32), "length": 1, "new": true}));
    });
    let got = read(&rebuild(&lists_manifest));
    assert!(matches!(got, Err(BundleError::BadManifest(_))), "expected Err(BundleError::BadManifest(_)), got {:?}", got);

    let bad_digest = edit_manifest(&good, |m| m["files"][0]["sha256"] = json!("ABC"));
    let got = read(&rebuild(&bad_digest));
    assert!(matches!(got, Err(BundleError::BadManifest(_))), "expected Err(BundleError::BadManifest(_)), got {:?}", got);
}

#[test]
fn malformed_archives_are_refused() {
    let fx = Fixture::new();
    let bytes = fx.bundle_bytes();

    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"hidden");
    assert_eq!(read(&trailing), Err(BundleError::TrailingData));
    let mut padded = bytes.clone();
    padded.resize(bytes.len().div_ceil(10240) * 10240, 0);
    let got = read(&padded);
    assert!(got.is_ok(), "zero padding to a tar record is fine: expected Ok, got {:?}", got);

    let got = read(b"this is not a tar archive at all");
    assert!(matches!(got, Err(BundleError::Malformed(_))), "expected Err(BundleError::Malformed(_)), got {:?}", got);
    let got = read(&[b'x'; 2048]);
    assert!(matches!(got, Err(BundleError::Malformed(_))), "expected Err(BundleError::Malformed(_)), got {:?}", got);
    let got = read(&bytes[..bytes.len() / 2]);
    assert!(matches!(got, Err(BundleError::Malformed(_))), "expected Err(BundleError::Malformed(_)), got {:?}", got);
    let mut bad_sum = bytes.clone();
    bad_sum[0] ^= 1;
    let got = read(&bad_sum);
    assert!(matches!(got, Err(BundleError::Malformed(_))), "expected Err(BundleError::Malformed(_)), got {:?}", got);
    assert_eq!(read(b""), Err(BundleError::NoManifest));
}

#[test]
fn no_input_makes_the_reader_panic() {
    let fx = Fixture::new();
    let bytes = fx.bundle_bytes();
    // Deterministic pseudo-random corruption: single bytes, runs, cuts.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..600 {
        let mut b = bytes.clone();
        match round % 3 {
            0 => {
                let at = (next() as usize) % b.len();
                b[at] = next() as u8;
            }
            1 => {
                let at = (next() as usize) % b.len();
                for x in b.iter_mut().skip(at).take(16) {
                    *x = next() as u8;
                }
            }
            _ => b.truncate((next() as usize) % b.len()),
        }
        let _ = read(&b);
    }
}

// ---------------------------------------------------------------------------------------
// Verification refusals

#[test]
fn a_root_history_from_elsewhere_is_refused() {
    let fx = Fixture::new();
    let stranger = Fixture::new();
    let bundle = fx.bundle();
    // The bundle's v1 is not the trusted v1.
    let report = verify_bundle(&bundle, &stranger.roots[0], now());
    assert!(!report.ok, "the bundle verifies, a refusal was expected: {report:#?}");
    let root1 = file(&report, "metadata/1.root.json");
    assert!(root1.problems.iter().any(|p| p.contains("differs from the trusted root")), "{root1:#?}");
    // The bundle starts right after the trusted version, but its v2 is not signed by the trusted v1's keys.
    let report = verify_files(&fx, &fx.files_from(2), 1);
    assert!(report.ok, "the bundle does not verify:\n{}", failures(&report));
    let bytes = write_bundle(&fx.files_from(2), &fx.transcript).unwrap();
    let report = verify_bundle(&read(&bytes).unwrap(), &stranger.roots[0], now());
    assert!(!report.ok, "the bundle verifies, a refusal was expected: {report:#?}");
    let root2 = file(&report, "metadata/2.root.json");
    assert!(root2.problems.iter().any(|p| p.contains("previous root's keys")), "{root2:#?}");
    let got = &file(&report, "metadata/1.targets.json").problems;
    assert!(
        got.iter().any(|p| p.contains("root chain does not verify")),
        "none matches `|p| p.contains(\"root chain does not verify\")`: {:?}",
        got
    );
    let got = report.first_problem().unwrap();
    assert!(got.contains("metadata/2.root.json"), "expected {:?} to contain {:?}", got, "metadata/2.root.json");
    // A history that does not reach the trusted root, and one older than it.
    let report = verify_files(&fx, &fx.files_from(4), 2);
    assert!(report.problems.iter().any(|p| p.contains("nothing links it")), "{report:#?}");
    let old: Vec<BundleFile> = fx.files().into_iter().filter(|f| f.path != "metadata/5.root.json").collect();
    let report = verify_files(&fx, &old, 5);
    assert!(report.problems.iter().any(|p| p.contains("roll clients back")), "{report:#?}");
    // A gap in the history.
    let gap: Vec<BundleFile> = fx.files().into_iter().filter(|f| f.path != "metadata/3.root.json").collect();
    let report = verify_files(&fx, &gap, 1);
    assert!(report.problems.iter().any(|p| p.contains("gap")), "{report:#?}");
}

#[test]
fn targets_signed_by_the_wrong_key_is_refused_and_so_is_what_it_delegates() {
    let fx = Fixture::new();
    let mut files = fx.files();
    let wrong = fx.targets_with(1, FAR, &[&fx.targets_keys[0], &fx.claimed_key]);
    replace(&mut files, "metadata/1.targets.json", wrong.to_bytes());
    let report = verify_files(&fx, &files, 1);
    assert!(!report.ok, "the bundle verifies, a refusal was expected: {report:#?}");
    let targets = file(&report, "metadata/1.targets.json");
    assert!(!targets.ok, "targets verifies, a refusal was expected: {targets:#?}");
    assert_eq!(targets.thresholds[0].have, 1);
    assert!(targets.problems[0].contains("1 of the 2 targets keys needed"), "{targets:#?}");
    let claimed = file(&report, "metadata/1.claimed.json");
    assert!(claimed.problems.iter().any(|p| p.contains("delegator targets v1 does not verify")), "{claimed:#?}");

    // A claimed signed by the online key instead of the claimed key.
    let mut files = fx.files();
    replace(&mut files, "metadata/1.claimed.json", fx.claimed_with(1, FAR, &fx.online).to_bytes());
    let report = verify_files(&fx, &files, 1);
    assert!(!file(&report, "metadata/1.claimed.json").ok, "claimed verifies: {:#?}", file(&report, "metadata/1.claimed.json"));
    assert!(file(&report, "metadata/1.targets.json").ok, "targets does not verify:\n{}", failures(&report));

    // A role nothing in the bundle delegates to.
    let mut files = fx.files();
    files.push(BundleFile::metadata("orphan", 1, fx.claimed().to_bytes(), true));
    let report = verify_files(&fx, &files, 1);
    let orphan = file(&report, "metadata/1.orphan.json");
    assert!(orphan.problems.iter().any(|p| p.contains("no verified role in the bundle delegates to it")), "{orphan:#?}");
    assert!(!report.ok, "the bundle verifies, a refusal was expected: {report:#?}");
}

#[test]
fn expired_metadata_is_refused() {
    let fx = Fixture::new();
    let mut files = fx.files();
    let t: Vec<&SoftwareSigner> = fx.targets_keys.iter().collect();
    replace(&mut files, "metadata/1.targets.json", fx.targets_with(1, "2020-01-01T00:00:00Z", &t).to_bytes());
    let report = verify_files(&fx, &files, 1);
    let targets = file(&report, "metadata/1.targets.json");
    assert!(targets.problems.iter().any(|p| p.contains("expired")), "{targets:#?}");
    assert!(!report.ok, "the bundle verifies, a refusal was expected: {report:#?}");
    // The clock is a parameter: in 2100 everything has expired, the newest root included.
    let report = verify_bundle(&fx.bundle(), &fx.roots[0], datetime!(2100-01-01 00:00 UTC));
    let got = &file(&report, "metadata/5.root.json").problems;
    assert!(got.iter().any(|p| p.contains("expired")), "none matches `|p| p.contains(\"expired\")`: {:?}", got);
    let got = &file(&report, "metadata/1.claimed.json").problems;
    assert!(got.iter().any(|p| p.contains("expired")), "none matches `|p| p.contains(\"expired\")`: {:?}", got);
    // Older roots may have expired: only the newest counts.
    let got = &file(&report, "metadata/4.root.json").problems;
    assert!(got.is_empty(), "expected empty, got {:?}", got);
}

#[test]
fn a_version_that_does_not_match_its_name_is_refused() {
    let fx = Fixture::new();
    let mut files = fx.files();
    let claimed = files.iter().position(|f| f.path == "metadata/1.claimed.json").unwrap();
    files[claimed].path = "metadata/2.claimed.json".into();
    let report = verify_files(&fx, &files, 1);
    let f = file(&report, "metadata/2.claimed.json");
    assert!(f.problems.iter().any(|p| p.contains("says version 2 but its signed version is 1")), "{f:#?}");
    // And a role whose type does not fit its name.
    let mut files = fx.files();
    files.push(BundleFile::metadata("snapshot", 1, fx.claimed().to_bytes(), true));
    let report = verify_files(&fx, &files, 1);
    let f = file(&report, "metadata/1.snapshot.json");
    assert!(f.problems.iter().any(|p| p.contains("must be snapshot metadata")), "{f:#?}");
    // Two versions of one role.
    let mut files = fx.files();
    let t: Vec<&SoftwareSigner> = fx.targets_keys.iter().collect();
    files.push(BundleFile::metadata("targets", 2, fx.targets_with(2, FAR, &t).to_bytes(), true));
    let report = verify_files(&fx, &files, 1);
    let got = &file(&report, "metadata/1.targets.json").problems;
    assert!(
        got.iter().any(|p| p.contains("only the current version")),
        "none matches `|p| p.contains(\"only the current version\")`: {:?}",
        got
    );
    assert!(file(&report, "metadata/2.targets.json").ok, "targets v2 does not verify:\n{}", failures(&report));
}

fn fix_manifest(bundle: &mut Bundle, path: &str) {
    let bytes = if path == "transcript.jsonl" { bundle.transcript.clone() } else { bundle.files[path].clone() };
    let entry = bundle.manifest.files.iter_mut().find(|f| f.path == path).unwrap();
    entry.sha256 = hex::encode(Sha256::digest(&bytes));
    entry.length = bytes.len() as u64;
}

#[test]
fn tampering_after_reading_is_caught_by_verify() {
    let fx = Fixture::new();
    let mut bundle = fx.bundle();
    bundle.files.get_mut("metadata/1.targets.json").unwrap()[20] ^= 1;
    let report = verify_bundle(&bundle, &fx.roots[0], now());
    assert!(!report.ok, "the bundle verifies, a refusal was expected: {report:#?}");
    assert!(report.problems.iter().any(|p| p.contains("metadata/1.targets.json") && p.contains("altered")), "{report:#?}");
}

#[test]
fn an_altered_transcript_is_refused() {
    let fx = Fixture::new();
    // A record changed, manifest updated to match: the hash chain catches it.
    let mut bundle = fx.bundle();
    bundle.transcript = String::from_utf8(bundle.transcript).unwrap().replacen("\"alice\"", "\"mallory\"", 1).into_bytes();
    fix_manifest(&mut bundle, "transcript.jsonl");
    let report = verify_bundle(&bundle, &fx.roots[0], now());
    assert!(!report.ok, "the bundle verifies, a refusal was expected: {report:#?}");
    assert!(report.transcript.problems[0].contains("altered"), "{:#?}", report.transcript);
    let got = report.first_problem().unwrap();
    assert!(got.starts_with("transcript.jsonl"), "expected {:?} to start with {:?}", got, "transcript.jsonl");

    // The last record cut off: a consistent chain, but not the head the manifest names.
    let mut bundle = fx.bundle();
    let text = String::from_utf8(bundle.transcript.clone()).unwrap();
    let kept: Vec<&str> = text.lines().take(3).collect();
    bundle.transcript = format!("{}\n", kept.join("\n")).into_bytes();
    fix_manifest(&mut bundle, "transcript.jsonl");
    let report = verify_bundle(&bundle, &fx.roots[0], now());
    assert!(!report.transcript.ok, "the transcript verifies, a refusal was expected: {:#?}", report.transcript);
    assert!(report.transcript.problems[0].contains("ends at record 3"), "{:#?}", report.transcript);

    // write_bundle refuses a transcript that does not verify.
    let broken = String::from_utf8(fx.transcript.clone()).unwrap().replacen("\"bob\"", "\"eve\"", 1);
    let got = write_bundle(&fx.files(), broken.as_bytes());
    assert!(matches!(got, Err(BundleError::Transcript(_))), "expected Err(BundleError::Transcript(_)), got {:?}", got);
}

// ---------------------------------------------------------------------------------------
// The command

fn ceremony() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ceremony"))
}

#[test]
fn bundle_verify_command_exit_codes() {
    let fx = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.tar");
    std::fs::write(&good, fx.bundle_bytes()).unwrap();
    let root1 = dir.path().join("1.root.json");
    std::fs::write(&root1, fx.roots[0].to_bytes()).unwrap();

    let out = ceremony().args(["bundle", "verify"]).arg(&good).arg("--trusted-root").arg(&root1).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("targets v1 (new): ok: signed by 2 of 2 needed targets keys listed in root v5"), "{text}");
    assert!(text.contains("The bundle verifies"), "{text}");

    let out = ceremony().args(["--json", "bundle", "verify"]).arg(&good).arg("--trusted-root").arg(&root1).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["newest_root_version"], 5);

    let mut files = fx.files();
    let t: Vec<&SoftwareSigner> = fx.targets_keys.iter().collect();
    replace(&mut files, "metadata/1.targets.json", fx.targets_with(1, "2020-01-01T00:00:00Z", &t).to_bytes());
    let expired = dir.path().join("expired.tar");
    std::fs::write(&expired, write_bundle(&files, &fx.transcript).unwrap()).unwrap();
    let out = ceremony().args(["bundle", "verify"]).arg(&expired).arg("--trusted-root").arg(&root1).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("metadata/1.targets.json") && stderr.contains("expired") && stderr.contains("do not import"), "{stderr}");

    let not_tar = dir.path().join("not.tar");
    std::fs::write(&not_tar, "just some text that is not an archive\n").unwrap();
    let out = ceremony().args(["bundle", "verify"]).arg(&not_tar).arg("--trusted-root").arg(&root1).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a usable bundle"), "{stderr}");

    let out = ceremony().args(["bundle", "verify"]).arg(&good).arg("--trusted-root").arg(dir.path().join("nope.json")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

/// A second promotion's bundle carries the new index and only the shards that changed;
/// unchanged shards stay on the online side from the earlier bundle. It verifies, the
/// online-import runbook imports it and names what it does not carry, and python-tuf
/// resolves projects through both the new shard and an unchanged one.
#[test]
fn a_bundle_without_unchanged_shards_verifies_imports_and_serves_clients() {
    use common::promotion::{ok, path_str, setup};
    let s = setup();
    let rc1 = s.recently_claimed("rc1.json", &["requests", "sampleproject"], 1, &[]);
    ok(&s.ws, &["claimed", "promote", path_str(&rc1)]);
    s.sign_all(&["alice", "bob"]);
    let first = s.export("b1");
    let shard_files = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.split_once('.').is_some_and(|(_, role)| role.starts_with("claimed.") && role != "claimed.json"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(shard_files(&first), ["1.claimed.r.json", "1.claimed.s.json"]);

    let rc2 = s.recently_claimed("rc2.json", &["flask"], 2, &[]);
    ok(&s.ws, &["claimed", "promote", path_str(&rc2)]);
    s.sign_all(&["alice", "carol"]);
    let bundle = s.files.join("b2.tar");
    ok(&s.ws, &["bundle", "export", "--out", path_str(&bundle)]);
    let root = first.join("1.root.json");

    let out = ceremony().args(["--json", "bundle", "verify"]).arg(&bundle).arg("--trusted-root").arg(&root).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let carried: Vec<&str> = report["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(carried.contains(&"metadata/2.claimed.json") && carried.contains(&"metadata/1.claimed.f.json"), "{carried:?}");
    assert!(!carried.iter().any(|p| p.contains("claimed.r") || p.contains("claimed.s")), "{carried:?}");
    assert_eq!(
        report["not_carried"],
        json!([
            {"delegated_by": "targets v1", "roles": ["recently-claimed", "unclaimed"]},
            {"delegated_by": "claimed v2", "roles": ["claimed.r", "claimed.s"]}
        ])
    );

    // The online side imports it with the runbook, which names what stays as published.
    let publish = s.files.join("publish");
    let out = Command::new("bash")
        .arg(common::repo_root().join("ceremony-scripts/online-import.sh"))
        .env("CEREMONY", env!("CARGO_BIN_EXE_ceremony"))
        .env("CEREMONY_RUNBOOK_NONINTERACTIVE", "1")
        .env("CEREMONY_RUNBOOK_BUNDLE", &bundle)
        .env("CEREMONY_RUNBOOK_TRUSTED_ROOT", &root)
        .env("CEREMONY_RUNBOOK_TRUSTED_ROOT_SHA256", hex::encode(Sha256::digest(std::fs::read(&root).unwrap())))
        .env("CEREMONY_RUNBOOK_PUBLISHED", &first)
        .env("CEREMONY_RUNBOOK_PUBLISH", &publish)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("claimed v2 delegates to 2 role(s) this bundle does not carry (claimed.r, claimed.s)"), "{text}");
    assert!(text.contains("Keep serving every role the bundle does not carry"), "{text}");
    assert!(text.contains("1.root.json   (already published: nothing to do)"), "{text}");
    assert!(text.contains("metadata/2.claimed.json: to publish"), "{text}");
    assert_eq!(shard_files(&publish.join("metadata")), ["1.claimed.f.json"]);

    // The repository: what it published from the first bundle, then the second's files.
    let repo = s.files.join("repository");
    std::fs::create_dir(&repo).unwrap();
    for dir in [first, publish.join("metadata")] {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), repo.join(e.file_name())).unwrap();
        }
    }
    for project in ["flask", "requests", "sampleproject"] {
        let (fetched, err) = s.client_fetch(&repo, &rc2, project, false);
        assert!(fetched, "{project}: {err}");
    }
    // Without the unchanged shard the client cannot reach its projects.
    std::fs::remove_file(repo.join("1.claimed.r.json")).unwrap();
    let (fetched, said) = s.client_fetch(&repo, &rc2, "requests", false);
    assert!(!fetched, "requests resolved without its shard; the client said: {said}");
}
