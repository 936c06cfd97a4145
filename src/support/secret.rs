//! Secrets in memory: passphrases and PINs.
//!
//! A [`SecretBytes`] is zeroized when dropped and never shows its content in `Debug` output,
//! so it cannot end up in a log line or an error message by accident. Secrets come from the
//! terminal (see `cli::secrets`) or from a file given with `--passphrase-file` /
//! `--pin-file` ([`read_secret_file`]); never from argv or the environment.

use std::fmt;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

/// Bytes that must not outlive their use: zeroized on drop, redacted in `Debug`, and kept in
/// locked memory (never written to swap) where the platform allows it.
///
/// Locking is best effort (see docs/secret-hygiene.md): `mlock` fails when the process is over
/// its RLIMIT_MEMLOCK, and locks do not nest, so unlocking one secret unlocks its whole page
/// even when another secret shares it. Core dumps are off for the whole process
/// ([`crate::support::hygiene::harden_process`]), which does not depend on either.
pub struct SecretBytes {
    bytes: Zeroizing<Vec<u8>>,
    /// The lock on `bytes`' pages, released (after zeroizing) on drop.
    lock: Option<region::LockGuard>,
}

impl SecretBytes {
    /// Takes ownership of `bytes`; they are zeroized when this value is dropped.
    pub fn new(bytes: Vec<u8>) -> SecretBytes {
        let bytes = Zeroizing::new(bytes);
        let lock = lock_pages(&bytes);
        SecretBytes { bytes, lock }
    }

    /// Moves a zeroizing string's bytes in without copying them.
    pub fn from_string(text: Zeroizing<String>) -> SecretBytes {
        let mut text = text;
        SecretBytes::new(std::mem::take(&mut *text).into_bytes())
    }

    /// The secret itself. Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// True when the secret's pages are locked in memory.
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }
}

/// Locks the pages of a buffer's allocation, if it has one and the platform allows it.
fn lock_pages(bytes: &[u8]) -> Option<region::LockGuard> {
    if bytes.is_empty() {
        return None;
    }
    region::lock(bytes.as_ptr(), bytes.len()).ok()
}

impl Clone for SecretBytes {
    fn clone(&self) -> SecretBytes {
        SecretBytes::new(self.bytes.to_vec())
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        // Zeroize while the pages are still locked, then unlock; the buffer is freed after.
        zeroize::Zeroize::zeroize(&mut *self.bytes);
        self.lock.take();
    }
}

impl From<&str> for SecretBytes {
    fn from(text: &str) -> SecretBytes {
        SecretBytes::new(text.as_bytes().to_vec())
    }
}

impl PartialEq for SecretBytes {
    /// Compares without an early exit, so a mismatch position does not show in timing.
    fn eq(&self, other: &SecretBytes) -> bool {
        let (a, b) = (self.expose(), other.expose());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes, redacted>)", self.bytes.len())
    }
}

/// Reads one line from the controlling terminal (`/dev/tty`) without echo, after dropping
/// whatever was typed ahead ([`discard_pending_input`]) and writing `prompt` there.
///
/// The terminal is put in a mode without echo, line editing or signal keys, and a guard puts
/// the original mode back on every way out (the line read, an error, Ctrl-C, Ctrl-D, a
/// panic, and a SIGTERM, SIGHUP or SIGINT from elsewhere, which then ends the process as it
/// would have). Ctrl-C arrives as a byte rather than SIGINT, so it cannot kill the process
/// between "echo off" and "echo on": it ends the prompt with an `Interrupted` error and the
/// typed bytes are zeroized. Backspace, Ctrl-U (erase the line) and Ctrl-D (end, on an empty
/// line) work as usual; other control bytes are ignored. The bytes are read into a buffer
/// sized up front ([`SECRET_FILE_LIMIT`]), so no reallocation leaves a copy behind.
#[cfg(unix)]
pub fn read_hidden_line(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions, SpecialCodeIndex};
    use std::io::{ErrorKind, Write};

    struct Restore<'a> {
        tty: &'a std::fs::File,
        original: rustix::termios::Termios,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let _ = tcsetattr(self.tty, OptionalActions::Now, &self.original);
            prompt_closed();
        }
    }

    let mut tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    discard_pending_input(&tty);
    let original = tcgetattr(&tty)?;
    let mut quiet = original.clone();
    quiet.local_modes.remove(LocalModes::ECHO | LocalModes::ECHONL | LocalModes::ICANON | LocalModes::ISIG);
    quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
    quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
    tty.write_all(prompt.as_bytes())?;
    tty.flush()?;
    prompt_opened(&tty, &original)?;
    let restore = Restore { tty: &tty, original };
    tcsetattr(&tty, OptionalActions::Now, &quiet)?;
    let mut line = Zeroizing::new(Vec::with_capacity(SECRET_FILE_LIMIT));
    let mut byte = Zeroizing::new([0u8; 1]);
    let result = loop {
        match (&*restore.tty).read(&mut *byte) {
            Ok(0) => break Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        }
        match byte[0] {
            b'\n' | b'\r' => break Ok(()),
            0x03 => break Err(std::io::Error::new(ErrorKind::Interrupted, "interrupted with Ctrl-C")),
            0x04 if line.is_empty() => break Err(std::io::Error::new(ErrorKind::UnexpectedEof, "ended with Ctrl-D")),
            0x7f | 0x08 => {
                // Remove one UTF-8 character.
                while let Some(b) = line.pop() {
                    if b & 0xC0 != 0x80 {
                        break;
                    }
                }
            }
            0x15 => zeroize::Zeroize::zeroize(&mut *line),
            b if b < 0x20 => {}
            b if line.len() < SECRET_FILE_LIMIT => line.push(b),
            _ => break Err(std::io::Error::new(ErrorKind::InvalidInput, "the line is too long")),
        }
    };
    drop(restore);
    let _ = tty.write_all(b"\n");
    result?;
    match String::from_utf8(std::mem::take(&mut *line)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Err(std::io::Error::new(ErrorKind::InvalidData, "the typed text is not UTF-8"))
        }
    }
}

/// The terminal and the mode to put back while a hidden prompt has echo off; what the
/// signal watcher restores when a signal ends the process during the prompt.
#[cfg(unix)]
static OPEN_PROMPT: std::sync::Mutex<Option<(std::fs::File, rustix::termios::Termios)>> = std::sync::Mutex::new(None);

/// The signals that end the process by default and can arrive during a prompt: `kill`'s
/// SIGTERM, SIGHUP when the terminal goes away, SIGINT sent by another process (Ctrl-C
/// itself is a byte while the prompt is open).
#[cfg(unix)]
const ENDING_SIGNALS: [i32; 3] = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP, signal_hook::consts::SIGINT];

/// Notes the mode to restore, and starts the signal watcher on the first prompt (the
/// handlers stay for the process's life: signal-hook cannot give the default action back).
#[cfg(unix)]
fn prompt_opened(tty: &std::fs::File, original: &rustix::termios::Termios) -> std::io::Result<()> {
    static WATCHER: std::sync::OnceLock<std::io::Result<()>> = std::sync::OnceLock::new();
    if let Err(e) = WATCHER.get_or_init(start_signal_watcher) {
        return Err(std::io::Error::new(e.kind(), format!("cannot watch for signals during the prompt: {e}")));
    }
    let saved = (tty.try_clone()?, original.clone());
    *OPEN_PROMPT.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(saved);
    Ok(())
}

#[cfg(unix)]
fn prompt_closed() {
    *OPEN_PROMPT.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

/// A thread that, on each ending signal, puts an open prompt's terminal mode back and then
/// ends the process as the signal's default action would (the exit status a shell sees is
/// the signal's, 128 + N). Outside a prompt it only does the latter.
#[cfg(unix)]
fn start_signal_watcher() -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(ENDING_SIGNALS)?;
    let handle = signals.handle();
    let spawned = std::thread::Builder::new().name("prompt-signals".into()).spawn(move || {
        for signal in signals.forever() {
            if let Some((tty, original)) = &*OPEN_PROMPT.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
                let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, original);
            }
            let _ = signal_hook::low_level::emulate_default_handler(signal);
        }
    });
    if let Err(e) = spawned {
        // Without the thread nobody would act on the signals the handlers now catch.
        handle.close();
        return Err(e);
    }
    Ok(())
}

/// Drops whatever was typed on the terminal and not read yet, so keys typed ahead (the `es`
/// of a `yes` answered before the question, an Enter pressed twice) never become a secret or
/// an answer to a question not yet on screen. Best effort: a terminal that cannot flush
/// still asks as before.
#[cfg(unix)]
pub fn discard_pending_input(tty: &std::fs::File) {
    let _ = rustix::termios::tcflush(tty, rustix::termios::QueueSelector::IFlush);
}

/// Why a secret file could not be used. Never carries the file's content.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot read {path}: {source}; give a readable file whose first line is the secret")]
    Unreadable { path: String, source: std::io::Error },
    #[error("{path} is empty; its first line must hold the secret")]
    Empty { path: String },
    #[error("{path} is larger than {limit} bytes; give a file whose first line is the secret")]
    TooLarge { path: String, limit: usize },
}

/// The largest secret file read: a passphrase or PIN is one short line.
pub const SECRET_FILE_LIMIT: usize = 64 * 1024;

/// The first line of `path`, without its line ending (`\n` or `\r\n`). Everything after the
/// first line is ignored. The file's bytes are read into a buffer sized up front (no
/// reallocation leaves copies behind) and zeroized.
pub fn read_secret_file(path: &Path) -> Result<SecretBytes, SecretFileError> {
    let shown = path.display().to_string();
    let unreadable = |source| SecretFileError::Unreadable { path: shown.clone(), source };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(SECRET_FILE_LIMIT + 1));
    file.take(SECRET_FILE_LIMIT as u64 + 1).read_to_end(&mut buf).map_err(unreadable)?;
    if buf.len() > SECRET_FILE_LIMIT {
        return Err(SecretFileError::TooLarge { path: shown, limit: SECRET_FILE_LIMIT });
    }
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let mut line = &buf[..line_end];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    if line.is_empty() {
        return Err(SecretFileError::Empty { path: shown });
    }
    Ok(SecretBytes::new(line.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_without_its_ending() {
        let dir = tempfile::tempdir().unwrap();
        for (content, want) in [
            (&b"correct horse\n"[..], &b"correct horse"[..]),
            (b"correct horse\r\n", b"correct horse"),
            (b"correct horse", b"correct horse"),
            (b"  spaced  \nsecond line\n", b"  spaced  "),
            (b"a\r\rb\r\n", b"a\r\rb"),
        ] {
            let path = dir.path().join("f");
            std::fs::write(&path, content).unwrap();
            assert_eq!(read_secret_file(&path).unwrap().expose(), want);
        }
    }

    #[test]
    fn empty_missing_and_huge_files_are_refused_without_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        for content in [&b""[..], b"\n", b"\r\nsecret-on-line-two\n"] {
            std::fs::write(&path, content).unwrap();
            let e = read_secret_file(&path).unwrap_err();
            assert!(matches!(e, SecretFileError::Empty { .. }), "expected SecretFileError::Empty {{ .. }}, got {:?}", e);
            assert!(!e.to_string().contains("secret-on"), "expected {:?} not to contain {:?}", e.to_string(), "secret-on");
        }
        std::fs::write(&path, vec![b'x'; SECRET_FILE_LIMIT + 1]).unwrap();
        let got = read_secret_file(&path);
        assert!(matches!(got, Err(SecretFileError::TooLarge { .. })), "expected Err(SecretFileError::TooLarge {{ .. }}), got {:?}", got);
        let got = read_secret_file(&dir.path().join("none"));
        assert!(
            matches!(got, Err(SecretFileError::Unreadable { .. })),
            "expected Err(SecretFileError::Unreadable {{ .. }}), got {:?}",
            got
        );
    }

    #[test]
    fn debug_redacts_and_eq_compares() {
        let s = SecretBytes::from("hunter2");
        assert_eq!(format!("{s:?}"), "SecretBytes(<7 bytes, redacted>)");
        assert_eq!(s, SecretBytes::from("hunter2"));
        assert_ne!(s, SecretBytes::from("hunter3"));
        assert_ne!(s, SecretBytes::from("hunter"));
    }
}
