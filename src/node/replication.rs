//! Replication and commit (Raft §5.3, §5.4, §7): the leader's appends and
//! snapshots, a follower's answers, and the commit index the leader derives
//! from them.

use std::time::Duration;

use stateright::actor::Id;

use super::msg::{AppendEntries, AppendResult, InstallSnapshot, PeerMsg, Timer};
use super::quorum;
use super::state::{Durable, Role};
use super::step::Step;
use super::ElectionTimer;
use crate::modes::{CheckQuorum, CommitRule, LogPersistence, Truncation};
use crate::raft::{Index, Term};

impl Step<'_, '_> {
    /// Send new entries to every peer and advance the commit index (which a
    /// cluster of one does at once).
    pub fn replicate(&mut self) {
        self.broadcast_append();
        self.advance_commit();
    }

    pub fn broadcast_append(&mut self) {
        self.state.to_mut();
        for p in self.node.others(self.id) {
            self.send_append(p);
        }
    }

    /// Send `peer` everything from its `next_index`, and assume it arrives:
    /// `next_index` moves past what was sent, so the next append carries only
    /// newer entries (pipelining; without it every write resends every
    /// unacknowledged entry, quadratic under load). A lost append shows up
    /// as a failed consistency check, and the leader backs off (§5.3).
    /// Called only where the state is already being changed.
    fn send_append(&mut self, peer: Id) {
        let state = self.state.to_mut();
        let log = state.log();
        let next = state
            .next_index
            .get(&peer)
            .copied()
            .unwrap_or(log.last_index() + 1)
            .clamp(1, log.last_index() + 1);
        if next <= log.base_index() {
            if let Some(snapshot) = state.durable().snapshot.clone() {
                let index = snapshot.index;
                let msg = PeerMsg::InstallSnapshot(InstallSnapshot {
                    term: state.term(),
                    snapshot,
                    leader_commit: state.commit_index,
                    round: state.round,
                });
                state.next_index.insert(peer, index + 1);
                self.send(peer, msg);
                return;
            }
        }
        let prev_index = next - 1;
        let msg = PeerMsg::AppendEntries(AppendEntries {
            term: state.term(),
            prev_index,
            prev_term: log.term_at(prev_index).unwrap_or(0),
            entries: log.entries_from(next),
            leader_commit: state.commit_index,
            round: state.round,
        });
        let last = log.last_index();
        if next <= last {
            state.next_index.insert(peer, last + 1);
        }
        self.send(peer, msg);
    }

    pub fn on_append_entries(&mut self, src: Id, m: AppendEntries) {
        let AppendEntries {
            term,
            prev_index,
            prev_term,
            mut entries,
            leader_commit,
            round,
        } = m;
        if !self.hear_from_leader(src, term, round) {
            return;
        }
        // Entries at or below our base are in our snapshot, so committed, so
        // the leader has the same ones (§5.4): skip them.
        let base = self.state.log().base_index();
        let (prev_index, prev_term) = if prev_index < base {
            let last = prev_index + entries.len() as Index;
            if last < base {
                self.answer_append(src, true, last, round);
                return;
            }
            entries.drain(..(base - prev_index) as usize);
            (base, self.state.log().base_term())
        } else {
            (prev_index, prev_term)
        };
        if self.state.log().term_at(prev_index) != Some(prev_term) {
            let log = self.state.log();
            let hint = log.last_index().min(prev_index.saturating_sub(1));
            self.answer_append(src, false, hint, round);
            return;
        }
        let last_new = prev_index + entries.len() as Index;
        // Append what is new; truncate only at a real conflict, so a delayed
        // or duplicated AppendEntries never removes entries (§5.3).
        let log = self.state.log();
        let first_new = match self.cfg().modes.truncation {
            Truncation::OnConflict => entries
                .iter()
                .zip(prev_index + 1..)
                .position(|(e, index)| log.term_at(index) != Some(e.term)),
            Truncation::Always => {
                (!entries.is_empty() || log.last_index() > prev_index).then_some(0)
            }
        };
        if let Some(i) = first_new {
            let index = prev_index + 1 + i as Index;
            let append = |d: &mut Durable| {
                if d.log.term_at(index).is_some() {
                    d.log.truncate_from(index);
                }
                for e in entries.drain(i..) {
                    d.log.append(e);
                }
            };
            match self.cfg().modes.log_persistence {
                LogPersistence::BeforeAck => self.save(append),
                LogPersistence::Skip => self.state.to_mut().change_unsaved(append),
            }
        }
        let commit = leader_commit.min(last_new);
        if commit > self.state.commit_index {
            self.state.to_mut().commit_index = commit;
            self.out
                .set_timer(Timer::Apply, Duration::ZERO..Duration::ZERO);
        }
        self.answer_append(src, true, last_new, round);
    }

    /// Answer an AppendEntries or InstallSnapshot with our term: `success`
    /// and the index our log matches up to (on failure, a hint to back off to).
    fn answer_append(&mut self, src: Id, success: bool, match_index: Index, round: u64) {
        let term = self.state.term();
        self.send(
            src,
            PeerMsg::AppendResult(AppendResult {
                term,
                success,
                match_index,
                round,
            }),
        );
    }

    /// A message from a node that claims to lead `term` (AppendEntries or
    /// InstallSnapshot): refuse it if the term is stale (answering with ours,
    /// §5.1), else follow `src` and restart the election timer. Returns
    /// whether to go on.
    fn hear_from_leader(&mut self, src: Id, term: Term, round: u64) -> bool {
        if term < self.state.term() {
            let last = self.state.log().last_index();
            self.answer_append(src, false, last, round);
            return false;
        }
        if term > self.state.term() || self.state.role != Role::Follower {
            self.step_down(term);
        }
        if self.state.leader != Some(src) {
            self.state.to_mut().leader = Some(src);
        }
        let sticky = self
            .state
            .clock
            .saturating_add(super::NodeConfig::ms(self.cfg().election_timeout.start));
        if self.state.sticky_until != sticky {
            self.state.to_mut().sticky_until = sticky;
        }
        match self.cfg().election_timer {
            ElectionTimer::Always => self.arm_election(),
            ElectionTimer::WithoutLeader => self.out.cancel_timer(Timer::Election),
        }
        true
    }

    /// Install the leader's snapshot unless what we applied already covers
    /// it. A log that holds the snapshot's last entry keeps what follows it
    /// (§7); any other log is discarded.
    pub fn on_install_snapshot(&mut self, src: Id, m: InstallSnapshot) {
        let InstallSnapshot {
            term,
            snapshot,
            leader_commit: _,
            round,
        } = m;
        if !self.hear_from_leader(src, term, round) {
            return;
        }
        let index = snapshot.index;
        if index > self.state.applied {
            let s = self.state.to_mut();
            s.store = snapshot.restore();
            s.applied_seqs = snapshot.applied_seqs.clone();
            s.applied = index;
            s.commit_index = s.commit_index.max(index);
            s.stats.snapshots_installed += 1;
            self.save(|d| {
                if d.log.term_at(index) == Some(snapshot.term) {
                    d.log.compact_to(index, snapshot.term);
                } else {
                    d.log.reset_to(index, snapshot.term);
                }
                d.snapshot = Some(snapshot);
            });
            if self.state.commit_index > self.state.applied {
                self.out
                    .set_timer(Timer::Apply, Duration::ZERO..Duration::ZERO);
            }
        }
        self.answer_append(src, true, index, round);
    }

    pub fn on_append_result(&mut self, src: Id, m: AppendResult) {
        if m.term > self.state.term() {
            self.step_down(m.term);
            return;
        }
        if m.term < self.state.term() || self.state.role != Role::Leader {
            return;
        }
        let check_quorum = self.cfg().modes.check_quorum == CheckQuorum::On;
        let s = self.state.to_mut();
        if check_quorum {
            s.heard_since_check.insert(src);
        }
        if m.round > s.round_acks.get(&src).copied().unwrap_or(0) {
            s.round_acks.insert(src, m.round);
            self.update_confirmed_round();
        }
        let s = self.state.to_mut();
        if m.success {
            if m.match_index > s.match_index.get(&src).copied().unwrap_or(0) {
                s.match_index.insert(src, m.match_index);
            }
            // Never move `next_index` back on success: appends in flight
            // already carry what follows.
            let acked = s.match_index.get(&src).copied().unwrap_or(0) + 1;
            let next = s.next_index.get(&src).copied().unwrap_or(0).max(acked);
            s.next_index.insert(src, next);
            if next <= s.log().last_index() {
                self.send_append(src);
            }
            self.advance_commit();
        } else {
            let next = s.next_index.get(&src).copied().unwrap_or(1);
            let backed = (m.match_index + 1).min(next.saturating_sub(1)).max(1);
            if backed < next {
                s.next_index.insert(src, backed);
                self.send_append(src);
            }
        }
        self.advance_reads();
    }

    /// Commit the newest entry of the current term that a majority holds
    /// (§5.3, §5.4.2: never count replicas of an older term's entry).
    pub fn advance_commit(&mut self) {
        let s = &**self.state;
        let n = quorum::acknowledged(
            &self.node.peers,
            self.id,
            s.log().last_index(),
            &s.match_index,
        );
        let countable = match self.cfg().modes.commit_rule {
            CommitRule::CurrentTerm => s.log().term_at(n) == Some(s.term()),
            CommitRule::AnyTerm => true,
        };
        if n > s.commit_index && countable {
            self.state.to_mut().commit_index = n;
            self.out
                .set_timer(Timer::Apply, Duration::ZERO..Duration::ZERO);
            // Followers learn the new commit index with the next append (a
            // heartbeat, a write, or a fence round): no message of its own, as
            // nothing a client sees waits for a follower to apply.
        }
        self.advance_reads();
    }
}
