//! Canonical JSON, byte-identical to securesystemslib's `encode_canonical`.
//!
//! TUF signs the *canonical form* of the `signed` part of a metadata file: the bytes that
//! securesystemslib 1.6.0's `formats.encode_canonical` produces for the value Python's
//! `json.loads` reads from the file. This module computes exactly those bytes from any
//! JSON text, in one pass and without building a tree:
//!
//! - no whitespace; object members sorted by key in Unicode code point order (which is
//!   UTF-8 byte order); array elements keep their order;
//! - strings are `"` + the characters + `"`, where only `\` and `"` are backslash-escaped
//!   and every other character (control characters, U+007F and non-BMP ones included) is
//!   written raw as UTF-8;
//! - integers of any size are written as their decimal digits (copied from the input,
//!   never converted through a machine integer), `-0` as `0`; `true`, `false`, `null`.
//!
//! Input that Python would read differently, or that `encode_canonical` refuses, is refused
//! with a [`CanonicalError`] saying what and where: numbers with a fraction or exponent,
//! NaN and Infinity, lone UTF-16 surrogate escapes, duplicate keys, nesting deeper than
//! [`MAX_DEPTH`], integers longer than [`MAX_INTEGER_DIGITS`], invalid UTF-8, a byte order
//! mark, invalid JSON, and anything after the value. See `docs/canonical-json.md`.
//!
//! Note that canonical bytes are *not* always JSON text: a string holding a control
//! character has it raw, which RFC 8259 forbids. [`canonicalize`] therefore refuses its
//! own output when that output holds a control character; [`is_canonical`] accepts it.

use std::cmp::Ordering;

/// The deepest nesting of objects and arrays accepted (the top-level container is level 1).
///
/// TUF metadata nests about 8 levels deep (`signed` / `delegations` / `roles` / item /
/// `paths`, custom fields a few more), so 100 leaves ample room for custom data while
/// staying below serde_json's own recursion limit of 128: anything we accept can be read
/// back by serde_json, and neither our recursive parser nor Python's can be driven into a
/// stack overflow by a hostile file.
pub const MAX_DEPTH: usize = 100;

/// The most digits an integer may have (the sign not counted).
///
/// CPython (3.11 and later, and security releases of older ones) refuses to convert longer
/// digit strings to `int` by default (`sys.get_int_max_str_digits()` is 4300), so
/// python-tuf's `json.loads` fails on such a file. We refuse it too, rather than produce
/// canonical bytes for a file no Python client can read.
pub const MAX_INTEGER_DIGITS: usize = 4300;

/// Why JSON text (or a value) has no canonical form.
///
/// Offsets count bytes from the start of the input, starting at 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// The input is empty or holds only whitespace.
    #[error("the JSON text is empty (or holds only spaces and line breaks); a JSON value was expected")]
    Empty,
    /// The input starts with a UTF-8 byte order mark (EF BB BF).
    #[error("the JSON text starts with a byte order mark (BOM); save the file as UTF-8 without a BOM")]
    ByteOrderMark,
    /// The input is not valid UTF-8.
    #[error("the JSON text is not valid UTF-8 at byte {offset}; save the file as UTF-8")]
    InvalidUtf8 { offset: usize },
    /// The input breaks the JSON grammar (RFC 8259); `what` says what was expected.
    #[error("the JSON text is not valid JSON at byte {offset}: {what}")]
    InvalidJson { offset: usize, what: &'static str },
    /// A number with a fraction or an exponent, such as `1.5`, `1.0` or `1e3`.
    #[error("the JSON has a number with a fraction or exponent at byte {offset}; TUF metadata allows only integers")]
    Float { offset: usize },
    /// `NaN`, `Infinity` or `-Infinity`, which Python accepts but JSON does not.
    #[error("the JSON has NaN or Infinity at byte {offset}; that is not JSON, and TUF metadata allows only integers")]
    NonFinite { offset: usize },
    /// An integer with more than [`MAX_INTEGER_DIGITS`] digits.
    #[error("the JSON has an integer with {digits} digits at byte {offset}; Python refuses integers longer than {max} digits, so at most that many are allowed", max = MAX_INTEGER_DIGITS)]
    IntegerTooLong { offset: usize, digits: usize },
    /// A raw control character (U+0000 to U+001F) inside a string.
    #[error("the JSON has a raw control character (byte 0x{byte:02X}) inside a string at byte {offset}; JSON requires it to be written as an escape such as \\u{byte:04X}")]
    ControlCharacter { offset: usize, byte: u8 },
    /// A `\uD800`-`\uDFFF` escape that is not part of a high-low surrogate pair.
    #[error("the JSON has a \\u escape at byte {offset} that is half of a UTF-16 surrogate pair without its other half; such a string cannot be stored as UTF-8")]
    LoneSurrogate { offset: usize },
    /// The same key (after unescaping) twice in one object.
    #[error(
        "the JSON has the key {key:?} twice in one object (again at byte {offset}); remove one of them so the file has only one meaning"
    )]
    DuplicateKey { offset: usize, key: String },
    /// Objects and arrays nested deeper than [`MAX_DEPTH`].
    #[error("the JSON nests objects and arrays more than {max} levels deep at byte {offset}; TUF metadata needs far fewer", max = MAX_DEPTH)]
    TooDeep { offset: usize },
    /// Something other than whitespace after the JSON value.
    #[error("the JSON text goes on after its value ends, at byte {offset}; it must hold exactly one JSON value")]
    TrailingData { offset: usize },
    /// [`to_canonical`]: serde_json could not serialize the value.
    #[error("the data could not be written as JSON: {message}")]
    Serialize { message: String },
    /// [`to_canonical`]: the value holds an `f32` or `f64`.
    #[error("the data to be written holds a floating-point number; TUF metadata allows only integers")]
    FloatValue,
}

type Result<T> = std::result::Result<T, CanonicalError>;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes that end a run of string content: `"`, `\` and the control characters.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Converts any RFC 8259 JSON text to its canonical form (see the module documentation).
///
/// The output is never longer than the input.
pub fn canonicalize(input: &[u8]) -> std::result::Result<Vec<u8>, CanonicalError> {
    if input.starts_with(BOM) {
        return Err(CanonicalError::ByteOrderMark);
    }
    // python-tuf decodes the whole file as UTF-8 before parsing; so do we. After this, any
    // run of bytes between ASCII delimiters is valid UTF-8 and can be copied as it is.
    if let Err(e) = std::str::from_utf8(input) {
        return Err(CanonicalError::InvalidUtf8 { offset: e.valid_up_to() });
    }
    let mut p = Parser { input, pos: 0, out: Vec::with_capacity(input.len()), keys: Vec::new(), members: Vec::new(), scratch: Vec::new() };
    p.skip_ws();
    if p.pos == input.len() {
        return Err(CanonicalError::Empty);
    }
    p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(CanonicalError::TrailingData { offset: p.pos });
    }
    Ok(p.out)
}

/// Serializes `value` with serde_json and returns its canonical form.
///
/// Floating-point numbers are refused ([`CanonicalError::FloatValue`]), NaN and infinities
/// included (serde_json would silently write those as `null`).
pub fn to_canonical<T: serde::Serialize + ?Sized>(value: &T) -> std::result::Result<Vec<u8>, CanonicalError> {
    value.serialize(float_check::FloatCheck)?;
    let json = serde_json::to_vec(value).map_err(|e| CanonicalError::Serialize { message: e.to_string() })?;
    canonicalize(&json)
}

/// Appends the canonical form of the string `s`: `"`, the characters with only `\` and `"`
/// backslash-escaped, `"`.
pub fn encode_string(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' || b == b'\\' {
            out.extend_from_slice(&bytes[start..i]);
            out.push(b'\\');
            start = i; // the quote or backslash itself goes out with the next run
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether `input` is exactly the canonical form of some JSON value.
///
/// This equals `canonicalize(input) == Ok(input)` except that strings may hold raw control
/// characters, since canonical form writes them raw (and [`canonicalize`], which reads
/// RFC 8259 JSON, refuses them). It checks without writing anything.
pub fn is_canonical(input: &[u8]) -> bool {
    if std::str::from_utf8(input).is_err() {
        return false;
    }
    let mut c = Checker { input, pos: 0, key_buf: Vec::new() };
    c.value(0) && c.pos == input.len()
}

/// One member of an object being canonicalized.
struct Member {
    /// The decoded key, a range of `Parser::keys`.
    key_start: usize,
    key_end: usize,
    /// `"key":value` in the output, without the separating comma.
    out_start: usize,
    out_end: usize,
    /// Where the key starts in the input.
    offset: usize,
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    out: Vec<u8>,
    /// Decoded (unescaped) keys of the members of the objects being parsed.
    keys: Vec<u8>,
    /// Members of the objects being parsed, innermost object last.
    members: Vec<Member>,
    /// Copy of an unsorted object's members while they are written back in order.
    scratch: Vec<u8>,
}

fn invalid(offset: usize, what: &'static str) -> CanonicalError {
    CanonicalError::InvalidJson { offset, what }
}

impl Parser<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Parses the value at `pos` (whitespace already skipped); `depth` is the number of
    /// containers around it.
    fn value(&mut self, depth: usize) -> Result<()> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string(false),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'N') if self.input[self.pos..].starts_with(b"NaN") => Err(CanonicalError::NonFinite { offset: self.pos }),
            Some(b'I') if self.input[self.pos..].starts_with(b"Infinity") => Err(CanonicalError::NonFinite { offset: self.pos }),
            Some(_) => Err(invalid(self.pos, "expected a value (an object, array, string, integer, true, false or null)")),
            None => Err(invalid(self.pos, "the text ends where a value was expected")),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<()> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            self.out.extend_from_slice(word);
            Ok(())
        } else {
            Err(invalid(self.pos, "expected a value (an object, array, string, integer, true, false or null)"))
        }
    }

    fn digits_end(&self, mut i: usize) -> usize {
        while let Some(b'0'..=b'9') = self.input.get(i) {
            i += 1;
        }
        i
    }

    fn number(&mut self) -> Result<()> {
        let start = self.pos;
        let negative = self.input[start] == b'-';
        let first = start + usize::from(negative);
        let end = match self.input.get(first) {
            Some(b'0') => first + 1,
            Some(b'1'..=b'9') => self.digits_end(first + 1),
            _ if negative && self.input[first..].starts_with(b"Infinity") => return Err(CanonicalError::NonFinite { offset: start }),
            _ => return Err(invalid(first, "expected a digit after '-'")),
        };
        if let Some(b'.' | b'e' | b'E') = self.input.get(end) {
            return Err(self.float_error(start, end));
        }
        let digits = &self.input[first..end];
        if digits.len() > MAX_INTEGER_DIGITS {
            return Err(CanonicalError::IntegerTooLong { offset: start, digits: digits.len() });
        }
        // Python's int("-0") is 0.
        if negative && digits != b"0" {
            self.out.push(b'-');
        }
        self.out.extend_from_slice(digits);
        self.pos = end;
        Ok(())
    }

    /// The error for a number whose integer part ends at `i`, followed by `.`, `e` or `E`:
    /// `Float` if the rest is a well-formed fraction and exponent, else `InvalidJson`.
    fn float_error(&self, start: usize, mut i: usize) -> CanonicalError {
        if self.input[i] == b'.' {
            let end = self.digits_end(i + 1);
            if end == i + 1 {
                return invalid(i + 1, "expected a digit after the decimal point");
            }
            i = end;
        }
        if let Some(b'e' | b'E') = self.input.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = self.input.get(i) {
                i += 1;
            }
            if self.digits_end(i) == i {
                return invalid(i, "expected a digit in the exponent");
            }
        }
        CanonicalError::Float { offset: start }
    }

    /// Parses the string at `pos`, writing its canonical form to `out` and, for a key, its
    /// decoded bytes to `keys`.
    fn string(&mut self, key: bool) -> Result<()> {
        let open = self.pos;
        self.pos += 1;
        self.out.push(b'"');
        loop {
            let run_start = self.pos;
            let run_len = self.input[run_start..].iter().position(|&b| STRING_STOP[usize::from(b)]).unwrap_or(self.input.len() - run_start);
            self.pos += run_len;
            let run = &self.input[run_start..self.pos];
            self.out.extend_from_slice(run);
            if key {
                self.keys.extend_from_slice(run);
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    self.out.push(b'"');
                    return Ok(());
                }
                Some(b'\\') => self.escape(key)?,
                Some(byte) => return Err(CanonicalError::ControlCharacter { offset: self.pos, byte }),
                None => return Err(invalid(open, "this string is never closed")),
            }
        }
    }

    fn hex4(&self, at: usize) -> Result<u32> {
        let mut v = 0;
        for i in at..at + 4 {
            let d = match self.input.get(i) {
                Some(&b @ b'0'..=b'9') => b - b'0',
                Some(&b @ b'a'..=b'f') => b - b'a' + 10,
                Some(&b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(invalid(i, "expected four hexadecimal digits after \\u")),
            };
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    /// Decodes the escape at `pos` (a backslash).
    fn escape(&mut self, key: bool) -> Result<()> {
        let at = self.pos;
        let c = match self.input.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = self.hex4(at + 2)?;
                self.pos = at + 6;
                let cp = match unit {
                    0xD800..=0xDBFF => {
                        if !self.input[self.pos..].starts_with(b"\\u") {
                            return Err(CanonicalError::LoneSurrogate { offset: at });
                        }
                        let low = self.hex4(self.pos + 2)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(CanonicalError::LoneSurrogate { offset: at });
                        }
                        self.pos += 6;
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(CanonicalError::LoneSurrogate { offset: at }),
                    _ => unit,
                };
                // Never fails: surrogates are excluded above and cp <= 0x10FFFF.
                let c = char::from_u32(cp).ok_or(CanonicalError::LoneSurrogate { offset: at })?;
                self.push_char(c, key);
                return Ok(());
            }
            _ => return Err(invalid(at, "unknown escape; only \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX are allowed")),
        };
        self.pos = at + 2;
        self.push_char(c, key);
        Ok(())
    }

    fn push_char(&mut self, c: char, key: bool) {
        let mut buf = [0; 4];
        let encoded = c.encode_utf8(&mut buf).as_bytes();
        if c == '"' || c == '\\' {
            self.out.push(b'\\');
        }
        self.out.extend_from_slice(encoded);
        if key {
            self.keys.extend_from_slice(encoded);
        }
    }

    fn array(&mut self, depth: usize) -> Result<()> {
        let open = self.pos;
        if depth > MAX_DEPTH {
            return Err(CanonicalError::TooDeep { offset: open });
        }
        self.pos += 1;
        self.out.push(b'[');
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.out.push(b']');
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.out.push(b',');
                }
                Some(b']') => {
                    self.pos += 1;
                    self.out.push(b']');
                    return Ok(());
                }
                _ => return Err(invalid(self.pos, "expected ',' or ']' after an array element")),
            }
        }
    }

    fn key_bytes(&self, m: &Member) -> &[u8] {
        &self.keys[m.key_start..m.key_end]
    }

    fn duplicate(&self, m: &Member) -> CanonicalError {
        CanonicalError::DuplicateKey { offset: m.offset, key: String::from_utf8_lossy(self.key_bytes(m)).into_owned() }
    }

    fn object(&mut self, depth: usize) -> Result<()> {
        let open = self.pos;
        if depth > MAX_DEPTH {
            return Err(CanonicalError::TooDeep { offset: open });
        }
        self.pos += 1;
        self.out.push(b'{');
        let content_start = self.out.len();
        let members_base = self.members.len();
        let keys_base = self.keys.len();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.out.push(b'}');
            return Ok(());
        }
        let mut sorted = true;
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(invalid(self.pos, "expected an object key in double quotes"));
            }
            let offset = self.pos;
            let out_start = self.out.len();
            let key_start = self.keys.len();
            self.string(true)?;
            let member = Member { key_start, key_end: self.keys.len(), out_start, out_end: 0, offset };
            if self.members.len() > members_base {
                let prev = &self.members[self.members.len() - 1];
                match self.key_bytes(prev).cmp(self.key_bytes(&member)) {
                    Ordering::Less => {}
                    Ordering::Equal => return Err(self.duplicate(&member)),
                    Ordering::Greater => sorted = false,
                }
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(invalid(self.pos, "expected ':' after an object key"));
            }
            self.pos += 1;
            self.out.push(b':');
            self.skip_ws();
            self.value(depth)?;
            self.members.push(Member { out_end: self.out.len(), ..member });
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.out.push(b',');
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(invalid(self.pos, "expected ',' or '}' after an object member")),
            }
        }
        if !sorted {
            self.reorder(members_base, content_start)?;
        }
        self.out.push(b'}');
        self.members.truncate(members_base);
        self.keys.truncate(keys_base);
        Ok(())
    }

    /// Sorts the members `members[base..]` of the object whose content starts at
    /// `content_start` in `out`, refusing duplicate keys, and rewrites them in order.
    fn reorder(&mut self, base: usize, content_start: usize) -> Result<()> {
        let mut members = std::mem::take(&mut self.members);
        let ms = &mut members[base..];
        let keys = &self.keys;
        ms.sort_unstable_by(|a, b| keys[a.key_start..a.key_end].cmp(&keys[b.key_start..b.key_end]));
        for pair in ms.windows(2) {
            if keys[pair[0].key_start..pair[0].key_end] == keys[pair[1].key_start..pair[1].key_end] {
                let later = if pair[0].offset > pair[1].offset { &pair[0] } else { &pair[1] };
                let err = self.duplicate(later);
                self.members = members;
                return Err(err);
            }
        }
        // Members already in place at the front stay where they are; only the rest moves.
        let mut expected = content_start;
        let mut keep = 0;
        for m in ms.iter() {
            if m.out_start != expected {
                break;
            }
            expected = m.out_end + 1;
            keep += 1;
        }
        if keep == ms.len() {
            self.members = members;
            return Ok(());
        }
        // Every member not kept lies after the kept ones.
        let moved_from = expected;
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.out[moved_from..]);
        self.out.truncate(moved_from);
        for (i, m) in ms[keep..].iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out.extend_from_slice(&self.scratch[m.out_start - moved_from..m.out_end - moved_from]);
        }
        self.members = members;
        Ok(())
    }
}

/// Validates canonical form without writing anything (for [`is_canonical`]).
struct Checker<'a> {
    input: &'a [u8],
    pos: usize,
    key_buf: Vec<u8>,
}

impl Checker<'_> {
    fn eat(&mut self, b: u8) -> bool {
        if self.input.get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> bool {
        let Some(&b) = self.input.get(self.pos) else {
            return false;
        };
        match b {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().is_some(),
            b'-' | b'0'..=b'9' => self.number(),
            b't' | b'f' | b'n' => {
                for word in [&b"true"[..], b"false", b"null"] {
                    if self.input[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return true;
                    }
                }
                false
            }
            _ => false,
        }
    }

    fn number(&mut self) -> bool {
        let negative = self.eat(b'-');
        let first = self.pos;
        match self.input.get(first) {
            Some(b'0') if !negative => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.pos += 1;
                while let Some(b'0'..=b'9') = self.input.get(self.pos) {
                    self.pos += 1;
                }
            }
            _ => return false,
        }
        self.pos - first <= MAX_INTEGER_DIGITS
    }

    /// Checks a canonical string and returns the range of its content (between the quotes).
    fn string(&mut self) -> Option<(usize, usize)> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        loop {
            let run = self.input[self.pos..].iter().position(|&b| b == b'"' || b == b'\\')?;
            self.pos += run;
            if self.input[self.pos] == b'"' {
                self.pos += 1;
                return Some((start, self.pos - 1));
            }
            match self.input.get(self.pos + 1) {
                Some(b'"' | b'\\') => self.pos += 2,
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        self.pos += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        self.pos += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut prev: Option<(usize, usize)> = None;
        loop {
            let Some(key) = self.string() else {
                return false;
            };
            if let Some(prev) = prev {
                if self.compare_keys(prev, key) != Ordering::Less {
                    return false;
                }
            }
            prev = Some(key);
            if !self.eat(b':') || !self.value(depth) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// Compares two canonical string contents by their decoded bytes.
    fn compare_keys(&mut self, a: (usize, usize), b: (usize, usize)) -> Ordering {
        let a = &self.input[a.0..a.1];
        let b = &self.input[b.0..b.1];
        if !a.contains(&b'\\') && !b.contains(&b'\\') {
            return a.cmp(b);
        }
        // Rare: decode both (in canonical strings a backslash only precedes `"` or `\`).
        self.key_buf.clear();
        let mut skip = false;
        for &c in a {
            if c == b'\\' && !skip {
                skip = true;
                continue;
            }
            skip = false;
            self.key_buf.push(c);
        }
        let split = self.key_buf.len();
        for &c in b {
            if c == b'\\' && !skip {
                skip = true;
                continue;
            }
            skip = false;
            self.key_buf.push(c);
        }
        let (da, db) = self.key_buf.split_at(split);
        da.cmp(db)
    }
}

/// A serializer that writes nothing and fails on the first `f32` or `f64`, so that
/// [`to_canonical`] can refuse floats that serde_json would write as `null` (NaN, infinity).
mod float_check {
    use super::CanonicalError;
    use serde::ser::{self, Serialize};

    #[derive(Clone, Copy)]
    pub(super) struct FloatCheck;

    impl ser::Error for CanonicalError {
        fn custom<T: std::fmt::Display>(msg: T) -> Self {
            CanonicalError::Serialize { message: msg.to_string() }
        }
    }

    type R = Result<(), CanonicalError>;

    impl ser::Serializer for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        type SerializeSeq = Self;
        type SerializeTuple = Self;
        type SerializeTupleStruct = Self;
        type SerializeTupleVariant = Self;
        type SerializeMap = Self;
        type SerializeStruct = Self;
        type SerializeStructVariant = Self;

        fn serialize_bool(self, _: bool) -> R {
            Ok(())
        }
        fn serialize_i8(self, _: i8) -> R {
            Ok(())
        }
        fn serialize_i16(self, _: i16) -> R {
            Ok(())
        }
        fn serialize_i32(self, _: i32) -> R {
            Ok(())
        }
        fn serialize_i64(self, _: i64) -> R {
            Ok(())
        }
        fn serialize_i128(self, _: i128) -> R {
            Ok(())
        }
        fn serialize_u8(self, _: u8) -> R {
            Ok(())
        }
        fn serialize_u16(self, _: u16) -> R {
            Ok(())
        }
        fn serialize_u32(self, _: u32) -> R {
            Ok(())
        }
        fn serialize_u64(self, _: u64) -> R {
            Ok(())
        }
        fn serialize_u128(self, _: u128) -> R {
            Ok(())
        }
        fn serialize_f32(self, _: f32) -> R {
            Err(CanonicalError::FloatValue)
        }
        fn serialize_f64(self, _: f64) -> R {
            Err(CanonicalError::FloatValue)
        }
        fn serialize_char(self, _: char) -> R {
            Ok(())
        }
        fn serialize_str(self, _: &str) -> R {
            Ok(())
        }
        fn serialize_bytes(self, _: &[u8]) -> R {
            Ok(())
        }
        fn serialize_none(self) -> R {
            Ok(())
        }
        fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> R {
            value.serialize(self)
        }
        fn serialize_unit(self) -> R {
            Ok(())
        }
        fn serialize_unit_struct(self, _: &'static str) -> R {
            Ok(())
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> R {
            Ok(())
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> R {
            value.serialize(self)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(self, _: &'static str, _: u32, _: &'static str, value: &T) -> R {
            value.serialize(self)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self, CanonicalError> {
            Ok(self)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self, CanonicalError> {
            Ok(self)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, CanonicalError> {
            Ok(self)
        }
        fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, CanonicalError> {
            Ok(self)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self, CanonicalError> {
            Ok(self)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, CanonicalError> {
            Ok(self)
        }
        fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, CanonicalError> {
            Ok(self)
        }
    }

    impl ser::SerializeSeq for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> R {
            value.serialize(*self)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeTuple for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> R {
            value.serialize(*self)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeTupleStruct for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> R {
            value.serialize(*self)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeTupleVariant for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> R {
            value.serialize(*self)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeMap for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> R {
            key.serialize(*self)
        }
        fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> R {
            value.serialize(*self)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeStruct for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &'static str, value: &T) -> R {
            value.serialize(*self)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
    impl ser::SerializeStructVariant for FloatCheck {
        type Ok = ();
        type Error = CanonicalError;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &'static str, value: &T) -> R {
            value.serialize(*self)
        }
        fn end(self) -> R {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the words NaN and Infinity are non-finite numbers; any other word is plain invalid
    /// JSON, at the offset of its first byte.
    #[test]
    fn only_nan_and_infinity_are_non_finite() {
        for (text, offset) in [(&b"[NaN]"[..], 1), (b"[Infinity]", 1), (b"[-Infinity]", 1)] {
            let got = canonicalize(text);
            assert!(
                matches!(got, Err(CanonicalError::NonFinite { offset: o }) if o == offset),
                "{text:?}: expected NonFinite at {offset}, got {got:?}"
            );
        }
        for text in [&b"[Nope]"[..], b"[Inf]", b"[N]", b"[Infinit]"] {
            let got = canonicalize(text);
            assert!(matches!(got, Err(CanonicalError::InvalidJson { offset: 1, .. })), "{text:?}: expected InvalidJson at 1, got {got:?}");
        }
    }

    /// A decimal point with no digit after it is invalid JSON at the byte after the point, not
    /// a float; a well-formed fraction is a float at the number's start.
    #[test]
    fn a_point_without_digits_is_invalid_where_the_digit_is_missing() {
        for (text, offset) in [(&b"[1.e5]"[..], 3), (b"[12.]", 4), (b"[-7.x]", 4)] {
            let got = canonicalize(text);
            assert!(
                matches!(got, Err(CanonicalError::InvalidJson { offset: o, .. }) if o == offset),
                "{text:?}: expected InvalidJson at {offset}, got {got:?}"
            );
        }
        for text in [&b"[1.5]"[..], b"[12.25e3]", b"[-7.0]"] {
            let got = canonicalize(text);
            assert!(matches!(got, Err(CanonicalError::Float { offset: 1 })), "{text:?}: expected Float at 1, got {got:?}");
        }
    }

    fn canon(s: &str) -> String {
        String::from_utf8(canonicalize(s.as_bytes()).unwrap()).unwrap()
    }

    fn err(s: &[u8]) -> CanonicalError {
        canonicalize(s).unwrap_err()
    }

    #[test]
    fn basics() {
        assert_eq!(canon(" { \"b\" : [ 1 , true , false , null ] , \"a\" : \"x\" } \n"), r#"{"a":"x","b":[1,true,false,null]}"#);
        assert_eq!(canon("{}"), "{}");
        assert_eq!(canon("[]"), "[]");
        assert_eq!(canon("{ }"), "{}");
        assert_eq!(canon("[\n]"), "[]");
        assert_eq!(canon(r#"{"a":{},"b":[],"c":[{}],"d":""}"#), r#"{"a":{},"b":[],"c":[{}],"d":""}"#);
        assert_eq!(canon("\"\""), "\"\"");
        assert_eq!(canon("0"), "0");
        assert_eq!(canon("\t-5\r\n"), "-5");
        assert_eq!(canon("null"), "null");
    }

    #[test]
    fn minus_zero_is_zero() {
        assert_eq!(canon("-0"), "0");
        assert_eq!(canon("[-0,0,-1]"), "[0,0,-1]");
    }

    #[test]
    fn big_integers_are_copied() {
        // 2^63, 2^64, and beyond.
        assert_eq!(canon("9223372036854775808"), "9223372036854775808");
        assert_eq!(canon("-9223372036854775809"), "-9223372036854775809");
        assert_eq!(canon("18446744073709551616"), "18446744073709551616");
        let digits300 = format!("-{}", "987654321".repeat(33) + "123");
        assert_eq!(digits300.len(), 301);
        assert_eq!(canon(&digits300), digits300);
        let max = "9".repeat(MAX_INTEGER_DIGITS);
        assert_eq!(canon(&max), max);
        let neg_max = format!("-{max}");
        assert_eq!(canon(&neg_max), neg_max);
        let long = format!("[{}1]", max);
        assert_eq!(err(long.as_bytes()), CanonicalError::IntegerTooLong { offset: 1, digits: MAX_INTEGER_DIGITS + 1 });
    }

    #[test]
    fn escapes() {
        assert_eq!(canon(r#""\/""#), r#""/""#);
        assert_eq!(canon(r#""\u0022""#), r#""\"""#);
        assert_eq!(canon(r#""\"""#), r#""\"""#);
        assert_eq!(canon(r#""\u005c""#), r#""\\""#);
        assert_eq!(canon(r#""\u005C\\""#), r#""\\\\""#);
        assert_eq!(canonicalize(br#""\u0001""#).unwrap(), b"\"\x01\"");
        assert_eq!(canonicalize(br#""\u0000\u001f\u007f""#).unwrap(), b"\"\x00\x1f\x7f\"");
        assert_eq!(canonicalize(br#""\b\f\n\r\t""#).unwrap(), b"\"\x08\x0c\n\r\t\"");
        assert_eq!(canon(r#""\u00e9\u00E9é""#), "\"ééé\"");
        assert_eq!(canon(r#""\ud83d\ude00""#), "\"\u{1F600}\"");
        assert_eq!(canon(r#""\uDBFF\uDFFF""#), "\"\u{10FFFF}\"");
        assert_eq!(canon("\"\u{7f}\u{ffff}\u{10000}\""), "\"\u{7f}\u{ffff}\u{10000}\"");
        assert_eq!(canon(r#"{"\u0061":1}"#), r#"{"a":1}"#);
        assert_eq!(canon(r#"{"\"\\":1}"#), r#"{"\"\\":1}"#);
    }

    #[test]
    fn key_order_traps() {
        // Code point order: "" < "A" < "a" < "a\0" < "é" < U+FFFF < U+10000. UTF-16 order
        // (RFC 8785) would put U+10000 (D800 DC00) before U+FFFF.
        let input = r#"{"\ud800\udc00":7,"\uffff":6,"\u00e9":5,"a\u0000":4,"a":3,"A":2,"":1}"#;
        let want = "{\"\":1,\"A\":2,\"a\":3,\"a\u{0}\":4,\"\u{e9}\":5,\"\u{ffff}\":6,\"\u{10000}\":7}";
        assert_eq!(canon(input), want);
        assert!(is_canonical(want.as_bytes()), "expected the canonical form {want:?} to be judged canonical");
        // '"' (0x22) sorts before '#' (0x23) although its escaped form starts with '\' (0x5C).
        assert_eq!(canon(r##"{"#":1,"\"":2,"\\":3,"]":4}"##), r##"{"\"":2,"#":1,"\\":3,"]":4}"##);
        // A key that is a prefix of another sorts first even when the other continues with
        // a byte below '"'.
        assert_eq!(canonicalize(br#"{"a\u0001":1,"a":2}"#).unwrap(), b"{\"a\":2,\"a\x01\":1}");
    }

    #[test]
    fn nested_unsorted_objects() {
        assert_eq!(
            canon(r#"{"z":{"y":1,"x":[{"b":2,"a":1}]},"a":{"d":null,"c":{}}}"#),
            r#"{"a":{"c":{},"d":null},"z":{"x":[{"a":1,"b":2}],"y":1}}"#
        );
        // Sorted prefix kept in place, the rest moved.
        assert_eq!(canon(r#"{"a":1,"b":2,"e":5,"d":4,"c":3}"#), r#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#);
    }

    #[test]
    fn duplicate_keys() {
        assert_eq!(err(br#"{"a":1,"a":2}"#), CanonicalError::DuplicateKey { offset: 7, key: "a".into() });
        // Found after sorting, reported at the later occurrence.
        assert_eq!(err(br#"{"b":1,"a":2,"b":3}"#), CanonicalError::DuplicateKey { offset: 13, key: "b".into() });
        // Compared after unescaping.
        assert_eq!(err(br#"{"a":1,"\u0061":2}"#), CanonicalError::DuplicateKey { offset: 7, key: "a".into() });
        let got = err(br#"{"x":{"\ud83d\ude00":1,"b":0,"\uD83D\uDE00":2}}"#);
        assert!(
            matches!(got, CanonicalError::DuplicateKey { .. }),
            "expected one key spelled two ways refused as a duplicate, got {got:?}"
        );
        // Same key in different objects is fine.
        assert_eq!(canon(r#"{"a":{"a":1},"b":{"a":2}}"#), r#"{"a":{"a":1},"b":{"a":2}}"#);
    }

    #[test]
    fn floats_refused() {
        for (text, offset) in [("1.0", 0), ("[1,-2.5]", 3), ("1e3", 0), ("1E+3", 0), ("-0.0", 0), ("{\"a\":0e-1}", 5)] {
            assert_eq!(err(text.as_bytes()), CanonicalError::Float { offset }, "{text}");
        }
        for text in ["NaN", "Infinity", "-Infinity", "[NaN]"] {
            assert!(
                matches!(err(text.as_bytes()), CanonicalError::NonFinite { .. }),
                "expected {text} refused as non-finite, got {:?}",
                err(text.as_bytes())
            );
        }
        // Malformed numbers are invalid JSON, not floats.
        for text in ["1.", "1.e3", "1e", "1e+", "-", "-a", "01", "+1", ".5", "0x10"] {
            assert!(
                matches!(err(text.as_bytes()), CanonicalError::InvalidJson { .. } | CanonicalError::TrailingData { .. }),
                "expected {text} refused as invalid JSON, got {:?}",
                err(text.as_bytes())
            );
        }
    }

    #[test]
    fn lone_surrogates_refused() {
        for (text, offset) in [
            (r#""\ud800""#, 1),
            (r#""ab\udc00""#, 3),
            (r#""\ud800\u0041""#, 1),
            (r#""\ud800\ud800\udc00""#, 1),
            (r#""\ud83dx""#, 1),
            (r#"{"\udfff":1}"#, 2),
        ] {
            assert_eq!(err(text.as_bytes()), CanonicalError::LoneSurrogate { offset }, "{text}");
        }
    }

    #[test]
    fn other_refusals() {
        assert_eq!(err(b""), CanonicalError::Empty);
        assert_eq!(err(b" \n\t "), CanonicalError::Empty);
        assert_eq!(err(b"\xEF\xBB\xBF{}"), CanonicalError::ByteOrderMark);
        assert_eq!(err(b"\"a\xFFb\""), CanonicalError::InvalidUtf8 { offset: 2 });
        assert_eq!(err(b"\"\xED\xA0\x80\""), CanonicalError::InvalidUtf8 { offset: 1 }); // CESU surrogate
        assert_eq!(err(b"{} {}"), CanonicalError::TrailingData { offset: 3 });
        assert_eq!(err(b"1 2"), CanonicalError::TrailingData { offset: 2 });
        assert_eq!(err(b"\"a\x01\""), CanonicalError::ControlCharacter { offset: 2, byte: 1 });
        assert_eq!(err(b"\"a\nb\""), CanonicalError::ControlCharacter { offset: 2, byte: b'\n' });
        for bad in [
            &b"{"[..],
            b"[",
            b"[1,]",
            b"[1 2]",
            b"{\"a\"}",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"{a:1}",
            b"{'a':1}",
            b"\"abc",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"\"\\u12G4\"",
            b"tru",
            b"nul",
            b"True",
            b"[true false]",
            b"{,}",
            b"]",
            b"}",
            b"\"\\",
            b"\"\\ud800\\u",
            b"\x00",
        ] {
            assert!(
                matches!(err(bad), CanonicalError::InvalidJson { .. } | CanonicalError::TrailingData { .. }),
                "expected {:?} refused as invalid JSON, got {:?}",
                String::from_utf8_lossy(bad),
                err(bad)
            );
        }
        // Whitespace other than the four JSON ones is refused.
        let got = canonicalize("\u{a0}1".as_bytes());
        assert!(got.is_err(), "expected a no-break space refused as whitespace, got {got:?}");
        let got = canonicalize(b"\x0c1");
        assert!(got.is_err(), "expected a form feed refused as whitespace, got {got:?}");
    }

    fn nested(depth: usize, open: &str, close: &str) -> String {
        format!("{}0{}", open.repeat(depth), close.repeat(depth))
    }

    #[test]
    fn depth_limit() {
        let ok = nested(MAX_DEPTH, "[", "]");
        assert_eq!(canon(&ok), ok);
        assert!(is_canonical(ok.as_bytes()), "expected nesting at the limit judged canonical: {ok:?}");
        let deep = nested(MAX_DEPTH + 1, "[", "]");
        assert_eq!(err(deep.as_bytes()), CanonicalError::TooDeep { offset: MAX_DEPTH });
        assert!(!is_canonical(deep.as_bytes()), "expected nesting past the limit judged not canonical: {deep:?}");

        let ok = nested(MAX_DEPTH, "{\"k\":", "}");
        assert_eq!(canon(&ok), ok);
        let deep = nested(MAX_DEPTH + 1, "{\"k\": ", "}");
        assert_eq!(err(deep.as_bytes()), CanonicalError::TooDeep { offset: 6 * MAX_DEPTH });
        // A very deep input fails cleanly instead of overflowing the stack.
        let huge = nested(1_000_000, "[", "]");
        assert!(
            matches!(err(huge.as_bytes()), CanonicalError::TooDeep { .. }),
            "expected deep nesting refused as too deep, got {:?}",
            err(huge.as_bytes())
        );
        assert!(!is_canonical(huge.as_bytes()), "expected deep nesting judged not canonical, {} bytes judged canonical", huge.len());
    }

    #[test]
    fn encode_string_escapes_only_quote_and_backslash() {
        let mut out = Vec::new();
        encode_string("a\"b\\c\u{0}\u{1f}\u{7f}é\u{10FFFF}", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\u{0}\u{1f}\u{7f}é\u{10FFFF}\"".as_bytes());
        out.clear();
        encode_string("", &mut out);
        assert_eq!(out, b"\"\"");
        out.clear();
        encode_string("\\\\\"", &mut out);
        assert_eq!(out, br#""\\\\\"""#);
    }

    #[test]
    fn is_canonical_cases() {
        for yes in [
            &b"{}"[..],
            b"[]",
            b"0",
            b"-1",
            b"\"\"",
            b"true",
            b"{\"a\":[1,{\"b\":null}],\"b\":false}",
            b"\"\x00\x1f\"",
            b"\"\\\"\\\\\"",
            b"{\"\\\"\":1,\"#\":2}",
            b"123456789012345678901234567890",
        ] {
            assert!(is_canonical(yes), "expected {} judged canonical", String::from_utf8_lossy(yes));
            if !yes.iter().any(|&b| b < 0x20) {
                assert_eq!(canonicalize(yes).unwrap(), yes);
            }
        }
        for no in [
            &b""[..],
            b" {}",
            b"{} ",
            b"[1, 2]",
            b"-0",
            b"01",
            b"1.0",
            b"{\"b\":1,\"a\":2}",
            b"{\"a\":1,\"a\":2}",
            b"\"\\/\"",
            b"\"\\n\"",
            b"\"\\u0041\"",
            b"\xEF\xBB\xBF{}",
            b"\"\xFF\"",
            b"{\"#\":1,\"\\\"\":2}",
            b"[1,]",
            b"{\"a\"1}",
            b"\"",
            b"\"\\",
            b"nul",
        ] {
            assert!(!is_canonical(no), "expected {} judged not canonical", String::from_utf8_lossy(no));
        }
    }

    #[derive(serde::Serialize)]
    struct Sample<'a> {
        zeta: u64,
        alpha: &'a str,
        list: Vec<i128>,
        nested: std::collections::HashMap<&'a str, Option<bool>>,
    }

    #[test]
    fn to_canonical_sorts_and_refuses_floats() {
        let s = Sample {
            zeta: u64::MAX,
            alpha: "\"hi\"\n",
            list: vec![i128::MIN, 0],
            nested: [("y", None), ("x", Some(true))].into_iter().collect(),
        };
        assert_eq!(
            String::from_utf8(to_canonical(&s).unwrap()).unwrap(),
            format!("{{\"alpha\":\"\\\"hi\\\"\n\",\"list\":[{},0],\"nested\":{{\"x\":true,\"y\":null}},\"zeta\":{}}}", i128::MIN, u64::MAX)
        );
        assert_eq!(to_canonical(&1.5f64), Err(CanonicalError::FloatValue));
        assert_eq!(to_canonical(&vec![f64::NAN]), Err(CanonicalError::FloatValue));
        assert_eq!(to_canonical(&Some(f32::INFINITY)), Err(CanonicalError::FloatValue));
        let v: serde_json::Value = serde_json::json!({"a": [1, {"b": 2.0}]});
        assert_eq!(to_canonical(&v), Err(CanonicalError::FloatValue));
        let v: serde_json::Value = serde_json::json!({"b": [1, {"c": -0}], "a": "é"});
        assert_eq!(to_canonical(&v).unwrap(), "{\"a\":\"é\",\"b\":[1,{\"c\":0}]}".as_bytes());
        let raw = serde_json::value::RawValue::from_string("{\"b\": 1, \"a\": 2}".into()).unwrap();
        assert_eq!(to_canonical(&raw).unwrap(), b"{\"a\":2,\"b\":1}");
        let map: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
        assert!(
            matches!(to_canonical(&map), Err(CanonicalError::Serialize { .. })),
            "expected a serialize error, got {:?}",
            to_canonical(&map)
        );
    }

    #[test]
    fn messages_are_sentences() {
        let e = err(b"{\"a\": 1.5}");
        assert_eq!(e.to_string(), "the JSON has a number with a fraction or exponent at byte 6; TUF metadata allows only integers");
        let e = err(b"\"\x07\"");
        assert_eq!(
            e.to_string(),
            "the JSON has a raw control character (byte 0x07) inside a string at byte 1; JSON requires it to be written as an escape such as \\u0007"
        );
        let message = CanonicalError::TooDeep { offset: 3 }.to_string();
        assert!(message.contains("more than 100 levels"), "expected the depth limit named, got {message}");
    }

    /// A float is found wherever serde can put one: each container kind the float check
    /// walks, keys of maps included. The same shapes holding integers pass.
    #[test]
    fn floats_are_found_in_every_kind_of_container() {
        #[derive(serde::Serialize)]
        struct Newtype<T>(T);
        #[derive(serde::Serialize)]
        struct TupleStruct<T>(u8, T);
        #[derive(serde::Serialize)]
        struct Named<T> {
            a: T,
        }
        #[derive(serde::Serialize)]
        enum Variants<T> {
            Newtype(T),
            Tuple(u8, T),
            Struct { a: T },
        }
        struct KeyedBy<T>(T);
        impl<T: serde::Serialize> serde::Serialize for KeyedBy<T> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_key(&self.0)?;
                m.serialize_value(&1u8)?;
                m.end()
            }
        }
        fn check<T: serde::Serialize>(float: T, int: impl serde::Serialize, what: &str) {
            let got = to_canonical(&float);
            assert_eq!(got, Err(CanonicalError::FloatValue), "expected a float in {what} refused, got {got:?}");
            let got = float_check::FloatCheck.pipe(&int);
            assert_eq!(got, Ok(()), "expected {what} of integers to pass the float check, got {got:?}");
        }
        check(Some(1.5f64), Some(1u8), "an option");
        check(vec![1.5f32], vec![1u8], "a sequence");
        check((1u8, 1.5f64), (1u8, 2u8), "a tuple");
        check(TupleStruct(1, 1.5f64), TupleStruct(1, 2u8), "a tuple struct");
        check(Newtype(1.5f64), Newtype(2u8), "a newtype struct");
        check(Named { a: 1.5f64 }, Named { a: 2u8 }, "a struct");
        check(Variants::Newtype(1.5f64), Variants::Newtype(2u8), "a newtype variant");
        check(Variants::Tuple(1, 1.5f64), Variants::Tuple(1, 2u8), "a tuple variant");
        check(Variants::Struct { a: 1.5f64 }, Variants::Struct { a: 2u8 }, "a struct variant");
        check(KeyedBy(1.5f64), KeyedBy("k"), "a map key");
        check(
            [("k", 1.5f64)].into_iter().collect::<std::collections::BTreeMap<_, _>>(),
            [("k", 1u8)].into_iter().collect::<std::collections::BTreeMap<_, _>>(),
            "a map value",
        );
    }

    impl float_check::FloatCheck {
        fn pipe<T: serde::Serialize + ?Sized>(self, value: &T) -> std::result::Result<(), CanonicalError> {
            value.serialize(self)
        }
    }

    /// A space (0x20) is string content, not a control character; 0x1F is one.
    #[test]
    fn spaces_in_strings_are_content() {
        assert_eq!(canon("\" a b \""), "\" a b \"", "expected spaces in a string kept");
        assert_eq!(canon("{\"a b\":\" \"}"), "{\"a b\":\" \"}", "expected spaces in a key kept");
        let got = canonicalize(b"\"a\x1fb\"");
        assert_eq!(got, Err(CanonicalError::ControlCharacter { offset: 2, byte: 0x1f }), "expected a raw 0x1F refused, got {got:?}");
    }
}
