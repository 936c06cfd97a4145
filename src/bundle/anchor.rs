//! The root the online side trusts, checked against the digest read out at the ceremony.
//!
//! `bundle verify` trusts nothing but what chains to `--trusted-root`. After a bootstrap that
//! root comes off the same USB stick as the bundle, so a stick swapped on the way would
//! replace both, and the bundle would verify against its own forged root. What a swap cannot
//! replace is the paper: `bundle export` prints each new root file's SHA-256 and its words
//! (`crate::bundle::export::TrustAnchor`), the room reads them aloud and writes them on the
//! record, and the online side types them in here.

use crate::workspace::review::DIGEST_WORDS;
use crate::workspace::role_digest::file_digest;

/// What the operator typed from the paper record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedAnchor {
    /// 64 lower-case hex digits.
    Sha256(String),
    /// The digest's words, lower case.
    Words(Vec<String>),
}

/// Why a typed anchor was not used, or did not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("{0:?} is not a SHA-256: give the 64 hex digits of the trusted root file's SHA-256 as written on the ceremony's paper record")]
    NotHex(String),
    #[error(
        "{got} words were given, but a digest is read out as {DIGEST_WORDS}: give the six words written on the ceremony's paper record"
    )]
    WordCount { got: usize },
    #[error(
        "the trusted root {file} has SHA-256 {actual}, not {expected} as read out at the ceremony: it is not the root the ceremony anchored; do not import, and get the root file whose digest is on the paper record"
    )]
    DigestDiffers { file: String, actual: String, expected: String },
    #[error(
        "the trusted root {file} has the words \"{actual}\", not \"{expected}\" as read out at the ceremony (its SHA-256 is {sha256}): it is not the root the ceremony anchored; do not import, and get the root file whose digest is on the paper record"
    )]
    WordsDiffer { file: String, actual: String, expected: String, sha256: String },
}

impl ExpectedAnchor {
    /// A SHA-256 as typed: case and spaces (people copy it in groups) do not matter.
    pub fn sha256(typed: &str) -> Result<ExpectedAnchor, AnchorError> {
        let hex: String = typed.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AnchorError::NotHex(typed.chars().take(80).collect()));
        }
        Ok(ExpectedAnchor::Sha256(hex))
    }

    /// The six words as typed, separated by spaces; case does not matter.
    pub fn words(typed: &str) -> Result<ExpectedAnchor, AnchorError> {
        let words: Vec<String> = typed.split_whitespace().map(str::to_ascii_lowercase).collect();
        if words.len() != DIGEST_WORDS {
            return Err(AnchorError::WordCount { got: words.len() });
        }
        Ok(ExpectedAnchor::Words(words))
    }
}

/// Refuses unless the file `name` with these `bytes` is the root the ceremony read out.
pub fn check_anchor(name: &str, bytes: &[u8], expected: &ExpectedAnchor) -> Result<(), AnchorError> {
    let actual = file_digest(name, bytes);
    match expected {
        ExpectedAnchor::Sha256(hex) if *hex != actual.sha256 => {
            Err(AnchorError::DigestDiffers { file: name.into(), actual: actual.sha256, expected: hex.clone() })
        }
        ExpectedAnchor::Words(words) if *words != actual.words => {
            Err(AnchorError::WordsDiffer { file: name.into(), actual: actual.spoken(), expected: words.join(" "), sha256: actual.sha256 })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::review::digest_words;

    #[test]
    fn the_typed_digest_must_be_the_file_digest() {
        let bytes = b"a root file";
        let hex = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let spaced = format!("{} {}", hex[..32].to_ascii_uppercase(), &hex[32..]);
        assert_eq!(check_anchor("1.root.json", bytes, &ExpectedAnchor::sha256(&spaced).unwrap()), Ok(()));
        let other = ExpectedAnchor::sha256(&"0".repeat(64)).unwrap();
        let got = check_anchor("1.root.json", bytes, &other);
        assert!(matches!(got, Err(AnchorError::DigestDiffers { .. })), "expected Err(AnchorError::DigestDiffers {{ .. }}), got {:?}", got);
        let got = ExpectedAnchor::sha256("abc");
        assert!(matches!(got, Err(AnchorError::NotHex(_))), "expected Err(AnchorError::NotHex(_)), got {:?}", got);
        let got = ExpectedAnchor::sha256(&"g".repeat(64));
        assert!(matches!(got, Err(AnchorError::NotHex(_))), "expected Err(AnchorError::NotHex(_)), got {:?}", got);

        let d: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bytes).into();
        let words = digest_words(&d).join(" ").to_ascii_uppercase();
        assert_eq!(check_anchor("1.root.json", bytes, &ExpectedAnchor::words(&words).unwrap()), Ok(()));
        let wrong = ExpectedAnchor::words("a b c d e f").unwrap();
        let got = check_anchor("1.root.json", bytes, &wrong);
        assert!(matches!(got, Err(AnchorError::WordsDiffer { .. })), "expected Err(AnchorError::WordsDiffer {{ .. }}), got {:?}", got);
        assert_eq!(ExpectedAnchor::words("a b"), Err(AnchorError::WordCount { got: 2 }));
    }
}
