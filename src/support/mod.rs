//! Plain machinery with no TUF or ceremony rule in it (beside the TUF layer, at the bottom).
//!
//! Files written so a crash leaves them whole or absent ([`fsio`]), work shared out over
//! every core ([`par`]), the process's own hygiene ([`hygiene`]), secrets in memory and from
//! the terminal ([`secret`]), what the running binary is ([`buildinfo`]), and the crash points
//! only test builds have ([`failpoint`]).
//!
//! May use: nothing else in this crate, not even the TUF rules beside it. Everything above
//! may use it.

pub mod buildinfo;
pub mod failpoint;
pub mod fsio;
pub mod hygiene;
pub mod par;
pub mod secret;
