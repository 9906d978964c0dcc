//! Integration tests: the `notes2anki` binary as a user runs it, and its packages
//! imported by the real Anki library.

mod anki;
mod cli;
mod fixtures;
mod seed;
mod support;
