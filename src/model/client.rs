//! The model's client: a fixed list of operations, run one at a time.

use bytes::Bytes;
use stateright::actor::Id;

use super::spec::Op;
use crate::cmd::multi::Watched;
use crate::cmd::Command;
use crate::node::{ClientMsg, Msg, ReqId, Request};

/// The clock every model client stamps on its requests. Expiry times in
/// model data are far before or far after it, so expiry is deterministic.
pub const MODEL_NOW_MS: u64 = 1_000_000;

/// A model client: its operations and which node it asks first.
#[derive(Clone, Debug)]
pub struct Client {
    /// Each operation, with the node it must be sent to (if pinned).
    pub ops: Vec<(Op, Option<Id>)>,
    pub first_node: Id,
    pub node_count: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientState {
    /// Index of the operation in flight (== ops.len() when done).
    pub next: usize,
    /// The node the operation in flight was last sent to.
    pub target: Id,
    /// The answer to an operation came back uncertain: stop here.
    pub stuck: bool,
    /// What the client's WATCHes read, for its next `multi` (a connection's
    /// watch state, as the server keeps it).
    pub watched: Vec<Watched>,
}

impl ClientState {
    /// Whether this client ignores `msg` now and for good: an answer to an
    /// operation it is past, or a redirect or uncertain answer once it has
    /// stopped. (A reply to a stopped client is not ignored: the history
    /// records it.)
    pub fn ignores_for_good(&self, msg: &Msg) -> bool {
        let Msg::Client(m) = msg else { return false };
        let (req, recorded) = match m {
            ClientMsg::Reply { req, .. } => (*req, true),
            ClientMsg::Redirect { req, .. } | ClientMsg::Uncertain { req } => (*req, false),
            ClientMsg::Request(_) | ClientMsg::Forwarded(_) | ClientMsg::Unblock { .. } => {
                return false
            }
        };
        (req as usize) < self.next || (req as usize == self.next && self.stuck && !recorded)
    }
}

impl Client {
    pub(super) fn request(&self, i: usize, watched: &[Watched]) -> Msg {
        let cmd = match &self.ops[i].0 {
            Op::Get(k) => Command::get(Bytes::from(k.clone())),
            Op::Set(k, v) => Command::set(Bytes::from(k.clone()), Bytes::from(v.clone())),
            Op::Del(k) => Command::del(vec![Bytes::from(k.clone())]),
            Op::Script(body) => Command::eval(Bytes::from(body.clone())),
            Op::Watch(_, keys) => {
                Command::watch(keys.iter().map(|k| Bytes::from(k.clone())).collect())
            }
            Op::Multi(_, cmds) => Command::exec(
                cmds.iter()
                    .map(|words| words.iter().map(|w| Bytes::from(w.clone())).collect())
                    .collect(),
                watched.to_vec(),
            ),
            Op::Cmd(words) => {
                let args: Vec<Bytes> = words.iter().map(|w| Bytes::from(w.clone())).collect();
                match crate::cmd::parse_request(&args, &crate::cmd::ParseCtx::default()) {
                    Ok(cmd) => cmd,
                    Err(_) => unreachable!("a config's operations parse when it is read"),
                }
            }
        };
        Msg::Client(ClientMsg::Request(Request {
            req: i as ReqId,
            now_ms: MODEL_NOW_MS,
            cmd,
            dedup: true,
        }))
    }
}
