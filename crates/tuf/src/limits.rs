//! Reading a file no larger than it may be. A TUF client caps every file it fetches before
//! reading it (the specification's length limits); every file Ceremony reads from a place
//! someone else could write is read the same way.

use std::io::Read;
use std::path::Path;

/// The largest metadata file read from disk (and any file of a workspace state): 256 MiB,
/// the same as a bundle member. PyPI's `claimed` role for every project is about 250 MB at
/// 600,000 projects; a file ten times the largest one expected is a mistake or an attack.
pub const MAX_METADATA_FILE: u64 = 256 << 20;

/// Reads a whole file, refusing one larger than `limit` bytes before reading it (and, for a
/// file that grows while being read, after `limit + 1` bytes).
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is larger than the {} MiB a file of this kind may be", limit >> 20),
        )
    };
    let size = file.metadata()?.len();
    if size > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}
