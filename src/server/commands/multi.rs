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
use super::reply::arity;
use super::Action;

/// Connection commands an EXEC can run itself (the node answers them from
/// the transaction's clock); the others are refused at queue time.
const RUN_IN_EXEC: &[&str] = &["ping", "echo", "time", "unwatch"];

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

/// Queue one request inside MULTI, or fail the transaction.
fn queue(conn: &mut ClientConn, def: Option<CommandRef>, args: &[Bytes]) -> Reply {
    let refused = match def {
        None => Some(ParseError::Unknown.reply(args)),
        Some(d) if !d.arity_ok(args.len()) => Some(ParseError::WrongArity(d.name).reply(args)),
        Some(d) if d.flags.has(flag::NO_MULTI) => {
            Some(Reply::err("ERR Command not allowed inside a transaction"))
        }
        Some(d) if d.is_connection() && !RUN_IN_EXEC.contains(&d.name) => Some(Reply::err(
            format!("ERR fencekv cannot run '{}' inside MULTI", d.name),
        )),
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
