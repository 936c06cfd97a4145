//! TEMPORARY stub: replaced by the real canonical JSON module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("invalid JSON: {what}")]
    InvalidJson { offset: usize, what: String },
    #[error("float")]
    Float,
}
pub const MAX_DEPTH: usize = 100;
pub fn canonicalize(input: &[u8]) -> Result<Vec<u8>, CanonicalError> {
    let v: serde_json::Value = serde_json::from_slice(input).map_err(|e| CanonicalError::InvalidJson { offset: 0, what: e.to_string() })?;
    let mut out = Vec::new();
    write(&v, &mut out)?;
    Ok(out)
}
fn write(v: &serde_json::Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    use serde_json::Value::*;
    match v {
        Null => out.extend_from_slice(b"null"),
        Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Number(n) => { if n.is_f64() { return Err(CanonicalError::Float) } out.extend_from_slice(n.to_string().as_bytes()) }
        String(s) => encode_string(s, out),
        Array(a) => { out.push(b'['); for (i, x) in a.iter().enumerate() { if i > 0 { out.push(b',') } write(x, out)?; } out.push(b']') }
        Object(o) => { out.push(b'{'); for (i, (k, x)) in o.iter().enumerate() { if i > 0 { out.push(b',') } encode_string(k, out); out.push(b':'); write(x, out)?; } out.push(b'}') }
    }
    Ok(())
}
pub fn to_canonical<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    canonicalize(&serde_json::to_vec(value).map_err(|e| CanonicalError::InvalidJson { offset: 0, what: e.to_string() })?)
}
pub fn encode_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() { if b == b'"' || b == b'\\' { out.push(b'\\') } out.push(b) }
    out.push(b'"');
}
pub fn is_canonical(input: &[u8]) -> bool { canonicalize(input).map(|c| c == input).unwrap_or(false) }
