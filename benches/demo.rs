//! Benchmark: `ceremony demo`, the whole simulated ceremony (three bundles, a promotion of
//! the demo's projects, a root rotation), as the binary runs it: wall time per run. Figures go
//! to docs/performance.md. tests/demo.rs checks what the demo does; how long it takes is
//! measured only here.
//!
//! Run with `cargo bench --bench demo` (the bench profile's binary, as scripts/demo.sh builds
//! it in release); `RUNS=N` changes the number of runs (default 3). Under `cargo test` it runs
//! nothing: the demo's test runs it already.

use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        println!("demo: measured under `cargo bench --bench demo`; tests/demo.rs runs the demo itself");
        return;
    }
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    println!("demo: {} cores available", std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut wall = Vec::new();
    for _ in 0..runs {
        let tmp = tempfile::tempdir().expect("temp dir");
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_ceremony"))
            .args(["demo", "--dir"])
            .arg(tmp.path().join("demo"))
            .stdin(Stdio::null())
            .output()
            .expect("run the ceremony binary");
        wall.push(start.elapsed().as_secs_f64());
        assert!(out.status.success(), "`ceremony demo`: expected success, got {}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    wall.sort_by(|a, b| a.total_cmp(b));
    println!("ceremony demo: wall best {:.2} s, median {:.2} s ({runs} runs)", wall[0], wall[runs / 2]);
}
