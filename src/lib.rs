//! Ceremony: offline TUF key ceremonies.
#![forbid(unsafe_code)]

pub mod canonical;
