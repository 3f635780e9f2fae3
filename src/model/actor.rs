//! One actor type for nodes and clients: the glue that lets stateright run
//! the server's very [`Node`] next to the model's clients.

use std::borrow::Cow;

use stateright::actor::{Actor, Id, Out};

use bytes::Bytes;

use super::client::{Client, ClientState};
use super::hashed::Hashed;
use super::spec::Op;
use crate::cmd::multi::watched_from_reply;
use crate::node::{ClientMsg, Durable, Msg, Node, NodeState, ReqId, Timer};

/// Nodes and clients share one actor type in the model.
#[derive(Clone, Debug)]
pub enum ModelActor {
    /// A node; `true` when the model has time (`model/*.toml`'s `time`):
    /// the node's clock ticks, and its timers fire only once the clock has
    /// reached their deadlines.
    Node(Node, bool),
    Client(Client),
}

/// A node's state carries its hash (see [`Hashed`]): a step rehashes the
/// one node it changed, not all of them. A client's state is a few words,
/// cheaper to hash than to cache.
// Node states dominate the model; boxing them would add an allocation per
// state for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModelState {
    Node(Hashed<NodeState>),
    Client(ClientState),
}

impl ModelState {
    pub fn node(&self) -> Option<&NodeState> {
        match self {
            ModelState::Node(s) => Some(&**s),
            ModelState::Client(_) => None,
        }
    }
}

impl Actor for ModelActor {
    type Msg = Msg;
    type Timer = Timer;
    type State = ModelState;
    type Storage = Durable;
    type Random = ();

    fn on_start(&self, id: Id, storage: &Option<Durable>, o: &mut Out<Self>) -> ModelState {
        match self {
            ModelActor::Node(node, time) => {
                let mut inner = Out::new();
                let s = node.on_start(id, storage, &mut inner);
                o.append(&mut inner);
                if *time {
                    o.set_timer(Timer::Clock, Default::default());
                }
                ModelState::Node(Hashed::new(s))
            }
            ModelActor::Client(c) => {
                let target = c.ops.first().and_then(|(_, n)| *n).unwrap_or(c.first_node);
                if !c.ops.is_empty() {
                    o.send(target, c.request(0, &[]));
                }
                ModelState::Client(ClientState {
                    next: 0,
                    target,
                    stuck: false,
                    watched: Vec::new(),
                })
            }
        }
    }

    fn on_msg(&self, id: Id, state: &mut Cow<ModelState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        match (self, &**state) {
            (ModelActor::Node(node, _), ModelState::Node(s)) => {
                let mut inner_state = Cow::Borrowed(&**s);
                let mut inner = Out::new();
                node.on_msg(id, &mut inner_state, src, msg, &mut inner);
                o.append(&mut inner);
                if let Cow::Owned(s) = inner_state {
                    *state = Cow::Owned(ModelState::Node(Hashed::new(s)));
                }
            }
            (ModelActor::Client(c), ModelState::Client(s)) => {
                let Some(req) = msg_req(&msg) else { return };
                if req != s.next as ReqId || s.next >= c.ops.len() || s.stuck {
                    return; // a stale or duplicated answer
                }
                let mut s = s.clone();
                match msg {
                    // A script that gave up wrote nothing, but the history
                    // has no "failed" outcome: like an uncertain answer, it
                    // stays in flight (sound, if weaker) and the client stops.
                    Msg::Client(ClientMsg::Reply { reply, .. })
                        if crate::node::is_script_gave_up(&reply) =>
                    {
                        s.stuck = true
                    }
                    Msg::Client(ClientMsg::Reply { reply, .. }) => {
                        // A WATCH's snapshot is kept for the next EXEC,
                        // which ends the watch whatever it answers.
                        match &c.ops[s.next].0 {
                            Op::Watch(_, keys) => {
                                let keys: Vec<Bytes> =
                                    keys.iter().map(|k| Bytes::from(k.clone())).collect();
                                if let Some(w) = watched_from_reply(&keys, &reply) {
                                    s.watched.extend(w);
                                }
                            }
                            Op::Multi(..) => s.watched.clear(),
                            _ => {}
                        }
                        s.next += 1;
                        if s.next < c.ops.len() {
                            if let Some(n) = c.ops[s.next].1 {
                                s.target = n;
                            }
                            o.send(s.target, c.request(s.next, &s.watched));
                        }
                    }
                    Msg::Client(ClientMsg::Redirect {
                        leader: Some(leader),
                        ..
                    }) => {
                        s.target = leader;
                        o.send(s.target, c.request(s.next, &s.watched));
                    }
                    // No leader known (an election is on). A real client backs
                    // off and retries; the model's client gives up instead —
                    // a documented reduction: circling the nodes adds states,
                    // never behaviours. The operation stays in flight, which
                    // the linearizability check treats as "may have happened".
                    Msg::Client(ClientMsg::Redirect { leader: None, .. }) => s.stuck = true,
                    Msg::Client(ClientMsg::Uncertain { .. }) => s.stuck = true,
                    _ => return,
                }
                *state = Cow::Owned(ModelState::Client(s));
            }
            _ => {}
        }
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<ModelState>, timer: &Timer, o: &mut Out<Self>) {
        if let (ModelActor::Node(node, time), ModelState::Node(s)) = (self, &**state) {
            let mut inner_state = Cow::Borrowed(&**s);
            let mut inner = Out::new();
            match (time, timer) {
                // One ms passes on this node's clock (how far it may run
                // ahead of the others is the model's bound).
                (true, Timer::Clock) => {
                    let now = s.clock + 1;
                    node.on_msg(id, &mut inner_state, id, Msg::Clock { now }, &mut inner);
                    inner.set_timer(Timer::Clock, Default::default());
                }
                // Not due yet: nothing happens (the timer stays set).
                (true, timer) if s.clock < s.timers.of(timer) => return,
                _ => node.on_timeout(id, &mut inner_state, timer, &mut inner),
            }
            o.append(&mut inner);
            if let Cow::Owned(s) = inner_state {
                *state = Cow::Owned(ModelState::Node(Hashed::new(s)));
            }
        }
    }
}

fn msg_req(msg: &Msg) -> Option<ReqId> {
    match msg {
        Msg::Client(
            ClientMsg::Reply { req, .. }
            | ClientMsg::Redirect { req, .. }
            | ClientMsg::Uncertain { req },
        ) => Some(*req),
        _ => None,
    }
}
