//! `scripts/mutants.sh` takes hours, so the test command does not run it; this keeps it from
//! rotting: every file it mutates exists and has its tests, every test it names exists, and
//! docs/testing.md's result table and equivalent-mutant list name exactly its files.

mod common;

use std::collections::BTreeSet;

fn script() -> String {
    std::fs::read_to_string(common::repo_root().join("scripts/mutants.sh")).expect("scripts/mutants.sh is readable")
}

fn testing_doc() -> String {
    std::fs::read_to_string(common::repo_root().join("docs/testing.md")).expect("docs/testing.md is readable")
}

/// The files of the script's `order=( ... )` list, in order.
fn ordered_files(script: &str) -> Vec<String> {
    let start = script.find("\norder=(").expect("scripts/mutants.sh has an order=( ... ) list");
    let body = &script[start + "\norder=(".len()..];
    let end = body.find(')').expect("the order list is closed");
    body[..end].split_whitespace().map(str::to_string).collect()
}

/// The keys of the script's `tests=( [FILE]=... )` map.
fn mapped_files(script: &str) -> BTreeSet<String> {
    script.split('[').skip(1).filter_map(|s| s.split_once("]=")).map(|(file, _)| file.to_string()).filter(|f| f.ends_with(".rs")).collect()
}

/// The rows of the table under the heading `heading` whose first cell is `` `NAME` ``.
fn table_names(doc: &str, heading: &str) -> Vec<String> {
    let mut inside = false;
    let mut names = Vec::new();
    for line in doc.lines() {
        if line.starts_with('#') {
            inside = line.to_lowercase().contains(heading);
        } else if inside && line.starts_with("| `") {
            // A `|` in a name is written `\|` inside a table cell.
            names.push(line.split('`').nth(1).unwrap_or_default().replace("\\|", "|"));
        }
    }
    names
}

#[test]
fn every_file_the_script_mutates_exists_and_has_its_tests() {
    let script = script();
    let order = ordered_files(&script);
    let mapped = mapped_files(&script);
    let ordered: BTreeSet<String> = order.iter().cloned().collect();
    assert_eq!(ordered.len(), order.len(), "a file is listed twice in the order: {order:?}");
    assert_eq!(ordered, mapped, "the script's order list and its test map must name the same files");
    for file in &order {
        assert!(common::repo_root().join(file).is_file(), "scripts/mutants.sh mutates {file}, which does not exist");
    }
    for test in script.split("--test=").skip(1).map(|s| s.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default()) {
        let path = common::repo_root().join("tests").join(format!("{test}.rs"));
        assert!(path.is_file(), "scripts/mutants.sh runs --test={test}, but {} does not exist", path.display());
    }
}

#[test]
fn the_result_table_names_the_scripts_files_in_order() {
    let order = ordered_files(&script());
    let doc = testing_doc();
    let table = table_names(&doc, "mutation testing results");
    assert_eq!(table, order, "docs/testing.md's mutation results table must list scripts/mutants.sh's files in its order");
    for name in table_names(&doc, "equivalent mutants") {
        let file = name.split(':').next().unwrap_or_default();
        assert!(order.iter().any(|f| f == file), "the equivalent mutant `{name}` is in a file scripts/mutants.sh does not mutate");
    }
}

#[test]
fn the_script_and_its_summary_parse() {
    let root = common::repo_root();
    let bash = std::process::Command::new("bash").arg("-n").arg(root.join("scripts/mutants.sh")).output().expect("bash runs");
    assert!(bash.status.success(), "bash -n scripts/mutants.sh: {}", String::from_utf8_lossy(&bash.stderr));
    let python = std::process::Command::new("python3")
        .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
        .arg(root.join("scripts/mutants_summary.py"))
        .output()
        .expect("python3 runs");
    assert!(python.status.success(), "scripts/mutants_summary.py does not compile: {}", String::from_utf8_lossy(&python.stderr));
}
