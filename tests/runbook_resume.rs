//! The runbooks with passphrase holders only (no token stack, seconds instead of minutes):
//! a runbook stopped by a refusal and run again with the same settings goes on where it
//! stopped (issue 16: "a promotion is already staged" was a dead end); the staged review is
//! on screen before the checklist question about it; the date the operator types is
//! checked against the machine's clock.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo_root, run_python};

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A rehearsal's settings: carol and dave with passphrases, the online key from python-tuf.
struct Room {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Room {
    fn new() -> Room {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut env = vec![
            ("CEREMONY".to_string(), env!("CARGO_BIN_EXE_ceremony").to_string()),
            ("CEREMONY_WORKSPACE".to_string(), s(&dir.join("ws"))),
            ("CEREMONY_RUNBOOK_NONINTERACTIVE".to_string(), "1".to_string()),
            ("CEREMONY_RUNBOOK_KDF_PROFILE".to_string(), "test".to_string()),
            ("CEREMONY_RUNBOOK_DATE".to_string(), today()),
        ];
        for h in ["carol", "dave"] {
            let p = dir.join(format!("{h}.secret"));
            std::fs::write(&p, format!("{h} keeps seven quiet granite teapots\n")).unwrap();
            env.push((format!("CEREMONY_RUNBOOK_SECRET_{}", h.to_uppercase()), s(&p)));
        }
        let online = dir.join("online");
        run_python("pep480.py", &[OsStr::new("keygen"), online.as_os_str()]);
        Room { _tmp: tmp, dir, env }
    }

    fn run(&self, script: &str, extra: &[(&str, String)]) -> Run {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("ceremony-scripts").join(script)).current_dir(&self.dir).stdin(std::process::Stdio::null());
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd.envs(extra.iter().map(|(k, v)| (*k, v.as_str())));
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn bootstrap(&self, signers: &str) -> Run {
        self.run(
            "bootstrap.sh",
            &[
                ("CEREMONY_RUNBOOK_USB", s(&self.dir.join("usb-bootstrap"))),
                ("CEREMONY_RUNBOOK_HOLDERS", "carol:passphrase dave:passphrase".into()),
                ("CEREMONY_RUNBOOK_ONLINE_KEY", s(&self.dir.join("online.pub.json"))),
                ("CEREMONY_RUNBOOK_SIGNERS", signers.into()),
            ],
        )
    }

    fn promotion(&self, recently_claimed: &Path, signers: &str, previous_head: &str) -> Run {
        self.run(
            "promotion.sh",
            &[
                ("CEREMONY_RUNBOOK_USB", s(&self.dir.join("usb-promotion"))),
                ("CEREMONY_RUNBOOK_RECENTLY_CLAIMED", s(recently_claimed)),
                ("CEREMONY_RUNBOOK_SIGNERS", signers.into()),
                ("CEREMONY_RUNBOOK_PREVIOUS_HEAD", previous_head.into()),
            ],
        )
    }

    fn bundle(&self, usb: &str) -> PathBuf {
        std::fs::read_dir(self.dir.join(usb))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension() == Some(OsStr::new("tar")))
            .unwrap_or_else(|| panic!("no bundle in {usb}"))
    }

    /// python-tuf, trusting only root v1, accepts the bundle's metadata.
    fn judged(&self, bundle: &Path) {
        let out = self.dir.join(format!("x-{}", bundle.file_stem().unwrap().to_string_lossy()));
        let root1 = self.dir.join("usb-bootstrap/1.root.json");
        let ok = Command::new(env!("CARGO_BIN_EXE_ceremony"))
            .args(["bundle", "extract"])
            .arg(bundle)
            .arg("--trusted-root")
            .arg(&root1)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        let md = out.join("metadata");
        let args = [OsStr::new("bundle-dir"), md.as_os_str(), OsStr::new("--trusted-root"), root1.as_os_str()];
        let verdict: serde_json::Value = serde_json::from_slice(&run_python("judge.py", &args)).unwrap();
        assert_eq!(verdict["ok"], true, "{verdict}");
    }
}

/// The closing head a runbook's `ceremony end` printed for the paper record: (hex, words).
fn closing_head(text: &str) -> (String, String) {
    let last = |label: &str| {
        let line = text.lines().rev().find_map(|l| l.trim().strip_prefix(label)).unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
        line.trim().to_string()
    };
    (last("closing head:"), last("closing head words:"))
}

fn position(text: &str, what: &str) -> usize {
    text.find(what).unwrap_or_else(|| panic!("{what:?} is not in:\n{text}"))
}

#[test]
fn a_stopped_bootstrap_and_promotion_go_on_when_run_again() {
    let room = Room::new();
    // dave does not come: carol signs, and the export is refused below the threshold of 2.
    let first = room.bootstrap("carol");
    assert_ne!(first.code, 0, "{}", first.stdout);
    assert!(first.stdout.contains("carol signs"), "{}", first.stdout);
    assert!(first.stderr.contains("the command above was refused"), "{}", first.stderr);
    // The review is on screen before the question about what is on screen.
    let review = position(&first.stdout, "== root ==");
    assert!(
        review < position(&first.stdout, "the roles, keys and thresholds on screen are the ones agreed"),
        "expected `review < position(&first.stdout, \"the roles, keys and thresholds on screen are the ones agreed\")`, got {:?} and {:?}",
        review,
        position(&first.stdout, "the roles, keys and thresholds on screen are the ones agreed")
    );
    assert!(first.stdout.contains("read aloud and compare"), "{}", first.stdout);

    // Run again with dave there: nothing is registered or staged twice, carol is not asked
    // again, dave signs, and the bundle goes out.
    let again = room.bootstrap("carol dave");
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    for said in [
        "The workspace exists",
        "carol is already registered",
        "dave.claimed is already registered",
        "The online key is already registered",
        "Root version 1 is already staged",
        "The top-level targets are already staged",
        "carol has nothing left to sign",
        "dave signs",
    ] {
        assert!(again.stdout.contains(said), "{said:?} is not in:\n{}", again.stdout);
    }
    assert!(position(&again.stdout, "== targets ==") < position(&again.stdout, "the roles, keys and thresholds on screen"), "expected `position(&again.stdout, \"== targets ==\") < position(&again.stdout, \"the roles, keys and thresholds on screen\")`, got {:?} and {:?}", position(&again.stdout, "== targets =="), position(&again.stdout, "the roles, keys and thresholds on screen"));
    // The trust anchor: export prints it, the runbook shows the stick's copy, and the room
    // reads it aloud and writes it down before the record is printed.
    let anchor = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(room.dir.join("usb-bootstrap/1.root.json")).unwrap()))
    };
    let read_out = position(&again.stdout, "read the SHA-256 of 1.root.json and its six words aloud");
    assert!(position(&again.stdout, "SHA-256 of the file 1.root.json (the trust anchor):") < read_out, "{}", again.stdout);
    assert!(again.stdout.matches(&anchor).count() >= 2, "export and sha256sum both show {anchor}:\n{}", again.stdout);
    assert!(read_out < position(&again.stdout, "--yes report --out"), "{}", again.stdout);
    let boot = room.bundle("usb-bootstrap");
    room.judged(&boot);
    // The closing head is printed for the paper record; the next runbook is given it.
    let (boot_hex, boot_words) = closing_head(&again.stdout);
    assert_eq!(boot_hex.len(), 64, "{}", again.stdout);
    assert!(again.stdout.contains("written by hand on the printed report"), "{}", again.stdout);

    // The online side's recently-claimed, made by python-tuf with the online key.
    let paths = Command::new(env!("CARGO_BIN_EXE_ceremony")).args(["project", "paths", "foo", "bar-baz", "--json"]).output().unwrap();
    let paths_file = room.dir.join("paths.json");
    std::fs::write(&paths_file, &paths.stdout).unwrap();
    std::fs::create_dir_all(room.dir.join("dev")).unwrap();
    let rc = room.dir.join("recently-claimed.json");
    let args: Vec<String> = vec![
        "recently-claimed".into(),
        "--online".into(),
        s(&room.dir.join("online.seed")),
        "--paths".into(),
        s(&paths_file),
        "--out".into(),
        s(&rc),
        "--version".into(),
        "1".into(),
        "--dev-dir".into(),
        s(&room.dir.join("dev")),
    ];
    run_python("pep480.py", &args.iter().map(OsStr::new).collect::<Vec<_>>());

    // The promotion stops after staging (only carol signs), then goes on: the dead end of
    // "a promotion is already staged" is gone.
    // A closing head that is not the workspace's stops the runbook at begin, before staging;
    // none at all, in a run that cannot ask, is refused by name.
    let wrong = room.promotion(&rc, "carol", &"ab".repeat(32));
    assert_eq!(wrong.code, 1, "{}", wrong.stdout);
    assert!(wrong.stderr.contains("not the workspace sealed after the last ceremony"), "{}", wrong.stderr);
    assert!(!wrong.stdout.contains("--yes claimed promote"), "{}", wrong.stdout);
    let unset = room.promotion(&rc, "carol", "");
    assert_eq!(unset.code, 2, "{}", unset.stdout);
    assert!(unset.stderr.contains("set CEREMONY_RUNBOOK_PREVIOUS_HEAD"), "{}", unset.stderr);
    assert!(position(&unset.stdout, "paper record") < unset.stdout.find("preflight").unwrap_or(usize::MAX), "asked before preflight: expected `position(&unset.stdout, \"paper record\") < unset.stdout.find(\"preflight\").unwrap_or(usize::MAX)`, got {:?} and {:?}", position(&unset.stdout, "paper record"), unset.stdout.find("preflight").unwrap_or(usize::MAX));

    let first = room.promotion(&rc, "carol", &boot_words);
    assert_ne!(first.code, 0, "{}", first.stdout);
    assert!(first.stdout.contains("--yes claimed promote"), "{}", first.stdout);
    assert!(position(&first.stdout, "== claimed ==") < position(&first.stdout, "the batch on screen"), "{}", first.stdout);
    let again = room.promotion(&rc, "carol dave", &boot_hex);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    // The question about the transcript head is answered by the tool, from what was typed.
    assert!(again.stdout.contains("The last closed ceremony closed at the head on the paper record"), "{}", again.stdout);
    assert!(again.stdout.contains("A promotion is already staged"), "{}", again.stdout);
    assert!(!again.stdout.contains("--yes claimed promote"), "promoted twice:\n{}", again.stdout);
    assert!(again.stdout.contains("carol has nothing left to sign") && again.stdout.contains("dave signs"), "{}", again.stdout);
    assert!(position(&again.stdout, "== claimed ==") < position(&again.stdout, "the batch on screen"), "{}", again.stdout);
    assert!(again.stdout.contains("--yes bundle export"), "{}", again.stdout);
    assert!(!again.stdout.contains("trust anchor"), "a promotion carries no new root:\n{}", again.stdout);
    let promo = room.bundle("usb-promotion");
    room.judged(&promo);

    // Stopped after the export (the report step, say): the bundle is not exported twice.
    // The promotion was closed: run again, it begins from the promotion's closing head.
    let (promo_hex, _) = closing_head(&again.stdout);
    assert_ne!(promo_hex, boot_hex);
    let third = room.promotion(&rc, "carol dave", &promo_hex);
    assert_eq!(third.code, 0, "{}\n{}", third.stdout, third.stderr);
    assert!(third.stdout.contains("already on the USB stick"), "{}", third.stdout);
    assert!(!third.stdout.contains("--yes bundle export"), "{}", third.stdout);
}

#[test]
fn the_date_typed_must_be_the_clocks() {
    let room = Room::new();
    let wrong = room.run(
        "bootstrap.sh",
        &[
            ("CEREMONY_RUNBOOK_USB", s(&room.dir.join("usb"))),
            ("CEREMONY_RUNBOOK_HOLDERS", "carol:passphrase".into()),
            ("CEREMONY_RUNBOOK_ONLINE_KEY", s(&room.dir.join("online.pub.json"))),
            ("CEREMONY_RUNBOOK_DATE", "2001-02-03".into()),
        ],
    );
    assert_eq!(wrong.code, 1, "{}", wrong.stdout);
    let clock = today();
    assert!(wrong.stderr.contains(&format!("the machine's clock says {clock} (UTC) but today is 2001-02-03")), "{}", wrong.stderr);
    assert!(!room.dir.join("ws").exists(), "nothing is made before the clock is right: {} exists", room.dir.join("ws").display());

    // A non-interactive run never prompts: without the setting it is refused by name.
    let unset = room.run(
        "bootstrap.sh",
        &[
            ("CEREMONY_RUNBOOK_USB", s(&room.dir.join("usb"))),
            ("CEREMONY_RUNBOOK_HOLDERS", "carol:passphrase".into()),
            ("CEREMONY_RUNBOOK_ONLINE_KEY", s(&room.dir.join("online.pub.json"))),
            ("CEREMONY_RUNBOOK_DATE", String::new()),
        ],
    );
    assert_eq!(unset.code, 2, "{}", unset.stdout);
    assert!(unset.stderr.contains("set CEREMONY_RUNBOOK_DATE"), "{}", unset.stderr);

    // `ceremony preflight --date` makes the same check, with no workspace to judge by.
    let ws = room.dir.join("none");
    let out = common::ceremony(&ws, &["preflight", "--date", "2001-02-03"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains(&format!("fail: date: the clock says {clock} (UTC) but the date typed is 2001-02-03")), "{text}");
    let out = common::ceremony(&ws, &["preflight", "--date", &clock]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("pass: date:"), "{}", String::from_utf8_lossy(&out.stdout));
    let out = common::ceremony(&ws, &["preflight", "--date", "03/02/2001"]);
    assert_eq!(out.status.code(), Some(2));
}
