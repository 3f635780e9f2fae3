//! The part of SCRIPT a connection answers itself: KILL and HELP, and the
//! compile check before SCRIPT LOAD reaches the log; FUNCTION KILL and HELP.

use bytes::Bytes;

use crate::resp::reply::errors;
use crate::resp::Reply;

use super::super::config::ServerConfig;

/// SCRIPT KILL and HELP act on the process, and SCRIPT LOAD compiles before
/// it reaches the log (a script that does not compile is never cached):
/// answered here. `None`: the node's business.
pub(super) fn script_local(cfg: &ServerConfig, args: &[Bytes]) -> Option<Reply> {
    let sub = args.get(1)?;
    if sub.eq_ignore_ascii_case(b"kill") {
        return Some(if args.len() == 2 {
            cfg.scripts.watchdog.kill()
        } else {
            Reply::err(errors::wrong_arity("script|kill"))
        });
    }
    if sub.eq_ignore_ascii_case(b"help") {
        return Some(if args.len() == 2 {
            help(SCRIPT_HELP)
        } else {
            Reply::err(errors::wrong_arity("script|help"))
        });
    }
    if sub.eq_ignore_ascii_case(b"load") && args.len() == 3 {
        if let Err(e) = cfg.scripts.engine.compile_check(&args[2]) {
            return Some(Reply::err(e));
        }
    }
    None
}

/// FUNCTION KILL and HELP act on the process: answered here. `None`: the
/// node's business (LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE, STATS).
pub(super) fn function_local(cfg: &ServerConfig, args: &[Bytes]) -> Option<Reply> {
    let sub = args.get(1)?;
    if sub.eq_ignore_ascii_case(b"kill") {
        return Some(if args.len() == 2 {
            cfg.scripts.watchdog.kill_function()
        } else {
            Reply::err(errors::wrong_arity("function|kill"))
        });
    }
    // While a script is past its time limit the node's thread is running
    // it: the connection answers with what it knows, the running function,
    // and an empty engines map (the libraries' counts are the node's).
    if sub.eq_ignore_ascii_case(b"stats") && args.len() == 2 {
        cfg.scripts.watchdog.busy_error()?;
        let running = match cfg.scripts.watchdog.running_function() {
            Some((name, command, ms)) => Reply::Map(vec![
                (Reply::bulk("name"), Reply::bulk(name)),
                (
                    Reply::bulk("command"),
                    Reply::Array(command.into_iter().map(Reply::Bulk).collect()),
                ),
                (
                    Reply::bulk("duration_ms"),
                    Reply::Integer(i64::try_from(ms).unwrap_or(i64::MAX)),
                ),
            ]),
            None => Reply::Nil,
        };
        return Some(Reply::Map(vec![
            (Reply::bulk("running_script"), running),
            (Reply::bulk("engines"), Reply::Map(vec![])),
        ]));
    }
    if sub.eq_ignore_ascii_case(b"help") {
        return Some(if args.len() == 2 {
            help(FUNCTION_HELP)
        } else {
            Reply::err(errors::wrong_arity("function|help"))
        });
    }
    None
}

fn help(lines: &[&str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::Status((*l).into())).collect())
}

const FUNCTION_HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];

const SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];
