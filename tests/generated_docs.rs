//! The committed man pages (docs/man/) are exactly what the clap definitions generate, and
//! every shell's completion script generates. Regenerate stale pages with
//! `cargo run -- generate man --out docs/man`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::repo_root;

fn pages(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn committed_man_pages_are_current() {
    let tmp = common::generated_man_pages();
    let fresh = pages(tmp.path());
    let committed = pages(&repo_root().join("docs/man"));
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&fresh),
        "docs/man/ lists other pages than the commands have; run `cargo run -- generate man --out docs/man` \
         (and delete pages of removed commands)"
    );
    for (name, bytes) in &fresh {
        assert!(
            committed[name] == *bytes,
            "docs/man/{name} is stale; run `cargo run -- generate man --out docs/man` and commit the result"
        );
    }
    // One page per visible subcommand, the generator included (it is listed in --help).
    for page in ["ceremony.1", "ceremony-report.1", "ceremony-preflight.1", "ceremony-key-new-passphrase.1", "ceremony-generate-man.1"] {
        assert!(fresh.contains_key(page), "{page} missing");
    }
    let root = String::from_utf8_lossy(&fresh["ceremony.1"]);
    assert!(root.contains("preflight"), "expected {:?} to contain {:?}", root, "preflight");
    assert!(root.contains("report"), "expected {:?} to contain {:?}", root, "report");
}

#[test]
fn completions_generate_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = Command::new(env!("CARGO_BIN_EXE_ceremony"))
            .args(["generate", "completions", shell])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("ceremony") && script.contains("preflight") && script.contains("workspace"), "{shell}");
    }
    // The bash script is valid bash.
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["generate", "completions", "bash"]).output().unwrap();
    let file = tmp.path().join("ceremony.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = Command::new("bash").arg("-n").arg(&file).status().unwrap();
    assert!(check.success(), "exited {:?}", check);
    let bad = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["generate", "completions", "cmd.exe"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
