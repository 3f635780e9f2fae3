//! The connection-level commands (PING, ECHO, QUIT, HELLO, AUTH, SELECT,
//! RESET, CLIENT, COMMAND, CONFIG, INFO, the local part of SCRIPT, and the
//! debug fault hooks), and [`handle`], which decides what a request turns
//! into.
//!
//! These answer from the connection and the server's configuration, never
//! from the keyspace, so they are pure functions here and never reach the
//! node; everything else goes through [`crate::cmd::parse`] to the node.
//! Replies and error texts follow redis-server 7.0.15 (CLIENT SETINFO, which
//! 7.0 lacks, follows 7.2).
//!
//! - [`connection`]: PING, ECHO, AUTH, SELECT and RESET;
//! - [`hello`]: the HELLO handshake;
//! - [`client`]: CLIENT and its CLIENT LIST lines;
//! - [`command`]: COMMAND, answered from the command table;
//! - [`config`]: CONFIG over the server's fixed configuration;
//! - [`info`]: INFO's sections and text;
//! - [`script`]: SCRIPT KILL, HELP and LOAD's compile check;
//! - [`faults`]: the transport's fault hooks (debug commands only);
//! - [`reply`]: the error replies they share.

mod client;
mod command;
mod config;
mod connection;
mod faults;
mod hello;
mod info;
mod reply;
mod script;

#[cfg(test)]
mod test_support;

use bytes::Bytes;

use crate::cmd::{self, Command, ParseCtx};
use crate::resp::Reply;

use super::client_conn::ClientConn;
use super::config::ServerConfig;

use client::client;
use command::command;
use config::config;
use connection::{auth, echo, ping, reset, select};
use faults::fault_command;
use hello::hello;
use info::info_sections;
pub use info::{needs_keyspace, render_info, Section};
use script::script_local;

/// What a request turns into.
#[derive(Debug)]
pub enum Action {
    /// Answered by the connection.
    Reply(Reply),
    /// A keyspace command for the node.
    Node(Command),
    /// INFO: needs the node's counters, then [`render_info`].
    Info(Vec<Section>),
    /// `+OK`, then close the connection.
    Quit,
}

/// Decide what to do with one request (`args` non-empty).
pub fn handle(conn: &mut ClientConn, cfg: &ServerConfig, args: &[Bytes], now_ms: u64) -> Action {
    let name = &args[0];
    // The keyspace commands are the hot path: connection commands are few
    // and their names distinct, so test for them by length first.
    let local = match name.len() {
        4 => {
            if name.eq_ignore_ascii_case(b"ping") {
                Some(ping(args))
            } else if name.eq_ignore_ascii_case(b"echo") {
                Some(echo(args))
            } else if name.eq_ignore_ascii_case(b"quit") {
                return Action::Quit;
            } else if name.eq_ignore_ascii_case(b"auth") {
                Some(auth(args))
            } else if name.eq_ignore_ascii_case(b"info") {
                return Action::Info(info_sections(&args[1..]));
            } else {
                None
            }
        }
        5 if name.eq_ignore_ascii_case(b"hello") => Some(hello(conn, args)),
        5 if name.eq_ignore_ascii_case(b"reset") => Some(reset(conn, args)),
        6 if name.eq_ignore_ascii_case(b"select") => Some(select(args)),
        6 if name.eq_ignore_ascii_case(b"client") => Some(client(conn, args)),
        6 if name.eq_ignore_ascii_case(b"config") => Some(config(cfg, args)),
        7 if name.eq_ignore_ascii_case(b"command") => Some(command(cfg, args)),
        6 if name.eq_ignore_ascii_case(b"script") => script_local(cfg, args),
        _ => None,
    };
    if let Some(reply) = local {
        return Action::Reply(reply);
    }
    if cfg.debug_commands {
        if let Some(reply) = fault_command(cfg, args) {
            return Action::Reply(reply);
        }
    }
    let ctx = ParseCtx {
        now_ms,
        debug_commands: cfg.debug_commands,
    };
    match cmd::parse(args, &ctx) {
        Ok(cmd) => Action::Node(cmd),
        Err(reply) => Action::Reply(reply),
    }
}
