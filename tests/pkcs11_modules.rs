//! Nothing on the stick chooses code to run: a holder record rewritten to name a PKCS#11
//! module on the USB stick is refused by `sign`, `preflight` and `key new pkcs11` before the
//! module is loaded. The module here is a real shared object, built with `cc`, whose
//! constructor writes a marker file the moment anything loads it; the marker must not appear.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::workspace::Setup;
use common::{ceremony, one_sentence, path_str};

/// The attacker's module: a constructor that runs inside whatever process loads it.
const EVIL_C: &str = r#"
#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen(MARKER, "w");
    if (f) { fputs("loaded\n", f); fclose(f); }
}
"#;

/// A loader that dlopen()s its argument, as any PKCS#11 client would: proves the marker
/// appears when the module is really loaded, so its absence means something.
const LOADER_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    return 0;
}
"#;

fn cc(dir: &Path, source: &str, name: &str, args: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let out_path = dir.join(name);
    let out =
        Command::new("cc").args(args).arg("-o").arg(&out_path).arg(&src).arg("-ldl").output().expect("cc (build-essential) is installed");
    assert!(out.status.success(), "cc {name}: {}", String::from_utf8_lossy(&out.stderr));
    out_path
}

/// The stick's module and its marker file (absent until the module is loaded).
struct Planted {
    module: PathBuf,
    marker: PathBuf,
}

fn plant(dir: &Path) -> Planted {
    let marker = dir.join("MODULE-WAS-LOADED");
    let define = format!("-DMARKER=\"{}\"", marker.display());
    let module = cc(dir, EVIL_C, "x.so", &["-shared", "-fPIC", &define]);
    Planted { module, marker }
}

/// What an attacker does with the stick: rewrites `holder`'s record so its key lives in a
/// PKCS#11 token behind `module`; the key and keyid stay, so the record still reads as valid.
fn rewrite_source(ws: &Path, holder: &str, module: &str) {
    let path = ws.join("current/holders").join(format!("{holder}.json"));
    let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    record["source"] = serde_json::json!({"kind": "pkcs11", "module": module, "token": "ceremony", "key_label": holder});
    // A new file, as an editor writes it: the state's other hard links keep the old one.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, serde_json::to_vec_pretty(&record).unwrap()).unwrap();
}

fn lo_only_sysfs(dir: &Path) -> PathBuf {
    let sys = dir.join("sys");
    let lo = sys.join("class/net/lo");
    std::fs::create_dir_all(&lo).unwrap();
    std::fs::write(lo.join("operstate"), "unknown\n").unwrap();
    std::fs::write(lo.join("flags"), "0x9\n").unwrap();
    sys
}

#[test]
fn the_marker_appears_when_the_planted_module_is_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let planted = plant(tmp.path());
    let loader = cc(tmp.path(), LOADER_C, "loader", &[]);
    let out = Command::new(&loader).arg(&planted.module).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(planted.marker.exists(), "the planted module's constructor runs at load: the other tests' check means something");
}

#[test]
fn a_holder_record_naming_a_module_on_the_stick_is_refused_before_it_is_loaded() {
    let st = Setup::with_holders(&["alice", "bob"]);
    st.import_online("online");
    st.root_init("alice,bob", "1", "alice");
    let planted = plant(&st.files);
    let module = path_str(&planted.module).to_string();
    rewrite_source(&st.ws, "alice", &module);
    let pin = common::tokens::pin_file(&st.files, "123456");

    let out = ceremony(&st.ws, &["sign", "--holder", "alice", "--pin-file", path_str(&pin), "--yes"]);
    let msg = one_sentence(&out, 1, "sign");
    assert!(msg.contains("holder record alice (holders/alice.json)") && msg.contains(&module), "{msg}");
    assert!(msg.contains("not listed in /etc/ceremony/pkcs11-modules") && msg.contains("nothing was loaded"), "{msg}");
    assert!(!planted.marker.exists(), "sign loaded the module on the stick");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "nothing is reviewed for a refused record");

    let sys = lo_only_sysfs(&st.files);
    let out = ceremony(&st.ws, &["preflight", "--sys-root", path_str(&sys)]);
    one_sentence(&out, 1, "preflight");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("fail: pkcs11 module: ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("holder record alice") && line.contains(&module), "{line}");
    assert!(!planted.marker.exists(), "preflight loaded the module on the stick");

    // Paths that lead out of the system directories by `..`, relative paths and plain names
    // not found there are refused alike.
    let dotdot = format!("/usr/lib/../..{module}");
    for named in [dotdot.as_str(), "x.so", "./x.so", "../files/x.so"] {
        rewrite_source(&st.ws, "alice", named);
        let out = ceremony(&st.ws, &["sign", "--holder", "alice", "--pin-file", path_str(&pin), "--yes"]);
        let msg = one_sentence(&out, 1, named);
        assert!(msg.contains("holder record alice") && msg.contains(&format!("{named:?}")), "{msg}");
    }
    assert!(!planted.marker.exists());
}

#[test]
fn key_new_pkcs11_refuses_a_module_outside_the_system_directories() {
    let st = Setup::new();
    let planted = plant(&st.files);
    let pin = common::tokens::pin_file(&st.files, "123456");
    let args = ["key", "new", "pkcs11", "--holder", "mallory", "--module", path_str(&planted.module), "--token", "t", "--key-label", "k"];
    let msg = common::refused(&st.ws, &[&args[..], &["--pin-file", path_str(&pin)]].concat(), 2);
    assert!(msg.contains("--module names the PKCS#11 module") && msg.contains(path_str(&planted.module)), "{msg}");
    assert!(!planted.marker.exists(), "key new loaded the module");
}
