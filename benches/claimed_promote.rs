//! Promotion at PyPI scale (figures in docs/performance.md):
//!
//! 1. 100,000 projects promoted into an empty claimed, signed by 2 of 3 passphrase
//!    holders (test KDF profile), exported. Target: 10× python-tuf's 7.3 s, < 250 MiB.
//!    Timed three ways: as the four commands do it (promote, sign, sign, export, each reading
//!    and checking the workspace afresh), and the work python-tuf's figure covers alone
//!    (verify recently-claimed, build claimed, two signatures, write, read back), and
//!    python-tuf doing that core on the same input (`benches/python_tuf_core.py`).
//! 2. A batch of 1,000 promoted into a claimed that already holds 1,000,000 projects,
//!    signed at 2 of 3 and exported. Target: < 10 s, < 1 GiB.
//!
//! Set-up (keys, writing recently-claimed, the 1,000,000 existing projects) is not timed. The
//! timed part runs each command in its own process, as the command line does, so each
//! peak memory (VmHWM) is its own; the figure is the largest.
//! `CEREMONY_BENCH_SCALES=100k` runs only the first scenario. Under `cargo test` (no
//! `--bench`) both run small, as a smoke test.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ceremony::keys::holder::{Holder, KeySource};
use ceremony::keys::signer::passphrase::{PassphraseSigner, Profile};
use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::pypi::claimed::{self, ShardProjects};
use ceremony::pypi::pep480::{Project, TargetsPlan};
use ceremony::support::secret::SecretBytes;
use ceremony::tuf::key::{Algorithm, Key};
use ceremony::tuf::metadata::Metadata;
use ceremony::workspace::propose::{self, RolePlan, RootPlan};
use ceremony::workspace::Workspace;
use time::{Duration, OffsetDateTime};

const HOLDERS: [&str; 3] = ["alice", "bob", "carol"];

fn passphrase(h: &str) -> SecretBytes {
    SecretBytes::new(format!("{h} keeps seven quiet granite teapots").into_bytes())
}

/// A holder's key; a record `alice.claimed` derives from alice's passphrase under its own name.
fn holder_signer(h: &str) -> PassphraseSigner {
    PassphraseSigner::derive(&passphrase(ceremony::keys::holder::person_of(h)), h, &Profile::Test.params()).expect("derive")
}

/// A small deterministic generator: names are reproducible across runs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Names shaped like PyPI's: many `py…` and `django-…`, dashes, digits.
fn names(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let heads = ["py", "py", "django-", "flask-", "", "", "", "", "", "", "aws-", "test", "open", "data"];
    let sylls = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zen", "tor", "lib", "net", "ix", "ber", "qua", "sol"];
    let mut out = Vec::with_capacity(n);
    let mut seen = std::collections::HashSet::with_capacity(n);
    while out.len() < n {
        let mut name = rng.pick(&heads).to_string();
        for _ in 0..(2 + rng.next() % 3) {
            name.push_str(rng.pick(&sylls));
        }
        if rng.next().is_multiple_of(4) {
            name.push('-');
            name.push_str(rng.pick(&sylls));
        }
        name.push_str(&(rng.next() % 1000).to_string());
        if seen.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

fn dev_keys(n: usize) -> Vec<Key> {
    (0..n).map(|_| SoftwareSigner::generate(Algorithm::Ed25519).public_key().clone()).collect()
}

fn project(name: &str, key: &Key) -> Project {
    Project::new(name.to_string(), 1, &[(key.keyid().to_string(), key.canonical_bytes().to_vec())])
}

fn sign_md(md: &mut Metadata, signers: &[&dyn Signer]) {
    for s in signers {
        let sig = s.sign(&md.signed_bytes()).expect("sign");
        md.set_signature(sig);
    }
}

/// Root v1 and targets v1 trusted; alice/bob/carol (root, targets), their claimed keys
/// alice.claimed/bob.claimed/carol.claimed (claimed) and the online key registered.
fn bootstrap(dir: &Path, online: &SoftwareSigner) -> Workspace {
    let ws = Workspace::init(dir).expect("init");
    let lock = ws.lock().expect("lock");
    let (mut keys, mut claimed_keys) = (Vec::new(), Vec::new());
    for h in HOLDERS.into_iter().flat_map(|h| [h.to_string(), format!("{h}.claimed")]) {
        let s = holder_signer(&h);
        if h.ends_with(".claimed") { &mut claimed_keys } else { &mut keys }.push(s.public_key().clone());
        let holder = Holder { name: h, key: s.public_key().clone(), source: s.key_source().clone(), registered: String::new() };
        ws.add_holder(&lock, &holder).expect("holder");
    }
    let on = Holder { name: "online".into(), key: online.public_key().clone(), source: KeySource::PublicOnly, registered: String::new() };
    ws.add_holder(&lock, &on).expect("online");
    let expires = OffsetDateTime::now_utc() + Duration::days(300);
    let plan = RootPlan {
        root: RolePlan { keys: keys.clone(), threshold: 2 },
        targets: RolePlan { keys: keys.clone(), threshold: 2 },
        snapshot: RolePlan { keys: vec![online.public_key().clone()], threshold: 1 },
        timestamp: RolePlan { keys: vec![online.public_key().clone()], threshold: 1 },
        expires,
    };
    propose::root_init(&ws, &lock, &plan).expect("root");
    let tp = TargetsPlan { claimed: claimed_keys, claimed_threshold: 2, online: online.public_key().clone(), expires };
    ceremony::workspace::propose::targets_init(&ws, &lock, &tp).expect("targets");
    drop(lock);
    sign_and_export(&ws, &dir.with_extension("bootstrap.tar"));
    ws
}

fn sign_and_export(ws: &Workspace, out: &Path) {
    let lock = ws.lock().expect("lock");
    let now = OffsetDateTime::now_utc();
    let t = Instant::now();
    for h in ["alice", "bob"] {
        let holder = ws.holder(h).expect("holder");
        let signer = holder_signer(h);
        let roles = ceremony::workspace::signing::signable(ws, &holder, &[], now).expect("signable");
        eprintln!("    {h}: signable after {:.2}s", t.elapsed().as_secs_f64());
        ceremony::workspace::signing::sign_roles(ws, &lock, &holder, &signer, roles).expect("sign");
        eprintln!("    {h}: signed after {:.2}s", t.elapsed().as_secs_f64());
    }
    ceremony::bundle::export::export_bundle(ws, &lock, out, now).expect("export");
    eprintln!("    exported after {:.2}s", t.elapsed().as_secs_f64());
}

/// recently-claimed delegating to `names`, signed by the online key.
fn recently_claimed(names: &[String], keys: &[Key], online: &SoftwareSigner, version: u64) -> Metadata {
    let projects: ShardProjects = names.iter().enumerate().map(|(i, n)| project(n, &keys[i % keys.len()])).collect();
    let expires = OffsetDateTime::now_utc() + Duration::days(7);
    let mut md = Metadata::from_signed(claimed::shard_signed(&projects, version, expires)).expect("rc");
    sign_md(&mut md, &[online]);
    md
}

/// Writes 1,000,000 projects straight into the trusted claimed index and shards, each shard
/// sealed by its one-time key and the index signed by alice.claimed and bob.claimed, as
/// earlier promotions would have left them.
fn seed_claimed(ws: &Workspace, n: usize) {
    let keys = dev_keys(20_000);
    let all = names(n, 7);
    let mut index = ceremony::workspace::claimed_state::load_index(ws).expect("index");
    let mut by_leaf: std::collections::BTreeMap<String, ShardProjects> = Default::default();
    for (i, name) in all.iter().enumerate() {
        let key = ceremony::pypi::project::shard_key(name);
        by_leaf.entry(key[..1].to_string()).or_default().insert(project(name, &keys[i % keys.len()]));
    }
    let expires = OffsetDateTime::now_utc() + Duration::days(300);
    let signers: Vec<PassphraseSigner> = ["alice.claimed", "bob.claimed"].iter().map(|h| holder_signer(h)).collect();
    let refs: Vec<&dyn Signer> = signers.iter().map(|s| s as &dyn Signer).collect();
    let max = claimed::DEFAULT_SHARD_MAX_BYTES;
    let lock = ws.lock().expect("lock");
    let mut tx = ws.begin(&lock).expect("tx");
    for (leaf, projects) in by_leaf {
        for (key, ps) in claimed::split(&leaf, projects, max) {
            index.leaves.insert(key.clone());
            let (md, seal) = claimed::seal(claimed::shard_signed(&ps, 1, expires)).expect("seal");
            index.seals.insert(key.clone(), seal);
            let role = claimed::shard_role(&key);
            tx.write(&format!("trusted/{role}.json"), &md.to_bytes()).expect("write");
            trust_record(&mut tx, &role, &md);
        }
    }
    let mut md = Metadata::from_signed(index.to_signed(1, expires).expect("index")).expect("index");
    sign_md(&mut md, &refs);
    tx.write("trusted/claimed.json", &md.to_bytes()).expect("write");
    trust_record(&mut tx, "claimed", &md);
    tx.commit().expect("commit");
    eprintln!("  seeded {} projects in {} shards", n, index.leaves.len());
}

/// The transcript record an export makes for a file it makes trusted: a workspace believes
/// no trusted file without one.
fn trust_record(tx: &mut ceremony::workspace::Transaction, role: &str, md: &Metadata) {
    let digest = hex::encode(ceremony::workspace::staging::digest(md));
    let action = ceremony::workspace::transcript::Action {
        action: "trust".into(),
        role: Some(role.into()),
        version: Some(md.version()),
        digest: Some(digest),
        ..Default::default()
    };
    tx.record(action).expect("record");
}

/// One command of the timed part, in its own process as on the command line; prints its
/// time and peak memory.
fn run_step(dir: &Path, step: &str) {
    let ws = Workspace::open(dir).expect("open");
    let start = Instant::now();
    let now = OffsetDateTime::now_utc();
    let lock = ws.lock().expect("lock");
    let mut files = 0;
    match step {
        "promote" => {
            let source =
                ceremony::workspace::recently_claimed::read_recently_claimed(&ws, &dir.with_extension("rc.json"), now).expect("rc");
            let req = ceremony::workspace::promotion::PromoteRequest {
                source: &source,
                only: &[],
                skip_invalid: false,
                expires: now + Duration::days(300),
                now,
            };
            let (promotion, staged) = ceremony::workspace::promotion::plan_promotion(&ws, &req).expect("plan");
            ceremony::workspace::promotion::stage_promotion(&ws, &lock, &promotion, &staged).expect("stage");
            files = promotion.files.len();
        }
        "export" => {
            ceremony::bundle::export::export_bundle(&ws, &lock, &dir.with_extension("out.tar"), now).expect("export");
        }
        holder => {
            let h = ws.holder(holder).expect("holder");
            let signer = holder_signer(holder);
            let roles = ceremony::workspace::signing::signable(&ws, &h, &[], now).expect("signable");
            files = roles.len();
            ceremony::workspace::signing::sign_roles(&ws, &lock, &h, &signer, roles).expect("sign");
        }
    }
    println!("{{\"s\": {:.3}, \"peak_mib\": {:.1}, \"files\": {files}}}", start.elapsed().as_secs_f64(), support::vm_kb("VmHWM:") / 1024.0);
}

/// The timed part: promote, alice and bob sign (with their claimed keys), export, each in its own process. The
/// time is from before the first process starts to after the last ends.
fn run_timed(dir: &Path) -> String {
    let start = Instant::now();
    let (mut peak, mut promote_s, mut files) = (0.0f64, 0.0, 0);
    for step in ["promote", "alice.claimed", "bob.claimed", "export"] {
        let out: serde_json::Value = serde_json::from_str(&child_with(dir, &["--child-step", step])).expect("step output");
        let (s, p) = (out["s"].as_f64().unwrap_or(0.0), out["peak_mib"].as_f64().unwrap_or(0.0));
        eprintln!("    {step}: {s:.2} s, peak {p:.0} MiB, after {:.2} s", start.elapsed().as_secs_f64());
        peak = peak.max(p);
        if step == "promote" {
            promote_s = start.elapsed().as_secs_f64();
            files = out["files"].as_u64().unwrap_or(0);
        }
    }
    format!(
        "{{\"promote_s\": {promote_s:.3}, \"total_s\": {:.3}, \"peak_mib\": {peak:.1}, \"files\": {files}}}",
        start.elapsed().as_secs_f64()
    )
}

/// The work python-tuf's 7.3 s figure covers, in one process and without a workspace:
/// read and verify recently-claimed, validate it and build claimed (index and shards, each
/// shard sealed by its one-time key), two signatures on the index (the only file holders
/// sign), write the files, read them back.
fn run_core(dir: &Path) {
    let ws = Workspace::open(dir).expect("open");
    let signers: Vec<PassphraseSigner> = ["alice.claimed", "bob.claimed"].iter().map(|h| holder_signer(h)).collect();
    let out = dir.with_extension("core");
    std::fs::create_dir_all(&out).expect("out dir");
    let start = Instant::now();
    let mut phases = Phases::new(start);
    let now = OffsetDateTime::now_utc();
    let source = ceremony::workspace::recently_claimed::read_recently_claimed(&ws, &dir.with_extension("rc.json"), now).expect("rc");
    phases.mark("read and verify recently-claimed");
    let req = ceremony::workspace::promotion::PromoteRequest {
        source: &source,
        only: &[],
        skip_invalid: false,
        expires: now + Duration::days(300),
        now,
    };
    let (_, mut staged) = ceremony::workspace::promotion::plan_promotion(&ws, &req).expect("plan");
    phases.mark("validate and build claimed");
    let sigs = ceremony::support::par::map(&staged, |(role, md)| {
        let holders_sign = role == ceremony::pypi::roles::CLAIMED;
        signers.iter().filter(|_| holders_sign).map(|s| s.sign(&md.signed_bytes()).expect("sign")).collect::<Vec<_>>()
    });
    phases.mark("two signatures on the index, each checked");
    let paths: Vec<PathBuf> = staged.iter().map(|(role, _)| out.join(format!("{role}.json"))).collect();
    for ((_, md), sigs) in staged.iter_mut().zip(sigs) {
        for s in sigs {
            md.set_signature(s);
        }
    }
    let files: Vec<(&PathBuf, &Metadata)> = paths.iter().zip(staged.iter().map(|(_, md)| md)).collect();
    ceremony::support::par::map(&files, |(path, md)| std::fs::write(path, md.to_bytes()).expect("write"));
    drop(staged);
    phases.mark("write");
    let reloaded = ceremony::support::par::map(&paths, |p| Metadata::from_file(p).expect("reload").version());
    phases.mark("read back");
    phases.report();
    println!(
        "{{\"core_s\": {:.3}, \"peak_mib\": {:.1}, \"files\": {}}}",
        start.elapsed().as_secs_f64(),
        support::vm_kb("VmHWM:") / 1024.0,
        reloaded.len()
    );
}

/// Where the core's time goes (`BREAKDOWN=1`), printed to stderr step by step.
struct Phases {
    last: Instant,
    marks: Vec<(&'static str, f64)>,
}

impl Phases {
    fn new(start: Instant) -> Self {
        Phases { last: start, marks: Vec::new() }
    }

    fn mark(&mut self, step: &'static str) {
        let now = Instant::now();
        self.marks.push((step, (now - self.last).as_secs_f64()));
        self.last = now;
    }

    fn report(&self) {
        if std::env::var_os("BREAKDOWN").is_some() {
            for (step, s) in &self.marks {
                eprintln!("    {step}: {s:.3} s");
            }
        }
    }
}

fn child_with(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(std::env::current_exe().expect("exe")).args(args).arg(dir).output().expect("child");
    assert!(out.status.success(), "the measured child: expected success, got {}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `measured`: a `cargo bench` run (runs settle apart), not the smoke test.
fn scenario(name: &str, existing: usize, batch: usize, runs: usize, measured: bool) {
    let tmp = tempfile::tempdir().expect("tmp");
    spread_subdirectories(tmp.path());
    let dir: PathBuf = tmp.path().join("ws");
    let online = SoftwareSigner::generate(Algorithm::Ed25519);
    let ws = bootstrap(&dir, &online);
    if existing > 0 {
        seed_claimed(&ws, existing);
    }
    let batch_names = names(batch, 99);
    let rc = recently_claimed(&batch_names, &dev_keys(batch.min(100_000)), &online, 2);
    std::fs::write(dir.with_extension("rc.json"), rc.to_bytes()).expect("write rc");
    eprintln!("  recently-claimed: {} projects, {:.1} MB", batch, rc.to_bytes().len() as f64 / 1e6);
    // For profiling: keep the prepared workspace, to run `--child-run DIR` under a profiler.
    if let Some(keep) = std::env::var_os("CEREMONY_BENCH_KEEP") {
        let keep = PathBuf::from(keep);
        let st = std::process::Command::new("cp").arg("-a").arg(&dir).arg(&keep).status().expect("cp");
        assert!(st.success(), "cp -a {} {}: expected success, got {st}", dir.display(), keep.display());
        std::fs::copy(dir.with_extension("rc.json"), keep.with_extension("rc.json")).expect("rc copy");
        eprintln!("  kept the prepared workspace in {}", keep.display());
        return;
    }
    // Nothing is deleted until the scenario ends (the temporary directory goes then), and
    // each copy sits in a block group of its own (`spread_subdirectories`). On ext4
    // without a journal, as on this machine kind, a new file steps over every inode of its
    // block group freed in the last minute (six while the inode table is dirty) one by
    // one: a run that followed the deletion of the last run's files paid up to 0.5 s for
    // them. The core, which deletes nothing itself, runs first; the four commands delete
    // what their transactions replace, as on a ceremony machine.
    // Run 0 of each is a warm-up, not reported: like any first run on a virtual machine it
    // also pays for memory the host has not yet handed over, page by page.
    if existing == 0 {
        for run in 0..=runs {
            let copy = fresh_copy(tmp.path(), &dir, &format!("core{run}"));
            let out = child_with(&copy, &["--child-core"]);
            if run > 0 {
                println!("{name}, python-tuf's core only, run {run}: {out}");
            }
        }
    }
    for run in 0..=runs {
        let copy = fresh_copy(tmp.path(), &dir, &format!("run{run}"));
        let out = run_timed(&copy);
        if run > 0 {
            println!("{name} run {run}: {out}");
        }
        if run < runs && measured {
            // Let the last run's deletions age, so the next run starts as this one did.
            std::thread::sleep(std::time::Duration::from_secs(settle_s()));
        }
    }
    if existing == 0 {
        python_tuf_core(&dir, runs, measured);
    }
}

/// python-tuf doing the same core on the same workspace (`benches/python_tuf_core.py`), so
/// the comparison is made on this machine, not against a figure from elsewhere. Under
/// `cargo test` it must work (it would rot otherwise); under `cargo bench` a machine without
/// python-tuf's environment only loses this comparison.
fn python_tuf_core(dir: &Path, runs: usize, measured: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = std::process::Command::new("bash").arg(root.join("scripts/python-env.sh")).output();
    let out = env.ok().filter(|o| o.status.success()).and_then(|o| {
        let python = String::from_utf8_lossy(&o.stdout).trim().to_string();
        std::process::Command::new(python).arg(root.join("benches/python_tuf_core.py")).arg(dir).arg(runs.to_string()).output().ok()
    });
    match out {
        Some(o) if o.status.success() => print!("{}", String::from_utf8_lossy(&o.stdout)),
        Some(o) if !measured => panic!("python_tuf_core.py failed: {}", String::from_utf8_lossy(&o.stderr)),
        None if !measured => panic!("no python-tuf environment (scripts/python-env.sh)"),
        _ => println!("python-tuf's core: not measured (no python-tuf environment, or it failed)"),
    }
}

/// Seconds between runs of the four commands (`CEREMONY_BENCH_SETTLE`, 40 unless set).
fn settle_s() -> u64 {
    std::env::var("CEREMONY_BENCH_SETTLE").ok().and_then(|s| s.parse().ok()).unwrap_or(40)
}

/// Marks `dir` as the top of a directory tree (`chattr +T`), so ext4 places each directory
/// made in it in a block group of its own, as it places directories made at the root,
/// instead of beside `dir` where earlier runs (or earlier benches) freed their inodes.
/// Best effort: elsewhere than on ext4 there is nothing to spread.
fn spread_subdirectories(dir: &Path) {
    let _ = std::process::Command::new("chattr").arg("+T").arg(dir).stderr(std::process::Stdio::null()).status();
}

/// A copy of the prepared workspace `dir` (and its recently-claimed) under `tmp`.
fn fresh_copy(tmp: &Path, dir: &Path, label: &str) -> PathBuf {
    let copy = tmp.join(label);
    let st = std::process::Command::new("cp").arg("-a").arg(dir).arg(&copy).status().expect("cp");
    assert!(st.success(), "cp -a {} {}: expected success, got {st}", dir.display(), copy.display());
    std::fs::copy(dir.with_extension("rc.json"), copy.with_extension("rc.json")).expect("rc copy");
    copy
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child-step") {
        run_step(Path::new(&args[i + 2]), &args[i + 1]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-run") {
        println!("{}", run_timed(Path::new(&args[i + 1])));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-core") {
        run_core(Path::new(&args[i + 1]));
        return;
    }
    // `cargo bench` passes --bench; under `cargo test` this runs small as a smoke test.
    if !args.iter().any(|a| a == "--bench") {
        scenario("smoke: promote 2,000 into an empty claimed", 0, 2_000, 1, false);
        scenario("smoke: promote 200 into 5,000 claimed", 5_000, 200, 1, false);
        return;
    }
    let scales = std::env::var("CEREMONY_BENCH_SCALES").unwrap_or_else(|_| "100k,1m".into());
    if scales.contains("100k") {
        scenario("promote 100,000 into an empty claimed", 0, 100_000, 3, true);
    }
    if scales.contains("1m") {
        scenario("promote 1,000 into 1,000,000 claimed", 1_000_000, 1_000, 2, true);
    }
}
