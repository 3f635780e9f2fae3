//! Log compaction (Raft §7): once `compact_after` applied entries follow the
//! last snapshot, the applied state becomes the new [`RaftSnapshot`] and the
//! log keeps only what follows it.

use super::state::RaftSnapshot;
use super::step::Step;

impl Step<'_, '_> {
    /// Called after apply, where the state is already being changed.
    pub(super) fn maybe_compact(&mut self) {
        let compact_after = self.cfg().compact_after;
        let s = self.state.to_mut();
        if compact_after == 0 || s.applied < s.log().base_index() + compact_after {
            return;
        }
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
