//! The ceremony workspace on disk.
//!
//! ```text
//! WORKSPACE/
//!   ceremony-workspace.json   marker: format name and version
//!   .lock                     held (flock) by the one ceremony process changing the workspace
//!   holders/HOLDER.json       each keyholder's public descriptor (see `holder`)
//!   transcript.jsonl          the hash-chained record of every action (see `transcript`)
//! ```
//!
//! Every file is written atomically (see `fsio`), so after a crash the workspace is as it
//! was before the command or as it is after it.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::datetime::format_expires;
use crate::fsio::write_atomic;
use crate::holder::{check_name, Holder, HolderError};
use crate::transcript::{self, Action, Head, Record, TranscriptError};

const MARKER: &str = "ceremony-workspace.json";
const MARKER_TEXT: &str = "{\"format\": \"ceremony-workspace\", \"version\": 1}\n";

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
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorkspaceError + '_ {
    move |e| WorkspaceError::Io(path.display().to_string(), e)
}

/// An open workspace. Changing it requires [`Workspace::lock`].
pub struct Workspace {
    dir: PathBuf,
}

/// Held while a command changes the workspace; released on drop (and by the kernel if the
/// process dies).
pub struct WorkspaceLock {
    _file: File,
}

impl Workspace {
    /// Creates an empty workspace in `dir` (created if missing); refuses if one is there.
    pub fn init(dir: &Path) -> Result<Workspace, WorkspaceError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let marker = dir.join(MARKER);
        if marker.exists() {
            return Err(WorkspaceError::AlreadyExists(dir.display().to_string()));
        }
        let ws = Workspace { dir: dir.to_path_buf() };
        let _lock = ws.lock()?;
        std::fs::create_dir_all(ws.holders_dir()).map_err(io(dir))?;
        write_atomic(&marker, MARKER_TEXT.as_bytes()).map_err(io(&marker))?;
        ws.record(&_lock, Action { action: "init".into(), ..Action::default() })?;
        Ok(ws)
    }

    fn transcript_path(&self) -> PathBuf {
        self.dir.join("transcript.jsonl")
    }

    /// Appends an action to the transcript. The caller holds the lock.
    pub fn record(&self, _lock: &WorkspaceLock, action: Action) -> Result<Record, WorkspaceError> {
        let now = format_expires(time::OffsetDateTime::now_utc());
        Ok(transcript::append(&self.transcript_path(), action, &now)?)
    }

    /// The transcript's records, after checking the whole chain.
    pub fn transcript(&self) -> Result<Vec<Record>, WorkspaceError> {
        Ok(transcript::read(&self.transcript_path())?)
    }

    /// Checks the transcript's chain (and that it reaches `expected`, if given).
    pub fn verify_transcript(&self, expected: Option<&Head>) -> Result<Head, WorkspaceError> {
        Ok(transcript::verify(&self.transcript_path(), expected)?)
    }

    /// Opens the workspace in `dir`.
    pub fn open(dir: &Path) -> Result<Workspace, WorkspaceError> {
        if !dir.join(MARKER).is_file() {
            return Err(WorkspaceError::NotAWorkspace(dir.display().to_string()));
        }
        Ok(Workspace { dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the workspace's lock without waiting: a second process is refused at once.
    pub fn lock(&self) -> Result<WorkspaceLock, WorkspaceError> {
        let path = self.dir.join(".lock");
        let file = File::options().create(true).truncate(false).write(true).open(&path).map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(WorkspaceLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(WorkspaceError::Locked(self.dir.display().to_string())),
            Err(std::fs::TryLockError::Error(e)) => Err(WorkspaceError::Io(path.display().to_string(), e)),
        }
    }

    fn holders_dir(&self) -> PathBuf {
        self.dir.join("holders")
    }

    fn holder_path(&self, name: &str) -> PathBuf {
        self.holders_dir().join(format!("{name}.json"))
    }

    /// Every registered holder, by name.
    pub fn holders(&self) -> Result<Vec<Holder>, WorkspaceError> {
        let dir = self.holders_dir();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(io(&dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths.iter().map(|p| read_holder(p)).collect()
    }

    /// The holder named `name`.
    pub fn holder(&self, name: &str) -> Result<Holder, WorkspaceError> {
        check_name(name).map_err(|source| WorkspaceError::Holder { path: name.to_string(), source })?;
        let path = self.holder_path(name);
        if !path.is_file() {
            return Err(WorkspaceError::NoSuchHolder(name.to_string()));
        }
        read_holder(&path)
    }

    /// Registers a new holder. The caller holds the lock.
    pub fn add_holder(&self, _lock: &WorkspaceLock, holder: &Holder) -> Result<(), WorkspaceError> {
        check_name(&holder.name).map_err(|source| WorkspaceError::Holder { path: holder.name.clone(), source })?;
        let path = self.holder_path(&holder.name);
        if path.exists() {
            return Err(WorkspaceError::HolderExists(holder.name.clone()));
        }
        if let Some(other) = self.holders()?.into_iter().find(|h| h.key.keyid() == holder.key.keyid()) {
            return Err(WorkspaceError::KeyAlreadyRegistered { holder: other.name, keyid: holder.key.keyid().into() });
        }
        write_atomic(&path, &holder.to_json()).map_err(io(&path))?;
        self.record(
            _lock,
            Action {
                action: "key-new".into(),
                holder: Some(holder.name.clone()),
                keyid: Some(holder.key.keyid().to_string()),
                device: Some(holder.describe()),
                ..Action::default()
            },
        )?;
        Ok(())
    }
}

fn read_holder(path: &Path) -> Result<Holder, WorkspaceError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    Holder::from_json(&bytes).map_err(|source| WorkspaceError::Holder { path: path.display().to_string(), source })
}
