//! The role names and target paths PEP 458 and PEP 480 give PyPI's repository: the three
//! roles top-level targets delegates to, and the names no project may take.

pub const CLAIMED: &str = "claimed";
pub const RECENTLY_CLAIMED: &str = "recently-claimed";
pub const UNCLAIMED: &str = "unclaimed";

/// Every Warehouse project target path: `packages/XX/YY/REST/FILENAME`, `simple/NAME/FILE`.
pub const PROJECT_PATHS: [&str; 2] = ["packages/*/*/*/*", "simple/*/*"];

/// Role names no project may take: the top-level roles, PEP 480's three, and the names of
/// hash bins (`bins-HEX`, as PEP 458 and Warehouse name them), whose files share the
/// repository's metadata directory with project roles.
pub fn is_structural_name(name: &str) -> bool {
    const FIXED: [&str; 7] = ["root", "targets", "snapshot", "timestamp", CLAIMED, RECENTLY_CLAIMED, UNCLAIMED];
    let bin = name.strip_prefix("bins-").is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
    FIXED.contains(&name) || bin || name.starts_with("claimed.")
}
