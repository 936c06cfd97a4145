//! Fuzz target for `ceremony::tuf::canonical`.
//!
//! For arbitrary bytes: `canonicalize` must not panic; when it succeeds its output must be
//! canonical (`is_canonical`, and canonicalizing it again gives it back) and must parse with
//! serde_json to the same value as the input; `is_canonical` must agree with
//! `canonicalize` on every input.
#![no_main]

use ceremony::tuf::canonical::{canonicalize, is_canonical};
use libfuzzer_sys::fuzz_target;

/// Canonical bytes hold control characters raw inside strings, which JSON forbids; this
/// writes them as `\u00XX` escapes (outside strings canonical bytes have none).
fn escape_controls(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b < 0x20 {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // is_canonical(x) exactly when canonicalizing x (controls escaped) gives x back.
    let round = canonicalize(&escape_controls(data));
    assert_eq!(
        is_canonical(data),
        round.as_deref() == Ok(data),
        "is_canonical disagrees with canonicalize"
    );

    let Ok(out) = canonicalize(data) else {
        return;
    };
    assert!(out.len() <= data.len(), "output longer than input");
    assert!(is_canonical(&out), "output is not canonical");
    let json_text = escape_controls(&out);
    assert_eq!(
        canonicalize(&json_text).as_deref(),
        Ok(&out[..]),
        "canonical output does not canonicalize to itself"
    );
    // serde_json reads input and output alike (both nest at most 100 < 128 levels), except
    // that it reads integers past 64 bits as f64 and refuses those past f64's range.
    let input = serde_json::from_slice::<serde_json::Value>(data);
    let output = serde_json::from_slice::<serde_json::Value>(&json_text);
    match (input, output) {
        (Ok(input), Ok(output)) => {
            // Large integers become floats and -0 becomes -0.0: compare only exact values.
            if !has_float(&input) {
                assert_eq!(input, output, "output means something else than the input");
            }
        }
        (Err(a), Err(b)) => {
            assert!(
                a.to_string().starts_with("number out of range")
                    && b.to_string().starts_with("number out of range"),
                "serde_json rejects input ({a}) and output ({b})"
            );
        }
        (a, b) => panic!("serde_json reads only one of input ({a:?}) and output ({b:?})"),
    }
});

fn has_float(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(n) => n.is_f64(),
        serde_json::Value::Array(a) => a.iter().any(has_float),
        serde_json::Value::Object(o) => o.values().any(has_float),
        _ => false,
    }
}
