//! Benchmark: deriving a passphrase key (Argon2id, then Ed25519) with the `ceremony` and
//! `test` KDF profiles: wall time, CPU time and peak resident memory; and a whole
//! `ceremony key new passphrase` with the default profile through the binary. Figures go to
//! docs/passphrase-keys.md and docs/performance.md (tests assert no time: this is where it is measured).
//!
//! Each derivation runs in a fresh child process so its peak resident memory (VmHWM) is its
//! own. Run with `cargo bench --bench passphrase_kdf` (under `cargo test` it only smoke-tests
//! the test profile). `CANDIDATES=1` also measures the
//! other parameter sets the `ceremony` profile was chosen from; `RUNS=N` changes the number
//! of runs of the `ceremony` profile (default 3).

mod support;

use std::process::Command;
use std::time::Instant;
use support::vm_kb;

use ceremony::keys::signer::passphrase::{KdfParams, PassphraseSigner, Profile};
use ceremony::keys::signer::Signer;
use ceremony::support::secret::SecretBytes;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--measure") {
        let p: Vec<u32> = args[pos + 1..pos + 4].iter().map(|v| v.parse().expect("number")).collect();
        measure(&KdfParams { profile: "bench".into(), memory_kib: p[0], iterations: p[1], lanes: p[2] });
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // `cargo bench` passes --bench; under `cargo test` this runs as a quick smoke test with
    // the test profile only (tests/passphrase_keys.rs derives once with the strong one).
    let full = args.iter().any(|a| a == "--bench");
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    println!("passphrase_kdf: {} cores available", std::thread::available_parallelism().map_or(1, |n| n.get()));
    report("test profile", &Profile::Test.params(), if full { 10 } else { 1 });
    if !full {
        return;
    }
    report("ceremony profile", &Profile::Ceremony.params(), runs);
    registration(runs);
    if std::env::var_os("CANDIDATES").is_some() {
        for (m, t, p) in [(1u32 << 20, 3, 2), (1 << 20, 4, 4), (2 << 20, 1, 4), (2 << 20, 2, 4), (2 << 20, 3, 2), (4 << 20, 1, 4)] {
            let params = KdfParams { profile: "candidate".into(), memory_kib: m, iterations: t, lanes: p };
            report("candidate", &params, 1);
        }
    }
}

fn report(label: &str, params: &KdfParams, runs: usize) {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..runs {
        let out = Command::new(std::env::current_exe().expect("exe"))
            .arg("--measure")
            .args([params.memory_kib, params.iterations, params.lanes].map(|v| v.to_string()))
            .output()
            .expect("run child");
        assert!(
            out.status.success(),
            "the measuring child: expected success, got {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout);
        let v: Vec<f64> = line.split_whitespace().map(|x| x.parse().expect("figure")).collect();
        wall.push(v[0]);
        cpu.push(v[1]);
        peak = peak.max(v[2]);
    }
    wall.sort_by(|a, b| a.total_cmp(b));
    cpu.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{label:<17} {:<40} wall best {:.3} s, median {:.3} s; CPU median {:.3} s; peak RSS {:.0} MiB ({} runs)",
        params.describe(),
        wall[0],
        wall[runs / 2],
        cpu[runs / 2],
        peak / 1024.0,
        runs
    );
}

/// `ceremony key new passphrase` with the default (`ceremony`) profile through the binary, as a
/// keyholder registers: the derivation plus the process, the workspace write and the transcript.
/// tests/passphrase_keys.rs checks this registration; its time is measured only here.
fn registration(runs: usize) {
    let mut wall = Vec::new();
    for _ in 0..runs {
        let tmp = tempfile::tempdir().expect("temp dir");
        let ws = tmp.path().join("ws");
        let pass = tmp.path().join("pass");
        std::fs::write(&pass, "vivid shrimp unbolted cupped deceit gala uncombed\n").expect("write the passphrase file");
        let ceremony = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_ceremony")).arg("--workspace").arg(&ws).args(args).output().expect("run ceremony");
            assert!(
                out.status.success(),
                "`ceremony {}`: expected success, got {}: {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ceremony(&["init"]);
        let start = Instant::now();
        ceremony(&["key", "new", "passphrase", "--holder", "dave", "--passphrase-file", pass.to_str().expect("a UTF-8 path")]);
        wall.push(start.elapsed().as_secs_f64());
    }
    wall.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{:<17} {:<40} wall best {:.3} s, median {:.3} s ({runs} runs)",
        "key new (binary)",
        "ceremony profile, default",
        wall[0],
        wall[runs / 2]
    );
}

/// In a fresh process: derive once, sign once; print wall seconds, CPU seconds, peak KiB.
fn measure(params: &KdfParams) {
    let passphrase = SecretBytes::from("vivid shrimp unbolted cupped deceit gala uncombed");
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let signer = PassphraseSigner::derive(&passphrase, "alice", params).expect("derive");
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    signer.sign(b"benchmark").expect("sign");
    println!("{wall} {cpu} {}", vm_kb("VmHWM:"));
}

/// User + system CPU time of this process (utime and stime from /proc/self/stat, in clock
/// ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0) + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}
