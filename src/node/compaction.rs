//! Log compaction (Raft §7): once `compact_after` applied entries follow the
//! last snapshot (and, in the server, at least half as many as the store
//! has keys), the applied state becomes the new [`RaftSnapshot`] and the log
//! keeps only what follows it.

use super::state::RaftSnapshot;
use super::step::Step;

impl Step<'_, '_> {
    /// Called after apply, where the state is already being changed.
    pub(super) fn maybe_compact(&mut self) {
        let cfg = self.cfg();
        let mut due = cfg.compact_after;
        if cfg.compact_scales_with_store {
            due = due.max(self.state.store.key_count() as u64 / 2);
        }
        if cfg.compact_after == 0 || self.state.applied < self.state.log().base_index() + due {
            return;
        }
        let s = self.state.to_mut();
        let index = s.applied;
        let term = s.log().term_at(index).unwrap_or(0);
        s.store.gc();
        let snapshot = RaftSnapshot {
            index,
            term,
            data: s.store.export(),
            applied_seqs: s.applied_seqs.clone(),
        };
        self.save(|d| {
            d.log.compact_to(index, term);
            d.snapshot = Some(snapshot);
        });
    }
}
