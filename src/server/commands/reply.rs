//! The error replies the connection commands share, in Redis's words, and
//! bytes shown as text.

use crate::resp::reply::errors;
use crate::resp::Reply;

/// `ERR wrong number of arguments for '<name>' command`.
pub(super) fn arity(name: &str) -> Reply {
    Reply::err(errors::wrong_arity(name))
}

/// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
pub(super) fn unknown_subcommand(sub: &[u8], cmd: &str) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand '{}'. Try {cmd} HELP.",
        errors::truncate_for_error(sub)
    ))
}

/// Bytes as text, invalid UTF-8 replaced (names in errors and CLIENT LIST).
pub(super) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
