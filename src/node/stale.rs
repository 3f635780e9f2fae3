//! Answers a node ignores for good.
//!
//! A reply that carries an old term, or that reaches a node no longer in
//! the role that asked for it, changes nothing when it is delivered — and
//! never will, because a node's term only grows and a role, once left,
//! does not come back in the same term (campaigning raises the term). The
//! model's network drops such messages at once (spec §6, "The model's
//! network and reductions"): delivering one later is a step that changes
//! no node, but as long as it is in flight it tells otherwise equal states
//! apart, and on a FIFO link it holds up what follows it.
//!
//! `floor` is the lowest term the node can ever have again: its term, or
//! the term a crash would bring back from storage if that is lower (a gap
//! that skips a save can leave storage behind).

use super::msg::PeerMsg;
use super::state::{NodeState, Role};
use crate::raft::Term;

impl NodeState {
    /// Whether this node ignores `msg` now and in every state it can reach.
    pub fn ignores_for_good(&self, msg: &PeerMsg, floor: Term) -> bool {
        // A term the node is in and cannot leave downwards.
        let settled = |t: Term| t == self.term() && t == floor;
        match msg {
            // A candidate counts granted votes of its own term; a higher
            // term makes anyone step down.
            PeerMsg::Vote(v) => {
                v.term < floor || (settled(v.term) && (!v.granted || self.role != Role::Candidate))
            }
            // Only the leader of that term counts it.
            PeerMsg::AppendResult(r) => {
                r.term < floor || (settled(r.term) && self.role != Role::Leader)
            }
            // A pre-vote answer is for term + 1, and a refusal matters only
            // with a term above the node's.
            PeerMsg::PreVoteResult(v) => v.term <= floor,
            // Requests are answered whatever their term (the answer
            // carries the newer term back).
            PeerMsg::RequestVote(_)
            | PeerMsg::AppendEntries(_)
            | PeerMsg::InstallSnapshot(_)
            | PeerMsg::PreVote(_)
            | PeerMsg::ReadIndex(_)
            | PeerMsg::ReadIndexResult(_) => false,
        }
    }
}
