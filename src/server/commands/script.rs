//! The part of SCRIPT a connection answers itself: KILL and HELP, and the
//! compile check before SCRIPT LOAD reaches the log.

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
            Reply::Array(
                SCRIPT_HELP
                    .iter()
                    .map(|l| Reply::Status((*l).into()))
                    .collect(),
            )
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
