//! The digest people read aloud for a role version, and which bytes it covers.
//!
//! Staging, `sign` and the ceremony report all name a role version by this one digest: the
//! SHA-256 of its signed part, the bytes every signature covers. Since they call the same
//! function on the same bytes (or on the digest the transcript recorded of them), the words
//! read at staging are the words read at `sign` and the words printed in the report.

use crate::tuf::metadata::Metadata;
use crate::workspace::review::digest_words;
use crate::workspace::staging::digest;

/// A digest as shown to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDigest {
    /// Which bytes it covers: "the signed part of claimed v7 (the bytes the signature covers)".
    pub label: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// The digest as words (`review::DIGEST_WORDS` of them), read aloud and compared.
    pub words: Vec<&'static str>,
}

impl RoleDigest {
    /// The words joined by single spaces, as screens print them.
    pub fn spoken(&self) -> String {
        self.words.join(" ")
    }
}

/// The digest of a staged (or trusted) role version: its signed part.
pub fn role_digest(role: &str, md: &Metadata) -> RoleDigest {
    signed_part(role, md.version(), &digest(md))
}

/// [`role_digest`] from a digest recorded earlier (the transcript keeps the hex of each
/// role version staged and signed): the same label and words for the same bytes. None when
/// `sha256_hex` is not 64 hex digits.
pub fn recorded_role_digest(role: &str, version: u64, sha256_hex: &str) -> Option<RoleDigest> {
    let bytes = hex::decode(sha256_hex).ok()?;
    let d: [u8; 32] = bytes.try_into().ok()?;
    Some(signed_part(role, version, &d))
}

/// The digest of a whole file (a bundle, a signatures file): every byte of it.
pub fn file_digest(name: &str, bytes: &[u8]) -> RoleDigest {
    let d: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bytes).into();
    RoleDigest { label: format!("the whole file {name}"), sha256: hex::encode(d), words: digest_words(&d) }
}

/// The name a root version's file has everywhere: `N.root.json`.
pub fn root_file_name(version: u64) -> String {
    format!("{version}.root.json")
}

/// "SHA-256 of the file N.root.json (the trust anchor)": the one label the export screen,
/// the ceremony's record and the runbooks give a root file's digest.
pub fn anchor_label(version: u64) -> String {
    format!("SHA-256 of the file {} (the trust anchor)", root_file_name(version))
}

/// The trust anchor of root `version`: the digest of the whole file `N.root.json` with
/// these `bytes` (what `sha256sum` prints), read aloud when a bundle carrying it is exported.
pub fn root_file_digest(version: u64, bytes: &[u8]) -> RoleDigest {
    file_digest(&root_file_name(version), bytes)
}

/// [`root_file_digest`] from the hex the transcript recorded. None when `sha256_hex` is
/// not 64 hex digits.
pub fn recorded_root_file_digest(version: u64, sha256_hex: &str) -> Option<RoleDigest> {
    let d: [u8; 32] = hex::decode(sha256_hex).ok()?.try_into().ok()?;
    Some(RoleDigest { label: format!("the whole file {}", root_file_name(version)), sha256: hex::encode(d), words: digest_words(&d) })
}

fn signed_part(role: &str, version: u64, d: &[u8; 32]) -> RoleDigest {
    RoleDigest {
        label: format!("the signed part of {role} v{version} (the bytes the signature covers)"),
        sha256: hex::encode(d),
        words: digest_words(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_digest_gives_the_label_and_words_the_role_gave() {
        let md = Metadata::from_signed(
            br#"{"_type":"targets","expires":"2030-01-01T00:00:00Z","spec_version":"1.0.31","targets":{},"version":7}"#.to_vec(),
        )
        .unwrap();
        let live = role_digest("claimed", &md);
        assert_eq!(live.label, "the signed part of claimed v7 (the bytes the signature covers)");
        assert_eq!(recorded_role_digest("claimed", 7, &live.sha256), Some(live.clone()));
        assert_eq!(recorded_role_digest("claimed", 7, "abc"), None);
        // The same bytes as a whole file are another thing, and say so.
        let file = file_digest("claimed.json", &md.signed_bytes());
        assert_eq!((file.sha256, file.words), (live.sha256, live.words));
        assert!(file.label.starts_with("the whole file"), "expected {:?} to start with {:?}", file.label, "the whole file");
    }

    #[test]
    fn a_recorded_root_file_digest_gives_the_words_of_the_file() {
        let live = root_file_digest(3, b"the bytes of 3.root.json");
        assert_eq!(live.label, "the whole file 3.root.json");
        assert_eq!(recorded_root_file_digest(3, &live.sha256), Some(live));
        assert_eq!(recorded_root_file_digest(3, "zz"), None);
        assert_eq!(anchor_label(3), "SHA-256 of the file 3.root.json (the trust anchor)");
    }
}
