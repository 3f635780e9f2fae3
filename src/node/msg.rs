//! What a node sends and receives: a client's request and its answers
//! ([`ClientMsg`]), the runtime's clock ([`Msg::Tick`]), Raft between nodes
//! ([`PeerMsg`]), and the node's timers.
//!
//! The variants are declared in one fixed order (client messages, the tick,
//! peer messages): the model checker orders its actions by `Msg`'s `Ord`, so
//! this order is the order in which it explores deliveries.

use std::fmt;

use serde::{Deserialize, Serialize};
use stateright::actor::Id;

use super::state::RaftSnapshot;
pub use super::state::Unblock;
use crate::cmd::Command;
pub use crate::raft::ReqId;
use crate::raft::{Entry, Index, Term};
use crate::resp::Reply;

/// Everything a node sends or receives. `Debug` shows the innermost message
/// (`Vote { term: 1, granted: true }`), as the explorer and logs print it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Msg {
    Client(ClientMsg),
    /// Time passes: the leader proposes deletions of keys that expired.
    Tick {
        now_ms: u64,
    },
    /// The node's monotonic clock now reads `now` ms (the server's runtime
    /// before each event; the model's `Timer::Clock`). Leases, vote
    /// stickiness and timer deadlines are kept by it.
    Clock {
        now: u64,
    },
    Peer(PeerMsg),
}

/// A client's request, on its way to the leader, and the answers to it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum ClientMsg {
    Request(Request),
    /// A follower passes a client's request to the leader it knows; the
    /// leader answers `client` directly (the runtime routes the answer to the
    /// node that holds the connection). Forwarded at most once: a node that
    /// no longer leads answers `Redirect`.
    Forwarded(Forwarded),
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
    /// Withdraw `client`'s waiting blocking pop (spec BL-5): its connection
    /// closed, or CLIENT UNBLOCK. The server's runtime sends it to its own
    /// node, which passes it on to the leader it knows when the pop is not
    /// parked here (it was forwarded). The model's clients never send it.
    Unblock {
        client: Id,
        req: ReqId,
        how: Unblock,
    },
}

/// A parsed command, stamped with the accepting side's clock (unix ms).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Request {
    pub req: ReqId,
    pub now_ms: u64,
    pub cmd: Command,
    /// The sender numbers its requests upwards with one in flight (a client
    /// session, Raft thesis §6.3), so a duplicate delivery is recognised and
    /// applied at most once. The model's clients do; the server's
    /// connections do not (RESP has no request ids, and TCP does not
    /// duplicate).
    pub dedup: bool,
}

/// A client's request relayed by a follower.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Forwarded {
    pub client: Id,
    pub request: Request,
}

/// Raft's messages between nodes (§5, §7).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum PeerMsg {
    RequestVote(RequestVote),
    Vote(Vote),
    AppendEntries(AppendEntries),
    InstallSnapshot(InstallSnapshot),
    AppendResult(AppendResult),
    /// "Would you vote for me in `term`?" (thesis §9.6). Changes no term.
    PreVote(RequestVote),
    /// The answer to a `PreVote`: `term` is the proposed term if granted,
    /// else the voter's own.
    PreVoteResult(Vote),
    /// Follower reads: a follower asks the leader for a read index for
    /// every read it holds that arrived before this ask (spec §6, Follower
    /// reads).
    ReadIndex(ReadIndexAsk),
    /// The leader's answer once it has confirmed it leads: the read index
    /// for every ask of that follower up to `ask`; `None` from a node that
    /// does not lead (the follower sends its reads' clients elsewhere).
    ReadIndexResult(ReadIndexGrant),
}

/// A follower's request for a read index; `ask` numbers them upwards.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct ReadIndexAsk {
    pub ask: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct ReadIndexGrant {
    pub ask: u64,
    pub read_index: Option<Index>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct RequestVote {
    pub term: Term,
    pub last_log_index: Index,
    pub last_log_term: Term,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Vote {
    pub term: Term,
    pub granted: bool,
}

/// Replication and heartbeat. `round` is the leader's latest fence round:
/// an acknowledgement carrying it proves leadership as of that round.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct AppendEntries {
    pub term: Term,
    pub prev_index: Index,
    pub prev_term: Term,
    pub entries: Vec<Entry>,
    pub leader_commit: Index,
    pub round: u64,
}

/// A follower needs entries the leader compacted: here is the state machine
/// as of the leader's log base (Raft §7). Answered with `AppendResult`, like
/// an append.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct InstallSnapshot {
    pub term: Term,
    pub snapshot: RaftSnapshot,
    pub leader_commit: Index,
    pub round: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct AppendResult {
    pub term: Term,
    pub success: bool,
    /// On success, the follower's last matching index; on failure, a hint
    /// (the follower's last index) so the leader can back off at once.
    pub match_index: Index,
    pub round: u64,
}

impl From<ClientMsg> for Msg {
    fn from(m: ClientMsg) -> Msg {
        Msg::Client(m)
    }
}

impl From<PeerMsg> for Msg {
    fn from(m: PeerMsg) -> Msg {
        Msg::Peer(m)
    }
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Client(m) => m.fmt(f),
            Msg::Tick { now_ms } => f.debug_struct("Tick").field("now_ms", now_ms).finish(),
            Msg::Clock { now } => f.debug_struct("Clock").field("now", now).finish(),
            Msg::Peer(m) => m.fmt(f),
        }
    }
}

impl fmt::Debug for ClientMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientMsg::Request(m) => m.fmt(f),
            ClientMsg::Forwarded(m) => m.fmt(f),
            ClientMsg::Reply { req, reply } => f
                .debug_struct("Reply")
                .field("req", req)
                .field("reply", reply)
                .finish(),
            ClientMsg::Redirect { req, leader } => f
                .debug_struct("Redirect")
                .field("req", req)
                .field("leader", leader)
                .finish(),
            ClientMsg::Uncertain { req } => f.debug_struct("Uncertain").field("req", req).finish(),
            ClientMsg::Unblock { client, req, how } => f
                .debug_struct("Unblock")
                .field("client", client)
                .field("req", req)
                .field("how", how)
                .finish(),
        }
    }
}

impl fmt::Debug for PeerMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerMsg::RequestVote(m) => m.fmt(f),
            PeerMsg::Vote(m) => m.fmt(f),
            PeerMsg::AppendEntries(m) => m.fmt(f),
            PeerMsg::InstallSnapshot(m) => m.fmt(f),
            PeerMsg::AppendResult(m) => m.fmt(f),
            PeerMsg::PreVote(m) => f
                .debug_struct("PreVote")
                .field("term", &m.term)
                .field("last_log_index", &m.last_log_index)
                .field("last_log_term", &m.last_log_term)
                .finish(),
            PeerMsg::PreVoteResult(m) => f
                .debug_struct("PreVoteResult")
                .field("term", &m.term)
                .field("granted", &m.granted)
                .finish(),
            PeerMsg::ReadIndex(m) => m.fmt(f),
            PeerMsg::ReadIndexResult(m) => m.fmt(f),
        }
    }
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
    /// A leader checks that a majority answered since the last check
    /// (`check-quorum`).
    CheckQuorum,
    /// The model only, with time: the node's clock advances one ms. The
    /// node ignores it (the model delivers the new reading as `Msg::Clock`).
    Clock,
}
