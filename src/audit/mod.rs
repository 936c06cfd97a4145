//! What a ceremony leaves on paper and checks before it starts (layer 4, beside
//! [`crate::bundle`]).
//!
//! [`preflight`] checks the machine and the workspace before a ceremony; [`ceremonies`]
//! marks where each ceremony begins and ends in the transcript; [`report`] and
//! [`ceremony_report`] print the record people sign (HTML for A4).
//!
//! May use: everything below ([`crate::workspace`] and what it may use); not
//! [`crate::bundle`], which stands beside it.

pub mod ceremonies;
pub mod ceremony_report;
pub mod preflight;
pub mod report;
