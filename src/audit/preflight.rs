//! `ceremony preflight`: what can be checked on the machine before a ceremony, each check one
//! plain pass / warn / fail line.
//!
//! Every check is a function of the paths and times it is given (a sysfs root, a workspace,
//! "now"), so tests run them against fake sysfs trees in a temporary directory.

use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;

use crate::keys::holder::{Holder, KeySource};
use crate::keys::pkcs11_module::{holder_record, AllowedModule, ModulePolicy};
use crate::tuf::chain::verify_root_chain;
use crate::tuf::datetime::{format_expires, MetaTime};
use crate::tuf::metadata::{Metadata, RoleType};
use crate::workspace::Workspace;

/// A trusted role whose expiry is closer than this gets a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Pass,
    Warn,
    Fail,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Pass => "pass",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One check: what was checked, the outcome, and what was found, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: String,
    pub result: Level,
    pub message: String,
}

impl Check {
    fn new(check: &str, result: Level, message: impl Into<String>) -> Check {
        Check { check: check.to_string(), result, message: message.into() }
    }

    /// `pass: network: no interface other than loopback`.
    pub fn line(&self) -> String {
        format!("{}: {}: {}", self.result.as_str(), self.check, self.message)
    }
}

/// True when no check failed.
pub fn passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.result != Level::Fail)
}

const IFF_UP: u64 = 0x1;
const IFF_LOOPBACK: u64 = 0x8;
const ARPHRD_LOOPBACK: &str = "772";

fn read_trim(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

fn entries(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out: Vec<(String, PathBuf)> =
        std::fs::read_dir(dir)?.filter_map(|e| e.ok()).map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())).collect();
    out.sort();
    Ok(out)
}

/// One network interface as sysfs shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Interface {
    name: String,
    operstate: String,
    flags: u64,
    wireless: bool,
}

impl Interface {
    fn up(&self) -> bool {
        self.operstate == "up" || self.flags & IFF_UP != 0
    }
}

/// The interfaces under `SYS/class/net` other than loopback.
fn interfaces(sys: &Path) -> std::io::Result<Vec<Interface>> {
    let mut out = Vec::new();
    for (name, path) in entries(&sys.join("class/net"))? {
        let flags = read_trim(&path.join("flags")).and_then(|f| u64::from_str_radix(f.trim_start_matches("0x"), 16).ok()).unwrap_or(0);
        let loopback = name == "lo" || flags & IFF_LOOPBACK != 0 || read_trim(&path.join("type")).as_deref() == Some(ARPHRD_LOOPBACK);
        if loopback {
            continue;
        }
        out.push(Interface {
            operstate: read_trim(&path.join("operstate")).unwrap_or_else(|| "unknown".into()),
            flags,
            wireless: path.join("wireless").exists() || path.join("phy80211").exists(),
            name,
        });
    }
    Ok(out)
}

/// Network interfaces other than loopback: fail for each one that is up (administratively
/// or with a link), warn for each one present but down, pass when there are none.
pub fn network(sys: &Path) -> Vec<Check> {
    let list = match interfaces(sys) {
        Ok(l) => l,
        Err(e) => {
            return vec![Check::new(
                "network",
                Level::Warn,
                format!("cannot read {}: {e}; check the network hardware by hand", sys.join("class/net").display()),
            )]
        }
    };
    if list.is_empty() {
        return vec![Check::new("network", Level::Pass, "no network interface other than loopback")];
    }
    list.iter()
        .map(|i| {
            let kind = if i.wireless { "wireless interface" } else { "interface" };
            if i.up() {
                Check::new(
                    "network",
                    Level::Fail,
                    format!(
                        "{kind} {} is up (operstate {}, flags {:#x}); take it down (ip link set {} down) or remove the hardware",
                        i.name, i.operstate, i.flags, i.name
                    ),
                )
            } else {
                Check::new("network", Level::Warn, format!("{kind} {} is present but down; an air-gapped machine should have none", i.name))
            }
        })
        .collect()
}

/// Wireless hardware (`SYS/class/ieee80211/*`, interfaces with `wireless` or `phy80211`):
/// fail when a wireless interface is up, warn when any is present; Bluetooth adapters
/// (`SYS/class/bluetooth/*`) warn too.
pub fn wireless(sys: &Path) -> Vec<Check> {
    let ifaces = interfaces(sys).unwrap_or_default();
    let mut names: Vec<String> = entries(&sys.join("class/ieee80211")).unwrap_or_default().into_iter().map(|(n, _)| n).collect();
    names.extend(ifaces.iter().filter(|i| i.wireless).map(|i| i.name.clone()));
    let up: Vec<&str> = ifaces.iter().filter(|i| i.wireless && i.up()).map(|i| i.name.as_str()).collect();
    let mut out = Vec::new();
    out.push(if !up.is_empty() {
        Check::new("wireless", Level::Fail, format!("wireless interface {} is up; remove the wireless hardware", up.join(", ")))
    } else if !names.is_empty() {
        Check::new(
            "wireless",
            Level::Warn,
            format!("wireless hardware is present ({}); remove it or disable it in the firmware", names.join(", ")),
        )
    } else {
        Check::new("wireless", Level::Pass, "no wireless hardware found")
    });
    let bluetooth: Vec<String> = entries(&sys.join("class/bluetooth")).unwrap_or_default().into_iter().map(|(n, _)| n).collect();
    if !bluetooth.is_empty() {
        out.push(Check::new(
            "bluetooth",
            Level::Warn,
            format!("Bluetooth hardware is present ({}); remove it or disable it in the firmware", bluetooth.join(", ")),
        ));
    }
    out
}

/// A trusted role version and its expiry, for the clock check.
#[derive(Debug, Clone)]
pub struct Expiry {
    pub role: String,
    pub version: u64,
    pub expires: MetaTime,
}

/// The clock against the trusted metadata and the transcript: fail when now is at or after
/// a trusted role's expiry or before the transcript's newest record; warn when an expiry is
/// less than [`EXPIRY_WARNING_DAYS`] away.
pub fn clock(now: OffsetDateTime, trusted: &[Expiry], newest_record: Option<&str>) -> Vec<Check> {
    let mut out = Vec::new();
    let stamp = format_expires(now);
    for e in trusted {
        let at = format_expires(e.expires.at);
        if e.expires.is_expired(now) {
            out.push(Check::new(
                "clock",
                Level::Fail,
                format!(
                    "the clock ({stamp}) is at or after the expiry of trusted {} version {} ({at}); \
                     set the clock right, or renew the role if it really expired",
                    e.role, e.version
                ),
            ));
        } else if (e.expires.at - now).whole_days() < EXPIRY_WARNING_DAYS {
            out.push(Check::new(
                "clock",
                Level::Warn,
                format!(
                    "trusted {} version {} expires in {} days ({at}); renew it in this ceremony",
                    e.role,
                    e.version,
                    (e.expires.at - now).whole_days()
                ),
            ));
        }
    }
    match newest_record.map(MetaTime::parse) {
        Some(Ok(t)) if now < t.at => out.push(Check::new(
            "clock",
            Level::Fail,
            format!(
                "the clock ({stamp}) is before the transcript's newest record ({}); the clock is wrong, set it right",
                format_expires(t.at)
            ),
        )),
        Some(Err(_)) => out.push(Check::new("clock", Level::Warn, "the transcript's newest record has no readable time")),
        _ => {}
    }
    if !out.iter().any(|c| c.result != Level::Pass) {
        let earliest = trusted.iter().min_by_key(|e| e.expires.at);
        let what = match earliest {
            Some(e) => {
                format!("before every trusted expiry (the earliest: {} version {}, {})", e.role, e.version, format_expires(e.expires.at))
            }
            None => "nothing trusted yet to compare with".to_string(),
        };
        let record = if newest_record.is_some() { ", and after the transcript's newest record" } else { "" };
        out.push(Check::new("clock", Level::Pass, format!("{stamp} is {what}{record}")));
    }
    out
}

/// The running binary's SHA-256, to compare with the published hash.
pub fn binary(found: std::io::Result<(PathBuf, String)>) -> Check {
    match found {
        Ok((path, hash)) => {
            Check::new("binary", Level::Pass, format!("sha256 {hash} ({}); compare it with the published hash", path.display()))
        }
        Err(e) => Check::new("binary", Level::Warn, format!("cannot read the running binary to hash it: {e}")),
    }
}

fn parse_file(ws: &Workspace, rel: &str, expected: Option<RoleType>) -> Result<Metadata, String> {
    let bytes = ws.read(rel).map_err(|e| e.to_string())?.ok_or_else(|| "it vanished while being read".to_string())?;
    let md = Metadata::from_slice(&bytes).map_err(|e| e.to_string())?;
    let typed = match md.role_type() {
        RoleType::Root => md.root().map(drop),
        RoleType::Targets => md.targets().map(drop),
        RoleType::Snapshot => md.snapshot().map(drop),
        RoleType::Timestamp => md.timestamp().map(drop),
    };
    typed.map_err(|e| e.to_string())?;
    if let Some(want) = expected.filter(|w| *w != md.role_type()) {
        return Err(format!("it is {} metadata, not {want}", md.role_type()));
    }
    Ok(md)
}

/// Workspace integrity (the transcript's chain, every trusted and staged file, the holders,
/// the trusted root chain), and the clock against its trusted metadata and transcript.
pub fn workspace(ws_dir: &Path, now: OffsetDateTime) -> Vec<Check> {
    let ws = match Workspace::open(ws_dir) {
        Ok(ws) => ws,
        // A workspace that cannot be opened (its `current` link changed or lost) fails.
        Err(e) if !matches!(e, crate::workspace::WorkspaceError::NotAWorkspace(_)) => {
            return vec![Check::new("workspace", Level::Fail, e.to_string())];
        }
        Err(_) => {
            return vec![Check::new(
                "workspace",
                Level::Warn,
                format!("no workspace in {}; the clock and workspace checks were skipped", ws_dir.display()),
            )]
        }
    };
    let mut out = Vec::new();
    let mut newest_record = None;
    match ws.transcript() {
        Ok(records) => {
            let head = crate::workspace::transcript::head(&records);
            newest_record = records.last().map(|r| r.time.clone());
            out.push(Check::new("transcript", Level::Pass, format!("{} records, the hash chain holds, head {}", head.records, head.hash)));
        }
        Err(e) => out.push(Check::new("transcript", Level::Fail, format!("{e}; compare it with a printed report or a bundle"))),
    }
    match ws.holders() {
        Ok(h) => {
            out.push(Check::new("holders", Level::Pass, format!("{} holder descriptors read, every keyid matches its key", h.len())));
            out.extend(pkcs11_modules(&h, &ModulePolicy::machine()));
        }
        Err(e) => out.push(Check::new("holders", Level::Fail, e.to_string())),
    }

    let trusted = crate::workspace::staging::verify_trusted_state(&ws);
    match &trusted {
        Ok(n) => out.push(Check::new(
            "trusted state",
            Level::Pass,
            format!("{n} trusted files are the versions the transcript made trusted, each signed at its threshold from root down"),
        )),
        Err(e) => out.push(Check::new("trusted state", Level::Fail, e.to_string())),
    }
    // The staged files as `status` reads them: each the file its stage record staged, its
    // collected signatures intact (each verifies, each shard under its seal).
    match trusted.map(|_| crate::workspace::status::status(&ws, now)) {
        Ok(Ok(s)) => out.push(Check::new(
            "staged state",
            Level::Pass,
            format!("{} staged files are the ones transcript records staged, their signatures intact", s.len()),
        )),
        Ok(Err(e)) => out.push(Check::new("staged state", Level::Fail, e.to_string())),
        Err(_) => out.push(Check::new("staged state", Level::Warn, "not checked: the trusted state it is judged against failed")),
    }

    let mut problems = Vec::new();
    let mut count = 0;
    let mut roots: Vec<Metadata> = Vec::new();
    let mut expiries = Vec::new();
    let root_names = ws.list("trusted/root").unwrap_or_default();
    let mut numbered: Vec<(u64, String)> = Vec::new();
    for name in root_names {
        match name.strip_suffix(".root.json").and_then(|v| v.parse::<u64>().ok()) {
            Some(v) => numbered.push((v, name)),
            None => problems.push(format!("trusted/root/{name} is not named N.root.json")),
        }
    }
    numbered.sort();
    for (_, name) in &numbered {
        let rel = format!("trusted/root/{name}");
        count += 1;
        match parse_file(&ws, &rel, Some(RoleType::Root)) {
            Ok(md) => roots.push(md),
            Err(e) => problems.push(format!("{rel}: {e}")),
        }
    }
    if let Some(newest) = roots.last() {
        expiries.push(Expiry { role: "root".into(), version: newest.version(), expires: newest.expires() });
    }
    for dir in ["trusted", "staged"] {
        for name in ws.list(dir).unwrap_or_default() {
            let Some(role) = name.strip_suffix(".json") else {
                if name == crate::workspace::collected::FILE {
                    if let Err(e) = crate::workspace::collected::Collected::current(&ws, dir) {
                        problems.push(e.to_string());
                    }
                    continue;
                }
                // Also a staged promotion's source record and the staged files' digests.
                let known =
                    (dir == "trusted" && name == "root") || (dir == "staged" && (name == "promotion.record" || name == "digests.record"));
                if !known {
                    problems.push(format!("{dir}/{name} is not a metadata file"));
                }
                continue;
            };
            let rel = format!("{dir}/{name}");
            count += 1;
            match parse_file(&ws, &rel, Some(crate::workspace::staging::role_type_of(role))) {
                Ok(md) if dir == "trusted" => {
                    expiries.push(Expiry { role: role.to_string(), version: md.version(), expires: md.expires() })
                }
                Ok(_) => {}
                Err(e) => problems.push(format!("{rel}: {e}")),
            }
        }
    }
    if problems.is_empty() {
        out.push(Check::new("metadata", Level::Pass, format!("{count} trusted and staged files parse")));
    } else {
        for p in problems {
            out.push(Check::new("metadata", Level::Fail, p));
        }
    }
    if roots.is_empty() {
        out.push(Check::new("root chain", Level::Pass, "no trusted root yet"));
    } else {
        let report = verify_root_chain(&roots, now);
        if report.ok {
            out.push(Check::new(
                "root chain",
                Level::Pass,
                format!("trusted roots version {} to {} chain", roots[0].version(), roots[roots.len() - 1].version()),
            ));
        } else {
            let why = report
                .steps
                .iter()
                .find(|s| !s.holds())
                .map(|s| format!("version {}: {}", s.version, s.problems.join("; ")))
                .unwrap_or_else(|| "it could not be checked to the end".into());
            out.push(Check::new("root chain", Level::Fail, format!("the trusted root chain breaks at {why}")));
        }
    }
    out.extend(clock(now, &expiries, newest_record.as_deref()));
    out.extend(key_separation(&ws));
    out
}

/// The PKCS#11 modules the holders' records would load: one line per module with its
/// SHA-256 and whose records name it, to compare with the module the machine should have; a
/// fail line for each record naming a module the machine does not allow (it is never loaded,
/// here or at `sign`). No line when no record names a module.
pub fn pkcs11_modules(holders: &[Holder], policy: &ModulePolicy) -> Vec<Check> {
    let mut allowed: Vec<(AllowedModule, Vec<&str>)> = Vec::new();
    let mut out = Vec::new();
    for h in holders {
        let KeySource::Pkcs11 { module, .. } = &h.source else { continue };
        match policy.check(module, &holder_record(&h.name)) {
            Ok(m) => match allowed.iter_mut().find(|(seen, _)| seen.path() == m.path()) {
                Some((_, names)) => names.push(&h.name),
                None => allowed.push((m, vec![&h.name])),
            },
            Err(e) => out.push(Check::new("pkcs11 module", Level::Fail, e.to_string())),
        }
    }
    for (m, names) in allowed {
        let whose = format!("for {}", names.join(", "));
        out.push(match m.sha256() {
            Ok(hash) => Check::new(
                "pkcs11 module",
                Level::Pass,
                format!("{} sha256 {hash} ({whose}); compare it with the module the machine should have", m.path().display()),
            ),
            Err(e) => Check::new(
                "pkcs11 module",
                Level::Fail,
                format!("{} ({whose}) cannot be read to hash it: {e}; check the module's installation", m.path().display()),
            ),
        });
    }
    out
}

/// A warning for each key the trusted layout lists for two roles that must not share it.
fn key_separation(ws: &Workspace) -> Vec<Check> {
    let holders = ws.holders().unwrap_or_default();
    match crate::workspace::exclusive_keys::trusted_problems(ws, &holders) {
        Ok(p) if p.is_empty() => {
            vec![Check::new("key separation", Level::Pass, "no key of the trusted metadata signs two roles a client could confuse")]
        }
        Ok(p) => p.into_iter().map(|w| Check::new("key separation", Level::Warn, w)).collect(),
        Err(e) => vec![Check::new("key separation", Level::Warn, format!("could not be checked: {e}"))],
    }
}

/// The clock's date (UTC) against the date the operator typed from a watch or a phone:
/// before a workspace exists there is no trusted metadata to judge the clock by, and every
/// expiry a ceremony writes is counted from the clock.
pub fn date(now: OffsetDateTime, typed: time::Date) -> Check {
    let today = now.to_offset(time::UtcOffset::UTC).date();
    if today == typed {
        Check::new("date", Level::Pass, format!("the clock's date (UTC) is {today}, the date typed"))
    } else {
        Check::new(
            "date",
            Level::Fail,
            format!(
                "the clock says {today} (UTC) but the date typed is {typed}; set the clock right (`date -u`), or type today's date in UTC"
            ),
        )
    }
}

/// A date typed as YYYY-MM-DD.
pub fn parse_date(text: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| format!("{text:?} is not a date as YYYY-MM-DD (e.g. 2026-12-06)"))
}

/// Every check, in the order they are printed.
pub fn run(sys: &Path, ws_dir: &Path, now: OffsetDateTime) -> Vec<Check> {
    let mut out = network(sys);
    out.extend(wireless(sys));
    out.extend(workspace(ws_dir, now));
    out.push(binary(crate::support::buildinfo::running_binary()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn iface(sys: &Path, name: &str, operstate: &str, flags: &str, wireless: bool) {
        let d = sys.join("class/net").join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("operstate"), format!("{operstate}\n")).unwrap();
        std::fs::write(d.join("flags"), format!("{flags}\n")).unwrap();
        std::fs::write(d.join("type"), if name == "lo" { "772\n" } else { "1\n" }).unwrap();
        if wireless {
            std::fs::create_dir_all(d.join("wireless")).unwrap();
        }
    }

    fn levels(checks: &[Check]) -> Vec<Level> {
        checks.iter().map(|c| c.result).collect()
    }

    #[test]
    fn network_only_loopback_passes() {
        let t = tempfile::tempdir().unwrap();
        iface(t.path(), "lo", "unknown", "0x9", false);
        assert_eq!(levels(&network(t.path())), vec![Level::Pass]);
        assert_eq!(levels(&wireless(t.path())), vec![Level::Pass]);
    }

    #[test]
    fn network_up_fails_down_warns() {
        let t = tempfile::tempdir().unwrap();
        iface(t.path(), "lo", "unknown", "0x9", false);
        iface(t.path(), "eth0", "up", "0x1003", false);
        iface(t.path(), "eth1", "down", "0x1002", false);
        // Administratively up without a link is still up: plugging a cable in connects it.
        iface(t.path(), "eth2", "down", "0x1003", false);
        let checks = network(t.path());
        assert_eq!(levels(&checks), vec![Level::Fail, Level::Warn, Level::Fail]);
        assert!(
            checks[0].line().starts_with("fail: network: interface eth0 is up"),
            "expected {:?} to start with {:?}",
            checks[0].line(),
            "fail: network: interface eth0 is up"
        );
        assert!(!passed(&checks), "passed with {checks:?}");
    }

    #[test]
    fn wireless_present_warns_up_fails() {
        let t = tempfile::tempdir().unwrap();
        iface(t.path(), "wlan0", "down", "0x1002", true);
        std::fs::create_dir_all(t.path().join("class/ieee80211/phy0")).unwrap();
        let w = wireless(t.path());
        assert_eq!(levels(&w), vec![Level::Warn]);
        assert!(w[0].message.contains("phy0"), "expected {:?} to contain {:?}", w[0].message, "phy0");
        assert!(w[0].message.contains("wlan0"), "expected {:?} to contain {:?}", w[0].message, "wlan0");
        iface(t.path(), "wlan0", "up", "0x1003", true);
        assert_eq!(levels(&wireless(t.path())), vec![Level::Fail]);
        std::fs::create_dir_all(t.path().join("class/bluetooth/hci0")).unwrap();
        assert_eq!(levels(&wireless(t.path())), vec![Level::Fail, Level::Warn]);
    }

    #[test]
    fn missing_sysfs_warns() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(levels(&network(&t.path().join("nothing"))), vec![Level::Warn]);
    }

    fn exp(role: &str, at: OffsetDateTime) -> Expiry {
        Expiry { role: role.into(), version: 1, expires: MetaTime { at, legacy: false } }
    }

    #[test]
    fn the_typed_date_must_be_the_clocks() {
        let now = datetime!(2026-12-06 23:59:59 UTC);
        assert_eq!(date(now, parse_date("2026-12-06").unwrap()).result, Level::Pass);
        let wrong = date(now, parse_date("2026-12-07").unwrap());
        assert_eq!(wrong.result, Level::Fail);
        assert!(wrong.message.contains("the clock says 2026-12-06 (UTC) but the date typed is 2026-12-07"), "{}", wrong.message);
        // A clock in another offset is judged in UTC.
        let local = datetime!(2026-12-07 00:30 +01:00);
        assert_eq!(date(local, parse_date("2026-12-06").unwrap()).result, Level::Pass);
        for bad in ["06/12/2026", "2026-13-01", "today", ""] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clock_rules() {
        let now = datetime!(2027-01-01 00:00 UTC);
        let far = exp("root", datetime!(2028-01-01 00:00 UTC));
        assert_eq!(levels(&clock(now, std::slice::from_ref(&far), Some("2026-12-31T00:00:00Z"))), vec![Level::Pass]);
        let soon = exp("targets", datetime!(2027-01-20 00:00 UTC));
        assert_eq!(levels(&clock(now, &[far.clone(), soon], None)), vec![Level::Warn]);
        let past = exp("targets", datetime!(2026-12-01 00:00 UTC));
        assert_eq!(levels(&clock(now, &[far.clone(), past], None)), vec![Level::Fail]);
        // Expiry is "not in the future": at the very second it is already expired.
        assert_eq!(levels(&clock(now, &[exp("root", now)], None)), vec![Level::Fail]);
        let behind = clock(now, std::slice::from_ref(&far), Some("2027-02-01T00:00:00Z"));
        assert_eq!(levels(&behind), vec![Level::Fail]);
        assert!(
            behind[0].message.contains("before the transcript's newest record"),
            "expected {:?} to contain {:?}",
            behind[0].message,
            "before the transcript's newest record"
        );
        assert_eq!(levels(&clock(now, &[], None)), vec![Level::Pass]);
    }

    #[test]
    fn no_workspace_warns() {
        let t = tempfile::tempdir().unwrap();
        let checks = workspace(t.path(), OffsetDateTime::now_utc());
        assert_eq!(levels(&checks), vec![Level::Warn]);
        assert!(checks[0].message.starts_with("no workspace"), "expected {:?} to start with {:?}", checks[0].message, "no workspace");
    }

    #[test]
    fn workspace_integrity_catches_a_broken_file_and_transcript() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("ws");
        Workspace::init(&dir).unwrap();
        let now = OffsetDateTime::now_utc();
        assert!(passed(&workspace(&dir, now)), "{:?}", workspace(&dir, now));
        let state = dir.join("current");
        std::fs::create_dir_all(state.join("staged")).unwrap();
        std::fs::write(state.join("staged/targets.json"), b"{\"signed\": 1}").unwrap();
        let checks = workspace(&dir, now);
        assert!(
            checks.iter().any(|c| c.check == "metadata" && c.result == Level::Fail && c.message.contains("staged/targets.json")),
            "none matches `|c| c.check == \"metadata\" && c.result == Level::Fail && c.message.contains(\"staged/targets.json\")`: {:?}",
            checks
        );
        let transcript = state.join("transcript.jsonl");
        let text = std::fs::read_to_string(&transcript).unwrap().replace("\"init\"", "\"xnit\"");
        std::fs::write(&transcript, text).unwrap();
        let checks = workspace(&dir, now);
        assert!(
            checks.iter().any(|c| c.check == "transcript" && c.result == Level::Fail),
            "none matches `|c| c.check == \"transcript\" && c.result == Level::Fail`: {:?}",
            checks
        );
    }
}
