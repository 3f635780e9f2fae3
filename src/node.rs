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
//! Reads follow the fence of spec §Fence: leader only; wait for an entry of the
//! current term to commit; `read_index = commit_index`; a heartbeat round that
//! starts after the read arrived, acknowledged by a majority; then
//! `applied ≥ read_index`; then `start_ts = applied` and a snapshot read.
//! Writes are log entries; the reply leaves after the entry applies.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use stateright::actor::{majority, Actor, Id, Out};

use crate::cmd::scripting::{ScriptRef, NOSCRIPT};
use crate::cmd::{self, Command, Kind, Op};
use crate::modes::{ApplyWait, Dedup, Modes, ReadFence, ReadSetValidation, StartTs, TermCommit};
use crate::mvcc::{Mvcc, Ts};
use crate::raft::{Entry, Index, Log, Payload, Session, Term};
use crate::resp::Reply;
use crate::script::context::{script_key, sha1_hex, ScriptCtx, SCRIPT_PREFIX};
use crate::script::{Engine, Invocation};
use crate::strings::encoding::{decode_ttl, TTL_PREFIX};
use crate::strings::keyspace::ApplyAt;
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet};

/// A client's request number, echoed in the answer.
pub type ReqId = u64;

/// Everything a node sends or receives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Msg {
    // ---- clients ----
    /// A parsed command, stamped with the accepting side's clock (unix ms).
    Request {
        req: ReqId,
        now_ms: u64,
        cmd: Command,
        /// The sender is a session (Raft thesis §6.3): one request in flight,
        /// numbered upwards, so a duplicate delivery is recognised and applied
        /// at most once. The model's clients are sessions; the server's
        /// connections are not (RESP has no request ids, and TCP does not
        /// duplicate).
        session: bool,
    },
    /// A follower passes a client's request to the leader it knows; the
    /// leader answers `client` directly (the runtime routes the answer to the
    /// node that holds the connection). Forwarded at most once: a node that
    /// no longer leads answers `Redirect`.
    Forwarded {
        client: Id,
        req: ReqId,
        now_ms: u64,
        cmd: Command,
        session: bool,
    },
    /// The answer to a request.
    Reply {
        req: ReqId,
        reply: Reply,
    },
    /// This node does not lead; try `leader` (if known). Nothing happened.
    Redirect {
        req: ReqId,
        leader: Option<Id>,
    },
    /// Leadership was lost after the write was proposed: it may or may not
    /// take effect. Never a definite failure.
    Uncertain {
        req: ReqId,
    },

    // ---- the runtime ----
    /// Time passes: the leader proposes deletions of keys that expired.
    Tick {
        now_ms: u64,
    },

    // ---- Raft (§5) ----
    RequestVote {
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
    },
    Vote {
        term: Term,
        granted: bool,
    },
    /// Replication and heartbeat. `round` is the leader's latest fence round:
    /// an acknowledgement carrying it proves leadership as of that round.
    AppendEntries {
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: Vec<Entry>,
        leader_commit: Index,
        round: u64,
    },
    /// A follower needs entries the leader compacted: here is the state
    /// machine as of the leader's log base (Raft §7). Answered with
    /// `AppendResult`, like an append.
    InstallSnapshot {
        term: Term,
        snapshot: Snapshot,
        leader_commit: Index,
        round: u64,
    },
    AppendResult {
        term: Term,
        success: bool,
        /// On success, the follower's last matching index; on failure, a hint
        /// (the follower's last index) so the leader can back off at once.
        match_index: Index,
        round: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Timer {
    /// A follower or candidate that hears nothing starts an election.
    Election,
    /// A leader sends AppendEntries to every peer.
    Heartbeat,
    /// Apply committed entries. Apply is its own step, as in a real server
    /// where it runs behind commit: the model must see `applied < commit_index`
    /// to show why reads wait for apply.
    Apply,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// What must be on disk before the node acts on it (Raft Figure 2,
/// "persistent state on all servers").
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Durable {
    pub term: Term,
    pub voted_for: Option<Id>,
    pub log: Log,
    /// The state machine as of the log's base (Raft §7); `None` until the
    /// first compaction.
    pub snapshot: Option<Snapshot>,
}

/// A snapshot of the state machine (Raft §7): every internal key's newest
/// version as of entry `index` with the timestamp that wrote it (recent
/// tombstones included, so a restored replica validates script commits
/// exactly like one that applied the log), and the session table. The log
/// keeps only what follows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Snapshot {
    pub index: Index,
    pub term: Term,
    pub data: im::OrdMap<Bytes, (Ts, Option<Bytes>)>,
    pub sessions: im::OrdMap<Id, (ReqId, Reply)>,
}

impl Snapshot {
    /// The MVCC store this snapshot describes.
    pub fn restore(&self) -> Mvcc {
        Mvcc::import(&self.data)
    }
}

/// Where a script is in its run: fenced how often, reading at which
/// `start_ts` (pinned while it runs), on which attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScriptRun {
    pub start_ts: Option<Ts>,
    /// Fences passed in this attempt (per-call mode: one per read command).
    pub fences: u32,
    /// 0 for the first run; each conflict on commit adds one.
    pub attempt: u32,
}

/// A script whose `Txn` entry is in the log, waiting to apply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PendingTxn {
    pub client: Id,
    pub req: ReqId,
    pub now_ms: u64,
    pub cmd: Command,
    pub session: bool,
    pub attempt: u32,
}

/// What applying a `Txn` that failed validation answers (never sent to a
/// client: the leader retries the script or answers [`script_gave_up`]).
pub const TXN_CONFLICT: &str = "CONFLICT";

/// Whether `reply` is [`script_gave_up`]'s.
pub fn is_script_gave_up(reply: &Reply) -> bool {
    reply
        .error_text()
        .is_some_and(|e| e.starts_with("TRYAGAIN script conflicted"))
}

/// The error a script gets after `attempts` runs that all conflicted.
pub fn script_gave_up(attempts: u32) -> Reply {
    Reply::err(format!(
        "TRYAGAIN script conflicted with concurrent writes on {attempts} attempts; nothing was written"
    ))
}

/// A read waiting for its fence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PendingRead {
    pub client: Id,
    pub req: ReqId,
    pub now_ms: u64,
    pub cmd: Command,
    /// Set once an entry of the current term has committed.
    pub read_index: Option<Index>,
    /// The heartbeat round that must be acknowledged by a majority; assigned
    /// with `read_index`, always a round that starts after the read arrived.
    pub round: Option<u64>,
    /// `start_ts` when taken before the fence (the `BeforeFence` gap), pinned.
    pub early_start_ts: Option<Ts>,
    /// Set for a script (EVAL and friends).
    pub script: Option<ScriptRun>,
    pub session: bool,
}

/// Counters shown by INFO; part of the state so the model can state
/// properties over them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Reads (and scripts) that passed a fence.
    pub read_fences: u64,
    /// Heartbeat rounds that confirmed leadership for fences.
    pub fence_rounds: u64,
    /// Scripts answered (each counted once, however often it ran).
    pub scripts_run: u64,
    /// Fences passed by scripts (once mode: one per attempt; per-call mode:
    /// one per read command).
    pub script_fences: u64,
    /// Script runs that finished (an interrupted per-call run does not).
    pub script_attempts: u64,
    /// Script commits rejected by validation on this leader.
    pub script_conflicts: u64,
    /// Script commits applied on this leader.
    pub script_commits: u64,
    /// Values scripts read from bare legacy keys.
    pub script_bare_reads: u64,
    /// Scripts in flight (queued, or their `Txn` in the log) when this node
    /// lost leadership.
    pub scripts_abandoned: u64,
    /// Scripts answered TRYAGAIN after every run conflicted.
    pub scripts_gave_up: u64,
    pub script_retries: u64,
    /// Snapshots received from a leader and installed.
    pub snapshots_installed: u64,
    /// The term in which this node last served a read (for the model's
    /// "a GET is served after a leadership change").
    pub last_read_term: Term,
}

/// The state of one node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeState {
    pub role: Role,
    pub durable: Durable,
    pub leader: Option<Id>,
    pub commit_index: Index,
    pub applied: Index,
    pub store: Mvcc,
    // Candidate
    pub votes: BTreeSet<Id>,
    // Leader
    pub next_index: im::OrdMap<Id, Index>,
    pub match_index: im::OrdMap<Id, Index>,
    /// The index of this leader's no-op: reads wait until it commits.
    pub term_start: Index,
    /// The newest fence round started, and the newest each peer acknowledged.
    pub round: u64,
    pub round_acks: im::OrdMap<Id, u64>,
    /// The newest round a majority acknowledged.
    pub confirmed_round: u64,
    /// Reads and scripts waiting for their fence. A plain `Vec`: it holds a
    /// few entries at a time, and `im::Vector` copied whole chunks of these
    /// large elements on every push (10% of the server's time under EVALSHA).
    pub reads: Vec<PendingRead>,
    /// Writes waiting for their entry to apply: index → (client, request).
    pub writes: im::OrdMap<Index, (Id, ReqId)>,
    /// Scripts waiting for their `Txn` entry to apply.
    pub txns: im::OrdMap<Index, PendingTxn>,
    /// Where active expiry resumes in the TTL index (empty: the start).
    pub expiry_cursor: Bytes,
    /// Part of the applied state: each session's newest applied write and its
    /// reply (thesis §6.3).
    pub sessions: im::OrdMap<Id, (ReqId, Reply)>,
    /// A leader's newest read accepted per session, so a duplicated read
    /// request does not start another fence.
    pub session_reads: im::OrdMap<Id, ReqId>,
    pub stats: Stats,
}

impl NodeState {
    pub fn term(&self) -> Term {
        self.durable.term
    }
    pub fn log(&self) -> &Log {
        &self.durable.log
    }
    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
}

/// The node's configuration: who its peers are and which modes it runs.
#[derive(Clone, Debug)]
pub struct Node {
    /// Every node of the cluster, this one included, in id order.
    pub peers: Vec<Id>,
    pub modes: Modes,
    pub election_timeout: Range<Duration>,
    pub heartbeat_interval: Duration,
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
    /// Whether this node ever starts an election. Always true in the server;
    /// a model reduction lets configs name the nodes that may campaign.
    pub campaigns: bool,
    /// Whether a follower that knows the leader forwards requests to it
    /// (the server) or answers `Redirect` for the client to follow (most
    /// model configs: one hop fewer, the same decisions at the leader).
    pub forward: bool,
    /// Take a snapshot and compact the log once this many applied entries
    /// follow the last snapshot (0: never).
    pub compact_after: Index,
    /// Runs scripts: Lua in the server, the op-list engine in the model.
    pub engine: Arc<dyn Engine>,
    /// How often a script whose commit conflicted is run again before it
    /// answers an error.
    pub script_retries: u32,
    /// The data every replica starts from (the model plants legacy
    /// encodings here); written at timestamp 0.
    pub genesis: im::OrdMap<Bytes, Bytes>,
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
    /// not start one. About 14× fewer states (../shared/reference/model-sizing.md).
    WithoutLeader,
}

impl Node {
    pub fn new(peers: Vec<Id>) -> Self {
        Node {
            peers,
            modes: Modes::default(),
            election_timeout: Duration::from_millis(150)..Duration::from_millis(300),
            heartbeat_interval: Duration::from_millis(50),
            propose_expiry: true,
            expiry_batch: 20,
            heartbeats: true,
            election_timer: ElectionTimer::Always,
            campaigns: true,
            forward: true,
            compact_after: 10_000,
            engine: Arc::new(crate::script::ops::OpsEngine),
            script_retries: 8,
            genesis: im::OrdMap::new(),
        }
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
}

impl Actor for Node {
    type Msg = Msg;
    type Timer = Timer;
    type State = NodeState;
    type Storage = Durable;
    type Random = ();

    fn on_start(&self, id: Id, storage: &Option<Durable>, o: &mut Out<Self>) -> NodeState {
        let durable = storage.clone().unwrap_or_default();
        let (store, applied, sessions) = match &durable.snapshot {
            Some(snap) => (snap.restore(), snap.index, snap.sessions.clone()),
            None => (
                Mvcc::import(
                    &self
                        .genesis
                        .iter()
                        .map(|(k, v)| (k.clone(), (0, Some(v.clone()))))
                        .collect(),
                ),
                0,
                im::OrdMap::new(),
            ),
        };
        let mut state = NodeState {
            role: Role::Follower,
            durable,
            leader: None,
            commit_index: applied,
            applied,
            store,
            votes: BTreeSet::new(),
            next_index: im::OrdMap::new(),
            match_index: im::OrdMap::new(),
            term_start: 0,
            round: 0,
            round_acks: im::OrdMap::new(),
            confirmed_round: 0,
            reads: Vec::new(),
            writes: im::OrdMap::new(),
            txns: im::OrdMap::new(),
            expiry_cursor: Bytes::new(),
            sessions,
            session_reads: im::OrdMap::new(),
            stats: Stats::default(),
        };
        if self.peers.len() == 1 {
            // A cluster of one is its own majority: the election is decided.
            let mut cow = Cow::Owned(state);
            self.start_election(id, &mut cow, o);
            state = cow.into_owned();
        } else {
            self.arm_election(o);
        }
        state
    }

    fn on_msg(&self, id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        match msg {
            Msg::Request {
                req,
                now_ms,
                cmd,
                session,
            } => self.on_request(id, state, src, req, now_ms, cmd, session, false, o),
            Msg::Forwarded {
                client,
                req,
                now_ms,
                cmd,
                session,
            } if self.is_peer(src) => {
                self.on_request(id, state, client, req, now_ms, cmd, session, true, o)
            }
            Msg::Tick { now_ms } => self.on_tick(id, state, now_ms, o),
            Msg::RequestVote {
                term,
                last_log_index,
                last_log_term,
            } if self.is_peer(src) => {
                self.on_request_vote(id, state, src, term, last_log_index, last_log_term, o)
            }
            Msg::Vote { term, granted } if self.is_peer(src) => {
                self.on_vote(id, state, src, term, granted, o)
            }
            Msg::AppendEntries {
                term,
                prev_index,
                prev_term,
                entries,
                leader_commit,
                round,
            } if self.is_peer(src) => self.on_append_entries(
                id,
                state,
                src,
                term,
                prev_index,
                prev_term,
                entries,
                leader_commit,
                round,
                o,
            ),
            Msg::InstallSnapshot {
                term,
                snapshot,
                leader_commit,
                round,
            } if self.is_peer(src) => {
                self.on_install_snapshot(id, state, src, term, snapshot, leader_commit, round, o)
            }
            Msg::AppendResult {
                term,
                success,
                match_index,
                round,
            } if self.is_peer(src) => {
                self.on_append_result(id, state, src, term, success, match_index, round, o)
            }
            // Answers are for clients; a node ignores them (and anything
            // peer-only from a non-peer).
            _ => {}
        }
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<NodeState>, timer: &Timer, o: &mut Out<Self>) {
        match timer {
            Timer::Election => {
                if state.role != Role::Leader && self.campaigns {
                    self.start_election(id, state, o);
                }
            }
            Timer::Heartbeat => {
                if state.role == Role::Leader {
                    self.broadcast_append(id, state, o);
                    o.set_timer(Timer::Heartbeat, self.heartbeat_range());
                }
            }
            Timer::Apply => {
                self.apply_committed(state, o);
                self.advance_reads(id, state, o);
            }
        }
    }
}

impl Node {
    /// (Re)start the election timer — only on a node that may campaign, so a
    /// model's non-candidates carry no timer that fires for nothing.
    fn arm_election(&self, o: &mut Out<Self>) {
        if self.campaigns {
            o.set_timer(Timer::Election, self.election_timeout.clone());
        }
    }

    fn heartbeat_range(&self) -> Range<Duration> {
        self.heartbeat_interval..self.heartbeat_interval
    }

    // ---------------------------------------------------------------- clients

    #[allow(clippy::too_many_arguments)]
    fn on_request(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        req: ReqId,
        now_ms: u64,
        cmd: Command,
        session: bool,
        forwarded: bool,
        o: &mut Out<Self>,
    ) {
        if state.role != Role::Leader {
            if let Some(leader) = state
                .leader
                .filter(|l| self.forward && !forwarded && *l != id)
            {
                o.send(
                    leader,
                    Msg::Forwarded {
                        client: src,
                        req,
                        now_ms,
                        cmd,
                        session,
                    },
                );
                return;
            }
            o.send(
                src,
                Msg::Redirect {
                    req,
                    leader: state.leader,
                },
            );
            return;
        }
        let session = session && self.modes.dedup == Dedup::Sessions;
        if session {
            match state.sessions.get(&src) {
                Some((last, _)) if req < *last => return, // a stale duplicate
                Some((last, reply)) if req == *last => {
                    o.send(
                        src,
                        Msg::Reply {
                            req,
                            reply: reply.clone(),
                        },
                    );
                    return;
                }
                _ => {}
            }
        }
        match cmd.kind() {
            Kind::Write => {
                if session && state.writes.values().any(|w| *w == (src, req)) {
                    return; // already proposed here; its reply follows apply
                }
                let s = state.to_mut();
                let index = s.durable.log.append(Entry {
                    term: s.durable.term,
                    payload: Payload::Command {
                        now_ms,
                        cmd,
                        session: session.then_some(Session { client: src, req }),
                    },
                });
                s.writes.insert(index, (src, req));
                o.save(s.durable.clone());
                self.replicate(id, state, o);
            }
            kind @ (Kind::Read | Kind::Script) => {
                if session {
                    if state.session_reads.get(&src).is_some_and(|r| *r >= req) {
                        return; // a duplicate: the first delivery is answered
                    }
                    state.to_mut().session_reads.insert(src, req);
                }
                let s = state.to_mut();
                let early_start_ts = match self.modes.start_ts {
                    StartTs::BeforeFence => {
                        s.store.pin(s.applied);
                        Some(s.applied)
                    }
                    StartTs::AfterFence => None,
                };
                s.reads.push(PendingRead {
                    client: src,
                    req,
                    now_ms,
                    cmd,
                    read_index: None,
                    round: None,
                    early_start_ts,
                    script: (kind == Kind::Script).then(ScriptRun::default),
                    session,
                });
                self.advance_reads(id, state, o);
            }
        }
    }

    /// Active expiry: propose the deletion of up to `expiry_batch` keys whose
    /// TTL index says they are due.
    fn on_tick(&self, id: Id, state: &mut Cow<NodeState>, now_ms: u64, o: &mut Out<Self>) {
        if !self.propose_expiry || state.role != Role::Leader {
            return;
        }
        // Like Redis's active expiry cycle: look at a bounded sample of the
        // TTL index per tick, resuming where the last tick stopped, so a large
        // index costs a little every tick rather than a full scan.
        let snap = state.store.snapshot(state.applied);
        let budget = self.expiry_batch.saturating_mul(10);
        let mut due = Vec::new();
        let mut seen = 0;
        let mut next_cursor = None;
        let from = if state.expiry_cursor.is_empty() {
            Bytes::from_static(TTL_PREFIX)
        } else {
            state.expiry_cursor.clone()
        };
        snap.raw_scan(&from, &mut |k, v| {
            let Some(user) = k.strip_prefix(TTL_PREFIX) else {
                return false; // past the index: wrap around next tick
            };
            if seen == budget || due.len() == self.expiry_batch {
                next_cursor = Some(k.clone());
                return false;
            }
            seen += 1;
            if decode_ttl(v).is_some_and(|at| at <= now_ms) {
                due.push(Bytes::copy_from_slice(user));
            }
            true
        });
        let cursor = next_cursor.unwrap_or_default();
        if cursor != state.expiry_cursor {
            state.to_mut().expiry_cursor = cursor;
        }
        self.propose_expire(id, state, now_ms, due, o);
    }

    fn propose_expire(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        now_ms: u64,
        keys: Vec<Bytes>,
        o: &mut Out<Self>,
    ) {
        if keys.is_empty() || !self.propose_expiry || state.role != Role::Leader {
            return;
        }
        let s = state.to_mut();
        s.durable.log.append(Entry {
            term: s.durable.term,
            payload: Payload::Expire { now_ms, keys },
        });
        o.save(s.durable.clone());
        self.replicate(id, state, o);
    }

    // ------------------------------------------------------------- the fence

    /// Move every pending read as far through the fence as it can go, and
    /// serve those that are through.
    fn advance_reads(&self, id: Id, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        if state.reads.is_empty() {
            return;
        }
        let s = state.to_mut();
        let term_committed =
            s.commit_index >= s.term_start || self.modes.term_commit == TermCommit::Skip;
        // Reads that have a read index but no round join the next round, which
        // starts now if no round is in flight (one round serves the batch).
        let round_in_flight = s.round > s.confirmed_round;
        let mut wants_round = false;
        for r in s.reads.iter_mut() {
            if r.read_index.is_none() && term_committed {
                r.read_index = Some(s.commit_index);
            }
            if r.read_index.is_some()
                && r.round.is_none()
                && self.modes.read_fence != ReadFence::Off
            {
                wants_round = true;
            }
        }
        if wants_round && !round_in_flight {
            s.round += 1;
            let round = s.round;
            for r in s.reads.iter_mut() {
                if r.read_index.is_some() && r.round.is_none() {
                    r.round = Some(round);
                }
            }
            self.update_confirmed_round(id, s);
            if s.confirmed_round < round {
                self.broadcast_append(id, state, o);
            }
        }
        self.serve_ready_reads(id, state, o);
    }

    /// The newest round acknowledged by a majority, counting this node.
    fn update_confirmed_round(&self, id: Id, s: &mut NodeState) {
        let mut acks: Vec<u64> = self
            .peers
            .iter()
            .map(|p| {
                if *p == id {
                    s.round
                } else {
                    s.round_acks.get(p).copied().unwrap_or(0)
                }
            })
            .collect();
        acks.sort_unstable_by(|a, b| b.cmp(a));
        let confirmed = acks[self.quorum() - 1];
        if confirmed > s.confirmed_round {
            s.stats.fence_rounds += confirmed - s.confirmed_round;
            s.confirmed_round = confirmed;
        }
    }

    fn serve_ready_reads(&self, id: Id, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        let ready = |s: &NodeState, r: &PendingRead| -> bool {
            let Some(read_index) = r.read_index else {
                return false;
            };
            let confirmed = match self.modes.read_fence {
                ReadFence::Off => true,
                _ => r.round.is_some_and(|round| round <= s.confirmed_round),
            };
            let applied = self.modes.apply_wait == ApplyWait::Skip || s.applied >= read_index;
            confirmed && applied
        };
        if !state.reads.iter().any(|r| ready(state, r)) {
            return;
        }
        let s = state.to_mut();
        let pending = std::mem::take(&mut s.reads);
        let (served, waiting): (Vec<_>, Vec<_>) = pending.into_iter().partition(|r| ready(s, r));
        s.reads = waiting;
        let mut expired = Vec::new();
        let mut lazy_now = 0;
        let mut proposed = false;
        let mut requeued = false;
        for r in served {
            if r.script.is_some() {
                match self.run_script(s, r, o) {
                    ScriptStep::Done => {}
                    ScriptStep::Proposed => proposed = true,
                    ScriptStep::NeedsFence => requeued = true,
                }
                continue;
            }
            let start_ts = r.early_start_ts.unwrap_or(s.applied);
            s.stats.read_fences += 1;
            s.stats.last_read_term = s.durable.term;
            let snap = s.store.snapshot(start_ts);
            let view = KeyspaceRead::new(&snap as &dyn RawGet, r.now_ms, self.modes.chain());
            let reply = cmd::run_read(&r.cmd, &view);
            expired.extend(view.take_expired());
            lazy_now = lazy_now.max(r.now_ms);
            if let Some(ts) = r.early_start_ts {
                s.store.unpin(ts);
            }
            o.send(r.client, Msg::Reply { req: r.req, reply });
        }
        if proposed {
            o.save(s.durable.clone());
            self.replicate(id, state, o);
        }
        // Lazy expiry: a read that found a key expired proposes its deletion.
        expired.sort();
        expired.dedup();
        self.propose_expire(id, state, lazy_now, expired, o);
        if requeued {
            self.advance_reads(id, state, o);
        }
    }

    /// Run a script that passed a fence (spec §Scripts): `start_ts` is taken
    /// now, after the fence, unless an earlier fence of this attempt took it
    /// (per-call mode) or the `BeforeFence` gap took it on arrival. Every
    /// read is served from the snapshot at `start_ts`, with no further
    /// leader check. A script that wrote nothing answers at once; one that
    /// wrote proposes one `Txn` entry.
    fn run_script(&self, s: &mut NodeState, mut r: PendingRead, o: &mut Out<Self>) -> ScriptStep {
        let mut run = r.script.take().unwrap_or_default();
        let start_ts = match run.start_ts.or(r.early_start_ts.take()) {
            Some(ts) => ts,
            None => {
                s.store.pin(s.applied);
                s.applied
            }
        };
        run.start_ts = Some(start_ts);
        run.fences += 1;
        s.stats.read_fences += 1;
        s.stats.script_fences += 1;
        s.stats.last_read_term = s.durable.term;
        let Op::Eval {
            script,
            keys,
            argv,
            read_only,
        } = &r.cmd.op
        else {
            return ScriptStep::Done;
        };
        let snap = s.store.snapshot(start_ts);
        let (body, sha, cached) = match script {
            ScriptRef::Body(body) => {
                let sha = sha1_hex(body);
                let cached = snap.raw_get(&script_key(&sha)).is_some();
                (body.clone(), sha, cached)
            }
            ScriptRef::Sha(sha) => match snap.raw_get(&script_key(sha)) {
                Some(body) => (body, sha.clone(), true),
                None => {
                    s.store.unpin(start_ts);
                    s.stats.script_attempts += 1;
                    self.answer_script(s, &r, Reply::err(NOSCRIPT), o);
                    return ScriptStep::Done;
                }
            },
        };
        let per_call = (self.modes.read_fence == ReadFence::PerCall).then_some(run.fences);
        let mut ctx = ScriptCtx::new(&snap, r.now_ms, self.modes.chain(), per_call);
        let inv = Invocation {
            body: &body,
            sha: &sha,
            keys,
            argv,
            read_only: *read_only,
        };
        let Ok(reply) = self.engine.run(&inv, &mut ctx) else {
            // Per-call mode: this read needs a fence of its own first.
            r.read_index = None;
            r.round = None;
            r.script = Some(run);
            s.reads.push(r);
            return ScriptStep::NeedsFence;
        };
        s.stats.script_attempts += 1;
        s.stats.script_bare_reads += u64::from(ctx.bare_reads());
        s.store.unpin(start_ts);
        if reply.is_error() {
            // A failing script writes nothing (not even the cache entry).
            self.answer_script(s, &r, reply, o);
            return ScriptStep::Done;
        }
        if !cached {
            // EVAL caches its body, through the log like any write, so
            // EVALSHA finds it on every replica and after failover.
            ctx.buffer_put(script_key(&sha), body.clone());
        }
        if !ctx.wrote() {
            self.answer_script(s, &r, reply, o);
            return ScriptStep::Done;
        }
        let fx = ctx.into_effects();
        let index = s.durable.log.append(Entry {
            term: s.durable.term,
            payload: Payload::Txn {
                start_ts,
                read_set: fx.read_set,
                read_all: fx.read_all,
                write_set: fx.write_set,
                session: r.session.then_some(Session {
                    client: r.client,
                    req: r.req,
                }),
                reply,
            },
        });
        s.txns.insert(
            index,
            PendingTxn {
                client: r.client,
                req: r.req,
                now_ms: r.now_ms,
                cmd: r.cmd,
                session: r.session,
                attempt: run.attempt,
            },
        );
        ScriptStep::Proposed
    }

    fn answer_script(&self, s: &mut NodeState, r: &PendingRead, reply: Reply, o: &mut Out<Self>) {
        s.stats.scripts_run += 1;
        o.send(r.client, Msg::Reply { req: r.req, reply });
    }

    /// A script's `Txn` applied on this leader: answer it, or run it again
    /// after a conflict (a new fence, a new `start_ts`).
    fn txn_applied(&self, s: &mut NodeState, p: PendingTxn, reply: Reply, o: &mut Out<Self>) {
        if reply.error_text() != Some(TXN_CONFLICT) {
            s.stats.scripts_run += 1;
            s.stats.script_commits += 1;
            o.send(p.client, Msg::Reply { req: p.req, reply });
            return;
        }
        s.stats.script_conflicts += 1;
        if p.attempt >= self.script_retries {
            s.stats.scripts_run += 1;
            s.stats.scripts_gave_up += 1;
            o.send(
                p.client,
                Msg::Reply {
                    req: p.req,
                    reply: script_gave_up(p.attempt + 1),
                },
            );
            return;
        }
        s.stats.script_retries += 1;
        s.reads.push(PendingRead {
            client: p.client,
            req: p.req,
            now_ms: p.now_ms,
            cmd: p.cmd,
            read_index: None,
            round: None,
            early_start_ts: None,
            script: Some(ScriptRun {
                attempt: p.attempt + 1,
                ..ScriptRun::default()
            }),
            session: p.session,
        });
    }

    /// Pending reads and writes lose their leader: reads fail cleanly (nothing
    /// happened); writes are uncertain (their entry may still commit).
    fn abandon_clients(&self, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        if state.reads.is_empty() && state.writes.is_empty() && state.txns.is_empty() {
            return;
        }
        let s = state.to_mut();
        let leader = s.leader;
        for r in std::mem::take(&mut s.reads) {
            s.stats.scripts_abandoned += u64::from(r.script.is_some());
            let pinned = r.script.as_ref().and_then(|run| run.start_ts);
            if let Some(ts) = r.early_start_ts.or(pinned) {
                s.store.unpin(ts);
            }
            o.send(r.client, Msg::Redirect { req: r.req, leader });
        }
        for (_, (client, req)) in std::mem::take(&mut s.writes) {
            o.send(client, Msg::Uncertain { req });
        }
        for (_, p) in std::mem::take(&mut s.txns) {
            s.stats.scripts_abandoned += 1;
            o.send(p.client, Msg::Uncertain { req: p.req });
        }
    }

    // -------------------------------------------------------------- elections

    fn start_election(&self, id: Id, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        let s = state.to_mut();
        s.durable.term += 1;
        s.durable.voted_for = Some(id);
        s.role = Role::Candidate;
        s.leader = None;
        s.votes = BTreeSet::from([id]);
        o.save(s.durable.clone());
        let msg = Msg::RequestVote {
            term: s.durable.term,
            last_log_index: s.durable.log.last_index(),
            last_log_term: s.durable.log.last_term(),
        };
        for p in self.others(id) {
            o.send(p, msg.clone());
        }
        self.arm_election(o);
        if s.votes.len() >= self.quorum() {
            self.become_leader(id, state, o);
        }
    }

    /// A higher term was seen: adopt it and follow (§5.1).
    fn step_down(&self, state: &mut Cow<NodeState>, term: Term, o: &mut Out<Self>) {
        let was_leader = state.role == Role::Leader;
        let s = state.to_mut();
        let newer = term > s.durable.term;
        if newer {
            s.durable.term = term;
            s.durable.voted_for = None;
            s.leader = None;
            o.save(s.durable.clone());
        }
        s.role = Role::Follower;
        s.votes.clear();
        if was_leader {
            s.session_reads.clear();
            o.cancel_timer(Timer::Heartbeat);
        }
        if was_leader || newer {
            self.arm_election(o);
        }
        self.abandon_clients(state, o);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_request_vote(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
        o: &mut Out<Self>,
    ) {
        let _ = id;
        if term > state.term() {
            self.step_down(state, term, o);
        }
        let s = &**state;
        let log_ok = (last_log_term, last_log_index) >= (s.log().last_term(), s.log().last_index());
        let grant = term == s.term() && log_ok && s.durable.voted_for.is_none_or(|v| v == src);
        if grant && s.durable.voted_for.is_none() {
            let s = state.to_mut();
            s.durable.voted_for = Some(src);
            o.save(s.durable.clone());
            self.arm_election(o);
        }
        o.send(
            src,
            Msg::Vote {
                term: state.term(),
                granted: grant,
            },
        );
    }

    fn on_vote(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        term: Term,
        granted: bool,
        o: &mut Out<Self>,
    ) {
        if term > state.term() {
            self.step_down(state, term, o);
            return;
        }
        if term < state.term() || state.role != Role::Candidate || !granted {
            return;
        }
        let s = state.to_mut();
        s.votes.insert(src);
        if s.votes.len() >= self.quorum() {
            self.become_leader(id, state, o);
        }
    }

    fn become_leader(&self, id: Id, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        let s = state.to_mut();
        s.role = Role::Leader;
        s.leader = Some(id);
        s.votes.clear();
        let noop = s.durable.log.append(Entry {
            term: s.durable.term,
            payload: Payload::Noop,
        });
        s.term_start = noop;
        s.next_index = self.others(id).map(|p| (p, noop)).collect();
        s.match_index = self.others(id).map(|p| (p, 0 as Index)).collect();
        s.round_acks = im::OrdMap::new();
        s.session_reads = im::OrdMap::new();
        s.round = 0;
        s.confirmed_round = 0;
        o.save(s.durable.clone());
        o.cancel_timer(Timer::Election);
        if self.peers.len() > 1 && self.heartbeats {
            o.set_timer(Timer::Heartbeat, self.heartbeat_range());
        }
        self.replicate(id, state, o);
    }

    // ------------------------------------------------------------ replication

    /// Send new entries to every peer and advance the commit index (which a
    /// cluster of one does at once).
    fn replicate(&self, id: Id, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        self.broadcast_append(id, state, o);
        self.advance_commit(id, state, o);
    }

    fn broadcast_append(&self, id: Id, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        let s = state.to_mut();
        for p in self.others(id) {
            self.send_append(s, p, o);
        }
    }

    /// Send `peer` everything from its `next_index`, and assume it arrives:
    /// `next_index` moves past what was sent, so the next append carries only
    /// newer entries (pipelining; without it every write resends every
    /// unacknowledged entry, quadratic under load). A lost append shows up
    /// as a failed consistency check, and the leader backs off (§5.3).
    fn send_append(&self, state: &mut NodeState, peer: Id, o: &mut Out<Self>) {
        let log = state.log();
        let next = state
            .next_index
            .get(&peer)
            .copied()
            .unwrap_or(log.last_index() + 1)
            .clamp(1, log.last_index() + 1);
        if next <= log.base_index() {
            if let Some(snapshot) = state.durable.snapshot.clone() {
                let index = snapshot.index;
                o.send(
                    peer,
                    Msg::InstallSnapshot {
                        term: state.term(),
                        snapshot,
                        leader_commit: state.commit_index,
                        round: state.round,
                    },
                );
                state.next_index.insert(peer, index + 1);
                return;
            }
        }
        let prev_index = next - 1;
        o.send(
            peer,
            Msg::AppendEntries {
                term: state.term(),
                prev_index,
                prev_term: log.term_at(prev_index).unwrap_or(0),
                entries: log.entries_from(next),
                leader_commit: state.commit_index,
                round: state.round,
            },
        );
        let last = log.last_index();
        if next <= last {
            state.next_index.insert(peer, last + 1);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_entries(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: Vec<Entry>,
        leader_commit: Index,
        round: u64,
        o: &mut Out<Self>,
    ) {
        let _ = id;
        if !self.hear_from_leader(state, src, term, round, o) {
            return;
        }
        // Entries at or below our base are in our snapshot, so committed, so
        // the leader has the same ones (§5.4): skip them.
        let base = state.log().base_index();
        let (prev_index, prev_term, entries) = if prev_index < base {
            let skip = (base - prev_index) as usize;
            let rest = entries
                .get(skip..)
                .map(<[Entry]>::to_vec)
                .unwrap_or_default();
            let last = prev_index + entries.len() as Index;
            if last < base {
                self.answer_append(state, src, true, last, round, o);
                return;
            }
            (base, state.log().base_term(), rest)
        } else {
            (prev_index, prev_term, entries)
        };
        if state.log().term_at(prev_index) != Some(prev_term) {
            self.answer_append(
                state,
                src,
                false,
                state.log().last_index().min(prev_index.saturating_sub(1)),
                round,
                o,
            );
            return;
        }
        // Append what is new; truncate only at a real conflict, so a delayed
        // or duplicated AppendEntries never removes entries (§5.3).
        let mut changed = false;
        for (i, entry) in entries.iter().enumerate() {
            let index = prev_index + 1 + i as Index;
            match state.log().term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) => {
                    let s = state.to_mut();
                    s.durable.log.truncate_from(index);
                    s.durable.log.append(entry.clone());
                    changed = true;
                }
                None => {
                    state.to_mut().durable.log.append(entry.clone());
                    changed = true;
                }
            }
        }
        if changed {
            o.save(state.durable.clone());
        }
        let last_new = prev_index + entries.len() as Index;
        let commit = leader_commit.min(last_new);
        if commit > state.commit_index {
            state.to_mut().commit_index = commit;
            o.set_timer(Timer::Apply, Duration::ZERO..Duration::ZERO);
        }
        self.answer_append(state, src, true, last_new, round, o);
    }

    /// Answer an AppendEntries or InstallSnapshot with our term: `success`
    /// and the index our log matches up to (on failure, a hint to back off to).
    fn answer_append(
        &self,
        state: &NodeState,
        src: Id,
        success: bool,
        match_index: Index,
        round: u64,
        o: &mut Out<Self>,
    ) {
        o.send(
            src,
            Msg::AppendResult {
                term: state.term(),
                success,
                match_index,
                round,
            },
        );
    }

    /// A message from a node that claims to lead `term` (AppendEntries or
    /// InstallSnapshot): refuse it if the term is stale (answering with ours,
    /// §5.1), else follow `src` and restart the election timer. Returns
    /// whether to go on.
    fn hear_from_leader(
        &self,
        state: &mut Cow<NodeState>,
        src: Id,
        term: Term,
        round: u64,
        o: &mut Out<Self>,
    ) -> bool {
        if term < state.term() {
            self.answer_append(state, src, false, state.log().last_index(), round, o);
            return false;
        }
        if term > state.term() || state.role != Role::Follower {
            self.step_down(state, term, o);
        }
        if state.leader != Some(src) {
            state.to_mut().leader = Some(src);
        }
        match self.election_timer {
            ElectionTimer::Always => self.arm_election(o),
            ElectionTimer::WithoutLeader => o.cancel_timer(Timer::Election),
        }
        true
    }

    /// Install the leader's snapshot unless what we applied already covers
    /// it. A log that holds the snapshot's last entry keeps what follows it
    /// (§7); any other log is discarded.
    #[allow(clippy::too_many_arguments)]
    fn on_install_snapshot(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        term: Term,
        snapshot: Snapshot,
        leader_commit: Index,
        round: u64,
        o: &mut Out<Self>,
    ) {
        let _ = (id, leader_commit);
        if !self.hear_from_leader(state, src, term, round, o) {
            return;
        }
        let index = snapshot.index;
        if index > state.applied {
            let s = state.to_mut();
            if s.durable.log.term_at(index) == Some(snapshot.term) {
                s.durable.log.compact_to(index, snapshot.term);
            } else {
                s.durable.log.reset_to(index, snapshot.term);
            }
            s.store = snapshot.restore();
            s.sessions = snapshot.sessions.clone();
            s.applied = index;
            s.commit_index = s.commit_index.max(index);
            s.durable.snapshot = Some(snapshot);
            s.stats.snapshots_installed += 1;
            o.save(s.durable.clone());
            if s.commit_index > s.applied {
                o.set_timer(Timer::Apply, Duration::ZERO..Duration::ZERO);
            }
        }
        self.answer_append(state, src, true, index, round, o);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_result(
        &self,
        id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        term: Term,
        success: bool,
        match_index: Index,
        round: u64,
        o: &mut Out<Self>,
    ) {
        if term > state.term() {
            self.step_down(state, term, o);
            return;
        }
        if term < state.term() || state.role != Role::Leader {
            return;
        }
        let s = state.to_mut();
        if round > s.round_acks.get(&src).copied().unwrap_or(0) {
            s.round_acks.insert(src, round);
            self.update_confirmed_round(id, s);
        }
        if success {
            if match_index > s.match_index.get(&src).copied().unwrap_or(0) {
                s.match_index.insert(src, match_index);
            }
            // Never move `next_index` back on success: appends in flight
            // already carry what follows.
            let acked = s.match_index.get(&src).copied().unwrap_or(0) + 1;
            let next = s.next_index.get(&src).copied().unwrap_or(0).max(acked);
            s.next_index.insert(src, next);
            if next <= s.durable.log.last_index() {
                self.send_append(s, src, o);
            }
            self.advance_commit(id, state, o);
        } else {
            let next = s.next_index.get(&src).copied().unwrap_or(1);
            let backed = (match_index + 1).min(next.saturating_sub(1)).max(1);
            if backed < next {
                s.next_index.insert(src, backed);
                self.send_append(s, src, o);
            }
        }
        self.advance_reads(id, state, o);
    }

    /// Commit the newest entry of the current term that a majority holds
    /// (§5.3, §5.4.2: never count replicas of an older term's entry).
    fn advance_commit(&self, id: Id, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        let s = &**state;
        let mut matches: Vec<Index> = self
            .peers
            .iter()
            .map(|p| {
                if *p == id {
                    s.log().last_index()
                } else {
                    s.match_index.get(p).copied().unwrap_or(0)
                }
            })
            .collect();
        matches.sort_unstable_by(|a, b| b.cmp(a));
        let n = matches[self.quorum() - 1];
        if n > s.commit_index && s.log().term_at(n) == Some(s.term()) {
            state.to_mut().commit_index = n;
            o.set_timer(Timer::Apply, Duration::ZERO..Duration::ZERO);
            // Followers learn the new commit index with the next append (a
            // heartbeat, a write, or a fence round): no message of its own, as
            // nothing a client sees waits for a follower to apply.
        }
        self.advance_reads(id, state, o);
    }

    /// Apply committed entries in order; the leader answers the writes.
    fn apply_committed(&self, state: &mut Cow<NodeState>, o: &mut Out<Self>) {
        let s = state.to_mut();
        while s.applied < s.commit_index {
            let index = s.applied + 1;
            let Some(entry) = s.durable.log.get(index).cloned() else {
                break;
            };
            let reply = apply_entry(
                &mut s.store,
                &mut s.sessions,
                index,
                &entry.payload,
                &self.modes,
            );
            s.applied = index;
            if let Some((client, req)) = s.writes.remove(&index) {
                o.send(client, Msg::Reply { req, reply });
            } else if let Some(p) = s.txns.remove(&index) {
                self.txn_applied(s, p, reply, o);
            }
        }
        if self.compact_after > 0 && s.applied >= s.durable.log.base_index() + self.compact_after {
            let index = s.applied;
            let term = s.durable.log.term_at(index).unwrap_or(0);
            s.store.gc();
            let data = s.store.export();
            s.durable.log.compact_to(index, term);
            s.durable.snapshot = Some(Snapshot {
                index,
                term,
                data,
                sessions: s.sessions.clone(),
            });
            o.save(s.durable.clone());
        }
    }
}

/// What became of a script that passed a fence.
enum ScriptStep {
    /// Answered (or gave up).
    Done,
    /// Its `Txn` entry was appended.
    Proposed,
    /// Per-call mode: back in the queue for another fence.
    NeedsFence,
}

/// The recorded reply if this session request was already applied (thesis
/// §6.3): a duplicate changes nothing and answers the first reply.
fn applied_before(
    sessions: &im::OrdMap<Id, (ReqId, Reply)>,
    session: Option<Session>,
) -> Option<Reply> {
    let Session { client, req } = session?;
    let (last, reply) = sessions.get(&client)?;
    (req <= *last).then(|| reply.clone())
}

/// Apply one entry to the store at commit timestamp `index`. A session's
/// duplicate (a request number it already applied) changes nothing and
/// answers what the first application answered.
pub fn apply_entry(
    store: &mut Mvcc,
    sessions: &mut im::OrdMap<Id, (ReqId, Reply)>,
    index: Index,
    payload: &Payload,
    modes: &Modes,
) -> Reply {
    match payload {
        Payload::Noop => Reply::ok(),
        Payload::Command {
            now_ms,
            cmd,
            session,
        } => {
            if let Some(reply) = applied_before(sessions, *session) {
                return reply;
            }
            let mut raw = ApplyAt { store, ts: index };
            let mut ks = KeyspaceWrite::new(&mut raw, *now_ms, modes.chain());
            let reply = cmd::run_write(cmd, &mut ks);
            if let Some(Session { client, req }) = *session {
                sessions.insert(client, (req, reply.clone()));
            }
            reply
        }
        Payload::Txn {
            start_ts,
            read_set,
            read_all,
            write_set,
            session,
            reply,
        } => {
            if let Some(reply) = applied_before(sessions, *session) {
                return reply;
            }
            // The commit rule (SC-2): nothing the script read or wrote may
            // have changed since its snapshot. A start_ts older than the
            // validation window cannot be checked, so it conflicts.
            let validate_reads = modes.read_set_validation == ReadSetValidation::ReadAndWrite;
            let changed = |k: &Bytes| store.latest_ts(k).is_some_and(|t| t > *start_ts);
            let conflict = *start_ts + crate::mvcc::VALIDATION_WINDOW < index
                || (validate_reads && *read_all && store.last_ts() > *start_ts)
                // A cache entry's value is fixed by its key (the body's
                // SHA-1): concurrent EVALs of one new body never conflict.
                || write_set
                    .iter()
                    .any(|(k, _)| !k.starts_with(SCRIPT_PREFIX) && changed(k))
                || (validate_reads && read_set.iter().any(changed));
            if conflict {
                return Reply::err(TXN_CONFLICT);
            }
            for (k, v) in write_set {
                match v {
                    Some(v) => store.put(k.clone(), index, v.clone()),
                    None => store.tombstone(k.clone(), index),
                }
            }
            if let Some(Session { client, req }) = *session {
                sessions.insert(client, (req, reply.clone()));
            }
            reply.clone()
        }
        Payload::Expire { now_ms, keys } => {
            let mut raw = ApplyAt { store, ts: index };
            let mut ks = KeyspaceWrite::new(&mut raw, *now_ms, modes.chain());
            let mut n = 0;
            for k in keys {
                if matches!(ks.lookup(k), crate::strings::ChainRead::Expired(_)) {
                    ks.delete(k);
                    n += 1;
                }
            }
            Reply::Integer(n)
        }
    }
}

#[cfg(test)]
mod script_tests {
    //! Scripts on a single node, driven step by step: the commit rule, the
    //! retry, and what a failing script leaves behind.

    use super::*;
    use stateright::actor::Command as Effect;

    fn node_id() -> Id {
        Id::from(0)
    }
    fn client_id() -> Id {
        Id::from(9)
    }

    struct One {
        node: Node,
        state: NodeState,
        replies: Vec<(ReqId, Reply)>,
        apply_due: bool,
    }

    impl One {
        fn new(script_retries: u32) -> One {
            let mut node = Node::new(vec![node_id()]);
            node.heartbeats = false;
            node.script_retries = script_retries;
            let mut o = Out::new();
            let state = node.on_start(node_id(), &None, &mut o);
            let mut one = One {
                node,
                state,
                replies: vec![],
                apply_due: false,
            };
            one.take(o);
            one.settle();
            one
        }

        fn take(&mut self, o: Out<Node>) {
            for effect in o {
                match effect {
                    Effect::Send(_, Msg::Reply { req, reply }) => self.replies.push((req, reply)),
                    Effect::SetTimer(Timer::Apply, _) => self.apply_due = true,
                    _ => {}
                }
            }
        }

        /// Deliver a request without applying anything yet.
        fn request(&mut self, req: ReqId, args: &str) {
            let args: Vec<Bytes> = args
                .split(' ')
                .map(|a| Bytes::copy_from_slice(a.replace('_', " ").as_bytes()))
                .collect();
            let cmd = cmd::parse(&args, &cmd::ParseCtx::default()).expect("parse");
            let msg = Msg::Request {
                req,
                now_ms: 0,
                cmd,
                session: false,
            };
            let mut o = Out::new();
            let mut cow = Cow::Borrowed(&self.state);
            self.node
                .on_msg(node_id(), &mut cow, client_id(), msg, &mut o);
            self.state = cow.into_owned();
            self.take(o);
        }

        /// Fire the apply timer until nothing is left to apply.
        fn settle(&mut self) {
            while std::mem::take(&mut self.apply_due) {
                let mut o = Out::new();
                let mut cow = Cow::Borrowed(&self.state);
                self.node
                    .on_timeout(node_id(), &mut cow, &Timer::Apply, &mut o);
                self.state = cow.into_owned();
                self.take(o);
            }
        }

        fn reply(&self, req: ReqId) -> Option<&Reply> {
            self.replies.iter().find(|(r, _)| *r == req).map(|(_, v)| v)
        }
    }

    /// The commit rule (SC-2) as `apply_entry` decides it.
    #[test]
    fn a_txn_applies_only_if_nothing_it_read_or_wrote_changed_since_start_ts() {
        let key = |k: &str| Bytes::from(k.to_string());
        let mut store = Mvcc::new();
        store.put(key("r"), 1, Bytes::from_static(b"old"));
        store.put(key("r"), 5, Bytes::from_static(b"new"));
        let txn = |start_ts, read: &str, write: &str| Payload::Txn {
            start_ts,
            read_set: vec![key(read)],
            read_all: false,
            write_set: vec![(key(write), Some(Bytes::from_static(b"v")))],
            session: None,
            reply: Reply::ok(),
        };
        let apply = |store: &mut Mvcc, index, p: &Payload, modes: &Modes| {
            apply_entry(store, &mut im::OrdMap::new(), index, p, modes)
        };
        let safe = Modes::default();
        let conflict = Reply::err(TXN_CONFLICT);
        // r changed at 5, after a snapshot at 3: the read is stale.
        assert_eq!(apply(&mut store, 6, &txn(3, "r", "w"), &safe), conflict);
        assert_eq!(store.get(b"w"), None, "a conflict writes nothing");
        // From a snapshot at 5 it is current.
        assert_eq!(apply(&mut store, 7, &txn(5, "r", "w"), &safe), Reply::ok());
        // The write set alone (the gap) misses the stale read.
        let write_only = Modes {
            read_set_validation: ReadSetValidation::WriteOnly,
            ..Modes::default()
        };
        assert_eq!(
            apply(&mut store, 8, &txn(3, "r", "x"), &write_only),
            Reply::ok()
        );
        // w was written at 7: a blind write from before that conflicts too.
        assert_eq!(apply(&mut store, 9, &txn(6, "q", "w"), &safe), conflict);
        // Beyond the validation window nothing can be checked: a conflict.
        let far = 10 + crate::mvcc::VALIDATION_WINDOW;
        assert_eq!(apply(&mut store, far, &txn(9, "q", "y"), &safe), conflict);
    }

    #[test]
    fn a_scan_conflicts_with_any_write_and_cache_entries_never_conflict() {
        let mut store = Mvcc::new();
        store.put(Bytes::from_static(b"a"), 4, Bytes::from_static(b"1"));
        let scan = Payload::Txn {
            start_ts: 3,
            read_set: vec![],
            read_all: true,
            write_set: vec![(Bytes::from_static(b"b"), None)],
            session: None,
            reply: Reply::ok(),
        };
        let modes = Modes::default();
        let mut sessions = im::OrdMap::new();
        assert_eq!(
            apply_entry(&mut store, &mut sessions, 5, &scan, &modes),
            Reply::err(TXN_CONFLICT)
        );
        let cache = script_key("abc");
        store.put(cache.clone(), 5, Bytes::from_static(b"body"));
        let eval = Payload::Txn {
            start_ts: 4,
            read_set: vec![],
            read_all: false,
            write_set: vec![(cache, Some(Bytes::from_static(b"body")))],
            session: None,
            reply: Reply::ok(),
        };
        assert_eq!(
            apply_entry(&mut store, &mut sessions, 6, &eval, &modes),
            Reply::ok()
        );
    }

    #[test]
    fn a_failing_script_writes_nothing() {
        let mut one = One::new(8);
        one.request(1, "EVAL set_a_1;_set_s_abc;_incrby_s_1 0");
        one.settle();
        assert!(one.reply(1).is_some_and(Reply::is_error));
        one.request(2, "EVAL get_a;_get_s 0");
        one.settle();
        assert_eq!(
            one.reply(2),
            Some(&Reply::Array(vec![Reply::Nil, Reply::Nil])),
            "neither write of the failed script is visible"
        );
    }

    #[test]
    fn eval_caches_its_body_and_evalsha_finds_it() {
        let mut one = One::new(8);
        let sha = crate::script::context::sha1_hex(b"get k");
        one.request(1, &format!("EVALSHA {sha} 0"));
        one.settle();
        assert_eq!(one.reply(1), Some(&Reply::err(NOSCRIPT)));
        one.request(2, "EVAL get_k 0");
        one.settle();
        one.request(3, &format!("EVALSHA {sha} 0"));
        one.settle();
        assert_eq!(one.reply(3), Some(&Reply::Array(vec![Reply::Nil])));
        one.request(4, "SCRIPT FLUSH");
        one.settle();
        one.request(5, &format!("EVALSHA {sha} 0"));
        one.settle();
        assert_eq!(one.reply(5), Some(&Reply::err(NOSCRIPT)));
    }
}
