//! COMMAND: COUNT, INFO and DOCS, answered from the command table.

use bytes::Bytes;

use crate::cmd::table;
use crate::resp::Reply;

use super::super::config::ServerConfig;
use super::reply::{arity, unknown_subcommand};

/// `COMMAND [COUNT | INFO name… | DOCS name… ]`
pub(super) fn command(cfg: &ServerConfig, args: &[Bytes]) -> Reply {
    let debug = cfg.debug_commands;
    if args.len() == 1 {
        return table::command_all(debug);
    }
    let sub = args[1].to_ascii_lowercase();
    match &sub[..] {
        b"count" if args.len() == 2 => table::command_count(debug),
        b"count" => arity("command|count"),
        b"info" => table::command_info(&args[2..], debug),
        b"docs" => table::command_docs(&args[2..], debug),
        _ => unknown_subcommand(&args[1], "COMMAND"),
    }
}
