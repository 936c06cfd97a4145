//! Reads a JSON list of cases on stdin, each `{"root", "metadata_dir", "targets_dir",
//! "target"}`, and for each loads the repository with tough from the local directories
//! (file:// URLs, FilesystemTransport) trusting `root`, then reads `target`. Prints one
//! JSON list: `{"ok": true, "sha256": HEX}` with the digest of the bytes tough returned, or
//! `{"ok": false, "error": TEXT}`.

use std::io::Read;
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tough::{FilesystemTransport, IntoVec, RepositoryLoader, TargetName};
use url::Url;

fn dir_url(p: &str) -> Result<Url, String> {
    let abs = std::fs::canonicalize(Path::new(p)).map_err(|e| format!("{p}: {e}"))?;
    Url::from_directory_path(&abs).map_err(|()| format!("{p}: not an absolute directory"))
}

fn field<'a>(case: &'a Value, name: &str) -> Result<&'a str, String> {
    case[name]
        .as_str()
        .ok_or_else(|| format!("case has no string field {name:?}"))
}

async fn fetch(case: &Value) -> Result<String, String> {
    let datastore = tempfile_dir()?;
    let verdict = fetch_in(case, &datastore).await;
    let _ = std::fs::remove_dir_all(&datastore);
    verdict
}

async fn fetch_in(case: &Value, datastore: &Path) -> Result<String, String> {
    let root = std::fs::read(field(case, "root")?).map_err(|e| format!("root: {e}"))?;
    let repo = RepositoryLoader::new(
        &root,
        dir_url(field(case, "metadata_dir")?)?,
        dir_url(field(case, "targets_dir")?)?,
    )
    .transport(FilesystemTransport)
    .datastore(datastore)
    .load()
    .await
    .map_err(|e| format!("load: {e}"))?;
    let name = TargetName::new(field(case, "target")?).map_err(|e| format!("target name: {e}"))?;
    let stream = repo
        .read_target(&name)
        .await
        .map_err(|e| format!("read_target: {e}"))?;
    let stream = stream.ok_or_else(|| "target not found".to_string())?;
    let bytes = stream
        .into_vec()
        .await
        .map_err(|e| format!("download: {e}"))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// A fresh, empty datastore per case so no state carries over between cases.
fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "tough-client-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).map_err(|e| format!("datastore: {e}"))?;
    Ok(d)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("cannot read the cases on stdin: {e}");
        return std::process::ExitCode::from(2);
    }
    let cases: Vec<Value> = match serde_json::from_str(&input) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("the cases on stdin are not a JSON list: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut out = Vec::with_capacity(cases.len());
    for case in &cases {
        out.push(match fetch(case).await {
            Ok(sha256) => json!({"ok": true, "sha256": sha256}),
            Err(error) => json!({"ok": false, "error": error}),
        });
    }
    println!("{}", Value::Array(out));
    std::process::ExitCode::SUCCESS
}
