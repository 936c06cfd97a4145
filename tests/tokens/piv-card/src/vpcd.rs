//! Minimal client for the vsmartcard `vpcd` protocol.
//!
//! The virtual card connects to vpcd (a pcscd reader driver listening on TCP). Each message, in
//! both directions, is a 2-byte big-endian length followed by that many bytes. From vpcd, a
//! 1-byte message is a control command (0x00 power off, 0x01 power on, 0x02 reset, 0x04 get
//! ATR); anything longer is a command APDU to be answered with a response APDU.
//!
//! Written here instead of using the `vpicc` crate because vpicc does not expose its socket and
//! we need TCP_QUICKACK on it: vpcd writes the length and the payload with two `send`s, so with
//! delayed ACKs (Nagle on vpcd's side waiting for our ACK) every APDU costs ~40 ms. Quick-ACK
//! mode is not sticky on Linux, hence it is re-armed before every read.

use std::{
    io::{self, Read, Write},
    net::TcpStream,
};

use socket2::SockRef;

/// A card as vpcd sees it.
pub trait VirtualCard {
    fn atr(&self) -> Vec<u8>;
    fn power_on(&mut self);
    fn power_off(&mut self);
    fn reset(&mut self);
    fn execute(&mut self, apdu: &[u8]) -> Vec<u8>;
}

pub struct Connection {
    stream: TcpStream,
}

impl Connection {
    pub fn connect(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Self { stream })
    }

    /// Serves until vpcd closes the connection (`Ok`) or an I/O error occurs.
    pub fn serve<C: VirtualCard>(&mut self, card: &mut C) -> io::Result<()> {
        loop {
            let Some(msg) = self.read()? else {
                return Ok(());
            };
            match msg.as_slice() {
                [] => return Err(io::Error::new(io::ErrorKind::InvalidData, "empty message")),
                [0x00] => card.power_off(),
                [0x01] => card.power_on(),
                [0x02] => card.reset(),
                [0x04] => {
                    let atr = card.atr();
                    self.send(&atr)?;
                }
                [other] => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unknown vpcd control byte {other:#04x}"),
                    ))
                }
                apdu => {
                    let response = card.execute(apdu);
                    self.send(&response)?;
                }
            }
        }
    }

    fn quickack(&self) {
        // Best effort: a failure only costs latency.
        let _ = SockRef::from(&self.stream).set_quickack(true);
    }

    /// Reads one message; `None` on a clean EOF before a message starts.
    fn read(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut len = [0u8; 2];
        self.quickack();
        match self.stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.quickack();
        self.stream.read_exact(&mut msg)?;
        log::trace!("vpcd -> card: {}", hex(&msg));
        Ok(Some(msg))
    }

    fn send(&mut self, data: &[u8]) -> io::Result<()> {
        log::trace!("card -> vpcd: {}", hex(data));
        let len = u16::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "response too long"))?;
        let mut buf = Vec::with_capacity(2 + data.len());
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(data);
        self.stream.write_all(&buf)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
