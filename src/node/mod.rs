//! The node: one deterministic state machine that is both the model checker's
//! actor and the real server's core.
//!
//! It glues Raft ([`crate::raft`]), the versioned store ([`crate::mvcc`]) and
//! the keyspace ([`crate::cmd`], [`crate::strings`]) into stateright's
//! `on_start`/`on_msg`/`on_timeout`. Nothing here touches a clock, a socket or
//! a disk: time arrives in messages (`now_ms`), durability is the `Save`
//! command, and the server's runtime (`crate::server`) carries out what the
//! node asks for — the same calls the checker makes.
//!
//! Reads follow the fence (spec §6, Actions): leader only; wait for an entry
//! of the current term to commit; `read_index = commit_index`; a heartbeat
//! round that starts after the read arrived, acknowledged by a majority; then
//! `applied ≥ read_index`; then `start_ts = applied` and a snapshot read.
//! Writes are log entries; the reply leaves after the entry applies.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`Node`], [`NodeConfig`], the `Actor` impl (dispatch only) |
//! | `step.rs` | the step context every handler works through |
//! | `msg.rs` | client and peer messages, timers |
//! | `state.rs` | [`NodeState`], [`Durable`], [`RaftSnapshot`], [`Stats`] |
//! | `client.rs` | requests: forward or redirect, dedup, propose, queue reads |
//! | `election.rs` | votes, terms, stepping down, taking office |
//! | `replication.rs` | AppendEntries, InstallSnapshot, commit |
//! | `quorum.rs` | the value a majority reached |
//! | `peer_map.rs` | per-peer values and sets of peers |
//! | `fence.rs` | read index, fence rounds, serving ready reads |
//! | `follower_read.rs` | follower reads: asking the leader for a read index |
//! | `stale.rs` | answers a node ignores for good (the model drops them) |
//! | `relabel.rs` | the same state with nodes renamed (the model's symmetry) |
//! | `script.rs` | script runs, the OCC commit's outcome, retries |
//! | `apply.rs` | applying committed entries |
//! | `blocking.rs` | parked blocking pops: re-proposal, timeouts |
//! | `compaction.rs` | snapshot and log compaction |
//! | `expiry.rs` | active and lazy expiry |

mod apply;
mod blocking;
mod client;
mod compaction;
mod election;
mod expiry;
mod fence;
mod follower_read;
mod msg;
mod peer_map;
mod quorum;
mod relabel;
mod replication;
mod script;
#[cfg(test)]
mod single_node;
mod stale;
mod state;
mod step;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use stateright::actor::{majority, Actor, Id, Out};

use crate::modes::Modes;
use crate::mvcc::Mvcc;
use crate::script::Engine;

pub use apply::{apply_entry, Applied};
pub use blocking::UNBLOCKED_LEADER_CHANGED;
pub use msg::{
    AppendEntries, AppendResult, ClientMsg, Forwarded, InstallSnapshot, Msg, PeerMsg, ReadIndexAsk,
    ReadIndexGrant, ReqId, Request, RequestVote, Timer, Unblock, Vote,
};
pub use peer_map::{PeerMap, PeerSet};
pub use script::{is_script_gave_up, script_gave_up};
pub use state::{
    AppliedSeqs, Durable, NodeState, Parked, PendingRead, PendingTxn, RaftSnapshot, ReadAsk, Role,
    ScriptRun, Stats,
};
use step::Step;

/// How a node runs: its modes, timers, retries and the model's reductions.
/// The server and the model each build one and hand it to [`Node::new`].
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub modes: Modes,
    pub election_timeout: Range<Duration>,
    pub heartbeat_interval: Duration,
    /// Lease mode: how long after a round is sent (by the leader's clock)
    /// its majority's acknowledgement lets the leader serve reads without
    /// a round. Must be below the minimum election timeout by the clocks'
    /// worst drift over it, and a margin ([`NodeConfig::lease_for`]).
    pub lease: Duration,
    /// Whether the leader proposes deletions of expired keys (lazily, when a
    /// read finds one, and actively on `Tick`). Off in the model, where expiry
    /// times are far past or far future and deletion adds only states.
    pub propose_expiry: bool,
    /// Keys examined per `Tick` by active expiry.
    pub expiry_batch: usize,
    /// Whether a leader sends periodic heartbeats. The model turns them off:
    /// safety never depends on them, and every timer firing is a branch.
    pub heartbeats: bool,
    pub election_timer: ElectionTimer,
    /// Whether a passed quorum check opens a new window (check-quorum): the
    /// server's leader must hear from a majority again within the next
    /// election timeout. A model reduction turns it off: a leader then steps
    /// down only if no majority answered it since it took office. Every
    /// step-down is safe, so this drops behaviours, never adds one; it keeps
    /// a model without heartbeats from deposing every idle leader.
    pub quorum_check_windows: bool,
    /// Whether this node ever starts an election. Always true in the server;
    /// a model reduction lets configs name the nodes that may campaign.
    pub campaigns: bool,
    /// Whether a follower that knows the leader forwards requests to it
    /// (the server) or answers `Redirect` for the client to follow (most
    /// model configs: one hop fewer, the same decisions at the leader).
    pub forward: bool,
    /// Take a snapshot and compact the log once this many applied entries
    /// follow the last snapshot (0: never).
    pub compact_after: crate::raft::Index,
    /// Also wait until the log holds half as many entries past the snapshot
    /// as the store holds keys (the server): a snapshot walks the whole
    /// store (GC, export, the durable write), so this keeps its cost O(1)
    /// per entry however large the store grows (half, not all: a store that
    /// gains a key per entry must still compact, at doubling indexes). The model compacts at exactly
    /// `compact_after`.
    pub compact_scales_with_store: bool,
    /// Runs scripts: Lua in the server, the op-list engine in the model.
    pub engine: Arc<dyn Engine>,
    /// How often a script whose commit conflicted is run again before it
    /// answers an error.
    pub script_retries: u32,
    /// The data every replica starts from (the model plants legacy
    /// encodings here); written at timestamp 0.
    pub genesis: im::OrdMap<Bytes, Bytes>,
}

impl Default for NodeConfig {
    /// The server's settings.
    fn default() -> Self {
        NodeConfig {
            modes: Modes::default(),
            election_timeout: Duration::from_millis(150)..Duration::from_millis(300),
            heartbeat_interval: Duration::from_millis(50),
            lease: NodeConfig::lease_for(
                Duration::from_millis(150),
                0.01,
                Duration::from_millis(10),
            ),
            propose_expiry: true,
            expiry_batch: 20,
            heartbeats: true,
            election_timer: ElectionTimer::Always,
            quorum_check_windows: true,
            campaigns: true,
            forward: true,
            compact_after: 10_000,
            compact_scales_with_store: true,
            engine: Arc::new(crate::script::ops::OpsEngine),
            script_retries: 8,
            genesis: im::OrdMap::new(),
        }
    }
}

impl NodeConfig {
    /// The lease for a minimum election timeout, a bound on how much two
    /// nodes' clock rates may differ (a fraction) and a margin:
    /// `election_min · (1 − drift) − margin`, never negative.
    pub fn lease_for(election_min: Duration, drift: f64, margin: Duration) -> Duration {
        election_min
            .mul_f64((1.0 - drift).clamp(0.0, 1.0))
            .saturating_sub(margin)
    }

    fn ms(d: Duration) -> u64 {
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod lease_tests {
    use super::*;

    #[test]
    fn the_lease_is_the_election_timeout_less_drift_and_margin() {
        let ms = Duration::from_millis;
        assert_eq!(NodeConfig::lease_for(ms(300), 0.01, ms(10)), ms(287));
        assert_eq!(NodeConfig::lease_for(ms(300), 0.0, ms(0)), ms(300));
        // Never negative, whatever the flags say.
        assert_eq!(NodeConfig::lease_for(ms(5), 0.5, ms(10)), ms(0));
        assert_eq!(NodeConfig::lease_for(ms(300), 2.0, ms(0)), ms(0));
    }
}

/// When a node's election timer runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElectionTimer {
    /// Always, as in Raft: a follower that stops hearing from its leader
    /// starts an election.
    #[default]
    Always,
    /// A documented model reduction: only while the node knows no leader of
    /// its term. Elections still happen (at start, after a node learns a
    /// higher term), so leadership can change; a leader's silence alone does
    /// not start one. About 14× fewer states on `base.toml`.
    WithoutLeader,
}

/// One node of a cluster: who its peers are and how it runs.
#[derive(Clone, Debug)]
pub struct Node {
    /// Every node of the cluster, this one included, in id order.
    peers: Vec<Id>,
    config: NodeConfig,
}

impl Node {
    pub fn new(peers: Vec<Id>, config: NodeConfig) -> Self {
        Node { peers, config }
    }

    pub fn peers(&self) -> &[Id] {
        &self.peers
    }

    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    fn quorum(&self) -> usize {
        majority(self.peers.len())
    }

    fn others(&self, id: Id) -> impl Iterator<Item = Id> + '_ {
        self.peers.iter().copied().filter(move |p| *p != id)
    }

    fn is_peer(&self, id: Id) -> bool {
        self.peers.contains(&id)
    }

    fn heartbeat_range(&self) -> Range<Duration> {
        self.config.heartbeat_interval..self.config.heartbeat_interval
    }
}

impl Actor for Node {
    type Msg = Msg;
    type Timer = Timer;
    type State = NodeState;
    type Storage = Durable;
    type Random = ();

    fn on_start(&self, id: Id, storage: &Option<Durable>, o: &mut Out<Self>) -> NodeState {
        let durable = storage.clone().unwrap_or_default();
        let (store, applied, applied_seqs) = match &durable.snapshot {
            Some(snap) => (snap.restore(), snap.index, snap.applied_seqs.clone()),
            None => (
                Mvcc::import(
                    &self
                        .config
                        .genesis
                        .iter()
                        .map(|(k, v)| (k.clone(), (0, Some(v.clone()))))
                        .collect(),
                ),
                0,
                im::OrdMap::new(),
            ),
        };
        let mut state = NodeState::new(durable, store, applied, applied_seqs);
        // A node that (re)starts may have acknowledged a lease it no longer
        // remembers: it votes for no one for an election timeout.
        state.sticky_until = NodeConfig::ms(self.config.election_timeout.start);
        let mut state = Cow::Owned(state);
        let mut step = Step::new(self, id, &mut state, o);
        if self.peers.len() == 1 {
            // A cluster of one is its own majority: the election is decided.
            step.start_election();
        } else {
            step.arm_election();
        }
        state.into_owned()
    }

    fn on_msg(&self, id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        let mut step = Step::new(self, id, state, o);
        match msg {
            Msg::Client(ClientMsg::Request(r)) => step.on_request(src, r, false),
            Msg::Client(ClientMsg::Forwarded(f)) if self.is_peer(src) => {
                step.on_request(f.client, f.request, true)
            }
            Msg::Client(ClientMsg::Unblock { client, req, how })
                if src == client || self.is_peer(src) =>
            {
                step.unblock(client, req, how, src == client)
            }
            Msg::Tick { now_ms } => step.on_tick(now_ms),
            // Only the node's own runtime (or the model) tells its time.
            Msg::Clock { now } if src == id => step.on_clock(now),
            Msg::Peer(m) if self.is_peer(src) => match m {
                PeerMsg::RequestVote(m) => step.on_request_vote(src, m),
                PeerMsg::Vote(m) => step.on_vote(src, m),
                PeerMsg::AppendEntries(m) => step.on_append_entries(src, m),
                PeerMsg::InstallSnapshot(m) => step.on_install_snapshot(src, m),
                PeerMsg::AppendResult(m) => step.on_append_result(src, m),
                PeerMsg::PreVote(m) => step.on_pre_vote(src, m),
                PeerMsg::PreVoteResult(m) => step.on_pre_vote_result(src, m),
                PeerMsg::ReadIndex(m) => step.on_read_index(src, m),
                PeerMsg::ReadIndexResult(m) => step.on_read_index_result(src, m),
            },
            // Answers are for clients; a node ignores them (and anything
            // peer-only from a non-peer).
            _ => {}
        }
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<NodeState>, timer: &Timer, o: &mut Out<Self>) {
        let mut step = Step::new(self, id, state, o);
        match timer {
            Timer::Election => step.on_election_timeout(),
            Timer::Heartbeat => step.on_heartbeat(),
            Timer::Apply => {
                step.apply_committed();
                step.advance_reads();
            }
            Timer::CheckQuorum => step.on_check_quorum(),
            Timer::Clock => {}
        }
    }
}
