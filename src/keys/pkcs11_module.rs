//! Which PKCS#11 modules may be loaded: the machine's, never the workspace's.
//!
//! Loading a module runs its code: `dlopen` runs the library's constructors before any
//! PKCS#11 call, inside the signing process. A holder record is a file on a USB stick that
//! anyone who handles it can rewrite without a key, so the module it names is only a name: it
//! is loaded only when its real path (symbolic links resolved) lies in a system library
//! directory ([`SYSTEM_DIRS`], their subdirectories too) or is listed, one absolute path a
//! line, in the machine's own file [`MACHINE_LIST`]; and the file and every directory from
//! `/` down to it are owned by root and writable by no one else, so only root could have put
//! it there. The module is then loaded by that resolved path, never searched for again.
//!
//! The only way to a loadable module is [`allowed`] (or [`ModulePolicy::check`]): the signer
//! takes an [`AllowedModule`], which nothing else can make. See docs/pkcs11-keys.md.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Root-owned system library directories; a module anywhere below one of them may be loaded
/// (`/usr/lib/softhsm`, `/usr/lib/x86_64-linux-gnu`, `/usr/local/lib/pkcs11`, ...).
pub const SYSTEM_DIRS: [&str; 7] = ["/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/usr/local/lib", "/usr/local/lib64"];

/// The machine's list of further modules (a vendor's under `/opt`), one absolute path a line;
/// blank lines and lines starting with `#` are skipped. It must be root's as the modules are.
pub const MACHINE_LIST: &str = "/etc/ceremony/pkcs11-modules";

/// The machine list is a few lines; anything longer is not one.
const MACHINE_LIST_CAP: u64 = 64 * 1024;

/// What to do, the end of every refusal.
const FIX: &str = "a module must be root's, under /usr/lib or /usr/local/lib or listed in /etc/ceremony/pkcs11-modules \
                   (docs/pkcs11-keys.md): install or list it there, or restore an altered holder record from a trusted copy";

/// A module that will not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{whose} names the PKCS#11 module {named:?}, which {why}; nothing was loaded; {FIX}")]
pub struct ModuleRefused {
    /// Who named it: `holder record alice (holders/alice.json)`, `--module`.
    pub whose: String,
    /// The name as given.
    pub named: String,
    /// Why it is refused, in words that follow "which".
    pub why: String,
}

/// A module that passed the check: its resolved path is what gets loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedModule {
    named: String,
    path: PathBuf,
}

impl AllowedModule {
    /// The name as the holder record or `--module` gave it (what a record stores).
    pub fn named(&self) -> &str {
        &self.named
    }

    /// The resolved path: the file that is loaded.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SHA-256 of the file that would be loaded, for preflight's line.
    pub fn sha256(&self) -> std::io::Result<String> {
        crate::support::buildinfo::file_sha256(&self.path)
    }
}

/// Where modules may come from, and who must own them.
#[derive(Debug, Clone)]
pub struct ModulePolicy {
    system_dirs: Vec<PathBuf>,
    machine_list: PathBuf,
    owners: Vec<u32>,
    /// The highest directory whose ownership is checked: `/` on a machine. The unit tests'
    /// trees stop at their own root, so a checkout under `/tmp` (mode 1777) can run them.
    top: PathBuf,
}

/// Checks `named` against this machine's rules ([`ModulePolicy::machine`]); `whose` names the
/// holder record or flag for the refusal.
pub fn allowed(named: &str, whose: &str) -> Result<AllowedModule, ModuleRefused> {
    ModulePolicy::machine().check(named, whose)
}

/// `holder record NAME (holders/NAME.json)`, the `whose` of a refusal for a holder's module.
pub fn holder_record(name: &str) -> String {
    format!("holder record {name} (holders/{name}.json)")
}

impl ModulePolicy {
    /// The rules of this machine: [`SYSTEM_DIRS`], [`MACHINE_LIST`], owned by root.
    pub fn machine() -> ModulePolicy {
        ModulePolicy {
            system_dirs: SYSTEM_DIRS.iter().map(PathBuf::from).collect(),
            machine_list: PathBuf::from(MACHINE_LIST),
            owners: vec![0],
            top: PathBuf::from("/"),
        }
    }

    /// Other directories, list and owners, for the unit tests' temporary trees.
    #[cfg(test)]
    fn with(system_dirs: Vec<PathBuf>, machine_list: PathBuf, owners: Vec<u32>, top: PathBuf) -> ModulePolicy {
        ModulePolicy { system_dirs, machine_list, owners, top }
    }

    /// Accepts `named` (an absolute path, or a plain file name looked up in the system
    /// directories and their multiarch subdirectories) when it resolves to a regular file the
    /// rules allow; nothing is loaded here.
    pub fn check(&self, named: &str, whose: &str) -> Result<AllowedModule, ModuleRefused> {
        let refuse = |why: String| ModuleRefused { whose: whose.to_string(), named: named.to_string(), why };
        let given = self.locate(named).map_err(refuse)?;
        let real = std::fs::canonicalize(&given).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => refuse("does not exist on this machine".into()),
            _ => refuse(format!("cannot be resolved ({e})")),
        })?;
        let meta = std::fs::metadata(&real).map_err(|e| refuse(format!("cannot be read ({e})")))?;
        if !meta.is_file() {
            return Err(refuse(format!("resolves to {real:?}, which is not a regular file")));
        }
        if !self.in_system_dir(&real) {
            match self.listed(&real) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(refuse(format!(
                        "resolves to {real:?}, outside the system library directories and not listed in {}",
                        self.machine_list.display()
                    )))
                }
                Err(why) => return Err(refuse(format!("resolves to {real:?}, outside the system library directories, and {why}"))),
            }
        }
        self.owned_by_root(&real).map_err(|why| refuse(format!("resolves to {real:?}, but {why}")))?;
        Ok(AllowedModule { named: named.to_string(), path: real })
    }

    /// The path `named` stands for: itself when absolute; a plain name's first match in the
    /// system directories (then their `*-linux-*` multiarch subdirectories). A relative path
    /// would depend on where the command runs, so it is refused.
    fn locate(&self, named: &str) -> Result<PathBuf, String> {
        let path = Path::new(named);
        if path.is_absolute() {
            return Ok(path.to_path_buf());
        }
        let plain = matches!(path.components().collect::<Vec<_>>().as_slice(), [Component::Normal(_)]) && !named.contains('/');
        if !plain {
            return Err("is neither an absolute path nor a plain file name".into());
        }
        for dir in &self.system_dirs {
            if dir.join(named).exists() {
                return Ok(dir.join(named));
            }
        }
        for dir in &self.system_dirs {
            for sub in multiarch_dirs(dir) {
                if sub.join(named).exists() {
                    return Ok(sub.join(named));
                }
            }
        }
        Err("is in none of the system library directories".into())
    }

    /// True when `real` lies below a system directory (itself resolved: `/lib` is often a link
    /// to `/usr/lib`).
    fn in_system_dir(&self, real: &Path) -> bool {
        self.system_dirs.iter().filter_map(|d| std::fs::canonicalize(d).ok()).any(|d| real.starts_with(&d) && real != d)
    }

    /// True when the machine list names `real`; an error when the list exists but is not root's
    /// alone (then anyone who could write it could choose code to run) or cannot be read.
    fn listed(&self, real: &Path) -> Result<bool, String> {
        let list = &self.machine_list;
        let file = match std::fs::File::open(list) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(format!("{} cannot be read ({e})", list.display())),
        };
        let list_real = std::fs::canonicalize(list).map_err(|e| format!("{} cannot be resolved ({e})", list.display()))?;
        self.owned_by_root(&list_real).map_err(|why| format!("{} is not to be trusted: {why}", list.display()))?;
        let mut text = String::new();
        file.take(MACHINE_LIST_CAP).read_to_string(&mut text).map_err(|e| format!("{} cannot be read ({e})", list.display()))?;
        let found = listed_paths(&text).any(|line| std::fs::canonicalize(line).is_ok_and(|p| p == real));
        Ok(found)
    }

    /// `real` and every directory above it are owned by an allowed owner (root) and writable by
    /// neither group nor others; the first that is not is named.
    fn owned_by_root(&self, real: &Path) -> Result<(), String> {
        for p in real.ancestors() {
            let meta = std::fs::symlink_metadata(p).map_err(|e| format!("{} cannot be read ({e})", p.display()))?;
            if let Some(why) = unsafe_owner(meta.uid(), meta.mode(), &self.owners) {
                return Err(format!("{} {why}", p.display()));
            }
            if p == self.top {
                break;
            }
        }
        Ok(())
    }
}

/// Why a file with this owner and mode could be changed by someone other than `owners`.
fn unsafe_owner(uid: u32, mode: u32, owners: &[u32]) -> Option<String> {
    if !owners.contains(&uid) {
        Some(format!("is owned by uid {uid}, not root"))
    } else if mode & 0o022 != 0 {
        Some(format!("is writable by group or others (mode {:o})", mode & 0o7777))
    } else {
        None
    }
}

/// The absolute paths a machine list names.
fn listed_paths(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#') && l.starts_with('/'))
}

/// `DIR/x86_64-linux-gnu` and the like: where Debian puts a plain name's library.
fn multiarch_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.contains("-linux-")))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A tree outside world-writable /tmp, owned by whoever runs the tests (root's rules, with
    /// that user standing in for root).
    struct Tree {
        _dir: tempfile::TempDir,
        root: PathBuf,
        owners: Vec<u32>,
    }

    fn tree() -> Tree {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        std::fs::create_dir_all(&base).unwrap();
        let dir = tempfile::tempdir_in(&base).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let me = std::fs::metadata(&root).unwrap().uid();
        Tree { _dir: dir, root, owners: vec![0, me] }
    }

    impl Tree {
        fn file(&self, rel: &str) -> PathBuf {
            let p = self.root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, b"not really a library").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            p
        }

        fn policy(&self) -> ModulePolicy {
            ModulePolicy::with(vec![self.root.join("lib")], self.root.join("etc/pkcs11-modules"), self.owners.clone(), self.root.clone())
        }
    }

    #[test]
    fn a_module_below_a_system_directory_is_allowed_by_path_or_plain_name() {
        let t = tree();
        let module = t.file("lib/softhsm/libsofthsm2.so");
        let ok = t.policy().check(module.to_str().unwrap(), "--module").unwrap();
        assert_eq!(ok.path(), module);
        let plain = t.file("lib/x86_64-linux-gnu/opensc-pkcs11.so");
        let ok = t.policy().check("opensc-pkcs11.so", "--module").unwrap();
        assert_eq!((ok.path(), ok.named()), (plain.as_path(), "opensc-pkcs11.so"));
        assert_eq!(ok.sha256().unwrap().len(), 64);
    }

    #[test]
    fn a_module_elsewhere_is_refused_unless_the_machine_lists_it() {
        let t = tree();
        let vendor = t.file("opt/vendor/libvendor.so");
        let err = t.policy().check(vendor.to_str().unwrap(), "holder record alice (holders/alice.json)").unwrap_err();
        assert!(err.why.contains("not listed in"), "{err}");
        let text = err.to_string();
        assert!(text.starts_with("holder record alice (holders/alice.json) names the PKCS#11 module"), "{text}");
        assert!(text.contains(vendor.to_str().unwrap()) && !text.contains('\n'), "{text}");
        std::fs::create_dir_all(t.root.join("etc")).unwrap();
        std::fs::write(t.root.join("etc/pkcs11-modules"), format!("# vendor\n\n{}\n", vendor.display())).unwrap();
        std::fs::set_permissions(t.root.join("etc/pkcs11-modules"), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(t.policy().check(vendor.to_str().unwrap(), "--module").unwrap().path(), vendor);
        // A list others may write chooses nothing.
        std::fs::set_permissions(t.root.join("etc/pkcs11-modules"), std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = t.policy().check(vendor.to_str().unwrap(), "--module").unwrap_err();
        assert!(err.why.contains("is not to be trusted") && err.why.contains("writable by group or others"), "{err}");
    }

    #[test]
    fn links_relative_paths_and_writable_directories_are_refused() {
        let t = tree();
        let outside = t.file("media/stick/x.so");
        std::fs::create_dir_all(t.root.join("lib")).unwrap();
        std::os::unix::fs::symlink(&outside, t.root.join("lib/x.so")).unwrap();
        let err = t.policy().check(t.root.join("lib/x.so").to_str().unwrap(), "--module").unwrap_err();
        assert!(err.why.contains(&format!("resolves to {outside:?}")), "{err}");
        for relative in ["./x.so", "lib/x.so", "../lib/x.so", ""] {
            assert!(t.policy().check(relative, "--module").is_err(), "{relative}");
        }
        let got = t.policy().check("no-such.so", "--module").unwrap_err().why;
        assert!(
            got.contains("none of the system library directories"),
            "expected {:?} to contain {:?}",
            got,
            "none of the system library directories"
        );
        let module = t.file("lib/pkcs11/m.so");
        std::fs::set_permissions(t.root.join("lib/pkcs11"), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = t.policy().check(module.to_str().unwrap(), "--module").unwrap_err();
        assert!(err.why.contains("lib/pkcs11 is writable by group or others"), "{err}");
        std::fs::set_permissions(t.root.join("lib/pkcs11"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&module, std::fs::Permissions::from_mode(0o664)).unwrap();
        let got = t.policy().check(module.to_str().unwrap(), "--module").unwrap_err().why;
        assert!(got.contains("m.so is writable"), "expected {:?} to contain {:?}", got, "m.so is writable");
        let got = t.policy().check(t.root.join("lib/pkcs11").to_str().unwrap(), "--module").unwrap_err().why;
        assert!(got.contains("not a regular file"), "expected {:?} to contain {:?}", got, "not a regular file");
    }

    #[test]
    fn every_directory_up_to_the_top_is_checked() {
        assert_eq!(ModulePolicy::machine().top, Path::new("/"), "on a machine the walk reaches the root directory");
        let t = tree();
        let module = t.file("lib/m.so");
        std::fs::set_permissions(&t.root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = t.policy().check(module.to_str().unwrap(), "--module").unwrap_err();
        assert!(err.why.contains(&format!("{} is writable by group or others", t.root.display())), "{err}");
        let below = ModulePolicy::with(vec![t.root.join("lib")], t.root.join("etc/list"), t.owners.clone(), t.root.join("lib"));
        assert_eq!(below.check(module.to_str().unwrap(), "--module").unwrap().path(), module, "nothing above the top is read");
        std::fs::set_permissions(&t.root, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn owner_and_mode_rules() {
        assert_eq!(unsafe_owner(0, 0o100755, &[0]), None);
        let got = unsafe_owner(1000, 0o100755, &[0]).unwrap();
        assert!(got.contains("uid 1000"), "expected {:?} to contain {:?}", got, "uid 1000");
        let got = unsafe_owner(0, 0o40775, &[0]).unwrap();
        assert!(got.contains("group or others"), "expected {:?} to contain {:?}", got, "group or others");
        let got = unsafe_owner(0, 0o41777, &[0]).unwrap();
        assert!(
            got.contains("group or others"),
            "a sticky /tmp is still writable by all: expected {:?} to contain {:?}",
            got,
            "group or others"
        );
        let paths: Vec<&str> = listed_paths("# c\n\n /opt/a.so \nrelative.so\n/opt/b.so").collect();
        assert_eq!(paths, ["/opt/a.so", "/opt/b.so"]);
    }
}
