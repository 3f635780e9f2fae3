//! The node thread as the rest of the server sees it: the [`Input`]s it is
//! fed through a cloneable [`NodeHandle`], what INFO reads back
//! ([`NodeInfo`]), and the [`Transport`] it sends peer messages through.
//! The connections and the peer listener hold a handle; the node thread
//! owns the receiving end. Both the runtime and the peer transport use these
//! types, so neither needs the other.

use std::sync::mpsc;

use stateright::actor::Id;
use tokio::sync::oneshot;

use crate::cmd::Command;
use crate::node::{Msg, Stats, Unblock};
use crate::raft::Index;
use crate::resp::Reply;

/// What the node thread is fed.
pub enum Input {
    /// A parsed keyspace command from a connection, stamped with the clock
    /// when it was accepted.
    Request {
        cmd: Command,
        now_ms: u64,
        /// The connection's client id (CLIENT UNBLOCK names it).
        conn: u64,
        reply: oneshot::Sender<Reply>,
    },
    /// CLIENT UNBLOCK: withdraw connection `conn`'s waiting blocking pops;
    /// answers 1 if it had one, else 0.
    Unblock {
        conn: u64,
        how: Unblock,
        reply: oneshot::Sender<Reply>,
    },
    /// INFO: a snapshot of the node's counters; `keyspace` also counts keys.
    Info {
        keyspace: bool,
        now_ms: u64,
        reply: oneshot::Sender<NodeInfo>,
    },
    /// A frame from a peer: a message for the actor, or (addressed to this
    /// node's client id) an answer for one of its connections.
    Peer { src: Id, dst: Id, msg: Msg },
    /// Finish the current batch, make everything durable and stop.
    Shutdown,
}

/// What INFO shows about the node.
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub role: &'static str,
    pub term: u64,
    pub leader: Option<Id>,
    pub commit_index: Index,
    pub applied_index: Index,
    pub log_entries: u64,
    /// The last entry the snapshot covers (0: none); entries held in the log
    /// are those after it.
    pub snapshot_index: Index,
    pub persisted_entries: u64,
    pub storage_batches: u64,
    pub storage_syncs: u64,
    /// Some acknowledged state is not yet durable (everysec, no).
    pub sync_pending: bool,
    pub stats: Stats,
    pub gaps: Vec<&'static str>,
    /// Live keys and keys with a TTL, counted through the read chain (only
    /// when asked: it walks the keyspace).
    pub keys: Option<(u64, u64)>,
    /// Blocking pops parked at this node (it leads) waiting for a write.
    pub blocked_clients: usize,
    /// Scripts in the replicated cache, and their bodies' and keys' bytes.
    pub cached_scripts: (u64, u64),
    /// Functions in the replicated libraries, and the libraries' bytes.
    pub functions: (u64, u64),
}

/// Where messages for other nodes go. A cluster of one has none; the peer
/// transport (TCP between nodes) implements it for a cluster.
pub trait Transport: Send {
    fn send(&mut self, dst: Id, msg: Msg);
}

/// The connections' side of the node: a cheap, cloneable sender.
#[derive(Clone)]
pub struct NodeHandle {
    tx: mpsc::Sender<Input>,
}

impl NodeHandle {
    /// The handle feeding the node thread that receives from `tx`'s channel.
    pub(super) fn new(tx: mpsc::Sender<Input>) -> Self {
        NodeHandle { tx }
    }

    /// Send a command to the node; the receiver yields its reply (or an
    /// error if the node has stopped).
    pub fn request(&self, cmd: Command, now_ms: u64, conn: u64) -> oneshot::Receiver<Reply> {
        let (reply, rx) = oneshot::channel();
        // If the node has stopped the sender is dropped with the input and
        // the receiver reports it.
        let _ = self.tx.send(Input::Request {
            cmd,
            now_ms,
            conn,
            reply,
        });
        rx
    }

    pub fn unblock(&self, conn: u64, how: Unblock) -> oneshot::Receiver<Reply> {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Input::Unblock { conn, how, reply });
        rx
    }

    pub fn info(&self, keyspace: bool, now_ms: u64) -> oneshot::Receiver<NodeInfo> {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Input::Info {
            keyspace,
            now_ms,
            reply,
        });
        rx
    }

    /// Feed an input; false if the node has stopped.
    pub fn send(&self, input: Input) -> bool {
        self.tx.send(input).is_ok()
    }

    pub fn shutdown(&self) {
        let _ = self.tx.send(Input::Shutdown);
    }
}
