//! Writing files so that after a crash they are complete or absent, never half-written.

use std::io::Write;
use std::path::Path;

/// The largest key file (`key import`) or holder descriptor: 1 MiB. A key object is under
/// 2 KB (an RSA-4096 PEM is about 800 bytes); a descriptor with attestation certificates
/// under 8 KB.
pub const MAX_KEY_FILE: u64 = 1 << 20;
/// The largest signatures file (`signature import`): 16 MiB, about 50,000 signatures of
/// ~300 bytes, far more staged roles than a ceremony signs.
pub const MAX_SIGNATURE_FILE: u64 = 16 << 20;

/// The name prefix of the temporary files atomic writes use.
pub const TEMP_PREFIX: &str = ".ceremony-tmp-";

/// Writes `bytes` to `path` atomically and durably: a temporary file beside it, fsync,
/// rename over the target, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// [`write_atomic`] of what `write` writes, for a file made as it is written (a bundle).
/// When `write` fails, nothing is left behind.
pub fn write_atomic_with<E: From<std::io::Error>>(path: &Path, write: impl FnOnce(&mut std::fs::File) -> Result<(), E>) -> Result<(), E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Everything Ceremony writes is public (metadata, descriptors, the transcript).
    let mut tmp =
        tempfile::Builder::new().prefix(TEMP_PREFIX).permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644)).tempfile_in(dir)?;
    write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(fsync_dir(dir)?)
}

/// Removes temporary files an interrupted [`write_atomic`] left in `dir` (a killed process
/// cannot delete its own). Only names with Ceremony's temporary prefix are touched; callers
/// hold the workspace lock, so no other Ceremony write into `dir` is in flight.
pub fn sweep_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// fsyncs a directory, so renames and new entries in it survive a power loss.
pub fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
