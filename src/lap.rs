//! TEMPORARY profiling aid.
use std::sync::OnceLock;
use std::time::Instant;
static START: OnceLock<Instant> = OnceLock::new();
pub fn lap(label: &str) {
    if std::env::var_os("CEREMONY_LAP").is_some() {
        let s = START.get_or_init(Instant::now);
        eprintln!("      lap {:>8.3} {label}", s.elapsed().as_secs_f64());
    }
}
