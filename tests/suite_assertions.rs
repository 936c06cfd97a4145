//! Every assertion in the suite says what it expected and what it got (issue 27).
//!
//! Why: a bare `assert!(report.ok)` fails with "assertion failed: report.ok" and nothing
//! else, so whoever reads a red CI log learns that a check failed but not what the code
//! produced; they must rerun the test under a debugger on their own machine. An assertion
//! whose message names only the expectation ("the bundle verifies") has the same defect.
//!
//! The rule, checked over every `.rs` file below `tests/` (but `tests/fixtures/`) and the
//! `#[cfg(test)]` items of every `.rs` file below `src/` (a `#[cfg(test)] mod name;` brings in
//! the whole file it names):
//! - `assert!`, `debug_assert!` and `prop_assert!` carry a message, and that message is a
//!   string literal with at least one `{..}` placeholder (`{{` is an escaped brace, not a
//!   placeholder), so the failure shows a value that was tested.
//! - One exception: a condition that is a single call whose arguments are all literals,
//!   optionally negated (`assert!(!fnmatch("[!a]x", "ax"))`). Its default message already
//!   shows every input and the only value the call can have produced (the opposite bool).
//! - `assert_eq!`, `assert_ne!` and their `debug_`/`prop_` forms print both sides and pass
//!   as they are. `assert!(matches!(..))` falls under the rule: its message shows the value.
//!
//! Strings, raw strings, char literals and comments are skipped when looking for
//! `assert!(`, and the arguments are split at top-level commas with parentheses, brackets
//! and braces balanced, so a multi-line assertion is read whole.
//!
//! The roots are a list: crates/tuf joins it when its own tests follow the rule.

use std::path::{Path, PathBuf};

/// Where assertions are read: a folder, and whether each file in it is test code as a whole
/// (`tests/`) or only in its `#[cfg(test)]` items (`src/`).
const ROOTS: &[(&str, Scope)] = &[("tests", Scope::WholeFile), ("src", Scope::TestItems), ("crates/tuf/src", Scope::TestItems)];

/// Folders below a root that are not Rust test code of this crate (data read by tests).
const NOT_SCANNED: &[&str] = &["tests/fixtures"];

#[derive(Clone, Copy, PartialEq)]
enum Scope {
    WholeFile,
    TestItems,
}

/// One assertion that breaks the rule, at a 1-based line of a file.
#[derive(Debug, PartialEq)]
struct Offence {
    line: usize,
    why: &'static str,
}

#[test]
fn every_assertion_says_what_it_got() {
    let top = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offences = Vec::new();
    for (root, scope) in ROOTS {
        for file in rust_files(&top.join(root)) {
            let name = relative(top, &file);
            if NOT_SCANNED.iter().any(|dir| name.starts_with(&format!("{dir}/"))) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
            let found = match scope {
                Scope::WholeFile => offences_in(&text, &[(0, text.len())]).into_iter().map(|o| (file.clone(), o)).collect(),
                Scope::TestItems => offences_in_test_items(&file, &text),
            };
            offences.extend(found.into_iter().map(|(path, o)| format!("{}:{}: {}", relative(top, &path), o.line, o.why)));
        }
    }
    assert!(
        offences.is_empty(),
        "{} assertions do not say what they got (add a message with the tested value, see this file's doc comment):\n{}",
        offences.len(),
        offences.join("\n")
    );
}

fn relative(top: &Path, file: &Path) -> String {
    file.strip_prefix(top).unwrap_or(file).to_string_lossy().replace('\\', "/")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())).path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The offences in the `#[cfg(test)]` items of a source file, and in the files of its
/// out-of-line `#[cfg(test)] mod name;` modules, each with the file it is in.
fn offences_in_test_items(file: &Path, text: &str) -> Vec<(PathBuf, Offence)> {
    let masked = mask(text);
    let mut spans = Vec::new();
    let mut found = Vec::new();
    for start in find_all(&masked, b"#[cfg(test)]") {
        let (end, module) = item_end(&masked, text, start + "#[cfg(test)]".len());
        spans.push((start, end));
        if let Some(name) = module {
            let path = module_file(file, &name);
            let inner = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            found.extend(offences_in(&inner, &[(0, inner.len())]).into_iter().map(|o| (path.clone(), o)));
        }
    }
    found.extend(offences_in(text, &spans).into_iter().map(|o| (file.to_path_buf(), o)));
    found
}

/// The end of the item that starts at `from` (after its attributes): its closing brace, or
/// its `;`, with the module name when the item is `mod name;`.
fn item_end(masked: &[u8], text: &str, from: usize) -> (usize, Option<String>) {
    let mut depth = 0usize;
    for i in from..masked.len() {
        match masked[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' if depth == 0 => return (closing(masked, i).unwrap_or(masked.len()), None),
            b';' if depth == 0 => {
                let words: Vec<&str> = text[from..i].split_whitespace().collect();
                let module = match words.as_slice() {
                    [.., "mod", name] => Some(name.to_string()),
                    _ => None,
                };
                return (i, module);
            }
            _ => {}
        }
    }
    (masked.len(), None)
}

/// The file of `mod name;` declared in `file`, as rustc finds it.
fn module_file(file: &Path, name: &str) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("."));
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let base = if ["mod", "lib", "main"].contains(&stem) { dir.to_path_buf() } else { dir.join(stem) };
    let flat = base.join(format!("{name}.rs"));
    if flat.exists() {
        flat
    } else {
        base.join(name).join("mod.rs")
    }
}

/// The assertions that start inside one of `spans` (byte ranges of `text`) and break the rule.
fn offences_in(text: &str, spans: &[(usize, usize)]) -> Vec<Offence> {
    let masked = mask(text);
    let mut found = Vec::new();
    for name in ["assert!", "debug_assert!", "prop_assert!"] {
        for at in find_all(&masked, name.as_bytes()) {
            if at > 0 && is_ident(masked[at - 1]) || !spans.iter().any(|(a, b)| (*a..*b).contains(&at)) {
                continue;
            }
            let Some(open) = next_non_space(&masked, at + name.len()).filter(|i| masked[*i] == b'(') else {
                continue;
            };
            let Some(close) = closing(&masked, open) else {
                continue;
            };
            let why = judge(text, &masked, open, close);
            if let Some(why) = why {
                found.push(Offence { line: text[..at].matches('\n').count() + 1, why });
            }
        }
    }
    found.sort_by_key(|o| o.line);
    found
}

/// Why the assertion whose parentheses are at `open` and `close` breaks the rule, if it does.
fn judge(text: &str, masked: &[u8], open: usize, close: usize) -> Option<&'static str> {
    let args = split_args(masked, open + 1, close);
    match args.as_slice() {
        [] => Some("an assertion without a condition"),
        [cond] if literal_call(&masked[cond.0..cond.1]) => None,
        [_] => Some("no message: say what was expected and show the value that was got"),
        [_, message, ..] => {
            let raw = text[message.0..message.1].trim();
            if !is_string_literal(masked[message.0..message.1].trim_ascii()) {
                Some("the message is not a string literal")
            } else if !has_placeholder(raw) {
                Some("the message has no {..} placeholder: it says what was expected but not what was got")
            } else {
                None
            }
        }
    }
}

/// The byte ranges of the top-level comma-separated arguments between `from` and `to`,
/// without a trailing empty one.
fn split_args(masked: &[u8], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = from;
    for (i, b) in masked.iter().enumerate().take(to).skip(from) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                args.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push((start, to));
    args.retain(|(a, b)| !masked[*a..*b].trim_ascii().is_empty());
    args
}

/// A call whose arguments are all literals, optionally negated: `!covers("foo", "foo2-1.0")`.
fn literal_call(cond: &[u8]) -> bool {
    let cond = cond.trim_ascii();
    let cond = cond.strip_prefix(b"!").unwrap_or(cond).trim_ascii();
    let Some(open) = cond.iter().position(|b| *b == b'(') else {
        return false;
    };
    let callee = &cond[..open];
    let path_like = !callee.is_empty() && callee.iter().all(|b| is_ident(*b) || *b == b':');
    if !path_like || closing(cond, open) != Some(cond.len() - 1) {
        return false;
    }
    let args = split_args(cond, open + 1, cond.len() - 1);
    !args.is_empty() && args.iter().all(|(a, b)| is_literal(cond[*a..*b].trim_ascii()))
}

/// A string, byte string, raw string, char or number literal, perhaps borrowed with `&`.
fn is_literal(arg: &[u8]) -> bool {
    let arg = arg.strip_prefix(b"&").unwrap_or(arg).trim_ascii();
    let arg = arg.strip_prefix(b"-").unwrap_or(arg);
    is_string_literal(arg)
        || (arg.len() >= 3 && arg.first() == Some(&b'\'') && arg.last() == Some(&b'\''))
        || (arg.first().is_some_and(u8::is_ascii_digit) && arg.iter().all(|b| is_ident(*b) || *b == b'.'))
}

fn is_string_literal(arg: &[u8]) -> bool {
    let body = arg.strip_prefix(b"b").unwrap_or(arg);
    let (body, hashes) = match body.strip_prefix(b"r") {
        Some(raw) => {
            let n = raw.iter().take_while(|b| **b == b'#').count();
            (&raw[n..], n)
        }
        None => (body, 0),
    };
    let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
    body.len() > close.len() && body[0] == b'"' && body.ends_with(&close)
}

/// A `{` that opens a format placeholder (not `{{`) somewhere in a string literal's source.
fn has_placeholder(literal: &str) -> bool {
    literal.replace("{{", "").contains('{')
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn next_non_space(masked: &[u8], from: usize) -> Option<usize> {
    (from..masked.len()).find(|i| !masked[*i].is_ascii_whitespace())
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect()
}

/// The index of the bracket that closes the one at `open`, in masked text.
fn closing(masked: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in masked.iter().enumerate().skip(open) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `text` as bytes with the insides of comments, strings and char literals blanked (newlines
/// kept, so offsets and line numbers stay those of `text`). Quotes stay, so a literal is still
/// seen as one.
fn mask(text: &str) -> Vec<u8> {
    let src = text.as_bytes();
    let mut out = src.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to.min(src.len())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        let after_ident = i > 0 && is_ident(src[i - 1]);
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|b| *b == b'\n').map_or(src.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let end = block_comment_end(src, i);
            blank(&mut out, i, end);
            i = end;
        } else if let Some((body, end)) = raw_string(src, i).filter(|_| !after_ident) {
            blank(&mut out, body, end - 1);
            i = end;
        } else if src[i] == b'"' {
            let end = quoted_end(src, i, b'"');
            blank(&mut out, i + 1, end - 1);
            i = end;
        } else if src[i] == b'\'' {
            match char_literal_end(src, i) {
                Some(end) => {
                    blank(&mut out, i + 1, end - 1);
                    i = end;
                }
                None => i += 1, // a lifetime or a label
            }
        } else {
            i += 1;
        }
    }
    out
}

fn block_comment_end(src: &[u8], from: usize) -> usize {
    let mut depth = 0;
    let mut i = from;
    while i < src.len() {
        if src[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if src[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    src.len()
}

/// A raw string at `at` (`r"..."`, `r#"..."#`, `br"..."`): where its contents start, and the
/// index just past its closing `"`; the hashes after it are left to be skipped as plain text.
fn raw_string(src: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    if src.get(i) == Some(&b'b') {
        i += 1;
    }
    if src.get(i) != Some(&b'r') {
        return None;
    }
    i += 1;
    let hashes = src[i..].iter().take_while(|b| **b == b'#').count();
    i += hashes;
    if src.get(i) != Some(&b'"') {
        return None;
    }
    let body = i + 1;
    let mut close = b"\"".to_vec();
    close.extend(std::iter::repeat_n(b'#', hashes));
    let end = src[body..].windows(close.len()).position(|w| w == close.as_slice()).map_or(src.len(), |n| body + n + 1);
    Some((body, end))
}

/// The index just past the quote that closes the one at `open`, honouring backslashes.
fn quoted_end(src: &[u8], open: usize, quote: u8) -> usize {
    let mut i = open + 1;
    while i < src.len() {
        match src[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    src.len()
}

/// The end of a char literal at `open` (`'a'`, `'\n'`, `'\u{202E}'`, `'é'`), or None for a
/// lifetime such as `'a`.
fn char_literal_end(src: &[u8], open: usize) -> Option<usize> {
    let first = *src.get(open + 1)?;
    if first == b'\\' {
        let end = quoted_end(src, open, b'\'');
        return (end - open <= 12).then_some(end);
    }
    let width = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    (src.get(open + 1 + width) == Some(&b'\'')).then_some(open + 2 + width)
}

#[cfg(test)]
mod scanner {
    use super::*;

    fn offences(text: &str) -> Vec<(usize, &'static str)> {
        offences_in(text, &[(0, text.len())]).into_iter().map(|o| (o.line, o.why)).collect()
    }

    #[test]
    fn a_bare_assert_is_caught_on_its_line() {
        let found = offences("fn t() {\n    let ok = false;\n    assert!(ok);\n}\n");
        assert_eq!(found.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![3], "{found:?}");
        assert!(found[0].1.starts_with("no message"), "{found:?}");
    }

    #[test]
    fn a_message_without_a_placeholder_is_caught() {
        let found = offences("assert!(report.ok, \"the bundle verifies\");\nassert!(x, \"{{literal braces}}\");");
        assert_eq!(found.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 2], "{found:?}");
    }

    #[test]
    fn a_message_with_a_value_passes() {
        let text = "assert!(report.ok, \"{:?}\", report.failures);\nassert!(x.is_ok(), \"{x:?}\");\n\
                    prop_assert!(a < b, \"{a} >= {b}\");\nassert!(r#\"a\"# == s, r\"got {s}\");";
        assert_eq!(offences(text), vec![], "{text}");
    }

    #[test]
    fn a_multi_line_assertion_is_read_whole() {
        let good = "assert!(\n    out.status.success(),\n    \"sign failed: {}\",\n    stderr\n);";
        let bad = "assert!(\n    text.contains(\"a, b\") && f(x, (1, 2)),\n);";
        assert_eq!(offences(good), vec![], "{good}");
        assert_eq!(offences(bad).len(), 1, "{bad}");
    }

    #[test]
    fn strings_and_comments_are_not_read_as_code() {
        let text = "// assert!(x);\n/* assert!(y); /* nested */ assert!(z); */\nlet s = \"assert!(w)\";\n\
                    let r = r#\"assert!(v)\"#;\nlet c = '(';\nfn f<'a>(x: &'a str) {}\nassert!(g(')'), \"{}\", 1);";
        assert_eq!(offences(text), vec![], "{text}");
    }

    #[test]
    fn a_call_on_literals_passes_without_a_message() {
        let text = "assert!(fnmatch(\"[a-c]\", \"b\"));\nassert!(!covers(\"foo\", \"foo2\"));\nassert!(ok(&b\"x\", 3, 'c'));";
        assert_eq!(offences(text), vec![], "{text}");
        let with_values = "assert!(fnmatch(pattern, \"b\"));\nassert!(check_name(\"x\").is_ok());\nassert!(f(\"a\") && g(\"b\"));";
        assert_eq!(offences(with_values).len(), 3, "{with_values}");
    }

    #[test]
    fn matches_and_debug_assert_fall_under_the_rule_and_assert_eq_does_not() {
        let text = "assert!(matches!(e, Error::Bad(_)));\ndebug_assert!(n > 0);\nassert_eq!(a, b);\nassert_ne!(a, b);\nmy_assert!(x);";
        assert_eq!(offences(text).iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 2], "{text}");
    }

    #[test]
    fn only_test_items_of_a_source_file_are_read() {
        let dir = std::env::temp_dir().join(format!("suite-assertions-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("m")).unwrap();
        let file = dir.join("m.rs");
        let text = "fn f() { assert!(a); }\n#[cfg(test)]\nmod tests {\n    fn g() { assert!(b); }\n}\nfn h() { assert!(c); }\n\
                    #[cfg(test)]\nmod more;\n";
        std::fs::write(dir.join("m").join("more.rs"), "fn i() {\n    assert!(d);\n}\n").unwrap();
        let found: Vec<(PathBuf, usize)> = offences_in_test_items(&file, text).into_iter().map(|(p, o)| (p, o.line)).collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, vec![(dir.join("m").join("more.rs"), 2), (file, 4)], "not lines 1 and 6 of m.rs");
    }
}
