//! Nothing on the stick chooses code to run or where files go: a holder record rewritten to
//! name a PKCS#11 module on the USB stick is refused by `sign`, `preflight` and `key new
//! pkcs11` before the module is loaded (the module here is a real shared object, built with
//! `cc`, whose constructor writes a marker file the moment anything loads it; the marker must
//! not appear); a `current` link, a `states` directory or a `.lock` file rewritten to lead out
//! of the workspace is refused before anything outside is touched.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::workspace::Setup;
use common::{ceremony, one_sentence, path_str};

/// The attacker's module: a constructor that runs inside whatever process loads it.
const EVIL_C: &str = r#"
#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen(MARKER, "w");
    if (f) { fputs("loaded\n", f); fclose(f); }
}
"#;

/// A loader that dlopen()s its argument, as any PKCS#11 client would: proves the marker
/// appears when the module is really loaded, so its absence means something.
const LOADER_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    return 0;
}
"#;

fn cc(dir: &Path, source: &str, name: &str, args: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let out_path = dir.join(name);
    let out =
        Command::new("cc").args(args).arg("-o").arg(&out_path).arg(&src).arg("-ldl").output().expect("cc (build-essential) is installed");
    assert!(out.status.success(), "cc {name}: {}", String::from_utf8_lossy(&out.stderr));
    out_path
}

/// The stick's module and its marker file (absent until the module is loaded).
struct Planted {
    module: PathBuf,
    marker: PathBuf,
}

fn plant(dir: &Path) -> Planted {
    let marker = dir.join("MODULE-WAS-LOADED");
    let define = format!("-DMARKER=\"{}\"", marker.display());
    let module = cc(dir, EVIL_C, "x.so", &["-shared", "-fPIC", &define]);
    Planted { module, marker }
}

/// What an attacker does with the stick: rewrites `holder`'s record so its key lives in a
/// PKCS#11 token behind `module`; the key and keyid stay, so the record still reads as valid.
/// The holder record with its `source` naming `module`, as bytes.
fn with_source(ws: &Path, holder: &str, module: &str) -> Vec<u8> {
    let path = ws.join("current/holders").join(format!("{holder}.json"));
    let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    record["source"] = serde_json::json!({"kind": "pkcs11", "module": module, "token": "ceremony", "key_label": holder});
    serde_json::to_vec_pretty(&record).unwrap()
}

/// Rewrites the record on the stick, as anyone holding it can: the transcript's `key-new`
/// record no longer vouches for it, so it is refused before its module is even looked at.
fn rewrite_source_on_disk(ws: &Path, holder: &str, module: &str) {
    let bytes = with_source(ws, holder, module);
    let path = ws.join("current/holders").join(format!("{holder}.json"));
    // A new file, as an editor writes it: the state's other hard links keep the old one.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, bytes).unwrap();
}

/// Rewrites the record together with a `key-new` transcript record that vouches for it (as a
/// transcript rewritten and anchored anew, or an older version that registered such a record,
/// would leave it): the outer check holds, so the module rule itself must refuse.
fn rewrite_source(ws: &Path, holder: &str, module: &str) {
    let bytes = with_source(ws, holder, module);
    let workspace = ceremony::workspace::Workspace::open(ws).unwrap();
    let keyid = workspace.holder(holder).unwrap().key.keyid().to_string();
    let lock = workspace.lock().unwrap();
    let mut tx = workspace.begin(&lock).unwrap();
    tx.write(&format!("holders/{holder}.json"), &bytes).unwrap();
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(&bytes));
    let action = ceremony::workspace::transcript::Action {
        action: "key-new".into(),
        holder: Some(holder.into()),
        keyid: Some(keyid),
        digest: Some(digest),
        ..Default::default()
    };
    tx.record(action).unwrap();
    tx.commit().unwrap();
}

fn lo_only_sysfs(dir: &Path) -> PathBuf {
    let sys = dir.join("sys");
    let lo = sys.join("class/net/lo");
    std::fs::create_dir_all(&lo).unwrap();
    std::fs::write(lo.join("operstate"), "unknown\n").unwrap();
    std::fs::write(lo.join("flags"), "0x9\n").unwrap();
    sys
}

#[test]
fn the_marker_appears_when_the_planted_module_is_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let planted = plant(tmp.path());
    let loader = cc(tmp.path(), LOADER_C, "loader", &[]);
    let out = Command::new(&loader).arg(&planted.module).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        planted.marker.exists(),
        "the planted module's constructor runs at load: the other tests' check means something: {} is missing",
        planted.marker.display()
    );
}

#[test]
fn a_holder_record_naming_a_module_on_the_stick_is_refused_before_it_is_loaded() {
    let st = Setup::with_holders(&["alice", "bob"]);
    st.import_online("online");
    st.root_init("alice,bob", "1", "alice");
    let planted = plant(&st.files);
    let module = path_str(&planted.module).to_string();
    let pin = common::tokens::pin_file(&st.files, "123456");
    // Rewritten on the stick alone: the transcript does not vouch for the record.
    let before = std::fs::read(st.ws.join("current/holders/alice.json")).unwrap();
    rewrite_source_on_disk(&st.ws, "alice", &module);
    for args in [vec!["sign", "--holder", "alice", "--pin-file", path_str(&pin), "--yes"], vec!["preflight"]] {
        let out = ceremony(&st.ws, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        // preflight names the file on its fail line (stdout), sign in its refusal (stderr).
        let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(err.contains("holders/alice.json is not the holder record transcript record"), "{args:?}: {err}");
        assert!(!planted.marker.exists(), "{args:?} loaded the module on the stick");
    }
    let path = st.ws.join("current/holders/alice.json");
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, before).unwrap();
    // Vouched for by the transcript too: the module rule refuses it.
    rewrite_source(&st.ws, "alice", &module);

    let out = ceremony(&st.ws, &["sign", "--holder", "alice", "--pin-file", path_str(&pin), "--yes"]);
    let msg = one_sentence(&out, 1, "sign");
    assert!(msg.contains("holder record alice (holders/alice.json)") && msg.contains(&module), "{msg}");
    assert!(msg.contains("not listed in /etc/ceremony/pkcs11-modules") && msg.contains("nothing was loaded"), "{msg}");
    assert!(!planted.marker.exists(), "sign loaded the module on the stick: {} exists", planted.marker.display());
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "nothing is reviewed for a refused record: expected empty, got {:?}",
        String::from_utf8_lossy(&out.stdout)
    );

    let sys = lo_only_sysfs(&st.files);
    let out = ceremony(&st.ws, &["preflight", "--sys-root", path_str(&sys)]);
    one_sentence(&out, 1, "preflight");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("fail: pkcs11 module: ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("holder record alice") && line.contains(&module), "{line}");
    assert!(!planted.marker.exists(), "preflight loaded the module on the stick: {} exists", planted.marker.display());

    // Paths that lead out of the system directories by `..`, relative paths and plain names
    // not found there are refused alike.
    let dotdot = format!("/usr/lib/../..{module}");
    for named in [dotdot.as_str(), "x.so", "./x.so", "../files/x.so"] {
        rewrite_source(&st.ws, "alice", named);
        let out = ceremony(&st.ws, &["sign", "--holder", "alice", "--pin-file", path_str(&pin), "--yes"]);
        let msg = one_sentence(&out, 1, named);
        assert!(msg.contains("holder record alice") && msg.contains(&format!("{named:?}")), "{msg}");
    }
    assert!(!planted.marker.exists(), "{} exists", planted.marker.display());
}

#[test]
fn key_new_pkcs11_refuses_a_module_outside_the_system_directories() {
    let st = Setup::new();
    let planted = plant(&st.files);
    let pin = common::tokens::pin_file(&st.files, "123456");
    let args = ["key", "new", "pkcs11", "--holder", "mallory", "--module", path_str(&planted.module), "--token", "t", "--key-label", "k"];
    let msg = common::refused(&st.ws, &[&args[..], &["--pin-file", path_str(&pin)]].concat(), 2);
    assert!(msg.contains("--module names the PKCS#11 module") && msg.contains(path_str(&planted.module)), "{msg}");
    assert!(!planted.marker.exists(), "key new loaded the module: {} exists", planted.marker.display());
}

/// A workspace and, outside it, a victim directory holding a copy of the workspace's state and
/// a file the operator cares about.
fn victim(st: &Setup) -> (PathBuf, PathBuf) {
    let state = std::fs::read_link(st.ws.join("current")).unwrap();
    let home = st.files.join("home");
    let copy = home.join(state.file_name().unwrap());
    std::fs::create_dir_all(&copy).unwrap();
    for entry in common::files_under(&st.ws.join("current")) {
        let rel = entry.strip_prefix(st.ws.join("current")).unwrap();
        std::fs::create_dir_all(copy.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, copy.join(rel)).unwrap();
    }
    let precious = copy.join("precious.txt");
    std::fs::write(&precious, "the operator's file\n").unwrap();
    (copy, precious)
}

fn swing(link: &Path, to: &Path) {
    std::fs::remove_file(link).unwrap();
    std::os::unix::fs::symlink(to, link).unwrap();
}

#[test]
fn a_current_link_leading_out_of_the_workspace_is_refused_and_nothing_there_is_removed() {
    let st = Setup::with_holders(&["alice"]);
    let (copy, precious) = victim(&st);
    let pass = common::passphrase_file(&st.files, "bob");
    let add_bob = ["key", "new", "passphrase", "--holder", "bob", "--passphrase-file", pass.as_str(), "--kdf-profile", "test"];
    for target in [copy.clone(), PathBuf::from("../files/home").join(copy.file_name().unwrap())] {
        swing(&st.ws.join("current"), &target);
        let msg = one_sentence(&ceremony(&st.ws, &add_bob), 1, "key new");
        assert!(msg.contains("current") && msg.contains("not to a state in") && msg.contains("altered"), "{msg}");
        assert!(precious.exists(), "a commit removed {} outside the workspace", copy.display());
        let out = ceremony(&st.ws, &["key", "list"]);
        assert_eq!(out.status.code(), Some(1), "reading through the link is refused too");
    }
}

#[test]
fn a_states_directory_that_is_a_link_is_refused_and_nothing_there_is_removed() {
    let st = Setup::with_holders(&["alice"]);
    let (copy, precious) = victim(&st);
    let states = st.ws.join("states");
    std::fs::remove_dir_all(&states).unwrap();
    std::os::unix::fs::symlink(copy.parent().unwrap(), &states).unwrap();
    let pass = common::passphrase_file(&st.files, "bob");
    let out = ceremony(&st.ws, &["key", "new", "passphrase", "--holder", "bob", "--passphrase-file", &pass, "--kdf-profile", "test"]);
    let msg = one_sentence(&out, 1, "key new");
    assert!(msg.contains("states is not a directory of this workspace"), "{msg}");
    assert!(precious.exists(), "a commit removed the state the `states` link led to: {} is missing", precious.display());
}

#[test]
fn a_lock_file_that_is_a_link_creates_nothing_where_it_points() {
    let st = Setup::with_holders(&["alice"]);
    let planted = st.files.join("nologin");
    let _ = std::fs::remove_file(st.ws.join(".lock"));
    std::os::unix::fs::symlink(&planted, st.ws.join(".lock")).unwrap();
    let pass = common::passphrase_file(&st.files, "bob");
    let out = ceremony(&st.ws, &["key", "new", "passphrase", "--holder", "bob", "--passphrase-file", &pass, "--kdf-profile", "test"]);
    one_sentence(&out, 2, "key new");
    assert!(!planted.exists(), "the lock was taken through the link: {} exists", planted.display());
}

#[test]
fn a_file_of_the_state_that_is_a_link_out_of_the_workspace_is_not_read() {
    let st = Setup::with_holders(&["alice"]);
    st.import_online("online");
    st.root_init("alice", "1", "alice");
    let state = st.ws.join("current");
    for (rel, command) in [("holders/alice.json", "status"), ("staged/root.json", "status"), ("transcript.jsonl", "log verify")] {
        let outside = st.files.join("outside.json");
        std::fs::copy(state.join(rel), &outside).unwrap();
        let saved = st.files.join("saved");
        std::fs::rename(state.join(rel), &saved).unwrap();
        std::os::unix::fs::symlink(&outside, state.join(rel)).unwrap();
        let out = ceremony(&st.ws, &command.split(' ').collect::<Vec<_>>());
        let msg = one_sentence(&out, 1, rel);
        assert!(msg.contains(rel) && msg.contains("is a link or a special file"), "{rel}: {msg}");
        std::fs::remove_file(state.join(rel)).unwrap();
        std::fs::rename(&saved, state.join(rel)).unwrap();
    }
    // A directory of the state that is a link is refused alike.
    std::fs::rename(state.join("holders"), st.files.join("holders")).unwrap();
    std::os::unix::fs::symlink(st.files.join("holders"), state.join("holders")).unwrap();
    let msg = one_sentence(&ceremony(&st.ws, &["key", "list"]), 1, "key list");
    assert!(msg.contains("holders") && msg.contains("is a link"), "{msg}");
}
