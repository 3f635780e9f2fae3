//! COMMAND: COUNT, INFO, DOCS and GETKEYS, answered from the command table.

use bytes::Bytes;

use crate::cmd::table;
use crate::resp::Reply;

use super::super::config::ServerConfig;
use super::reply::{arity, unknown_subcommand};

/// `COMMAND GETKEYS command arg...`: the keys the row's key positions (or
/// its movable-keys hook) name, with Redis 7.0's checks in its order.
fn getkeys(request: &[Bytes], debug: bool) -> Reply {
    let Some(def) = table::lookup_with(&request[0], debug) else {
        return Reply::err("ERR Invalid command specified");
    };
    if def.first_key == 0 && def.movable_keys.is_none() {
        return Reply::err("ERR The command has no key arguments");
    }
    if !def.arity_ok(request.len()) {
        return Reply::err("ERR Invalid number of arguments specified for command");
    }
    let keys = def.keys(request);
    if keys.is_empty() && !def.flags.has(crate::cmd::def::flag::NO_MANDATORY_KEYS) {
        return Reply::err("ERR Invalid arguments specified for command");
    }
    Reply::Array(keys.into_iter().map(|k| Reply::Bulk(k.clone())).collect())
}

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
        b"getkeys" if args.len() >= 4 => getkeys(&args[2..], debug),
        b"getkeys" => arity("command|getkeys"),
        _ => unknown_subcommand(&args[1], "COMMAND"),
    }
}
