//! The model: N nodes (the very [`Node`] actor the server runs) and M clients
//! over a configurable network, checked by stateright.
//!
//! - [`config`]: `model/*.toml` — setup, modes, bounds, expected verdict.
//! - [`spec`]: the sequential specification (a plain map).
//! - [`check`]: running a check, shortest stable counterexamples, traces,
//!   simulation and the explorer.
//!
//! Clients run a fixed list of GET/SET/DEL operations one at a time, follow
//! redirects, and record every invocation and answer in a
//! `LinearizabilityTester`. An `Uncertain` answer (leadership lost after the
//! write was proposed) leaves the operation in flight forever: it may or may
//! not have happened, never "failed".

pub mod check;
pub mod config;
pub mod spec;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use stateright::actor::{
    Actor, ActorModel, ActorModelState, Envelope, Id, LossyNetwork, Network, Out,
};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};
use stateright::Expectation;

use crate::cmd::scripting::ScriptRef;
use crate::cmd::{Command, Op as CmdOp};
use crate::node::{Durable, Msg, Node, NodeState, ReqId, Role, Timer};
use crate::resp::Reply;
pub use config::{ModelCfg, ModelFile, NetworkKind, PlantForm, PlantTtl};
use spec::{KvSpec, Op, Ret};

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
}

impl Client {
    fn request(&self, i: usize) -> Msg {
        let cmd = match &self.ops[i].0 {
            Op::Get(k) => Command::get(Bytes::from(k.clone())),
            Op::Set(k, v) => Command::set(Bytes::from(k.clone()), Bytes::from(v.clone())),
            Op::Del(k) => Command::del(vec![Bytes::from(k.clone())]),
            Op::Script(body) => Command::eval(Bytes::from(body.clone())),
        };
        Msg::Request {
            req: i as ReqId,
            now_ms: MODEL_NOW_MS,
            cmd,
            session: true,
        }
    }
}

/// Nodes and clients share one actor type in the model.
#[derive(Clone, Debug)]
pub enum ModelActor {
    Node(Node),
    Client(Client),
}

// Node states dominate the model; boxing them would add an allocation per
// state for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModelState {
    Node(NodeState),
    Client(ClientState),
}

impl ModelState {
    pub fn node(&self) -> Option<&NodeState> {
        match self {
            ModelState::Node(s) => Some(s),
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
            ModelActor::Node(node) => {
                let mut inner = Out::new();
                let s = node.on_start(id, storage, &mut inner);
                o.append(&mut inner);
                ModelState::Node(s)
            }
            ModelActor::Client(c) => {
                let target = c.ops.first().and_then(|(_, n)| *n).unwrap_or(c.first_node);
                if !c.ops.is_empty() {
                    o.send(target, c.request(0));
                }
                ModelState::Client(ClientState {
                    next: 0,
                    target,
                    stuck: false,
                })
            }
        }
    }

    fn on_msg(&self, id: Id, state: &mut Cow<ModelState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        match (self, &**state) {
            (ModelActor::Node(node), ModelState::Node(s)) => {
                let mut inner_state = Cow::Borrowed(s);
                let mut inner = Out::new();
                node.on_msg(id, &mut inner_state, src, msg, &mut inner);
                o.append(&mut inner);
                if let Cow::Owned(s) = inner_state {
                    *state = Cow::Owned(ModelState::Node(s));
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
                    Msg::Reply { reply, .. } if crate::node::is_script_gave_up(&reply) => {
                        s.stuck = true
                    }
                    Msg::Reply { .. } => {
                        s.next += 1;
                        if s.next < c.ops.len() {
                            if let Some(n) = c.ops[s.next].1 {
                                s.target = n;
                            }
                            o.send(s.target, c.request(s.next));
                        }
                    }
                    Msg::Redirect {
                        leader: Some(leader),
                        ..
                    } => {
                        s.target = leader;
                        o.send(s.target, c.request(s.next));
                    }
                    // No leader known (an election is on). A real client backs
                    // off and retries; the model's client gives up instead —
                    // a documented reduction: circling the nodes adds states,
                    // never behaviours. The operation stays in flight, which
                    // the linearizability check treats as "may have happened".
                    Msg::Redirect { leader: None, .. } => s.stuck = true,
                    Msg::Uncertain { .. } => s.stuck = true,
                    _ => return,
                }
                *state = Cow::Owned(ModelState::Client(s));
            }
            _ => {}
        }
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<ModelState>, timer: &Timer, o: &mut Out<Self>) {
        if let (ModelActor::Node(node), ModelState::Node(s)) = (self, &**state) {
            let mut inner_state = Cow::Borrowed(s);
            let mut inner = Out::new();
            node.on_timeout(id, &mut inner_state, timer, &mut inner);
            o.append(&mut inner);
            if let Cow::Owned(s) = inner_state {
                *state = Cow::Owned(ModelState::Node(s));
            }
        }
    }
}

fn msg_req(msg: &Msg) -> Option<ReqId> {
    match msg {
        Msg::Reply { req, .. } | Msg::Redirect { req, .. } | Msg::Uncertain { req } => Some(*req),
        _ => None,
    }
}

/// The recorded history: the tester, plus which request each client has
/// already invoked (a redirected request is re-sent, not re-invoked).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct History {
    pub tester: LinearizabilityTester<Id, KvSpec>,
    invoked: BTreeMap<Id, ReqId>,
    /// The tester's verdict, computed when an answer is recorded rather than
    /// on every state (the tester searches the whole history each time). An
    /// invocation alone cannot make a history non-linearizable, as a pending
    /// operation may be left out.
    linearizable: bool,
}

impl History {
    pub fn new(spec: KvSpec) -> Self {
        History {
            tester: LinearizabilityTester::new(spec),
            invoked: BTreeMap::new(),
            linearizable: true,
        }
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

fn ret_of(reply: &Reply) -> Option<Ret> {
    Some(match reply {
        Reply::Bulk(b) => Ret::Value(Some(String::from_utf8_lossy(b).into_owned())),
        Reply::Nil => Ret::Value(None),
        Reply::Status(s) if s == "OK" => Ret::Ok,
        Reply::Integer(n) => Ret::Deleted(*n),
        Reply::Array(items) => Ret::Script(
            items
                .iter()
                .map(|r| match r {
                    Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    Reply::Nil => "nil".into(),
                    Reply::Status(s) => s.clone(),
                    Reply::Integer(n) => n.to_string(),
                    other => format!("{other:?}"),
                })
                .collect(),
        ),
        Reply::Error(e) => Ret::Error(e.clone()),
        _ => return None,
    })
}

fn record_out(cfg: &ModelCfg, h: &History, env: Envelope<&Msg>) -> Option<History> {
    if usize::from(env.src) < cfg.nodes {
        return None;
    }
    let Msg::Request { req, cmd, .. } = env.msg else {
        return None;
    };
    if h.invoked.get(&env.src) == Some(req) {
        return None; // a retry after a redirect
    }
    let mut h = h.clone();
    h.invoked.insert(env.src, *req);
    let _ = h.tester.on_invoke(env.src, op_of(cmd)?);
    Some(h)
}

fn record_in(cfg: &ModelCfg, h: &History, env: Envelope<&Msg>) -> Option<History> {
    if usize::from(env.dst) < cfg.nodes {
        return None;
    }
    let Msg::Reply { req, reply } = env.msg else {
        return None;
    };
    if h.invoked.get(&env.dst) != Some(req) || crate::node::is_script_gave_up(reply) {
        return None;
    }
    let mut h = h.clone();
    h.invoked.remove(&env.dst);
    let _ = h.tester.on_return(env.dst, ret_of(reply)?);
    h.linearizable = h.linearizable && h.tester.serialized_history().is_some();
    Some(h)
}

pub type Model = ActorModel<ModelActor, ModelCfg, History>;
pub type State = ActorModelState<ModelActor, History>;

fn nodes(state: &State) -> impl Iterator<Item = (usize, &NodeState)> {
    state
        .actor_states
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.node().map(|n| (i, n)))
}

/// The property names, shared by configs, tests and the spec.
pub mod props {
    pub const ELECTION_SAFETY: &str = "election safety";
    pub const LOG_MATCHING: &str = "log matching";
    pub const LEADER_COMPLETENESS: &str = "leader completeness";
    pub const APPLIED_PREFIXES_AGREE: &str = "applied prefixes agree";
    pub const LINEARIZABLE: &str = "linearizable";
    pub const LEADER_ELECTED: &str = "a leader is elected";
    pub const LEADERSHIP_CHANGES: &str = "leadership changes";
    pub const READ_AFTER_CHANGE: &str = "a GET is served after a leadership change";
    pub const WRITE_COMMITS: &str = "a write commits";
    pub const SNAPSHOT_INSTALLED: &str = "a follower installs a snapshot";
    pub const ONE_FENCE_PER_SCRIPT: &str = "one fence per script";
    pub const SCRIPT_COMMITS: &str = "a script commits";
    pub const SCRIPT_RETRIED: &str = "a script is retried after a conflict";
    pub const BARE_READ: &str = "a read is served from a bare legacy key";
    pub const SCRIPT_LEADER_LOST: &str = "a leader changes while a script is in flight";
    pub const SCRIPT_GAVE_UP: &str = "a script gives up after conflicts";
    /// The sometimes-properties a config opts into with `witness = [...]`.
    pub const WITNESSES: &[&str] = &[
        SCRIPT_COMMITS,
        SCRIPT_RETRIED,
        BARE_READ,
        SCRIPT_LEADER_LOST,
        SCRIPT_GAVE_UP,
    ];
}

impl ModelCfg {
    /// Assemble the stateright model with every property.
    pub fn into_model(self) -> Model {
        let peers: Vec<Id> = (0..self.nodes).map(Id::from).collect();
        let mut node = Node::new(peers);
        node.modes = self.modes;
        node.propose_expiry = false;
        node.heartbeats = false;
        node.election_timer = self.election_timer;
        node.forward = self.forward;
        node.compact_after = self.compact_after;
        node.script_retries = self.script_retries;
        node.genesis = self.genesis();
        let clients: Vec<Client> = self
            .clients
            .iter()
            .enumerate()
            .map(|(i, ops)| Client {
                ops: ops
                    .iter()
                    .map(|(op, n)| (op.clone(), n.map(|n| Id::from(n % self.nodes))))
                    .collect(),
                first_node: Id::from(self.client_nodes.get(i).copied().unwrap_or(i) % self.nodes),
                node_count: self.nodes,
            })
            .collect();
        let network = match self.network {
            NetworkKind::Ordered => Network::new_ordered([]),
            NetworkKind::Unordered => Network::new_unordered_nonduplicating([]),
            NetworkKind::Duplicating => Network::new_unordered_duplicating([]),
        };
        let lossy = if self.lossy {
            LossyNetwork::Yes
        } else {
            LossyNetwork::No
        };
        let max_crashes = self.max_crashes;
        let history = History::new(KvSpec::with(self.logical_plants()));
        let mut model = ActorModel::new(self, history)
            .init_network(network)
            .lossy_network(lossy)
            .max_crashes(max_crashes);
        for i in 0..model.cfg.nodes {
            let mut node = node.clone();
            node.campaigns = model.cfg.candidates.as_ref().is_none_or(|c| c.contains(&i));
            model = model.actor(ModelActor::Node(node));
        }
        for c in clients {
            model = model.actor(ModelActor::Client(c));
        }
        model
            .record_msg_out(record_out)
            .record_msg_in(record_in)
            .within_boundary(within_boundary)
            // Reference: Raft §5.2, Figure 3 "Election Safety".
            .property(Expectation::Always, props::ELECTION_SAFETY, |_, s| {
                let mut leaders: Vec<_> = nodes(s)
                    .filter(|(_, n)| n.role == Role::Leader)
                    .map(|(_, n)| n.term())
                    .collect();
                let all = leaders.len();
                leaders.sort_unstable();
                leaders.dedup();
                all == leaders.len()
            })
            // Reference: Raft §5.3, Figure 3 "Log Matching".
            .property(Expectation::Always, props::LOG_MATCHING, |_, s| {
                let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
                ns.iter().enumerate().all(|(i, a)| {
                    ns[i + 1..].iter().all(|b| {
                        let upto = a.log().last_index().min(b.log().last_index());
                        // Find the highest index with equal terms; everything
                        // before it must be equal too.
                        // Compacted entries are committed, so equal (P-4
                        // checks what was applied); compare what both hold.
                        let from = a.log().base_index().max(b.log().base_index()) + 1;
                        (from..=upto)
                            .rev()
                            .find(|&k| a.log().term_at(k) == b.log().term_at(k))
                            .is_none_or(|k| (from..=k).all(|j| a.log().get(j) == b.log().get(j)))
                    })
                })
            })
            // Reference: Raft §5.4, Figure 3 "Leader Completeness": an entry
            // committed anywhere is in the log of every leader of a later term.
            .property(Expectation::Always, props::LEADER_COMPLETENESS, |_, s| {
                let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
                ns.iter().all(|c| {
                    ns.iter().filter(|l| l.role == Role::Leader).all(|l| {
                        // An entry the leader compacted was applied by it.
                        (l.log().base_index() + 1..=c.commit_index).all(|i| {
                            let e = c.log().get(i);
                            e.is_none_or(|e| e.term > l.term() || l.log().get(i) == Some(e))
                        })
                    })
                })
            })
            // Reference: Raft §5.4.3, Figure 3 "State Machine Safety".
            .property(
                Expectation::Always,
                props::APPLIED_PREFIXES_AGREE,
                |_, s| {
                    let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
                    ns.iter().enumerate().all(|(i, a)| {
                        ns[i + 1..].iter().all(|b| {
                            // Entries compacted on either side are no longer
                            // held; `linearizable` covers what they did.
                            let from = a.log().base_index().max(b.log().base_index()) + 1;
                            (from..=a.applied.min(b.applied))
                                .all(|k| a.log().get(k) == b.log().get(k))
                        })
                    })
                },
            )
            // Reference: spec §Linearizability (LIN-1).
            .property(Expectation::Always, props::LINEARIZABLE, |_, s| {
                s.history.linearizable
            })
            .property(Expectation::Sometimes, props::LEADER_ELECTED, |_, s| {
                nodes(s).any(|(_, n)| n.role == Role::Leader)
            })
            // A run bounded to one term (max_term = 1) rules leadership
            // changes out on purpose: these two then hold trivially.
            .property(Expectation::Sometimes, props::LEADERSHIP_CHANGES, |m, s| {
                m.cfg.max_term < 2 || nodes(s).any(|(_, n)| n.role == Role::Leader && n.term() >= 2)
            })
            .property(Expectation::Sometimes, props::READ_AFTER_CHANGE, |m, s| {
                m.cfg.max_term < 2 || nodes(s).any(|(_, n)| n.stats.last_read_term >= 2)
            })
            // Only where compaction is on: elsewhere the initial state counts.
            .property(Expectation::Sometimes, props::SNAPSHOT_INSTALLED, |m, s| {
                m.cfg.compact_after == 0 || nodes(s).any(|(_, n)| n.stats.snapshots_installed > 0)
            })
            // Reference: spec §Scripts (SC-1): in once mode a script passes
            // exactly one fence per run. Per-call mode breaks it by design
            // (model/script-per-call.toml), which shows the check can fail.
            .property(Expectation::Always, props::ONE_FENCE_PER_SCRIPT, |_, s| {
                nodes(s).all(|(_, n)| n.stats.script_fences == n.stats.script_attempts)
            })
            .property(Expectation::Sometimes, props::SCRIPT_COMMITS, |m, s| {
                witnessed(m, s, props::SCRIPT_COMMITS, |st| st.script_commits > 0)
            })
            .property(Expectation::Sometimes, props::SCRIPT_RETRIED, |m, s| {
                witnessed(m, s, props::SCRIPT_RETRIED, |st| st.script_retries > 0)
            })
            .property(Expectation::Sometimes, props::SCRIPT_LEADER_LOST, |m, s| {
                witnessed(m, s, props::SCRIPT_LEADER_LOST, |st| {
                    st.scripts_abandoned > 0
                })
            })
            .property(Expectation::Sometimes, props::SCRIPT_GAVE_UP, |m, s| {
                witnessed(m, s, props::SCRIPT_GAVE_UP, |st| st.scripts_gave_up > 0)
            })
            .property(Expectation::Sometimes, props::BARE_READ, |m, s| {
                witnessed(m, s, props::BARE_READ, |st| st.script_bare_reads > 0)
            })
            .property(Expectation::Sometimes, props::WRITE_COMMITS, |_, s| {
                nodes(s).any(|(_, n)| {
                    (1..=n.commit_index).any(|i| {
                        matches!(
                            n.log().get(i).map(|e| &e.payload),
                            Some(
                                crate::raft::Payload::Command { .. }
                                    | crate::raft::Payload::Txn { .. }
                            )
                        )
                    })
                })
            })
    }
}

impl ModelCfg {
    /// Every replica's initial data: the planted legacy keys, and every
    /// script the clients run, already in the script cache.
    pub fn genesis(&self) -> im::OrdMap<Bytes, Bytes> {
        use crate::strings::encoding::{encode_str, encode_ttl, str_key, ttl_key};
        let mut g = im::OrdMap::new();
        for p in &self.plant {
            let key = p.key.as_bytes();
            let at = p.ttl.map(|t| match t {
                PlantTtl::Past => 1,
                PlantTtl::Future => MODEL_NOW_MS * 1000,
            });
            let value = Bytes::from(p.value.clone());
            match p.form {
                PlantForm::Current => {
                    g.insert(str_key(key), encode_str(&value, at));
                }
                PlantForm::LegacyPayload => {
                    g.insert(str_key(key), value);
                }
                PlantForm::Bare => {
                    g.insert(Bytes::copy_from_slice(key), value);
                }
            }
            if let (Some(at), false) = (at, p.form == PlantForm::Current) {
                g.insert(ttl_key(key), encode_ttl(at));
            }
        }
        for (op, _) in self.clients.iter().flatten() {
            if let Op::Script(body) = op {
                let sha = crate::script::context::sha1_hex(body.as_bytes());
                g.insert(
                    crate::script::context::script_key(&sha),
                    Bytes::from(body.clone()),
                );
            }
        }
        g
    }

    /// What a client should see of the planted keys, decided from the
    /// design's table (spec §ReadChain), not by the read chain: a prefixed
    /// form wins, even expired; a bare key counts only without one; an
    /// expired form is absent.
    pub fn logical_plants(&self) -> Vec<(String, String)> {
        let mut keys: Vec<&str> = self.plant.iter().map(|p| p.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .filter_map(|k| {
                let forms: Vec<&config::Plant> = self.plant.iter().filter(|p| p.key == k).collect();
                let index_ttl = forms
                    .iter()
                    .filter(|p| p.form != PlantForm::Current)
                    .find_map(|p| p.ttl);
                let live = |ttl: Option<PlantTtl>| ttl != Some(PlantTtl::Past);
                let prefixed = forms.iter().find(|p| p.form != PlantForm::Bare);
                let v = match prefixed {
                    Some(p) if p.form == PlantForm::Current => live(p.ttl).then(|| p.value.clone()),
                    Some(p) => live(index_ttl).then(|| p.value.clone()),
                    None => forms
                        .iter()
                        .find(|p| p.form == PlantForm::Bare)
                        .filter(|_| live(index_ttl))
                        .map(|p| p.value.clone()),
                };
                v.map(|v| (k.to_string(), v))
            })
            .collect()
    }
}

/// An opt-in sometimes-property: trivially true unless the config names it
/// in `witness`, else true once some node's counters show it happened.
fn witnessed(m: &Model, s: &State, name: &str, reached: fn(&crate::node::Stats) -> bool) -> bool {
    !m.cfg.witness.iter().any(|w| w == name) || nodes(s).any(|(_, n)| reached(&n.stats))
}

/// The bounds: terms up to `max_term`, and only nodes crash. stateright
/// crashes any actor; a crashed client would restart its workload from the
/// first operation, which is a new client, not a failure of this protocol.
fn within_boundary(cfg: &ModelCfg, state: &State) -> bool {
    nodes(state).all(|(_, n)| n.term() <= cfg.max_term)
        && state.crashed.iter().skip(cfg.nodes).all(|c| !c)
}

/// Shared handle used by the check module.
pub type SharedModel = Arc<Model>;
