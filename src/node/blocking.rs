//! Blocking pops at the leader (spec BL-1..BL-4): a pop whose entry found
//! every key empty is parked in arrival order; after each entry that wrote,
//! the parked requests are proposed again, in that order, as new entries
//! with the same command — the first to apply pops, the others find
//! nothing and stay parked where they were. The pop is itself a log entry,
//! so an element is popped by exactly one entry.

use super::apply::Applied;
use super::msg::{ClientMsg, Unblock};
use super::state::Parked;
use super::step::Step;
use crate::cmd::{self, blocking::timeout_reply};
use crate::raft::{Entry, Index, Payload, ReqId};
use crate::resp::Reply;
use stateright::actor::Id;

/// The answer to a parked request whose leader stepped down before it was
/// proposed again: definite (nothing was popped) and safe to retry (BL-4).
pub const UNBLOCKED_LEADER_CHANGED: &str = "UNBLOCKED the leader changed; nothing was popped";

/// Redis's answer to a pop withdrawn by `CLIENT UNBLOCK id ERROR`.
pub const UNBLOCKED_BY_CLIENT_UNBLOCK: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

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
            cmd: cmd::Command {
                def: cmd.def,
                op: cmd::blocking::woken(&cmd.op),
            },
            seq: *seq,
            deadline_ms,
            proposed: None,
            withdrawn: None,
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
            Applied::Blocked | Applied::Conflict if s.blocked[pos].withdrawn.is_some() => {
                let p = s.blocked.remove(pos);
                self.answer_withdrawn(p);
            }
            Applied::Blocked | Applied::Conflict => s.blocked[pos].proposed = None,
        }
    }

    /// Withdraw `client`'s waiting `req` (BL-5): its connection closed, or
    /// CLIENT UNBLOCK. Parked with no entry in flight, it is dropped and
    /// answered as `how` says; with one in flight, once that entry finds
    /// nothing (an entry that pops has popped, and that is the answer —
    /// lost with the connection if it closed, as in Redis when a client
    /// leaves with its reply unread). A pop not parked here was forwarded:
    /// `from_client` passes the withdrawal on to the leader this node
    /// knows, once.
    pub fn unblock(&mut self, client: Id, req: ReqId, how: Unblock, from_client: bool) {
        let Some(pos) = self
            .state
            .blocked
            .iter()
            .position(|p| (p.client, p.req) == (client, req))
        else {
            let leader = self.state.leader.filter(|l| *l != self.id);
            if let Some(leader) = leader.filter(|_| from_client && !self.state.is_leader()) {
                self.send(leader, ClientMsg::Unblock { client, req, how });
            }
            return;
        };
        let s = self.state.to_mut();
        s.blocked[pos].withdrawn = Some(how);
        if s.blocked[pos].proposed.is_none() {
            let p = s.blocked.remove(pos);
            self.answer_withdrawn(p);
        }
    }

    /// The answer of a withdrawn pop (none for a closed connection).
    fn answer_withdrawn(&mut self, p: Parked) {
        let reply = match p.withdrawn.unwrap_or(Unblock::Gone) {
            Unblock::Gone => return,
            Unblock::Timeout => timeout_reply(&p.cmd.op),
            Unblock::Error => Reply::err(UNBLOCKED_BY_CLIENT_UNBLOCK),
        };
        self.send(p.client, ClientMsg::Reply { req: p.req, reply });
    }

    /// Propose again, in arrival order, each parked pop with no entry in
    /// flight that the store can serve now (BL-2), stamped `now_ms` (the
    /// write that woke it) so its expiry checks are those of that moment.
    /// A pop whose every key is claimed by an earlier waiter's entry in
    /// flight waits for that entry: one element wakes one waiter, not all
    /// of them. Each entry applies after the write that caused it, so it
    /// sees that write; one that then finds nothing stays parked.
    pub(super) fn repropose_blocked(&mut self, now_ms: u64) {
        if !self.state.is_leader() || self.state.blocked.iter().all(|p| p.proposed.is_some()) {
            return;
        }
        let modes = self.cfg().modes.chain();
        let mut claimed: Vec<&[u8]> = Vec::new();
        let mut wake = Vec::new();
        for (i, p) in self.state.blocked.iter().enumerate() {
            let keys = cmd::blocking::waited_keys(&p.cmd.op);
            let free = keys.iter().any(|k| !claimed.contains(&&k[..]));
            let now_ms = now_ms.max(p.now_ms);
            if p.proposed.is_none()
                && free
                && cmd::blocking::would_serve(&p.cmd.op, &self.state.store, now_ms, modes)
            {
                wake.push((i, now_ms));
            } else if p.proposed.is_none() {
                continue;
            }
            claimed.extend(keys.iter().map(|k| &k[..]));
        }
        if wake.is_empty() {
            return;
        }
        for (i, now_ms) in wake {
            let p = &self.state.blocked[i];
            let payload = Payload::Command {
                now_ms,
                cmd: p.cmd.clone(),
                seq: p.seq,
            };
            let index = self.save(|d| {
                d.log.append(Entry {
                    term: d.term,
                    payload,
                })
            });
            let p = &mut self.state.to_mut().blocked[i];
            p.proposed = Some(index);
            p.now_ms = now_ms;
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

#[cfg(test)]
mod tests {
    //! One node parks, re-proposes, times out and abandons blocking pops.

    use bytes::Bytes;

    use super::super::single_node::{client_id, One};
    use super::super::Msg;
    use super::*;
    use crate::cmd;
    use crate::raft::ClientSeq;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// BL-1, BL-2: an empty pop parks; a later push serves it.
    #[test]
    fn an_empty_pop_parks_and_a_later_push_serves_it() {
        let mut one = One::new();
        one.request(1, 0, "BLPOP q 0");
        one.settle();
        assert_eq!(one.answer(1), None);
        assert_eq!(one.state.blocked.len(), 1);
        one.request(2, 0, "RPUSH q a b");
        one.settle();
        assert_eq!(one.reply(2), Some(&Reply::Integer(2)));
        assert_eq!(
            one.reply(1),
            Some(&Reply::Array(vec![bulk("q"), bulk("a")]))
        );
        assert!(one.state.blocked.is_empty());
        one.request(3, 0, "LLEN q");
        one.settle();
        assert_eq!(one.reply(3), Some(&Reply::Integer(1)), "a popped once");
    }

    /// BL-2: waiters are served in arrival order; one that finds nothing
    /// keeps its place.
    #[test]
    fn waiters_are_served_in_arrival_order() {
        let mut one = One::new();
        one.request(1, 0, "BRPOP q 0");
        one.request(2, 0, "BZPOPMIN z 0");
        one.request(3, 0, "BRPOP q 0");
        one.settle();
        one.request(4, 0, "RPUSH q x");
        one.settle();
        assert_eq!(
            one.reply(1),
            Some(&Reply::Array(vec![bulk("q"), bulk("x")]))
        );
        assert_eq!(one.answer(3), None);
        let order: Vec<ReqId> = one.state.blocked.iter().map(|p| p.req).collect();
        assert_eq!(order, vec![2, 3], "the others keep their order");
        one.request(5, 0, "RPUSH q y");
        one.settle();
        assert_eq!(
            one.reply(3),
            Some(&Reply::Array(vec![bulk("q"), bulk("y")]))
        );
        assert_eq!(one.answer(2), None);
    }

    /// BL-2: a write proposes entries only for the waiters it can serve,
    /// and one element wakes one waiter, stamped with the write's clock.
    #[test]
    fn one_element_wakes_one_waiter_at_the_writes_time() {
        let mut one = One::new();
        for req in 1..=3 {
            one.request(req, 0, "BLPOP q 0");
        }
        one.request(4, 0, "BLPOP other 0");
        one.settle();
        let before = one.state.log().last_index();
        one.request(5, 7_000, "RPUSH q x");
        one.settle();
        assert_eq!(
            one.reply(1),
            Some(&Reply::Array(vec![bulk("q"), bulk("x")]))
        );
        let log = one.state.log();
        assert_eq!(log.last_index(), before + 2, "the push and one pop");
        let Some(Entry {
            payload: Payload::Command { now_ms, .. },
            ..
        }) = log.get(before + 2)
        else {
            panic!("the pop's entry");
        };
        assert_eq!(*now_ms, 7_000);
        let order: Vec<ReqId> = one.state.blocked.iter().map(|p| p.req).collect();
        assert_eq!(order, vec![2, 3, 4]);
        one.request(6, 8_000, "SET unrelated v");
        one.settle();
        assert_eq!(one.state.log().last_index(), before + 3, "nothing to wake");
    }

    /// BL-2: two elements pushed at once serve two waiters, in order.
    #[test]
    fn a_push_of_two_serves_the_first_two_waiters() {
        let mut one = One::new();
        for req in 1..=3 {
            one.request(req, 0, "BRPOP q 0");
        }
        one.settle();
        one.request(4, 0, "LPUSH q a b");
        one.settle();
        assert_eq!(
            one.reply(1),
            Some(&Reply::Array(vec![bulk("q"), bulk("a")]))
        );
        assert_eq!(
            one.reply(2),
            Some(&Reply::Array(vec![bulk("q"), bulk("b")]))
        );
        assert_eq!(one.answer(3), None);
    }

    /// BL-2: a woken pop passes over a key that now holds another type
    /// (Redis 7.0 keeps such a client blocked); a destination of another
    /// type is still WRONGTYPE, and the source keeps its element.
    #[test]
    fn a_woken_pop_passes_over_keys_of_another_type() {
        let mut one = One::new();
        one.request(1, 0, "BLPOP a b 0");
        one.request(2, 0, "BLPOP c 0");
        one.request(3, 0, "BRPOPLPUSH s d 0");
        one.settle();
        for (req, args) in [(4, "SET a str"), (5, "SET c str"), (6, "SET d str")] {
            one.request(req, 0, args);
            one.settle();
        }
        assert_eq!(one.state.blocked.len(), 3, "all still wait");
        one.request(7, 0, "RPUSH b x");
        one.request(8, 0, "RPUSH s y");
        one.settle();
        assert_eq!(
            one.reply(1),
            Some(&Reply::Array(vec![bulk("b"), bulk("x")]))
        );
        assert_eq!(one.answer(2), None);
        assert!(matches!(one.reply(3), Some(Reply::Error(e)) if e.starts_with("WRONGTYPE")));
        one.request(9, 0, "LLEN s");
        one.settle();
        assert_eq!(one.reply(9), Some(&Reply::Integer(1)));
    }

    /// BL-3: at its deadline a parked pop answers Redis's timeout reply.
    #[test]
    fn a_parked_pop_times_out_on_tick() {
        let mut one = One::new();
        one.request(1, 1_000, "BLPOP q 1");
        one.request(2, 1_000, "BLMOVE q d LEFT LEFT 0.5");
        one.request(3, 1_000, "BZPOPMAX z 0");
        one.settle();
        one.deliver(Msg::Tick { now_ms: 1_499 });
        assert!(one.answers.is_empty());
        one.deliver(Msg::Tick { now_ms: 1_500 });
        assert_eq!(one.reply(2), Some(&Reply::Nil));
        assert_eq!(one.answer(1), None);
        one.deliver(Msg::Tick { now_ms: 2_000 });
        assert_eq!(one.reply(1), Some(&Reply::NilArray));
        one.deliver(Msg::Tick { now_ms: u64::MAX });
        assert_eq!(one.answer(3), None, "0 waits forever");
    }

    /// BL-4: leadership lost — a parked pop with nothing in flight is told
    /// nothing was popped; one whose entry is in the log is uncertain.
    #[test]
    fn leadership_loss_unblocks_or_is_uncertain() {
        let mut one = One::new();
        one.request(1, 0, "BLPOP a 0");
        one.request(2, 0, "BLPOP b 0");
        one.settle();
        // 2's entry is in flight (as if a write had woken it).
        one.state.blocked[1].proposed = Some(one.state.log().last_index());
        let term = one.state.term();
        one.step(|s| s.step_down(term + 1));
        assert_eq!(one.reply(1), Some(&Reply::err(UNBLOCKED_LEADER_CHANGED)));
        assert_eq!(one.answer(2), Some(&ClientMsg::Uncertain { req: 2 }));
        assert!(one.state.blocked.is_empty());
    }

    /// BL-5: a cancelled waiter is dropped; a push then stays in the list.
    #[test]
    fn a_cancelled_waiter_pops_nothing() {
        let mut one = One::new();
        one.request(1, 0, "BLPOP q 0");
        one.settle();
        one.deliver(Msg::Client(ClientMsg::Unblock {
            client: client_id(),
            req: 1,
            how: Unblock::Gone,
        }));
        assert!(one.state.blocked.is_empty());
        one.request(2, 0, "RPUSH q a");
        one.settle();
        one.request(3, 0, "LLEN q");
        one.settle();
        assert_eq!(one.reply(3), Some(&Reply::Integer(1)));
        assert_eq!(one.answer(1), None);
    }

    /// BL-5: CLIENT UNBLOCK answers the timeout reply or Redis's error; a
    /// waiter whose entry is in flight answers only once that entry finds
    /// nothing (had it popped, the element would be its answer).
    #[test]
    fn client_unblock_answers_timeout_or_error() {
        let mut one = One::new();
        one.request(1, 0, "BLPOP a 0");
        one.request(2, 0, "BLMOVE b c LEFT LEFT 0");
        one.request(3, 0, "BLPOP d 0");
        one.settle();
        let unblock = |req, how| {
            Msg::Client(ClientMsg::Unblock {
                client: client_id(),
                req,
                how,
            })
        };
        one.deliver(unblock(1, Unblock::Timeout));
        assert_eq!(one.reply(1), Some(&Reply::NilArray));
        one.deliver(unblock(2, Unblock::Error));
        assert_eq!(one.reply(2), Some(&Reply::err(UNBLOCKED_BY_CLIENT_UNBLOCK)));
        one.state.blocked[0].proposed = Some(one.state.log().last_index());
        one.deliver(unblock(3, Unblock::Timeout));
        assert_eq!(one.answer(3), None, "its entry is in flight");
        let index = one.state.log().last_index();
        one.step(|s| s.reproposal_applied(index, Applied::Blocked));
        assert_eq!(one.reply(3), Some(&Reply::NilArray));
        assert!(one.state.blocked.is_empty());
    }

    /// BL-1: an entry that found nothing is not its request's answer in
    /// the dedup table, so the request still applies later.
    #[test]
    fn nothing_to_pop_is_not_recorded_for_dedup() {
        let mut store = crate::mvcc::Mvcc::new();
        let mut seqs = im::OrdMap::new();
        let args: Vec<Bytes> = ["BLPOP", "q", "0"]
            .iter()
            .map(|a| Bytes::from(*a))
            .collect();
        let cmd = cmd::parse(&args, &cmd::ParseCtx::default()).expect("parse");
        let seq = Some(ClientSeq {
            client: client_id(),
            req: 1,
        });
        let pop = Payload::Command {
            now_ms: 0,
            cmd,
            seq,
        };
        let modes = crate::modes::Modes::default();
        let apply = super::super::apply_entry;
        assert_eq!(
            apply(&mut store, &mut seqs, 1, &pop, &modes),
            Applied::Blocked
        );
        assert!(seqs.is_empty());
        let push: Vec<Bytes> = ["RPUSH", "q", "a"]
            .iter()
            .map(|a| Bytes::from(*a))
            .collect();
        let push = Payload::Command {
            now_ms: 0,
            cmd: cmd::parse(&push, &cmd::ParseCtx::default()).expect("parse"),
            seq: None,
        };
        apply(&mut store, &mut seqs, 2, &push, &modes);
        let served = Applied::Reply(Reply::Array(vec![bulk("q"), bulk("a")]));
        assert_eq!(apply(&mut store, &mut seqs, 3, &pop, &modes), served);
        assert_eq!(
            apply(&mut store, &mut seqs, 4, &pop, &modes),
            served,
            "a repeat"
        );
    }
}
