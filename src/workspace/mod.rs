//! The ceremony workspace and its transactions (layer 3).
//!
//! This module is the workspace on disk and its crash-safe [`Transaction`]; its children
//! are what a ceremony does in it, each over the one below:
//! - [`transcript`]: the hash-chained record of every action; [`collected`]: signatures
//!   gathered for staged roles;
//! - [`staging`]: what is trusted, what is staged, which thresholds govern each staged role;
//! - [`claimed_state`], [`exclusive_keys`], [`policy`]: the rules staged metadata must keep
//!   (PEP 480 layout in this workspace, role-exclusive keys, versions and expiry);
//!   [`status`]: where each staged role stands;
//! - [`recently_claimed`], [`sealed`], [`propose`], [`promotion`]: staging new versions
//!   (`claimed promote`'s source, `renew claimed`, `root init`/`rotate`, `targets init`,
//!   `renew`, the promotion itself);
//! - [`signing`]: adding checked signatures; [`review`], [`promotion_review`],
//!   [`role_digest`]: what a keyholder is shown before signing, computed from the bytes.
//!
//! May use: [`crate::tuf`], [`crate::support`], [`crate::keys`], [`crate::pypi`].
//!
//! The ceremony workspace on disk.
//!
//! ```text
//! WORKSPACE/
//!   ceremony-workspace.json   marker: format name and version
//!   .lock                     held (flock) by the one ceremony process changing the workspace
//!   current -> states/000007  the workspace's state; replaced by one atomic rename
//!   states/000007/
//!     holders/HOLDER.json     each keyholder's public descriptor (see `holder`)
//!     trusted/root/N.root.json every trusted root version
//!     trusted/ROLE.json       the current trusted version of every other offline role
//!     staged/ROLE.json        the proposed next version, with the signatures collected so far
//!     transcript.jsonl        the hash-chained record of every action (see `transcript`),
//!                             which vouches for every other file (see `ledger`)
//! ```
//!
//! A command that changes anything works in a [`Transaction`]: a new state directory made
//! of hard links to the current one's files, where every write replaces a link by a new
//! file (never writing into a shared one); `commit` fsyncs it and swings the `current`
//! link over with a rename. So after a crash or power loss at any instant the workspace is
//! exactly as before the command or exactly as after it, however many files it touched.
//!
//! Hence a workspace needs symbolic and hard links: `init` refuses a file system without
//! them (FAT32, exFAT), and a copy that lost `current` is refused by name; `crate::bundle::pack`
//! carries a workspace across such media.

pub mod claimed_state;
pub mod collected;
pub mod exclusive_keys;
pub mod ledger;
pub mod policy;
pub mod promotion;
pub mod promotion_review;
pub mod propose;
pub mod recently_claimed;
pub mod review;
pub mod role_digest;
pub mod sealed;
pub mod signing;
pub mod staging;
pub mod status;
pub mod transcript;

use std::fs::File;
use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::keys::holder::{check_name, Holder, HolderError};
use crate::support::fsio::{fsync_dir, write_atomic};
use crate::tuf::datetime::format_expires;
use transcript::{Action, Head, Record, TranscriptError};

const MARKER: &str = "ceremony-workspace.json";
const MARKER_TEXT: &str = "{\"format\": \"ceremony-workspace\", \"version\": 2}\n";
const TRANSCRIPT: &str = "transcript.jsonl";

/// Why the workspace could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{0} already holds a ceremony workspace; use another directory or work in that one")]
    AlreadyExists(String),
    #[error("{0} is not a ceremony workspace; run `ceremony init` there first or pass --workspace DIR")]
    NotAWorkspace(String),
    #[error("another ceremony command is changing the workspace {0}; wait for it to finish")]
    Locked(String),
    #[error("cannot access {0}: {1}")]
    Io(String, std::io::Error),
    #[error("holder {0:?} is already registered; choose another name")]
    HolderExists(String),
    #[error("no holder named {0:?} is registered; `ceremony key list` shows who is")]
    NoSuchHolder(String),
    #[error("holder {holder:?} already has this key ({keyid}); one key cannot belong to two holders")]
    KeyAlreadyRegistered { holder: String, keyid: String },
    #[error("{path}: {source}")]
    Holder { path: String, source: HolderError },
    #[error("{0}")]
    Transcript(#[from] TranscriptError),
    #[error("the workspace file {0} is not valid: {1}; the workspace was altered outside ceremony")]
    Corrupt(String, String),
    /// A file that is not what the transcript says this workspace holds.
    #[error("{0}")]
    Tampered(String),
    #[error("the workspace {0} was copied without its symbolic links (a FAT or exFAT USB stick, `cp -L`, a zip or a Windows machine): {1}; nothing was changed. Recover it with `ceremony workspace pack --workspace {0} --out FILE` and `ceremony workspace unpack FILE --workspace NEW-DIR` on a Linux file system, and move workspaces as packs from now on")]
    CopiedWithoutLinks(String, String),
    #[error("{0} is on a file system without {1} (FAT32 or exFAT, as on most USB sticks), which a workspace needs for its crash-safe changes; create the workspace on a Linux file system (ext4, xfs, btrfs) and carry it on the stick as one file made by `ceremony workspace pack`")]
    UnsupportedFileSystem(String, &'static str),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorkspaceError + '_ {
    move |e| WorkspaceError::Io(path.display().to_string(), e)
}

/// An open workspace. Changing it requires [`Workspace::lock`] and a [`Transaction`].
pub struct Workspace {
    dir: PathBuf,
    /// Files parsed once per process (see [`Workspace::read_parsed`]).
    parsed: std::sync::Mutex<std::collections::HashMap<String, (FileStamp, ParsedFile)>>,
}

type ParsedFile = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// What identifies a file's content without reading it. A transaction never writes into an
/// existing file (it replaces it with a new one), so while device, inode, size and time are
/// the same, so is the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl FileStamp {
    fn of(path: &Path) -> std::io::Result<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok(FileStamp { dev: m.dev(), ino: m.ino(), len: m.len(), mtime: m.mtime(), mtime_nsec: m.mtime_nsec() })
    }
}

/// Held while a command changes the workspace; released on drop (and by the kernel if the
/// process dies).
pub struct WorkspaceLock {
    _file: File,
}

impl Workspace {
    /// Creates an empty workspace in `dir` (created if missing); refuses if one is there.
    pub fn init(dir: &Path) -> Result<Workspace, WorkspaceError> {
        let existed = dir.exists();
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let marker = dir.join(MARKER);
        if marker.exists() {
            return Err(WorkspaceError::AlreadyExists(dir.display().to_string()));
        }
        if let Err(e) = probe_links(dir) {
            if !existed {
                // Refused before anything was written: leave no empty directory behind.
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e);
        }
        let ws = Workspace::at(dir);
        let lock = ws.lock()?;
        let states = dir.join("states");
        std::fs::create_dir_all(&states).map_err(io(&states))?;
        let mut tx = ws.begin(&lock)?;
        tx.record(Action { action: "init".into(), ..Action::default() })?;
        tx.commit()?;
        write_atomic(&marker, MARKER_TEXT.as_bytes()).map_err(io(&marker))?;
        Ok(ws)
    }

    /// Opens the workspace in `dir`, refusing a copy that lost its `current` link.
    pub fn open(dir: &Path) -> Result<Workspace, WorkspaceError> {
        match current_kind(dir)? {
            Current::Link => Ok(Workspace::at(dir)),
            Current::Directory => Err(copied(dir, "its `current` link became a plain directory")),
        }
    }

    /// Opens the workspace in `dir` for reading only, also when it was copied without its
    /// links: the copied `current` directory holds the whole state, so `workspace pack`
    /// can still carry it to a file system that keeps links.
    pub fn open_for_reading(dir: &Path) -> Result<Workspace, WorkspaceError> {
        current_kind(dir)?;
        Ok(Workspace::at(dir))
    }

    /// Makes a new workspace in the empty directory `dir` whose one state holds `files`
    /// (relative path to bytes), durably, for `workspace unpack`: the caller renames `dir`
    /// into place once this returns, so no one ever sees it half made.
    pub fn create_with_state(dir: &Path, files: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<(), WorkspaceError> {
        let name = PathBuf::from("states").join("000001");
        let state = dir.join(&name);
        for (rel, bytes) in files {
            let path = state.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        std::fs::create_dir_all(&state).map_err(io(&state))?;
        std::os::unix::fs::symlink(&name, dir.join("current")).map_err(io(dir))?;
        std::fs::write(dir.join(MARKER), MARKER_TEXT).map_err(io(dir))?;
        let handle = File::open(dir).map_err(io(dir))?;
        rustix::fs::syncfs(&handle).map_err(|e| WorkspaceError::Io(dir.display().to_string(), e.into()))?;
        fsync_tree(dir)
    }

    /// Every file of the current state (relative path to bytes), for `workspace pack`.
    pub fn state_files(&self) -> Result<std::collections::BTreeMap<String, Vec<u8>>, WorkspaceError> {
        let mut files = std::collections::BTreeMap::new();
        collect_files(&self.state(), "", &mut files)?;
        Ok(files)
    }

    fn at(dir: &Path) -> Workspace {
        Workspace { dir: dir.to_path_buf(), parsed: Default::default() }
    }

    /// A file of the current state, parsed by `parse` once per process while the file is
    /// unchanged: every staged role's signatures come from one file, read for each role.
    /// `None` when the file does not exist.
    pub fn read_parsed<T: std::any::Any + Send + Sync>(
        &self,
        rel: &str,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Result<Option<std::sync::Arc<T>>, WorkspaceError> {
        let path = self.state().join(rel);
        let stamp = match FileStamp::of(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(WorkspaceError::Io(path.display().to_string(), e)),
        };
        // One file may be kept parsed as several things (the transcript as records and as
        // a ledger), each under its own key.
        let key = format!("{rel}\0{}", std::any::type_name::<T>());
        // Held while parsing, so threads asking at once parse the file once.
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((s, value)) = parsed.get(&key) {
            if *s == stamp {
                if let Ok(v) = value.clone().downcast::<T>() {
                    return Ok(Some(v));
                }
            }
        }
        let Some(bytes) = self.read(rel)? else { return Ok(None) };
        // Stamped before reading: a file replaced in between is read again next time.
        let value = std::sync::Arc::new(parse(&bytes).map_err(|why| WorkspaceError::Corrupt(rel.to_string(), why))?);
        parsed.insert(key, (stamp, value.clone()));
        Ok(Some(value))
    }

    /// What `compute` makes of the file `rel` of the current state, computed once per process
    /// while the file is unchanged, like [`Workspace::read_parsed`]; `compute` runs without the
    /// cache held, so it may itself read through the cache (a shard's seal is checked under the
    /// verified index, verified under the verified targets).
    pub fn memo<T, E>(&self, rel: &str, compute: impl FnOnce() -> Result<T, E>) -> Result<std::sync::Arc<T>, E>
    where
        T: std::any::Any + Send + Sync,
        E: From<WorkspaceError>,
    {
        let path = self.state().join(rel);
        let key = format!("{rel}\0{}", std::any::type_name::<T>());
        let stamp = match FileStamp::of(&path) {
            Ok(s) => Some(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(WorkspaceError::Io(path.display().to_string(), e).into()),
        };
        if let Some(stamp) = stamp {
            let parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((s, value)) = parsed.get(&key) {
                if *s == stamp {
                    if let Ok(v) = value.clone().downcast::<T>() {
                        return Ok(v);
                    }
                }
            }
        }
        let value = std::sync::Arc::new(compute()?);
        if let Some(stamp) = stamp {
            self.parsed.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (stamp, value.clone()));
        }
        Ok(value)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the workspace's lock without waiting: a second process is refused at once.
    pub fn lock(&self) -> Result<WorkspaceLock, WorkspaceError> {
        let path = self.dir.join(".lock");
        // Not through a link: a `.lock` planted as a link to /etc/nologin would have root
        // create that file.
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
        let file = File::options().create(true).truncate(false).write(true).custom_flags(no_follow).open(&path).map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(WorkspaceLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(WorkspaceError::Locked(self.dir.display().to_string())),
            Err(std::fs::TryLockError::Error(e)) => Err(WorkspaceError::Io(path.display().to_string(), e)),
        }
    }

    /// The directory of the current state (read through the `current` link).
    pub fn state(&self) -> PathBuf {
        self.dir.join("current")
    }

    /// Starts a change: a new state made of hard links to the current one's files.
    pub fn begin<'l>(&self, lock: &'l WorkspaceLock) -> Result<Transaction<'l>, WorkspaceError> {
        let states = self.dir.join("states");
        let current = std::fs::read_link(self.dir.join("current")).ok();
        let number = current.as_ref().and_then(|c| c.file_name()?.to_str()?.parse::<u64>().ok()).unwrap_or(0) + 1;
        let name = format!("{number:06}");
        let new = states.join(&name);
        // Leftovers of a transaction that crashed before its commit are never current.
        if new.exists() {
            std::fs::remove_dir_all(&new).map_err(io(&new))?;
        }
        std::fs::create_dir_all(&new).map_err(io(&new))?;
        if current.is_some() {
            link_tree(&self.state(), &new)?;
        }
        Ok(Transaction {
            ws_dir: self.dir.clone(),
            dir: new,
            link_target: PathBuf::from("states").join(name),
            transcript: None,
            _lock: lock,
            committed: false,
        })
    }

    /// Every registered holder, by name.
    pub fn holders(&self) -> Result<Vec<Holder>, WorkspaceError> {
        let dir = self.in_state("holders")?;
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => {
                entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(WorkspaceError::Io(dir.display().to_string(), e)),
        };
        paths.sort();
        let ledger = self.ledger()?;
        let names: Vec<&str> = paths.iter().filter_map(|p| p.file_stem()?.to_str()).collect();
        if let Some(why) = ledger::set_mismatch("holder record", names, &ledger.holders, |n| format!("holders/{n}.json")) {
            return Err(WorkspaceError::Tampered(why));
        }
        paths.iter().map(|p| self.read_holder_in_state(p, &ledger)).collect()
    }

    /// The holder named `name`.
    pub fn holder(&self, name: &str) -> Result<Holder, WorkspaceError> {
        check_name(name).map_err(|source| WorkspaceError::Holder { path: name.to_string(), source })?;
        let path = self.in_state(&format!("holders/{name}.json"))?;
        let ledger = self.ledger()?;
        if !path.is_file() {
            if let Some(e) = ledger.holders.get(name) {
                return Err(WorkspaceError::Tampered(ledger::missing(&format!("holders/{name}.json"), e)));
            }
            return Err(WorkspaceError::NoSuchHolder(name.to_string()));
        }
        read_holder(&path, &ledger)
    }

    /// A holder file found in `holders/`, refused when it is a link (see [`Workspace::in_state`]).
    fn read_holder_in_state(&self, path: &Path, ledger: &ledger::Ledger) -> Result<Holder, WorkspaceError> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        self.in_state(&format!("holders/{name}"))?;
        read_holder(path, ledger)
    }

    /// Registers a new holder in its own transaction.
    pub fn add_holder(&self, lock: &WorkspaceLock, holder: &Holder) -> Result<(), WorkspaceError> {
        let mut tx = self.begin(lock)?;
        tx.add_holder(self, holder)?;
        tx.commit()
    }

    /// The transcript's records, after checking the whole chain.
    pub fn transcript(&self) -> Result<Vec<Record>, WorkspaceError> {
        let records = transcript::read(&self.in_state(TRANSCRIPT)?)?;
        if records.is_empty() {
            return Err(TranscriptError::Empty.into());
        }
        Ok(records)
    }

    /// What the transcript says this workspace holds (see [`ledger`]), computed once per
    /// process from the checked chain.
    pub fn ledger(&self) -> Result<std::sync::Arc<ledger::Ledger>, WorkspaceError> {
        let parse = |bytes: &[u8]| -> Result<ledger::Ledger, String> {
            let records = transcript::read_bytes(bytes).map_err(|e| e.to_string())?;
            Ok(ledger::Ledger::from_records(&records))
        };
        match self.read_parsed(TRANSCRIPT, parse) {
            Ok(Some(l)) => Ok(l),
            Ok(None) => Err(TranscriptError::Empty.into()),
            // The chain's own sentence says what is wrong with it.
            Err(WorkspaceError::Corrupt(_, why)) => Err(WorkspaceError::Corrupt(TRANSCRIPT.into(), why)),
            Err(e) => Err(e),
        }
    }

    /// The transcript file's bytes, as a bundle ships them.
    pub fn transcript_bytes(&self) -> Result<Vec<u8>, WorkspaceError> {
        let path = self.in_state(TRANSCRIPT)?;
        let missing = || std::io::Error::from(std::io::ErrorKind::NotFound);
        transcript::read_file(&path)?.ok_or_else(|| io(&path)(missing()))
    }

    /// Checks the transcript's chain (and that it reaches `expected`, if given).
    pub fn verify_transcript(&self, expected: Option<&Head>) -> Result<Head, WorkspaceError> {
        let head = transcript::verify(&self.in_state(TRANSCRIPT)?, expected)?;
        if head.records == 0 {
            return Err(TranscriptError::Empty.into());
        }
        Ok(head)
    }

    /// `rel` in the current state, refused when it or a directory on the way is a link or
    /// (at the end) neither a file nor a directory: a link planted on the stick would have the
    /// workspace read a file of the machine (or a FIFO that never ends) as its own.
    fn in_state(&self, rel: &str) -> Result<PathBuf, WorkspaceError> {
        let mut path = self.state();
        for part in Path::new(rel).components() {
            path.push(part);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() || m.is_file() => {}
                Ok(_) => {
                    return Err(WorkspaceError::Corrupt(
                        rel.to_string(),
                        "it is a link or a special file, not a file of the workspace".into(),
                    ))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(e) => return Err(WorkspaceError::Io(path.display().to_string(), e)),
            }
        }
        Ok(self.state().join(rel))
    }

    /// Reads a file of the current state, `None` when it does not exist.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, WorkspaceError> {
        let path = self.in_state(rel)?;
        match crate::tuf::limits::read_limited(&path, crate::tuf::limits::MAX_METADATA_FILE) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(WorkspaceError::Io(path.display().to_string(), e)),
        }
    }

    /// The names of the files in a directory of the current state, sorted.
    pub fn list(&self, rel: &str) -> Result<Vec<String>, WorkspaceError> {
        let dir = self.in_state(rel)?;
        let mut names: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(WorkspaceError::Io(dir.display().to_string(), e)),
        };
        names.retain(|n| !n.starts_with('.'));
        names.sort();
        Ok(names)
    }
}

/// A change to the workspace, invisible until [`Transaction::commit`].
pub struct Transaction<'l> {
    ws_dir: PathBuf,
    dir: PathBuf,
    link_target: PathBuf,
    /// Records appended so far, written once at commit.
    transcript: Option<transcript::Appender>,
    _lock: &'l WorkspaceLock,
    committed: bool,
}

impl Drop for Transaction<'_> {
    /// A transaction dropped without [`Transaction::commit`] (a refusal half-way through a
    /// command) removes its new state directory, so a refused command leaves the workspace
    /// byte for byte as it was. (After a crash, [`Workspace::begin`] removes the leftovers.)
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Transaction<'_> {
    /// Writes (or replaces) a file of the new state. Never writes into a linked file: the
    /// old link is removed and a new file made. The new state is invisible until commit,
    /// which makes it durable with one `syncfs`, so no write needs its own fsync.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), WorkspaceError> {
        let path = self.make_room(rel)?;
        std::fs::write(&path, bytes).map_err(io(&path))?;
        crate::support::failpoint::hit("transaction-write");
        Ok(())
    }

    /// The path of `rel` in the new state, its directory made and any linked file there
    /// removed, ready for a new file.
    fn make_room(&mut self, rel: &str) -> Result<PathBuf, WorkspaceError> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        self.remove(rel)?;
        Ok(path)
    }

    /// [`Transaction::write`] for many files, their bytes copied on every core: a promotion
    /// writes hundreds of claimed shards.
    pub fn write_many(&mut self, files: &[(String, Vec<u8>)]) -> Result<(), WorkspaceError> {
        for (rel, _) in files {
            self.make_room(rel)?;
        }
        let dir = &self.dir;
        let written = crate::support::par::map(files, |(rel, bytes)| {
            let path = dir.join(rel);
            std::fs::write(&path, bytes).map_err(|e| WorkspaceError::Io(path.display().to_string(), e))
        });
        written.into_iter().collect()
    }

    /// Reads a file of the new state, `None` when it does not exist.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, WorkspaceError> {
        if let (TRANSCRIPT, Some(t)) = (rel, &self.transcript) {
            return Ok(Some(t.text().to_vec()));
        }
        let path = self.dir.join(rel);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(WorkspaceError::Io(path.display().to_string(), e)),
        }
    }

    /// Moves a file of the new state (replacing any file at `to`).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), WorkspaceError> {
        let (src, dst) = (self.dir.join(from), self.dir.join(to));
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::rename(&src, &dst).map_err(io(&src))
    }

    /// [`Transaction::rename`] when `from` exists.
    pub fn rename_if_present(&mut self, from: &str, to: &str) -> Result<(), WorkspaceError> {
        if self.dir.join(from).exists() {
            self.rename(from, to)?;
        }
        Ok(())
    }

    /// Removes a file of the new state, if present.
    pub fn remove(&mut self, rel: &str) -> Result<(), WorkspaceError> {
        let path = self.dir.join(rel);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(WorkspaceError::Io(path.display().to_string(), e)),
        }
    }

    /// Appends an action to the new state's transcript.
    pub fn record(&mut self, action: Action) -> Result<Record, WorkspaceError> {
        let now = format_expires(time::OffsetDateTime::now_utc());
        if self.transcript.is_none() {
            self.transcript = Some(transcript::Appender::open(&self.dir.join(TRANSCRIPT))?);
        }
        // Only `init` starts a transcript; any other first record means it was emptied.
        if action.action != "init" && self.transcript.as_ref().is_some_and(|t| t.is_empty()) {
            return Err(TranscriptError::Empty.into());
        }
        match self.transcript.as_mut() {
            Some(t) => Ok(t.push(action, &now)?),
            None => Err(WorkspaceError::Corrupt(TRANSCRIPT.into(), "the transcript could not be opened".into())),
        }
    }

    /// Registers a new holder, refusing a taken name or an already registered key.
    pub fn add_holder(&mut self, ws: &Workspace, holder: &Holder) -> Result<(), WorkspaceError> {
        check_name(&holder.name).map_err(|source| WorkspaceError::Holder { path: holder.name.clone(), source })?;
        let rel = format!("holders/{}.json", holder.name);
        if self.dir.join(&rel).exists() {
            return Err(WorkspaceError::HolderExists(holder.name.clone()));
        }
        if let Some(other) = ws.holders()?.into_iter().find(|h| h.key.keyid() == holder.key.keyid()) {
            return Err(WorkspaceError::KeyAlreadyRegistered { holder: other.name, keyid: holder.key.keyid().into() });
        }
        let record = holder.to_json();
        self.write(&rel, &record)?;
        self.record(Action {
            action: "key-new".into(),
            holder: Some(holder.name.clone()),
            // The whole record, so that no field of it (the device that signs) can change later.
            digest: Some(hex::encode(sha2::Sha256::digest(&record))),
            keyid: Some(holder.key.keyid().to_string()),
            device: Some(holder.describe()),
            ..Action::default()
        })?;
        Ok(())
    }

    /// Makes the new state current with one atomic rename, then drops the old state.
    pub fn commit(mut self) -> Result<(), WorkspaceError> {
        crate::support::failpoint::hit("commit-start");
        if let Some(t) = self.transcript.take() {
            self.write(TRANSCRIPT, t.text())?;
        }
        let dir = std::fs::File::open(&self.dir).map_err(io(&self.dir))?;
        rustix::fs::syncfs(&dir).map_err(|e| WorkspaceError::Io(self.dir.display().to_string(), e.into()))?;
        fsync_tree(&self.dir)?;
        let link = self.ws_dir.join("current");
        let old = std::fs::read_link(&link).ok();
        let tmp = self.ws_dir.join(".current.new");
        crate::support::failpoint::hit("commit-before-rename");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&self.link_target, &tmp).map_err(io(&tmp))?;
        crate::support::failpoint::hit("commit-link-made");
        std::fs::rename(&tmp, &link).map_err(io(&link))?;
        // From here on the new state is current: never remove it.
        self.committed = true;
        crate::support::failpoint::hit("commit-after-rename");
        fsync_dir(&self.ws_dir).map_err(io(&self.ws_dir))?;
        if let Some(old) = old.filter(|o| *o != self.link_target) {
            // Only space is at stake now; a failure here leaves an unused directory behind.
            let _ = std::fs::remove_dir_all(self.ws_dir.join(old));
        }
        Ok(())
    }
}

enum Current {
    Link,
    Directory,
}

fn copied(dir: &Path, what: &str) -> WorkspaceError {
    WorkspaceError::CopiedWithoutLinks(dir.display().to_string(), what.to_string())
}

/// What stands at `current` in a directory with a workspace marker. `init` writes the
/// marker after the first commit, so a marker without `current` means the link was lost
/// in copying, not a half-made workspace.
fn current_kind(dir: &Path) -> Result<Current, WorkspaceError> {
    if !dir.join(MARKER).is_file() {
        return Err(WorkspaceError::NotAWorkspace(dir.display().to_string()));
    }
    let current = dir.join("current");
    match std::fs::symlink_metadata(&current) {
        Ok(m) if m.file_type().is_symlink() && current.is_dir() => {
            state_in_workspace(dir)?;
            Ok(Current::Link)
        }
        Ok(m) if m.is_dir() => Ok(Current::Directory),
        Ok(m) if m.file_type().is_symlink() => Err(copied(dir, "its `current` link points at no state")),
        Ok(_) => Err(copied(dir, "its `current` link became a plain file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(copied(dir, "its `current` link is missing")),
        Err(e) => Err(WorkspaceError::Io(current.display().to_string(), e)),
    }
}

/// Makes the workspace directory `dir` (`WS/review`) if it is missing; refuses it when it is a
/// link or a file. A link planted on the stick (to `/etc/cron.d`, say) would otherwise receive
/// what is written there, text that comes from staged files.
pub fn own_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(std::io::Error::other(format!("{} is a link or a file, not a directory of the workspace", dir.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(dir),
        Err(e) => Err(e),
    }
}

/// Refuses a `current` link that leads out of the workspace. Anyone with the stick can rewrite
/// the link (`/home/op`, `../..`) or make `states` a link elsewhere; the workspace would then be
/// read from there, and every commit removes the old state, wherever it was. So `current`
/// must name `states/NUMBER`, and `states` and that state must be real directories here.
fn state_in_workspace(dir: &Path) -> Result<(), WorkspaceError> {
    let current = dir.join("current");
    let target = std::fs::read_link(&current).map_err(io(&current))?;
    let altered = |why: String| WorkspaceError::Corrupt(current.display().to_string(), why);
    let numbered = |c: &std::path::Component| match c {
        std::path::Component::Normal(n) => n.to_str().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        _ => false,
    };
    let parts: Vec<std::path::Component> = target.components().collect();
    let inside = matches!(parts.as_slice(), [std::path::Component::Normal(s), n] if *s == "states" && numbered(n));
    if !inside {
        return Err(altered(format!(
            "its `current` link leads to {}, not to a state in {}",
            target.display(),
            dir.join("states").display()
        )));
    }
    for real in [dir.join("states"), dir.join(&target)] {
        let meta = std::fs::symlink_metadata(&real).map_err(io(&real))?;
        if !meta.is_dir() {
            return Err(altered(format!("{} is not a directory of this workspace but a link or a file", real.display())));
        }
    }
    Ok(())
}

/// Refuses a directory whose file system cannot make the symbolic and hard links every
/// transaction uses, before anything is written there. Copying files instead of linking
/// them would work on FAT, but a FAT rename is not atomic across a power loss either, so
/// the workspace could not keep its promise there at all.
fn probe_links(dir: &Path) -> Result<(), WorkspaceError> {
    let probe = tempfile::Builder::new().prefix(crate::support::fsio::TEMP_PREFIX).tempfile_in(dir).map_err(io(dir))?;
    let hard = dir.join(format!("{}hard-{}", crate::support::fsio::TEMP_PREFIX, std::process::id()));
    let soft = dir.join(format!("{}soft-{}", crate::support::fsio::TEMP_PREFIX, std::process::id()));
    let hard_ok = std::fs::hard_link(probe.path(), &hard).is_ok();
    let soft_ok = std::os::unix::fs::symlink("probe", &soft).is_ok();
    let _ = std::fs::remove_file(&hard);
    let _ = std::fs::remove_file(&soft);
    let missing = match (soft_ok, hard_ok) {
        (true, true) => return Ok(()),
        (false, false) => "symbolic links or hard links",
        (false, true) => "symbolic links",
        (true, false) => "hard links",
    };
    Err(WorkspaceError::UnsupportedFileSystem(dir.display().to_string(), missing))
}

/// Reads every regular file under `dir` into `files`, named by its path below the state.
fn collect_files(dir: &Path, prefix: &str, files: &mut std::collections::BTreeMap<String, Vec<u8>>) -> Result<(), WorkspaceError> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            return Err(WorkspaceError::Corrupt(path.display().to_string(), "its name is not UTF-8 text".into()));
        };
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() {
            collect_files(&path, &format!("{rel}/"), files)?;
        } else if kind.is_file() {
            files.insert(rel, crate::tuf::limits::read_limited(&path, crate::tuf::limits::MAX_METADATA_FILE).map_err(io(&path))?);
        } else {
            return Err(WorkspaceError::Corrupt(path.display().to_string(), "not a regular file".into()));
        }
    }
    Ok(())
}

/// Recreates `from`'s tree under `to` with hard links to its files.
fn link_tree(from: &Path, to: &Path) -> Result<(), WorkspaceError> {
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(io(&src))?;
        if kind.is_dir() {
            std::fs::create_dir_all(&dst).map_err(io(&dst))?;
            link_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::hard_link(&src, &dst).map_err(io(&dst))?;
        } else {
            return Err(WorkspaceError::Corrupt(src.display().to_string(), "not a regular file".into()));
        }
    }
    Ok(())
}

/// fsyncs every directory of a tree (files were flushed by `syncfs`).
fn fsync_tree(dir: &Path) -> Result<(), WorkspaceError> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if entry.file_type().map_err(io(dir))?.is_dir() {
            fsync_tree(&entry.path())?;
        }
    }
    fsync_dir(dir).map_err(io(dir))
}

/// Reads a holder record, refused unless it is the record its `key-new` transcript record
/// registered: the same bytes (or, for records registered before the transcript kept their
/// digest, the same keyid). A record names the key people approve and the device that
/// signs, so one rewritten on the stick must never be believed.
fn read_holder(path: &Path, ledger: &ledger::Ledger) -> Result<Holder, WorkspaceError> {
    let bytes = crate::tuf::limits::read_limited(path, crate::support::fsio::MAX_KEY_FILE).map_err(io(path))?;
    let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or_default();
    let rel = format!("holders/{name}.json");
    let Some(entry) = ledger.holders.get(name) else {
        return Err(WorkspaceError::Tampered(format!(
            "the workspace file {rel} is a holder record that no transcript record registered (it was put there outside ceremony); {}",
            ledger::RESTORE
        )));
    };
    let changed = || {
        WorkspaceError::Tampered(format!(
            "the workspace file {rel} is not the holder record {} registered (it was changed outside ceremony); {}",
            entry.name(),
            ledger::RESTORE
        ))
    };
    if entry.digest.as_ref().is_some_and(|d| *d != hex::encode(sha2::Sha256::digest(&bytes))) {
        return Err(changed());
    }
    let holder = Holder::from_json(&bytes).map_err(|source| WorkspaceError::Holder { path: path.display().to_string(), source })?;
    if entry.keyid.as_deref().is_some_and(|k| k != holder.key.keyid()) || holder.name != name {
        return Err(changed());
    }
    Ok(holder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_dir_makes_a_missing_directory_and_refuses_a_link_or_a_file() {
        let t = tempfile::tempdir().unwrap();
        let review = t.path().join("review");
        own_dir(&review).unwrap();
        assert!(review.is_dir(), "expected `review.is_dir()`; review = {:?}", review);
        own_dir(&review).unwrap();
        let elsewhere = t.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let got = own_dir(&link).unwrap_err().to_string();
        assert!(got.contains("is a link or a file"), "expected {:?} to contain {:?}", got, "is a link or a file");
        std::fs::write(t.path().join("file"), b"").unwrap();
        let got = own_dir(&t.path().join("file"));
        assert!(got.is_err(), "expected an error, got {:?}", got);
    }
}
