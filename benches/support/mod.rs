//! Shared by the bench binaries.

/// A `VmRSS:`/`VmHWM:` figure of this process in KiB (0 when /proc is unavailable).
pub fn vm_kb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}
