//! Moving a workspace: a copy that lost its `current` link (what `cp -rL`, a zip, a FAT or
//! exFAT USB stick make of it) is named as such and left alone, and `workspace pack` /
//! `workspace unpack` carry a workspace to another path with everything working after it,
//! refusing any pack that was altered. python-tuf judges the bundle made after the move.
//! The FAT tests use a real FAT image (mtools, and a fusefat mount), installed by
//! `scripts/fat-env.sh` where it can. Where the machine cannot provide them, the test fails,
//! unless the test command's probe proved the machine cannot (tests/common/skips.rs): then it
//! is recorded as skipped, and scripts/test.sh lists it at the end.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use common::workspace::{add_holder, import_online};
use common::{ceremony, dir_tree, ok, passphrase_file, refused_keeping};

/// A workspace with root v1 staged (2 of alice, bob, carol) and signed by alice.
fn setup(tmp: &Path) -> PathBuf {
    let dir = tmp.join("ws");
    ok(&dir, &["init"]);
    for h in ["alice", "bob", "carol"] {
        add_holder(&dir, tmp, h);
    }
    import_online(&dir, tmp, "online");
    ok(
        &dir,
        &[
            "root", "init", "--root", "alice,bob,carol", "--root-threshold", "2", "--targets", "alice", "--targets-threshold", "1",
            "--snapshot", "online", "--timestamp", "online",
        ],
    );
    sign(tmp, &dir, "alice");
    dir
}

fn sign(tmp: &Path, dir: &Path, holder: &str) {
    let pf = passphrase_file(tmp, holder);
    ok(dir, &["sign", "--holder", holder, "--passphrase-file", &pf, "--yes"]);
}

/// Every entry under `dir` but the lock file, which any command may create.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut tree = dir_tree(dir);
    tree.remove(".lock");
    tree
}

/// A command that must be refused with `code` and one sentence containing `words`, leaving
/// the whole directory as it was.
fn refused(ws: &Path, args: &[&str], code: i32, words: &[&str]) -> String {
    let sentence = refused_keeping(ws, args, code, tree);
    for w in words {
        assert!(sentence.contains(w), "{args:?}: {w:?} missing from {sentence}");
    }
    sentence
}

fn status(dir: &Path) -> Value {
    serde_json::from_str(&ok(dir, &["status", "--json"])).unwrap()
}

fn head(dir: &Path) -> String {
    ok(dir, &["log", "verify"])
}

/// Exports a bundle, extracts it, and asks python-tuf whether root v1 in it verifies.
fn export_and_judge(tmp: &Path, dir: &Path, name: &str) {
    let bundle = tmp.join(format!("{name}.tar"));
    ok(dir, &["bundle", "export", "--out", bundle.to_str().unwrap()]);
    let out = tmp.join(name);
    std::fs::create_dir_all(&out).unwrap();
    succeeds(Command::new("tar").arg("-xf").arg(&bundle).arg("-C").arg(&out));
    let root = out.join("metadata/1.root.json");
    let v = common::judge_delegate(&root, "root", &root);
    assert_eq!(v["ok"], true, "{v}");
    ok(dir, &["bundle", "verify", bundle.to_str().unwrap(), "--trusted-root", root.to_str().unwrap()]);
}

/// Runs a helper command (cp, tar, mkfs.vfat, ...) that must succeed.
fn succeeds(cmd: &mut Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("{cmd:?}: expected it to start, got {e}"));
    assert!(status.success(), "{cmd:?}: expected success, got {status}");
}

const COPIED: &[&str] = &["copied without its symbolic links", "workspace pack", "workspace unpack"];

/// Every command, reading or writing, on a copy without links: exit 2, the same sentence.
fn every_command_refuses(tmp: &Path, copy: &Path, what: &str) {
    let pf = passphrase_file(tmp, "bob");
    let out = tmp.join("refused.tar");
    let mut words = COPIED.to_vec();
    words.push(what);
    for args in [
        &["status"][..],
        &["log", "verify"],
        &["sign", "--holder", "bob", "--passphrase-file", &pf, "--yes"],
        &["discard", "root"],
        &["key", "new", "passphrase", "--holder", "dave", "--passphrase-file", &pf, "--kdf-profile", "test"],
        &["bundle", "export", "--out", out.to_str().unwrap()],
    ] {
        refused(copy, args, 2, &words);
    }
    assert!(!out.exists(), "expected no bundle from the refused export, got {}", out.display());
}

#[test]
fn a_copy_without_links_is_named_and_recovered_through_a_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = setup(tmp.path());
    let before = head(&ws);

    let copy = tmp.path().join("usb-copy");
    succeeds(Command::new("cp").arg("-rL").arg(&ws).arg(&copy));
    let kind = std::fs::symlink_metadata(copy.join("current")).unwrap().file_type();
    assert!(kind.is_dir(), "expected `cp -rL` to make `current` a directory, got {kind:?}");
    every_command_refuses(tmp.path(), &copy, "became a plain directory");

    // A zip or a Windows copy may drop the link altogether.
    let zipped = tmp.path().join("zip-copy");
    succeeds(Command::new("cp").arg("-r").arg(&ws).arg(&zipped));
    std::fs::remove_file(zipped.join("current")).unwrap();
    every_command_refuses(tmp.path(), &zipped, "is missing");

    // The way out the message names: pack the copy, unpack it on a file system with links.
    let pack = tmp.path().join("copy.pack");
    ok(&copy, &["workspace", "pack", "--out", pack.to_str().unwrap()]);
    let restored = tmp.path().join("restored");
    ok(&restored, &["workspace", "unpack", pack.to_str().unwrap()]);
    assert_eq!(head(&restored), before);
    sign(tmp.path(), &restored, "bob");
    export_and_judge(tmp.path(), &restored, "after-restore");
}

/// [`setup`] in a new temporary folder, packed to `ws.pack` there: (folder, workspace, pack).
fn packed() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = setup(tmp.path());
    let pack = tmp.path().join("ws.pack");
    ok(&ws, &["workspace", "pack", "--out", pack.to_str().unwrap()]);
    (tmp, ws, pack)
}

#[test]
fn pack_and_unpack_carry_a_workspace_to_another_path() {
    let (tmp, ws, pack) = packed();
    let again = tmp.path().join("again.pack");
    ok(&ws, &["workspace", "pack", "--out", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&pack).unwrap(), std::fs::read(&again).unwrap(), "packing is deterministic");

    // "Another machine": a different path; an existing empty directory is fine.
    let other = tmp.path().join("elsewhere/ws");
    std::fs::create_dir_all(&other).unwrap();
    let printed = ok(&other, &["workspace", "unpack", pack.to_str().unwrap()]);
    let kind = std::fs::symlink_metadata(other.join("current")).unwrap().file_type();
    assert!(kind.is_symlink(), "expected the unpacked `current` to be a link, got {kind:?}");
    assert_eq!(head(&other), head(&ws));
    assert!(printed.contains(head(&ws).split("head ").nth(1).unwrap().trim_end_matches(".\n")), "{printed}");
    assert_eq!(status(&other)["staged"], status(&ws)["staged"]);
    assert_eq!(tree(&ws.join("current")), tree(&other.join("current")));

    // Work goes on in the unpacked workspace, and its pack is the same once nothing changed.
    let repacked = tmp.path().join("repacked.pack");
    ok(&other, &["workspace", "pack", "--out", repacked.to_str().unwrap()]);
    assert_eq!(std::fs::read(&pack).unwrap(), std::fs::read(&repacked).unwrap());
    sign(tmp.path(), &other, "bob");
    export_and_judge(tmp.path(), &other, "after-unpack");
    ok(&other, &["log", "verify"]);

    // Unpacking over a workspace (any non-empty directory) is refused; it stays as it was.
    refused(&other, &["workspace", "unpack", pack.to_str().unwrap()], 2, &["not empty"]);
    let out = ceremony(&other, &["workspace", "unpack", tmp.path().join("nothing.pack").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

/// The members of a pack, in order.
fn members(pack: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(std::fs::File::open(pack).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

fn write_members(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Written raw: the tar crate refuses to write the hostile names tested here.
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, bytes.as_slice()).unwrap();
    }
    std::fs::write(path, b.into_inner().unwrap()).unwrap();
}

/// The manifest made to match the members again, as someone covering their tracks would.
fn relist(members: &mut [(String, Vec<u8>)]) {
    let listed: Vec<Value> = members[1..]
        .iter()
        .map(|(n, b)| serde_json::json!({"path": n, "sha256": hex::encode(Sha256::digest(b)), "length": b.len()}))
        .collect();
    let mut manifest: Value = serde_json::from_slice(&members[0].1).unwrap();
    manifest["files"] = Value::Array(listed);
    members[0].1 = serde_json::to_vec(&manifest).unwrap();
}

#[test]
fn an_altered_pack_is_refused_and_nothing_is_written() {
    let (tmp, _, pack) = packed();
    let original = members(&pack);
    assert_eq!(original[0].0, "manifest.json");
    let transcript = original.iter().position(|(n, _)| n == "state/transcript.jsonl").unwrap();
    let holder = original.iter().position(|(n, _)| n == "state/holders/bob.json").unwrap();

    type Tamper = Box<dyn Fn(&mut Vec<(String, Vec<u8>)>)>;
    let cases: Vec<(&str, Tamper)> = vec![
        ("SHA-256", Box::new(move |m| m[holder].1[20] ^= 1)),
        ("does not list", Box::new(|m| m.push(("state/holders/mallory.json".into(), b"{}".to_vec())))),
        ("which it does not hold", Box::new(move |m| drop(m.remove(holder)))),
        ("not one a pack may hold", Box::new(|m| m.push(("state/../../evil".into(), b"x".to_vec())))),
        ("not one a pack may hold", Box::new(|m| m.push(("state/.hidden".into(), b"x".to_vec())))),
        // A record altered and the manifest relisted: the chain breaks.
        (
            "altered",
            Box::new(move |m| {
                let text = String::from_utf8(m[transcript].1.clone()).unwrap().replacen("\"bob\"", "\"eve\"", 1);
                m[transcript].1 = text.into_bytes();
                relist(m);
            }),
        ),
        // The last record cut and the manifest relisted: the chain no longer reaches its head.
        (
            "does not end at the head",
            Box::new(move |m| {
                let text = String::from_utf8(m[transcript].1.clone()).unwrap();
                let kept: Vec<&str> = text.lines().collect();
                m[transcript].1 = format!("{}\n", kept[..kept.len() - 1].join("\n")).into_bytes();
                relist(m);
            }),
        ),
        ("manifest.json is malformed", Box::new(|m| m[0].1 = b"{\"format\": 1.5}".to_vec())),
    ];
    for (i, (words, tamper)) in cases.iter().enumerate() {
        let mut m = original.clone();
        tamper(&mut m);
        let bad = tmp.path().join(format!("bad{i}.pack"));
        write_members(&bad, &m);
        let target = tmp.path().join(format!("target{i}"));
        let out = ceremony(&target, &["workspace", "unpack", bad.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "case {i}: {stderr}");
        assert!(stderr.contains(words) && stderr.contains("nothing was written"), "case {i}: {stderr}");
        assert!(!target.exists(), "case {i}: {} was created", target.display());
    }

    // A link member is refused before anything is read after it.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "state/transcript.jsonl", "/etc/passwd").unwrap();
    let linked = tmp.path().join("link.pack");
    std::fs::write(&linked, b.into_inner().unwrap()).unwrap();
    let out = ceremony(&tmp.path().join("t-link"), &["workspace", "unpack", linked.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("link"), "expected the refusal to name the link, got {stderr}");

    // No temporary directory is left beside the targets.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "expected no temporary directory left beside the targets, got {leftovers:?}");
    // The untouched pack still unpacks.
    ok(&tmp.path().join("fine"), &["workspace", "unpack", pack.to_str().unwrap()]);
}

/// A real FAT image written and read back with mtools (no mount needed): what a keeper's
/// USB stick makes of a workspace is recognised.
#[test]
fn a_workspace_through_a_fat_image_is_recognised() {
    let missing = missing(&["mkfs.vfat", "mcopy"]);
    if !missing.is_empty() {
        let why = format!("{} missing (dosfstools, mtools)", missing.join(", "));
        return common::skips::cannot_run("workspace_move: a workspace through a FAT image", &why, "fat-tools");
    }
    let tmp = tempfile::tempdir().unwrap();
    let ws = setup(tmp.path());
    let image = tmp.path().join("stick.img");
    let run = succeeds;
    run(Command::new("truncate").arg("-s").arg("16M").arg(&image));
    run(Command::new("mkfs.vfat").arg(&image).stdout(std::process::Stdio::null()));
    run(Command::new("mcopy").arg("-s").arg("-i").arg(&image).arg(&ws).arg("::/ws"));
    let back = tmp.path().join("from-stick");
    run(Command::new("mcopy").arg("-s").arg("-i").arg(&image).arg("::/ws").arg(&back));
    // mcopy skips the link to a directory, as many copiers do: `current` is missing.
    let words = ["copied without its symbolic links", "is missing"];
    refused(&back, &["sign", "--holder", "bob", "--passphrase-file", &passphrase_file(tmp.path(), "bob"), "--yes"], 2, &words);
    // And a pack on the stick comes back intact.
    let pack = tmp.path().join("ws.pack");
    ok(&ws, &["workspace", "pack", "--out", pack.to_str().unwrap()]);
    run(Command::new("mcopy").arg("-i").arg(&image).arg(&pack).arg("::/ws.pck"));
    let pack_back = tmp.path().join("back.pack");
    run(Command::new("mcopy").arg("-i").arg(&image).arg("::/ws.pck").arg(&pack_back));
    let restored = tmp.path().join("restored");
    ok(&restored, &["workspace", "unpack", pack_back.to_str().unwrap()]);
    assert_eq!(head(&restored), head(&ws));
}

/// Unmounts a FUSE mount when the test ends, however it ends.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("fusermount").arg("-u").arg(&self.0).status();
    }
}

/// The `tools` that are not there, after `scripts/fat-env.sh` installed the FAT tools where it can.
fn missing<'a>(tools: &[&'a str]) -> Vec<&'a str> {
    tools.iter().copied().filter(|t| !have(t)).collect()
}

/// Whether `tool` is there, after `scripts/fat-env.sh` installed the FAT tools where it can.
fn have(tool: &str) -> bool {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let out = Command::new("bash").arg(common::repo_root().join("scripts/fat-env.sh")).output().unwrap();
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
    });
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
}

/// A FAT file system really mounted (fusefat, no kernel module needed): `init` there is
/// refused with the reason and leaves nothing; a linkless copy onto it is named; a pack
/// written to it and unpacked from it carries the workspace, and recovers the copy.
#[test]
fn a_mounted_fat_stick_refuses_init_and_carries_packs() {
    const CHECK: &str = "workspace_move: a mounted FAT stick";
    let missing = missing(&["mkfs.vfat", "fusefat", "fusermount"]);
    if !missing.is_empty() {
        let why = format!("{} missing (dosfstools, fusefat)", missing.join(", "));
        return common::skips::cannot_run(CHECK, &why, "fat-mount");
    }
    let tmp = tempfile::tempdir().unwrap();
    let ws = setup(tmp.path());
    let image = tmp.path().join("stick.img");
    let stick = tmp.path().join("stick");
    std::fs::create_dir_all(&stick).unwrap();
    succeeds(Command::new("truncate").arg("-s").arg("16M").arg(&image));
    succeeds(Command::new("mkfs.vfat").arg(&image).stdout(std::process::Stdio::null()));
    let mounted = Command::new("fusefat").arg("-o").arg("rw+").arg(&image).arg(&stick).output().unwrap();
    if !mounted.status.success() {
        let why = format!("fusefat cannot mount a FAT image here: {}", String::from_utf8_lossy(&mounted.stderr).trim());
        return common::skips::cannot_run(CHECK, &why, "fat-mount");
    }
    let _mounted = Mounted(stick.clone());

    let on_stick = stick.join("ws");
    let out = ceremony(&on_stick, &["init"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("without symbolic links or hard links") && stderr.contains("workspace pack"), "{stderr}");
    assert!(!on_stick.exists(), "a refused init left {}", on_stick.display());

    let copy = stick.join("copy");
    succeeds(Command::new("cp").arg("-rL").arg(&ws).arg(&copy));
    refused(&copy, &["status"], 2, &["copied without its symbolic links", "became a plain directory"]);

    let pack = stick.join("ws.pack");
    ok(&ws, &["workspace", "pack", "--out", pack.to_str().unwrap()]);
    let restored = tmp.path().join("restored");
    ok(&restored, &["workspace", "unpack", pack.to_str().unwrap()]);
    assert_eq!(head(&restored), head(&ws));

    let copy_pack = stick.join("copy.pack");
    ok(&copy, &["workspace", "pack", "--out", copy_pack.to_str().unwrap()]);
    assert_eq!(std::fs::read(&copy_pack).unwrap(), std::fs::read(&pack).unwrap(), "the copy packs as the original");
    sign(tmp.path(), &restored, "bob");
    ok(&restored, &["log", "verify"]);
}
