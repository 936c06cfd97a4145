//! Reading secrets for commands: from `--passphrase-file F` / `--pin-file F`, or from the
//! terminal without echo. Never from argv or the environment; never printed except a
//! generated passphrase, shown once on the terminal itself (not on stdout, which may be a
//! log file).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use zeroize::Zeroizing;

use super::common::Refusal;
use crate::keys::signer::passphrase::{
    check_strength, generate_passphrase, generated_entropy_bits, PassphraseError, PassphraseSigner, Weakness, GENERATED_WORDS,
};
use crate::support::secret::{read_secret_file, SecretBytes};

/// A place to ask for secrets: the real terminal, or a script in tests.
pub(crate) trait Console {
    /// Asks with `prompt` and reads one line without echo (line ending removed).
    fn ask_hidden(&mut self, prompt: &str) -> std::io::Result<Zeroizing<String>>;
    /// Tells the person something (not secret).
    fn say(&mut self, text: &str);
    /// Shows a secret on the screen only (never on stdout or stderr).
    fn show_secret(&mut self, text: &str) -> std::io::Result<()>;
    /// Clears the screen and its scrollback, after a secret was shown.
    fn clear(&mut self);
}

/// The controlling terminal: prompts and secrets go to /dev/tty, input is read from it.
pub(crate) struct Terminal;

impl Console for Terminal {
    fn ask_hidden(&mut self, prompt: &str) -> std::io::Result<Zeroizing<String>> {
        crate::support::secret::read_hidden_line(prompt)
    }

    fn say(&mut self, text: &str) {
        eprintln!("{text}");
    }

    fn show_secret(&mut self, text: &str) -> std::io::Result<()> {
        let mut tty = std::fs::OpenOptions::new().write(true).open("/dev/tty")?;
        tty.write_all(text.as_bytes())?;
        tty.flush()
    }

    fn clear(&mut self) {
        // Erase the screen, the scrollback and move home.
        let _ = self.show_secret("\x1b[2J\x1b[3J\x1b[H");
    }
}

/// A person's answer to a yes/no question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Yes,
    No,
    /// Neither word: asked again.
    Unclear,
}

/// Reads a whole typed line as an answer: only the word `yes` agrees, so a lone `y` (a
/// keypress habit from `[y/N]` prompts) cannot approve a signature. `no`, an empty line and
/// the end of input (Ctrl-D, `None`) refuse.
pub(crate) fn answer(line: Option<&str>) -> Answer {
    match line.map(|l| l.trim().to_ascii_lowercase()) {
        None => Answer::No,
        Some(l) if l == "yes" => Answer::Yes,
        Some(l) if l == "no" || l.is_empty() => Answer::No,
        Some(_) => Answer::Unclear,
    }
}

/// Asks `question` on the terminal until the person types `yes` or `no` (see [`answer`]).
/// Keys typed before the question was on screen are dropped first.
pub(crate) fn ask_yes_no(question: &str) -> std::io::Result<bool> {
    use std::io::BufRead;
    let tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let mut prompt = format!("{question} Type yes or no: ");
    loop {
        crate::support::secret::discard_pending_input(&tty);
        (&tty).write_all(prompt.as_bytes())?;
        (&tty).flush()?;
        let mut line = String::new();
        // A terminal in line mode hands over one line per read, so nothing typed after
        // this line is consumed here.
        let read = std::io::BufReader::new(&tty).read_line(&mut line)?;
        match answer((read > 0).then_some(line.as_str())) {
            Answer::Yes => return Ok(true),
            Answer::No => return Ok(false),
            Answer::Unclear => prompt = "Please type yes or no: ".to_string(),
        }
    }
}

/// Asks `prompt` on the terminal and reads one visible line (not a secret); `None` at the
/// end of input (Ctrl-D). Keys typed before the prompt was on screen are dropped first.
pub(crate) fn ask_line(prompt: &str) -> std::io::Result<Option<String>> {
    use std::io::BufRead;
    let tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    crate::support::secret::discard_pending_input(&tty);
    (&tty).write_all(prompt.as_bytes())?;
    (&tty).flush()?;
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line)?;
    Ok((read > 0).then_some(line))
}

/// True when a person can be asked: standard input is a terminal.
pub(crate) fn have_terminal() -> bool {
    std::io::stdin().is_terminal()
}

pub(crate) fn no_terminal(what: &str, flag: &str) -> Refusal {
    Refusal::unusable(format!("there is no terminal to type the {what} on; pass {flag} F (a file whose first line is the {what})"))
}

fn terminal_failed(e: std::io::Error) -> Refusal {
    terminal_failed_for(SecretKind::Passphrase, e)
}

fn terminal_failed_for(kind: SecretKind, e: std::io::Error) -> Refusal {
    if e.kind() == std::io::ErrorKind::Interrupted {
        return Refusal::failed("interrupted at the prompt; nothing was done");
    }
    Refusal::unusable(format!("cannot read from the terminal: {e}; pass {} F instead", kind.flag()))
}

/// Which secret is asked for: it decides the words and the flag a refusal names, so a
/// holder asked for a PIN is never told to pass a passphrase file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretKind {
    Passphrase,
    Pin,
}

impl SecretKind {
    fn noun(self) -> &'static str {
        match self {
            SecretKind::Passphrase => "passphrase",
            SecretKind::Pin => "PIN",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            SecretKind::Passphrase => "--passphrase-file",
            SecretKind::Pin => "--pin-file",
        }
    }
}

/// The passphrase of an existing key: the first line of `file`, or typed on the terminal
/// after `prompt` (twice when `confirm`). Refused (exit 2) without a terminal and a file.
pub(crate) fn read_passphrase(file: Option<&Path>, prompt: &str, confirm: bool) -> Result<SecretBytes, Refusal> {
    read_secret(SecretKind::Passphrase, file, prompt, confirm)
}

/// A token's PIN: the first line of `file` (`--pin-file`), or typed on the terminal.
pub(crate) fn read_pin(file: Option<&Path>, prompt: &str) -> Result<SecretBytes, Refusal> {
    read_secret(SecretKind::Pin, file, prompt, false)
}

/// Refuses early when a secret of `kind` could not be had later: `file` unreadable or empty,
/// or no file and no terminal to type it on.
pub(crate) fn check_secret_source(kind: SecretKind, file: Option<&Path>) -> Result<(), Refusal> {
    match file {
        Some(file) => read_secret_file(file).map(drop).map_err(|e| Refusal::unusable(e.to_string())),
        None if have_terminal() => Ok(()),
        None => Err(no_terminal(kind.noun(), kind.flag())),
    }
}

fn read_secret(kind: SecretKind, file: Option<&Path>, prompt: &str, confirm: bool) -> Result<SecretBytes, Refusal> {
    if let Some(file) = file {
        return read_secret_file(file).map_err(|e| Refusal::unusable(e.to_string()));
    }
    if !have_terminal() {
        return Err(no_terminal(kind.noun(), kind.flag()));
    }
    let prompt = format!("{prompt}: ");
    read_secret_from(kind, &mut Terminal, &prompt, confirm)
}

#[cfg(test)]
pub(crate) fn read_passphrase_from(console: &mut dyn Console, prompt: &str, confirm: bool) -> Result<SecretBytes, Refusal> {
    read_secret_from(SecretKind::Passphrase, console, prompt, confirm)
}

fn read_secret_from(kind: SecretKind, console: &mut dyn Console, prompt: &str, confirm: bool) -> Result<SecretBytes, Refusal> {
    let failed = |e| terminal_failed_for(kind, e);
    let first = SecretBytes::from_string(console.ask_hidden(prompt).map_err(failed)?);
    if first.is_empty() {
        return Err(Refusal::unusable(format!("no {} was typed; nothing was done", kind.noun())));
    }
    if confirm {
        let again = SecretBytes::from_string(console.ask_hidden("Type it again: ").map_err(failed)?);
        if again != first {
            return Err(Refusal::failed(format!("the two {}s typed differ; nothing was done; run the command again", kind.noun())));
        }
    }
    Ok(first)
}

/// The refusal for a weak new passphrase: why, and what to do instead.
pub(crate) fn weak_refusal(weakness: &Weakness, from_file: bool) -> Refusal {
    let instead = if from_file {
        "run the command without --passphrase-file and press Enter at the prompt to get a generated"
    } else {
        "run the command again and press Enter at the prompt to get a generated"
    };
    Refusal::failed(format!(
        "{weakness}; nothing was stored; choose a longer passphrase of unrelated words, or {instead} {GENERATED_WORDS}-word passphrase (about {:.0} bits)",
        generated_entropy_bits()
    ))
}

/// The passphrase for a new key, chosen on the console: the holder's own (checked for
/// strength, typed twice) or, on an empty answer, a generated one (shown once, then typed
/// back from what the holder wrote down).
pub(crate) fn choose_new_passphrase(console: &mut dyn Console, holder: &str) -> Result<SecretBytes, Refusal> {
    console.say(&format!(
        "Choose the passphrase for {holder}'s key. Signing with this key will need the passphrase \
         and the holder name \"{holder}\", spelled exactly so."
    ));
    let first = console.ask_hidden("Type your own passphrase, or press Enter to get a generated one: ").map_err(terminal_failed)?;
    if first.is_empty() {
        let generated = generate_passphrase(holder);
        console
            .show_secret(&format!(
                "\nYour new passphrase ({GENERATED_WORDS} words, about {:.0} bits):\n\n    {}\n\n\
                 Write it down now, exactly as shown (single spaces between the words), and keep it \
                 where only you can reach it. It is shown only this once.\n",
                generated_entropy_bits(),
                generated.as_str()
            ))
            .map_err(terminal_failed)?;
        console.ask_hidden("Press Enter when you have written it down; the screen will then be cleared. ").map_err(terminal_failed)?;
        console.clear();
        return type_back(console, SecretBytes::from_string(generated));
    }
    let first = SecretBytes::from_string(first);
    check_strength(&first, holder).map_err(|w| weak_refusal(&w, false))?;
    let again = SecretBytes::from_string(console.ask_hidden("Type it again: ").map_err(terminal_failed)?);
    if again != first {
        return Err(Refusal::failed("the two passphrases typed differ; nothing was stored; run the command again"));
    }
    Ok(first)
}

/// How many times a generated passphrase may be typed back before it is thrown away: a
/// typo should not cost the words just written down, but endless guessing is no check.
pub(crate) const TYPE_BACK_TRIES: usize = 3;

/// The generated passphrase, once typed back exactly from what the holder wrote down.
fn type_back(console: &mut dyn Console, generated: SecretBytes) -> Result<SecretBytes, Refusal> {
    for left in (0..TYPE_BACK_TRIES).rev() {
        let back = SecretBytes::from_string(console.ask_hidden("Type the passphrase from what you wrote down: ").map_err(terminal_failed)?);
        if back == generated {
            return Ok(generated);
        }
        if left > 0 {
            console.say(&format!(
                "That differs from the passphrase shown. Check what you wrote down (single spaces between the words) and type it again ({left} {} left).",
                if left == 1 { "try" } else { "tries" }
            ));
        }
    }
    Err(Refusal::failed(format!(
        "what was typed back differs from the generated passphrase {TYPE_BACK_TRIES} times; nothing was stored; run the command again for a new one"
    )))
}

/// Derives a passphrase key, with a spinner on the terminal while it takes seconds.
pub(crate) fn derive_with_progress(
    passphrase: &SecretBytes,
    holder: &str,
    params: &crate::keys::signer::passphrase::KdfParams,
) -> Result<PassphraseSigner, PassphraseError> {
    let spinner = (std::io::stderr().is_terminal() && params.memory_kib >= 64 * 1024).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("deriving {holder}'s key ({}; this takes several seconds)", params.describe()));
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let result = PassphraseSigner::derive(passphrase, holder, params);
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers prompts from a list and records what was said and shown.
    struct Script {
        answers: Vec<String>,
        said: Vec<String>,
        shown: Vec<String>,
        cleared: bool,
    }

    impl Script {
        fn new(answers: &[&str]) -> Script {
            Script { answers: answers.iter().rev().map(|a| a.to_string()).collect(), said: vec![], shown: vec![], cleared: false }
        }
    }

    impl Console for Script {
        fn ask_hidden(&mut self, _prompt: &str) -> std::io::Result<Zeroizing<String>> {
            self.answers.pop().map(Zeroizing::new).ok_or_else(|| std::io::Error::other("no more answers"))
        }
        fn say(&mut self, text: &str) {
            self.said.push(text.to_string());
        }
        fn show_secret(&mut self, text: &str) -> std::io::Result<()> {
            self.shown.push(text.to_string());
            Ok(())
        }
        fn clear(&mut self) {
            self.cleared = true;
        }
    }

    const GOOD: &str = "vivid shrimp unbolted cupped deceit gala";

    #[test]
    fn own_passphrase_typed_twice() {
        let mut c = Script::new(&[GOOD, GOOD]);
        assert_eq!(choose_new_passphrase(&mut c, "alice").unwrap(), SecretBytes::from(GOOD));
        assert!(c.shown.is_empty(), "expected empty, got {:?}", c.shown);
        let mut c = Script::new(&[GOOD, "vivid shrimp unbolted cupped deceit gal"]);
        let e = choose_new_passphrase(&mut c, "alice").unwrap_err();
        assert_eq!(e.code, 1);
        assert!(e.message.contains("differ"), "expected {:?} to contain {:?}", e.message, "differ");
    }

    #[test]
    fn weak_own_passphrase_is_refused_with_the_generated_suggestion() {
        let mut c = Script::new(&["Summer2024!", "Summer2024!"]);
        let e = choose_new_passphrase(&mut c, "alice").unwrap_err();
        assert_eq!(e.code, 1);
        assert!(e.message.contains("press Enter") && e.message.contains("7-word"), "{}", e.message);
        assert!(!e.message.contains("Summer2024"), "expected {:?} not to contain {:?}", e.message, "Summer2024");
    }

    #[test]
    fn generated_passphrase_shown_once_cleared_and_typed_back() {
        // Enter for a generated one, Enter after writing it down, then type back: the
        // script cannot know the words in advance, so a wrong answer is refused...
        let mut c = Script::new(&["", "", "not what was shown", "nor this", "nor that"]);
        let e = choose_new_passphrase(&mut c, "alice").unwrap_err();
        assert!(c.answers.is_empty(), "every try was asked for: expected empty, got {:?}", c.answers);
        assert_eq!(c.said.iter().filter(|s| s.contains("type it again")).count(), TYPE_BACK_TRIES - 1);
        assert_eq!(e.code, 1);
        assert!(c.cleared, "the console was not cleared; it said {:?}", c.said);
        assert_eq!(c.shown.len(), 1);
        let shown = &c.shown[0];
        assert!(!e.message.contains(shown.trim()), "expected {:?} not to contain {:?}", e.message, shown.trim());
        // ...and the shown words, typed back, are accepted.
        struct Echo(Script, Option<String>);
        impl Console for Echo {
            fn ask_hidden(&mut self, p: &str) -> std::io::Result<Zeroizing<String>> {
                if p.starts_with("Type the passphrase from") {
                    return Ok(Zeroizing::new(self.1.clone().unwrap()));
                }
                self.0.ask_hidden(p)
            }
            fn say(&mut self, t: &str) {
                self.0.say(t)
            }
            fn show_secret(&mut self, t: &str) -> std::io::Result<()> {
                let words = t.lines().find(|l| l.starts_with("    ")).unwrap().trim().to_string();
                self.1 = Some(words);
                self.0.show_secret(t)
            }
            fn clear(&mut self) {
                self.0.clear()
            }
        }
        let mut c = Echo(Script::new(&["", ""]), None);
        let p = choose_new_passphrase(&mut c, "alice").unwrap();
        assert_eq!(p.expose(), c.1.unwrap().as_bytes());
        assert_eq!(std::str::from_utf8(p.expose()).unwrap().split(' ').count(), GENERATED_WORDS);
        assert!(
            c.0.said.iter().all(|s| !s.contains(std::str::from_utf8(p.expose()).unwrap())),
            "not all match `|s| !s.contains(std::str::from_utf8(p.expose()).unwrap())`: {:?}",
            c.0.said
        );
    }

    #[test]
    fn only_the_word_yes_agrees() {
        for yes in ["yes", "yes\n", "YES\r\n", "  Yes "] {
            assert_eq!(answer(Some(yes)), Answer::Yes, "{yes:?}");
        }
        for no in [None, Some(""), Some("\n"), Some("no\n"), Some("No")] {
            assert_eq!(answer(no), Answer::No, "{no:?}");
        }
        for unclear in ["y\n", "n", "yes please", "ye", "es\n", "sure"] {
            assert_eq!(answer(Some(unclear)), Answer::Unclear, "{unclear:?}");
        }
    }

    #[test]
    fn a_pin_refusal_names_the_pin_file() {
        let e = read_secret_from(SecretKind::Pin, &mut Script::new(&[]), "PIN: ", false).unwrap_err();
        assert!(e.message.contains("--pin-file") && !e.message.contains("passphrase"), "{}", e.message);
        let e = read_secret_from(SecretKind::Pin, &mut Script::new(&[""]), "PIN: ", false).unwrap_err();
        assert!(e.message.contains("no PIN was typed"), "{}", e.message);
        let e = no_terminal(SecretKind::Pin.noun(), SecretKind::Pin.flag());
        assert!(e.message.contains("pass --pin-file F") && !e.message.contains("passphrase"), "{}", e.message);
    }

    #[test]
    fn existing_passphrase_with_and_without_confirmation() {
        let mut c = Script::new(&[GOOD]);
        assert_eq!(read_passphrase_from(&mut c, "Passphrase: ", false).unwrap(), SecretBytes::from(GOOD));
        let mut c = Script::new(&[GOOD, "other"]);
        assert_eq!(read_passphrase_from(&mut c, "Passphrase: ", true).unwrap_err().code, 1);
        let mut c = Script::new(&[""]);
        assert_eq!(read_passphrase_from(&mut c, "Passphrase: ", false).unwrap_err().code, 2);
    }
}
