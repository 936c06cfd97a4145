//! APDU glue between vpcd and the piv-authenticator applet.
//!
//! The applet is an `iso7816` app that expects whole, already de-chained commands (on a Nitrokey
//! that is apdu-dispatch's job). This layer does that job and bridges the differences between the
//! applet and a YubiKey 5 that the `yubikey` crate (and yubico-piv-tool) rely on:
//!
//! 1. SELECT by the 5-byte PIV RID `A0 00 00 03 08` (what the yubikey crate sends) is rewritten to
//!    the full PIV AID `A0 00 00 03 08 00 00 10 00 01 00`; the applet only accepts AIDs of at
//!    least 9 bytes.
//! 2. A command without Le (ISO case 1/3, which is what the yubikey crate sends: it always writes
//!    an Lc byte and never an Le) is treated as Le = 256: the response is returned in full, with
//!    `61xx` + GET RESPONSE chaining past 256 bytes, like a YubiKey does.
//! 3. YubiKey GET VERSION (INS 0xFD) answers 5.4.3 (the applet says 6.6.6, which the yubikey crate
//!    rejects: it only knows majors 4 and 5; and 5.7+ would make yubikey 0.9 assume an AES-192
//!    management key, which the applet lacks).
//! 4. YubiKey GET SERIAL (INS 0xF8) answers the serial given on the command line (the applet has
//!    a fixed made-up one).
//! 5. Command chaining (CLA bit 0x10) is reassembled here; GET RESPONSE (INS 0xC0) is served here.
//! 6. A card reset / power cycle logs the PIN out (VERIFY P1=FF), as a real card's reset would.
//! 7. So does a SELECT of the PIV application, as on a YubiKey.
//! 8. YubiKey GET METADATA (INS 0xF7) for a key slot answers the algorithm, the PIN and touch
//!    policies given to GENERATE ASYMMETRIC KEY PAIR for that slot since the card started, and
//!    origin "generated" (no public key: readers fall back to the slot's certificate). Slots
//!    not generated since then answer "instruction not supported", as an older YubiKey does.
//!    The applet itself ignores the policies; this lets tests check which ones were asked for.

use heapless::Vec as HVec;
use iso7816::{command::CommandView, Status};
use piv_authenticator::Authenticator;

use crate::vpcd::{hex, VirtualCard};

/// Full PIV AID (NIST SP 800-73-4).
const PIV_AID: [u8; 11] = [
    0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
];
/// The RID alone, as selected by the `yubikey` crate.
const PIV_RID: [u8; 5] = [0xA0, 0x00, 0x00, 0x03, 0x08];
/// Firmware version reported to YubiKey GET VERSION.
const YK_VERSION: [u8; 3] = [5, 4, 3];
/// A neutral ATR (T=1); nothing we target looks at it.
const ATR: [u8; 11] = [
    0x3b, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xff, 0x01, 0x00, 0x0b,
];

/// VERIFY with P1=FF, P2=80: reset the security status of the PIV application PIN.
const LOGOUT_PIN: [u8; 4] = [0x00, 0x20, 0xFF, 0x80];

const INS_SELECT: u8 = 0xA4;
const INS_GET_RESPONSE: u8 = 0xC0;
const INS_YK_GET_SERIAL: u8 = 0xF8;
const INS_YK_GET_VERSION: u8 = 0xFD;
const INS_GENERATE: u8 = 0x47;
const INS_YK_GET_METADATA: u8 = 0xF7;

/// Largest reply the applet may produce (certificates up to a few KiB, RSA-4096 keys).
const REPLY_CAPACITY: usize = 8192;

pub struct Card<C: piv_authenticator::Client> {
    app: Authenticator<C>,
    serial: u32,
    /// Data of a command chain in progress, with the header (INS, P1, P2) it was started with.
    chain: Option<([u8; 3], Vec<u8>)>,
    /// Response bytes not yet fetched with GET RESPONSE.
    pending: Vec<u8>,
    /// Per key slot: (algorithm, PIN policy, touch policy) of its last GENERATE (quirk 8).
    generated: Vec<(u8, [u8; 3])>,
}

/// The (algorithm, PIN policy, touch policy) of a GENERATE command's control template
/// `AC len { 80 01 alg, [AA 01 pin], [AB 01 touch] }`; absent policies are 0 (default).
fn generate_template(data: &[u8]) -> Option<[u8; 3]> {
    let (&tag, rest) = data.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if tag != 0xAC || rest.len() < len as usize {
        return None;
    }
    let mut out = [0u8; 3];
    let mut items = &rest[..len as usize];
    while let [t, 1, v, tail @ ..] = items {
        match t {
            0x80 => out[0] = *v,
            0xAA => out[1] = *v,
            0xAB => out[2] = *v,
            _ => {}
        }
        items = tail;
    }
    Some(out)
}

fn sw(status: Status) -> Vec<u8> {
    <[u8; 2]>::from(status).to_vec()
}

impl<C: piv_authenticator::Client> Card<C> {
    pub fn new(app: Authenticator<C>, serial: u32) -> Self {
        Self {
            app,
            serial,
            chain: None,
            pending: Vec::new(),
            generated: Vec::new(),
        }
    }

    /// Forget transient state and log the PIN out, as a real card does on reset.
    fn reset_session(&mut self) {
        self.chain = None;
        self.pending.clear();
        let _ = self.call_applet(&LOGOUT_PIN);
    }

    /// Runs one complete (de-chained) command through the applet.
    fn call_applet(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Status> {
        let view = CommandView::try_from(apdu).map_err(|e| {
            log::warn!("unparsable command {}: {e:?}", hex(apdu));
            Status::WrongLength
        })?;
        let mut reply: HVec<u8, REPLY_CAPACITY> = HVec::new();
        self.app.respond(view, reply.as_mut_view())?;
        Ok(reply.to_vec())
    }

    /// Returns up to `le` bytes of `data` and keeps the rest for GET RESPONSE.
    fn chunk_response(&mut self, mut data: Vec<u8>, le: usize) -> Vec<u8> {
        if data.len() <= le {
            self.pending.clear();
            data.extend_from_slice(&[0x90, 0x00]);
            return data;
        }
        self.pending = data.split_off(le);
        let remaining = self.pending.len();
        data.extend_from_slice(&[0x61, if remaining >= 256 { 0 } else { remaining as u8 }]);
        data
    }

    fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        let view = match CommandView::try_from(apdu) {
            Ok(v) => v,
            Err(e) => {
                log::warn!("malformed APDU {}: {e:?}", hex(apdu));
                return sw(Status::WrongLength);
            }
        };
        let cla = apdu[0];
        let (ins, p1, p2) = (apdu[1], apdu[2], apdu[3]);
        let data = view.data();
        // Quirk 2: no Le means "up to 256" (short) rather than "nothing".
        let le = match (view.expected(), view.extended) {
            (0, false) => 256,
            (0, true) => 65536,
            (n, _) => n,
        };

        if ins == INS_GET_RESPONSE && cla & 0x10 == 0 {
            let rest = std::mem::take(&mut self.pending);
            if rest.is_empty() {
                return sw(Status::ConditionsOfUseNotSatisfied);
            }
            return self.chunk_response(rest, le);
        }
        self.pending.clear();

        // Quirk 5: command chaining.
        if cla & 0x10 != 0 {
            match &mut self.chain {
                Some((header, buf)) if *header == [ins, p1, p2] => buf.extend_from_slice(data),
                _ => self.chain = Some(([ins, p1, p2], data.to_vec())),
            }
            return sw(Status::Success);
        }
        let full_data: Vec<u8> = match self.chain.take() {
            Some((header, mut buf)) if header == [ins, p1, p2] => {
                buf.extend_from_slice(data);
                buf
            }
            Some(_) => {
                log::warn!("command chain broken by {}", hex(&apdu[..4]));
                return sw(Status::ConditionsOfUseNotSatisfied);
            }
            None => data.to_vec(),
        };

        // Quirks 3 and 4: YubiKey vendor instructions the applet answers differently.
        if ins == INS_YK_GET_VERSION {
            return self.chunk_response(YK_VERSION.to_vec(), le);
        }
        if ins == INS_YK_GET_SERIAL {
            return self.chunk_response(self.serial.to_be_bytes().to_vec(), le);
        }

        // Quirk 8: GET METADATA from what GENERATE asked for.
        if ins == INS_YK_GET_METADATA {
            return match self.generated.iter().find(|(slot, _)| *slot == p2) {
                Some((_, [alg, pin, touch])) => {
                    let reply = vec![0x01, 0x01, *alg, 0x02, 0x02, *pin, *touch, 0x03, 0x01, 0x01];
                    self.chunk_response(reply, le)
                }
                None => sw(Status::InstructionNotSupportedOrInvalid),
            };
        }
        let generate = (ins == INS_GENERATE).then(|| generate_template(&full_data)).flatten();

        // Quirk 1: SELECT by the bare RID.
        let full_data = if ins == INS_SELECT && p1 == 0x04 && full_data == PIV_RID {
            PIV_AID.to_vec()
        } else {
            full_data
        };
        // Quirk 7: selecting PIV (again) drops the PIN verification, as on a YubiKey (the
        // yubikey crate's get_pin_retries relies on it).
        if ins == INS_SELECT
            && p1 == 0x04
            && full_data.len() >= 9
            && PIV_AID.starts_with(&full_data)
        {
            let _ = self.call_applet(&LOGOUT_PIN);
        }

        // Re-encode as one command the applet can parse: short if it fits, else extended; Le is
        // always "maximum" (the applet does not look at it; we chunk the reply ourselves).
        let mut cmd = vec![cla & !0x10, ins, p1, p2];
        if full_data.is_empty() {
            cmd.push(0x00);
        } else if full_data.len() <= 255 {
            cmd.push(full_data.len() as u8);
            cmd.extend_from_slice(&full_data);
            cmd.push(0x00);
        } else {
            let lc = full_data.len() as u16;
            cmd.push(0x00);
            cmd.extend_from_slice(&lc.to_be_bytes());
            cmd.extend_from_slice(&full_data);
            cmd.extend_from_slice(&[0x00, 0x00]);
        }
        match self.call_applet(&cmd) {
            Ok(reply) => {
                if let Some(policies) = generate {
                    self.generated.retain(|(slot, _)| *slot != p2);
                    self.generated.push((p2, policies));
                }
                self.chunk_response(reply, le)
            }
            Err(status) => sw(status),
        }
    }
}

impl<C: piv_authenticator::Client> VirtualCard for Card<C> {
    fn atr(&self) -> Vec<u8> {
        ATR.to_vec()
    }

    fn power_on(&mut self) {
        log::debug!("power on");
        self.reset_session();
    }

    fn power_off(&mut self) {
        log::debug!("power off");
        self.reset_session();
    }

    fn reset(&mut self) {
        log::debug!("reset");
        self.reset_session();
    }

    fn execute(&mut self, apdu: &[u8]) -> Vec<u8> {
        let response = self.handle(apdu);
        log::debug!("{} -> {}", hex(apdu), hex(&response));
        response
    }
}

impl<C: piv_authenticator::Client> Card<C> {
    /// Called when vpcd goes away: treat as power loss.
    pub fn power_off(&mut self) {
        VirtualCard::power_off(self);
    }
}
