//! Writing files so that after a crash they are complete or absent, never half-written.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically and durably: a temporary file beside it, fsync,
/// rename over the target, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Everything Ceremony writes is public (metadata, descriptors, the transcript).
    let mut tmp = tempfile::Builder::new()
        .prefix(".ceremony-tmp-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    fsync_dir(dir)
}

/// fsyncs a directory, so renames and new entries in it survive a power loss.
pub fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
