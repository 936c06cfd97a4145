//! Issue 15's related holes, each through the real binary with python-tuf writing the
//! online side: promotion checks recently-claimed against the trusted targets only; a
//! staged file changed on disk is refused everywhere it is read; a keyid must be the
//! canonical one; a name listed twice is never promoted; a delegations object with both
//! `roles` and `succinct_roles` is refused.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::promotion::{ok, path_str as s, py, setup, staged_setup, Setup};
use common::{refused, repo_root, run_python, workspace_snapshot};
use serde_json::Value;

/// A promotion checks recently-claimed against the trusted targets' delegation, never a
/// staged targets anyone with the workspace could have written.
#[test]
fn promotion_trusts_only_the_exported_targets() {
    // Nothing trusted yet: the staged targets is not used at all.
    let st = staged_setup();
    let rc = st.recently_claimed("rc.json", &["foo", "bar"], 1, &[]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&rc)], 1);
    assert!(msg.contains("export the staged targets first"), "{msg}");

    // Trusted targets v1 delegates recently-claimed to the online key; a staged targets v2
    // names an attacker's key instead.
    let st = setup();
    py(&["keygen", s(&st.files.join("attacker"))]);
    ok(&st.ws, &["key", "import", "--holder", "attacker", s(&st.files.join("attacker.pub.json"))]);
    ok(
        &st.ws,
        &["targets", "init", "--claimed", "alice.claimed,bob.claimed,carol.claimed", "--claimed-threshold", "2", "--online", "attacker"],
    );
    let forged = st.recently_claimed_by("forged.json", &["foo", "bar"], 1, "attacker", &[]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&forged)], 1);
    assert!(msg.contains("not signed by the key targets version 1 delegates"), "{msg}");
    // What the trusted targets delegates to is still taken.
    let rc = st.recently_claimed("rc.json", &["foo", "bar"], 1, &[]);
    let plan: Value = serde_json::from_str(&ok(&st.ws, &["claimed", "promote", s(&rc), "--json"])).unwrap();
    assert_eq!(plan["new"], serde_json::json!(["bar", "foo"]));
}

/// A promotion of `names` from a recently-claimed python writes with `mutation`: refused
/// in one sentence that says each of `words`. Returns the workspace and the file.
fn refused_promotion(mutation: &str, names: &[&str], words: &[&str]) -> (Setup, PathBuf) {
    let st = setup();
    let file = format!("{}.json", mutation.replace(':', "-"));
    let rc = st.recently_claimed(&file, names, 1, &["--mutate", mutation]);
    let msg = refused(&st.ws, &["claimed", "promote", s(&rc)], 1);
    for w in words {
        assert!(msg.contains(w), "{w:?} missing: {msg}");
    }
    (st, rc)
}

/// What `claimed promote --skip-invalid` would promote from `rc`.
fn plan_skipping_invalid(st: &Setup, rc: &Path) -> Value {
    serde_json::from_str(&ok(&st.ws, &["claimed", "promote", s(rc), "--skip-invalid", "--json"])).unwrap()
}

/// A name listed twice, one copy valid and one not: neither is promoted, both reported.
#[test]
fn a_name_listed_twice_is_never_promoted() {
    let (st, rc) = refused_promotion("dupbad:bar", &["foo", "bar", "baz"], &["bar", "more than once"]);
    let plan = plan_skipping_invalid(&st, &rc);
    assert_eq!(plan["new"], serde_json::json!(["baz", "foo"]), "{plan}");
    let skipped: Vec<&Value> = plan["skipped"].as_array().unwrap().iter().filter(|v| v["project"] == "bar").collect();
    assert_eq!(skipped.len(), 2, "both copies reported: {plan}");
}

/// One developer key listed twice, under its keyid and the same keyid in upper case, with
/// threshold 2: refused (python-tuf would count it as two keys).
#[test]
fn an_upper_case_keyid_does_not_count_as_a_second_key() {
    let (st, rc) = refused_promotion("upperkey:foo", &["foo", "bar"], &["foo", "lower-case"]);
    let plan = plan_skipping_invalid(&st, &rc);
    assert_eq!(plan["new"], serde_json::json!(["bar"]), "{plan}");
}

/// One developer key written twice, its public hex once in upper case: two key objects
/// under two correct keyids, one key. Counted by the key, threshold 2 cannot be met.
#[test]
fn one_key_under_two_keyids_counts_once() {
    refused_promotion("upperpublic:foo", &["foo", "bar"], &["foo", "one key listed under two keyids"]);
}

/// python-tuf refuses a delegations object with both `roles` and `succinct_roles`; so does
/// a promotion, whole.
#[test]
fn roles_and_succinct_roles_together_are_refused() {
    let st = setup();
    let rc = st.recently_claimed("both.json", &["foo", "bar"], 1, &["--mutate", "succinct:foo"]);
    let judge = run_python("judge.py", &[OsStr::new("load"), rc.as_os_str()]);
    let verdict: Value = serde_json::from_slice(&judge).unwrap();
    assert_eq!(verdict["ok"], false, "python-tuf accepted it: {verdict}");
    for extra in [&[][..], &["--skip-invalid"][..]] {
        let mut args = vec!["claimed", "promote", s(&rc)];
        args.extend_from_slice(extra);
        let msg = refused(&st.ws, &args, 1);
        assert!(msg.contains("succinct_roles"), "{msg}");
    }
}

/// A staged file whose bytes changed after staging is refused by sign, signature import,
/// status and export; discarding it and staging again works.
#[test]
fn a_staged_file_changed_on_disk_is_refused() {
    let st = setup();
    let rc = st.recently_claimed("rc.json", &["foo", "bar"], 1, &[]);
    ok(&st.ws, &["claimed", "promote", s(&rc)]);
    // alice signs on a copy of the workspace, as on another machine.
    let other = st.files.join("other-ws");
    let cp = std::process::Command::new("cp").arg("-a").arg(&st.ws).arg(&other).status().unwrap();
    assert!(cp.success(), "exited {:?}", cp);
    let pf = st.files.join("alice.pass");
    ok(&other, &["sign", "--holder", "alice", "--passphrase-file", s(&pf), "--yes"]);
    let sigs = st.files.join("alice.sigs.json");
    ok(&other, &["signature", "export", "--holder", "alice", "--out", s(&sigs)]);

    let staged: Vec<String> = std::fs::read_dir(st.ws.join("current/staged"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".json").map(str::to_string))
        .collect();
    let shard = staged.iter().find(|r| r.starts_with("claimed.")).expect("a staged shard").clone();
    for role in [shard.as_str(), "claimed"] {
        let path = st.staged_file(role);
        let original = std::fs::read(&path).unwrap();
        // Still valid metadata, and as a person would not notice: the expiry a second off.
        let text = String::from_utf8(original.clone()).unwrap();
        let at = text.find("\"expires\":\"").unwrap() + "\"expires\":\"YYYY-MM-DDTHH:MM:S".len();
        let mut edited = text.clone().into_bytes();
        edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
        // Replaced, not written in place: a state's files may be shared with older states.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &edited).unwrap();
        let expected = format!("staged/{role}.json is not what transcript record");
        let bundle = st.files.join("b.tar");
        for args in [
            vec!["sign", "--holder", "bob", "--passphrase-file", s(&st.files.join("bob.pass")), "--yes"],
            vec!["signature", "import", s(&sigs)],
            vec!["status"],
            vec!["bundle", "export", "--out", s(&bundle)],
        ] {
            let msg = refused(&st.ws, &args, 1);
            let why = msg.contains("changed on disk after it was staged") && msg.contains("ceremony discard");
            assert!(msg.contains(&expected) && why, "{args:?}: {msg}");
        }
        assert!(!bundle.exists(), "{} exists", bundle.display());
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, &original).unwrap();
    }
    // Restored bytes are accepted again; a discard and a new promotion work.
    ok(&st.ws, &["status"]);
    let path = st.staged_file("claimed");
    let before = workspace_snapshot(&st.ws);
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"{\"signatures\":[],\"signed\":{}}").unwrap();
    assert_ne!(workspace_snapshot(&st.ws), before);
    ok(&st.ws, &["discard", "claimed"]);
    ok(&st.ws, &["claimed", "promote", s(&rc)]);
    st.sign_all(&["alice", "bob"]);
    ok(&st.ws, &["bundle", "export", "--out", s(&st.files.join("b.tar"))]);
}

// ------------------------------------------------------------------------------------
// Bundles: headers tar reads otherwise, and unpacking with ceremony instead of tar.

/// Where each member's header starts in a tar archive.
fn header_offsets(tar: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at..at + 512].iter().any(|b| *b != 0) {
        out.push(at);
        let size_field = std::str::from_utf8(&tar[at + 124..at + 135]).unwrap();
        let size = usize::from_str_radix(size_field.trim_matches(char::from(0)), 8).unwrap();
        at += 512 + size.div_ceil(512) * 512;
    }
    out
}

/// `tar` with the header of its member `name` changed by `edit`, the checksum made to match
/// again unless `edit` returns false.
fn with_header(tar: &[u8], name: &str, edit: impl Fn(&mut [u8]) -> bool) -> Vec<u8> {
    let mut out = tar.to_vec();
    let at = header_offsets(tar).into_iter().find(|at| tar[*at..].starts_with(name.as_bytes())).unwrap();
    let h = &mut out[at..at + 512];
    if edit(h) {
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    }
    out
}

/// The size field rewritten in GNU's base-256 form (a flag byte, then big-endian).
fn base256_size(h: &mut [u8]) -> bool {
    let size = usize::from_str_radix(std::str::from_utf8(&h[124..135]).unwrap(), 8).unwrap();
    h[124..136].fill(0);
    h[124] = 0x80;
    h[128..136].copy_from_slice(&(size as u64).to_be_bytes());
    true
}

/// The name's first byte changed and the checksum left as it was.
fn renamed_keeping_the_checksum(h: &mut [u8]) -> bool {
    h[0] = b'M';
    false
}

/// `tar` with `member` (a whole header and its data) inserted before its first member.
fn with_member_first(tar: &[u8], member: Vec<u8>) -> Vec<u8> {
    let mut out = member;
    out.extend_from_slice(tar);
    out
}

/// A raw member: header fields as `tar -x` reads them, type `kind`.
fn raw_member(name: &str, kind: u8, link: &str, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// What GNU tar lists for an archive.
fn tar_list(dir: &Path, bytes: &[u8]) -> Vec<String> {
    let f = dir.join("listed.tar");
    std::fs::write(&f, bytes).unwrap();
    let out = std::process::Command::new("tar").arg("-tf").arg(&f).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

/// An exported bundle and the root it was exported under, for bundle tests.
fn exported() -> (Setup, PathBuf, PathBuf) {
    let st = setup();
    let root = st.files.join("1.root.json");
    std::fs::copy(st.ws.join("current/trusted/root/1.root.json"), &root).unwrap();
    let bundle = st.files.join("bootstrap.tar");
    (st, bundle, root)
}

#[test]
fn bundle_headers_tar_reads_otherwise_are_refused() {
    let (st, bundle, root) = exported();
    let good = std::fs::read(&bundle).unwrap();
    let member = "metadata/1.root.json";
    // The header the issue found: ustar magic with another version, which the tar crate
    // reads as a pre-POSIX header (no prefix) and GNU tar as ustar, prefix and all.
    let prefixed = with_header(&good, member, |h| {
        h[263..265].copy_from_slice(b"  ");
        h[345..349].copy_from_slice(b"evil");
        true
    });
    let listed = tar_list(&st.files, &prefixed);
    assert!(listed.contains(&format!("evil/{member}")), "GNU tar lists {listed:?}");
    let set = |range: std::ops::Range<usize>, bytes: &'static [u8]| {
        move |h: &mut [u8]| {
            h[range.clone()].copy_from_slice(bytes);
            true
        }
    };
    // Header fields set to what the tar crate and GNU tar may read differently.
    let fields: [(&str, std::ops::Range<usize>, &'static [u8]); 11] = [
        ("prefix after a NUL", 345..350, b"\0evil"),
        ("prefix", 345..353, b"metadata"),
        ("GNU magic", 257..265, b"ustar  \0"),
        ("type NUL", 156..157, b"\0"),
        ("bytes after the name", 40..44, b"evil"),
        ("non-octal mode", 100..108, b"0000x44\0"),
        ("setuid mode", 100..108, b"0004644\0"),
        ("owner name", 265..270, b"alice"),
        ("device number", 329..337, b"0000001\0"),
        ("link name", 157..161, b"evil"),
        ("pad bytes", 500..504, b"evil"),
    ];
    // Members a bundle never holds, put first: (variant, name, type, link name, data).
    let members: [(&str, &str, u8, &str, &[u8]); 10] = [
        ("pax header", "pax", b'x', "", b"30 path=metadata/9.root.json\n"),
        ("pax global header", "pax", b'g', "", b"30 path=metadata/9.root.json\n"),
        ("GNU long name", "././@LongLink", b'L', "", b"metadata/9.root.json\0"),
        ("GNU long link", "././@LongLink", b'K', "", b"/etc/passwd\0"),
        ("symlink", "metadata/9.root.json", b'2', "/etc/passwd", b""),
        ("hard link", "metadata/9.root.json", b'1', "manifest.json", b""),
        ("character device", "metadata/9.root.json", b'3', "", b""),
        ("dot-dot name", "metadata/../x.json", b'0', "", b"{}"),
        ("absolute name", "/tmp/1.root.json", b'0', "", b"{}"),
        ("duplicate", "manifest.json", b'0', "", b"{}"),
    ];
    let mut variants: Vec<(&str, Vec<u8>)> = vec![
        ("ustar version blank, prefix set", prefixed),
        ("base-256 size", with_header(&good, member, base256_size)),
        ("checksum mismatch", with_header(&good, member, renamed_keeping_the_checksum)),
    ];
    variants.extend(fields.into_iter().map(|(what, range, bytes)| (what, with_header(&good, member, set(range, bytes)))));
    let first = |(what, name, kind, link, data): (&'static str, &str, u8, &str, &[u8])| {
        (what, with_member_first(&good, raw_member(name, kind, link, data)))
    };
    variants.extend(members.into_iter().map(first));
    let mut trailing = good.clone();
    trailing.extend_from_slice(&raw_member("metadata/9.root.json", b'0', "", b"{}"));
    variants.push(("a member after the end", trailing));
    let mut garbage = good.clone();
    garbage.extend_from_slice(b"garbage");
    variants.push(("trailing garbage", garbage));

    ok(&st.ws, &["bundle", "verify", s(&bundle), "--trusted-root", s(&root)]);
    for (what, bytes) in variants {
        let f = st.files.join("crafted.tar");
        std::fs::write(&f, &bytes).unwrap();
        let msg = refused(&st.ws, &["bundle", "verify", s(&f), "--trusted-root", s(&root)], 2);
        assert!(msg.contains("not a usable bundle"), "{what}: {msg}");
        let out = st.files.join("crafted-out");
        let msg = refused(&st.ws, &["bundle", "extract", s(&f), "--trusted-root", s(&root), "--out", s(&out)], 2);
        assert!(msg.contains("not a usable bundle"), "{what}: {msg}");
        assert!(!out.exists(), "{what}: extract made {}", out.display());
    }
}

/// Every member of a tar archive: (name, bytes).
fn members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(bytes);
    let mut out = Vec::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        out.push((name, data));
    }
    out
}

/// Every file under `dir`, relative: (name, bytes).
fn contents_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in common::files_under(dir) {
        out.push((e.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&e).unwrap()));
    }
    out.sort();
    out
}

#[test]
fn bundle_extract_writes_only_what_verified() {
    let (st, bundle, root) = exported();
    let out = st.files.join("import");
    let text = ok(&st.ws, &["bundle", "extract", s(&bundle), "--trusted-root", s(&root), "--out", s(&out)]);
    assert!(text.contains("The bundle verifies"), "{text}");
    let mut expected = members(&std::fs::read(&bundle).unwrap());
    expected.sort();
    assert_eq!(contents_under(&out), expected);
    let md = out.join("metadata");
    let judged = run_python("judge.py", &[OsStr::new("bundle-dir"), md.as_os_str(), OsStr::new("--trusted-root"), root.as_os_str()]);
    let verdict: Value = serde_json::from_slice(&judged).unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");

    // An empty directory that exists is fine; one with anything in it is refused, untouched.
    let empty = st.files.join("empty");
    std::fs::create_dir(&empty).unwrap();
    ok(&st.ws, &["bundle", "extract", s(&bundle), "--trusted-root", s(&root), "--out", s(&empty)]);
    let msg = refused(&st.ws, &["bundle", "extract", s(&bundle), "--trusted-root", s(&root), "--out", s(&out)], 2);
    assert!(msg.contains("not an empty directory"), "{msg}");
    assert_eq!(contents_under(&out), expected);

    // A bundle that reads but does not verify under the root given: nothing is written.
    let other = setup();
    let other_root = other.files.join("1.root.json");
    std::fs::copy(other.ws.join("current/trusted/root/1.root.json"), &other_root).unwrap();
    let nowhere = st.files.join("nowhere");
    let msg = refused(&st.ws, &["bundle", "extract", s(&bundle), "--trusted-root", s(&other_root), "--out", s(&nowhere)], 1);
    assert!(msg.contains("does not verify"), "{msg}");
    assert!(!nowhere.exists(), "{} exists", nowhere.display());
}

/// ceremony-scripts/online-import.sh unpacks with `ceremony bundle extract`: a demo bundle
/// goes through; a bundle whose header tar would read as another path is refused and
/// nothing is laid out. (tests/runbooks.rs runs it too, but needs the token stack.)
#[test]
fn online_import_unpacks_with_ceremony() {
    let script = repo_root().join("ceremony-scripts/online-import.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        !text.lines().any(|l| !l.trim_start().starts_with('#') && l.contains("tar ")),
        "online-import.sh still runs tar: one matches `|l| !l.trim_start().starts_with('#') && l.contains(\"tar \")`: {:?}",
        text
    );
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["demo", "--dir", s(&demo), "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = PathBuf::from(summary["bundles"][0]["path"].as_str().unwrap());
    let root = PathBuf::from(summary["trusted_root"].as_str().unwrap());
    let anchor = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(std::fs::read(&root).unwrap()));
    let published = tmp.path().join("published");
    std::fs::create_dir(&published).unwrap();
    let run_with = |bundle: &Path, publish: &Path, anchor: &str| {
        std::process::Command::new("bash")
            .arg(&script)
            .env("CEREMONY", env!("CARGO_BIN_EXE_ceremony"))
            .env("CEREMONY_RUNBOOK_NONINTERACTIVE", "1")
            .env("CEREMONY_RUNBOOK_BUNDLE", bundle)
            .env("CEREMONY_RUNBOOK_TRUSTED_ROOT", &root)
            .env("CEREMONY_RUNBOOK_TRUSTED_ROOT_SHA256", anchor)
            .env("CEREMONY_RUNBOOK_PUBLISHED", &published)
            .env("CEREMONY_RUNBOOK_PUBLISH", publish)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let run = |bundle: &Path, publish: &Path| run_with(bundle, publish, &anchor);
    // A root file that is not the one read out at the ceremony: nothing is laid out.
    let swapped = tmp.path().join("publish-swapped");
    let refused_run = run_with(&first, &swapped, &"0".repeat(64));
    assert_eq!(refused_run.status.code(), Some(1), "{}", String::from_utf8_lossy(&refused_run.stdout));
    assert!(
        String::from_utf8_lossy(&refused_run.stderr).contains("read out at the ceremony"),
        "expected {:?} to contain {:?}",
        String::from_utf8_lossy(&refused_run.stderr),
        "read out at the ceremony"
    );
    assert!(!swapped.exists(), "a root without the anchor's digest was trusted: {} exists", swapped.display());
    let publish = tmp.path().join("publish");
    let done = run(&first, &publish);
    let text = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success() && text.contains("The bundle verifies"), "{text}{}", String::from_utf8_lossy(&done.stderr));
    let mut expected = members(&std::fs::read(&first).unwrap());
    expected.sort();
    assert_eq!(contents_under(&publish), expected);

    // What it laid out is published; the rotation's bundle goes through, then the
    // promotion's, handed over after it (root v1 only), is refused as a replay and nothing
    // is laid out. (The bootstrap's again would be accepted: every file of it is published.)
    let publish_into = |from: &Path| {
        for e in std::fs::read_dir(from.join("metadata")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), published.join(e.file_name())).unwrap();
        }
    };
    publish_into(&publish);
    let second = PathBuf::from(summary["bundles"][2]["path"].as_str().unwrap());
    let publish2 = tmp.path().join("publish-2");
    let done = run(&second, &publish2);
    assert!(done.status.success(), "{}{}", String::from_utf8_lossy(&done.stdout), String::from_utf8_lossy(&done.stderr));
    publish_into(&publish2);
    let replayed = tmp.path().join("publish-replayed");
    let older = PathBuf::from(summary["bundles"][1]["path"].as_str().unwrap());
    let refused_run = run(&older, &replayed);
    assert_eq!(refused_run.status.code(), Some(1), "{}", String::from_utf8_lossy(&refused_run.stdout));
    assert!(String::from_utf8_lossy(&refused_run.stderr).contains("replay"), "{}", String::from_utf8_lossy(&refused_run.stderr));
    assert!(!replayed.exists() || contents_under(&replayed).is_empty(), "a replayed bundle was laid out: {:?}", contents_under(&replayed));

    let crafted = tmp.path().join("crafted.tar");
    let bytes = with_header(&std::fs::read(&first).unwrap(), "metadata/1.root.json", |h| {
        h[263..265].copy_from_slice(b"  ");
        h[345..349].copy_from_slice(b"evil");
        true
    });
    std::fs::write(&crafted, bytes).unwrap();
    let publish = tmp.path().join("publish-crafted");
    let refused_run = run(&crafted, &publish);
    assert!(!refused_run.status.success(), "{}", String::from_utf8_lossy(&refused_run.stdout));
    assert!(!publish.exists() || contents_under(&publish).is_empty(), "the crafted bundle was laid out: {:?}", contents_under(&publish));
}
