//! CLIENT: the connection's id, name and library attributes, and the
//! CLIENT LIST / CLIENT INFO lines (Redis 7.2's fields).

use std::time::Instant;

use bytes::Bytes;

use crate::node::Unblock;
use crate::resp::reply::errors;
use crate::resp::{Protocol, Reply};

use super::super::client_conn::ClientConn;
use super::super::registry::{lock, ClientInfo};
use super::reply::{arity, text, unknown_subcommand};

/// Redis refuses client names (and CLIENT SETINFO values) with characters
/// outside `!`..=`~`.
pub(super) fn valid_client_attr(v: &[u8]) -> bool {
    v.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

/// `CLIENT ID|GETNAME|SETNAME|INFO|LIST|SETINFO|HELP`
pub(super) fn client(conn: &mut ClientConn, args: &[Bytes]) -> Reply {
    if args.len() < 2 {
        return arity("client");
    }
    let sub = args[1].to_ascii_lowercase();
    let n = args.len();
    match &sub[..] {
        b"id" if n == 2 => Reply::Integer(conn.id as i64),
        b"getname" if n == 2 => {
            if conn.info.name.is_empty() {
                Reply::Nil
            } else {
                Reply::Bulk(conn.info.name.clone())
            }
        }
        b"setname" if n == 3 => {
            if !valid_client_attr(&args[2]) {
                return Reply::err(
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                );
            }
            conn.info.name = args[2].clone();
            conn.publish();
            Reply::ok()
        }
        b"setinfo" if n == 4 => {
            let attr = args[2].to_ascii_lowercase();
            let slot = match &attr[..] {
                b"lib-name" => &mut conn.info.lib_name,
                b"lib-ver" => &mut conn.info.lib_ver,
                _ => {
                    return Reply::err(format!(
                        "ERR Unrecognized option '{}'",
                        errors::truncate_for_error(&args[2])
                    ))
                }
            };
            if !valid_client_attr(&args[3]) {
                return Reply::err(format!(
                    "ERR {} cannot contain spaces, newlines or special characters.",
                    text(&attr)
                ));
            }
            *slot = args[3].clone();
            conn.publish();
            Reply::ok()
        }
        b"info" if n == 2 => Reply::Verbatim(
            "txt".into(),
            Bytes::from(client_line(conn.id, &conn.info, Instant::now())),
        ),
        b"list" => client_list(conn, &args[2..]),
        b"help" if n == 2 => Reply::Array(
            [
                "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "LIST [TYPE normal] [ID <id> [<id> ...]]",
                "    Return information about client connections.",
                "SETINFO <option> <value>",
                "    Set client meta attr. Options are LIB-NAME and LIB-VER.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "    Unblock the specified blocked client.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Reply::Status((*l).into()))
            .collect(),
        ),
        b"id" | b"getname" | b"setname" | b"setinfo" | b"info" | b"help" | b"unblock" => {
            arity(&format!("client|{}", text(&sub)))
        }
        _ => unknown_subcommand(&args[1], "CLIENT"),
    }
}

/// `CLIENT UNBLOCK client-id [TIMEOUT|ERROR]`: `None` for another
/// subcommand (or a wrong arity, which `client` answers), else the id and
/// how, or Redis's error.
pub(super) fn unblock_args(args: &[Bytes]) -> Option<Result<(u64, Unblock), Reply>> {
    let sub = args.get(1)?;
    if !sub.eq_ignore_ascii_case(b"unblock") || !(3..=4).contains(&args.len()) {
        return None;
    }
    let how = match args.get(3).map(|a| a.to_ascii_lowercase()).as_deref() {
        None | Some(b"timeout") => Unblock::Timeout,
        Some(b"error") => Unblock::Error,
        Some(_) => {
            return Some(Err(Reply::err(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            )))
        }
    };
    // Redis parses a long long; no client has a negative id.
    let id = match crate::cmd::parse_i64(&args[2]) {
        None => {
            return Some(Err(Reply::err(
                "ERR value is not an integer or out of range",
            )))
        }
        Some(id) => u64::try_from(id).unwrap_or(0),
    };
    Some(Ok((id, how)))
}

/// `CLIENT LIST [TYPE normal|…] [ID id …]`
fn client_list(conn: &ClientConn, opts: &[Bytes]) -> Reply {
    let mut ids: Option<Vec<u64>> = None;
    let mut only_normal_ok = true;
    match opts.first().map(|o| o.to_ascii_lowercase()) {
        None => {}
        Some(o) if o == b"type" && opts.len() == 2 => {
            let t = opts[1].to_ascii_lowercase();
            match &t[..] {
                b"normal" => {}
                b"master" | b"replica" | b"slave" | b"pubsub" => only_normal_ok = false,
                _ => {
                    return Reply::err(format!(
                        "ERR Unknown client type '{}'",
                        errors::truncate_for_error(&opts[1])
                    ))
                }
            }
        }
        Some(o) if o == b"id" && opts.len() >= 2 => {
            let mut v = Vec::new();
            for a in &opts[1..] {
                match crate::resp::decode::string2ll(a) {
                    Some(id) if id > 0 => v.push(id as u64),
                    _ => return Reply::err("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
        }
        Some(_) => return Reply::err(errors::SYNTAX),
    }
    let now = Instant::now();
    let mut out = String::new();
    if only_normal_ok {
        let reg = lock(conn.registry());
        for (id, info) in reg.iter() {
            if ids.as_ref().is_some_and(|v| !v.contains(&id)) {
                continue;
            }
            out.push_str(&client_line(id, info, now));
        }
    }
    Reply::Verbatim("txt".into(), Bytes::from(out))
}

/// One CLIENT LIST line, Redis 7.2's fields (values fencekv does not track
/// are zero, as for an idle Redis client).
fn client_line(id: u64, c: &ClientInfo, now: Instant) -> String {
    format!(
        "id={id} addr={} laddr={} fd=0 name={} age={} idle=0 flags=N db=0 sub=0 psub=0 \
         ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 \
         omem=0 tot-mem=0 events=r cmd=NULL user=default redir=-1 resp={} lib-name={} \
         lib-ver={}\n",
        c.addr,
        c.laddr,
        text(&c.name),
        now.saturating_duration_since(c.created).as_secs(),
        if c.proto == Protocol::Resp3 { 3 } else { 2 },
        text(&c.lib_name),
        text(&c.lib_ver),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::resp::Reply;

    #[test]
    fn client_commands() {
        let mut conn = conn();
        assert_eq!(run(&mut conn, &["CLIENT", "GETNAME"]), Reply::Nil);
        assert_eq!(
            err(run(&mut conn, &["CLIENT", "SETNAME", "a b"])),
            "ERR Client names cannot contain spaces, newlines or special characters."
        );
        assert_eq!(
            run(&mut conn, &["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"]),
            Reply::ok()
        );
        assert_eq!(
            err(run(&mut conn, &["CLIENT", "SETINFO", "lib-foo", "x"])),
            "ERR Unrecognized option 'lib-foo'"
        );
        assert_eq!(
            err(run(&mut conn, &["CLIENT", "foo"])),
            "ERR unknown subcommand 'foo'. Try CLIENT HELP."
        );
        assert_eq!(
            err(run(&mut conn, &["CLIENT", "id", "x"])),
            "ERR wrong number of arguments for 'client|id' command"
        );
        let Reply::Verbatim(_, list) = run(&mut conn, &["CLIENT", "LIST"]) else {
            panic!("CLIENT LIST is text")
        };
        let list = String::from_utf8_lossy(&list).into_owned();
        assert!(list.contains(&format!("id={} ", conn.id)), "{list}");
        assert!(list.contains("lib-name=redis-rs"), "{list}");
    }
}
