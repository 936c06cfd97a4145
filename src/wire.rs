//! The form metadata takes in files: canonical JSON with control characters escaped.
//!
//! Canonical JSON writes control characters raw inside strings (a PEM key's newlines, a
//! tab in a custom field), which JSON parsers, python-tuf's included, refuse. So files hold
//! the canonical text with exactly those characters escaped: valid JSON, keys sorted, no
//! whitespace, and its canonical form is the original canonical bytes. The two forms
//! convert into each other in one pass.

use std::borrow::Cow;

/// Escapes the control characters of canonical bytes. Returns the input unchanged (no
/// copy) when it has none, which is the common case for large targets files.
pub fn canonical_to_text(canonical: Vec<u8>) -> Vec<u8> {
    // Canonical JSON has no whitespace outside strings, so any byte below 0x20 is inside one.
    if !canonical.iter().any(|&b| b < 0x20) {
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
    digits
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| u8::from_str_radix(d, 16).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn no_controls_no_copy() {
        let canonical = b"{\"a\":\"\\\\u0041\"}".to_vec();
        let text = canonical_to_text(canonical.clone());
        assert_eq!(text, canonical);
        assert!(matches!(text_to_canonical(&text), Cow::Borrowed(_)));
    }
}
