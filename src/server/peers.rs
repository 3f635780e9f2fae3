//! The peer transport: node-to-node messages over TCP.
//!
//! Each frame is a little-endian `u64` length and a bincode-encoded
//! [`Wire`] (`src`, `dst`, the [`Msg`]). The length is a `u64` so no value a
//! client can store makes a frame too large to send (an AppendEntries carries
//! whole values).
//!
//! With `--peer-tls-*` every connection is mutual TLS first
//! ([`super::tls`]). Every connection then starts with the handshake of [`super::peer_auth`]: the
//! caller proves it holds the cluster secret and names itself, and the
//! connection then carries frames from that node only.
//!
//! One writer task per peer owns the connection: it connects (retrying with
//! backoff), writes frames in order, and on any error drops the connection
//! and the frame — Raft tolerates loss and resends. Its queue is bounded:
//! while a peer is down, the newest frames beyond the bound are dropped
//! rather than buffered without limit. One listener accepts connections from
//! every peer and feeds decoded frames to the node thread.
//!
//! The fault hooks of tests and demos live here, below the actor: a partition
//! drops frames to and from chosen peers, and `--peer-delay-ms` holds every
//! frame for a while before it is written (order is kept).
//!
//! Answers for clients of another node (a follower forwarded the request and
//! the leader answers the client directly) are addressed to that node's
//! client id ([`super::addr::client_id_of`]), and travel to that node like any frame.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::node::Msg;

use super::addr::node_of_client;
use super::handle::{Input, NodeHandle, Transport};
use super::peer_auth::{self, PeerAuth, HANDSHAKE_TIMEOUT};
use super::tls::{accept_peer, connect_peer, PeerStream, PeerTls};

/// Frames queued per peer at most while it is slow or down.
const PEER_QUEUE: usize = 65_536;

/// One frame on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub struct Wire {
    pub src: Id,
    pub dst: Id,
    pub msg: Msg,
}

fn encode(w: &Wire) -> Option<Vec<u8>> {
    match bincode::serde::encode_to_vec(w, bincode::config::standard()) {
        Ok(body) => {
            let mut frame = Vec::with_capacity(8 + body.len());
            frame.extend_from_slice(&(body.len() as u64).to_le_bytes());
            frame.extend_from_slice(&body);
            Some(frame)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot encode a peer message; dropped");
            None
        }
    }
}

/// Faults injected into the transport (off unless asked for).
#[derive(Debug, Default)]
pub struct Faults {
    /// Peers this node neither sends to nor accepts frames from.
    pub partitioned: Mutex<BTreeSet<Id>>,
    /// Every frame waits this long before it is written.
    pub delay: Mutex<Duration>,
}

impl Faults {
    pub fn cut(&self, peer: Id) -> bool {
        self.partitioned
            .lock()
            .map(|p| p.contains(&peer))
            .unwrap_or(false)
    }
    fn delay(&self) -> Duration {
        self.delay.lock().map(|d| *d).unwrap_or_default()
    }
}

/// The node thread's side: encode and queue for the peer's writer task.
pub struct TcpPeers {
    me: Id,
    queues: BTreeMap<Id, mpsc::Sender<(Instant, Vec<u8>)>>,
    faults: Arc<Faults>,
}

impl Transport for TcpPeers {
    fn send(&mut self, dst: Id, msg: Msg) {
        // An answer for another node's client goes to that node.
        let hop = node_of_client(dst).unwrap_or(dst);
        if self.faults.cut(hop) {
            return;
        }
        let Some(queue) = self.queues.get(&hop) else {
            tracing::warn!(?dst, "message for an unknown peer dropped");
            return;
        };
        let Some(frame) = encode(&Wire {
            src: self.me,
            dst,
            msg,
        }) else {
            return;
        };
        if queue.try_send((Instant::now(), frame)).is_err() {
            tracing::debug!(peer = ?hop, "peer queue full or closed; frame dropped");
        }
    }
}

/// Start a writer task per peer (on the current tokio runtime) and return the
/// transport the node thread sends through.
pub fn connect(
    me: Id,
    peers: &BTreeMap<Id, SocketAddr>,
    faults: Arc<Faults>,
    auth: PeerAuth,
    tls: Option<Arc<PeerTls>>,
) -> TcpPeers {
    let mut queues = BTreeMap::new();
    for (&peer, &addr) in peers.iter().filter(|(p, _)| **p != me) {
        let (tx, rx) = mpsc::channel(PEER_QUEUE);
        queues.insert(peer, tx);
        let link = Link {
            me,
            peer,
            addr,
            auth: auth.clone(),
            tls: tls.clone(),
        };
        tokio::spawn(writer(link, rx, faults.clone()));
    }
    TcpPeers { me, queues, faults }
}

/// One outgoing peer link: who calls whom, where, and how it proves it.
struct Link {
    me: Id,
    peer: Id,
    addr: SocketAddr,
    auth: PeerAuth,
    /// Mutual TLS under the handshake (none: plain TCP).
    tls: Option<Arc<PeerTls>>,
}

impl Link {
    /// Connect and introduce this node (the handshake of
    /// [`peer_auth`]); Err: why not, to log.
    async fn open(&self) -> Result<PeerStream, String> {
        let mut s = connect_peer(self.addr, self.tls.as_deref())
            .await
            // A failed TLS handshake is logged loudly where it happens.
            .map_err(|e| format!("unreachable: {e}"))?;
        let (me, peer) = (usize::from(self.me) as u64, usize::from(self.peer) as u64);
        match tokio::time::timeout(
            HANDSHAKE_TIMEOUT,
            peer_auth::connect(&mut s, &self.auth, me, peer),
        )
        .await
        {
            Ok(Ok(())) => Ok(s),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("handshake timed out".into()),
        }
    }
}

async fn writer(link: Link, mut rx: mpsc::Receiver<(Instant, Vec<u8>)>, faults: Arc<Faults>) {
    let (peer, addr) = (link.peer, link.addr);
    // A refused handshake is logged once until a handshake succeeds again,
    // not at every retry.
    let mut refused = false;
    let mut backoff = Duration::from_millis(20);
    let mut conn: Option<PeerStream> = None;
    while let Some((queued, frame)) = rx.recv().await {
        let delay = faults.delay();
        if !delay.is_zero() {
            tokio::time::sleep_until(queued + delay).await;
        }
        if faults.cut(peer) {
            continue;
        }
        if conn.is_none() {
            match link.open().await {
                Ok(s) => {
                    backoff = Duration::from_millis(20);
                    refused = false;
                    conn = Some(s);
                }
                Err(e) => {
                    if e.starts_with("unreachable") {
                        tracing::debug!(?peer, %addr, error = %e, "peer unreachable");
                    } else if !refused {
                        refused = true;
                        tracing::warn!(?peer, %addr, error = %e, "peer handshake failed");
                    }
                    // Drop what queued up meanwhile: it is stale, and Raft
                    // resends what still matters.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    while rx.try_recv().is_ok() {}
                    continue;
                }
            }
        }
        if let Some(s) = conn.as_mut() {
            // Write this frame and whatever else is already queued, in one
            // syscall when possible.
            let mut buf = frame;
            while buf.len() < 1 << 20 {
                match rx.try_recv() {
                    Ok((_, f)) if delay.is_zero() => buf.extend_from_slice(&f),
                    Ok((q, f)) => {
                        tokio::time::sleep_until(q + delay).await;
                        buf.extend_from_slice(&f);
                    }
                    Err(_) => break,
                }
            }
            if let Err(e) = s.write_all(&buf).await {
                tracing::debug!(?peer, error = %e, "peer connection lost");
                conn = None;
            }
        }
    }
}

/// Who may connect to this node's peer port, and how.
pub struct Inbound {
    /// This node's id.
    pub own: Id,
    /// Every other node's id: the only ids a caller may claim.
    pub peers: BTreeSet<Id>,
    pub auth: PeerAuth,
    /// Mutual TLS under the handshake (none: plain TCP).
    pub tls: Option<Arc<PeerTls>>,
    /// The largest frame accepted, in bytes.
    pub max_frame: u64,
}

/// Accept peer connections and feed their frames to the node thread until
/// the listener fails.
pub async fn listen(
    listener: TcpListener,
    inbound: Inbound,
    node: NodeHandle,
    faults: Arc<Faults>,
) {
    let inbound = Arc::new(inbound);
    loop {
        match listener.accept().await {
            Ok((stream, from)) => {
                let (node, faults, inbound) = (node.clone(), faults.clone(), inbound.clone());
                // Both handshakes run in the connection's task: TLS (when
                // on), then the cluster's own.
                tokio::spawn(async move {
                    let Inbound {
                        own,
                        peers,
                        auth,
                        tls,
                        max_frame,
                    } = &*inbound;
                    let mut stream = match accept_peer(stream, tls.as_deref()).await {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!(%from, error = %e, "peer connection refused");
                            return;
                        }
                    };
                    let me = usize::from(*own) as u64;
                    let known = |id: u64| peers.contains(&Id::from(id as usize));
                    let hello = peer_auth::accept(&mut stream, auth, me, known);
                    let peer = match tokio::time::timeout(HANDSHAKE_TIMEOUT, hello).await {
                        Ok(Ok(id)) => Id::from(id as usize),
                        Ok(Err(e)) => {
                            tracing::warn!(%from, error = %e, "peer refused");
                            return;
                        }
                        Err(_) => {
                            tracing::warn!(%from, "peer handshake timed out; closing the connection");
                            return;
                        }
                    };
                    reader(stream, from, peer, node, faults, *max_frame).await;
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "peer accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Whether a node ever sends `msg` to another: the clock, the expiry tick
/// and a client's request are inputs of a node's own runtime (its clock and
/// its connections), and a peer's are forged — a tick from a peer would
/// expire keys by the peer's idea of time.
fn crosses_the_wire(msg: &Msg) -> bool {
    use crate::node::ClientMsg;
    !matches!(
        msg,
        Msg::Tick { .. } | Msg::Clock { .. } | Msg::Client(ClientMsg::Request(_))
    )
}

/// Read frames from one peer connection, whose handshake proved it is
/// `peer`'s. A frame from any other sender closes it. A length above `max_frame` closes
/// the connection before a byte of its body is read, and the body buffer
/// grows only as bytes arrive: what a peer claims allocates nothing. serde's
/// cautious size hints keep a claimed element count inside a frame from
/// preallocating more than a small bound either.
async fn reader(
    stream: impl AsyncRead + Unpin,
    from: SocketAddr,
    peer: Id,
    node: NodeHandle,
    faults: Arc<Faults>,
    max_frame: u64,
) {
    let mut r = tokio::io::BufReader::with_capacity(1 << 16, stream);
    loop {
        let len = match r.read_u64_le().await {
            Ok(n) => n,
            Err(_) => return, // closed
        };
        if len > max_frame {
            tracing::warn!(
                %from,
                len,
                max_frame,
                "peer frame longer than --max-peer-frame-mb; closing the connection"
            );
            return;
        }
        let mut body = Vec::new();
        match (&mut r).take(len).read_to_end(&mut body).await {
            Ok(n) if n as u64 == len => {}
            _ => return, // closed mid-frame
        }
        let wire: Wire = match bincode::serde::decode_from_slice(&body, bincode::config::standard())
        {
            Ok((w, _)) => w,
            Err(e) => {
                tracing::warn!(%from, error = %e, "undecodable peer frame; closing the connection");
                return;
            }
        };
        if wire.src != peer {
            // A connection speaks only for the node its handshake named
            // (this node's own id was refused there).
            tracing::warn!(%from, ?peer, claimed = ?wire.src, "peer frame from another node's id; closing the connection");
            return;
        }
        if !crosses_the_wire(&wire.msg) {
            tracing::warn!(%from, ?peer, "peer frame carrying a runtime-only input; closing the connection");
            return;
        }
        if faults.cut(wire.src) {
            continue;
        }
        if !node.send(Input::Peer {
            src: wire.src,
            dst: wire.dst,
            msg: wire.msg,
        }) {
            return; // the node has stopped
        }
    }
}
