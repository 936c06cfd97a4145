//! A software PIV card for tests: Nitrokey's `piv-authenticator` applet running on trussed's
//! `virt` platform (persistent file-backed storage), attached to `vsmartcard-vpcd` so that PC/SC
//! clients (the `yubikey` crate, OpenSC, yubico-piv-tool) see it as a card in a reader.
//!
//! Between vpcd and the applet sits a small glue layer that makes the applet look enough like a
//! YubiKey 5 for the `yubikey` crate; see `tests/tokens/README.md` for every rewrite and why.
//!
//! Usage: `piv-card --state-dir DIR [--serial N] [--vpcd HOST:PORT]`
//!
//! TEST TOOL ONLY: nothing here protects keys.

#![forbid(unsafe_code)]

mod dispatch;
mod glue;
mod vpcd;

use std::{
    fs,
    path::PathBuf,
    process::ExitCode,
    time::{Duration, Instant},
};

use piv_authenticator::{Authenticator, Options};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng as _;
use trussed::{
    backend::BackendId,
    pipe::TrussedChannel,
    virt::{Runner, StorageConfig, Store, StoreConfig, UserInterface},
    ClientImplementation,
};

use crate::dispatch::{BackendIds, Dispatcher};

/// Backends every request from the PIV client is offered to, in order.
const BACKENDS: &[BackendId<BackendIds>] = &[
    BackendId::Custom(BackendIds::Auth),
    BackendId::Custom(BackendIds::Staging),
    BackendId::Core,
];

struct Args {
    state_dir: PathBuf,
    serial: u32,
    vpcd: String,
}

fn usage() -> &'static str {
    "usage: piv-card --state-dir DIR [--serial N] [--vpcd HOST:PORT]\n\
     \n  --state-dir DIR   directory holding the card's flash images (created if missing)\
     \n  --serial N        serial number reported to YubiKey GET SERIAL (default 12345678)\
     \n  --vpcd HOST:PORT  where vsmartcard-vpcd listens (default 127.0.0.1:35963)\n"
}

fn parse_args() -> Result<Args, String> {
    let mut state_dir = None;
    let mut serial = 12_345_678u32;
    let mut vpcd = String::from("127.0.0.1:35963");
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--state-dir" => state_dir = Some(PathBuf::from(value("--state-dir")?)),
            "--serial" => {
                let v = value("--serial")?;
                serial = v.parse().map_err(|e| format!("bad --serial {v:?}: {e}"))?;
            }
            "--vpcd" => vpcd = value("--vpcd")?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let state_dir = state_dir.ok_or("--state-dir is required")?;
    Ok(Args {
        state_dir,
        serial,
        vpcd,
    })
}

/// trussed platform: the virt store and UI, but an RNG seeded from the OS. (trussed's own
/// `virt::Platform` seeds with a constant, which would make two fresh cards generate the same
/// keys.)
struct CardPlatform<'a> {
    rng: ChaCha8Rng,
    store: Store<'a>,
    ui: UserInterface,
}

impl<'a> trussed::Platform for CardPlatform<'a> {
    type R = ChaCha8Rng;
    type S = Store<'a>;
    type UI = UserInterface;

    fn rng(&mut self) -> &mut Self::R {
        &mut self.rng
    }
    fn store(&self) -> Self::S {
        self.store
    }
    fn user_interface(&mut self) -> &mut Self::UI {
        &mut self.ui
    }
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,piv_card=info"),
    )
    .init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("piv-card: {e}");
            }
            eprint!("{}", usage());
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    if let Err(e) = fs::create_dir_all(&args.state_dir) {
        eprintln!("piv-card: cannot create {}: {e}", args.state_dir.display());
        return ExitCode::FAILURE;
    }
    log::info!(
        "state in {}, serial {}, vpcd at {}",
        args.state_dir.display(),
        args.serial,
        args.vpcd
    );

    // Internal and external flash persist as files in the state directory; volatile is RAM, as
    // on a real device.
    let mut store = StoreConfig {
        internal: StorageConfig::filesystem(args.state_dir.join("internal.bin")),
        external: StorageConfig::filesystem(args.state_dir.join("external.bin")),
        volatile: StorageConfig::ram(),
    };
    let result = store.with_store(|store| {
        let platform = CardPlatform {
            rng: ChaCha8Rng::from_entropy(),
            store,
            ui: UserInterface::new(),
        };
        let channel = TrussedChannel::new();
        let (requester, responder) = channel.split().expect("fresh channel splits");
        let mut runner = Runner::new();
        runner.add_endpoint(responder, "piv", BACKENDS);
        let client: ClientImplementation<'_, _, Dispatcher> =
            ClientImplementation::new(requester, runner.syscall(), None);
        runner.run(platform, Dispatcher::default(), || {
            let app = Authenticator::new(client, Options::default());
            let mut card = glue::Card::new(app, args.serial);
            serve(&mut card, &args.vpcd)
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("piv-card: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Connects to vpcd and serves APDUs forever, reconnecting when vpcd goes away (pcscd restart).
fn serve<C: piv_authenticator::Client>(card: &mut glue::Card<C>, addr: &str) -> Result<(), String> {
    let mut last_log = Instant::now() - Duration::from_secs(60);
    loop {
        match vpcd::Connection::connect(addr) {
            Ok(mut conn) => {
                log::info!("connected to vpcd at {addr}");
                match conn.serve(card) {
                    Ok(()) => log::info!("vpcd closed the connection; reconnecting"),
                    Err(e) => log::warn!("vpcd connection error: {e}; reconnecting"),
                }
                card.power_off();
            }
            Err(e) => {
                if last_log.elapsed() > Duration::from_secs(10) {
                    log::info!("waiting for vpcd at {addr}: {e}");
                    last_log = Instant::now();
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
