//! SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: the server stops the way
//! it does on SIGTERM — it stops accepting, the node thread syncs the log
//! and ends, and the process exits 0 — and, as in Redis, the client gets no
//! reply: its connection closes (after the replies to what it sent before).
//!
//! The options are checked as Redis 7.0 checks them. SAVE and NOSAVE mean
//! the same here: there is no RDB to write or skip, and every acknowledged
//! write is in the log already. NOW and FORCE change nothing either:
//! fencekv has no replicas to wait for and no save that could fail. So a
//! shutdown is never in progress, and ABORT always answers Redis's "No
//! shutdown in progress." Scripts may not call it (the row is `noscript`).

use bytes::Bytes;

use crate::resp::reply::errors;
use crate::resp::Reply;

use super::Action;

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`
pub(super) fn shutdown(args: &[Bytes]) -> Action {
    let (mut nosave, mut save, mut now, mut force, mut abort) = (false, false, false, false, false);
    for a in &args[1..] {
        let flag = match &a.to_ascii_lowercase()[..] {
            b"nosave" => &mut nosave,
            b"save" => &mut save,
            b"now" => &mut now,
            b"force" => &mut force,
            b"abort" => &mut abort,
            _ => return Action::Reply(Reply::err(errors::SYNTAX)),
        };
        *flag = true;
    }
    if (abort && (nosave || save || now || force)) || (nosave && save) {
        return Action::Reply(Reply::err(errors::SYNTAX));
    }
    if abort {
        return Action::Reply(Reply::err("ERR No shutdown in progress."));
    }
    Action::Shutdown
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{handle, Action};

    #[test]
    fn options_and_abort() {
        for ok in ["SHUTDOWN", "shutdown nosave now", "SHUTDOWN SAVE FORCE NOW"] {
            let args: Vec<&str> = ok.split(' ').collect();
            assert!(
                matches!(handle(&mut conn(), &cfg(), &b(&args), 0), Action::Shutdown),
                "{ok}"
            );
        }
        for (line, e) in [
            ("SHUTDOWN ABORT", "ERR No shutdown in progress."),
            ("SHUTDOWN abort abort", "ERR No shutdown in progress."),
            ("SHUTDOWN ABORT NOW", "ERR syntax error"),
            ("SHUTDOWN NOSAVE SAVE", "ERR syntax error"),
            ("SHUTDOWN BOGUS", "ERR syntax error"),
        ] {
            let args: Vec<&str> = line.split(' ').collect();
            assert_eq!(err(run(&mut conn(), &args)), e, "{line}");
        }
    }
}
