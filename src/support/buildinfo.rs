//! What this build of Ceremony is: version, target, profile, and the SHA-256 of the running
//! binary, which administrators compare with the published hash (`ceremony --version
//! --verbose`, `ceremony preflight`).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The package version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The target triple the binary was built for, e.g. `x86_64-unknown-linux-gnu`.
pub const TARGET: &str = env!("CEREMONY_BUILD_TARGET");
/// Cargo's profile: `release` or `debug`.
pub const PROFILE: &str = env!("CEREMONY_BUILD_PROFILE");

/// The hex SHA-256 of a file, read in pieces.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The running binary's path and hex SHA-256.
pub fn running_binary() -> std::io::Result<(std::path::PathBuf, String)> {
    let path = std::env::current_exe()?;
    let hash = file_sha256(&path)?;
    Ok((path, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_hash_matches_known_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(file_sha256(&p).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(!TARGET.is_empty(), "expected something, got {:?}", TARGET);
        assert!(!PROFILE.is_empty(), "expected something, got {:?}", PROFILE);
    }
}
