//! A node's state: what is durable ([`Durable`], with the Raft snapshot),
//! what is volatile (role, commit and apply progress, the fence, the
//! requests waiting for it) and the counters INFO shows.
//!
//! The durable part is private to this file: it is read through
//! [`NodeState::durable`] and changed only through [`NodeState::save`],
//! which emits the `Save` with the change — so no change of term, vote or
//! log can leave the node unsaved.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use stateright::actor::{Id, Out};

use super::peer_map::{PeerMap, PeerSet};
use super::Node;
use crate::cmd::Command;
use crate::mvcc::{Mvcc, ReadPin};
use crate::raft::{ClientSeq, Index, Log, ReqId, Term};
use crate::resp::Reply;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Follower,
    /// Asking for pre-votes (thesis §9.6) before it raises its term.
    PreCandidate,
    Candidate,
    Leader,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// Each deduplicated client's newest applied request and its reply (Raft
/// thesis §6.3): part of the applied state, and of the Raft snapshot.
pub type AppliedSeqs = im::OrdMap<Id, (ReqId, Reply)>;

/// What must be on disk before the node acts on it (Raft Figure 2,
/// "persistent state on all servers").
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Durable {
    pub term: Term,
    pub voted_for: Option<Id>,
    pub log: Log,
    /// The state machine as of the log's base (Raft §7); `None` until the
    /// first compaction.
    pub snapshot: Option<RaftSnapshot>,
}

/// A snapshot of the state machine (Raft §7) — not an MVCC read view
/// ([`crate::mvcc::Snapshot`]): every internal key's newest version as of
/// entry `index` with the timestamp that wrote it (recent tombstones
/// included, so a restored replica validates script commits exactly like
/// one that applied the log), and the dedup table. The log keeps only what
/// follows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct RaftSnapshot {
    pub index: Index,
    pub term: Term,
    pub data: im::OrdMap<Bytes, (crate::mvcc::Ts, Option<Bytes>)>,
    pub applied_seqs: AppliedSeqs,
}

impl RaftSnapshot {
    /// The MVCC store this snapshot describes.
    pub fn restore(&self) -> Mvcc {
        Mvcc::import(&self.data)
    }
}

/// Where a script is in its run: fenced how often, reading at which
/// `start_ts` (pinned while it runs), on which attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScriptRun {
    pub start_ts: Option<ReadPin>,
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
    pub dedup: bool,
    pub attempt: u32,
}

/// How a waiting blocking pop is withdrawn, and what it answers then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Unblock {
    /// Its connection closed: nothing.
    Gone,
    /// `CLIENT UNBLOCK id [TIMEOUT]`: its timeout reply.
    Timeout,
    /// `CLIENT UNBLOCK id ERROR`: `UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
}

/// A blocking pop that found nothing, waiting at the leader for a write
/// (see `blocking.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Parked {
    pub client: Id,
    pub req: ReqId,
    pub now_ms: u64,
    pub cmd: Command,
    pub seq: Option<ClientSeq>,
    /// Unix ms; 0 = forever.
    pub deadline_ms: u64,
    /// The entry that proposes it again, while one is in the log.
    pub proposed: Option<Index>,
    /// Withdrawn while that entry was in flight: once the entry finds
    /// nothing, answer as this says and drop it.
    pub withdrawn: Option<Unblock>,
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
    pub early_start_ts: Option<ReadPin>,
    /// Set for a script (EVAL and friends).
    pub script: Option<ScriptRun>,
    pub dedup: bool,
    /// Follower reads: the ask to the leader that covers this read, once
    /// sent; `read_index` is then the leader's answer.
    pub ask: Option<u64>,
}

/// Follower reads, at the leader: a follower's ask waiting for the fence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReadAsk {
    pub from: Id,
    pub ask: u64,
    pub read_index: Option<Index>,
    pub round: Option<u64>,
}

impl PendingRead {
    /// Release whatever this read pinned (it is answered or abandoned).
    pub fn release(self, store: &mut Mvcc) {
        let pinned = self.script.and_then(|run| run.start_ts);
        if let Some(pin) = self.early_start_ts.or(pinned) {
            store.unpin(pin);
        }
    }
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
    /// EXECs answered nil because a watched key was written (spec TX-2),
    /// on their snapshot or when their entry applied.
    pub watch_aborts: u64,
    /// Snapshots received from a leader and installed.
    pub snapshots_installed: u64,
    /// The newest term in which this node refused a pre-vote because it
    /// knew a leader (PreVote at work). A term, not a count: a duplicating
    /// network redelivers a `PreVote` without end, and a count would make
    /// the model's state space infinite.
    pub pre_vote_refused_term: Term,
    /// Times this node stepped down as leader for want of a quorum
    /// (CheckQuorum at work).
    pub quorum_losses: u64,
    /// The term in which this node last served a read (for the model's
    /// "a GET is served after a leadership change").
    pub last_read_term: Term,
    /// Reads and scripts served under the lease, with no round of their own.
    pub lease_reads: u64,
    /// Reads and scripts that arrived outside the lease in lease mode and
    /// waited for a round (or the next heartbeat's renewal) instead.
    pub lease_expiries: u64,
    /// Reads and scripts this follower served with a read index from the
    /// leader.
    pub follower_reads: u64,
}

/// The local time at which each of the node's timers was armed to fire: a
/// timer that fires must find the clock past its deadline. The server's
/// runtime keeps its timers by the same clock; the model fires a timer only
/// past its deadline when it has time (`model/*.toml`'s `time`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimerDeadlines {
    pub election: u64,
    pub heartbeat: u64,
    pub check_quorum: u64,
}

impl TimerDeadlines {
    pub fn of(&self, timer: &super::Timer) -> u64 {
        use super::Timer;
        match timer {
            Timer::Election => self.election,
            Timer::Heartbeat => self.heartbeat,
            Timer::CheckQuorum => self.check_quorum,
            Timer::Apply | Timer::Clock => 0,
        }
    }

    pub fn set(&mut self, timer: &super::Timer, at: u64) {
        use super::Timer;
        match timer {
            Timer::Election => self.election = at,
            Timer::Heartbeat => self.heartbeat = at,
            Timer::CheckQuorum => self.check_quorum = at,
            Timer::Apply | Timer::Clock => {}
        }
    }
}

/// The state of one node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeState {
    pub role: Role,
    /// Private: see the module comment.
    durable: Durable,
    pub leader: Option<Id>,
    pub commit_index: Index,
    pub applied: Index,
    pub store: Mvcc,
    // Pre-candidate and candidate: the (pre-)votes granted so far.
    pub votes: PeerSet,
    // Leader
    pub next_index: PeerMap<Index>,
    pub match_index: PeerMap<Index>,
    /// The index of this leader's no-op: reads wait until it commits.
    pub term_start: Index,
    /// The newest fence round started, and the newest each peer acknowledged.
    pub round: u64,
    pub round_acks: PeerMap<u64>,
    /// The newest round a majority acknowledged.
    pub confirmed_round: u64,
    /// Pre-vote rounds this node started in its current term. The model
    /// bounds it (a pre-vote changes no term, so `max_term` does not).
    pub pre_vote_rounds: u32,
    /// The peers that answered this leader since its last quorum check.
    pub heard_since_check: PeerSet,
    /// The node's monotonic clock, in ms, as last told ([`super::Msg::Clock`]).
    pub clock: u64,
    /// When each timer is due, by `clock`.
    pub timers: TimerDeadlines,
    /// Lease mode, leader: the `clock` at which each unconfirmed round was
    /// sent.
    pub round_sent: im::OrdMap<u64, u64>,
    /// Lease mode, leader: reads need no round while `clock < lease_until`
    /// (0: no lease).
    pub lease_until: u64,
    /// Vote stickiness (lease mode): no vote for another candidate while
    /// `clock < sticky_until`, one minimum election timeout after this node
    /// last heard from a leader, or after it started.
    pub sticky_until: u64,
    /// Reads and scripts waiting for their fence. A plain `Vec`: it holds a
    /// few entries at a time, and `im::Vector` copied whole chunks of these
    /// large elements on every push (10% of the server's time under EVALSHA).
    pub reads: Vec<PendingRead>,
    /// Writes waiting for their entry to apply: index → (client, request).
    pub writes: im::OrdMap<Index, (Id, ReqId)>,
    /// Scripts waiting for their `Txn` entry to apply.
    pub txns: im::OrdMap<Index, PendingTxn>,
    /// Blocking pops parked at this leader, in arrival order.
    pub blocked: Vec<Parked>,
    /// Where active expiry resumes in the TTL index (empty: the start).
    pub expiry_cursor: Bytes,
    /// Part of the applied state (thesis §6.3); see [`AppliedSeqs`].
    pub applied_seqs: AppliedSeqs,
    /// A leader's newest read accepted per deduplicated client, so a
    /// duplicated read request does not start another fence.
    pub read_seqs: im::OrdMap<Id, ReqId>,
    /// Follower reads, follower: the newest ask sent to the leader.
    pub asks_sent: u64,
    /// Follower reads, leader: asks waiting for the fence, and the newest
    /// ask accepted from each follower (a duplicated ask starts no round).
    pub read_asks: Vec<ReadAsk>,
    pub asks_seen: PeerMap<u64>,
    pub stats: Stats,
}

impl NodeState {
    /// A follower that knows no leader, with `durable` as found on disk and
    /// the state machine at `applied`.
    pub fn new(durable: Durable, store: Mvcc, applied: Index, applied_seqs: AppliedSeqs) -> Self {
        NodeState {
            role: Role::Follower,
            durable,
            leader: None,
            commit_index: applied,
            applied,
            store,
            votes: PeerSet::new(),
            next_index: PeerMap::new(),
            match_index: PeerMap::new(),
            term_start: 0,
            round: 0,
            round_acks: PeerMap::new(),
            confirmed_round: 0,
            pre_vote_rounds: 0,
            heard_since_check: PeerSet::new(),
            clock: 0,
            timers: TimerDeadlines::default(),
            round_sent: im::OrdMap::new(),
            lease_until: 0,
            sticky_until: 0,
            reads: Vec::new(),
            writes: im::OrdMap::new(),
            txns: im::OrdMap::new(),
            blocked: Vec::new(),
            expiry_cursor: Bytes::new(),
            applied_seqs,
            read_seqs: im::OrdMap::new(),
            asks_sent: 0,
            read_asks: Vec::new(),
            asks_seen: PeerMap::new(),
            stats: Stats::default(),
        }
    }

    /// Term, vote, log and snapshot, as last saved.
    pub fn durable(&self) -> &Durable {
        &self.durable
    }

    /// The only way to change the durable state: apply `change` and emit
    /// the `Save` of the result.
    pub(super) fn save<R>(
        &mut self,
        out: &mut Out<Node>,
        change: impl FnOnce(&mut Durable) -> R,
    ) -> R {
        let r = change(&mut self.durable);
        out.save(self.durable.clone());
        r
    }

    /// Change the durable state without saving it: only the persistence gaps
    /// (votes, a follower's entries) do this, to show what the `Save` is for,
    /// and renaming nodes (`relabel.rs`), which changes no fact on any disk
    /// but the names in it.
    pub(super) fn change_unsaved(&mut self, change: impl FnOnce(&mut Durable)) {
        change(&mut self.durable);
    }

    /// Feed `h` everything but the node ids in this state, so the result is
    /// the same under any renaming of nodes (see `relabel.rs`): each name is
    /// replaced by whether it is there, and per-peer values by their sorted
    /// list. The model's symmetry reduction orders states by it. Every
    /// field is named, so a new one cannot be forgotten here.
    pub fn hash_without_names<H: std::hash::Hasher>(&self, h: &mut H) {
        use std::hash::Hash;
        let NodeState {
            role,
            durable:
                Durable {
                    term,
                    voted_for,
                    log,
                    snapshot,
                },
            leader,
            commit_index,
            applied,
            store,
            votes,
            next_index,
            match_index,
            term_start,
            round,
            round_acks,
            confirmed_round,
            pre_vote_rounds,
            heard_since_check,
            clock,
            timers,
            round_sent,
            lease_until,
            sticky_until,
            reads,
            writes,
            txns,
            blocked,
            expiry_cursor,
            applied_seqs,
            read_seqs,
            asks_sent,
            read_asks,
            asks_seen,
            stats,
        } = self;
        fn sorted<V: Ord + Copy>(m: &PeerMap<V>) -> Vec<V> {
            let mut v: Vec<V> = m.iter().map(|(_, v)| *v).collect();
            v.sort_unstable();
            v
        }
        (role, term, voted_for.is_some(), log, snapshot).hash(h);
        (leader.is_some(), commit_index, applied, store).hash(h);
        (
            votes.len(),
            sorted(next_index),
            sorted(match_index),
            term_start,
        )
            .hash(h);
        (round, sorted(round_acks), confirmed_round, pre_vote_rounds).hash(h);
        (heard_since_check.len(), reads, writes, txns, expiry_cursor).hash(h);
        (clock, timers, round_sent, lease_until, sticky_until).hash(h);
        (applied_seqs, read_seqs, stats).hash(h);
        // Only when something is parked, so the model's states (which never
        // park) hash as they always did.
        if !blocked.is_empty() {
            blocked.hash(h);
        }
        // Likewise only in follower-read mode.
        if *asks_sent > 0 || !read_asks.is_empty() || !asks_seen.is_empty() {
            let askers: Vec<_> = read_asks
                .iter()
                .map(|a| (a.ask, a.read_index, a.round))
                .collect();
            (asks_sent, askers, sorted(asks_seen)).hash(h);
        }
    }

    /// The earliest time this state remembers: its clock, or an
    /// unconfirmed round's send time (a lease is counted from it).
    pub fn earliest_time(&self) -> u64 {
        self.round_sent.values().copied().fold(self.clock, u64::min)
    }

    /// The same state with every time in it `by` ms earlier, and every
    /// deadline, lease or stickiness already behind the clock written as 0
    /// (the model's time reductions: a node decides by comparing its clock
    /// with the times it stored, never by the clock's value, and a time
    /// behind the clock stays behind it). `by` is at most
    /// [`NodeState::earliest_time`].
    pub fn shift_time(&mut self, by: u64) {
        let clock = self.clock - by;
        let passed = |t: u64| {
            let t = t.saturating_sub(by);
            if t <= clock {
                0
            } else {
                t
            }
        };
        self.clock = clock;
        self.lease_until = passed(self.lease_until);
        self.sticky_until = passed(self.sticky_until);
        let t = &mut self.timers;
        for d in [&mut t.election, &mut t.heartbeat, &mut t.check_quorum] {
            *d = passed(*d);
        }
        if by > 0 {
            self.round_sent = self
                .round_sent
                .iter()
                .map(|(r, at)| (*r, at - by))
                .collect();
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> NodeState {
        NodeState::new(Durable::default(), Mvcc::new(), 0, AppliedSeqs::new())
    }

    #[test]
    fn a_time_shift_keeps_every_comparison_with_the_clock() {
        let mut s = state();
        s.clock = 10;
        s.lease_until = 12;
        s.sticky_until = 9; // already behind the clock
        s.timers.election = 13;
        s.timers.heartbeat = 10; // due now
        s.round_sent.insert(4, 8);
        assert_eq!(s.earliest_time(), 8);
        s.shift_time(8);
        assert_eq!(s.clock, 2);
        assert_eq!(s.lease_until, 4);
        assert_eq!(s.timers.election, 5);
        // Behind or at the clock: written as 0, and still not ahead of it.
        assert_eq!((s.sticky_until, s.timers.heartbeat), (0, 0));
        assert_eq!(s.round_sent.get(&4), Some(&0));
        // Shifting by nothing only forgets what is behind the clock.
        let before = s.clone();
        s.shift_time(0);
        assert_eq!(s, before);
    }
}
