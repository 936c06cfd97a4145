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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_up_to_the_limit_are_read_and_larger_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 3 << 20]).unwrap();
        let read = read_limited(&path, 3 << 20).unwrap_or_else(|e| panic!("expected a file of exactly the limit read, got {e}"));
        assert_eq!(read, vec![7u8; 3 << 20], "expected the whole file");
        let err = read_limited(&path, (3 << 20) - 1).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "expected a too-large file refused as invalid data, got {err:?}");
        assert_eq!(err.to_string(), "the file is larger than the 2 MiB a file of this kind may be", "expected the limit in MiB, got {err}");
        let missing = read_limited(&dir.path().join("absent"), 10).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound, "expected a missing file reported as such, got {missing:?}");
        assert_eq!(MAX_METADATA_FILE, 268_435_456, "expected the cap to be 256 MiB");
    }

    /// A file that grows past the limit between the size check and the read is refused
    /// too: a FIFO has size 0 and can deliver any number of bytes.
    #[test]
    fn a_file_that_grows_while_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("running mkfifo");
        assert!(status.success(), "expected mkfifo to make a FIFO, got {status}");
        let writer_path = fifo.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).open(writer_path).expect("opening the FIFO to write");
            // The reader stops after limit + 1 bytes; a broken pipe after that is expected.
            let _ = f.write_all(&[1u8; 64]);
        });
        let err = read_limited(&fifo, 10).unwrap_err();
        writer.join().expect("the writer thread");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "expected 64 bytes through a FIFO refused at a limit of 10, got {err:?}");
        let fifo2 = dir.path().join("fifo2");
        let status = std::process::Command::new("mkfifo").arg(&fifo2).status().expect("running mkfifo");
        assert!(status.success(), "expected a second FIFO, mkfifo: {status}");
        let writer_path = fifo2.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).open(writer_path).expect("opening the FIFO to write");
            f.write_all(&[1u8; 10]).expect("writing 10 bytes");
        });
        let read = read_limited(&fifo2, 10);
        writer.join().expect("the writer thread");
        assert_eq!(read.ok(), Some(vec![1u8; 10]), "expected exactly the limit through a FIFO read");
    }
}
