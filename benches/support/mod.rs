//! Shared by the bench binaries.

/// A `VmRSS:`/`VmHWM:` figure of this process in KiB (0 when /proc is unavailable).
pub fn vm_kb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Peak resident memory (VmHWM) in MiB since the last call, which starts a new peak
/// (writing 5 to /proc/self/clear_refs resets it), for figures per step.
#[allow(dead_code)] // not every bench binary measures steps
pub fn peak_mib_since_last() -> f64 {
    let peak = vm_kb("VmHWM:") / 1024.0;
    let mut overall = OVERALL_PEAK_MIB.lock().unwrap_or_else(|e| e.into_inner());
    *overall = overall.max(peak);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak
}

static OVERALL_PEAK_MIB: std::sync::Mutex<f64> = std::sync::Mutex::new(0.0);

/// The process's peak resident memory in MiB, across [`peak_mib_since_last`]'s resets.
#[allow(dead_code)] // not every bench binary resets the peak
pub fn overall_peak_mib() -> f64 {
    let overall = *OVERALL_PEAK_MIB.lock().unwrap_or_else(|e| e.into_inner());
    overall.max(vm_kb("VmHWM:") / 1024.0)
}
