//! The connection-level commands (PING, ECHO, QUIT, HELLO, AUTH, SELECT,
//! RESET, CLIENT, COMMAND, CONFIG, INFO, TIME, SHUTDOWN, the local part of
//! SCRIPT, and the debug fault hooks), and [`handle`], which decides what a
//! request turns into.
//!
//! These answer from the connection and the server's configuration, never
//! from the keyspace, so they are pure functions here and never reach the
//! node; everything else is parsed by its table row and goes to the node.
//! Replies and error texts follow redis-server 7.0.15 (CLIENT SETINFO, which
//! 7.0 lacks, follows 7.2).
//!
//! - [`connection`]: PING, ECHO, AUTH, SELECT and RESET;
//! - [`hello`]: the HELLO handshake;
//! - [`client`]: CLIENT and its CLIENT LIST lines;
//! - [`command`]: COMMAND, answered from the command table;
//! - [`config`]: CONFIG over the server's configuration, and CONFIG SET of
//!   what may change while the node runs;
//! - [`info`]: INFO's sections and text;
//! - [`multi`]: MULTI, EXEC, DISCARD, WATCH, UNWATCH and MULTI's queue;
//! - [`time`]: TIME, the accepting node's clock;
//! - [`shutdown`]: SHUTDOWN, which stops the server as SIGTERM does;
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
mod multi;
mod reply;
mod script;
mod shutdown;
mod time;

#[cfg(test)]
mod test_support;

use bytes::Bytes;

use crate::cmd::{table, Command, CommandRef, ParseCtx, ParseError};
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
pub use multi::{splice_local, split_queue, LocalQueue};
use script::{function_local, script_local};
use shutdown::shutdown;
use time::time;

/// What a request turns into.
#[derive(Debug)]
pub enum Action {
    /// Answered by the connection.
    Reply(Reply),
    /// A keyspace command for the node.
    Node(Command),
    /// WATCH: a fenced read whose answer the connection keeps.
    Watch(Command),
    /// EXEC of these queued requests, under the connection's watched keys.
    Exec(Vec<Vec<Bytes>>),
    /// INFO: needs the node's counters, then [`render_info`].
    Info(Vec<Section>),
    /// CLIENT UNBLOCK: withdraw that connection's waiting blocking pop.
    Unblock {
        client: u64,
        how: crate::node::Unblock,
    },
    /// `+OK`, then close the connection.
    Quit,
    /// SHUTDOWN: close the connection without a reply and stop the server.
    Shutdown,
}

/// Decide what to do with one request (`args` non-empty): one lookup in the
/// command table routes it.
pub fn handle(conn: &mut ClientConn, cfg: &ServerConfig, args: &[Bytes], now_ms: u64) -> Action {
    let def = table::lookup_with(&args[0], cfg.debug_commands);
    if let Some(reply) = refused_before_auth(conn, cfg, def, args) {
        return Action::Reply(reply);
    }
    if let Some(d) = def {
        if let Some(busy) = cfg.scripts.watchdog.busy_error() {
            if !runs_while_busy(d, args) {
                return Action::Reply(multi::refused_while_busy(conn, d, busy));
            }
        }
    }
    if let Some(action) = multi::transaction(conn, def, args) {
        return action;
    }
    let Some(def) = def else {
        // The transport's fault hooks are debug commands outside the table
        // (COMMAND does not list them).
        if cfg.debug_commands {
            if let Some(reply) = fault_command(cfg, args) {
                return Action::Reply(reply);
            }
        }
        return Action::Reply(ParseError::Unknown.reply(args));
    };
    if def.is_connection() {
        return connection_command(def.name, conn, cfg, args, now_ms)
            .unwrap_or_else(|| Action::Reply(ParseError::Unknown.reply(args)));
    }
    if def.name == "script" {
        if let Some(reply) = script_local(cfg, args) {
            return Action::Reply(reply);
        }
    }
    if def.name == "function" {
        if let Some(reply) = function_local(cfg, args) {
            return Action::Reply(reply);
        }
    }
    let ctx = ParseCtx {
        now_ms,
        debug_commands: cfg.debug_commands,
        seed: request_seed(now_ms),
    };
    match def.parse_args(args, &ctx) {
        Ok(cmd) => Action::Node(cmd),
        Err(e) => Action::Reply(e.reply(args)),
    }
}

/// NOAUTH, as Redis 7.0's `processCommand` answers it: when a password is
/// set and the connection has not authenticated, every command but the
/// `no-auth` ones (AUTH, HELLO, QUIT, RESET) is refused — inside MULTI too,
/// and the debug commands and fault hooks as well. An unknown command or a
/// wrong number of arguments is answered as such first, as in Redis (the
/// fault hooks, which are outside the table, are refused as any command).
fn refused_before_auth(
    conn: &ClientConn,
    cfg: &ServerConfig,
    def: Option<CommandRef>,
    args: &[Bytes],
) -> Option<Reply> {
    if conn.authenticated || !cfg.access.password_required() {
        return None;
    }
    match def {
        Some(d) if d.flags.has(crate::cmd::def::flag::NO_AUTH) || !d.arity_ok(args.len()) => None,
        None if !(cfg.debug_commands && is_fault_hook(&args[0])) => None,
        _ => Some(Reply::err(connection::NOAUTH)),
    }
}

/// Whether `name` is one of the fault hooks' (`FENCEKV.*` outside the table).
fn is_fault_hook(name: &[u8]) -> bool {
    name.len() > 8 && name[..8].eq_ignore_ascii_case(b"fencekv.")
}

/// Whether a command runs while a script is past its time limit: Redis's
/// `allow-busy` commands that the connection answers (MULTI, DISCARD,
/// UNWATCH, HELLO, SHUTDOWN, …), SCRIPT KILL and FUNCTION KILL. The node's
/// thread is running the script, so an `allow-busy` command the node would
/// answer (WATCH, FUNCTION STATS) is refused rather than left waiting.
fn runs_while_busy(def: CommandRef, args: &[Bytes]) -> bool {
    if def.flags.has(crate::cmd::def::flag::ALLOW_BUSY) && def.is_connection() {
        return true;
    }
    let sub = |s: &[u8]| args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(s));
    (def.name == "script" && sub(b"kill"))
        || (def.name == "function" && (sub(b"kill") || sub(b"stats")))
}

/// A fresh random number for a request's [`ParseCtx::seed`]: the clock and
/// a process-wide counter through xorshift64*, so two requests in one
/// millisecond differ.
fn request_seed(now_ms: u64) -> u64 {
    static REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    crate::rng::XorShift::seeded(now_ms ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15)).next_u64()
}

/// The connection-level handler of a table row marked `Exec::Connection`,
/// by its name; `None` for a row without one (a test walks the table).
fn connection_command(
    name: &str,
    conn: &mut ClientConn,
    cfg: &ServerConfig,
    args: &[Bytes],
    now_ms: u64,
) -> Option<Action> {
    let reply = match name {
        "ping" => ping(args),
        "echo" => echo(args),
        "quit" => return Some(Action::Quit),
        "auth" => auth(conn, &cfg.access, args),
        "info" => return Some(Action::Info(info_sections(&args[1..]))),
        "hello" => hello(conn, &cfg.access, args),
        "reset" => reset(conn, &cfg.access, args),
        "select" => select(args),
        "client" => match client::unblock_args(args) {
            Some(Ok((client, how))) => return Some(Action::Unblock { client, how }),
            Some(Err(reply)) => reply,
            None => client(conn, args),
        },
        "config" => config(cfg, args),
        "command" => command(cfg, args),
        "time" => time(args, now_ms),
        "shutdown" => return Some(shutdown(args)),
        // The Raft log on disk is the dataset's persistence: an RDB
        // snapshot would add nothing to recover from.
        "save" => Reply::ok(),
        "multi" | "discard" | "unwatch" => {
            return multi::transaction(conn, table::lookup(name.as_bytes()), args)
        }
        _ => return None,
    };
    Some(Action::Reply(reply))
}

#[cfg(test)]
mod tests {
    use super::test_support::{cfg, conn};
    use super::*;

    #[test]
    fn every_connection_row_has_a_handler() {
        let cfg = cfg();
        for def in table::all(true).filter(|d| d.is_connection()) {
            let args = [Bytes::from_static(def.name.as_bytes())];
            assert!(
                connection_command(def.name, &mut conn(), &cfg, &args, 0).is_some(),
                "{} has no connection handler",
                def.name
            );
        }
    }
}
