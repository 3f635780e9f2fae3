//! Elections (Raft §5.2): the election timer, PreVote (thesis §9.6),
//! RequestVote and Vote, adopting a higher term (§5.1), taking office with a
//! no-op entry (§5.4.2, §8), and stepping down without a quorum (thesis §6.2).

use super::msg::{PeerMsg, RequestVote, Timer, Vote};
use super::peer_map::{PeerMap, PeerSet};
use super::state::Role;
use super::step::Step;
use crate::modes::{
    CheckQuorum, ElectionRestriction, LeaderNoop, PreVote, ReadMode, VotePersistence,
    VoteStickiness,
};
use crate::raft::{Entry, Index, Payload, Term};

impl Step<'_, '_> {
    /// (Re)start the election timer — only on a node that may campaign, so a
    /// model's non-candidates carry no timer that fires for nothing.
    pub fn arm_election(&mut self) {
        if self.cfg().campaigns {
            self.arm(Timer::Election, self.cfg().election_timeout.clone());
        }
    }

    pub fn on_election_timeout(&mut self) {
        if self.state.role != Role::Leader && self.cfg().campaigns {
            match self.cfg().modes.pre_vote {
                PreVote::On => self.start_pre_vote(),
                PreVote::Off => self.start_election(),
            }
        }
    }

    /// Ask every peer whether it would vote for us in the next term, without
    /// raising ours: a node that cannot win (its log is behind, or the
    /// others still hear from a leader) disturbs no one.
    pub fn start_pre_vote(&mut self) {
        self.state.to_mut().pre_vote_rounds += 1;
        let term = self.state.term() + 1;
        if self.canvass(Role::PreCandidate, term, PeerMsg::PreVote) {
            self.start_election();
        }
    }

    /// Take `role`, vote for ourselves and ask every peer for its vote in
    /// `term` (`ask` makes the request: a pre-vote or a vote). Returns
    /// whether our own vote is already a majority (a cluster of one).
    fn canvass(&mut self, role: Role, term: Term, ask: fn(RequestVote) -> PeerMsg) -> bool {
        let id = self.id;
        let s = self.state.to_mut();
        s.role = role;
        s.leader = None;
        s.votes = PeerSet::from([id]);
        // Follower reads held here go elsewhere (a leader never campaigns).
        self.abandon_clients();
        let s = self.state.to_mut();
        let msg = ask(RequestVote {
            term,
            last_log_index: s.log().last_index(),
            last_log_term: s.log().last_term(),
        });
        for p in self.node.others(id) {
            self.send(p, msg.clone());
        }
        self.arm_election();
        self.state.votes.len() >= self.node.quorum()
    }

    /// Grant a pre-vote only to a log at least as up to date as ours, for a
    /// term above ours, and only while we know no leader: a follower that
    /// hears from its leader refuses, so a node that rejoins after a
    /// partition cannot depose it. Changes nothing here, not even the term.
    pub fn on_pre_vote(&mut self, src: stateright::actor::Id, m: RequestVote) {
        let would_grant = m.term > self.state.term() && self.log_ok(&m);
        let knows_leader = self.state.leader.is_some();
        let grant = would_grant && !knows_leader;
        if would_grant && knows_leader && self.state.stats.pre_vote_refused_term < self.state.term()
        {
            let s = self.state.to_mut();
            s.stats.pre_vote_refused_term = s.term();
        }
        let term = if grant { m.term } else { self.state.term() };
        self.send(
            src,
            PeerMsg::PreVoteResult(Vote {
                term,
                granted: grant,
            }),
        );
    }

    pub fn on_pre_vote_result(&mut self, src: stateright::actor::Id, m: Vote) {
        let term = self.state.term();
        if !m.granted && m.term > term {
            self.step_down(m.term);
            return;
        }
        if !m.granted || m.term != term + 1 || self.state.role != Role::PreCandidate {
            return;
        }
        let s = self.state.to_mut();
        s.votes.insert(src);
        if s.votes.len() >= self.node.quorum() {
            self.start_election();
        }
    }

    /// Vote stickiness: in lease mode, a node that heard from a leader less
    /// than a minimum election timeout ago (or started that recently) takes
    /// no other candidate's request.
    fn sticks_to_leader(&self) -> bool {
        let modes = &self.cfg().modes;
        modes.read_mode == ReadMode::Lease
            && modes.vote_stickiness == VoteStickiness::On
            && self.state.clock < self.state.sticky_until
    }

    /// Whether a (pre-)vote request's log is at least as up to date as ours
    /// (§5.4.1), unless the election restriction is off.
    fn log_ok(&self, m: &RequestVote) -> bool {
        let log = self.state.log();
        match self.cfg().modes.election_restriction {
            ElectionRestriction::UpToDate => {
                (m.last_log_term, m.last_log_index) >= (log.last_term(), log.last_index())
            }
            ElectionRestriction::Off => true,
        }
    }

    pub fn start_election(&mut self) {
        let id = self.id;
        self.save(|d| {
            d.term += 1;
            d.voted_for = Some(id);
        });
        self.state.to_mut().pre_vote_rounds = 0;
        let term = self.state.term();
        if self.canvass(Role::Candidate, term, PeerMsg::RequestVote) {
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
            s.pre_vote_rounds = 0;
        }
        s.role = Role::Follower;
        s.votes.clear();
        if was_leader {
            s.read_seqs.clear();
            s.asks_seen = Default::default();
            s.heard_since_check.clear();
            s.round_sent = im::OrdMap::new();
            s.lease_until = 0;
            self.out.cancel_timer(Timer::Heartbeat);
            self.out.cancel_timer(Timer::CheckQuorum);
        }
        if was_leader || newer {
            self.arm_election();
        }
        self.abandon_clients();
    }

    pub fn on_request_vote(&mut self, src: stateright::actor::Id, m: RequestVote) {
        if self.sticks_to_leader() && m.term > self.state.term() {
            // Ignored outright, term and all (thesis §4.2.3): the leader it
            // heard from may hold a lease.
            return;
        }
        if m.term > self.state.term() {
            self.step_down(m.term);
        }
        let log_ok = self.log_ok(&m);
        let s = &**self.state;
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
        // The first index of this term: the no-op's, or the term's first write.
        let term_start = match self.cfg().modes.leader_noop {
            LeaderNoop::On => self.save(|d| {
                d.log.append(Entry {
                    term: d.term,
                    payload: Payload::Noop,
                })
            }),
            LeaderNoop::Off => self.state.log().last_index() + 1,
        };
        let node = self.node;
        let s = self.state.to_mut();
        s.role = Role::Leader;
        s.leader = Some(id);
        s.votes.clear();
        s.term_start = term_start;
        s.next_index = node.others(id).map(|p| (p, term_start)).collect();
        s.match_index = node.others(id).map(|p| (p, 0 as Index)).collect();
        s.round_acks = PeerMap::new();
        s.read_seqs = im::OrdMap::new();
        s.round = 0;
        s.confirmed_round = 0;
        s.heard_since_check.clear();
        s.round_sent = im::OrdMap::new();
        s.lease_until = 0;
        self.out.cancel_timer(Timer::Election);
        if node.peers.len() > 1 && self.cfg().heartbeats {
            self.arm(Timer::Heartbeat, node.heartbeat_range());
        }
        self.arm_quorum_check();
        // In lease mode the first append is a round, so the lease starts
        // as soon as a majority takes the new leader's first entry.
        if self.cfg().modes.read_mode == ReadMode::Lease {
            self.start_round();
        }
        self.replicate();
    }

    fn arm_quorum_check(&mut self) {
        if self.node.peers.len() > 1 && self.cfg().modes.check_quorum == CheckQuorum::On {
            self.arm(Timer::CheckQuorum, self.cfg().election_timeout.clone());
        }
    }

    /// CheckQuorum: a leader that no majority answered since the last check
    /// (an election timeout ago) steps down, so it stops believing it leads
    /// about when the others may elect someone else.
    pub fn on_check_quorum(&mut self) {
        if self.state.role != Role::Leader {
            return;
        }
        if self.state.heard_since_check.len() + 1 >= self.node.quorum() {
            if self.cfg().quorum_check_windows {
                self.state.to_mut().heard_since_check.clear();
                self.arm_quorum_check();
            }
            return;
        }
        let term = self.state.term();
        self.step_down(term);
        let s = self.state.to_mut();
        s.leader = None;
        s.stats.quorum_losses += 1;
    }

    pub fn on_heartbeat(&mut self) {
        if self.state.role == Role::Leader {
            // In lease mode every heartbeat is a round, so the lease is
            // renewed while a majority answers.
            if self.cfg().modes.read_mode == ReadMode::Lease {
                self.start_round();
            }
            self.broadcast_append();
            let range = self.node.heartbeat_range();
            self.arm(Timer::Heartbeat, range);
        }
    }
}
