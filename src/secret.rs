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

/// Bytes that must not outlive their use: zeroized on drop, redacted in `Debug`.
#[derive(Clone)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; they are zeroized when this value is dropped.
    pub fn new(bytes: Vec<u8>) -> SecretBytes {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// Moves a zeroizing string's bytes in without copying them.
    pub fn from_string(text: Zeroizing<String>) -> SecretBytes {
        let mut text = text;
        SecretBytes::new(std::mem::take(&mut *text).into_bytes())
    }

    /// The secret itself. Keep the borrow short.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        write!(f, "SecretBytes(<{} bytes, redacted>)", self.0.len())
    }
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
            assert!(matches!(e, SecretFileError::Empty { .. }));
            assert!(!e.to_string().contains("secret-on"));
        }
        std::fs::write(&path, vec![b'x'; SECRET_FILE_LIMIT + 1]).unwrap();
        assert!(matches!(read_secret_file(&path), Err(SecretFileError::TooLarge { .. })));
        assert!(matches!(read_secret_file(&dir.path().join("none")), Err(SecretFileError::Unreadable { .. })));
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
