//! Applying committed entries, in order, to the store at commit timestamp
//! = index (spec MV-1): writes, expiry, and scripts' `Txn`s under the commit
//! rule (SC-2). The leader answers what waited for the entry.

use bytes::Bytes;

use super::msg::ClientMsg;
use super::state::AppliedSeqs;
use super::step::Step;
use crate::cmd;
use crate::modes::{Modes, RangeReads, ReadSetValidation};
use crate::mvcc::Mvcc;
use crate::raft::{ClientSeq, Index, Payload};
use crate::raw::ApplyAt;
use crate::resp::Reply;
use crate::script::context::SCRIPT_PREFIX;
use crate::strings::KeyspaceWrite;

/// What applying an entry came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// It took effect (or was a deduplicated repeat): the answer.
    Reply(Reply),
    /// A `Txn` that failed validation: nothing changed. Never sent to a
    /// client: the leader runs the script again or gives up.
    Conflict,
    /// A blocking pop found every key empty: nothing changed and nothing is
    /// recorded for dedup (a retry still applies). The leader parks the
    /// request (spec BL-1).
    Blocked,
}

impl Step<'_, '_> {
    /// Apply committed entries in order; the leader answers the writes.
    pub fn apply_committed(&mut self) {
        let modes = &self.node.config.modes;
        loop {
            let s = self.state.to_mut();
            if s.applied >= s.commit_index {
                break;
            }
            let index = s.applied + 1;
            let Some(entry) = s.log().get(index).cloned() else {
                break;
            };
            let applied = apply_entry(
                &mut s.store,
                &mut s.applied_seqs,
                index,
                &entry.payload,
                modes,
            );
            s.applied = index;
            // Whatever a command or a script applied may have filled a key
            // a parked pop waits for; a woken pop that found nothing may
            // have held back a waiter behind it. A script's entry has no
            // clock: the waiters keep theirs.
            let wake_at = match (&entry.payload, &applied) {
                (Payload::Command { now_ms, .. }, Applied::Reply(_) | Applied::Blocked) => {
                    Some(*now_ms)
                }
                (Payload::Txn { .. } | Payload::Watched { .. }, Applied::Reply(_)) => Some(0),
                _ => None,
            };
            if let Some((client, req)) = s.writes.remove(&index) {
                // `writes` holds this leader's own `Command` entries, and
                // only a `Txn` conflicts.
                match applied {
                    Applied::Reply(reply) => {
                        self.out
                            .send(client, ClientMsg::Reply { req, reply }.into());
                    }
                    Applied::Blocked => self.park(client, req, &entry.payload),
                    Applied::Conflict => {}
                }
            } else if let Some(p) = s.txns.remove(&index) {
                self.txn_applied(p, applied);
            } else if !s.blocked.is_empty() {
                self.reproposal_applied(index, applied);
            }
            if let Some(now_ms) = wake_at.filter(|_| !self.state.blocked.is_empty()) {
                self.repropose_blocked(now_ms);
            }
        }
        self.maybe_compact();
    }
}

/// The recorded reply if this deduplicated request was already applied
/// (thesis §6.3): a duplicate changes nothing and answers the first reply.
fn applied_before(applied_seqs: &AppliedSeqs, seq: Option<ClientSeq>) -> Option<Reply> {
    let ClientSeq { client, req } = seq?;
    let (last, reply) = applied_seqs.get(&client)?;
    (req <= *last).then(|| reply.clone())
}

/// Apply one entry to the store at commit timestamp `index`. A deduplicated
/// client's repeat (a request number it already applied) changes nothing and
/// answers what the first application answered.
pub fn apply_entry(
    store: &mut Mvcc,
    applied_seqs: &mut AppliedSeqs,
    index: Index,
    payload: &Payload,
    modes: &Modes,
) -> Applied {
    match payload {
        Payload::Noop => Applied::Reply(Reply::ok()),
        Payload::Command { now_ms, cmd, seq } => {
            if let Some(reply) = applied_before(applied_seqs, *seq) {
                return Applied::Reply(reply);
            }
            let mut raw = ApplyAt { store, ts: index };
            let mut ks = KeyspaceWrite::new(&mut raw, *now_ms, modes.chain());
            let Some(reply) = cmd::run_blocking(cmd, &mut ks) else {
                return Applied::Blocked;
            };
            if let Some(ClientSeq { client, req }) = *seq {
                applied_seqs.insert(client, (req, reply.clone()));
            }
            Applied::Reply(reply)
        }
        Payload::Txn {
            start_ts,
            read_set,
            read_ranges,
            write_set,
            seq,
            reply,
        } => {
            if let Some(reply) = applied_before(applied_seqs, *seq) {
                return Applied::Reply(reply);
            }
            // The commit rule (SC-2): nothing the script read or wrote may
            // have changed since its snapshot. A start_ts older than the
            // validation window cannot be checked, so it conflicts.
            let validate_reads = modes.read_set_validation == ReadSetValidation::ReadAndWrite;
            let validate_ranges = validate_reads && modes.range_reads == RangeReads::Validated;
            let changed = |k: &Bytes| store.latest_ts(k).is_some_and(|t| t > *start_ts);
            let conflict = *start_ts + crate::mvcc::VALIDATION_WINDOW < index
                || (validate_ranges && read_ranges.iter().any(|r| store.changed_in(r, *start_ts)))
                // A cache entry's value is fixed by its key (the body's
                // SHA-1): concurrent EVALs of one new body never conflict.
                || write_set
                    .iter()
                    .any(|(k, _)| !k.starts_with(SCRIPT_PREFIX) && changed(k))
                || (validate_reads && read_set.iter().any(changed));
            if conflict {
                return Applied::Conflict;
            }
            for (k, v) in write_set {
                match v {
                    Some(v) => store.put(k.clone(), index, v.clone()),
                    None => store.tombstone(k.clone(), index),
                }
            }
            if let Some(ClientSeq { client, req }) = *seq {
                applied_seqs.insert(client, (req, reply.clone()));
            }
            Applied::Reply(reply.clone())
        }
        Payload::Watched {
            now_ms,
            watched,
            txn,
        } => {
            let seq = match &**txn {
                Payload::Txn { seq, .. } => *seq,
                _ => None,
            };
            if let Some(reply) = applied_before(applied_seqs, seq) {
                return Applied::Reply(reply);
            }
            let checked = modes.watch == crate::modes::Watch::Validated;
            if checked
                && crate::cmd::multi::watch_broken(store, watched, *now_ms, modes.chain(), index)
            {
                if let Some(ClientSeq { client, req }) = seq {
                    applied_seqs.insert(client, (req, Reply::NilArray));
                }
                return Applied::Reply(Reply::NilArray);
            }
            apply_entry(store, applied_seqs, index, txn, modes)
        }
        Payload::Expire { now_ms, keys } => {
            let mut raw = ApplyAt { store, ts: index };
            let mut ks = KeyspaceWrite::new(&mut raw, *now_ms, modes.chain());
            let mut n = 0;
            for k in keys {
                if ks.is_expired(k) {
                    ks.delete(k);
                    n += 1;
                }
            }
            Applied::Reply(Reply::Integer(n))
        }
    }
}

#[cfg(test)]
mod tests {
    //! The commit rule (SC-2) as `apply_entry` decides it.

    use super::*;
    use crate::script::context::script_key;

    fn key(k: &str) -> Bytes {
        Bytes::from(k.to_string())
    }

    fn txn(start_ts: u64, read: &str, write: &str) -> Payload {
        Payload::Txn {
            start_ts,
            read_set: vec![key(read)],
            read_ranges: vec![],
            write_set: vec![(key(write), Some(Bytes::from_static(b"v")))],
            seq: None,
            reply: Reply::ok(),
        }
    }

    fn apply(store: &mut Mvcc, index: Index, p: &Payload, modes: &Modes) -> Applied {
        apply_entry(store, &mut im::OrdMap::new(), index, p, modes)
    }

    #[test]
    fn a_txn_applies_only_if_nothing_it_read_or_wrote_changed_since_start_ts() {
        let mut store = Mvcc::new();
        store.put(key("r"), 1, Bytes::from_static(b"old"));
        store.put(key("r"), 5, Bytes::from_static(b"new"));
        let safe = Modes::default();
        let ok = Applied::Reply(Reply::ok());
        // r changed at 5, after a snapshot at 3: the read is stale.
        assert_eq!(
            apply(&mut store, 6, &txn(3, "r", "w"), &safe),
            Applied::Conflict
        );
        assert_eq!(store.get(b"w"), None, "a conflict writes nothing");
        // From a snapshot at 5 it is current.
        assert_eq!(apply(&mut store, 7, &txn(5, "r", "w"), &safe), ok);
        // The write set alone (the gap) misses the stale read.
        let write_only = Modes {
            read_set_validation: ReadSetValidation::WriteOnly,
            ..Modes::default()
        };
        assert_eq!(apply(&mut store, 8, &txn(3, "r", "x"), &write_only), ok);
        // w was written at 7: a blind write from before that conflicts too.
        assert_eq!(
            apply(&mut store, 9, &txn(6, "q", "w"), &safe),
            Applied::Conflict
        );
        // Beyond the validation window nothing can be checked: a conflict.
        let far = 10 + crate::mvcc::VALIDATION_WINDOW;
        assert_eq!(
            apply(&mut store, far, &txn(9, "q", "y"), &safe),
            Applied::Conflict
        );
    }

    #[test]
    fn a_scan_conflicts_with_any_write_and_cache_entries_never_conflict() {
        let mut store = Mvcc::new();
        store.put(Bytes::from_static(b"a"), 4, Bytes::from_static(b"1"));
        let scan = Payload::Txn {
            start_ts: 3,
            read_set: vec![],
            read_ranges: vec![crate::mvcc::KeyRange {
                from: Bytes::new(),
                to: None,
            }],
            write_set: vec![(Bytes::from_static(b"b"), None)],
            seq: None,
            reply: Reply::ok(),
        };
        let modes = Modes::default();
        let mut seqs = im::OrdMap::new();
        let point_only = Modes {
            range_reads: RangeReads::PointOnly,
            ..Modes::default()
        };
        assert_eq!(
            apply_entry(&mut store.clone(), &mut seqs, 5, &scan, &point_only),
            Applied::Reply(Reply::ok()),
            "the gap: a key created inside the scanned range goes unseen"
        );
        assert_eq!(
            apply_entry(&mut store, &mut seqs, 5, &scan, &modes),
            Applied::Conflict
        );
        let cache = script_key("abc");
        store.put(cache.clone(), 5, Bytes::from_static(b"body"));
        let eval = Payload::Txn {
            start_ts: 4,
            read_set: vec![],
            read_ranges: vec![],
            write_set: vec![(cache, Some(Bytes::from_static(b"body")))],
            seq: None,
            reply: Reply::ok(),
        };
        assert_eq!(
            apply_entry(&mut store, &mut seqs, 6, &eval, &modes),
            Applied::Reply(Reply::ok())
        );
    }
}
