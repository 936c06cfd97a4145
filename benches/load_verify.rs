//! Benchmark: load, canonicalize and verify two Ed25519 signatures over a targets-type
//! file with 100,000 delegations (about 40 MB), as python-tuf writes it (indent 1, sorted
//! keys). Target (issue "TUF core"): under 0.3 s and under 2.5x the file's size in memory.
//!
//! Each measurement runs in a fresh child process so its peak resident memory (VmHWM) is
//! its own. Run with `cargo bench --bench load_verify`; figures go to docs/performance.md.
//! `DELEGATIONS=N` changes the size.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::vm_kb;

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::key::Algorithm;
use ceremony::tuf::metadata::Delegation;
use ceremony::tuf::metadata::Metadata;
use ceremony::tuf::verify::check_threshold;
use serde::Serialize;
use serde_json::{json, Map, Value};

const RUNS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--measure") {
        measure(Path::new(&args[pos + 1]), Path::new(&args[pos + 2]));
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // `cargo bench` passes --bench; under `cargo test` this runs as a quick smoke test.
    let full = args.iter().any(|a| a == "--bench");
    let default_count = if full { 100_000 } else { 1_000 };
    let count: usize = std::env::var("DELEGATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(default_count);
    let runs = if full { RUNS } else { 1 };
    let dir = tempfile::tempdir().expect("temp dir");
    // KEEP=DIR leaves the generated file there for profiling.
    let keep = std::env::var_os("KEEP").map(PathBuf::from);
    let (file, keys) = generate(keep.as_deref().unwrap_or(dir.path()), count);
    let size = std::fs::metadata(&file).expect("stat").len();
    println!("load_verify: {count} delegations, file {:.1} MB", size as f64 / 1e6);
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..runs {
        let out = Command::new(std::env::current_exe().expect("exe"))
            .args(["--measure".as_ref(), file.as_os_str(), keys.as_os_str()])
            .output()
            .expect("run child");
        assert!(
            out.status.success(),
            "the measuring child: expected success, got {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stdout);
        let mut parts = line.split_whitespace();
        times.push(parts.next().and_then(|t| t.parse::<f64>().ok()).expect("time"));
        peaks.push(parts.next().and_then(|t| t.parse::<f64>().ok()).expect("peak"));
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let peak = peaks.iter().cloned().fold(0.0, f64::max);
    println!(
        "load+canonicalize+verify 2 sigs: best {:.3} s, median {:.3} s; peak memory growth {:.1} MB = {:.2}x the file",
        times[0],
        times[runs / 2],
        peak / 1e6,
        peak / size as f64
    );
}

/// In a fresh process: read, canonicalize, parse the delegations, verify both signatures.
fn measure(file: &Path, keys: &Path) {
    let keys: Vec<ceremony::tuf::key::Key> = serde_json::from_slice::<Vec<Value>>(&std::fs::read(keys).expect("keys"))
        .expect("keys json")
        .iter()
        .map(|k| ceremony::tuf::key::Key::from_json(&serde_json::to_vec(k).expect("key")).expect("key"))
        .collect();
    let delegation =
        Delegation { role: "claimed".into(), threshold: 2, keys: keys.iter().map(|k| (k.keyid().to_string(), Some(k.clone()))).collect() };
    if std::env::var_os("BREAKDOWN").is_some() {
        breakdown(file, &delegation);
    }
    let baseline = vm_kb("VmRSS:");
    let start = Instant::now();
    let input = std::fs::read(file).expect("read");
    let md = Metadata::from_slice(&input).expect("load");
    drop(input);
    // The typed view and the signature checks are independent: run them side by side.
    let (report, roles) = std::thread::scope(|scope| {
        let check = scope.spawn(|| check_threshold(&md.signed_bytes(), md.signatures(), &delegation));
        let targets = md.targets().expect("targets");
        let roles = targets.delegations.as_ref().and_then(|d| d.roles.as_ref()).map_or(0, Vec::len);
        (check.join().expect("check"), roles)
    });
    let elapsed = start.elapsed().as_secs_f64();
    assert!(report.is_met(), "expected both signatures to meet the threshold, got {report:?}");
    assert!(roles > 0, "expected the generated file's delegations to be read, got {roles}");
    let peak = (vm_kb("VmHWM:") - baseline) * 1024.0;
    println!("{elapsed} {peak}");
}

/// Where the time goes, step by step (BREAKDOWN=1).
fn breakdown(file: &Path, delegation: &Delegation) {
    let t = Instant::now();
    let input = std::fs::read(file).expect("read");
    eprintln!("read            {:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let canonical = ceremony::tuf::canonical::canonicalize(&input).expect("canonical");
    eprintln!("canonicalize    {:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let md = Metadata::from_slice(&input).expect("load");
    eprintln!("from_slice      {:.3}", t.elapsed().as_secs_f64());
    drop(canonical);
    let t = Instant::now();
    let targets = md.targets().expect("targets");
    eprintln!("targets view    {:.3}", t.elapsed().as_secs_f64());
    drop(targets);
    let t = Instant::now();
    let signed = md.signed_bytes();
    eprintln!("signed bytes    {:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let report = check_threshold(&signed, md.signatures(), delegation);
    eprintln!("verify 2 sigs   {:.3} {}", t.elapsed().as_secs_f64(), report.is_met());
}

/// A claimed-like targets file: one developer key and one delegation per project.
fn generate(dir: &Path, count: usize) -> (PathBuf, PathBuf) {
    let signers = [SoftwareSigner::generate(Algorithm::Ed25519), SoftwareSigner::generate(Algorithm::Ed25519)];
    let mut keys = Map::new();
    let mut roles = Vec::with_capacity(count);
    for i in 0..count {
        let public = hex::encode(sha2_of(&i.to_le_bytes()));
        let key = ceremony::tuf::key::Key::new(Algorithm::Ed25519, public);
        let name = format!("project-{i:06}");
        roles.push(json!({
            "name": name,
            "keyids": [key.keyid()],
            "threshold": 1,
            "terminating": true,
            "paths": [format!("packages/*/*/*/project_{i:06}-*"), format!("simple/{name}/*")],
        }));
        keys.insert(key.keyid().to_string(), serde_json::from_slice(&key.to_json_text()).expect("key"));
    }
    let signed = json!({
        "_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": "2099-01-01T00:00:00Z",
        "targets": {}, "delegations": {"keys": keys, "roles": roles},
    });
    let mut md = Metadata::from_signed(ceremony::tuf::canonical::to_canonical(&signed).expect("canonical")).expect("md");
    for s in &signers {
        md.set_signature(s.sign(&md.signed_bytes()).expect("sign"));
    }
    // Write it the way python-tuf does: indent 1, sorted keys.
    let value: Value = serde_json::from_slice(&md.to_bytes()).expect("reparse");
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b" "));
    value.serialize(&mut ser).expect("pretty");
    let file = dir.join("claimed.json");
    std::fs::write(&file, out).expect("write");
    let key_list: Vec<Value> = signers.iter().map(|s| serde_json::from_slice(&s.public_key().to_json_text()).expect("key")).collect();
    let keys_file = dir.join("keys.json");
    std::fs::write(&keys_file, serde_json::to_vec(&key_list).expect("keys")).expect("write keys");
    (file, keys_file)
}

fn sha2_of(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
