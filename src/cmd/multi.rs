//! MULTI/EXEC and WATCH (spec §8, TX-1..TX-3): what the node runs and what
//! the commit checks. The connection queues the commands (the server's
//! `commands::multi`); EXEC sends them to the node as one [`Op::Multi`],
//! which runs like a script: one fence, `start_ts` after it, every command
//! over the snapshot with a write buffer, one `Txn` entry if it wrote.
//!
//! WATCH is a fenced read ([`Op::Watch`]) that answers, per key, whether it
//! exists, and the node adds the snapshot's timestamp: each becomes a
//! [`Watched`] the connection keeps until EXEC, DISCARD or UNWATCH.
//! [`watch_broken`] gives a watched key Redis's meaning of "touched": a key
//! that existed is touched by any write to it after the WATCH (expiry and
//! deletion included) or by expiring on the EXEC's clock; a key that did not
//! exist is touched when it exists again. A stale key deleted later, or a
//! missing key another FLUSHALL leaves missing, does not fail the EXEC, as
//! in Redis 7.0.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::error::ParseError;
use super::{mismatch, Op, ParseCtx, ReadView};
use crate::collections::encoding::{element_prefix, meta_key, Kind as CollKind};
use crate::modes::ChainModes;
use crate::mvcc::{Mvcc, Ts, VALIDATION_WINDOW};
use crate::resp::Reply;
use crate::strings::encoding::{str_key, ttl_key};
use crate::strings::KeyspaceRead;

pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// One watched key: the snapshot it was read at, and whether it existed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Watched {
    pub key: Bytes,
    pub ts: Ts,
    pub live: bool,
}

/// A bare EXEC: the connection builds the real one from its queue (only a
/// script, which may not run EXEC, parses one from a request).
pub(super) fn parse_exec(_: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Multi {
        cmds: Vec::new(),
        watched: Vec::new(),
    })
}

/// `WATCH key [key ...]`
pub(super) fn parse_watch(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Watch {
        keys: args[1..].to_vec(),
    })
}

/// WATCH's read: whether each key exists (the node prefixes the snapshot's
/// timestamp, [`watch_reply`]).
pub(super) fn exec_watch(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Watch { keys } = op else {
        return mismatch();
    };
    Reply::Array(
        keys.iter()
            .map(|k| Reply::Integer(i64::from(ks.exists(k))))
            .collect(),
    )
}

/// The node's answer to a WATCH read at `ts`: `[ts, [live…]]`.
pub fn watch_reply(ts: Ts, live: Reply) -> Reply {
    Reply::Array(vec![
        Reply::Integer(i64::try_from(ts).unwrap_or(i64::MAX)),
        live,
    ])
}

/// The connection's reading of [`watch_reply`]: the watched keys, or `None`
/// for any other reply (an error, which the client gets instead of OK).
pub fn watched_from_reply(keys: &[Bytes], reply: &Reply) -> Option<Vec<Watched>> {
    let Reply::Array(parts) = reply else {
        return None;
    };
    let [Reply::Integer(ts), Reply::Array(live)] = parts.as_slice() else {
        return None;
    };
    let ts = u64::try_from(*ts).ok()?;
    (live.len() == keys.len()).then(|| {
        keys.iter()
            .zip(live)
            .map(|(key, l)| Watched {
                key: key.clone(),
                ts,
                live: matches!(l, Reply::Integer(1)),
            })
            .collect()
    })
}

/// Whether any raw key of user key `key` (its string forms, its TTL key,
/// its collection meta and elements) has a version newer than `after`.
fn written_after(store: &Mvcc, key: &[u8], after: Ts) -> bool {
    [
        Bytes::copy_from_slice(key),
        str_key(key),
        ttl_key(key),
        meta_key(key),
    ]
    .iter()
    .any(|k| store.latest_ts(k).is_some_and(|t| t > after))
        || [
            CollKind::Hash,
            CollKind::List,
            CollKind::Set,
            CollKind::ZSet,
        ]
        .iter()
        .flat_map(|kind| kind.element_prefixes())
        .any(|p| store.changed_under(&element_prefix(p, key), after))
}

/// Whether a watched key was touched since its WATCH (the module's rule),
/// judged on `store`'s newest versions at the EXEC's clock `now_ms`. A
/// WATCH older than the validation window cannot be checked: it counts as
/// touched, so an EXEC never commits on a check it could not make.
pub fn watch_broken(
    store: &Mvcc,
    watched: &[Watched],
    now_ms: u64,
    modes: ChainModes,
    commit_ts: Ts,
) -> bool {
    let now = KeyspaceRead::new(store, now_ms, modes);
    watched.iter().any(|w| {
        if w.ts + VALIDATION_WINDOW < commit_ts {
            return true;
        }
        let live_now = now.exists(&w.key);
        if w.live {
            !live_now || written_after(store, &w.key, w.ts)
        } else {
            live_now
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::ApplyAt;
    use crate::strings::KeyspaceWrite;

    fn write(store: &mut Mvcc, ts: Ts, f: impl FnOnce(&mut KeyspaceWrite<'_, ApplyAt<'_>>)) {
        let mut raw = ApplyAt { store, ts };
        let mut ks = KeyspaceWrite::new(&mut raw, 0, ChainModes::default());
        f(&mut ks);
    }

    fn watched(key: &str, ts: Ts, live: bool) -> Vec<Watched> {
        vec![Watched {
            key: Bytes::from(key.to_string()),
            ts,
            live,
        }]
    }

    #[test]
    fn a_write_after_the_watch_breaks_it_and_one_before_does_not() {
        let mut store = Mvcc::new();
        write(&mut store, 1, |ks| ks.set(b"x", b"1", None));
        let m = ChainModes::default();
        assert!(!watch_broken(&store, &watched("x", 1, true), 0, m, 2));
        write(&mut store, 2, |ks| ks.set(b"x", b"2", None));
        assert!(watch_broken(&store, &watched("x", 1, true), 0, m, 3));
        assert!(!watch_broken(&store, &watched("y", 1, false), 0, m, 3));
        write(&mut store, 3, |ks| ks.set(b"y", b"1", None));
        assert!(watch_broken(&store, &watched("y", 1, false), 0, m, 4));
    }

    #[test]
    fn a_collection_element_write_breaks_the_watch() {
        let mut store = Mvcc::new();
        let m = ChainModes::default();
        write(&mut store, 1, |ks| {
            let meta = ks.open(b"h", CollKind::Hash);
            assert!(meta.is_ok());
        });
        store.put(
            crate::collections::encoding::element_key(
                crate::collections::encoding::HASH_PREFIX,
                b"h",
                b"f",
            ),
            2,
            Bytes::from_static(b"v"),
        );
        assert!(watch_broken(&store, &watched("h", 1, true), 0, m, 3));
        assert!(!watch_broken(&store, &watched("hh", 1, false), 0, m, 3));
    }

    #[test]
    fn expiry_on_the_execs_clock_breaks_a_live_watch_only() {
        let mut store = Mvcc::new();
        let m = ChainModes::default();
        write(&mut store, 1, |ks| ks.set(b"x", b"1", Some(100)));
        // Live at the WATCH (clock 50), expired at the EXEC (clock 200).
        assert!(watch_broken(&store, &watched("x", 1, true), 200, m, 2));
        // Already stale at the WATCH: its deletion does not count.
        write(&mut store, 2, |ks| {
            ks.delete(b"x");
        });
        assert!(!watch_broken(&store, &watched("x", 1, false), 200, m, 3));
    }
}
