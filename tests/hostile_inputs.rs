//! Hostile inputs to every command that reads a file (issue 7, item 1).
//!
//! One table: for every *slot* (a file some command reads: a root given to `verify
//! root-chain`, a key file for `key import`, a signatures file, a bundle and its members,
//! the `--trusted-root`, and each kind of file inside the workspace) and every *class* of
//! hostile content (empty, truncated, not JSON, 100,000 nesting levels, a 50 MB string,
//! duplicate keys, floats, negative and enormous integers, wrong types, zero thresholds,
//! unknown key types, keyids that do not match their keys, malformed PEM and hex, control
//! characters), the real `ceremony` binary must:
//!
//! - exit with 1 or 2 (never 0, never a panic's 101, never a signal);
//! - print exactly one non-empty line on stderr, starting `ceremony: `, with no panic text
//!   and no `RUST_BACKTRACE` hint, and short (a sentence, not the hostile bytes);
//! - never hang: a child still running after the shared hang guard's limit (minutes,
//!   tests/common/watchdog.rs) is killed and reported as hung (a kill, not a speed assertion);
//! - leave the workspace byte-identical (every file, directory and link of its tree).
//!
//! Each slot is first run with its valid content (the control), which must succeed, so a
//! refusal below is caused by the hostile content and nothing else. docs/hostile-inputs.md
//! lists the table. Classes that cannot apply to a slot (a threshold in a key file) are
//! listed there as n/a and are not generated.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::key::Algorithm;
use serde_json::{json, Value};

use common::watchdog;
use common::workspace::Setup;
use common::{dir_tree as tree, ok, passphrase_file};
use sha2::{Digest, Sha256};

/// A refusal is one sentence; this is generous for one.
const MAX_STDERR: usize = 2048;
const FIFTY_MB: usize = 50 * 1000 * 1000;
const DEPTH: usize = 100_000;

// ------------------------------------------------------------------------------------
// Running the binary

struct Run {
    code: Option<i32>,
    stderr: String,
    /// Killed by the hang guard (tests/common/watchdog.rs).
    hung: bool,
}

/// Runs `ceremony --workspace WS ARGS` with no stdin, under the shared hang guard.
fn run(ws: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ceremony"));
    cmd.arg("--workspace").arg(ws).args(args).stdin(Stdio::null()).env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
    let done = watchdog::run(&mut cmd);
    Run { code: done.status.code(), stderr: String::from_utf8_lossy(&done.stderr).into_owned(), hung: done.hung }
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success(), "cp -a {} {}: {status}", from.display(), to.display());
}

// ------------------------------------------------------------------------------------
// The fixture: a workspace with trusted root 1 and a staged, fully signed root 2

struct Fixture {
    _tmp: tempfile::TempDir,
    /// The template workspace (never run on directly).
    ws: PathBuf,
    files: PathBuf,
    /// `trusted/root/1.root.json`, as valid metadata.
    root1: Vec<u8>,
    /// The bundle `bundle export` wrote for root 1.
    bundle1: Vec<u8>,
    /// A key file for `key import` (a new key).
    key_file: Vec<u8>,
    /// bob's signatures over the staged root 2.
    sig_file: Vec<u8>,
    alice_keyid: String,
}

/// Ceremony keeps staged roles' signatures apart from their files (`staged/collected.sigs`);
/// its reader also takes them from the file itself. Moving them into the file makes the
/// staged root a complete signed document, which the slots below both use as an input and
/// corrupt.
fn fold_signatures_into_staged_root(ws: &Path) {
    let state = ws.join("current");
    let (file, sigs) = (state.join("staged/root.json"), state.join("staged/collected.sigs"));
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let collected: Value = serde_json::from_slice(&std::fs::read(&sigs).unwrap()).unwrap();
    assert_eq!(collected.as_object().unwrap().len(), 1, "only the root is staged");
    doc["signatures"] = collected["root"].clone();
    // Replaced, not written through: the file is a hard link shared with earlier states.
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    std::fs::remove_file(&sigs).unwrap();
}

fn fixture() -> Fixture {
    let st = Setup::with_holders(&["alice", "bob"]);
    st.import_online("online");
    st.root_init("alice,bob", "1", "alice");
    st.sign("alice");
    let b1 = st.files.join("b1.tar");
    ok(&st.ws, &["bundle", "export", "--out", b1.to_str().unwrap()]);
    ok(&st.ws, &["root", "rotate", "--root-threshold", "2"]);
    st.sign("alice");
    st.sign("bob");
    let sigs = st.files.join("bob.sigs.json");
    ok(&st.ws, &["signature", "export", "--holder", "bob", "--out", sigs.to_str().unwrap()]);
    fold_signatures_into_staged_root(&st.ws);
    let root1 = std::fs::read(st.ws.join("current/trusted/root/1.root.json")).unwrap();
    let holder: Value = serde_json::from_slice(&std::fs::read(st.ws.join("current/holders/alice.json")).unwrap()).unwrap();
    let key = SoftwareSigner::generate(Algorithm::EcdsaP256);
    Fixture {
        root1,
        bundle1: std::fs::read(&b1).unwrap(),
        key_file: key.public_key().to_json_text(),
        sig_file: std::fs::read(&sigs).unwrap(),
        alice_keyid: holder["keyid"].as_str().unwrap().to_string(),
        _tmp: st._tmp,
        ws: st.ws,
        files: st.files,
    }
}

// ------------------------------------------------------------------------------------
// Hostile content

/// A JSON value to put somewhere; `Raw` is spliced in as text (floats, huge integers).
#[derive(Clone)]
enum Put {
    Json(Value),
    Raw(String),
}

/// Where each class of structural change goes in one kind of file (JSON pointers).
#[derive(Default, Clone)]
struct Points {
    /// An integer field.
    int: Option<&'static str>,
    /// A threshold.
    threshold: Option<String>,
    /// A key object (keytype, scheme, keyval.public).
    key: Option<String>,
    /// A hex string (signature, digest, keyid).
    hex: Option<String>,
    /// A field whose type is an object or list.
    object: Option<&'static str>,
    /// A string field that can carry 50 MB and control characters.
    string: Option<String>,
    /// Makes a keyid disagree with its key.
    keyid_mismatch: Option<fn(&mut Value, &str)>,
}

fn set(doc: &mut Value, pointer: &str, value: Value) {
    *doc.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer} in the base document")) = value;
}

const SENTINEL: &str = "@@HOSTILE@@";

/// Content written as a sparse 300 MiB file of zeros instead (over the 256 MiB metadata cap).
const SPARSE: &[u8] = b"@@SPARSE-300-MIB@@";

fn write_input(path: &Path, bytes: &[u8]) {
    if bytes == SPARSE {
        let f = std::fs::File::create(path).unwrap();
        f.set_len(300 << 20).unwrap();
    } else {
        std::fs::write(path, bytes).unwrap();
    }
}

fn with(doc: &Value, pointer: &str, put: Put) -> Vec<u8> {
    let mut d = doc.clone();
    match put {
        Put::Json(v) => {
            set(&mut d, pointer, v);
            serde_json::to_vec(&d).unwrap()
        }
        Put::Raw(text) => {
            set(&mut d, pointer, Value::String(SENTINEL.into()));
            let s = serde_json::to_string(&d).unwrap();
            s.replacen(&format!("\"{SENTINEL}\""), &text, 1).into_bytes()
        }
    }
}

/// Every hostile variant of a JSON document: (class, name, bytes).
fn json_variants(base: &[u8], points: &Points, keyid_for_mismatch: &str) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let mut add = |class: &'static str, name: &str, bytes: Vec<u8>| out.push((class, name.to_string(), bytes));
    add("empty", "empty", Vec::new());
    add("empty", "whitespace", b" \n\t\n".to_vec());
    add("truncated", "half", base[..base.len() / 2].to_vec());
    add("truncated", "last byte cut", base[..base.len() - 2].to_vec());
    add("not JSON", "text", b"this is not JSON\n".to_vec());
    add("not JSON", "binary", (0u8..=255).rev().cycle().take(4096).collect());
    add("not JSON", "invalid UTF-8 in a string", {
        let mut b = b"{\"a\":\"".to_vec();
        b.extend_from_slice(&[0xff, 0xfe, 0xc0, 0x80]);
        b.extend_from_slice(b"\"}");
        b
    });
    add("not JSON", "trailing data", [base, b" {}"].concat());
    add("not JSON", "byte order mark", [&b"\xEF\xBB\xBF"[..], base].concat());
    add("nesting", "100,000 arrays", ["[".repeat(DEPTH), "]".repeat(DEPTH)].concat().into_bytes());
    add("nesting", "100,000 objects", ["{\"a\":".repeat(DEPTH), "1".into(), "}".repeat(DEPTH)].concat().into_bytes());
    add("nesting", "100,000 unclosed", "[{\"a\":".repeat(DEPTH).into_bytes());
    add("50 MB string", "top level", [&b"\""[..], &vec![b'A'; FIFTY_MB], b"\""].concat());
    add("file size", "300 MiB (sparse), over every cap", SPARSE.to_vec());

    let doc: Value = serde_json::from_slice(base).unwrap();
    if let Value::Object(map) = &doc {
        // Duplicate the first member (alphabetically: serde_json's map is sorted), a known field.
        let compact = serde_json::to_string(&doc).unwrap();
        if let Some((k, v)) = map.iter().next() {
            let member = format!("{}:{}", serde_json::to_string(k).unwrap(), serde_json::to_string(v).unwrap());
            add("duplicate keys", "first member twice", format!("{{{member},{}", &compact[1..]).into_bytes());
        }
        let mut nested = doc.clone();
        if let Some(p) = points.key.as_deref() {
            if let Some(Value::Object(k)) = nested.pointer_mut(p) {
                k.insert("keytype".into(), json!("ed25519"));
            }
            // `{"keytype":"x","keytype":"y"}` inside a key object.
            let s = serde_json::to_string(&nested).unwrap();
            let dup = s.replacen("\"keytype\":", "\"keytype\":\"rsa\",\"keytype\":", 1);
            add("duplicate keys", "keytype twice in a key", dup.into_bytes());
        }
    }
    if let Some(p) = points.int {
        add("floats", "1.5", with(&doc, p, Put::Raw("1.5".into())));
        add("floats", "1.0", with(&doc, p, Put::Raw("1.0".into())));
        add("floats", "1e3", with(&doc, p, Put::Raw("1e3".into())));
        add("floats", "NaN", with(&doc, p, Put::Raw("NaN".into())));
        add("negative integers", "-1", with(&doc, p, Put::Raw("-1".into())));
        add("negative integers", "i64::MIN", with(&doc, p, Put::Raw(i64::MIN.to_string())));
        add("enormous integers", "u64::MAX + 1", with(&doc, p, Put::Raw("18446744073709551616".into())));
        add("enormous integers", "i64::MAX", with(&doc, p, Put::Raw(i64::MAX.to_string())));
        add("enormous integers", "5000 digits", with(&doc, p, Put::Raw("9".repeat(5000))));
        add("wrong types", "integer as string", with(&doc, p, Put::Json(json!("1"))));
        add("wrong types", "integer as null", with(&doc, p, Put::Json(Value::Null)));
    }
    if let Some(p) = points.object {
        add("wrong types", "object as string", with(&doc, p, Put::Json(json!("x"))));
        add("wrong types", "object as list", with(&doc, p, Put::Json(json!([1, 2]))));
    }
    add("wrong types", "list at top level", b"[1, 2, 3]".to_vec());
    if let Some(p) = &points.threshold {
        add("zero thresholds", "0", with(&doc, p, Put::Json(json!(0))));
        add("zero thresholds", "-0", with(&doc, p, Put::Raw("-0".into())));
        add("floats", "threshold 1.0", with(&doc, p, Put::Raw("1.0".into())));
        add("enormous integers", "threshold u64::MAX", with(&doc, p, Put::Json(json!(u64::MAX))));
    }
    if let Some(p) = &points.key {
        let key = |keytype: &str, scheme: &str, public: &str| {
            let mut d = doc.clone();
            let k = d.pointer_mut(p).unwrap();
            k["keytype"] = json!(keytype);
            k["scheme"] = json!(scheme);
            k["keyval"] = json!({"public": public});
            serde_json::to_vec(&d).unwrap()
        };
        let hex32 = "ab".repeat(32);
        add("unknown key types", "dsa", key("dsa", "dsa-sha1", &hex32));
        add("unknown key types", "ed448", key("ed448", "ed448", &hex32));
        add("unknown key types", "ed25519 with ecdsa scheme", key("ed25519", "ecdsa-sha2-nistp256", &hex32));
        let pem = |body: &str| format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n");
        add("malformed PEM", "not base64", key("ecdsa", "ecdsa-sha2-nistp256", &pem("!!not base64!!")));
        add(
            "malformed PEM",
            "no end line",
            key("ecdsa", "ecdsa-sha2-nistp256", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"),
        );
        add(
            "malformed PEM",
            "wrong label",
            key("ecdsa", "ecdsa-sha2-nistp256", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        );
        add("malformed PEM", "truncated DER", key("ecdsa", "ecdsa-sha2-nistp256", &pem("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")));
        add("malformed PEM", "RSA PEM garbage", key("rsa", "rsassa-pss-sha256", &pem("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")));
        add(
            "malformed PEM",
            "P-256 key under P-384 scheme",
            key("ecdsa", "ecdsa-sha2-nistp384", &pem("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAAAA")),
        );
        add("malformed hex", "ed25519 not hex", key("ed25519", "ed25519", &"zz".repeat(32)));
        add("malformed hex", "ed25519 odd length", key("ed25519", "ed25519", &"a".repeat(63)));
        add("malformed hex", "ed25519 31 bytes", key("ed25519", "ed25519", &"ab".repeat(31)));
        add("malformed hex", "ed25519 upper-case non-point", key("ed25519", "ed25519", &"FF".repeat(32)));
        add(
            "malformed hex",
            "ecdsa hex point garbage",
            key("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", &format!("04{}", "zz".repeat(64))),
        );
        add("wrong types", "keyval.public as number", {
            let mut d = doc.clone();
            d.pointer_mut(p).unwrap()["keyval"] = json!({"public": 7});
            serde_json::to_vec(&d).unwrap()
        });
        add("wrong types", "key as list", with(&doc, p, Put::Json(json!(["ed25519"]))));
    }
    if let Some(p) = &points.hex {
        add("malformed hex", "not hex", with(&doc, p, Put::Json(json!("zz".repeat(32)))));
        add("malformed hex", "odd length", with(&doc, p, Put::Json(json!("abc"))));
        add("malformed hex", "empty", with(&doc, p, Put::Json(json!(""))));
        add("malformed hex", "upper case", with(&doc, p, Put::Json(json!("AB".repeat(32)))));
        add("control characters", "escaped NUL in hex", with(&doc, p, Put::Json(json!("ab\u{0}cd"))));
    }
    if let Some(p) = &points.string {
        add("50 MB string", "in a field", with(&doc, p, Put::Json(Value::String("A".repeat(FIFTY_MB)))));
        add("control characters", "escaped ESC sequence", with(&doc, p, Put::Json(json!("x\u{1b}[31mred\u{1b}[0m\r\nsecond line"))));
        add("control characters", "escaped NUL", with(&doc, p, Put::Json(json!("a\u{0}b"))));
        add("control characters", "raw newline and bell in a string", with(&doc, p, Put::Raw("\"a\nb\u{7}\"".into())));
        add("control characters", "lone surrogate escape", with(&doc, p, Put::Raw("\"\\ud800\"".into())));
    }
    add("control characters", "raw control bytes between tokens", {
        let mut b = base.to_vec();
        b.insert(1, 0x01);
        b
    });
    if let Some(f) = points.keyid_mismatch {
        let mut d = doc.clone();
        f(&mut d, keyid_for_mismatch);
        add("keyid mismatch", "keyid of another key", serde_json::to_vec(&d).unwrap());
    }
    out
}

/// Makes a key in `signed.keys` appear under another keyid (in `keys` and every role).
fn root_keyid_mismatch(doc: &mut Value, keyid: &str) {
    let other = "f".repeat(64);
    let signed = &mut doc["signed"];
    if let Some(key) = signed["keys"].as_object_mut().and_then(|k| k.remove(keyid)) {
        signed["keys"][other.as_str()] = key;
    }
    for role in signed["roles"].as_object_mut().unwrap().values_mut() {
        for id in role["keyids"].as_array_mut().unwrap() {
            if id == keyid {
                *id = json!(other);
            }
        }
    }
    for s in doc["signatures"].as_array_mut().unwrap() {
        if s["keyid"] == keyid {
            s["keyid"] = json!(other);
        }
    }
}

fn root_points(keyid: &str) -> Points {
    Points {
        int: Some("/signed/version"),
        threshold: Some("/signed/roles/root/threshold".into()),
        key: Some(format!("/signed/keys/{keyid}")),
        hex: Some("/signatures/0/sig".into()),
        object: Some("/signed/roles"),
        string: Some("/signatures/0/keyid".into()),
        keyid_mismatch: Some(root_keyid_mismatch),
    }
}

// ------------------------------------------------------------------------------------
// The table

/// One row: a file, where it goes, the commands that read it.
struct Slot {
    name: &'static str,
    variants: Vec<(&'static str, String, Vec<u8>)>,
    /// Runs the commands that read the file on a fresh copy of the workspace; each returns
    /// (command, result). The closure writes the hostile bytes where they belong.
    place: Placement,
}

enum Placement {
    /// A file outside the workspace; `{}` in the arguments is its path.
    Outside { commands: Vec<Vec<String>>, extra: Option<(&'static str, Vec<u8>)> },
    /// A file inside the workspace's current state, at this relative path.
    Inside { rel: String, commands: Vec<Vec<String>> },
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// One hostile variant of a file: its class, its name, its bytes.
type Variant = (&'static str, String, Vec<u8>);

/// A file outside the workspace, read by `command` (`{}` its path, `{extra}` the extra file's).
fn outside(name: &'static str, variants: Vec<Variant>, command: &[&str], extra: Option<(&'static str, Vec<u8>)>) -> Slot {
    Slot { name, variants, place: Placement::Outside { commands: vec![args(command)], extra } }
}

/// A file of the workspace's current state, at the path its slot name gives after `workspace `.
fn inside(name: &'static str, variants: Vec<Variant>, commands: Vec<Vec<String>>) -> Slot {
    let rel = name.strip_prefix("workspace ").expect("an inside slot is named after its file").to_string();
    Slot { name, variants, place: Placement::Inside { rel, commands } }
}

struct Failure(String);

fn check(slot: &str, class: &str, name: &str, command: &[String], r: &Run, changed: bool) -> Result<(), Failure> {
    let what = format!("[{slot} / {class} / {name}] `ceremony {}`", command.join(" "));
    let first: String = r.stderr.chars().take(300).collect();
    if r.hung {
        let limit = watchdog::HANG_LIMIT.as_secs();
        return Err(Failure(format!("{what}: expected an exit, got none: killed by the hang guard after {limit} s (it hung)")));
    }
    if !matches!(r.code, Some(1) | Some(2)) {
        return Err(Failure(format!("{what}: exit {:?} (want 1 or 2); stderr: {first}", r.code)));
    }
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() != 1 || !lines[0].starts_with("ceremony: ") || lines[0].len() <= "ceremony: ".len() {
        return Err(Failure(format!("{what}: want one line `ceremony: ...` on stderr, got {} lines: {first}", lines.len())));
    }
    if r.stderr.contains("panicked") || r.stderr.contains("RUST_BACKTRACE") {
        return Err(Failure(format!("{what}: panic text on stderr: {first}")));
    }
    if r.stderr.len() > MAX_STDERR {
        return Err(Failure(format!("{what}: stderr is {} bytes, over {MAX_STDERR}: {first}", r.stderr.len())));
    }
    if r.stderr.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Failure(format!("{what}: control characters on stderr: {first:?}")));
    }
    if changed {
        return Err(Failure(format!("{what}: the workspace changed")));
    }
    Ok(())
}

/// Runs one slot's control and every variant; returns failures.
fn run_slot(fx: &Fixture, slot: &Slot, scratch: &Path) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut runs = 0;
    let ws = scratch.join("ws");
    let file = scratch.join("input");
    let extra = scratch.join("extra");
    let fresh = || {
        let _ = std::fs::remove_dir_all(&ws);
        copy_dir(&fx.ws, &ws);
    };
    let expand = |cmd: &[String]| -> Vec<String> {
        cmd.iter().map(|a| a.replace("{}", file.to_str().unwrap()).replace("{extra}", extra.to_str().unwrap())).collect()
    };
    // The control: the valid content is accepted by every command.
    let (commands, target): (&Vec<Vec<String>>, PathBuf) = match &slot.place {
        Placement::Outside { commands, extra: e } => {
            if let Some((_, bytes)) = e {
                std::fs::write(&extra, bytes).unwrap();
            }
            (commands, file.clone())
        }
        Placement::Inside { rel, commands } => (commands, ws.join("current").join(rel)),
    };
    for (class, name, bytes) in &slot.variants {
        for cmd in commands {
            fresh();
            write_input(&target, bytes);
            let before = tree(&ws);
            let cmd = expand(cmd);
            let argv: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let r = run(&ws, &argv);
            runs += 1;
            let changed = tree(&ws) != before;
            if let Err(Failure(f)) = check(slot.name, class, name, &cmd, &r, changed) {
                failures.push(f);
            }
        }
    }
    (failures, runs)
}

/// The valid content of each slot passes every command: proves the refusals are the content's.
fn run_control(fx: &Fixture, slot: &Slot, base: &[u8], scratch: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let ws = scratch.join("control-ws");
    let file = scratch.join("control-input");
    let extra = scratch.join("control-extra");
    let (commands, target) = match &slot.place {
        Placement::Outside { commands, extra: e } => {
            if let Some((_, bytes)) = e {
                std::fs::write(&extra, bytes).unwrap();
            }
            (commands, file.clone())
        }
        Placement::Inside { rel, commands } => (commands, ws.join("current").join(rel)),
    };
    for cmd in commands {
        let _ = std::fs::remove_dir_all(&ws);
        copy_dir(&fx.ws, &ws);
        std::fs::write(&target, base).unwrap();
        let cmd: Vec<String> =
            cmd.iter().map(|a| a.replace("{}", file.to_str().unwrap()).replace("{extra}", extra.to_str().unwrap())).collect();
        let argv: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let r = run(&ws, &argv);
        if r.code != Some(0) {
            failures.push(format!("[{} / control] `ceremony {}` exit {:?}: {}", slot.name, cmd.join(" "), r.code, r.stderr));
        }
    }
    failures
}

// ------------------------------------------------------------------------------------
// Bundles

/// A ustar archive as `write_bundle` makes it, from (name, bytes) in order.
fn tar_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, bytes.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

/// The members of a bundle, in order.
fn untar(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = tar::Archive::new(bytes);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            (name, b)
        })
        .collect()
}

/// The bundle with member `name` replaced by `bytes` and the manifest updated to list them.
fn bundle_with(members: &[(String, Vec<u8>)], name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut members = members.to_vec();
    for m in members.iter_mut().filter(|m| m.0 == name) {
        m.1 = bytes.to_vec();
    }
    if name != "manifest.json" {
        let mut manifest: Value = serde_json::from_slice(&members[0].1).unwrap();
        for f in manifest["files"].as_array_mut().unwrap() {
            if f["path"] == name {
                f["sha256"] = json!(hex::encode(Sha256::digest(bytes)));
                f["length"] = json!(bytes.len());
            }
        }
        members[0].1 = serde_json::to_vec_pretty(&manifest).unwrap();
    }
    tar_of(&members)
}

fn bundle_level_variants(valid: &[u8]) -> Vec<(&'static str, String, Vec<u8>)> {
    let members = untar(valid);
    let mut out: Vec<(&'static str, String, Vec<u8>)> = vec![
        ("empty", "empty".into(), Vec::new()),
        ("truncated", "half".into(), valid[..valid.len() / 2].to_vec()),
        ("truncated", "mid-header".into(), valid[..700].to_vec()),
        ("not JSON", "text, not a tar".into(), b"this is not a tar archive\n".to_vec()),
        ("nesting", "100,000 arrays, not a tar".into(), "[".repeat(DEPTH).into_bytes()),
        ("50 MB string", "50 MB of 'A'".into(), vec![b'A'; FIFTY_MB]),
        ("control characters", "zeros only".into(), vec![0u8; 10240]),
        ("not JSON", "trailing data".into(), [valid, &[b'x'; 512][..]].concat()),
    ];
    // A member with a control character, `..`, an absolute path in its name; a symlink.
    for (name, label) in [
        ("metadata/1.ro\u{1b}ot.json", "control character in a member name"),
        ("../1.root.json", "dot-dot member name"),
        ("/etc/passwd", "absolute member name"),
    ] {
        let mut m = members.clone();
        m.push((name.to_string(), b"{}".to_vec()));
        let mut b = tar::Builder::new(Vec::new());
        for (n, bytes) in &m {
            let mut h = tar::Header::new_ustar();
            // set_path refuses some of these: write the raw name bytes instead.
            let raw = n.as_bytes();
            h.as_old_mut().name[..raw.len()].copy_from_slice(raw);
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            b.append(&h, bytes.as_slice()).unwrap();
        }
        out.push(("control characters", label.into(), b.into_inner().unwrap()));
    }
    // A 50 MB member that is not listed.
    let mut m = members.clone();
    m.push(("metadata/9.big.json".into(), vec![b' '; FIFTY_MB]));
    out.push(("50 MB string", "unlisted 50 MB member".into(), tar_of(&m)));
    out
}

// ------------------------------------------------------------------------------------

#[test]
fn every_command_refuses_hostile_files_plainly_without_changing_the_workspace() {
    let fx = fixture();
    let root_doc_points = root_points(&fx.alice_keyid);
    let root_variants = || json_variants(&fx.root1, &root_doc_points, &fx.alice_keyid);
    let staged: Vec<u8> = std::fs::read(fx.ws.join("current/staged/root.json")).unwrap();
    let holder: Vec<u8> = std::fs::read(fx.ws.join("current/holders/alice.json")).unwrap();
    let transcript: Vec<u8> = std::fs::read(fx.ws.join("current/transcript.jsonl")).unwrap();
    let policy = b"{\"max_expiry_days\": 1095}\n".to_vec();
    let bundle_members = untar(&fx.bundle1);

    let ws_commands = || {
        vec![
            args(&["status"]),
            args(&["sign", "--holder", "bob", "--passphrase-file", &passphrase_file(&fx.files, "bob"), "--yes"]),
            args(&["bundle", "export", "--out", "{extra}"]),
        ]
    };

    let verify_with_root1 = || ["bundle", "verify", "{}", "--trusted-root", "{extra}"];
    let root1_extra = || Some(("root", fx.root1.clone()));
    // A member of bundle 1 replaced by each variant of it, the archive otherwise intact.
    let member = |name: &str, variants: Vec<Variant>| -> Vec<Variant> {
        variants.into_iter().map(|(c, n, b)| (c, n, bundle_with(&bundle_members, name, &b))).collect()
    };
    let manifest = bundle_members[0].1.clone();
    let manifest_points = Points {
        int: Some("/format_version"),
        hex: Some("/files/0/sha256".into()),
        object: Some("/files"),
        string: Some("/tool".into()),
        ..Points::default()
    };
    let transcript_member = bundle_members.iter().find(|m| m.0 == "transcript.jsonl").unwrap().1.clone();
    let key_points = Points {
        int: Some("/keyval/public"),
        key: Some(String::new()),
        object: Some("/keyval"),
        string: Some("/keytype".into()),
        keyid_mismatch: Some(|d: &mut Value, _| d["keyid"] = json!("f".repeat(64))),
        ..Points::default()
    };
    let sig_points = Points {
        int: Some("/signatures/0/version"),
        hex: Some("/signatures/0/sig".into()),
        object: Some("/signatures"),
        string: Some("/holder".into()),
        keyid_mismatch: Some(|d: &mut Value, keyid: &str| d["signatures"][0]["keyid"] = json!(keyid)),
        ..Points::default()
    };
    let holder_points = Points {
        int: Some("/source/memory_kib"),
        key: Some("/key".into()),
        hex: Some("/keyid".into()),
        object: Some("/source"),
        string: Some("/holder".into()),
        keyid_mismatch: Some(|d: &mut Value, _| d["keyid"] = json!("f".repeat(64))),
        ..Points::default()
    };
    let policy_points = Points { int: Some("/max_expiry_days"), object: None, ..Points::default() };
    let staged_variants = || json_variants(&staged, &root_points(&fx.alice_keyid), &fx.alice_keyid);

    let slots: Vec<(Slot, Vec<u8>)> = vec![
        (outside("verify root-chain FILE", root_variants(), &["verify", "root-chain", "{}"], None), fx.root1.clone()),
        (
            outside(
                "verify root-chain ROOT1 FILE (as successor)",
                staged_variants(),
                &["verify", "root-chain", "{extra}", "{}"],
                Some(("root1", fx.root1.clone())),
            ),
            staged.clone(),
        ),
        // `root import` wants a workspace without a trusted root: a fresh one is made from the
        // template below (holders only) by running it on a workspace copy whose trusted root
        // is removed. Simpler and just as hostile: import into the template, where the valid
        // control is an import of the root the workspace already trusts.
        (outside("root import FILE", root_variants(), &["root", "import", "{}"], None), Vec::new()),
        (
            outside(
                "key import --holder H FILE",
                json_variants(&fx.key_file, &key_points, ""),
                &["key", "import", "--holder", "carol", "{}"],
                None,
            ),
            fx.key_file.clone(),
        ),
        (
            outside(
                "signature import FILE",
                json_variants(&fx.sig_file, &sig_points, &fx.alice_keyid),
                &["signature", "import", "{}"],
                None,
            ),
            fx.sig_file.clone(),
        ),
        (
            outside(
                "bundle verify --trusted-root FILE",
                root_variants(),
                &["bundle", "verify", "{extra}", "--trusted-root", "{}"],
                Some(("bundle", fx.bundle1.clone())),
            ),
            fx.root1.clone(),
        ),
        (
            outside("bundle verify FILE (the archive)", bundle_level_variants(&fx.bundle1), &verify_with_root1(), root1_extra()),
            fx.bundle1.clone(),
        ),
        (
            outside(
                "bundle verify FILE (manifest.json member)",
                member("manifest.json", json_variants(&manifest, &manifest_points, "")),
                &verify_with_root1(),
                root1_extra(),
            ),
            fx.bundle1.clone(),
        ),
        (
            outside(
                "bundle verify FILE (metadata/1.root.json member)",
                member("metadata/1.root.json", root_variants()),
                &verify_with_root1(),
                root1_extra(),
            ),
            fx.bundle1.clone(),
        ),
        (
            outside(
                "bundle verify FILE (transcript.jsonl member)",
                member("transcript.jsonl", transcript_variants(&transcript_member)),
                &verify_with_root1(),
                root1_extra(),
            ),
            fx.bundle1.clone(),
        ),
        (inside("workspace trusted/root/1.root.json", root_variants(), ws_commands()), fx.root1.clone()),
        (inside("workspace staged/root.json", staged_variants(), ws_commands()), staged.clone()),
        (inside("workspace holders/alice.json", json_variants(&holder, &holder_points, ""), ws_commands()), holder.clone()),
        (inside("workspace transcript.jsonl", transcript_variants(&transcript), ws_commands()), transcript.clone()),
        (inside("workspace policy.json", json_variants(&policy, &policy_points, ""), ws_commands()), policy.clone()),
    ];

    let only = std::env::var("HOSTILE_ONLY").ok();
    let failures = Mutex::new(Vec::new());
    let total = Mutex::new(0usize);
    let queue = Mutex::new(slots.into_iter().filter(|(s, _)| only.as_deref().is_none_or(|o| s.name.contains(o))).collect::<Vec<_>>());
    let scratch = tempfile::tempdir().unwrap();
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (fx, failures, total, queue, scratch) = (&fx, &failures, &total, &queue, scratch.path());
            scope.spawn(move || loop {
                let Some((slot, base)) = queue.lock().unwrap().pop() else { break };
                let dir = scratch.join(format!("w{worker}"));
                std::fs::create_dir_all(&dir).unwrap();
                let mut f = if base.is_empty() { Vec::new() } else { run_control(fx, &slot, &base, &dir) };
                let (more, runs) = run_slot(fx, &slot, &dir);
                f.extend(more);
                eprintln!("{}: {} variants, {runs} runs, {} failures", slot.name, slot.variants.len(), f.len());
                *total.lock().unwrap() += runs;
                failures.lock().unwrap().extend(f);
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!("{} runs in all", total.into_inner().unwrap());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Hostile transcripts: the generic variants of its last record, plus whole-file ones.
fn transcript_variants(transcript: &[u8]) -> Vec<(&'static str, String, Vec<u8>)> {
    let text = std::str::from_utf8(transcript).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (head, last) = (lines[..lines.len() - 1].join("\n") + "\n", lines[lines.len() - 1]);
    let mut out: Vec<(&'static str, String, Vec<u8>)> = json_variants(
        last.as_bytes(),
        &Points { int: Some("/seq"), hex: Some("/hash".into()), object: None, string: Some("/action".into()), ..Points::default() },
        "",
    )
    .into_iter()
    .map(|(c, n, b)| (c, format!("last record: {n}"), [head.as_bytes(), &b, b"\n"].concat()))
    .collect();
    out.push(("empty", "no records at all".into(), Vec::new()));
    out.push(("truncated", "first record only, cut".into(), lines[0].as_bytes()[..lines[0].len() / 2].to_vec()));
    out.push(("control characters", "NUL line".into(), [transcript, b"\0\n"].concat()));
    out
}
