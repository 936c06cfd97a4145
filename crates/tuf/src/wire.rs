//! The form metadata takes in files: canonical JSON with control characters escaped.
//!
//! Canonical JSON writes control characters raw inside strings (a PEM key's newlines, a
//! tab in a custom field), which JSON parsers, python-tuf's included, refuse. So files hold
//! the canonical text with exactly those characters escaped: valid JSON, keys sorted, no
//! whitespace, and its canonical form is the original canonical bytes. The two forms
//! convert into each other in one pass.

use std::borrow::Cow;
use std::ops::Range;

/// Escapes the control characters of canonical bytes. Returns the input unchanged (no
/// copy) when it has none, which is the common case for large targets files.
pub fn canonical_to_text(canonical: Vec<u8>) -> Vec<u8> {
    // Canonical JSON has no whitespace outside strings, so any byte below 0x20 is inside one.
    if !has_control_bytes(&canonical) {
        return canonical;
    }
    let mut out = Vec::with_capacity(canonical.len() + 64);
    for &b in &canonical {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x00..=0x1f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out
}

/// True when `bytes` hold a byte below 0x20. Checked 64 bytes at a time without an early
/// exit inside a block, which the compiler turns into vector instructions: this runs over
/// every file Ceremony reads or writes, tens of megabytes in a promotion.
pub fn has_control_bytes(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(64);
    let in_blocks = blocks.any(|block| block.iter().fold(false, |seen, &b| seen | (b < 0x20)));
    in_blocks || blocks.remainder().iter().any(|&b| b < 0x20)
}

/// True when text made by [`canonical_to_text`] differs from its canonical bytes.
pub fn text_has_escaped_controls(text: &[u8]) -> bool {
    let mut i = 0;
    while let Some(pos) = text[i..].iter().position(|&b| b == b'\\') {
        let at = i + pos;
        match text.get(at + 1) {
            Some(b'\\') | Some(b'"') => i = at + 2,
            Some(_) => return true,
            None => return false,
        }
    }
    false
}

/// The canonical bytes of text made by [`canonical_to_text`].
pub fn text_to_canonical(text: &[u8]) -> Cow<'_, [u8]> {
    if !text_has_escaped_controls(text) {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b != b'\\' || i + 1 >= text.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let (byte, used) = match text[i + 1] {
            b'n' => (b'\n', 2),
            b't' => (b'\t', 2),
            b'r' => (b'\r', 2),
            b'b' => (0x08, 2),
            b'f' => (0x0c, 2),
            b'u' => (hex_byte(text.get(i + 4..i + 6)), 6),
            other => {
                // `\\` and `\"` stay escaped in canonical JSON.
                out.push(b'\\');
                out.push(other);
                i += 2;
                continue;
            }
        };
        out.push(byte);
        i += used;
    }
    Cow::Owned(out)
}

fn hex_byte(digits: Option<&[u8]>) -> u8 {
    digits.and_then(|d| std::str::from_utf8(d).ok()).and_then(|d| u8::from_str_radix(d, 16).ok()).unwrap_or(0)
}

/// One member of a JSON object in file-form text: where its key and its value are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The key, quotes included.
    pub key: Range<usize>,
    pub value: Range<usize>,
}

/// The outline of an object: its members, where it ends, and whether any string in it
/// holds an escaped control character (then its canonical bytes differ from its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub members: Vec<Member>,
    pub end: usize,
    pub escaped_controls: bool,
}

/// Reads the members of the object at `start` in compact text made by
/// [`canonical_to_text`], skipping over values without parsing them. One pass with SIMD
/// string search: this is how a 40 MB file's envelope and header are found without
/// running a JSON parser over it twice. `None` when the text is not such an object.
pub fn outline(text: &[u8], start: usize) -> Option<Outline> {
    let mut scan = Scan { text, pos: start, escaped_controls: false };
    scan.expect(b'{')?;
    let mut members = Vec::new();
    if scan.peek()? != b'}' {
        loop {
            let key_start = scan.pos;
            scan.string()?;
            let key = key_start..scan.pos;
            scan.expect(b':')?;
            let value_start = scan.pos;
            scan.value()?;
            members.push(Member { key, value: value_start..scan.pos });
            if scan.peek()? == b',' {
                scan.pos += 1;
            } else {
                break;
            }
        }
    }
    scan.expect(b'}')?;
    Some(Outline { members, end: scan.pos, escaped_controls: scan.escaped_controls })
}

struct Scan<'t> {
    text: &'t [u8],
    pos: usize,
    escaped_controls: bool,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    fn string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            let at = self.pos + memchr::memchr2(b'"', b'\\', &self.text[self.pos..])?;
            if self.text[at] == b'"' {
                self.pos = at + 1;
                return Some(());
            }
            let escaped = *self.text.get(at + 1)?;
            if escaped != b'"' && escaped != b'\\' {
                self.escaped_controls = true;
            }
            self.pos = at + 2;
        }
    }

    /// Skips one value; nesting is tracked by depth alone, strings by [`Scan::string`].
    fn value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => self.string()?,
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                }
                b',' | b':' if depth > 0 => self.pos += 1,
                b',' | b':' => return None,
                _ => self.pos += 1 + self.text[self.pos + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-').count(),
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_found_anywhere() {
        for len in [0usize, 1, 63, 64, 65, 200] {
            let clean = vec![b'a'; len];
            assert!(!has_control_bytes(&clean), "expected no control bytes found in {len} clean bytes");
            for at in 0..len {
                let mut dirty = clean.clone();
                dirty[at] = b'\n';
                assert!(has_control_bytes(&dirty), "expected a control byte found at {at} of {len}");
            }
        }
    }

    #[test]
    fn round_trip_with_controls() {
        let canonical = b"{\"a\":\"x\ny\t\x01\x1f\\\\n\\\"\x7f\"}".to_vec();
        let text = canonical_to_text(canonical.clone());
        assert_eq!(text, b"{\"a\":\"x\\ny\\t\\u0001\\u001f\\\\n\\\"\x7f\"}".to_vec());
        let parsed: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(parsed["a"], "x\ny\t\u{1}\u{1f}\\n\"\u{7f}");
        assert_eq!(text_to_canonical(&text).as_ref(), canonical.as_slice());
    }

    #[test]
    fn outline_finds_members_and_controls() {
        let text = canonical_to_text(b"{\"a\":[1,{\"b\":\"x\\\"}\"}],\"c\":{\"d\":\"e\nf\"},\"g\":-12,\"h\":true}".to_vec());
        let o = outline(&text, 0).unwrap();
        assert_eq!(o.end, text.len());
        let keys: Vec<&[u8]> = o.members.iter().map(|m| &text[m.key.clone()]).collect();
        assert_eq!(keys, [&b"\"a\""[..], b"\"c\"", b"\"g\"", b"\"h\""]);
        assert_eq!(&text[o.members[2].value.clone()], b"-12");
        assert!(o.escaped_controls, "expected escaped controls noticed, got {o:?}");
        let inner = outline(&text, o.members[1].value.start).unwrap();
        assert_eq!(inner.end, o.members[1].value.end);
        let got = outline(b"{\"a\":1", 0);
        assert!(got.is_none(), "expected an unclosed object to have no outline, got {got:?}");
        let got = outline(b"{}", 0).unwrap();
        assert!(got.members.is_empty(), "expected no members in {{}}, got {:?}", got.members);
    }

    #[test]
    fn no_controls_no_copy() {
        let canonical = b"{\"a\":\"\\\\u0041\"}".to_vec();
        let text = canonical_to_text(canonical.clone());
        assert_eq!(text, canonical);
        let got = text_to_canonical(&text);
        assert!(matches!(got, Cow::Borrowed(_)), "expected text without escapes borrowed, got {got:?}");
    }

    #[test]
    fn every_control_character_gets_its_escape() {
        let mut canonical = b"\"".to_vec();
        canonical.extend(0u8..0x20);
        canonical.extend_from_slice(b" ~\"");
        let text = canonical_to_text(canonical.clone());
        let want = concat!(
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f",
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f ~\""
        );
        assert_eq!(String::from_utf8_lossy(&text), want, "expected each control escaped as JSON writes it");
        let back = text_to_canonical(&text);
        assert_eq!(back.as_ref(), canonical.as_slice(), "expected the escapes undone, got {:?}", String::from_utf8_lossy(&back));
        assert!(text_has_escaped_controls(&text), "expected escaped controls noticed in {want}");
    }

    #[test]
    fn text_without_controls_is_the_same_buffer() {
        let canonical = b"{\"a\":\"b c\"}".to_vec();
        let at = canonical.as_ptr();
        let text = canonical_to_text(canonical);
        assert_eq!(text.as_ptr(), at, "expected the input returned without a copy");
    }

    /// A space (0x20) is no control character, in a 64-byte block or in the remainder; two
    /// controls in one block are found as one is.
    #[test]
    fn control_bytes_are_those_below_space() {
        for len in [64usize, 70, 130] {
            let spaces = vec![b' '; len];
            assert!(!has_control_bytes(&spaces), "expected {len} spaces to hold no control byte");
            let mut two = vec![b'a'; len];
            two[1] = 0x1f;
            two[2] = 0x01;
            assert!(has_control_bytes(&two), "expected two control bytes in a block found ({len} bytes)");
            let mut tail = vec![b'a'; len];
            tail[len - 1] = 0x1f;
            tail[len - 2] = 0x1f;
            assert!(has_control_bytes(&tail), "expected control bytes at the end found ({len} bytes)");
        }
    }

    #[test]
    fn only_escapes_of_controls_count_as_escaped_controls() {
        for (text, want) in [
            (&br#""a\\b""#[..], false),
            // An escaped backslash right after the opening quote, then a letter: no control.
            (br#""\\n""#, false),
            (br#""a\"b""#, false),
            (br#""\\\\\"\"""#, false),
            (br#""a\\\nb""#, true),
            (br#""\u0001""#, true),
            (br#""\\"#, false),
            (b"\"a\\", false),
            (b"", false),
        ] {
            assert_eq!(text_has_escaped_controls(text), want, "expected {want} for {:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn escapes_are_undone_in_place() {
        for (text, canonical) in [
            (&br#""\\n\n""#[..], &b"\"\\\\n\n\""[..]),
            (br#"{"k\tk":"\r\b\f\u001b"}"#, b"{\"k\tk\":\"\r\x08\x0c\x1b\"}"),
            (br#""\n\""#, b"\"\n\\\""),
            (b"\"\\n\\", b"\"\n\\"),
            (br#""\n\uzz00""#, b"\"\n\x00\""),
            (br#""\n\u00""#, b"\"\n\x00"),
        ] {
            let got = text_to_canonical(text);
            assert_eq!(
                got.as_ref(),
                canonical,
                "expected {:?} for {:?}, got {:?}",
                String::from_utf8_lossy(canonical),
                String::from_utf8_lossy(text),
                String::from_utf8_lossy(&got)
            );
        }
        assert_eq!(hex_byte(Some(b"7f")), 0x7f, "expected hex 7f read");
        assert_eq!(hex_byte(Some(b"g0")), 0, "expected bad hex read as 0");
        assert_eq!(hex_byte(Some(&[0xff, 0x30])), 0, "expected non-UTF-8 read as 0");
        assert_eq!(hex_byte(None), 0, "expected missing digits read as 0");
    }

    #[test]
    fn outlines_skip_every_kind_of_value() {
        let text = br#"xx{"a":{"b":[1,2,{"c":"]}"}]},"d":"\"\\","e":null,"f":-15,"g":[],"h":{}}yy"#;
        let o = outline(text, 2).unwrap_or_else(|| panic!("expected an outline of {}", String::from_utf8_lossy(text)));
        let members: Vec<(&str, &str)> = o
            .members
            .iter()
            .map(|m| (std::str::from_utf8(&text[m.key.clone()]).unwrap(), std::str::from_utf8(&text[m.value.clone()]).unwrap()))
            .collect();
        assert_eq!(
            members,
            [
                ("\"a\"", r#"{"b":[1,2,{"c":"]}"}]}"#),
                ("\"d\"", r#""\"\\""#),
                ("\"e\"", "null"),
                ("\"f\"", "-15"),
                ("\"g\"", "[]"),
                ("\"h\"", "{}")
            ],
            "expected each member's key and value"
        );
        assert_eq!(o.end, text.len() - 2, "expected the end just after the closing brace");
        assert!(!o.escaped_controls, "expected no escaped controls, got {o:?}");
        let quoted = outline(br#"{"a":"x\"y\\z"}"#, 0).unwrap();
        assert!(!quoted.escaped_controls, "expected escaped quotes and backslashes after letters not taken for controls, got {quoted:?}");
        let keyed = outline(br#"{"a\u0001":1}"#, 0).unwrap();
        assert!(keyed.escaped_controls, "expected an escaped control in a key noticed, got {keyed:?}");
        for bad in [
            &br#"{"a":1,}"#[..],
            br#"{"a":1:2}"#,
            br#"{"a":,}"#,
            br#"{"a"1}"#,
            br#"{"a":1"#,
            br#"["a"]"#,
            br#"{"a":]}"#,
            br#"{"a":"x"#,
            b"{",
            b"",
        ] {
            assert_eq!(outline(bad, 0), None, "expected no outline of {:?}", String::from_utf8_lossy(bad));
        }
    }
}
