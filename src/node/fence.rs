//! The read fence (spec §6): a read waits for an entry of the leader's term
//! to commit, takes `read_index = commit_index`, waits for a heartbeat round
//! that started after it arrived to be acknowledged by a majority, then for
//! `applied ≥ read_index`, and is served from the snapshot at `start_ts`.
//! One round serves every read that waits for one (a batch).

use super::msg::ClientMsg;
use super::quorum;
use super::script::ScriptStep;
use super::state::{NodeState, PendingRead};
use super::step::Step;
use crate::cmd;
use crate::modes::{ApplyWait, ReadFence, TermCommit};
use crate::strings::{KeyspaceRead, RawGet};

impl Step<'_, '_> {
    /// Move every pending read as far through the fence as it can go, and
    /// serve those that are through.
    pub fn advance_reads(&mut self) {
        if self.state.reads.is_empty() {
            return;
        }
        let modes = &self.node.config.modes;
        let s = self.state.to_mut();
        let term_committed =
            s.commit_index >= s.term_start || modes.term_commit == TermCommit::Skip;
        // Reads that have a read index but no round join the next round, which
        // starts now if no round is in flight (one round serves the batch).
        let round_in_flight = s.round > s.confirmed_round;
        let mut wants_round = false;
        for r in s.reads.iter_mut() {
            if r.read_index.is_none() && term_committed {
                r.read_index = Some(s.commit_index);
            }
            if r.read_index.is_some() && r.round.is_none() && modes.read_fence != ReadFence::Off {
                wants_round = true;
            }
        }
        if wants_round && !round_in_flight {
            s.round += 1;
            let round = s.round;
            for r in s.reads.iter_mut() {
                if r.read_index.is_some() && r.round.is_none() {
                    r.round = Some(round);
                }
            }
            self.update_confirmed_round();
            if self.state.confirmed_round < round {
                self.broadcast_append();
            }
        }
        self.serve_ready_reads();
    }

    /// The newest round acknowledged by a majority, counting this node.
    /// Called only where the state is already being changed.
    pub fn update_confirmed_round(&mut self) {
        let s = self.state.to_mut();
        let confirmed = quorum::acknowledged(&self.node.peers, self.id, s.round, &s.round_acks);
        if confirmed > s.confirmed_round {
            s.stats.fence_rounds += confirmed - s.confirmed_round;
            s.confirmed_round = confirmed;
        }
    }

    fn serve_ready_reads(&mut self) {
        let modes = &self.node.config.modes;
        let ready = |s: &NodeState, r: &PendingRead| -> bool {
            let Some(read_index) = r.read_index else {
                return false;
            };
            let confirmed = match modes.read_fence {
                ReadFence::Off => true,
                _ => r.round.is_some_and(|round| round <= s.confirmed_round),
            };
            let applied = modes.apply_wait == ApplyWait::Skip || s.applied >= read_index;
            confirmed && applied
        };
        let st: &NodeState = self.state;
        if !st.reads.iter().any(|r| ready(st, r)) {
            return;
        }
        let s = self.state.to_mut();
        let pending = std::mem::take(&mut s.reads);
        let (served, waiting): (Vec<_>, Vec<_>) = pending.into_iter().partition(|r| ready(s, r));
        s.reads = waiting;
        let mut expired = Vec::new();
        let mut lazy_now = 0;
        let mut proposals = Vec::new();
        let mut requeued = false;
        for r in served {
            if r.script.is_some() {
                match self.run_script(r, &mut proposals) {
                    ScriptStep::Done | ScriptStep::Proposed => {}
                    ScriptStep::NeedsFence => requeued = true,
                }
                continue;
            }
            let s = self.state.to_mut();
            let start_ts = r.early_start_ts.as_ref().map_or(s.applied, |p| p.ts());
            s.stats.read_fences += 1;
            s.stats.last_read_term = s.term();
            let snap = s.store.snapshot(start_ts);
            let view = KeyspaceRead::new(&snap as &dyn RawGet, r.now_ms, modes.chain());
            let mut reply = cmd::run_read(&r.cmd, &view);
            if let cmd::Op::Watch { .. } = r.cmd.op {
                // The connection keeps the snapshot's timestamp (spec TX-2).
                reply = cmd::multi::watch_reply(start_ts, reply);
            }
            expired.extend(view.take_expired());
            lazy_now = lazy_now.max(r.now_ms);
            let (client, req) = (r.client, r.req);
            r.release(&mut s.store);
            self.send(client, ClientMsg::Reply { req, reply });
        }
        if !proposals.is_empty() {
            self.propose_txns(proposals);
            self.replicate();
        }
        // Lazy expiry: a read that found a key expired proposes its deletion.
        expired.sort();
        expired.dedup();
        self.propose_expire(lazy_now, expired);
        if requeued {
            self.advance_reads();
        }
    }
}
