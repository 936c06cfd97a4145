//! The command line's grammar: every command, flag and help text (clap). The man pages and
//! completions are generated from it (`ceremony generate`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueHint};

/// Offline TUF key ceremonies: stage, review, sign at threshold, export.
#[derive(Parser, Debug)]
#[command(name = "ceremony", version, about, long_about = None, disable_version_flag = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Print the version and exit; with --verbose also the binary's SHA-256, target and profile.
    #[arg(long, short = 'V')]
    pub version: bool,
    /// With --version: also print the running binary's SHA-256, target triple and build profile.
    #[arg(long, requires = "version")]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags accepted before or after the subcommand.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The ceremony workspace directory.
    #[arg(long, global = true, env = "CEREMONY_WORKSPACE", value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Answer every confirmation with yes (for scripts).
    #[arg(long, global = true)]
    pub yes: bool,
    /// Print one JSON document on stdout and nothing else there.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an empty workspace in the selected directory.
    Init,
    /// Register keyholders and list them.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Stage root metadata: version 1, an imported history, or the next version.
    #[command(subcommand)]
    Root(RootCommand),
    /// Stage top-level targets delegating to claimed, recently-claimed and unclaimed (PEP 480).
    #[command(subcommand)]
    Targets(TargetsCommand),
    /// Promote projects from the online recently-claimed role into the offline claimed role.
    #[command(subcommand)]
    Claimed(ClaimedCommand),
    /// The delegation path patterns Ceremony gives PyPI projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Stage the next version of an offline role with a new expiry and no other change.
    Renew {
        /// The offline role to renew: root, targets or claimed.
        #[arg(value_name = "ROLE")]
        role: String,
        /// How long the new version is valid, e.g. 365d.
        #[arg(long, value_name = "D")]
        expires: Option<String>,
    },
    /// Drop a staged role and the signatures collected for it.
    Discard {
        /// The staged role to drop, as `ceremony status` names it.
        #[arg(value_name = "ROLE")]
        role: String,
    },
    /// Each staged role: version, signatures, every threshold that governs it.
    Status,
    /// Show the review `sign` shows, for every staged role (or those named); nothing is signed.
    ///
    /// The change against the trusted version, the keys it signs as, the digest and its
    /// words: what the people in the room check before anyone signs.
    Review {
        /// Review only these staged roles (default: every staged role people sign).
        #[arg(value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// Review and sign every staged role (or those named) that the holder's key is needed for.
    Sign {
        /// The holder; a person H also signs with each record H.ROLE (H.claimed, ...) a staged
        /// role needs, asking a shared passphrase once.
        #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
        holder: String,
        /// Sign only these staged roles (default: every staged role H's key is needed for).
        #[arg(value_name = "ROLE")]
        roles: Vec<String>,
        /// Read the passphrase from the first line of F instead of the terminal.
        #[arg(long, value_name = "F")]
        passphrase_file: Option<PathBuf>,
        /// Read the token PIN from the first line of F instead of the terminal (both flags
        /// when a person's records mix passphrase and token keys).
        #[arg(long, value_name = "F")]
        pin_file: Option<PathBuf>,
    },
    /// Move signatures between machines.
    #[command(subcommand)]
    Signature(SignatureCommand),
    /// The workspace's hash-chained transcript of every action.
    #[command(subcommand)]
    Log(LogCommand),
    /// Verify metadata without a workspace.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Move a workspace between machines as one verified archive.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// The tar archive a ceremony hands to the online repository.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Open a ceremony: record its purpose, place and attendees, and this machine.
    ///
    /// Also records the running binary's SHA-256 and the preflight's results. Records made
    /// since the last ceremony (the workspace's init, holders registered beforehand) belong
    /// to this one. Run again with the same texts, it continues the open ceremony.
    Begin {
        /// What the ceremony is for, in plain words (at most 200 characters).
        #[arg(long, value_name = "TEXT")]
        purpose: String,
        /// Where it takes place (at most 120 characters).
        #[arg(long, value_name = "TEXT")]
        place: String,
        /// A person present (holder or witness); repeat for each. Each gets a signature line.
        #[arg(long = "attendee", value_name = "NAME")]
        attendees: Vec<String>,
        /// The previous ceremony's closing head from its signed paper record: all 64 hex
        /// digits or the six words; `none` for a workspace that never closed a ceremony.
        /// Asked on a terminal when absent; not needed to continue an open ceremony.
        #[arg(long, value_name = "HEX|WORDS|none")]
        previous_head: Option<String>,
    },
    /// Close the open ceremony, recording the tamper-evident bag numbers.
    End {
        /// The number of a tamper-evident bag sealed at the end; repeat for each bag.
        #[arg(long = "bag", value_name = "NUMBER")]
        bags: Vec<String>,
    },
    /// Write the printable record of a ceremony as one self-contained HTML page for A4.
    ///
    /// By default the latest ceremony: purpose, date, place, machine and preflight, who
    /// attended and signed, what was signed with the words read, the bundle's name and
    /// SHA-256, the bag numbers, its transcript, and a signature line per person present.
    /// With --all, the whole history: holders and keys, the delegation tree, every role
    /// version and threshold, every digest signed, the whole transcript.
    Report {
        /// Where to write the HTML page (replaced atomically if it exists).
        #[arg(long, value_name = "FILE.html")]
        out: PathBuf,
        /// The ceremony to record, counted from 1 in the transcript's order (default: the latest).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "all")]
        ceremony: Option<u32>,
        /// Record the workspace's whole history instead of one ceremony.
        #[arg(long)]
        all: bool,
    },
    /// Check the machine and the workspace before a ceremony.
    ///
    /// Network and wireless hardware, the clock against the trusted metadata, the tool's own
    /// SHA-256 and the workspace's integrity, one pass/warn/fail line each; exit 1 on a fail.
    Preflight {
        /// Today's date (UTC, YYYY-MM-DD) from a watch or phone: the clock must say the same
        /// (the only clock check before a workspace exists).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::audit::preflight::parse_date)]
        date: Option<time::Date>,
        /// Where sysfs is mounted (for tests).
        #[arg(long, value_name = "DIR", default_value = "/sys", hide = true)]
        sys_root: PathBuf,
    },
    /// Print the version; with --verbose also the binary's SHA-256, target and profile.
    Version {
        /// Also print the running binary's SHA-256, target triple and build profile.
        #[arg(long)]
        verbose: bool,
    },
    /// Generate man pages or shell completions from the command-line definitions.
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Run a simulated ceremony with throw-away keys and narrate it.
    Demo {
        /// Where to write the demo's files (default: a new directory ./ceremony-demo-TIME).
        #[arg(long, value_name = "D")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Register a holder with a new key.
    #[command(subcommand)]
    New(NewKeyCommand),
    /// Register a holder with a public key only (a TUF key object in FILE), e.g. the online key.
    Import {
        /// The holder's name, as signers and thresholds will refer to it (e.g. alice, online).
        #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
        holder: String,
        /// Register the key as the record H.ROLE: H's own key for ROLE (root, targets or
        /// claimed), which must differ from the keys H holds for other roles.
        #[arg(long = "for", value_name = "ROLE", value_enum)]
        for_role: Option<ForRole>,
        /// The public key as TUF key JSON: {"keytype", "scheme", "keyval": {"public"}}.
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
        file: PathBuf,
    },
    /// List holders, key ids, key types and where each private key lives.
    List {
        /// Only the holder names, one a line (the bash completion of holder flags asks this).
        #[arg(long, hide = true)]
        names: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum RootCommand {
    /// Stage root version 1.
    Init(RootInitArgs),
    /// Adopt an existing root history (1.root.json ... N.root.json, in order) after verifying it.
    Import {
        /// The root files in version order, starting at 1.root.json; the first is trusted as given.
        #[arg(required = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
        files: Vec<PathBuf>,
    },
    /// Stage the next root version from the current trusted root.
    Rotate(RotateArgs),
}

#[derive(Subcommand, Debug)]
pub enum TargetsCommand {
    /// Stage top-level targets that delegates, in this order, to claimed (offline keys),
    /// recently-claimed and unclaimed (the online key).
    Init {
        /// The holders of the offline claimed keys, comma-separated.
        #[arg(long, value_name = "H,..", value_delimiter = ',', required = true, value_hint = ValueHint::Other)]
        claimed: Vec<String>,
        /// How many claimed keys must sign the claimed metadata.
        #[arg(long, value_name = "N")]
        claimed_threshold: u64,
        /// The holder of the online key (recently-claimed and unclaimed).
        #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
        online: String,
        /// How long this targets version is valid (default 365d).
        #[arg(long, value_name = "D")]
        expires: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClaimedCommand {
    /// Stage the next claimed metadata from the online repository's recently-claimed.json:
    /// every project it delegates (or only those named) moves into claimed with the same
    /// developer keys, threshold and paths.
    Promote {
        /// The online repository's recently-claimed.json.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Only these projects, comma-separated.
        #[arg(long, value_name = "NAME,..", value_delimiter = ',')]
        projects: Vec<String>,
        /// Leave out invalid project delegations (listed) instead of refusing the batch.
        #[arg(long)]
        skip_invalid: bool,
        /// How long the new claimed files are valid (default 365d).
        #[arg(long, value_name = "D")]
        expires: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProjectCommand {
    /// The path patterns of each named project, as JSON: {"NAME": [patterns]}.
    Paths {
        /// PyPI project names, as users spell them (normalised per PEP 503).
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SignatureCommand {
    /// Write H's signatures over the staged roles, for a keyholder who signs on another machine.
    Export {
        /// The holder; for a person H, the signatures of H's records H.ROLE too.
        #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
        holder: String,
        /// Where to write the signatures (a JSON file to carry to the ceremony machine).
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        out: PathBuf,
    },
    /// Merge signatures from other machines; each is checked against the staged bytes.
    Import {
        /// Signature files written by `ceremony signature export`.
        #[arg(required = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Print every record.
    Show,
    /// Check that no record was altered, removed or reordered.
    Verify {
        /// Also check that the last closed ceremony closed at this head, as on its signed
        /// paper record (64 hex digits or six words; `none`: no ceremony was closed).
        #[arg(long, value_name = "HEX|WORDS|none")]
        previous_head: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum NewKeyCommand {
    /// An Ed25519 key derived from a passphrase (Argon2id); nothing secret is stored.
    Passphrase {
        /// The holder's name, as signers and thresholds will refer to it (e.g. alice).
        #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
        holder: String,
        /// Register the key as the record H.ROLE: H's own key for ROLE (root, targets or
        /// claimed), which must differ from the keys H holds for other roles.
        #[arg(long = "for", value_name = "ROLE", value_enum)]
        for_role: Option<ForRole>,
        /// Read the passphrase from the first line of F instead of the terminal.
        #[arg(long, value_name = "F")]
        passphrase_file: Option<PathBuf>,
        /// `ceremony`: strong (2 GiB, seconds); `test`: fast and UNSAFE, for tests only.
        #[arg(long, value_enum, default_value_t = KdfProfile::Ceremony)]
        kdf_profile: KdfProfile,
    },
    /// The ECDSA P-256 key in a YubiKey PIV slot: read the existing key (from the slot's
    /// certificate where the device has no GET METADATA), or generate one on the device.
    Yubikey {
        /// The holder's name, as signers and thresholds will refer to it (e.g. alice).
        #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
        holder: String,
        /// Register the key as the record H.ROLE: H's own key for ROLE (root, targets or
        /// claimed), which must differ from the keys H holds for other roles.
        #[arg(long = "for", value_name = "ROLE", value_enum)]
        for_role: Option<ForRole>,
        /// The PIV slot: 9a, 9c (digital signature), 9d or 9e.
        #[arg(long, value_name = "SLOT", default_value = "9c")]
        slot: String,
        /// The YubiKey's serial number (`ykman list --serials`); required when several are connected.
        #[arg(long, value_name = "N")]
        serial: Option<u32>,
        /// Read the PIV PIN from the first line of F instead of the terminal.
        #[arg(long, value_name = "F")]
        pin_file: Option<PathBuf>,
        /// Generate a new key in the slot (replacing any key there), PIN policy once, and store
        /// a self-signed certificate for it in the slot.
        #[arg(long)]
        generate: bool,
        /// With --generate: `always` asks a touch for every signature; `cached` lets one touch
        /// cover the next 15 seconds (for holders who sign many roles in a row). Default:
        /// cached for `--for claimed`, always otherwise (root and targets keys).
        #[arg(long, value_name = "POLICY", value_enum, requires = "generate")]
        touch_policy: Option<TouchPolicyArg>,
        /// With --generate: the PIV management key, hex, on the first line of F. Without it the
        /// key the device keeps PIN-protected (ykman's `--protect`) is used, else the PIV default
        /// (010203…08 ×3), which a YubiKey prepared for ceremonies should no longer have.
        #[arg(long, value_name = "F", requires = "generate")]
        mgmt_key_file: Option<PathBuf>,
        /// The vendor's attestation CA certificate(s), PEM (Yubico's PIV root, and the
        /// intermediate for firmware 5.7.4+): the slot's attestation must chain to one of them,
        /// or nothing is registered.
        #[arg(long, value_name = "PEM")]
        attestation_root: Option<PathBuf>,
    },
    /// A key held in a PKCS#11 token (SoftHSM2, OpenSC for PIV cards and Nitrokey HSMs, YubiHSM 2).
    Pkcs11 {
        /// The holder's name, as signers and thresholds will refer to it (e.g. alice).
        #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
        holder: String,
        /// Register the key as the record H.ROLE: H's own key for ROLE (root, targets or
        /// claimed), which must differ from the keys H holds for other roles.
        #[arg(long = "for", value_name = "ROLE", value_enum)]
        for_role: Option<ForRole>,
        /// The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so: an absolute path or a plain
        /// file name that resolves below a root-owned system library directory (/usr/lib,
        /// /usr/local/lib, ...) or is listed in /etc/ceremony/pkcs11-modules; any other is refused
        /// before it is loaded.
        #[arg(long, value_name = "LIB")]
        module: String,
        /// The token's label.
        #[arg(long, value_name = "LABEL")]
        token: String,
        /// The key pair's label (CKA_LABEL).
        #[arg(long, value_name = "L")]
        key_label: String,
        /// Read the token's user PIN from the first line of F instead of the terminal.
        #[arg(long, value_name = "F")]
        pin_file: Option<PathBuf>,
    },
}

/// The roles a person may hold a separate key for (`--for ROLE`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForRole {
    Root,
    Targets,
    Claimed,
}

impl ForRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ForRole::Root => "root",
            ForRole::Targets => "targets",
            ForRole::Claimed => "claimed",
        }
    }
}

/// The holder record `--holder H [--for ROLE]` names.
/// The touch policies `key new yubikey --generate` can set.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TouchPolicyArg {
    /// A touch before every signature.
    Always,
    /// One touch covers the signatures of the next 15 seconds.
    Cached,
}

impl TouchPolicyArg {
    /// The policy asked for, else the default for the role: a claimed holder signs the index
    /// of every promotion batch, a root or targets holder signs rarely and each time deliberately.
    pub(super) fn or_default_for(choice: Option<TouchPolicyArg>, for_role: Option<ForRole>) -> crate::keys::holder::TouchPolicyName {
        use crate::keys::holder::TouchPolicyName;
        match (choice, for_role) {
            (Some(TouchPolicyArg::Always), _) => TouchPolicyName::Always,
            (Some(TouchPolicyArg::Cached), _) | (None, Some(ForRole::Claimed)) => TouchPolicyName::Cached,
            (None, _) => TouchPolicyName::Always,
        }
    }
}

pub(super) fn record(holder: &str, for_role: Option<ForRole>) -> String {
    crate::keys::holder::record_name(holder, for_role.map(ForRole::as_str))
}

/// Argon2id parameter sets for passphrase keys.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfProfile {
    Ceremony,
    Test,
}

impl KdfProfile {
    pub fn profile(self) -> crate::keys::signer::passphrase::Profile {
        match self {
            KdfProfile::Ceremony => crate::keys::signer::passphrase::Profile::Ceremony,
            KdfProfile::Test => crate::keys::signer::passphrase::Profile::Test,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum VerifyCommand {
    /// Check a root history: the first file is trusted, each next must be its successor.
    RootChain {
        /// Root files in order, e.g. 1.root.json 2.root.json 3.root.json.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum BundleCommand {
    /// Refuse unless every staged role meets every threshold; write the bundle; trust the staged versions.
    /// For each new root, print the SHA-256 of the file N.root.json and its six words: the
    /// trust anchor, read aloud and written on the paper record (the report holds it too).
    Export {
        /// Where to write the bundle (a tar archive), e.g. ceremony-2026-12.tar.
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        out: PathBuf,
    },
    /// Verify a bundle trusting only ROOT: the root chain from ROOT, then every other role
    /// under its delegator, the manifest and the transcript.
    Verify {
        /// The bundle (tar archive) to verify.
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
        file: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Verify a bundle exactly as `bundle verify` does, then write its files (manifest.json,
    /// metadata/*.json, transcript.jsonl) into DIR; nothing is written unless it verifies.
    /// The online side's way to unpack a bundle: never `tar -x`.
    Extract {
        /// The bundle (tar archive) to verify and extract.
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
        file: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// A new or empty directory for the files.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        out: PathBuf,
    },
}

/// What `bundle verify` and `bundle extract` trust, and what they check the bundle against.
#[derive(Args, Debug)]
pub struct TrustArgs {
    /// A root metadata file you trust (any version of the root history).
    #[arg(long, value_name = "ROOT", value_hint = ValueHint::FilePath)]
    pub trusted_root: PathBuf,
    /// The SHA-256 of the ROOT file as read out at the ceremony that exported it (on its paper
    /// record): refused unless ROOT has it.
    #[arg(long, value_name = "HEX", value_hint = ValueHint::Other, conflicts_with = "trusted_root_words")]
    pub trusted_root_sha256: Option<String>,
    /// The same digest as its six words, in one argument: "w1 w2 w3 w4 w5 w6".
    #[arg(long, value_name = "WORDS", value_hint = ValueHint::Other)]
    pub trusted_root_words: Option<String>,
    /// The repository's published metadata directory (N.root.json, VERSION.ROLE.json,
    /// ROLE.json): refused when the bundle would publish a role older than, or different
    /// from, what is published, or a root history that does not extend the published one.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub published: Option<PathBuf>,
}

// clap parses these flags straight into the struct stage reads, so the flags and what
// staging receives cannot drift apart.
#[derive(Args, Debug)]
pub struct RootInitArgs {
    /// The root keyholders, comma-separated.
    #[arg(long, value_name = "H,H,H", value_delimiter = ',', required = true, value_hint = ValueHint::Other)]
    pub root: Vec<String>,
    /// How many root keys must sign each root version (at least 1, at most the number of --root).
    #[arg(long, value_name = "N")]
    pub root_threshold: u64,
    /// The top-level targets keyholders, comma-separated.
    #[arg(long, value_name = "H,..", value_delimiter = ',', required = true, value_hint = ValueHint::Other)]
    pub targets: Vec<String>,
    /// How many targets keys must sign each targets version.
    #[arg(long, value_name = "N")]
    pub targets_threshold: u64,
    /// The holder of the online snapshot key.
    #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
    pub snapshot: String,
    /// The holder of the online timestamp key.
    #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
    pub timestamp: String,
    /// How long root version 1 is valid (default 365d).
    #[arg(long, value_name = "D")]
    pub expires: Option<String>,
}

#[derive(Args, Debug)]
pub struct RotateArgs {
    /// Add holder H's key to the root keys (repeat for several).
    #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
    pub add_root: Vec<String>,
    /// Remove holder H's key from the root keys (repeat for several).
    #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
    pub remove_root: Vec<String>,
    /// The new root threshold (default: unchanged).
    #[arg(long, value_name = "N")]
    pub root_threshold: Option<u64>,
    /// Replace the top-level targets keyholders, comma-separated (default: unchanged).
    #[arg(long, value_name = "H,..", value_delimiter = ',', value_hint = ValueHint::Other)]
    pub targets: Option<Vec<String>>,
    /// The new targets threshold (default: unchanged).
    #[arg(long, value_name = "N")]
    pub targets_threshold: Option<u64>,
    /// The holder of the new online snapshot key (default: unchanged).
    #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
    pub snapshot: Option<String>,
    /// The holder of the new online timestamp key (default: unchanged).
    #[arg(long, value_name = "H", value_hint = ValueHint::Other)]
    pub timestamp: Option<String>,
    /// How long the new root version is valid, e.g. 365d (default 365d).
    #[arg(long, value_name = "D")]
    pub expires: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Write the workspace's current state as one archive with a SHA-256 manifest, to carry
    /// it on a FAT or exFAT USB stick, by mail or in a zip. Also works on a workspace
    /// already copied without its links.
    Pack {
        /// Where to write the pack (replaced atomically if it exists).
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        out: PathBuf,
    },
    /// Verify a pack and make it a new workspace at --workspace DIR (absent or empty).
    Unpack {
        /// The pack `ceremony workspace pack` wrote.
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum GenerateCommand {
    /// Write one man page per command and subcommand (ceremony.1, ceremony-key-new.1, ...) to DIR.
    Man {
        /// The directory to write the pages to (created if missing), e.g. docs/man.
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
    },
    /// Print a completion script for SHELL on stdout.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}
