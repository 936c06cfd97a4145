//! The supply-chain rules that must hold even where cargo-deny is not installed
//! (deny.toml and scripts/supply-chain.sh check them too): no network client, async
//! runtime or TLS stack anywhere in Cargo.lock, and every package from crates.io.

use std::path::Path;

/// Kept in step with `[bans] deny` in deny.toml (checked below).
const BANNED: &[&str] = &[
    "reqwest", "hyper", "hyper-util", "h2", "ureq", "curl", "curl-sys", "isahc", "surf", "attohttpc", "tokio", "async-std", "native-tls",
    "openssl", "openssl-sys", "rustls",
];

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// (name, source) of every package in a Cargo.lock.
fn packages(lock: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|l| l.strip_prefix(&format!("{key} = \"")).and_then(|v| v.strip_suffix('"')).map(str::to_string))
        };
        out.push((field("name").expect("every package has a name"), field("source")));
    }
    out
}

#[test]
fn no_banned_crate_in_the_lock_file() {
    let lock = read("Cargo.lock");
    let pkgs = packages(&lock);
    assert!(pkgs.len() > 50, "Cargo.lock parsed to only {} packages", pkgs.len());
    let found: Vec<&str> = pkgs.iter().map(|(n, _)| n.as_str()).filter(|n| BANNED.contains(n)).collect();
    assert!(found.is_empty(), "banned crates in Cargo.lock (a network client has no place in an air-gapped tool): {found:?}");
}

/// The crates of this repository's Cargo workspace: the only packages without a source.
const WORKSPACE_CRATES: [&str; 2] = ["ceremony", "ceremony-tuf"];

#[test]
fn every_package_comes_from_crates_io() {
    for (name, source) in packages(&read("Cargo.lock")) {
        match source {
            None => assert!(WORKSPACE_CRATES.contains(&name.as_str()), "{name} has no source, yet is none of this workspace's crates"),
            Some(s) => assert_eq!(s, CRATES_IO, "{name} comes from {s}"),
        }
    }
}

#[test]
fn deny_toml_bans_the_same_crates() {
    let deny = read("deny.toml");
    for name in BANNED {
        assert!(deny.contains(&format!("{{ name = \"{name}\" }}")), "deny.toml does not ban {name}");
    }
}
