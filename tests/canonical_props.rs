//! Property tests of canonical JSON (crates/tuf/src/canonical.rs) against a small tree-based model.

use ceremony::tuf::canonical::{canonicalize, encode_string, is_canonical, to_canonical, CanonicalError};
use proptest::prelude::*;
use serde_json::Value;

/// Canonical bytes are JSON text except that strings hold control characters raw; this
/// writes those as `\u00XX` escapes, which gives JSON text with the same canonical form.
/// (In canonical bytes a byte below 0x20 can only be inside a string.)
fn escape_controls(canon: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(canon.len());
    for &b in canon {
        if b < 0x20 {
            out.extend_from_slice(format!("\\u{:04x}", b).as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// A model JSON value whose integers are digit strings of any length.

#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    /// Decimal text as it appears in the input: `-?(0|[1-9][0-9]*)`, `-0` included.
    Int(String),
    Str(String),
    Arr(Vec<J>),
    /// Members in input order; keys are distinct.
    Obj(Vec<(String, J)>),
}

/// Characters that trip up encoders, mixed with arbitrary ones.
fn arb_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![
            '"', '\\', '/', '\0', '\u{1}', '\u{8}', '\n', '\u{1f}', '\u{7f}', ' ', 'a', 'A', 'é',
            'e', '\u{301}', '\u{2028}', '\u{feff}', '\u{fffd}', '\u{ffff}', '\u{10000}',
            '\u{1f600}', '\u{10ffff}',
        ]),
        1 => (0u32..0x80).prop_map(|c| char::from_u32(c).unwrap()),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop::collection::vec(arb_char(), 0..12).prop_map(String::from_iter)
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "", "a", "A", "b", "a\0", "a\u{1}", "ab", "a\"", "a\\", "\"", "#", "\\", "]",
            "\u{e9}", "e\u{301}", "\u{ffff}", "\u{10000}", "\u{10ffff}", "keyid", "keyids",
        ])
        .prop_map(String::from),
        3 => arb_string(),
    ]
}

fn arb_int_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| i.to_string()),
        any::<i128>().prop_map(|i| i.to_string()),
        Just("-0".to_string()),
        "-?(0|[1-9][0-9]{0,80})",
        (any::<bool>(), 100usize..400).prop_map(|(neg, n)| { format!("{}1{}", if neg { "-" } else { "" }, "0".repeat(n)) }),
    ]
}

fn arb_j() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![Just(J::Null), any::<bool>().prop_map(J::Bool), arb_int_text().prop_map(J::Int), arb_string().prop_map(J::Str),];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(J::Arr),
            prop::collection::vec((arb_key(), inner), 0..8).prop_map(|members| {
                let mut seen = std::collections::HashSet::new();
                J::Obj(members.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect())
            }),
        ]
    })
}

/// The canonical form, computed the obvious way: sort members by key (Rust's `str` order
/// is code point order), escape only `"` and `\`, write `-0` as `0`.
fn model(j: &J, out: &mut Vec<u8>) {
    match j {
        J::Null => out.extend_from_slice(b"null"),
        J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        J::Int(t) => out.extend_from_slice(if t == "-0" { "0" } else { t }.as_bytes()),
        J::Str(s) => model_string(s, out),
        J::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                model(item, out);
            }
            out.push(b']');
        }
        J::Obj(members) => {
            let mut sorted: Vec<_> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push(b'{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                model_string(k, out);
                out.push(b':');
                model(v, out);
            }
            out.push(b'}');
        }
    }
}

fn model_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push(b'\\');
        }
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out.push(b'"');
}

/// How to write a model value as JSON text.
#[derive(Debug, Clone, Copy)]
struct Style {
    /// Whitespace written around every token.
    ws: &'static str,
    /// Escape every character that is not an ASCII letter or digit as `\uXXXX`
    /// (UTF-16 surrogate pairs above U+FFFF), `/` as `\/`, upper- or lower-case hex.
    escape_all: bool,
    upper_hex: bool,
}

fn render(j: &J, st: Style, out: &mut String) {
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(t) => out.push_str(t),
        J::Str(s) => render_string(s, st, out),
        J::Arr(items) => render_list(('[', ']'), items, st, out, |item, out| render(item, st, out)),
        J::Obj(members) => render_list(('{', '}'), members, st, out, |(k, v), out| {
            render_string(k, st, out);
            out.push_str(st.ws);
            out.push(':');
            out.push_str(st.ws);
            render(v, st, out);
        }),
    }
}

/// An array or object: its brackets, and each item between whitespace, after a comma.
fn render_list<T>(brackets: (char, char), items: &[T], st: Style, out: &mut String, item: impl Fn(&T, &mut String)) {
    out.push(brackets.0);
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(st.ws);
        item(x, out);
        out.push_str(st.ws);
    }
    out.push(brackets.1);
}

fn render_string(s: &str, st: Style, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if st.escape_all => out.push_str("\\/"),
            '\n' if st.escape_all => out.push_str("\\n"),
            '\t' if st.escape_all => out.push_str("\\t"),
            '\u{8}' if st.escape_all => out.push_str("\\b"),
            c if (c as u32) < 0x20 || (st.escape_all && !c.is_ascii_alphanumeric()) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    if st.upper_hex {
                        out.push_str(&format!("\\u{:04X}", u));
                    } else {
                        out.push_str(&format!("\\u{:04x}", u));
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

const COMPACT: Style = Style { ws: "", escape_all: false, upper_hex: false };

fn arb_style() -> impl Strategy<Value = Style> {
    (prop::sample::select(vec!["", " ", "\n ", "\t", "\r\n\t  "]), any::<bool>(), any::<bool>())
        .prop_map(|(ws, escape_all, upper_hex)| Style { ws, escape_all, upper_hex })
}

fn rendered(j: &J, st: Style) -> Vec<u8> {
    let mut s = String::new();
    render(j, st, &mut s);
    s.into_bytes()
}

// ---------------------------------------------------------------------------------------
// serde_json values without floats.

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn value_to_j(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => J::Int(n.to_string()),
        Value::String(s) => J::Str(s.clone()),
        Value::Array(a) => J::Arr(a.iter().map(value_to_j).collect()),
        Value::Object(o) => J::Obj(o.iter().map(|(k, v)| (k.clone(), value_to_j(v))).collect()),
    }
}

/// Whether every object's keys in canonical output are strictly increasing, checked on the
/// value serde_json reads back (keys are compared as Rust strings: code point order).
fn keys_sorted_in(text: &[u8]) -> bool {
    // serde_json's Map is a BTreeMap here, so walk the text instead: collect, per object,
    // the keys in output order using a streaming deserializer of our own.
    struct Walker<'a> {
        b: &'a [u8],
        i: usize,
    }
    impl Walker<'_> {
        fn string(&mut self) -> String {
            let start = self.i;
            let mut de = serde_json::Deserializer::from_slice(&self.b[start..]).into_iter::<String>();
            let s = de.next().unwrap().unwrap();
            self.i = start + de.byte_offset();
            s
        }
        fn value(&mut self) -> bool {
            match self.b[self.i] {
                b'{' => {
                    self.i += 1;
                    let mut prev: Option<String> = None;
                    while self.b[self.i] != b'}' {
                        if self.b[self.i] == b',' {
                            self.i += 1;
                        }
                        let k = self.string();
                        if prev.as_ref().is_some_and(|p| *p >= k) {
                            return false;
                        }
                        prev = Some(k);
                        self.i += 1; // ':'
                        if !self.value() {
                            return false;
                        }
                    }
                    self.i += 1;
                    true
                }
                b'[' => {
                    self.i += 1;
                    while self.b[self.i] != b']' {
                        if self.b[self.i] == b',' {
                            self.i += 1;
                        }
                        if !self.value() {
                            return false;
                        }
                    }
                    self.i += 1;
                    true
                }
                b'"' => {
                    self.string();
                    true
                }
                _ => {
                    while !matches!(self.b[self.i], b',' | b']' | b'}') {
                        self.i += 1;
                        if self.i == self.b.len() {
                            return true;
                        }
                    }
                    true
                }
            }
        }
    }
    let mut w = Walker { b: text, i: 0 };
    w.value()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Pretty and compact serde_json output have the same canonical form, which
    /// to_canonical also gives, which is idempotent, which serde_json reads back as the
    /// same value, and whose keys are sorted.
    #[test]
    fn serde_json_values(v in arb_value()) {
        let pretty = canonicalize(&serde_json::to_vec_pretty(&v).unwrap()).unwrap();
        let compact = canonicalize(&serde_json::to_vec(&v).unwrap()).unwrap();
        prop_assert_eq!(&pretty, &compact);
        prop_assert_eq!(&to_canonical(&v).unwrap(), &compact);
        let mut want = Vec::new();
        model(&value_to_j(&v), &mut want);
        prop_assert_eq!(&compact, &want);

        prop_assert!(is_canonical(&compact), "not canonical: {:?}", String::from_utf8_lossy(&compact));
        let json_text = escape_controls(&compact);
        prop_assert_eq!(&canonicalize(&json_text).unwrap(), &compact);
        let back: Value = serde_json::from_slice(&json_text).unwrap();
        prop_assert_eq!(&back, &v);
        prop_assert!(keys_sorted_in(&json_text), "keys out of order in {:?}", String::from_utf8_lossy(&json_text));
    }

    /// Any layout and escaping of a value (keys in any order, integers of any length)
    /// canonicalizes to the model's bytes.
    #[test]
    fn any_layout_matches_model(j in arb_j(), st in arb_style()) {
        let mut want = Vec::new();
        model(&j, &mut want);
        let text = rendered(&j, st);
        prop_assert_eq!(&canonicalize(&text).unwrap(), &want, "input {}", String::from_utf8_lossy(&text));
        prop_assert_eq!(&canonicalize(&rendered(&j, COMPACT)).unwrap(), &want);
        prop_assert!(is_canonical(&want), "not canonical: {:?}", String::from_utf8_lossy(&want));
        let json_text = escape_controls(&want);
        prop_assert_eq!(&canonicalize(&json_text).unwrap(), &want);
        prop_assert!(keys_sorted_in(&json_text), "keys out of order in {:?}", String::from_utf8_lossy(&json_text));
    }

    /// A key written twice in one object (escaped differently) is refused.
    #[test]
    fn duplicate_keys_refused(j in arb_j(), key in arb_key(), st in arb_style()) {
        let mut value = String::new();
        render(&j, COMPACT, &mut value);
        let mut text = String::from("{");
        render_string(&key, COMPACT, &mut text);
        text.push(':');
        text.push_str(&value);
        text.push_str(",\"\\u0000between\":null,");
        render_string(&key, Style { escape_all: true, ..st }, &mut text);
        text.push(':');
        text.push_str(&value);
        text.push('}');
        prop_assert!(
            matches!(canonicalize(text.as_bytes()), Err(CanonicalError::DuplicateKey { .. })),
            "{}", text
        );
    }

    /// is_canonical(x) holds exactly when canonicalize gives x back (after writing raw
    /// control characters as escapes), also for canonical bytes with one byte changed.
    #[test]
    fn is_canonical_agrees(j in arb_j(), at in any::<prop::sample::Index>(), byte in any::<u8>(), op in 0..3u8) {
        let mut x = Vec::new();
        model(&j, &mut x);
        let i = at.index(x.len() + 1);
        match op {
            0 => x.insert(i, byte),
            1 if i < x.len() => { x.remove(i); }
            _ if i < x.len() => x[i] = byte,
            _ => {}
        }
        let round = canonicalize(&escape_controls(&x));
        prop_assert_eq!(is_canonical(&x), round.as_deref() == Ok(&x[..]), "{:?}", String::from_utf8_lossy(&x));
    }

    #[test]
    fn encode_string_matches_model(s in arb_string()) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode_string(&s, &mut a);
        model_string(&s, &mut b);
        prop_assert_eq!(&a, &b);
        prop_assert!(is_canonical(&a), "not canonical: {:?}", String::from_utf8_lossy(&a));
    }
}
