//! The step context: one handler call's node, id, state and output, borrowed
//! together, so a handler names what it works on once and takes only its
//! message.
//!
//! Durable state changes go through [`Step::save`] and nothing else (see
//! [`super::state`]). The state is a `Cow`: a handler calls `to_mut()` only
//! where it really changes something, because a delivery that leaves the
//! state borrowed and sends nothing is a no-op to the model checker.

use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

use stateright::actor::{Id, Out};

use super::state::{Durable, NodeState};
use super::{Msg, Node, NodeConfig, Timer};

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

    /// Set `timer` and note when it is due by the node's clock (its
    /// earliest firing).
    pub fn arm(&mut self, timer: Timer, range: Range<Duration>) {
        let at = self.state.clock.saturating_add(NodeConfig::ms(range.start));
        if self.state.timers.of(&timer) != at {
            self.state.to_mut().timers.set(&timer, at);
        }
        self.out.set_timer(timer, range);
    }

    /// The clock moved on. A read that waited for its apply under a lease
    /// that has just ended needs a round now.
    pub fn on_clock(&mut self, now: u64) {
        if now > self.state.clock {
            let lease = NodeConfig::ms(self.cfg().lease);
            let s = self.state.to_mut();
            s.clock = now;
            // A round sent a lease ago can grant no lease any more: forget
            // its send time (so a leader no one answers keeps no list).
            while let Some((round, at)) = s.round_sent.get_min().copied() {
                if at.saturating_add(lease) > now {
                    break;
                }
                s.round_sent.remove(&round);
            }
            self.advance_reads();
        }
    }
}
