//! One node driven step by step for unit tests: requests in, what its
//! client was told out (the blocking pops' and the scripts' tests).

use std::borrow::Cow;

use bytes::Bytes;
use stateright::actor::{Actor, Command as Effect, Id, Out};

use super::step::Step;
use super::{ClientMsg, Msg, Node, NodeConfig, NodeState, ReqId, Request, Timer};
use crate::cmd;
use crate::resp::Reply;

pub fn node_id() -> Id {
    Id::from(0)
}
pub fn client_id() -> Id {
    Id::from(9)
}

/// A cluster of one and what its client was told.
pub struct One {
    pub node: Node,
    pub state: NodeState,
    pub answers: Vec<(ReqId, ClientMsg)>,
    apply_due: bool,
}

impl One {
    pub fn new() -> One {
        One::with(|_| {})
    }

    /// A node whose server settings `tweak` changes (heartbeats are off).
    pub fn with(tweak: impl FnOnce(&mut NodeConfig)) -> One {
        let mut config = NodeConfig {
            heartbeats: false,
            ..NodeConfig::default()
        };
        tweak(&mut config);
        let node = Node::new(vec![node_id()], config);
        let mut o = Out::new();
        let state = node.on_start(node_id(), &None, &mut o);
        let mut one = One {
            node,
            state,
            answers: vec![],
            apply_due: false,
        };
        one.take(o);
        one.settle();
        one
    }

    pub fn take(&mut self, o: Out<Node>) {
        for effect in o {
            match effect {
                Effect::Send(_, Msg::Client(m)) => {
                    let req = match &m {
                        ClientMsg::Reply { req, .. }
                        | ClientMsg::Redirect { req, .. }
                        | ClientMsg::Uncertain { req } => *req,
                        _ => continue,
                    };
                    self.answers.push((req, m));
                }
                Effect::SetTimer(Timer::Apply, _) => self.apply_due = true,
                _ => {}
            }
        }
    }

    pub fn deliver(&mut self, msg: Msg) {
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&self.state);
        self.node
            .on_msg(node_id(), &mut cow, client_id(), msg, &mut o);
        self.state = cow.into_owned();
        self.take(o);
    }

    /// Deliver `args` (space-separated; `_` inside an argument is a space)
    /// accepted at `now_ms`, unapplied.
    pub fn request(&mut self, req: ReqId, now_ms: u64, args: &str) {
        let args: Vec<Bytes> = args
            .split(' ')
            .map(|a| Bytes::copy_from_slice(a.replace('_', " ").as_bytes()))
            .collect();
        let ctx = cmd::ParseCtx {
            now_ms,
            ..cmd::ParseCtx::default()
        };
        let cmd = cmd::parse(&args, &ctx).expect("parse");
        self.deliver(Msg::Client(ClientMsg::Request(Request {
            req,
            now_ms,
            cmd,
            dedup: false,
        })));
    }

    pub fn settle(&mut self) {
        while std::mem::take(&mut self.apply_due) {
            let mut o = Out::new();
            let mut cow = Cow::Borrowed(&self.state);
            self.node
                .on_timeout(node_id(), &mut cow, &Timer::Apply, &mut o);
            self.state = cow.into_owned();
            self.take(o);
        }
    }

    /// Run `f` as a handler of this node would.
    pub fn step(&mut self, f: impl FnOnce(&mut Step<'_, '_>)) {
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&self.state);
        let mut step = Step::new(&self.node, node_id(), &mut cow, &mut o);
        f(&mut step);
        self.state = cow.into_owned();
        self.take(o);
    }

    pub fn answer(&self, req: ReqId) -> Option<&ClientMsg> {
        self.answers.iter().find(|(r, _)| *r == req).map(|(_, m)| m)
    }

    pub fn reply(&self, req: ReqId) -> Option<&Reply> {
        match self.answer(req)? {
            ClientMsg::Reply { reply, .. } => Some(reply),
            _ => None,
        }
    }
}
