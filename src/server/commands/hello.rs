//! HELLO: the protocol switch (RESP2/RESP3), with the optional AUTH and
//! SETNAME, answered with the server's identity.

use bytes::Bytes;

use crate::resp::reply::errors;
use crate::resp::{Protocol, Reply};

use super::super::client_conn::ClientConn;
use super::super::config::Access;
use super::super::config::REDIS_VERSION;
use super::client::valid_client_attr;
use super::connection::authenticate;

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
///
/// As in Redis 7.0, AUTH is checked after the options are read, and an
/// unauthenticated connection is refused unless AUTH authenticated it.
pub(super) fn hello(conn: &mut ClientConn, access: &Access, args: &[Bytes]) -> Reply {
    let mut proto = conn.info.proto;
    if args.len() >= 2 {
        match crate::resp::decode::string2ll(&args[1]) {
            Some(2) => proto = Protocol::Resp2,
            Some(3) => proto = Protocol::Resp3,
            Some(_) => return Reply::err("NOPROTO unsupported protocol version"),
            None => return Reply::err("ERR Protocol version is not an integer or out of range"),
        }
    }
    let mut auth = None;
    let mut name = None;
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            auth = Some((&args[j + 1], &args[j + 2]));
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            name = Some(&args[j + 1]);
            j += 2;
        } else {
            return Reply::err(format!(
                "ERR Syntax error in HELLO option '{}'",
                errors::truncate_for_error(opt)
            ));
        }
    }
    if let Some((user, password)) = auth {
        let r = authenticate(conn, access, user, password);
        if r.is_error() {
            return r;
        }
    }
    if !conn.authenticated {
        return Reply::err(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        );
    }
    if let Some(name) = name {
        if !valid_client_attr(name) {
            return Reply::err(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            );
        }
        conn.info.name = name.clone();
    }
    conn.info.proto = proto;
    conn.publish();
    Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (Reply::bulk("version"), Reply::bulk(REDIS_VERSION)),
        (
            Reply::bulk("proto"),
            Reply::Integer(if proto == Protocol::Resp3 { 3 } else { 2 }),
        ),
        (Reply::bulk("id"), Reply::Integer(conn.id as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(vec![])),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::resp::{Protocol, Reply};

    #[test]
    fn hello_switches_protocol_and_names() {
        let mut conn = conn();
        let r = run(&mut conn, &["HELLO", "3", "SETNAME", "app"]);
        let Reply::Map(m) = r else {
            panic!("HELLO answers a map")
        };
        assert_eq!(m[0], (Reply::bulk("server"), Reply::bulk("redis")));
        assert_eq!(m[2], (Reply::bulk("proto"), Reply::Integer(3)));
        assert_eq!(conn.proto(), Protocol::Resp3);
        assert_eq!(run(&mut conn, &["client", "getname"]), Reply::bulk("app"));
        assert_eq!(
            err(run(&mut conn, &["HELLO", "4"])),
            "NOPROTO unsupported protocol version"
        );
        assert_eq!(
            err(run(&mut conn, &["HELLO", "x"])),
            "ERR Protocol version is not an integer or out of range"
        );
        assert_eq!(
            err(run(&mut conn, &["HELLO", "3", "AUTH", "u"])),
            "ERR Syntax error in HELLO option 'AUTH'"
        );
        assert_eq!(
            err(run(&mut conn, &["HELLO", "3", "AUTH", "u", "p"])),
            "WRONGPASS invalid username-password pair or user is disabled."
        );
        assert!(!run(&mut conn, &["HELLO", "2", "AUTH", "default", "p"]).is_error());
        assert_eq!(conn.proto(), Protocol::Resp2);
    }
}
