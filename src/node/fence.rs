//! The read fence (spec §6): a read waits for an entry of the leader's term
//! to commit, takes `read_index = commit_index`, waits for a heartbeat round
//! that started after it arrived to be acknowledged by a majority, then for
//! `applied ≥ read_index`, and is served from the snapshot at `start_ts`.
//! One round serves every read that waits for one (a batch).
//!
//! In lease mode (spec §6, Leases) a majority's acknowledgement of a round
//! sent at local time `t` lets the leader serve reads with no round of
//! their own until `t + lease`; outside it, a read waits for a round.

use super::msg::ClientMsg;
use super::quorum;
use super::script::ScriptStep;
use super::state::{NodeState, PendingRead, Role};
use super::step::Step;
use crate::cmd;
use crate::modes::{ApplyWait, LeaseStart, ReadFence, ReadMode, TermCommit};
use crate::strings::{KeyspaceRead, RawGet};

impl Step<'_, '_> {
    /// Move every pending read as far through the fence as it can go, and
    /// serve those that are through.
    pub fn advance_reads(&mut self) {
        if self.state.reads.is_empty() && self.state.read_asks.is_empty() {
            return;
        }
        if self.state.role != Role::Leader {
            // Follower reads: asked for, or waiting for their apply.
            self.ask_read_index();
            self.serve_ready_reads();
            return;
        }
        let modes = &self.node.config.modes;
        let s = self.state.to_mut();
        let term_committed =
            s.commit_index >= s.term_start || modes.term_commit == TermCommit::Skip;
        // Reads that have a read index but no round join the next round, which
        // starts now if no round is in flight (one round serves the batch).
        // Under a lease they need none; in lease mode a round in flight is
        // usually a heartbeat's, whose acknowledgement renews the lease and
        // serves them.
        let leased = lease_holds(modes, s);
        let lease_mode = modes.read_mode == ReadMode::Lease;
        let round_in_flight = s.round > s.confirmed_round;
        let mut wants_round = false;
        for r in s.reads.iter_mut() {
            if r.read_index.is_none() && term_committed {
                r.read_index = Some(s.commit_index);
                if lease_mode && !leased {
                    s.stats.lease_expiries += 1;
                }
            }
            if r.read_index.is_some()
                && r.round.is_none()
                && modes.read_fence != ReadFence::Off
                && !leased
            {
                wants_round = true;
            }
        }
        // Followers' asks go through the same fence.
        for a in s.read_asks.iter_mut() {
            if a.read_index.is_none() && term_committed {
                a.read_index = Some(s.commit_index);
            }
            if a.read_index.is_some()
                && a.round.is_none()
                && modes.read_fence != ReadFence::Off
                && !leased
            {
                wants_round = true;
            }
        }
        if wants_round && !round_in_flight {
            let round = self.start_round();
            let s = self.state.to_mut();
            for r in s.reads.iter_mut() {
                if r.read_index.is_some() && r.round.is_none() {
                    r.round = Some(round);
                }
            }
            for a in s.read_asks.iter_mut() {
                if a.read_index.is_some() && a.round.is_none() {
                    a.round = Some(round);
                }
            }
            self.update_confirmed_round();
            if self.state.confirmed_round < round {
                self.broadcast_append();
            }
        }
        if !self.state.read_asks.is_empty() {
            let fence = modes.read_fence;
            let (confirmed_round, leased) =
                (self.state.confirmed_round, lease_holds(modes, self.state));
            self.answer_read_asks(|a| {
                a.read_index.is_some()
                    && (fence == ReadFence::Off
                        || a.round.map_or(leased, |round| round <= confirmed_round))
            });
        }
        self.serve_ready_reads();
    }

    /// Start a round: the next AppendEntries carry it. In lease mode its
    /// send time is kept, to count the lease from.
    pub fn start_round(&mut self) -> u64 {
        let lease_mode = self.cfg().modes.read_mode == ReadMode::Lease;
        let s = self.state.to_mut();
        s.round += 1;
        if lease_mode {
            s.round_sent.insert(s.round, s.clock);
        }
        s.round
    }

    /// The newest round acknowledged by a majority, counting this node; in
    /// lease mode, the lease it grants. Called only where the state is
    /// already being changed.
    pub fn update_confirmed_round(&mut self) {
        let cfg = self.cfg();
        let s = self.state.to_mut();
        let confirmed = quorum::acknowledged(&self.node.peers, self.id, s.round, &s.round_acks);
        if confirmed > s.confirmed_round {
            s.stats.fence_rounds += confirmed - s.confirmed_round;
            s.confirmed_round = confirmed;
            if cfg.modes.read_mode == ReadMode::Lease {
                let from = match cfg.modes.lease_start {
                    LeaseStart::Sent => s.round_sent.get(&confirmed).copied(),
                    LeaseStart::AckReceipt => Some(s.clock),
                };
                if let Some(from) = from {
                    let until = from.saturating_add(super::NodeConfig::ms(cfg.lease));
                    s.lease_until = s.lease_until.max(until);
                }
                s.round_sent = s.round_sent.split(&confirmed).1;
            }
        }
    }

    fn serve_ready_reads(&mut self) {
        let modes = &self.node.config.modes;
        let ready = |s: &NodeState, r: &PendingRead| -> bool {
            let Some(read_index) = r.read_index else {
                return false;
            };
            let applied = modes.apply_wait == ApplyWait::Skip || s.applied >= read_index;
            if r.ask.is_some() {
                // A follower read: the leader confirmed `read_index`.
                return applied;
            }
            let confirmed = match modes.read_fence {
                ReadFence::Off => true,
                _ => match r.round {
                    Some(round) => round <= s.confirmed_round,
                    None => lease_holds(modes, s),
                },
            };
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
        if modes.read_mode == ReadMode::Lease && modes.read_fence != ReadFence::Off {
            s.stats.lease_reads += served.iter().filter(|r| r.round.is_none()).count() as u64;
        }
        s.stats.follower_reads += served.iter().filter(|r| r.ask.is_some()).count() as u64;
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
        if !proposals.is_empty() && self.state.role == Role::Leader {
            self.propose_txns(proposals);
            self.replicate();
        } else {
            // A script run as a follower read that wrote (if only the
            // script cache): it goes to the leader, as if it had come there.
            for (_, p) in proposals {
                self.forward_or_redirect(p.client, p.req, p.now_ms, p.cmd, p.dedup);
            }
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

/// Whether the leader may serve a read with no round of its own: lease mode,
/// an entry of its term committed (so `commit_index` covers its
/// predecessors'), and its clock still inside the lease.
fn lease_holds(modes: &crate::modes::Modes, s: &NodeState) -> bool {
    modes.read_mode == ReadMode::Lease
        && s.is_leader()
        && s.commit_index >= s.term_start
        && s.clock < s.lease_until
}
