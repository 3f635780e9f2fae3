//! Follower reads (spec §6, Follower reads; `read-mode = follower`).
//!
//! A follower that knows its leader keeps a read itself and asks the leader
//! for a read index: one `ReadIndex` ask covers every read that arrived
//! before it. The leader treats the ask like a read of its own — an entry
//! of its term committed, `read_index = commit_index`, a round that starts
//! after the ask arrived, acknowledged by a majority — and answers with the
//! read index, without waiting for its own apply. The follower serves the
//! read once its own `applied ≥ read_index`, from its snapshot at
//! `start_ts = applied`. Every write acknowledged before the read arrived
//! at the follower is in the leader's commit index when the ask arrives,
//! so the read sees it.
//!
//! Asks are numbered per follower and kept in memory only: a node that
//! restarts numbers them from 1 again. The server loses the answers in
//! flight with the connections of the old process; the model does not
//! combine follower reads with crashes (`model/*.toml`).

use stateright::actor::Id;

use super::msg::{ClientMsg, PeerMsg, ReadIndexAsk, ReadIndexGrant, Request};
use super::state::{PendingRead, ReadAsk, Role};
use super::step::Step;
use crate::cmd::{Command, Kind, Op};
use crate::modes::{Dedup, ReadMode};

impl Step<'_, '_> {
    /// Whether this node serves `cmd` itself as a follower read: plain
    /// reads, and scripts called read-only (WATCH stays with the leader,
    /// whose EXEC checks the snapshot it names).
    pub fn serves_as_follower(&self, cmd: &Command) -> bool {
        let s = &**self.state;
        self.cfg().modes.read_mode == ReadMode::Follower
            && s.role == Role::Follower
            && s.leader.is_some_and(|l| l != self.id)
            && match cmd.kind() {
                Kind::Read => !matches!(cmd.op, Op::Watch { .. }),
                Kind::Script => matches!(
                    cmd.op,
                    Op::Eval {
                        read_only: true,
                        ..
                    } | Op::FCall {
                        read_only: true,
                        ..
                    }
                ),
                Kind::Write => false,
            }
    }

    /// Keep a read here and ask the leader for its read index.
    pub fn queue_follower_read(&mut self, client: Id, request: Request) {
        let Request {
            req,
            now_ms,
            cmd,
            dedup,
        } = request;
        let dedup = dedup && self.cfg().modes.dedup == Dedup::Sessions;
        if self.hold_read(client, req, now_ms, cmd, dedup) {
            self.ask_read_index();
        }
    }

    /// Send one ask that covers every read not yet asked for.
    pub fn ask_read_index(&mut self) {
        let Some(leader) = self.state.leader.filter(|l| *l != self.id) else {
            return;
        };
        let unasked = |r: &PendingRead| r.ask.is_none() && r.read_index.is_none();
        if !self.state.reads.iter().any(unasked) {
            return;
        }
        let s = self.state.to_mut();
        s.asks_sent += 1;
        let ask = s.asks_sent;
        for r in s.reads.iter_mut().filter(|r| unasked(r)) {
            r.ask = Some(ask);
        }
        self.send(leader, PeerMsg::ReadIndex(ReadIndexAsk { ask }));
    }

    /// Leader: a follower's ask joins the fence like a read of its own. A
    /// node that does not lead refuses it.
    pub fn on_read_index(&mut self, src: Id, m: ReadIndexAsk) {
        if self.state.role != Role::Leader {
            let refusal = ReadIndexGrant {
                ask: m.ask,
                read_index: None,
            };
            self.send(src, PeerMsg::ReadIndexResult(refusal));
            return;
        }
        if self.state.asks_seen.get(&src).is_some_and(|a| *a >= m.ask) {
            return; // a duplicate (or overtaken) ask: its answer is on its way
        }
        let s = self.state.to_mut();
        s.asks_seen.insert(src, m.ask);
        s.read_asks.push(ReadAsk {
            from: src,
            ask: m.ask,
            read_index: None,
            round: None,
        });
        self.advance_reads();
    }

    /// Leader: answer every ask whose read index is confirmed. The leader
    /// does not wait for its own apply: the follower waits for its own.
    pub(super) fn answer_read_asks(&mut self, confirmed: impl Fn(&ReadAsk) -> bool) {
        if !self.state.read_asks.iter().any(&confirmed) {
            return;
        }
        let s = self.state.to_mut();
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut s.read_asks)
            .into_iter()
            .partition(&confirmed);
        s.read_asks = waiting;
        for a in ready {
            let grant = ReadIndexGrant {
                ask: a.ask,
                read_index: a.read_index,
            };
            self.send(a.from, PeerMsg::ReadIndexResult(grant));
        }
    }

    /// Follower: the leader's read index for every read asked for up to
    /// `m.ask`; or a refusal, and those reads' clients go elsewhere.
    pub fn on_read_index_result(&mut self, src: Id, m: ReadIndexGrant) {
        let covered = |r: &PendingRead| r.ask.is_some_and(|a| a <= m.ask) && r.read_index.is_none();
        if !self.state.reads.iter().any(covered) {
            return; // a duplicate, or its reads were answered
        }
        let s = self.state.to_mut();
        match m.read_index {
            Some(read_index) => {
                for r in s.reads.iter_mut().filter(|r| covered(r)) {
                    r.read_index = Some(read_index);
                }
                self.advance_reads();
            }
            None => {
                let leader = s.leader.filter(|l| *l != src);
                let (refused, kept): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut s.reads).into_iter().partition(covered);
                s.reads = kept;
                for r in refused {
                    let (client, req) = (r.client, r.req);
                    r.release(&mut s.store);
                    self.out
                        .send(client, ClientMsg::Redirect { req, leader }.into());
                }
            }
        }
    }
}
