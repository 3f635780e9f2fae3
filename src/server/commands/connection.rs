//! The small connection commands: PING, ECHO, AUTH, SELECT and RESET (QUIT
//! is an `Action` of its own, see the dispatcher).

use bytes::Bytes;

use crate::resp::reply::errors;
use crate::resp::{Protocol, Reply};

use super::super::client_conn::ClientConn;
use super::super::config::Access;
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

/// Redis's reply to a command before AUTH when a password is set.
pub(super) const NOAUTH: &str = "NOAUTH Authentication required.";

/// `AUTH [username] password`: the only user is `default`, whose password
/// is `requirepass` (none: `nopass`, any password opens it, but the
/// one-argument form is refused as Redis 7.0 refuses it). A wrong password
/// leaves the connection as it was.
pub(super) fn auth(conn: &mut ClientConn, access: &Access, args: &[Bytes]) -> Reply {
    match args.len() {
        0 | 1 => arity("auth"),
        2 if !access.password_required() => Reply::err(
            "ERR AUTH <password> called without any password configured for the default \
             user. Are you sure your configuration is correct?",
        ),
        2 => authenticate(conn, access, b"default", &args[1]),
        3 => authenticate(conn, access, &args[1], &args[2]),
        _ => Reply::err(errors::SYNTAX),
    }
}

/// Check `user`'s `password`: `+OK`, and the connection is authenticated,
/// or WRONGPASS.
pub(super) fn authenticate(
    conn: &mut ClientConn,
    access: &Access,
    user: &[u8],
    password: &[u8],
) -> Reply {
    // Check the password even for an unknown user, so both take as long.
    let password_ok = access.check_password(password);
    if user == b"default" && password_ok {
        conn.authenticated = true;
        Reply::ok()
    } else {
        Reply::err("WRONGPASS invalid username-password pair or user is disabled.")
    }
}

/// `RESET`: back to RESP2, no name, and (as Redis's default user) not
/// authenticated if a password is set.
pub(super) fn reset(conn: &mut ClientConn, access: &Access, args: &[Bytes]) -> Reply {
    if args.len() != 1 {
        return arity("reset");
    }
    conn.authenticated = !access.password_required();
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

    #[test]
    fn auth_with_a_password() {
        let cfg = cfg();
        cfg.access.set_requirepass(bytes::Bytes::from_static(b"pw"));
        let mut conn = conn();
        conn.authenticated = false;
        let go = |conn: &mut crate::server::client_conn::ClientConn, a: &[&str]| match handle(
            conn,
            &cfg,
            &b(a),
            0,
        ) {
            Action::Reply(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            err(go(&mut conn, &["PING"])),
            "NOAUTH Authentication required."
        );
        assert_eq!(
            err(go(&mut conn, &["MULTI"])),
            "NOAUTH Authentication required."
        );
        // Unknown commands and wrong arities first, as in Redis.
        assert!(err(go(&mut conn, &["NOSUCH"])).starts_with("ERR unknown command"));
        assert_eq!(
            err(go(&mut conn, &["GET"])),
            "ERR wrong number of arguments for 'get' command"
        );
        assert!(err(go(&mut conn, &["HELLO", "3"])).starts_with("NOAUTH HELLO must be called"));
        assert_eq!(
            err(go(&mut conn, &["AUTH", "nope"])),
            "WRONGPASS invalid username-password pair or user is disabled."
        );
        assert_eq!(
            err(go(&mut conn, &["AUTH", "other", "pw"])),
            "WRONGPASS invalid username-password pair or user is disabled."
        );
        assert!(!conn.authenticated);
        assert_eq!(go(&mut conn, &["AUTH", "pw"]), Reply::ok());
        assert_eq!(go(&mut conn, &["PING"]), Reply::Status("PONG".into()));
        // A wrong password later does not log the connection out.
        assert!(go(&mut conn, &["AUTH", "default", "x"]).is_error());
        assert_eq!(go(&mut conn, &["PING"]), Reply::Status("PONG".into()));
        // RESET does.
        assert_eq!(go(&mut conn, &["RESET"]), Reply::Status("RESET".into()));
        assert!(go(&mut conn, &["PING"]).is_error());
        assert!(go(&mut conn, &["HELLO", "3", "AUTH", "default", "pw"])
            .error_text()
            .is_none());
        assert_eq!(go(&mut conn, &["PING"]), Reply::Status("PONG".into()));
    }
}
