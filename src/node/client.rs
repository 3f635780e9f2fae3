//! Client requests at a node: a follower forwards or redirects; the leader
//! recognises a deduplicated client's repeat, proposes a write as a log
//! entry, and queues a read or script for its fence. When leadership is
//! lost, whatever waits is answered.

use super::msg::{ClientMsg, Forwarded, PeerMsg, ReadIndexGrant, Request};
use super::state::{PendingRead, Role, ScriptRun};
use super::step::Step;
use crate::cmd::Kind;
use crate::modes::{Dedup, StartTs};
use crate::raft::{ClientSeq, Entry, Payload, ReqId};
use stateright::actor::Id;

impl Step<'_, '_> {
    /// A request from `client`, directly or `forwarded` by a follower.
    pub fn on_request(&mut self, client: Id, request: Request, forwarded: bool) {
        if self.state.role != Role::Leader && self.serves_as_follower(&request.cmd) {
            self.queue_follower_read(client, request);
            return;
        }
        let Request {
            req,
            now_ms,
            cmd,
            dedup,
        } = request;
        if self.state.role != Role::Leader {
            if forwarded {
                let leader = self.state.leader;
                self.send(client, ClientMsg::Redirect { req, leader });
            } else {
                self.forward_or_redirect(client, req, now_ms, cmd, dedup);
            }
            return;
        }
        let dedup = dedup && self.cfg().modes.dedup == Dedup::Sessions;
        if dedup {
            match self.state.applied_seqs.get(&client) {
                Some((last, _)) if req < *last => return, // a stale duplicate
                Some((last, reply)) if req == *last => {
                    let reply = reply.clone();
                    self.send(client, ClientMsg::Reply { req, reply });
                    return;
                }
                _ => {}
            }
        }
        match cmd.kind() {
            Kind::Write => {
                let parked = |s: &super::state::NodeState| {
                    s.blocked.iter().any(|p| (p.client, p.req) == (client, req))
                };
                if dedup
                    && (self.state.writes.values().any(|w| *w == (client, req))
                        || parked(self.state))
                {
                    return; // already proposed here; its reply follows apply
                }
                let seq = dedup.then_some(ClientSeq { client, req });
                let index = self.save(|d| {
                    d.log.append(Entry {
                        term: d.term,
                        payload: Payload::Command { now_ms, cmd, seq },
                    })
                });
                self.state.to_mut().writes.insert(index, (client, req));
                self.replicate();
            }
            Kind::Read | Kind::Script => {
                if self.hold_read(client, req, now_ms, cmd, dedup) {
                    self.advance_reads();
                }
            }
        }
    }

    /// Keep a read or script until its fence (at a follower: the leader's
    /// read index) lets it be served; `false` for a duplicate of one already
    /// kept, which is answered once.
    pub fn hold_read(
        &mut self,
        client: Id,
        req: ReqId,
        now_ms: u64,
        cmd: crate::cmd::Command,
        dedup: bool,
    ) -> bool {
        if dedup {
            if self.state.read_seqs.get(&client).is_some_and(|r| *r >= req) {
                return false;
            }
            self.state.to_mut().read_seqs.insert(client, req);
        }
        let start_ts = self.node.config.modes.start_ts;
        let s = self.state.to_mut();
        let early_start_ts = match start_ts {
            StartTs::BeforeFence => Some(s.store.pin(s.applied)),
            StartTs::AfterFence => None,
        };
        let script = (cmd.kind() == Kind::Script).then(ScriptRun::default);
        s.reads.push(PendingRead {
            client,
            req,
            now_ms,
            cmd,
            read_index: None,
            round: None,
            early_start_ts,
            script,
            dedup,
            ask: None,
        });
        true
    }

    /// Not the leader: pass the request to the leader we know, or tell the
    /// client where to go.
    pub fn forward_or_redirect(
        &mut self,
        client: Id,
        req: ReqId,
        now_ms: u64,
        cmd: crate::cmd::Command,
        dedup: bool,
    ) {
        let known = self.state.leader;
        if let Some(leader) = known.filter(|l| self.cfg().forward && *l != self.id) {
            let request = Request {
                req,
                now_ms,
                cmd,
                dedup,
            };
            self.send(leader, ClientMsg::Forwarded(Forwarded { client, request }));
            return;
        }
        self.send(client, ClientMsg::Redirect { req, leader: known });
    }

    /// Pending reads and writes lose their leader: reads fail cleanly (nothing
    /// happened); writes are uncertain (their entry may still commit).
    pub fn abandon_clients(&mut self) {
        self.abandon_blocked();
        let s = &**self.state;
        if s.reads.is_empty() && s.writes.is_empty() && s.txns.is_empty() && s.read_asks.is_empty()
        {
            return;
        }
        let s = self.state.to_mut();
        let leader = s.leader;
        // Followers' asks: refused, so their reads go elsewhere.
        for a in std::mem::take(&mut s.read_asks) {
            let refusal = ReadIndexGrant {
                ask: a.ask,
                read_index: None,
            };
            self.out
                .send(a.from, PeerMsg::ReadIndexResult(refusal).into());
        }
        for r in std::mem::take(&mut s.reads) {
            s.stats.scripts_abandoned += u64::from(r.script.is_some());
            let (client, req) = (r.client, r.req);
            r.release(&mut s.store);
            self.out
                .send(client, ClientMsg::Redirect { req, leader }.into());
        }
        for (_, (client, req)) in std::mem::take(&mut s.writes) {
            self.out.send(client, ClientMsg::Uncertain { req }.into());
        }
        for (_, p) in std::mem::take(&mut s.txns) {
            s.stats.scripts_abandoned += 1;
            self.out
                .send(p.client, ClientMsg::Uncertain { req: p.req }.into());
        }
    }
}
