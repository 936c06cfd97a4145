//! PyPI project names and the target-path patterns that delegate a project's files.
//!
//! Warehouse publishes two kinds of target path for a project:
//! `packages/XX/YY/REST/FILENAME` (distribution files) and `simple/NAME/FILE` (its
//! simple-index pages, under the PEP 503 normalized name). python-tuf matches a delegation's
//! path pattern against a target path component by component with `fnmatch`, so `*` never
//! crosses `/` and case matters (on POSIX clients).
//!
//! A project's patterns (see [`project_paths`]) cover:
//! - every modern file name (PEP 427 wheels, PEP 625 sdists): the normalized name with `_`
//!   for separators, then `-` and the version;
//! - older names in any letter case and with `-`, `_` or `.` as separators, except that a
//!   separator before a digit may not be `-` (there `foo-1-...` is project `foo`, version 1);
//! - `simple/NAME/*` under the normalized name;
//!
//! and never a modern file name of another project: in a modern name the project part has
//! no `-` or `.`, and the version after the `-` starts with a digit. Older file names are
//! ambiguous (docs/claimed-layout.md lists which); [`legacy_overlap`] names the pairs of
//! claimed projects where one project's patterns reach the other's older files.

/// Why a name is not a usable project name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{0:?} is not a valid project name (PEP 508: letters, digits, '-', '_', '.', starting and ending with a letter or digit, at most {MAX_NAME_LEN} characters)")]
    Invalid(String),
    #[error("{given:?} is not in normalized form; PEP 503 normalizes it to {normalized:?}")]
    NotNormalized { given: String, normalized: String },
}

/// Longer names would make unwieldy role and file names; no PyPI project comes close.
pub const MAX_NAME_LEN: usize = 200;

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '_' | '.')
}

/// True for a PEP 508 distribution name: ASCII letters and digits, inner `-_.`.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else { return false };
    name.len() <= MAX_NAME_LEN
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || is_separator(c))
}

/// PEP 503: lower case, every run of `-`, `_`, `.` becomes one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if is_separator(c) {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// Accepts a valid name already in normalized form (as role names must be).
pub fn check_normalized(name: &str) -> Result<(), NameError> {
    if !is_valid_name(name) {
        return Err(NameError::Invalid(name.to_string()));
    }
    let normalized = normalize(name);
    if normalized != name {
        return Err(NameError::NotNormalized { given: name.to_string(), normalized });
    }
    Ok(())
}

/// `[aA]` for a letter, the digit itself, and for a separator the characters older file
/// names use there (`-` only where it cannot be a version separator).
fn push_file_class(out: &mut String, c: char, next: Option<char>) {
    match c {
        'a'..='z' => {
            out.push('[');
            out.push(c);
            out.push(c.to_ascii_uppercase());
            out.push(']');
        }
        '-' if next.is_some_and(|n| n.is_ascii_digit()) => out.push_str("[_.]"),
        '-' => out.push_str("[-_.]"),
        _ => out.push(c),
    }
}

/// The delegation path patterns of a project, from its normalized name.
pub fn project_paths(name: &str) -> Result<Vec<String>, NameError> {
    let name = &normalize(name);
    if !is_valid_name(name) {
        return Err(NameError::Invalid(name.to_string()));
    }
    let mut file = String::with_capacity(name.len() * 4 + 20);
    file.push_str("packages/*/*/*/");
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        push_file_class(&mut file, c, chars.get(i + 1).copied());
    }
    file.push_str("-*");
    Ok(vec![file, format!("simple/{name}/*")])
}

/// True when project `inner`'s older file names (`inner` with `-` separators, then `-`
/// and a version) also match project `outer`'s patterns: `inner` is `outer-...`.
pub fn legacy_overlap(outer: &str, inner: &str) -> bool {
    inner.len() > outer.len() + 1 && inner.starts_with(outer) && inner.as_bytes()[outer.len()] == b'-'
}

/// The key a project is filed under in the claimed layout: its modern file-name form
/// (normalized, `_` for separators) and `-`, the character that ends the name in a file name.
pub fn shard_key(name: &str) -> String {
    let mut key: String = name.chars().map(|c| if c == '-' { '_' } else { c }).collect();
    key.push('-');
    key
}

/// The patterns of a claimed shard holding every project whose [`shard_key`] starts with
/// `prefix`: any file whose name starts that way in any letter case or separator, and the
/// simple-index pages of those projects.
pub fn shard_paths(prefix: &str) -> Vec<String> {
    let mut file = String::from("packages/*/*/*/");
    for c in prefix.chars() {
        match c {
            'a'..='z' => push_file_class(&mut file, c, None),
            '_' => file.push_str("[-_.]"),
            _ => file.push(c),
        }
    }
    file.push('*');
    let simple: String = prefix.chars().map(|c| if c == '_' { '-' } else { c }).collect();
    let simple = match simple.strip_suffix('-') {
        // The key ends the name: exactly one project.
        Some(whole) if prefix.ends_with('-') => format!("simple/{whole}/*"),
        _ => format!("simple/{simple}*/*"),
    };
    vec![file, simple]
}

/// python-tuf's rule: same number of `/`-separated parts, each matching with fnmatch.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('/');
    let mut t = path.split('/');
    loop {
        match (p.next(), t.next()) {
            (None, None) => return true,
            (Some(pp), Some(tp)) if fnmatch(pp, tp) => {}
            _ => return false,
        }
    }
}

/// Python's `fnmatch.fnmatchcase`: `*`, `?`, `[seq]`, `[!seq]` (ranges allowed); a `[`
/// without a closing `]` is literal.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic backtracking over the last `*`: linear for the patterns used here.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`: (matched, index after `]`),
/// or None when the class has no closing `]` (then `[` is literal).
fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!'));
    if negate {
        i += 1;
    }
    // A `]` right after `[` or `[!` is a member, as in Python.
    let first = i;
    let mut matched = false;
    while i < p.len() && (p[i] != ']' || i == first) {
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    (i < p.len()).then_some((matched != negate, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(name: &str, file: &str) -> bool {
        let paths = project_paths(name).unwrap();
        paths.iter().any(|p| pattern_matches(p, &format!("packages/ab/cd/{}/{file}", "e".repeat(60))))
    }

    #[test]
    fn normalization_follows_pep_503() {
        assert_eq!(normalize("Foo.Bar__baz-QUX"), "foo-bar-baz-qux");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        assert!(check_normalized("foo-bar").is_ok());
        assert!(matches!(check_normalized("Foo"), Err(NameError::NotNormalized { .. })));
        for bad in ["", "-foo", "foo-", "foo bar", "föö", "foo/bar", "a*"] {
            assert!(matches!(check_normalized(bad), Err(NameError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn project_patterns_cover_the_projects_files() {
        assert_eq!(project_paths("foo-bar").unwrap()[1], "simple/foo-bar/*");
        for file in ["foo_bar-1.0.tar.gz", "foo_bar-1.0-py3-none-any.whl", "Foo.Bar-1.0.zip", "foo-bar-0.1.tar.gz", "FOO_BAR-2-py2-none-any.whl"] {
            assert!(covers("foo-bar", file), "{file}");
        }
        assert!(covers("foo-1", "foo_1-2.0.tar.gz"));
        assert!(covers("foo-1", "Foo.1-2.0.tar.gz"));
    }

    #[test]
    fn project_patterns_miss_other_projects_modern_files() {
        assert!(!covers("foo", "foo_bar-1.0.tar.gz"));
        assert!(!covers("foo", "foo2-1.0.tar.gz"));
        assert!(!covers("foo-bar", "foo_bar2-1.0.tar.gz"));
        assert!(!covers("foo-bar", "foo_bar_baz-1.0.tar.gz"));
        // foo-1's patterns must not take project foo's version-1 wheel.
        assert!(!covers("foo-1", "foo-1-py3-none-any.whl"));
        assert!(covers("foo", "foo-1-py3-none-any.whl"));
    }

    #[test]
    fn shard_patterns() {
        assert_eq!(shard_paths("py"), vec!["packages/*/*/*/[pP][yY]*", "simple/py*/*"]);
        assert_eq!(shard_paths("py_"), vec!["packages/*/*/*/[pP][yY][-_.]*", "simple/py-*/*"]);
        assert_eq!(shard_paths("py-"), vec!["packages/*/*/*/[pP][yY]-*", "simple/py/*"]);
        assert_eq!(shard_key("foo-bar"), "foo_bar-");
    }

    #[test]
    fn fnmatch_like_python() {
        assert!(fnmatch("*", ""));
        assert!(fnmatch("a*b?c", "axxbyc"));
        assert!(!fnmatch("a*b?c", "axxbc"));
        assert!(fnmatch("[!a]x", "bx"));
        assert!(!fnmatch("[!a]x", "ax"));
        assert!(fnmatch("[a-c]", "b"));
        assert!(fnmatch("[-_.]", "-"));
        assert!(fnmatch("[]]", "]"));
        assert!(fnmatch("[ab", "[ab"));
        assert!(!pattern_matches("simple/*/*", "simple/a/b/c"));
        assert!(pattern_matches("simple/*/*", "simple/a/index.html"));
    }

    #[test]
    fn legacy_overlaps() {
        assert!(legacy_overlap("foo", "foo-bar"));
        assert!(!legacy_overlap("foo", "foobar"));
        assert!(!legacy_overlap("foo-bar", "foo"));
    }
}
