//! The `ceremony` command line: argument parsing, prompts and printing only. Every rule
//! lives in the library modules this calls.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Parser, Subcommand, ValueHint};

mod bundle;
mod closed_pipe;
mod demo;
mod keys;
mod sign;
mod stage;
mod status;
mod tokens;
mod log;
mod pep480;
mod promotion_screen;
pub mod generate;
mod preflight;
mod report;
mod workspace;
pub mod progress;
pub(crate) mod secrets;
use time::OffsetDateTime;

use crate::tuf::chain::{verify_root_chain, ChainReport, Step};
use crate::tuf::key::short_keyid;
use crate::tuf::metadata::Metadata;
use crate::tuf::verify::{KeyState, ThresholdReport};

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
    Workspace(workspace::WorkspaceCommand),
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
    Generate(generate::GenerateCommand),
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
    Init(stage::RootInitArgs),
    /// Adopt an existing root history (1.root.json ... N.root.json, in order) after verifying it.
    Import {
        /// The root files in version order, starting at 1.root.json; the first is trusted as given.
        #[arg(required = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
        files: Vec<PathBuf>,
    },
    /// Stage the next root version from the current trusted root.
    Rotate(stage::RotateArgs),
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
    Verify,
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
        /// The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.
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
    fn or_default_for(choice: Option<TouchPolicyArg>, for_role: Option<ForRole>) -> crate::keys::holder::TouchPolicyName {
        use crate::keys::holder::TouchPolicyName;
        match (choice, for_role) {
            (Some(TouchPolicyArg::Always), _) => TouchPolicyName::Always,
            (Some(TouchPolicyArg::Cached), _) | (None, Some(ForRole::Claimed)) => TouchPolicyName::Cached,
            (None, _) => TouchPolicyName::Always,
        }
    }
}

fn record(holder: &str, for_role: Option<ForRole>) -> String {
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
        /// A root metadata file you trust (any version of the root history).
        #[arg(long, value_name = "ROOT", value_hint = ValueHint::FilePath)]
        trusted_root: PathBuf,
    },
    /// Verify a bundle exactly as `bundle verify` does, then write its files (manifest.json,
    /// metadata/*.json, transcript.jsonl) into DIR; nothing is written unless it verifies.
    /// The online side's way to unpack a bundle: never `tar -x`.
    Extract {
        /// The bundle (tar archive) to verify and extract.
        #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
        file: PathBuf,
        /// A root metadata file you trust (any version of the root history).
        #[arg(long, value_name = "ROOT", value_hint = ValueHint::FilePath)]
        trusted_root: PathBuf,
        /// A new or empty directory for the files.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        out: PathBuf,
    },
}

/// A refusal: the exit status and one plain sentence for stderr (never a secret).
#[derive(Debug)]
pub struct Refusal {
    pub code: u8,
    pub message: String,
}

impl Refusal {
    /// 1: a check found a problem.
    pub fn failed(message: impl Into<String>) -> Refusal {
        Refusal { code: 1, message: message.into() }
    }
    /// 2: bad usage or unreadable input.
    pub fn unusable(message: impl Into<String>) -> Refusal {
        Refusal { code: 2, message: message.into() }
    }
}

/// Parses the command line and runs it.
pub fn run() -> ExitCode {
    closed_pipe::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let json = cli.global.json;
    // Only the closed-pipe panic is caught (see closed_pipe.rs); any other goes on unwinding.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(refusal)) => refuse(&refusal, json),
        Err(panic) if closed_pipe::is_closed_pipe(&*panic) => ExitCode::from(closed_pipe::EXIT),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The sentence on stderr; under `--json` also a document on stdout unless the command
/// already printed its own (a failed `verify root-chain --json` report says `"ok": false`).
fn refuse(refusal: &Refusal, json: bool) -> ExitCode {
    let line = crate::support::hygiene::refusal_line(&refusal.message);
    if json && !JSON_PRINTED.load(Ordering::Relaxed) {
        print_json(&refusal_json(refusal.code, &line));
    }
    eprintln!("ceremony: {line}");
    ExitCode::from(refusal.code)
}

/// `{"ok": false, "exit": N, "error": "…"}`: what a script reading `--json` output gets
/// instead of an empty stdout when the command is refused.
fn refusal_json(code: u8, line: &str) -> serde_json::Value {
    serde_json::json!({"ok": false, "exit": code, "error": line})
}

/// A command line clap could not parse (or `--help`/`--version`, which clap also reports as
/// an "error"): clap's own text and status, plus the refusal document when `--json` is among
/// the arguments (clap never got to set the flag).
fn usage_error(e: &clap::Error) -> ExitCode {
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    let json_asked = std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--json");
    if e.use_stderr() && json_asked {
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or("the command line is not valid");
        let line = crate::support::hygiene::refusal_line(first.trim_start_matches("error: "));
        print_json(&refusal_json(code, &line));
    }
    // Nothing useful is left to do when the terminal itself cannot be written to.
    let _ = e.print();
    ExitCode::from(code)
}

fn dispatch(cli: Cli) -> Result<(), Refusal> {
    let global = cli.global;
    if cli.version {
        return generate::version(cli.verbose, global.json);
    }
    let Some(command) = cli.command else {
        return Err(Refusal::unusable("no command was given; `ceremony --help` lists them"));
    };
    match command {
        Command::Init => keys::init(&global),
        Command::Key(KeyCommand::New(NewKeyCommand::Passphrase { holder, for_role, passphrase_file, kdf_profile })) => {
            let role = for_role.map(ForRole::as_str);
            keys::new_passphrase(&global, &holder, role, passphrase_file.as_deref(), kdf_profile.profile())
        }
        Command::Key(KeyCommand::New(NewKeyCommand::Pkcs11 { holder, for_role, module, token, key_label, pin_file })) => {
            tokens::new_pkcs11(&global, &record(&holder, for_role), &module, &token, &key_label, pin_file.as_deref())
        }
        Command::Key(KeyCommand::New(NewKeyCommand::Yubikey {
            holder,
            for_role,
            slot,
            serial,
            pin_file,
            generate,
            touch_policy,
            mgmt_key_file,
            attestation_root,
        })) => tokens::new_yubikey(
            &global,
            &record(&holder, for_role),
            tokens::YubikeyArgs {
                slot,
                serial,
                pin_file,
                generate,
                touch_policy: TouchPolicyArg::or_default_for(touch_policy, for_role),
                mgmt_key_file,
                attestation_root,
            },
        ),
        Command::Key(KeyCommand::Import { holder, for_role, file }) => keys::import(&global, &record(&holder, for_role), &file),
        Command::Key(KeyCommand::List { names }) => keys::list(&global, names),
        Command::Root(RootCommand::Init(args)) => stage::root_init(&global, args),
        Command::Root(RootCommand::Import { files }) => stage::root_import(&global, &files),
        Command::Root(RootCommand::Rotate(args)) => stage::root_rotate(&global, args),
        Command::Targets(TargetsCommand::Init { claimed, claimed_threshold, online, expires }) => {
            pep480::targets_init(&global, &claimed, claimed_threshold, &online, &expires)
        }
        Command::Claimed(ClaimedCommand::Promote { file, projects, skip_invalid, expires }) => {
            pep480::promote(&global, pep480::PromoteArgs { file, projects, skip_invalid, expires })
        }
        Command::Project(ProjectCommand::Paths { names }) => pep480::project_paths(&names),
        Command::Renew { role, expires } => stage::renew(&global, &role, &expires),
        Command::Discard { role } => stage::discard(&global, &role),
        Command::Status => status::status(&global),
        Command::Review { roles } => sign::review_command(&global, &roles),
        Command::Sign { holder, roles, passphrase_file, pin_file } => {
            sign::sign(&global, sign::SignArgs { holder, roles, passphrase_file, pin_file })
        }
        Command::Signature(SignatureCommand::Export { holder, out }) => sign::export(&global, &holder, &out),
        Command::Signature(SignatureCommand::Import { files }) => sign::import(&global, &files),
        Command::Log(LogCommand::Show) => log::show(&global),
        Command::Log(LogCommand::Verify) => log::verify(&global),
        Command::Verify(VerifyCommand::RootChain { files }) => verify_root_chain_cmd(&files, global.json),
        Command::Workspace(what) => workspace::run(&global, what),
        Command::Bundle(BundleCommand::Export { out }) => bundle::export(&global, &out),
        Command::Bundle(BundleCommand::Verify { file, trusted_root }) => {
            bundle::verify(&file, &trusted_root, global.json)
        }
        Command::Bundle(BundleCommand::Extract { file, trusted_root, out }) => {
            bundle::extract(&file, &trusted_root, &out, global.json)
        }
        Command::Demo { dir } => demo::demo(dir, global.json),
        Command::Begin { purpose, place, attendees } => report::begin(&global, purpose, place, attendees),
        Command::End { bags } => report::end(&global, &bags),
        Command::Report { out, ceremony, all } => report::report(&global, &out, ceremony, all),
        Command::Preflight { date, sys_root } => preflight::preflight(&global, date, &sys_root),
        Command::Version { verbose } => generate::version(verbose, global.json),
        Command::Generate(what) => generate::generate(&global, what),
    }
}

fn read_metadata(files: &[PathBuf]) -> Result<Vec<Metadata>, Refusal> {
    files
        .iter()
        .map(|f| {
            Metadata::from_file(f).map_err(|e| Refusal::unusable(format!("{e}; give TUF root metadata files")))
        })
        .collect()
}

fn verify_root_chain_cmd(files: &[PathBuf], json: bool) -> Result<(), Refusal> {
    let roots = read_metadata(files)?;
    let report = verify_root_chain(&roots, OffsetDateTime::now_utc());
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    if json {
        print_json(&chain_json(&report, &names));
    } else {
        print!("{}", chain_text(&report, &names, &key_labels(&roots)));
    }
    if report.ok {
        return Ok(());
    }
    let failed = report.steps.iter().find(|s| !s.holds());
    let message = match failed {
        Some(step) => format!(
            "the root chain breaks at {} (version {}): {}; do not trust it or any root after it",
            names[step.index],
            step.version,
            step.problems.join("; ")
        ),
        None => "the root chain could not be checked to the end".to_string(),
    };
    Err(Refusal::failed(message))
}

/// Set once a command printed its JSON document, so a refusal after it adds no second one.
static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

pub(crate) fn print_json(value: &serde_json::Value) {
    JSON_PRINTED.store(true, Ordering::Relaxed);
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

fn chain_json(report: &ChainReport, names: &[String]) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = report
        .steps
        .iter()
        .map(|s| {
            let mut thresholds = Vec::new();
            if let Some(p) = &s.previous {
                thresholds.push(threshold_json("previous root", p));
            }
            if let Some(o) = &s.own {
                thresholds.push(threshold_json("this root", o));
            }
            serde_json::json!({
                "file": names[s.index],
                "version": s.version,
                "expires": s.expires,
                "ok": s.holds(),
                "thresholds": thresholds,
                "problems": s.problems,
                "warnings": s.warnings,
            })
        })
        .collect();
    serde_json::json!({
        "ok": report.ok,
        "trusted": names.first(),
        "newest_trusted_version": report.newest_trusted_version,
        "newest_expired": report.newest_expired,
        "steps": steps,
    })
}

fn threshold_json(by: &str, r: &ThresholdReport) -> serde_json::Value {
    serde_json::json!({
        "keys_of": by,
        "role": r.role,
        "have": r.have,
        "need": r.threshold,
        "of": r.keys.len(),
        "met": r.is_met(),
        "signed": r.signed().collect::<Vec<_>>(),
        "missing": r.missing().collect::<Vec<_>>(),
        "keys": r.keys.iter().map(|(id, st)| serde_json::json!({"keyid": id, "result": st})).collect::<Vec<_>>(),
        "duplicate_keyids": r.duplicate_keyids,
    })
}

/// keyid -> "ECDSA P-256" (or the keytype as written, for keys Ceremony cannot use).
type KeyLabels = std::collections::BTreeMap<String, String>;

fn key_labels(roots: &[Metadata]) -> KeyLabels {
    let mut labels = KeyLabels::new();
    for root in roots.iter().filter_map(|md| md.root().ok()) {
        for (keyid, key) in root.keys {
            let label = match key.public_key() {
                Ok(p) => p.algorithm().label().to_string(),
                Err(_) => format!("{} (unusable)", key.keytype()),
            };
            labels.insert(keyid, label);
        }
    }
    labels
}

fn chain_text(report: &ChainReport, names: &[String], labels: &KeyLabels) -> String {
    let mut out = String::new();
    for step in &report.steps {
        out.push_str(&step_text(step, &names[step.index], labels));
    }
    for name in names.iter().skip(report.steps.len()) {
        out.push_str(&format!("{name}: not checked, an earlier step failed\n"));
    }
    match (report.ok, report.newest_trusted_version) {
        (true, Some(v)) => {
            out.push_str(&format!("The chain holds: root version {v} is trusted.\n"));
            if report.newest_expired {
                out.push_str("Note: that root has expired; clients will refuse it until a newer root is published.\n");
            }
        }
        _ => out.push_str("The chain does NOT hold.\n"),
    }
    out
}

fn step_text(step: &Step, name: &str, labels: &KeyLabels) -> String {
    let verdict = match (step.index, step.holds()) {
        (0, true) => "trusted",
        (_, true) => "valid successor",
        (_, false) => "REFUSED",
    };
    let mut out = format!("{name}: root version {}, expires {}: {verdict}\n", step.version, step.expires);
    if let Some(p) = &step.previous {
        out.push_str(&threshold_lines("the previous root's root keys", p, labels));
    }
    if let Some(o) = &step.own {
        out.push_str(&threshold_lines("its own root keys", o, labels));
    }
    for p in &step.problems {
        out.push_str(&format!("    problem: {p}\n"));
    }
    for w in &step.warnings {
        out.push_str(&format!("    warning: {w}\n"));
    }
    out
}

fn threshold_lines(whose: &str, r: &ThresholdReport, labels: &KeyLabels) -> String {
    let mark = if r.is_met() { "met" } else { "NOT MET" };
    let mut out = format!(
        "    {whose}: {} signed, {} needed (of {} keys): {mark}\n",
        r.have,
        r.threshold,
        r.keys.len()
    );
    for (id, state) in &r.keys {
        let text = match state {
            KeyState::Signed => "signed".to_string(),
            KeyState::SameKeyAsOther { keyid } => {
                format!("signed, but it is the same key as {} and counts once", short_keyid(keyid))
            }
            KeyState::Missing { placeholder: true } => "not signed (empty placeholder)".to_string(),
            KeyState::Missing { placeholder: false } => "not signed".to_string(),
            KeyState::Invalid { reason } => format!("INVALID signature: {reason}"),
            KeyState::Unusable { reason } => format!("unusable key: {reason}"),
        };
        let label = labels.get(id).map(String::as_str).unwrap_or("unknown key");
        out.push_str(&format!("      {}  {label:<12} {text}\n", short_keyid(id)));
    }
    out
}
