//! The recorded history: every client invocation and answer, as the
//! linearizability tester sees them.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use stateright::actor::{Envelope, Id};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};

use super::hashed::Hashed;
use super::spec::{KvSpec, Op, Ret};
use super::ModelCfg;
use crate::cmd::scripting::ScriptRef;
use crate::cmd::{Command, Op as CmdOp};
use crate::node::{ClientMsg, Msg, ReqId, Request};
use crate::raft::{Entry, Index, Term};
use crate::resp::Reply;

/// The recorded history, shared and with its hash computed once (see
/// [`Hashed`]): stateright clones, hashes and drops the history with every
/// state it generates, and only a client's invocation or answer changes it
/// (cloning, hashing and dropping it had been a tenth of a check's time).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct History(Hashed<Arc<Recorded>>);

/// What [`History`] holds: the tester, plus which request each client has
/// already invoked (a redirected request is re-sent, not re-invoked).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Recorded {
    pub tester: LinearizabilityTester<Id, KvSpec>,
    invoked: BTreeMap<Id, ReqId>,
    /// The tester's verdict, computed when an answer is recorded rather than
    /// on every state (the tester searches the whole history each time). An
    /// invocation alone cannot make a history non-linearizable, as a pending
    /// operation may be left out.
    pub(super) linearizable: bool,
    /// Crashes so far, for the `total_crashes` bound. Not the clients'
    /// history, but like it a fact about the whole run, not about one actor.
    pub crashes: usize,
    /// Each committed index's entry and the term it was first committed in
    /// (a history variable, as in the Raft TLA+ spec): leader completeness
    /// is about the term of the commit, which no node's state keeps.
    pub committed: Vec<(Entry, Term)>,
}

impl History {
    pub fn new(spec: KvSpec) -> Self {
        Recorded {
            tester: LinearizabilityTester::new(spec),
            invoked: BTreeMap::new(),
            linearizable: true,
            crashes: 0,
            committed: Vec::new(),
        }
        .into()
    }

    /// The history with every index some node now counts as committed for
    /// the first time, with that node's term: the first node to commit an
    /// index is a leader, in its own term (followers learn of commits from
    /// a leader, in its term or later). `None` when nothing is new.
    pub fn with_commits(&self, nodes: &[&crate::node::NodeState]) -> Option<History> {
        let known = self.committed.len() as Index;
        let top = nodes.iter().map(|n| n.commit_index).max()?;
        if top <= known {
            return None;
        }
        let mut r = Recorded::clone(self);
        for i in known + 1..=top {
            let first = nodes
                .iter()
                .filter(|n| n.commit_index >= i)
                .find_map(|n| n.log().get(i).map(|e| (e.clone(), n.term())));
            // Compacted everywhere it is committed: only a node that applied
            // it compacts, so some node committed it earlier — not reached.
            let Some(first) = first else { break };
            r.committed.push(first);
        }
        Some(r.into())
    }

    /// The same history, one crash later.
    pub fn with_crash(&self) -> History {
        let mut r = Recorded::clone(self);
        r.crashes += 1;
        r.into()
    }
}

impl From<Recorded> for History {
    fn from(r: Recorded) -> Self {
        History(Hashed::new(Arc::new(r)))
    }
}

impl Deref for History {
    type Target = Recorded;
    fn deref(&self) -> &Recorded {
        &self.0
    }
}

fn op_of(cmd: &Command) -> Option<Op> {
    let s = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
    Some(match &cmd.op {
        CmdOp::Get { key } => Op::Get(s(key)),
        CmdOp::Set { key, value, .. } => Op::Set(s(key), s(value)),
        CmdOp::Del { keys } if keys.len() == 1 => Op::Del(s(&keys[0])),
        CmdOp::Eval {
            script: ScriptRef::Body(body),
            ..
        } => Op::Script(s(body)),
        _ => return None,
    })
}

/// An element of an array reply as the spec writes it: an array as `[a b]`
/// (a collection read inside a script), a map flat as in RESP2.
fn text(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Nil => "nil".into(),
        Reply::Status(s) => s.clone(),
        Reply::Integer(n) => n.to_string(),
        Reply::Error(e) => e.clone(),
        Reply::Array(items) | Reply::Set(items) => {
            format!("[{}]", items.iter().map(text).collect::<Vec<_>>().join(" "))
        }
        Reply::Map(pairs) => format!(
            "[{}]",
            pairs
                .iter()
                .flat_map(|(k, v)| [text(k), text(v)])
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => format!("{other:?}"),
    }
}

fn ret_of(reply: &Reply) -> Option<Ret> {
    Some(match reply {
        Reply::Bulk(b) => Ret::Value(Some(String::from_utf8_lossy(b).into_owned())),
        Reply::Nil | Reply::NilArray => Ret::Value(None),
        Reply::Status(s) if s == "OK" => Ret::Ok,
        Reply::Integer(n) => Ret::Deleted(*n),
        Reply::Array(items) | Reply::Set(items) => Ret::Script(items.iter().map(text).collect()),
        Reply::Map(pairs) => {
            Ret::Script(pairs.iter().flat_map(|(k, v)| [text(k), text(v)]).collect())
        }
        Reply::Error(e) => Ret::Error(e.clone()),
        _ => return None,
    })
}

pub(super) fn record_out(cfg: &ModelCfg, h: &History, env: Envelope<&Msg>) -> Option<History> {
    if usize::from(env.src) < cfg.nodes {
        return None;
    }
    let Msg::Client(ClientMsg::Request(Request { req, cmd, .. })) = env.msg else {
        return None;
    };
    if h.invoked.get(&env.src) == Some(req) {
        return None; // a retry after a redirect
    }
    let mut h = Recorded::clone(h);
    h.invoked.insert(env.src, *req);
    // A collection command, a WATCH and a MULTI are recorded as the
    // client's operation itself.
    let op = op_of(cmd).or_else(|| {
        let op = client_op(cfg, env.src, *req)?;
        matches!(op, Op::Cmd(_) | Op::Watch(..) | Op::Multi(..)).then(|| op.clone())
    })?;
    let _ = h.tester.on_invoke(env.src, op);
    Some(h.into())
}

pub(super) fn record_in(cfg: &ModelCfg, h: &History, env: Envelope<&Msg>) -> Option<History> {
    if usize::from(env.dst) < cfg.nodes {
        return None;
    }
    let Msg::Client(ClientMsg::Reply { req, reply }) = env.msg else {
        return None;
    };
    if h.invoked.get(&env.dst) != Some(req) || crate::node::is_script_gave_up(reply) {
        return None;
    }
    // The node answers WATCH with its snapshot (`[ts, [live…]]`) for the
    // client to keep; the client's caller sees OK.
    let ret = match (client_op(cfg, env.dst, *req), reply) {
        (Some(Op::Watch(..)), Reply::Array(_)) => Ret::Ok,
        _ => ret_of(reply)?,
    };
    let mut h = Recorded::clone(h);
    h.invoked.remove(&env.dst);
    let _ = h.tester.on_return(env.dst, ret);
    h.linearizable = h.linearizable && is_linearizable(&h.tester);
    Some(h.into())
}

/// The configured operation of client actor `id`'s request `req`.
fn client_op(cfg: &ModelCfg, id: Id, req: ReqId) -> Option<&Op> {
    let client = usize::from(id).checked_sub(cfg.nodes)?;
    let (op, _) = cfg.clients.get(client)?.get(usize::try_from(req).ok()?)?;
    Some(op)
}

type Tester = LinearizabilityTester<Id, KvSpec>;

/// Whether `tester`'s history is linearizable, remembered per thread: the
/// checker meets the same few histories in a great many states (searching
/// them again was 7% of a check of `base.toml`). Keyed by the whole tester,
/// so the cache is exact; cleared when it grows large.
fn is_linearizable(tester: &Tester) -> bool {
    const MAX_CACHED: usize = 1 << 16;
    thread_local! {
        static VERDICTS: RefCell<HashMap<Tester, bool, ahash::RandomState>> =
            RefCell::new(HashMap::default());
    }
    VERDICTS.with_borrow_mut(|cache| {
        if let Some(&v) = cache.get(tester) {
            return v;
        }
        let v = tester.serialized_history().is_some();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(tester.clone(), v);
        v
    })
}
