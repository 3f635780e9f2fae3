//! Elections (Raft §5.2): the election timer, RequestVote and Vote, adopting
//! a higher term (§5.1), and taking office with a no-op entry (§5.4.2, §8).

use super::msg::{PeerMsg, RequestVote, Timer, Vote};
use super::peer_map::{PeerMap, PeerSet};
use super::state::Role;
use super::step::Step;
use crate::modes::{ElectionRestriction, VotePersistence};
use crate::raft::{Entry, Index, Payload, Term};

impl Step<'_, '_> {
    /// (Re)start the election timer — only on a node that may campaign, so a
    /// model's non-candidates carry no timer that fires for nothing.
    pub fn arm_election(&mut self) {
        if self.cfg().campaigns {
            self.out
                .set_timer(Timer::Election, self.cfg().election_timeout.clone());
        }
    }

    pub fn on_election_timeout(&mut self) {
        if self.state.role != Role::Leader && self.cfg().campaigns {
            self.start_election();
        }
    }

    pub fn start_election(&mut self) {
        let id = self.id;
        self.save(|d| {
            d.term += 1;
            d.voted_for = Some(id);
        });
        let s = self.state.to_mut();
        s.role = Role::Candidate;
        s.leader = None;
        s.votes = PeerSet::from([id]);
        let msg = PeerMsg::RequestVote(RequestVote {
            term: s.term(),
            last_log_index: s.log().last_index(),
            last_log_term: s.log().last_term(),
        });
        for p in self.node.others(id) {
            self.send(p, msg.clone());
        }
        self.arm_election();
        if self.state.votes.len() >= self.node.quorum() {
            self.become_leader();
        }
    }

    /// A higher term was seen: adopt it and follow (§5.1).
    pub fn step_down(&mut self, term: Term) {
        let was_leader = self.state.role == Role::Leader;
        let newer = term > self.state.to_mut().term();
        if newer {
            self.save(|d| {
                d.term = term;
                d.voted_for = None;
            });
        }
        let s = self.state.to_mut();
        if newer {
            s.leader = None;
        }
        s.role = Role::Follower;
        s.votes.clear();
        if was_leader {
            s.read_seqs.clear();
            self.out.cancel_timer(Timer::Heartbeat);
        }
        if was_leader || newer {
            self.arm_election();
        }
        self.abandon_clients();
    }

    pub fn on_request_vote(&mut self, src: stateright::actor::Id, m: RequestVote) {
        if m.term > self.state.term() {
            self.step_down(m.term);
        }
        let s = &**self.state;
        let log_ok = match self.cfg().modes.election_restriction {
            ElectionRestriction::UpToDate => {
                (m.last_log_term, m.last_log_index) >= (s.log().last_term(), s.log().last_index())
            }
            ElectionRestriction::Off => true,
        };
        let voted_for = s.durable().voted_for;
        let grant = m.term == s.term() && log_ok && voted_for.is_none_or(|v| v == src);
        if grant && voted_for.is_none() {
            match self.cfg().modes.vote_persistence {
                VotePersistence::BeforeReply => self.save(|d| d.voted_for = Some(src)),
                VotePersistence::Skip => self
                    .state
                    .to_mut()
                    .change_unsaved(|d| d.voted_for = Some(src)),
            }
            self.arm_election();
        }
        let term = self.state.term();
        self.send(
            src,
            PeerMsg::Vote(Vote {
                term,
                granted: grant,
            }),
        );
    }

    pub fn on_vote(&mut self, src: stateright::actor::Id, m: Vote) {
        if m.term > self.state.term() {
            self.step_down(m.term);
            return;
        }
        if m.term < self.state.term() || self.state.role != Role::Candidate || !m.granted {
            return;
        }
        let s = self.state.to_mut();
        s.votes.insert(src);
        if s.votes.len() >= self.node.quorum() {
            self.become_leader();
        }
    }

    pub fn become_leader(&mut self) {
        let id = self.id;
        let noop = self.save(|d| {
            d.log.append(Entry {
                term: d.term,
                payload: Payload::Noop,
            })
        });
        let node = self.node;
        let s = self.state.to_mut();
        s.role = Role::Leader;
        s.leader = Some(id);
        s.votes.clear();
        s.term_start = noop;
        s.next_index = node.others(id).map(|p| (p, noop)).collect();
        s.match_index = node.others(id).map(|p| (p, 0 as Index)).collect();
        s.round_acks = PeerMap::new();
        s.read_seqs = im::OrdMap::new();
        s.round = 0;
        s.confirmed_round = 0;
        self.out.cancel_timer(Timer::Election);
        if node.peers.len() > 1 && self.cfg().heartbeats {
            self.out.set_timer(Timer::Heartbeat, node.heartbeat_range());
        }
        self.replicate();
    }

    pub fn on_heartbeat(&mut self) {
        if self.state.role == Role::Leader {
            self.broadcast_append();
            let range = self.node.heartbeat_range();
            self.out.set_timer(Timer::Heartbeat, range);
        }
    }
}
