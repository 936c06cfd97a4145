//! The layout docs/architecture.md describes, checked against the source:
//! - every `crate::` path in a module points into its own layer folder or a layer below
//!   (tests beside the code, after `#[cfg(test)]`, are not counted);
//! - no two modules use each other, directly or round a longer circle;
//! - docs/architecture.md names every module in src/ and crates/tuf/src/, and every module
//!   it names exists.
//!
//! The TUF rules (crates/tuf) are a crate of their own: the compiler keeps them from using
//! anything here, so this test reads only the `ceremony` crate's src/.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layer folders of src/ (and `demo.rs`) from the bottom up. A module may use its own
/// folder and the folders of lower layers; two folders of one layer stay apart. The TUF
/// rules, beside `support` in layer 1, are the crate crates/tuf.
const LAYERS: [(&str, u8); 8] =
    [("support", 1), ("keys", 2), ("pypi", 2), ("workspace", 3), ("bundle", 4), ("audit", 4), ("demo", 5), ("cli", 6)];

fn layer(top: &str) -> u8 {
    LAYERS.iter().find(|(name, _)| *name == top).map(|(_, l)| *l).unwrap_or_else(|| panic!("src/{top} is in no layer"))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Module path of a file below src/: `workspace/mod.rs` is `workspace`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code a module's dependencies are read from: comments dropped, tests cut off.
fn code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// Every module (by path) and the modules it uses.
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).filter(|m| !is_root(m)).collect();
    let mut out = BTreeMap::new();
    for file in &files {
        let me = module_of(file);
        if is_root(&me) {
            continue;
        }
        let code = code(file);
        let mut uses = BTreeSet::new();
        for path in paths_in(&code, &me, &modules) {
            if let Some(target) = longest_module(&path, &modules) {
                if target != me {
                    uses.insert(target);
                }
            }
        }
        out.insert(me, uses);
    }
    out
}

fn is_root(m: &[String]) -> bool {
    m == ["lib"] || m == ["main"]
}

/// The absolute paths a module's code names: `crate::a::b`, `super::x`, and a child
/// module named bare from its parent (`child::item`).
fn paths_in(code: &str, me: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let words = |rest: &str| -> Vec<String> {
        let mut ws = Vec::new();
        let mut s = rest;
        loop {
            let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
            if end == 0 {
                break;
            }
            ws.push(s[..end].to_string());
            match s[end..].strip_prefix("::") {
                Some(next) => s = next,
                None => break,
            }
        }
        ws
    };
    for (i, _) in code.match_indices("crate::") {
        if is_path_start(code, i) {
            out.push(words(&code[i + 7..]));
        }
    }
    for (i, _) in code.match_indices("super::") {
        if is_path_start(code, i) {
            let mut base = me[..me.len().saturating_sub(1)].to_vec();
            base.extend(words(&code[i + 7..]));
            out.push(base);
        }
    }
    let children = modules.iter().filter(|m| m.len() == me.len() + 1 && m.starts_with(me));
    for child in children {
        let name = format!("{}::", child.last().unwrap());
        for (i, _) in code.match_indices(&name) {
            if is_path_start(code, i) {
                let mut full = me.to_vec();
                full.extend(words(&code[i..]));
                out.push(full);
            }
        }
    }
    out
}

/// True when the match at `i` begins a path rather than continuing one (`x::crate::`) or a
/// longer word (`mycrate::`).
fn is_path_start(code: &str, i: usize) -> bool {
    let before = code[..i].chars().next_back();
    !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn longest_module(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p))
}

#[test]
fn every_module_uses_only_its_own_layer_folder_and_the_layers_below() {
    let mut wrong = Vec::new();
    for (module, uses) in graph() {
        for target in uses {
            let (from, to) = (&module[0], &target[0]);
            if from != to && layer(to) >= layer(from) {
                wrong.push(format!("{} uses {}", module.join("::"), target.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "uses that point up or sideways (docs/architecture.md):\n{}", wrong.join("\n"));
}

#[test]
fn no_modules_use_each_other_round_a_circle() {
    let g = graph();
    let mut cycles = Vec::new();
    // Depth-first search from every module; a grey module met again closes a circle.
    let mut state: BTreeMap<&Vec<String>, u8> = BTreeMap::new();
    fn visit<'g>(
        m: &'g Vec<String>,
        g: &'g BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<&'g Vec<String>, u8>,
        stack: &mut Vec<&'g Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(m, 1);
        stack.push(m);
        for next in g.get(m).into_iter().flatten() {
            match state.get(next) {
                Some(1) => {
                    let from = stack.iter().position(|s| *s == next).unwrap_or(0);
                    let circle: Vec<String> = stack[from..].iter().map(|s| s.join("::")).collect();
                    cycles.push(format!("{} -> {}", circle.join(" -> "), next.join("::")));
                }
                Some(_) => {}
                None => visit(next, g, state, stack, cycles),
            }
        }
        stack.pop();
        state.insert(m, 2);
    }
    for m in g.keys() {
        if !state.contains_key(m) {
            visit(m, &g, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "modules that use each other:\n{}", cycles.join("\n"));
}

/// Every `....rs` path (or folder) below a `src/` that the architecture page names.
fn named_in_doc() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-');
    let mut out = BTreeSet::new();
    for (i, _) in doc.match_indices("src/") {
        let start = doc[..i].rfind(|c: char| !is_path_char(c)).map_or(0, |p| p + 1);
        let rest = &doc[start..];
        let end = rest.find(|c: char| !is_path_char(c)).unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches('.');
        if name.ends_with(".rs") || name.ends_with('/') {
            out.insert(name.to_string());
        }
    }
    out
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_architecture_page_names_every_module_and_only_modules_that_exist() {
    let named = named_in_doc();
    let missing: Vec<&String> = named.iter().filter(|n| !root().join(n).exists()).collect();
    assert!(missing.is_empty(), "docs/architecture.md names files that do not exist: {missing:?}");
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    rust_files(&root().join("crates/tuf/src"), &mut files);
    let unnamed: Vec<String> =
        files.iter().map(|f| f.strip_prefix(root()).unwrap().to_string_lossy().into_owned()).filter(|f| !named.contains(f)).collect();
    assert!(unnamed.is_empty(), "docs/architecture.md does not place these modules: {unnamed:?}");
}
