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

/// True for a valid name in normalized form, without making the normalized copy.
pub fn is_normalized(name: &str) -> bool {
    is_valid_name(name) && name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-')) && !name.contains("--")
}

/// Accepts a valid name already in normalized form (as role names must be).
pub fn check_normalized(name: &str) -> Result<(), NameError> {
    if is_normalized(name) {
        return Ok(());
    }
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
fn push_file_class(out: &mut String, c: u8, next: Option<u8>) {
    out.extend(file_class(&mut [0; 4], c, next).iter().map(|&b| b as char));
}

/// The part of a file pattern that matches `c` of a normalized name (`next` follows it):
/// a letter in either case; a separator as any of `-`, `_`, `.` (only `_` or `.` before a
/// digit); anything else as itself.
fn file_class(buf: &mut [u8; 4], c: u8, next: Option<u8>) -> &[u8] {
    match c {
        b'a'..=b'z' => {
            *buf = [b'[', c, c.to_ascii_uppercase(), b']'];
            &buf[..]
        }
        b'-' if next.is_some_and(|n| n.is_ascii_digit()) => b"[_.]",
        b'-' => b"[-_.]",
        _ => {
            buf[0] = c;
            &buf[..1]
        }
    }
}

/// Whether `pattern` is the file pattern of `name`, a normalized name (the first of
/// [`normalized_project_paths`]), compared without making it.
pub fn is_file_pattern(name: &str, pattern: &[u8]) -> bool {
    let Some(mut rest) = pattern.strip_prefix(FILE_PATTERN_HEAD.as_bytes()) else { return false };
    let bytes = name.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match rest.strip_prefix(file_class(&mut [0; 4], b, bytes.get(i + 1).copied())) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest == b"-*"
}

const FILE_PATTERN_HEAD: &str = "packages/*/*/*/";

/// The delegation path patterns of a project, from its normalized name.
pub fn project_paths(name: &str) -> Result<Vec<String>, NameError> {
    if is_normalized(name) {
        return Ok(normalized_project_paths(name).into());
    }
    let name = &normalize(name);
    if !is_valid_name(name) {
        return Err(NameError::Invalid(name.to_string()));
    }
    Ok(normalized_project_paths(name).into())
}

/// [`project_paths`] of a name known to be normalized (see [`is_normalized`]).
pub fn normalized_project_paths(name: &str) -> [String; 2] {
    let mut file = String::with_capacity(name.len() * 4 + 20);
    file.push_str(FILE_PATTERN_HEAD);
    let bytes = name.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        push_file_class(&mut file, b, bytes.get(i + 1).copied());
    }
    file.push_str("-*");
    let mut simple = String::with_capacity(name.len() + 9);
    simple.push_str("simple/");
    simple.push_str(name);
    simple.push_str("/*");
    [file, simple]
}

/// True when [`shard_key`]`(name)` starts with `prefix`, without making the key.
pub fn shard_key_starts_with(name: &str, prefix: &str) -> bool {
    let key = name.bytes().map(|b| if b == b'-' { b'_' } else { b }).chain(std::iter::once(b'-'));
    prefix.len() <= name.len() + 1 && key.zip(prefix.bytes()).all(|(a, b)| a == b)
}

/// True when some older file name of project `inner` (`inner` in any letter case with `-`,
/// `_` or `.` at each separator, then `-` and a version) also matches project `outer`'s
/// patterns: exactly when `inner` is `outer-...`. The name with `-` at every separator is
/// one of them unless `outer` has a separator before a digit: `foo-1` reaches
/// `foo_1-x-1.0.tar.gz` of project `foo-1-x`, not `foo-1-x-1.0.tar.gz`.
pub fn legacy_overlap(outer: &str, inner: &str) -> bool {
    inner.len() > outer.len() + 1 && inner.starts_with(outer) && inner.as_bytes()[outer.len()] == b'-'
}

/// The key a project is filed under in the claimed layout: its modern file-name form
/// (normalized, `_` for separators) and `-`, the character that ends the name in a file name.
pub fn shard_key(name: &str) -> String {
    let mut key = name.replace('-', "_");
    key.push('-');
    key
}

/// The patterns of a claimed shard holding every project whose [`shard_key`] starts with
/// `prefix`: any file whose name starts that way in any letter case or separator, and the
/// simple-index pages of those projects.
pub fn shard_paths(prefix: &str) -> Vec<String> {
    let mut file = String::from(FILE_PATTERN_HEAD);
    for c in prefix.chars() {
        match c {
            'a'..='z' => push_file_class(&mut file, c as u8, None),
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
/// without a closing `]` is literal. Classes follow Python's translation exactly, its
/// quirks with empty ranges included (see [`python_class`]): a client decides with
/// Python's answer, so ours must be the same.
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
    let (class, next) = python_class(p, start)?;
    let member = class.members.iter().any(|&(lo, hi)| lo <= c && c <= hi);
    Some((!class.refused && member != class.negate, next))
}

/// A `[...]` class as Python's regular expression engine sees it after `fnmatch.translate`.
struct Class {
    negate: bool,
    /// Inclusive ranges; a single character is `(c, c)`.
    members: Vec<(char, char)>,
    /// Python's `re` refuses the translation ("bad character range"); fnmatch raises, so
    /// nothing matches here.
    refused: bool,
}

/// Python's (3.11) `fnmatch.translate` of the class at `p[start] == '['`, quirks included,
/// and the index after its `]`; None when there is no closing `]`. Python ends the class at
/// the first `]` after an optional `!` and an optional leading `]`. With a `-` inside, it
/// cuts the body into chunks at each `-` that can make a range (never the first character
/// after `[` or `[!`, never the character right after a range), drops every empty range
/// (`z-a`) by joining its neighbours, and only then looks at the first character: so in
/// `[]-!!_]` dropping the empty range `]-!` leaves `!_`, the class `[^_]`, and `[z-a!]`
/// matches any character. A bare `-` before the `]` is literal.
fn python_class(p: &[char], start: usize) -> Option<(Class, usize)> {
    let first = start + 1;
    let mut j = first;
    if p.get(j) == Some(&'!') {
        j += 1;
    }
    if p.get(j) == Some(&']') {
        j += 1;
    }
    while j < p.len() && p[j] != ']' {
        j += 1;
    }
    if j >= p.len() {
        return None;
    }
    let stuff = &p[first..j];
    // The body as (character, is the range operator): characters of chunks are literal
    // (Python escapes `\`, `-` and set operators in them); chunks are joined by `-`.
    let mut body: Vec<(char, bool)> = Vec::with_capacity(stuff.len());
    if !stuff.contains(&'-') {
        body.extend(stuff.iter().map(|&c| (c, false)));
    } else {
        let mut chunks: Vec<Vec<char>> = Vec::new();
        let mut i = first;
        let mut k = if p[first] == '!' { first + 2 } else { first + 1 };
        while let Some(dash) = (k..j).find(|&x| p[x] == '-') {
            chunks.push(p[i..dash].to_vec());
            i = dash + 1;
            k = dash + 3;
        }
        if i < j {
            chunks.push(p[i..j].to_vec());
        } else if let Some(last) = chunks.last_mut() {
            last.push('-');
        }
        // Remove empty ranges, right to left, as Python does.
        for k in (1..chunks.len()).rev() {
            if let (Some(&end), Some(&begin)) = (chunks[k - 1].last(), chunks[k].first()) {
                if end > begin {
                    let next = chunks.remove(k);
                    chunks[k - 1].pop();
                    chunks[k - 1].extend_from_slice(&next[1..]);
                }
            }
        }
        for (n, chunk) in chunks.iter().enumerate() {
            if n > 0 {
                body.push(('-', true));
            }
            body.extend(chunk.iter().map(|&c| (c, false)));
        }
    }
    let mut class = Class { negate: false, members: Vec::new(), refused: false };
    // `[^...]`; `!` alone becomes `.` (any character), an empty body `(?!)` (none).
    if body.first().is_some_and(|&(c, _)| c == '!') {
        class.negate = true;
        body.remove(0);
    }
    // The regular expression's class: an item, then `-` and an item make a range, a `-`
    // before the closing `]` is literal.
    let mut k = 0;
    while k < body.len() {
        let lo = body[k].0;
        k += 1;
        if body.get(k).is_some_and(|&(_, op)| op) {
            k += 1;
            match body.get(k) {
                None => class.members.extend([(lo, lo), ('-', '-')]),
                Some(&(hi, _)) => {
                    k += 1;
                    if hi < lo {
                        class.refused = true;
                    }
                    class.members.push((lo, hi));
                }
            }
        } else {
            class.members.push((lo, lo));
        }
    }
    Some((class, j + 1))
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
        let got = check_normalized("foo-bar");
        assert!(got.is_ok(), "expected Ok, got {:?}", got);
        let got = check_normalized("Foo");
        assert!(matches!(got, Err(NameError::NotNormalized { .. })), "expected Err(NameError::NotNormalized {{ .. }}), got {:?}", got);
        for bad in ["", "-foo", "foo-", "foo bar", "föö", "foo/bar", "a*"] {
            assert!(matches!(check_normalized(bad), Err(NameError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn project_patterns_cover_the_projects_files() {
        assert_eq!(project_paths("foo-bar").unwrap()[1], "simple/foo-bar/*");
        for file in
            ["foo_bar-1.0.tar.gz", "foo_bar-1.0-py3-none-any.whl", "Foo.Bar-1.0.zip", "foo-bar-0.1.tar.gz", "FOO_BAR-2-py2-none-any.whl"]
        {
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
        assert!(fnmatch("[a-]", "-"));
        assert!(fnmatch("[!-a]", "b"));
        assert!(!fnmatch("[!-a]", "-"));
    }

    /// Found by the differential test against Python (tests/project_paths_props.rs):
    /// Python drops an empty range (`z-a`) before it looks for the `!` of a negation.
    #[test]
    fn fnmatch_empty_ranges_like_python() {
        // `[]-!!_]` is `[^_]` to Python: the empty range `]-!` goes, `!_` remains.
        assert!(fnmatch("[]-!!_]", "["));
        assert!(fnmatch("[]-!!_]", "!"));
        assert!(!fnmatch("[]-!!_]", "_"));
        assert!(pattern_matches("[]-!!_]?***", "[]-!!_]9]"));
        // `[z-a!]` is `.`, `[z-a!-xy]` is `[^-xy]`, `[z-a]` matches nothing.
        assert!(fnmatch("[z-a!]", "q"));
        assert!(fnmatch("[z-a!-xy]", "b"));
        assert!(!fnmatch("[z-a!-xy]", "-"));
        assert!(!fnmatch("[z-a!-xy]", "x"));
        assert!(!fnmatch("[z-a]", "z"));
        assert!(!fnmatch("[z-a]", "-"));
        // `[c-ab-d]`: the empty range goes, `b-d` stays.
        assert!(fnmatch("[c-ab-d]", "c"));
        assert!(!fnmatch("[c-ab-d]", "a"));
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
