//! MULTI, EXEC, DISCARD, WATCH and UNWATCH at the connection, with Redis
//! 7.0's replies: MULTI queues requests (`+QUEUED`) after checking only what
//! Redis checks at queue time (the name and the arity); a request that fails
//! to queue makes EXEC answer EXECABORT. EXEC hands the queue and the
//! watched keys to the node as one command ([`crate::cmd::multi`]), which
//! runs it as one transaction.

use bytes::Bytes;

use crate::cmd::def::flag;
use crate::cmd::multi::EXECABORT;
use crate::cmd::{Command, CommandRef, ParseError};
use crate::resp::Reply;

use super::super::client_conn::ClientConn;
use super::super::config::ServerConfig;
use super::reply::arity;
use super::Action;

/// Connection commands an EXEC can run itself (the node answers them from
/// the transaction's clock).
const RUN_IN_EXEC: &[&str] = &["ping", "echo", "time", "unwatch"];

/// Connection commands the connection runs when the node's transaction has
/// answered (and not at all when a WATCH aborted it), their replies put in
/// their places in EXEC's array. They change the connection or the server's
/// settings, never the keyspace; the other connection commands are refused
/// at queue time.
const RUN_AFTER_EXEC: &[&str] = &["config", "select", "client"];

/// The queued requests of an EXEC: those for the node, and the
/// [`RUN_AFTER_EXEC`] ones with their places in the reply.
pub type LocalQueue = Vec<(usize, Vec<Bytes>)>;

/// Split an EXEC's queue into the node's part and the connection's.
pub fn split_queue(queued: Vec<Vec<Bytes>>) -> (Vec<Vec<Bytes>>, LocalQueue) {
    let mut node = Vec::new();
    let mut local = Vec::new();
    for (i, args) in queued.into_iter().enumerate() {
        let runs_here = crate::cmd::table::lookup(&args[0])
            .is_some_and(|d| d.is_connection() && RUN_AFTER_EXEC.contains(&d.name));
        if runs_here {
            local.push((i, args));
        } else {
            node.push(args);
        }
    }
    (node, local)
}

/// EXEC's reply: the node's array with the connection's commands run and
/// their replies put in their places; any other answer (a WATCH's nil, an
/// error) as it is, the connection's commands not run.
pub fn splice_local(
    conn: &mut ClientConn,
    cfg: &ServerConfig,
    node_reply: Reply,
    local: LocalQueue,
    now_ms: u64,
) -> Reply {
    let Reply::Array(mut items) = node_reply else {
        return node_reply;
    };
    for (i, args) in local {
        let reply = match super::handle(conn, cfg, &args, now_ms) {
            Action::Reply(r) => r,
            _ => Reply::err(format!(
                "ERR fencekv cannot run '{}' inside MULTI",
                String::from_utf8_lossy(&args[0]).to_lowercase()
            )),
        };
        items.insert(i.min(items.len()), reply);
    }
    Reply::Array(items)
}

/// The transaction commands, and every request while MULTI is open; `None`
/// for a request outside a transaction that is none of them.
pub(super) fn transaction(
    conn: &mut ClientConn,
    def: Option<CommandRef>,
    args: &[Bytes],
) -> Option<Action> {
    let name = def.map(|d| d.name);
    let in_multi = conn.tx.queued.is_some();
    let reply = match name {
        Some("multi") if in_multi => Reply::err("ERR MULTI calls can not be nested"),
        Some("multi") => {
            if args.len() != 1 {
                return Some(Action::Reply(arity("multi")));
            }
            conn.tx.queued = Some(Vec::new());
            conn.tx.failed = false;
            Reply::ok()
        }
        Some("exec") if !in_multi => Reply::err("ERR EXEC without MULTI"),
        Some("exec") => {
            let queued = conn.tx.queued.take().unwrap_or_default();
            let failed = std::mem::take(&mut conn.tx.failed);
            if failed {
                conn.tx.watched.clear();
                Reply::err(EXECABORT)
            } else {
                return Some(Action::Exec(queued));
            }
        }
        Some("discard") if !in_multi => Reply::err("ERR DISCARD without MULTI"),
        Some("discard") => {
            conn.tx = Default::default();
            Reply::ok()
        }
        Some("watch") if in_multi => Reply::err("ERR WATCH inside MULTI is not allowed"),
        Some("watch") => {
            if args.len() < 2 {
                return Some(Action::Reply(arity("watch")));
            }
            return Some(Action::Watch(Command::watch(args[1..].to_vec())));
        }
        Some("unwatch") if !in_multi => {
            conn.tx.watched.clear();
            Reply::ok()
        }
        Some("quit" | "reset") => return None,
        _ if !in_multi => return None,
        _ => queue(conn, def, args),
    };
    Some(Action::Reply(reply))
}

/// A command refused because a script is past its time limit (`busy` is
/// the BUSY error): inside MULTI it fails the transaction, and an EXEC
/// then discards it, as Redis does.
pub(super) fn refused_while_busy(conn: &mut ClientConn, def: CommandRef, busy: &str) -> Reply {
    if conn.tx.queued.is_none() {
        return Reply::err(busy);
    }
    if def.name == "exec" {
        conn.tx = Default::default();
        return Reply::err(format!(
            "EXECABORT Transaction discarded because of: {busy}"
        ));
    }
    conn.tx.failed = true;
    Reply::err(busy)
}

/// Queue one request inside MULTI, or fail the transaction.
fn queue(conn: &mut ClientConn, def: Option<CommandRef>, args: &[Bytes]) -> Reply {
    let refused = match def {
        None => Some(ParseError::Unknown.reply(args)),
        Some(d) if !d.arity_ok(args.len()) => Some(ParseError::WrongArity(d.name).reply(args)),
        Some(d) if d.flags.has(flag::NO_MULTI) => {
            Some(Reply::err("ERR Command not allowed inside a transaction"))
        }
        Some(d)
            if d.is_connection()
                && !RUN_IN_EXEC.contains(&d.name)
                && !RUN_AFTER_EXEC.contains(&d.name) =>
        {
            Some(Reply::err(format!(
                "ERR fencekv cannot run '{}' inside MULTI",
                d.name
            )))
        }
        Some(_) => None,
    };
    if let Some(err) = refused {
        conn.tx.failed = true;
        return err;
    }
    if let Some(q) = conn.tx.queued.as_mut() {
        q.push(args.to_vec());
    }
    Reply::Status("QUEUED".into())
}
