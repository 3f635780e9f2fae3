//! The step context: one handler call's node, id, state and output, borrowed
//! together, so a handler names what it works on once and takes only its
//! message.
//!
//! Durable state changes go through [`Step::save`] and nothing else (see
//! [`super::state`]). The state is a `Cow`: a handler calls `to_mut()` only
//! where it really changes something, because a delivery that leaves the
//! state borrowed and sends nothing is a no-op to the model checker.

use std::borrow::Cow;

use stateright::actor::{Id, Out};

use super::state::{Durable, NodeState};
use super::{Msg, Node, NodeConfig};

pub(super) struct Step<'a, 's> {
    pub node: &'a Node,
    pub id: Id,
    pub state: &'a mut Cow<'s, NodeState>,
    pub out: &'a mut Out<Node>,
}

impl<'a, 's> Step<'a, 's> {
    pub fn new(
        node: &'a Node,
        id: Id,
        state: &'a mut Cow<'s, NodeState>,
        out: &'a mut Out<Node>,
    ) -> Self {
        Step {
            node,
            id,
            state,
            out,
        }
    }

    pub fn cfg(&self) -> &'a NodeConfig {
        &self.node.config
    }

    /// Change term, vote, log or snapshot, and emit the `Save` of the result.
    pub fn save<R>(&mut self, change: impl FnOnce(&mut Durable) -> R) -> R {
        self.state.to_mut().save(self.out, change)
    }

    pub fn send(&mut self, dst: Id, msg: impl Into<Msg>) {
        self.out.send(dst, msg.into());
    }
}
