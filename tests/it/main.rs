//! Integration tests: the `notes2anki` binary as a user runs it, and its packages
//! imported by the real Anki library.

// Panicking on a broken expectation is what a test is for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod anki;
mod browser;
mod cli;
mod fixtures;
mod http;
mod images;
mod obsidian;
mod props;
mod realworld;
mod seed;
mod settings;
mod support;
mod upgrade;
mod watching;
