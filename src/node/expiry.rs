//! Expiry through the log (spec EXP-4): on `Tick` the leader samples the TTL
//! index from a rotating cursor, and a read that finds a key expired asks
//! for its deletion; both propose an `Expire` entry. The same tick times
//! out parked blocking pops (`blocking.rs`).

use bytes::Bytes;

use super::state::Role;
use super::step::Step;
use crate::raft::{Entry, Payload};
use crate::strings::encoding::{decode_ttl, TTL_PREFIX};
use crate::strings::RawGet;

impl Step<'_, '_> {
    /// Active expiry: propose the deletion of up to `expiry_batch` keys whose
    /// TTL index says they are due.
    pub fn on_tick(&mut self, now_ms: u64) {
        if self.state.is_leader() {
            self.time_out_blocked(now_ms);
        }
        let cfg = self.cfg();
        if !cfg.propose_expiry || self.state.role != Role::Leader {
            return;
        }
        // Like Redis's active expiry cycle: look at a bounded sample of the
        // TTL index per tick, resuming where the last tick stopped, so a large
        // index costs a little every tick rather than a full scan.
        let snap = self.state.store.snapshot(self.state.applied);
        let budget = cfg.expiry_batch.saturating_mul(10);
        let mut due = Vec::new();
        let mut seen = 0;
        let mut next_cursor = None;
        let from = if self.state.expiry_cursor.is_empty() {
            Bytes::from_static(TTL_PREFIX)
        } else {
            self.state.expiry_cursor.clone()
        };
        snap.raw_scan(&from, &mut |k, v| {
            let Some(user) = k.strip_prefix(TTL_PREFIX) else {
                return false; // past the index: wrap around next tick
            };
            if seen == budget || due.len() == cfg.expiry_batch {
                next_cursor = Some(k.clone());
                return false;
            }
            seen += 1;
            if decode_ttl(v).is_some_and(|at| at <= now_ms) {
                due.push(Bytes::copy_from_slice(user));
            }
            true
        });
        let cursor = next_cursor.unwrap_or_default();
        if cursor != self.state.expiry_cursor {
            self.state.to_mut().expiry_cursor = cursor;
        }
        self.propose_expire(now_ms, due);
    }

    /// Propose deleting `keys` if they are still expired when it applies.
    pub fn propose_expire(&mut self, now_ms: u64, keys: Vec<Bytes>) {
        if keys.is_empty() || !self.cfg().propose_expiry || self.state.role != Role::Leader {
            return;
        }
        self.save(|d| {
            d.log.append(Entry {
                term: d.term,
                payload: Payload::Expire { now_ms, keys },
            })
        });
        self.replicate();
    }
}
