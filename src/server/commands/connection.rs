//! The small connection commands: PING, ECHO, AUTH, SELECT and RESET (QUIT
//! is an `Action` of its own, see the dispatcher).

use bytes::Bytes;

use crate::resp::reply::errors;
use crate::resp::{Protocol, Reply};

use super::super::client_conn::ClientConn;
use super::reply::arity;

/// `PING [message]`
pub(super) fn ping(args: &[Bytes]) -> Reply {
    match args.len() {
        1 => Reply::Status("PONG".into()),
        2 => Reply::Bulk(args[1].clone()),
        _ => arity("ping"),
    }
}

/// `ECHO message`
pub(super) fn echo(args: &[Bytes]) -> Reply {
    match args.len() {
        2 => Reply::Bulk(args[1].clone()),
        _ => arity("echo"),
    }
}

/// `AUTH [username] password`: there are no passwords; the default user is
/// `nopass`, as in a redis-server without `requirepass`.
pub(super) fn auth(args: &[Bytes]) -> Reply {
    match args.len() {
        2 => Reply::err(
            "ERR AUTH <password> called without any password configured for the default \
             user. Are you sure your configuration is correct?",
        ),
        3 => check_user(&args[1]),
        _ => Reply::err(errors::SYNTAX),
    }
}

pub(super) fn check_user(user: &[u8]) -> Reply {
    if user == b"default" {
        Reply::ok()
    } else {
        Reply::err("WRONGPASS invalid username-password pair or user is disabled.")
    }
}

/// `RESET`: back to RESP2, no name.
pub(super) fn reset(conn: &mut ClientConn, args: &[Bytes]) -> Reply {
    if args.len() != 1 {
        return arity("reset");
    }
    conn.info.proto = Protocol::Resp2;
    conn.info.name = Bytes::new();
    conn.tx = Default::default();
    conn.publish();
    Reply::Status("RESET".into())
}

/// `SELECT index`: one database only.
pub(super) fn select(args: &[Bytes]) -> Reply {
    if args.len() != 2 {
        return arity("select");
    }
    match crate::resp::decode::string2ll(&args[1]) {
        Some(0) => Reply::ok(),
        Some(_) => Reply::err("ERR fencekv has a single database: only SELECT 0 is supported"),
        None => Reply::err(errors::NOT_INTEGER),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{handle, Action};
    use crate::resp::Reply;

    #[test]
    fn ping_echo() {
        let mut conn = conn();
        assert_eq!(run(&mut conn, &["PING"]), Reply::Status("PONG".into()));
        assert_eq!(run(&mut conn, &["ping", "x"]), Reply::bulk("x"));
        assert_eq!(
            err(run(&mut conn, &["ping", "a", "b"])),
            "ERR wrong number of arguments for 'ping' command"
        );
        assert_eq!(run(&mut conn, &["echo", "hi"]), Reply::bulk("hi"));
        assert_eq!(
            err(run(&mut conn, &["echo"])),
            "ERR wrong number of arguments for 'echo' command"
        );
        assert!(matches!(
            handle(&mut conn, &cfg(), &b(&["QUIT"]), 0),
            Action::Quit
        ));
    }

    #[test]
    fn select_and_auth() {
        let mut conn = conn();
        assert_eq!(run(&mut conn, &["SELECT", "0"]), Reply::ok());
        assert_eq!(
            err(run(&mut conn, &["SELECT", "1"])),
            "ERR fencekv has a single database: only SELECT 0 is supported"
        );
        assert_eq!(
            err(run(&mut conn, &["SELECT", "x"])),
            "ERR value is not an integer or out of range"
        );
        assert!(err(run(&mut conn, &["AUTH", "pw"])).starts_with("ERR AUTH <password> called"));
    }
}
