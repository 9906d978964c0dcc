//! The command line (the binary's own modules): its arguments, its commands, and what
//! they print.

pub mod args;
pub mod commands;
pub mod print;
