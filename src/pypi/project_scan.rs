//! A one-pass reader for targets metadata whose delegations are all PEP 480 project roles
//! in exactly the form a valid one takes, for the 100,000-delegation files of a promotion.
//!
//! [`crate::pypi::pep480`]'s general reader parses every delegation as JSON and validates it
//! field by field, naming each problem: about 2.5 µs a delegation, which at PyPI scale is
//! most of a `sign` or an export. This reader accepts only the one byte form a valid
//! project delegation has in canonical JSON,
//!
//! ```text
//! {"keyids":["HEX64",…],"name":"NAME","paths":["PATTERN","PATTERN"],"terminating":true,"threshold":N}
//! ```
//!
//! with NAME normalized and not structural, the two patterns exactly the project's own,
//! keyids distinct and listed, 1 ≤ N ≤ their number, and every key a standard Ed25519 key
//! object under its own keyid. Anything else, however harmless, makes it answer `None`,
//! and the caller falls back to the general reader, which finds and names the problem. So
//! it may only ever be stricter than the general reader, never looser, and only speed
//! depends on it.

use rayon::prelude::*;
use smallvec::SmallVec;

/// One project delegation, read in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedRole<'a> {
    pub name: &'a str,
    pub keyids: Vec<&'a str>,
    pub threshold: u64,
    /// The role object's canonical bytes.
    pub raw: &'a [u8],
    /// The inside of its `paths` list.
    paths: &'a [u8],
    /// The canonical key object of each keyid, in the same order.
    pub keys: SmallVec<[&'a [u8]; 2]>,
}

/// The delegations of a targets file, read in place.
#[derive(Debug)]
pub struct Scanned<'a> {
    /// (keyid, canonical key object), sorted by keyid as canonical JSON lists them.
    pub keys: Vec<(&'a str, &'a [u8])>,
    pub roles: Vec<ScannedRole<'a>>,
}

/// Keys by keyid, hashed: a search by halves through 100,000 keys misses the cache at each
/// step. Each role looks its keys up once, when its rules are checked.
struct KeyTable<'a>(std::collections::HashMap<&'a str, &'a [u8]>);

impl<'a> KeyTable<'a> {
    fn new(keys: &[(&'a str, &'a [u8])]) -> KeyTable<'a> {
        KeyTable(keys.iter().copied().collect())
    }

    fn get(&self, keyid: &str) -> Option<&'a [u8]> {
        self.0.get(keyid).copied()
    }
}

const HEAD: &[u8] = b"{\"_type\":\"targets\",\"delegations\":{\"keys\":{";
const ED25519_HEAD: &[u8] = b"{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"";
const ED25519_TAIL: &[u8] = b"\"},\"scheme\":\"ed25519\"}";

/// A cursor over canonical bytes that only moves past what it expects.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn eat(&mut self, literal: &[u8]) -> Option<()> {
        let rest = self.bytes.get(self.pos..)?;
        rest.starts_with(literal).then(|| self.pos += literal.len())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// `"` and 64 lower-case hex digits and `"`.
    fn hex64(&mut self) -> Option<&'a str> {
        self.eat(b"\"")?;
        let start = self.pos;
        self.hex64_bare()?;
        self.eat(b"\"")?;
        std::str::from_utf8(&self.bytes[start..start + 64]).ok()
    }

    /// 64 lower-case hex digits inside a string whose quotes the caller handles.
    fn hex64_bare(&mut self) -> Option<()> {
        let s = self.bytes.get(self.pos..self.pos + 64)?;
        s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')).then(|| self.pos += 64)
    }

    /// A string of plain characters (no escapes), without its quotes.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.eat(b"\"")?;
        let start = self.pos;
        let len = self.bytes.get(start..)?.iter().position(|&b| b == b'"')?;
        let s = &self.bytes[start..start + len];
        if s.iter().any(|&b| b == b'\\' || b < 0x20) {
            return None;
        }
        self.pos += len + 1;
        std::str::from_utf8(s).ok()
    }

    /// A positive integer without leading zeros.
    fn number(&mut self) -> Option<u64> {
        let start = self.pos;
        let len = self.bytes.get(start..)?.iter().take_while(|b| b.is_ascii_digit()).count();
        let digits = std::str::from_utf8(&self.bytes[start..start + len]).ok()?;
        if len == 0 || len > 19 || (len > 1 && digits.starts_with('0')) {
            return None;
        }
        self.pos += len;
        digits.parse().ok()
    }
}

/// Reads the delegations of `signed` (canonical bytes of a targets `signed` object), or
/// `None` unless every key and every role is exactly in the form described above.
pub fn scan(signed: &[u8]) -> Option<Scanned<'_>> {
    let mut c = Cursor { bytes: signed, pos: 0 };
    c.eat(HEAD)?;
    let keys = scan_keys(&mut c)?;
    c.eat(b",\"roles\":[")?;
    let mut roles = Vec::new();
    if c.peek() != Some(b']') {
        loop {
            roles.push(scan_role(&mut c)?);
            if c.eat(b",").is_none() {
                break;
            }
        }
    }
    // Nothing else in `delegations` (succinct roles sort after `roles`).
    c.eat(b"]},\"expires\":")?;
    // The reading above only finds where things are; what needs work is checked on every core.
    let keys_hold = crate::support::par::map_from(&keys, 4096, |(id, key)| crate::tuf::key::keyid_matches(id, key));
    if !keys_hold.into_iter().all(|ok| ok) {
        return None;
    }
    let table = KeyTable::new(&keys);
    let all_hold = roles.par_iter_mut().with_min_len(4096).all(|r| role_holds(r, &table));
    all_hold.then_some(Scanned { keys, roles })
}

fn scan_keys<'a>(c: &mut Cursor<'a>) -> Option<Vec<(&'a str, &'a [u8])>> {
    let mut keys: Vec<(&str, &[u8])> = Vec::new();
    if c.eat(b"}").is_some() {
        return Some(keys);
    }
    loop {
        let id = c.hex64()?;
        // Sorted and distinct, as canonical JSON has them: lookups search by halves.
        if keys.last().is_some_and(|(last, _)| *last >= id) {
            return None;
        }
        c.eat(b":")?;
        let start = c.pos;
        c.eat(ED25519_HEAD)?;
        c.hex64_bare()?;
        c.eat(ED25519_TAIL)?;
        keys.push((id, &c.bytes[start..c.pos]));
        if c.eat(b"}").is_some() {
            return Some(keys);
        }
        c.eat(b",")?;
    }
}

fn scan_role<'a>(c: &mut Cursor<'a>) -> Option<ScannedRole<'a>> {
    let start = c.pos;
    c.eat(b"{\"keyids\":[")?;
    let mut keyids = Vec::with_capacity(1);
    loop {
        keyids.push(c.hex64()?);
        if c.eat(b",").is_none() {
            break;
        }
    }
    c.eat(b"],\"name\":")?;
    let name = c.plain_string()?;
    c.eat(b",\"paths\":[")?;
    // Patterns are strings without quotes, so the first `],"terminating"` ends the list;
    // what is inside is compared with the project's own patterns later.
    const AFTER_PATHS: &[u8] = b"],\"terminating\":true,\"threshold\":";
    // Built once: making a searcher costs more than one role's search.
    static AFTER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(AFTER_PATHS));
    let len = AFTER.find(c.bytes.get(c.pos..)?)?;
    let paths = &c.bytes[c.pos..c.pos + len];
    c.pos += len;
    c.eat(AFTER_PATHS)?;
    let threshold = c.number()?;
    c.eat(b"}")?;
    Some(ScannedRole { name, keyids, threshold, raw: &c.bytes[start..c.pos], paths, keys: SmallVec::new() })
}

/// A role's rules: a normalized name that is not structural, exactly the project's own
/// patterns, distinct keyids, each listed, and a threshold between 1 and their number.
/// Finds its keys on the way.
fn role_holds<'a>(role: &mut ScannedRole<'a>, table: &KeyTable<'a>) -> bool {
    let name = role.name;
    if !crate::pypi::project::is_normalized(name) || crate::pypi::roles::is_structural_name(name) {
        return false;
    }
    let mut c = Cursor { bytes: role.paths, pos: 0 };
    let patterns_hold = (|| {
        c.eat(b"\"")?;
        let len = c.bytes.get(c.pos..)?.iter().position(|&b| b == b'"')?;
        crate::pypi::project::is_file_pattern(name, &c.bytes[c.pos..c.pos + len]).then(|| c.pos += len)?;
        c.eat(b"\",\"simple/")?;
        c.eat(name.as_bytes())?;
        c.eat(b"/*\"")
    })()
    .is_some()
        && c.pos == role.paths.len();
    let ids = &role.keyids;
    let distinct = ids.iter().enumerate().all(|(i, id)| !ids[..i].contains(id));
    if !(patterns_hold && distinct && (1..=ids.len() as u64).contains(&role.threshold)) {
        return false;
    }
    let keys: Option<SmallVec<_>> = ids.iter().map(|id| table.get(id)).collect();
    keys.map(|keys| role.keys = keys).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> (String, Vec<u8>) {
        let k = crate::tuf::key::Key::new(crate::tuf::key::Algorithm::Ed25519, hex::encode([n; 32]));
        (k.keyid().to_string(), k.canonical_bytes().to_vec())
    }

    fn project(name: &str, keys: &[(String, Vec<u8>)], threshold: u64) -> crate::pypi::pep480::Project {
        crate::pypi::pep480::Project::new(name.into(), threshold, keys)
    }

    fn shard(projects: &[crate::pypi::pep480::Project]) -> Vec<u8> {
        let map = projects.iter().cloned().collect();
        crate::pypi::claimed::shard_signed(&map, 1, time::macros::datetime!(2030-01-01 00:00 UTC))
    }

    #[test]
    fn reads_what_ceremony_builds() {
        let (a, b) = (key(1), key(2));
        let signed = shard(&[project("foo", std::slice::from_ref(&a), 1), project("foo-bar", &[a.clone(), b.clone()], 2)]);
        let s = scan(&signed).expect("the form Ceremony builds");
        assert_eq!(s.roles.len(), 2);
        assert_eq!(s.roles[1].name, "foo-bar");
        assert_eq!(s.roles[1].threshold, 2);
        assert_eq!(s.roles[1].keys[..], [&a.1[..], &b.1[..]]);
        assert_eq!(s.roles[0].raw, project("foo", &[a], 1).role_bytes());
    }

    #[test]
    fn anything_else_is_left_to_the_general_reader() {
        let (a, b) = (key(1), key(2));
        let good = shard(&[project("foo", &[a.clone(), b.clone()], 1)]);
        let text = String::from_utf8(good.clone()).unwrap();
        let variants = [
            text.replace("\"terminating\":true", "\"terminating\":false"),
            text.replace("\"threshold\":1", "\"threshold\":0"),
            text.replace("\"threshold\":1", "\"threshold\":3"),
            text.replace("\"threshold\":1", "\"threshold\":01"),
            text.replace("[fF][oO][oO]-*", "*"),
            text.replace("simple/foo/*", "simple/*"),
            text.replace("\"name\":\"foo\"", "\"name\":\"Foo\""),
            text.replace("\"name\":\"foo\"", "\"name\":\"root\""),
            text.replace(&b.0, &a.0), // a repeated keyid (and a key listed twice)
            text.replace(&format!("\"{}\":", a.0), &format!("\"{}\":", "0".repeat(64))), // wrong keyid
            text.replace("\"scheme\":\"ed25519\"", "\"scheme\":\"ed25519\",\"x\":1"),
            text.replace("]},\"expires\"", "],\"succinct_roles\":{}},\"expires\""),
        ];
        for v in &variants {
            assert_ne!(v, &text, "a variant did not apply");
            assert!(scan(v.as_bytes()).is_none(), "accepted: {v}");
        }
        let got = scan(&good);
        assert!(got.is_some(), "expected Some, got {:?}", got);
    }
}
