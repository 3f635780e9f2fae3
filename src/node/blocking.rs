//! Blocking pops at the leader (spec BL-1..BL-4): a pop whose entry found
//! every key empty is parked in arrival order; after each entry that wrote,
//! the parked requests are proposed again, in that order, as new entries
//! with the same command — the first to apply pops, the others find
//! nothing and stay parked where they were. The pop is itself a log entry,
//! so an element is popped by exactly one entry.

use super::apply::Applied;
use super::msg::ClientMsg;
use super::state::Parked;
use super::step::Step;
use crate::cmd::blocking::timeout_reply;
use crate::raft::{Entry, Index, Payload, ReqId};
use crate::resp::Reply;
use stateright::actor::Id;

/// The answer to a parked request whose leader stepped down before it was
/// proposed again: definite (nothing was popped) and safe to retry (BL-4).
pub const UNBLOCKED_LEADER_CHANGED: &str = "UNBLOCKED the leader changed; nothing was popped";

impl Step<'_, '_> {
    /// A blocking pop from `client` applied and found nothing: park it
    /// behind those already waiting (BL-1).
    pub(super) fn park(&mut self, client: Id, req: ReqId, payload: &Payload) {
        let Payload::Command { now_ms, cmd, seq } = payload else {
            return;
        };
        let Some(deadline_ms) = cmd.block_deadline_ms() else {
            return;
        };
        self.state.to_mut().blocked.push(Parked {
            client,
            req,
            now_ms: *now_ms,
            cmd: cmd.clone(),
            seq: *seq,
            deadline_ms,
            proposed: None,
        });
    }

    /// A re-proposed pop's entry applied: answer it if it popped (or
    /// failed), else leave it parked at its place (BL-2).
    pub(super) fn reproposal_applied(&mut self, index: Index, applied: Applied) {
        let s = self.state.to_mut();
        let Some(pos) = s.blocked.iter().position(|p| p.proposed == Some(index)) else {
            return;
        };
        match applied {
            Applied::Reply(reply) => {
                let p = s.blocked.remove(pos);
                self.send(p.client, ClientMsg::Reply { req: p.req, reply });
            }
            Applied::Blocked | Applied::Conflict => s.blocked[pos].proposed = None,
        }
    }

    /// Propose every parked pop that has no entry in flight again, in
    /// arrival order (BL-2). Each in-flight entry applies after the write
    /// that caused it, so it sees that write.
    pub(super) fn repropose_blocked(&mut self) {
        if !self.state.is_leader() || self.state.blocked.iter().all(|p| p.proposed.is_some()) {
            return;
        }
        for i in 0..self.state.blocked.len() {
            let p = &self.state.blocked[i];
            if p.proposed.is_some() {
                continue;
            }
            let payload = Payload::Command {
                now_ms: p.now_ms,
                cmd: p.cmd.clone(),
                seq: p.seq,
            };
            let index = self.save(|d| {
                d.log.append(Entry {
                    term: d.term,
                    payload,
                })
            });
            self.state.to_mut().blocked[i].proposed = Some(index);
        }
        self.replicate();
    }

    /// Answer the parked pops whose deadline passed with the timeout reply
    /// (BL-3). One whose entry is in flight waits for it: it may pop.
    pub(super) fn time_out_blocked(&mut self, now_ms: u64) {
        let due =
            |p: &Parked| p.proposed.is_none() && p.deadline_ms != 0 && p.deadline_ms <= now_ms;
        if !self.state.blocked.iter().any(due) {
            return;
        }
        let s = self.state.to_mut();
        let (timed_out, waiting) = std::mem::take(&mut s.blocked).into_iter().partition(due);
        s.blocked = waiting;
        for p in timed_out {
            let reply = timeout_reply(&p.cmd.op);
            self.send(p.client, ClientMsg::Reply { req: p.req, reply });
        }
    }

    /// Leadership is lost (BL-4): a parked pop with no entry in flight
    /// popped nothing and never will here (a definite, retryable error);
    /// one whose entry is in the log may still pop (uncertain, as a write).
    pub(super) fn abandon_blocked(&mut self) {
        if self.state.blocked.is_empty() {
            return;
        }
        for p in std::mem::take(&mut self.state.to_mut().blocked) {
            let req = p.req;
            let msg = match p.proposed {
                None => ClientMsg::Reply {
                    req,
                    reply: Reply::err(UNBLOCKED_LEADER_CHANGED),
                },
                Some(_) => ClientMsg::Uncertain { req },
            };
            self.send(p.client, msg);
        }
    }
}
