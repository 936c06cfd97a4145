//! What a keyholder sees and types on a real terminal: the binary runs on a pseudo-terminal
//! (tests/common/pty.rs), answering the prompts as a person would.

mod common;

use std::path::Path;

use ceremony::keys::signer::{Signer, SoftwareSigner};
use ceremony::tuf::key::Algorithm;
use common::workspace::Setup;
use common::{ceremony, ok};

/// A workspace with alice (passphrase, test KDF) and a staged root she alone signs.
fn staged_root() -> Setup {
    let st = Setup::with_holders(&["alice"]);
    st.import_online("online");
    ok(
        &st.ws,
        &[
            "root", "init", "--root", "alice", "--root-threshold", "1", "--targets", "alice", "--targets-threshold", "1", "--snapshot",
            "online", "--timestamp", "online",
        ],
    );
    st
}

/// alice's passphrase, as `common::passphrase_file` wrote it.
const ALICE: &str = "alice keeps seven quiet granite teapots";

/// `sign --holder alice` on a terminal: at each step, once the text shows, the keys are
/// typed as they are (Enter included); then alice types her passphrase, and the root must
/// be signed.
fn signs_at_the_terminal(steps: &[(&str, &str)]) {
    let st = staged_root();
    let mut t = common::pty::spawn(&st.ws, &["sign", "--holder", "alice"]);
    for (text, keys) in steps {
        t.expect(text);
        t.type_keys(keys);
    }
    t.expect("Passphrase of alice");
    t.type_line(ALICE);
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("Signed root version 1 with alice's key"), "{screen}");
    assert_eq!(root_signatures(&st.ws), 1);
}

/// How many of root's signatures the staged root holds: 0 proves nothing was signed.
fn root_signatures(ws: &Path) -> u64 {
    let out = ceremony(ws, &["--json", "status"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = v["staged"].as_array().unwrap().iter().find(|r| r["role"] == "root").unwrap();
    root["thresholds"][0]["have"].as_u64().unwrap()
}

#[test]
fn a_keyholder_signs_at_the_terminal() {
    signs_at_the_terminal(&[("== root ==", ""), ("with the key(s) of alice?", "yes\n")]);
}

/// A SIGTERM, SIGHUP or SIGINT sent while the passphrase prompt has echo off ends `sign` as
/// the signal does, and the terminal the holder gets back echoes again.
#[test]
fn a_signal_during_a_hidden_prompt_gives_the_terminal_its_mode_back() {
    use rexpect::process::Signal;
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    never_signed(&[Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT], |mut t, signal| {
        let master = t.master();
        t.expect("with the key(s) of alice? Type yes or no:");
        // rexpect starts the program with echo off; a person's terminal echoes.
        let mut modes = tcgetattr(&master).unwrap();
        modes.local_modes.insert(LocalModes::ECHO);
        tcsetattr(&master, OptionalActions::Now, &modes).unwrap();
        t.type_line("yes");
        t.expect("Passphrase of alice");
        // The prompt's mode (no echo, no line editing) is on before the signal is sent.
        common::watchdog::wait_until("the prompt to turn line editing off", || {
            !tcgetattr(&master).unwrap().local_modes.contains(LocalModes::ICANON)
        });
        let got = tcgetattr(&master).unwrap().local_modes;
        assert!(!got.contains(LocalModes::ECHO), "expected {:?} not to contain {:?}", got, LocalModes::ECHO);
        t.signal(signal);
        let (code, screen) = t.finish();
        assert_eq!(code, 128 + signal as i32, "{signal}: {screen}");
        let after = tcgetattr(&master).unwrap().local_modes;
        assert!(after.contains(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG), "{signal} left the terminal as {after:?}");
    });
}

/// `sign --holder alice` over one staged root, once per case on a fresh terminal that `drive`
/// answers; after each, the root is still unsigned.
fn never_signed<C: Copy + std::fmt::Debug>(cases: &[C], drive: impl Fn(common::pty::Pty, C)) {
    let st = staged_root();
    for &case in cases {
        drive(common::pty::spawn(&st.ws, &["sign", "--holder", "alice"]), case);
        assert_eq!(root_signatures(&st.ws), 0, "{case:?}");
    }
}

/// A lone `y` (the habit of `[y/N]` prompts) is asked again, and keys typed ahead of a
/// prompt are dropped: `y`, Enter and more typed at once never reach the passphrase prompt.
#[test]
fn keys_typed_ahead_never_reach_the_passphrase_prompt() {
    // `yes` and, before the passphrase prompt is on screen, a hurried `y`, Enter and more:
    // without the flush the prompt would take `y` as the passphrase and refuse.
    signs_at_the_terminal(&[("with the key(s) of alice? Type yes or no:", "y\nextra\n"), ("Please type yes or no:", "yes\ny\nextra\n")]);
}

/// `no`, an empty line and Ctrl-D each refuse, and nothing is signed.
#[test]
fn no_empty_line_and_ctrl_d_refuse_to_sign() {
    never_signed(&["no\n", "\n", "\x04"], |mut t, keys| {
        t.expect("Type yes or no:");
        t.type_keys(keys);
        let (code, screen) = t.finish();
        assert_eq!(code, 1, "{keys:?}: {screen}");
        assert!(screen.contains("not confirmed; nothing was signed"), "{keys:?}: {screen}");
        assert!(!screen.contains("Passphrase of alice"), "{keys:?}: {screen}");
    });
}

/// A secret the signing will need and cannot get is refused before the review is shown
/// and confirmed: no terminal and no file, or a file that cannot be read.
#[test]
fn a_missing_secret_is_refused_before_the_review() {
    let st = staged_root();
    let ws = &st.ws;
    let out = ceremony(ws, &["--yes", "sign", "--holder", "alice"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no terminal to type the passphrase on; pass --passphrase-file F"), "{stderr}");
    assert!(!stdout.contains("== root =="), "{stdout}");

    let missing = st.files.join("no-such.pass");
    let mut t = common::pty::spawn(ws, &["sign", "--holder", "alice", "--passphrase-file", missing.to_str().unwrap()]);
    let (code, screen) = {
        t.expect("cannot read");
        t.finish()
    };
    assert_eq!(code, 2, "{screen}");
    assert!(!screen.contains("== root ==") && !screen.contains("Type yes or no"), "{screen}");
    assert_eq!(root_signatures(ws), 0);
}

/// The words of a generated passphrase are shown once: a typo when typing them back asks
/// again instead of throwing away what the holder just wrote down.
#[test]
fn a_mistyped_generated_passphrase_gets_another_try() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(&ws, &["init"]);
    let mut t = common::pty::spawn(&ws, &["key", "new", "passphrase", "--holder", "bob", "--kdf-profile", "test"]);
    t.expect("press Enter to get a generated one");
    t.type_line("");
    let shown = t.expect("Press Enter when you have written it down");
    let words = shown.lines().find(|l| l.starts_with("    ")).expect("the words on screen").trim().to_string();
    t.type_line("");
    t.expect("Type the passphrase from what you wrote down");
    t.type_line(&words.replacen(' ', "  ", 1));
    t.expect("type it again (2 tries left)");
    t.expect("Type the passphrase from what you wrote down");
    t.type_line(&words);
    let (code, screen) = t.finish();
    assert_eq!(code, 0, "{screen}");

    // The key is bob's: the words typed back derive it again.
    let pf = tmp.path().join("bob.pass");
    std::fs::write(&pf, format!("{words}\n")).unwrap();
    ok(
        &ws,
        &[
            "key",
            "new",
            "passphrase",
            "--holder",
            "bob",
            "--for",
            "claimed",
            "--passphrase-file",
            pf.to_str().unwrap(),
            "--kdf-profile",
            "test",
        ],
    );

    // Three wrong tries: refused, nothing stored.
    let mut t = common::pty::spawn(&ws, &["key", "new", "passphrase", "--holder", "carol", "--kdf-profile", "test"]);
    t.expect("press Enter to get a generated one");
    t.type_line("");
    t.expect("Press Enter when you have written it down");
    t.type_line("");
    for _ in 0..3 {
        t.expect("Type the passphrase from what you wrote down");
        t.type_line("not the words");
    }
    let (code, screen) = t.finish();
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("differs from the generated passphrase 3 times; nothing was stored"), "{screen}");
    let list = String::from_utf8_lossy(&ceremony(&ws, &["key", "list"]).stdout).to_string();
    assert!(list.contains("bob") && !list.contains("carol"), "{list}");
}

/// A runbook on a terminal asks for today's date (a bootstrap has no workspace to judge the
/// clock by) and stops when the clock says another day; its questions take whole words.
#[test]
fn a_runbook_asks_the_date_and_stops_on_a_wrong_one() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("online.json");
    std::fs::write(&key, SoftwareSigner::generate(Algorithm::Ed25519).public_key().to_json_text()).unwrap();
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(common::repo_root().join("ceremony-scripts/bootstrap.sh"));
    cmd.env("CEREMONY", env!("CARGO_BIN_EXE_ceremony"))
        .env("CEREMONY_WORKSPACE", tmp.path().join("ws"))
        .env("CEREMONY_RUNBOOK_USB", tmp.path().join("usb"))
        .env("CEREMONY_RUNBOOK_HOLDERS", "carol:passphrase")
        .env("CEREMONY_RUNBOOK_ONLINE_KEY", &key)
        .env_remove("CEREMONY_RUNBOOK_NONINTERACTIVE")
        .env_remove("CEREMONY_RUNBOOK_DATE")
        .env("TERM", "dumb");
    let mut t = common::pty::spawn_command(cmd, "bootstrap.sh");
    t.expect("Done? [yes/no]");
    t.type_line("y");
    t.expect("type yes or no");
    t.type_line("yes");
    for _ in 0..2 {
        t.expect("Done? [yes/no]");
        t.type_line("yes");
    }
    t.expect("Today's date in UTC, from a watch or phone, as YYYY-MM-DD:");
    t.type_line("2001-02-03");
    let (code, screen) = t.finish();
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("but today is 2001-02-03; set the clock right"), "{screen}");
    assert!(!tmp.path().join("ws").exists(), "nothing is made before the clock is right: {} exists", tmp.path().join("ws").display());
}

/// `ceremony begin` at a terminal without --previous-head asks for the previous closing
/// head, saying where it is on paper, and takes its words as typed.
#[test]
fn begin_asks_for_the_previous_closing_head_at_the_terminal() {
    let st = Setup::new();
    ok(&st.ws, &["begin", "--purpose", "First", "--place", "Room 1", "--previous-head", "none"]);
    ok(&st.ws, &["end", "--bag", "TEB-1"]);
    let words = ceremony::audit::ceremonies::head_words(&common::last_hash(&st.ws));
    let begin = ["begin", "--purpose", "Second", "--place", "Room 1"];
    // A wrong head is refused.
    let mut pty = common::pty::spawn(&st.ws, &begin);
    pty.expect("signed paper record");
    pty.expect("six words");
    pty.type_line("abandon ability able about above absent");
    let (code, screen) = pty.finish();
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("not the workspace sealed after the last ceremony"), "{screen}");
    // The right words, typed in capitals, open ceremony 2.
    let mut pty = common::pty::spawn(&st.ws, &begin);
    pty.expect("closing head");
    pty.type_line(&words.to_uppercase());
    pty.expect("Began ceremony 2");
    let (code, screen) = pty.finish();
    assert_eq!(code, 0, "{screen}");
}
