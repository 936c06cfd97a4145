use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Instant;
use serde_json::value::RawValue;
use serde::de::IgnoredAny;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let input = std::fs::read(path).unwrap();
    let canonical = ceremony::canonical::canonicalize(&input).unwrap();
    let text = ceremony::wire::canonical_to_text(canonical);
    let t = Instant::now();
    let m: BTreeMap<Cow<str>, &RawValue> = serde_json::from_slice(&text).unwrap();
    eprintln!("envelope {:.3}", t.elapsed().as_secs_f64());
    let signed = m["signed"].get().as_bytes();
    let t = Instant::now();
    let _: IgnoredAny = serde_json::from_slice(signed).unwrap();
    eprintln!("ignored any {:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let md = ceremony::metadata::Metadata::from_slice(&input).unwrap();
    eprintln!("from_slice {:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    #[derive(serde::Deserialize)]
    struct D<'a> { #[serde(borrow)] delegations: Dl<'a> }
    #[derive(serde::Deserialize)]
    struct Dl<'a> { #[serde(borrow)] keys: BTreeMap<Cow<'a, str>, &'a RawValue>, roles: IgnoredAny }
    let d: D = serde_json::from_slice(md.signed_text()).unwrap();
    eprintln!("keys only {:.3} {}", t.elapsed().as_secs_f64(), d.delegations.keys.len());
    let t = Instant::now();
    #[derive(serde::Deserialize)]
    struct R<'a> { #[serde(borrow)] delegations: Rl<'a> }
    #[derive(serde::Deserialize)]
    struct Rl<'a> { keys: IgnoredAny, #[serde(borrow)] roles: Vec<ceremony::metadata::DelegatedRole<'a>> }
    let r: R = serde_json::from_slice(md.signed_text()).unwrap();
    eprintln!("roles only {:.3} {}", t.elapsed().as_secs_f64(), r.delegations.roles.len());
    let t = Instant::now();
    let tg = md.targets().unwrap();
    eprintln!("targets {:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    drop(tg);
    eprintln!("drop {:.3}", t.elapsed().as_secs_f64());
}
