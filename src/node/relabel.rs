//! Renaming nodes: the same state with node ids exchanged, for the model's
//! symmetry reduction (spec §6). Here, and in the name-blind hash beside
//! `NodeState` (`NodeState::hash_without_names`), is every place a node id
//! is stored; a new field that holds one must be renamed here too (the
//! model's tests compare a renamed-and-back state with the original, and
//! its symmetry check runs the gap configs with and without renaming).
//!
//! Client ids are left alone: the model exchanges nodes only (a client's
//! history is keyed by its id, and stateright's linearizability tester
//! cannot be renamed).

use stateright::actor::Id;

use super::msg::{ClientMsg, Msg};
use super::state::{Durable, NodeState};

impl NodeState {
    /// This state with every node id `p` replaced by `relabel(p)`; `None`
    /// when that changes nothing (no node id is stored), so the caller can
    /// keep the value it has, and its hash.
    pub fn relabeled(&self, relabel: &impl Fn(Id) -> Id) -> Option<NodeState> {
        let names_a_node = self.durable().voted_for.is_some()
            || self.leader.is_some()
            || !self.votes.is_empty()
            || !self.next_index.is_empty()
            || !self.match_index.is_empty()
            || !self.round_acks.is_empty()
            || !self.heard_since_check.is_empty()
            || !self.read_asks.is_empty()
            || !self.asks_seen.is_empty();
        if !names_a_node {
            return None;
        }
        let mut s = self.clone();
        s.change_unsaved(|d| *d = d.relabeled(relabel));
        s.leader = s.leader.map(relabel);
        s.votes = s.votes.relabeled(relabel);
        s.next_index = s.next_index.relabeled(relabel);
        s.match_index = s.match_index.relabeled(relabel);
        s.round_acks = s.round_acks.relabeled(relabel);
        s.heard_since_check = s.heard_since_check.relabeled(relabel);
        for a in &mut s.read_asks {
            a.from = relabel(a.from);
        }
        s.asks_seen = s.asks_seen.relabeled(relabel);
        Some(s)
    }
}

impl Durable {
    pub fn relabeled(&self, relabel: &impl Fn(Id) -> Id) -> Durable {
        Durable {
            voted_for: self.voted_for.map(relabel),
            ..self.clone()
        }
    }
}

impl Msg {
    /// This message with every node id renamed; `None` when it holds none.
    pub fn relabeled(&self, relabel: &impl Fn(Id) -> Id) -> Option<Msg> {
        match self {
            Msg::Client(ClientMsg::Redirect {
                req,
                leader: Some(leader),
            }) => Some(Msg::Client(ClientMsg::Redirect {
                req: *req,
                leader: Some(relabel(*leader)),
            })),
            _ => None,
        }
    }
}
