//! The node event loop: one std thread owns the [`Node`] actor and its
//! [`NodeState`] and carries out what the actor asks for.
//!
//! It calls the same `on_start`/`on_msg`/`on_timeout` the model checker calls,
//! with a real `stateright::actor::Out`, and executes its commands: `Send`
//! (to a client's oneshot or the peer transport), `SetTimer` /
//! `CancelTimer` (a deadline table) and `Save` (the durable log). It decides
//! nothing itself.
//!
//! Inputs are batched: block for one, drain whatever else is queued (up to
//! [`MAX_BATCH`]), feed each to the actor, then persist the batch's last
//! `Save` (the durable state at the batch's end) in one transaction *before*
//! delivering any `Send` — a reply must not
//! leave before the state it reflects is on disk (Raft's persist-before-send
//! rule). Under load a batch holds many requests, so one commit (one fsync
//! under `always`) serves them all.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use stateright::actor::{Actor, Command as OutCommand, Id, Out};
use tokio::sync::oneshot;

use crate::cmd::Command;
use crate::node::{ClientMsg, Durable, Msg, Node, NodeState, ReqId, Request, Role, Timer, Unblock};
use crate::raft::Term;
use crate::resp::Reply;
use crate::rng::XorShift;
use crate::strings::KeyspaceRead;

use super::addr::client_id_of;
use super::handle::{Input, NodeHandle, NodeInfo, Transport};
use super::storage::{Storage, StorageError};

/// Inputs drained per batch at most, so timers and replies are not starved.
pub const MAX_BATCH: usize = 4096;

/// Active expiry runs this often (`Msg::Tick`).
const TICK_INTERVAL: Duration = Duration::from_millis(100);

/// How long a blocking pop waits for its leader's own answer once a newer
/// term is seen here. A leader that stepped down answers at once (BL-4);
/// one that died never does, and its pop may be in the log: uncertain.
const BLOCKED_LEADER_GRACE: Duration = Duration::from_secs(2);

/// The id of this node in a cluster of one.
pub fn node_id() -> Id {
    Id::from(0)
}

/// How the runtime treats a request the actor could not place: these are a
/// client's choices (like the model client's), not the protocol's.
#[derive(Clone, Copy, Debug)]
pub struct RequestPolicy {
    /// A request with no answer after this long gets an error saying its
    /// outcome is unknown (a forwarded request's leader may have died).
    pub timeout: Duration,
    /// While no leader is known (an election), a request is retried this
    /// often until `timeout`, then answered CLUSTERDOWN.
    pub retry_every: Duration,
}

impl Default for RequestPolicy {
    fn default() -> Self {
        RequestPolicy {
            timeout: Duration::from_secs(5),
            retry_every: Duration::from_millis(25),
        }
    }
}

/// A request waiting for its answer.
struct Waiting {
    tx: oneshot::Sender<Reply>,
    cmd: Command,
    now_ms: u64,
    deadline: Instant,
    /// The last answer was "no leader here": at the deadline, say CLUSTERDOWN.
    redirected: bool,
    /// The connection's client id.
    conn: u64,
    /// This node's term when the request was sent, and when a newer one was
    /// first seen: a blocking pop waits without a deadline, so a leader that
    /// died holding it must not hold its connection forever.
    term: Term,
    term_moved_at: Option<Instant>,
}

/// The wall clock in unix milliseconds (requests are stamped with it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The transport of a cluster of one: there is nobody to send to.
pub struct NoPeers;

impl Transport for NoPeers {
    fn send(&mut self, dst: Id, msg: Msg) {
        tracing::warn!(?dst, ?msg, "message for an unknown peer dropped");
    }
}

/// The running node thread.
pub struct NodeThread {
    pub handle: NodeHandle,
    pub join: JoinHandle<Result<(), StorageError>>,
    /// Fires when the thread ends, with its outcome.
    pub done: oneshot::Receiver<Result<(), String>>,
}

/// Start the node thread. `durable` is what [`Storage::open`] read back.
pub fn spawn(
    id: Id,
    node: Node,
    storage: Storage,
    durable: Option<Durable>,
    transport: Box<dyn Transport>,
    policy: RequestPolicy,
) -> std::io::Result<NodeThread> {
    let (tx, rx) = mpsc::channel();
    let (done_tx, done) = oneshot::channel();
    let join = std::thread::Builder::new()
        .name("fencekv-node".into())
        .spawn(move || {
            let result = Runner::new(id, node, storage, transport, policy).run(durable, rx);
            let _ = done_tx.send(result.as_ref().map(|_| ()).map_err(|e| e.to_string()));
            result
        })?;
    Ok(NodeThread {
        handle: NodeHandle::new(tx),
        join,
        done,
    })
}

/// The error a client sees for a redirect (no leader here).
pub fn redirect_error(leader: Option<Id>) -> Reply {
    match leader {
        None => Reply::err("CLUSTERDOWN no leader elected yet"),
        Some(l) => Reply::err(format!(
            "CLUSTERDOWN this node is not the leader; the leader is node {}",
            usize::from(l)
        )),
    }
}

/// The error a client sees when its write's fate is unknown.
pub fn uncertain_error() -> Reply {
    Reply::err(
        "UNCERTAIN leadership changed before the write was applied; \
         it may or may not have taken effect",
    )
}

/// The error a client sees when no answer came in time.
pub fn timeout_error(after: Duration) -> Reply {
    Reply::err(format!(
        "TIMEOUT no answer within {} ms; the command may or may not have taken effect",
        after.as_millis()
    ))
}

fn storage_failed_error(e: &str) -> Reply {
    Reply::err(format!(
        "MISCONF fencekv could not write its durable log ({e}); the node has stopped"
    ))
}

struct Runner {
    node: Node,
    id: Id,
    client: Id,
    storage: Storage,
    transport: Box<dyn Transport>,
    /// Timer → deadline. Two timers at most, so a Vec.
    timers: Vec<(Timer, Instant)>,
    /// The node's monotonic clock counts ms from here (`Msg::Clock`).
    started: Instant,
    next_tick: Instant,
    rng: XorShift,
    policy: RequestPolicy,
    next_req: ReqId,
    waiting: HashMap<ReqId, Waiting, BuildHasherDefault<ReqIdHasher>>,
    /// Requests in deadline order (the timeout is fixed, so arrival order).
    deadlines: std::collections::VecDeque<(Instant, ReqId)>,
    /// Requests to send again once no leader was known, in time order.
    retries: std::collections::VecDeque<(Instant, ReqId)>,
    /// Whether the batch asked for a `Save`, and its `Send`s in order.
    save: bool,
    sends: Vec<(Id, Msg)>,
    infos: Vec<(oneshot::Sender<NodeInfo>, NodeInfo)>,
}

impl Runner {
    fn new(
        id: Id,
        node: Node,
        storage: Storage,
        transport: Box<dyn Transport>,
        policy: RequestPolicy,
    ) -> Self {
        Runner {
            node,
            id,
            client: client_id_of(id),
            storage,
            transport,
            timers: Vec::new(),
            started: Instant::now(),
            next_tick: Instant::now() + TICK_INTERVAL,
            rng: rng_from_clock(),
            policy,
            next_req: 1,
            waiting: HashMap::default(),
            deadlines: Default::default(),
            retries: Default::default(),
            save: false,
            sends: Vec::new(),
            infos: Vec::new(),
        }
    }

    fn run(
        mut self,
        durable: Option<Durable>,
        rx: mpsc::Receiver<Input>,
    ) -> Result<(), StorageError> {
        let mut out = Out::new();
        let state = self.node.on_start(self.id, &durable, &mut out);
        drop(durable);
        let mut state: Cow<'static, NodeState> = Cow::Owned(state);
        self.absorb(out);
        if let Err(e) = self.finish_batch(&state) {
            return Err(self.fail(e, rx));
        }
        tracing::info!(
            role = state.role.name(),
            term = state.term(),
            log = state.log().last_index(),
            applied = state.applied,
            "node started"
        );
        loop {
            let timeout = self
                .next_deadline()
                .saturating_duration_since(Instant::now());
            let first = match rx.recv_timeout(timeout) {
                Ok(input) => Some(input),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                // Every handle is gone: nobody can ask for anything any more.
                Err(mpsc::RecvTimeoutError::Disconnected) => Some(Input::Shutdown),
            };
            let mut shutdown = false;
            if let Some(input) = first {
                shutdown |= self.input(&mut state, input);
                for _ in 1..MAX_BATCH {
                    match rx.try_recv() {
                        Ok(input) => shutdown |= self.input(&mut state, input),
                        Err(_) => break,
                    }
                }
            }
            self.fire_due(&mut state);
            if let Err(e) = self.finish_batch(&state) {
                return Err(self.fail(e, rx));
            }
            if shutdown {
                if let Err(e) = self.storage.sync() {
                    return Err(self.fail(e, rx));
                }
                tracing::info!(
                    log = state.log().last_index(),
                    "node stopped; durable log synced"
                );
                return Ok(());
            }
        }
    }

    /// Tell the node its monotonic clock before it acts, if a ms passed
    /// (leases, vote stickiness).
    fn sync_clock(&mut self, state: &mut Cow<'static, NodeState>) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if now > state.clock {
            let mut out = Out::new();
            self.node
                .on_msg(self.id, state, self.id, Msg::Clock { now }, &mut out);
            self.absorb(out);
        }
    }

    /// Feed one input to the actor. Returns true for shutdown.
    fn input(&mut self, state: &mut Cow<'static, NodeState>, input: Input) -> bool {
        self.sync_clock(state);
        let mut out = Out::new();
        match input {
            Input::Request {
                cmd,
                now_ms,
                conn,
                reply,
            } => {
                let req = self.next_req;
                self.next_req += 1;
                let deadline = Instant::now() + self.policy.timeout;
                // A blocking pop may wait longer than any request timeout:
                // the leader answers it (served, timed out, or unblocked).
                let blocks = cmd.block_deadline_ms().is_some();
                self.waiting.insert(
                    req,
                    Waiting {
                        tx: reply,
                        cmd: cmd.clone(),
                        now_ms,
                        deadline,
                        redirected: false,
                        conn,
                        term: state.term(),
                        term_moved_at: None,
                    },
                );
                if !blocks {
                    self.deadlines.push_back((deadline, req));
                }
                self.node.on_msg(
                    self.id,
                    state,
                    self.client,
                    Msg::Client(ClientMsg::Request(Request {
                        req,
                        now_ms,
                        cmd,
                        dedup: false,
                    })),
                    &mut out,
                );
            }
            Input::Peer { dst, msg, .. } if dst == self.client => {
                self.answer(msg);
                return false;
            }
            Input::Peer { src, msg, .. } => self.node.on_msg(self.id, state, src, msg, &mut out),
            Input::Info {
                keyspace,
                now_ms,
                reply,
            } => {
                // Answered with the batch's sends: INFO too must not show
                // state that is not yet on disk.
                let info = self.info(state, keyspace, now_ms);
                self.infos.push((reply, info));
            }
            Input::Unblock { conn, how, reply } => {
                let reqs: Vec<ReqId> = self
                    .waiting
                    .iter()
                    .filter(|(_, w)| w.conn == conn && w.cmd.block_deadline_ms().is_some())
                    .map(|(req, _)| *req)
                    .collect();
                let _ = reply.send(Reply::Integer(i64::from(!reqs.is_empty())));
                for req in reqs {
                    let msg = Msg::Client(ClientMsg::Unblock {
                        client: self.client,
                        req,
                        how,
                    });
                    self.node.on_msg(self.id, state, self.client, msg, &mut out);
                }
            }
            Input::Shutdown => return true,
        }
        self.absorb(out);
        false
    }

    /// Take the actor's commands: timers at once (in order), the newest save
    /// and the sends for after the batch is persisted.
    fn absorb(&mut self, out: Out<Node>) {
        for c in out {
            match c {
                OutCommand::Send(dst, msg) => self.sends.push((dst, msg)),
                OutCommand::SetTimer(timer, range) => {
                    let span = range.end.saturating_sub(range.start);
                    let jitter = if span.is_zero() {
                        Duration::ZERO
                    } else {
                        Duration::from_nanos(self.rng.next_u64() % span.as_nanos().max(1) as u64)
                    };
                    let at = Instant::now() + range.start + jitter;
                    match self.timers.iter_mut().find(|(t, _)| *t == timer) {
                        Some(slot) => slot.1 = at,
                        None => self.timers.push((timer, at)),
                    }
                }
                OutCommand::CancelTimer(timer) => self.timers.retain(|(t, _)| *t != timer),
                // Each `Save` carries the node's whole durable state as it
                // is at that moment, and the node changes its durable state
                // only together with a `Save`; so the last `Save` of a batch
                // equals the state's `durable` when the batch ends, and that
                // is what gets persisted. Dropping the copy here matters: it
                // shares the log's `im::Vector`, and while it lives every
                // append copies a 64-entry chunk (measured: a third of the
                // node thread's time under load).
                OutCommand::Save(d) => {
                    drop(d);
                    self.save = true;
                }
                OutCommand::ChooseRandom(..) => {}
            }
        }
    }

    /// Persist, then deliver: never a reply before its state is on disk.
    fn finish_batch(&mut self, state: &NodeState) -> Result<(), StorageError> {
        if std::mem::take(&mut self.save) {
            self.storage.persist(state.durable())?;
        }
        self.storage.maybe_sync()?;
        for (tx, info) in self.infos.drain(..) {
            let _ = tx.send(info);
        }
        let sends = std::mem::take(&mut self.sends);
        for (dst, msg) in sends {
            if dst == self.client {
                self.answer(msg);
            } else {
                self.transport.send(dst, msg);
            }
        }
        Ok(())
    }

    /// An answer for one of this node's connections (from the local actor or,
    /// for a forwarded request, from the leader). Reads and writes that found
    /// no leader are sent again until their deadline: nothing happened yet.
    fn answer(&mut self, msg: Msg) {
        let (req, reply) = match msg {
            Msg::Client(ClientMsg::Reply { req, reply }) => (req, reply),
            Msg::Client(ClientMsg::Redirect { req, leader }) => {
                let now = Instant::now();
                if let Some(w) = self.waiting.get_mut(&req) {
                    if now + self.policy.retry_every < w.deadline {
                        w.redirected = true;
                        self.retries.push_back((now + self.policy.retry_every, req));
                        return;
                    }
                }
                (req, redirect_error(leader))
            }
            Msg::Client(ClientMsg::Uncertain { req }) => (req, uncertain_error()),
            other => {
                tracing::warn!(?other, "unexpected message for a client dropped");
                return;
            }
        };
        if let Some(w) = self.waiting.remove(&req) {
            // The connection may have gone; its answer goes nowhere.
            let _ = w.tx.send(reply);
        }
    }

    fn next_deadline(&self) -> Instant {
        let mut at = self.next_tick;
        if let Some((t, _)) = self.retries.front() {
            at = at.min(*t);
        }
        if let Some((t, _)) = self.deadlines.front() {
            at = at.min(*t);
        }
        for (_, t) in &self.timers {
            at = at.min(*t);
        }
        if let Some(s) = self.storage.sync_deadline() {
            at = at.min(s);
        }
        at
    }

    fn fire_due(&mut self, state: &mut Cow<'static, NodeState>) {
        self.sync_clock(state);
        let now = Instant::now();
        while self.retries.front().is_some_and(|(t, _)| *t <= now) {
            let Some((_, req)) = self.retries.pop_front() else {
                break;
            };
            let Some(w) = self.waiting.get_mut(&req) else {
                continue;
            };
            // This attempt may be forwarded, and a forwarded write may apply:
            // only a fresh "no leader" answer makes the outcome certain again.
            w.redirected = false;
            let msg = Msg::Client(ClientMsg::Request(Request {
                req,
                now_ms: w.now_ms,
                cmd: w.cmd.clone(),
                dedup: false,
            }));
            let mut out = Out::new();
            self.node.on_msg(self.id, state, self.client, msg, &mut out);
            self.absorb(out);
        }
        while self.deadlines.front().is_some_and(|(t, _)| *t <= now) {
            let Some((_, req)) = self.deadlines.pop_front() else {
                break;
            };
            if let Some(w) = self.waiting.remove(&req) {
                let reply = if w.redirected {
                    redirect_error(None)
                } else {
                    timeout_error(self.policy.timeout)
                };
                let _ = w.tx.send(reply);
            }
        }
        while let Some(pos) = self.timers.iter().position(|(_, at)| *at <= now) {
            let (timer, _) = self.timers.swap_remove(pos);
            let mut out = Out::new();
            self.node.on_timeout(self.id, state, &timer, &mut out);
            self.absorb(out);
        }
        if self.next_tick <= now {
            self.next_tick = now + TICK_INTERVAL;
            self.cancel_abandoned_blocks(state);
            self.give_up_orphaned_blocks(state.term(), now);
            let mut out = Out::new();
            self.node.on_msg(
                self.id,
                state,
                self.id,
                Msg::Tick { now_ms: now_ms() },
                &mut out,
            );
            self.absorb(out);
        }
    }

    /// A blocking pop whose connection closed is withdrawn (spec BL-5), so
    /// no later write pops an element for nobody. This node's actor passes
    /// the withdrawal on to the leader when the pop was forwarded.
    fn cancel_abandoned_blocks(&mut self, state: &mut Cow<'static, NodeState>) {
        let gone: Vec<ReqId> = self
            .waiting
            .iter()
            .filter(|(_, w)| w.tx.is_closed() && w.cmd.block_deadline_ms().is_some())
            .map(|(req, _)| *req)
            .collect();
        for req in gone {
            self.waiting.remove(&req);
            let mut out = Out::new();
            let msg = Msg::Client(ClientMsg::Unblock {
                client: self.client,
                req,
                how: Unblock::Gone,
            });
            self.node.on_msg(self.id, state, self.client, msg, &mut out);
            self.absorb(out);
        }
    }

    /// A blocking pop sent before the term moved on, and not answered within
    /// [`BLOCKED_LEADER_GRACE`] of that: its leader is gone (BL-4).
    fn give_up_orphaned_blocks(&mut self, term: Term, now: Instant) {
        let mut gone = Vec::new();
        for (req, w) in &mut self.waiting {
            if w.term >= term || w.cmd.block_deadline_ms().is_none() {
                continue;
            }
            let since = *w.term_moved_at.get_or_insert(now);
            if now.duration_since(since) >= BLOCKED_LEADER_GRACE {
                gone.push(*req);
            }
        }
        for req in gone {
            if let Some(w) = self.waiting.remove(&req) {
                let _ = w.tx.send(uncertain_error());
            }
        }
    }

    fn info(&self, state: &NodeState, keyspace: bool, now_ms: u64) -> NodeInfo {
        let keys = keyspace.then(|| {
            let snap = state.store.snapshot(state.applied);
            let view = KeyspaceRead::new(&snap, now_ms, self.node.config().modes.chain());
            let (mut keys, mut expires) = (0u64, 0u64);
            view.for_each_key(&mut |_, v| {
                keys += 1;
                expires += v.expire_at.is_some() as u64;
                true
            });
            (keys, expires)
        });
        // Count and bytes of the replicated records under a prefix.
        let records = |prefix: &[u8]| {
            use crate::raw::RawGet;
            let snap = state.store.snapshot(state.applied);
            let (mut n, mut bytes) = (0u64, 0u64);
            snap.raw_scan(prefix, &mut |k, v| {
                if !k.starts_with(prefix) {
                    return false;
                }
                n += 1;
                bytes += (k.len() + v.len()) as u64;
                true
            });
            (n, bytes)
        };
        use crate::strings::encoding::{FUNCTION_NAME_PREFIX, FUNCTION_PREFIX, SCRIPT_PREFIX};
        let cached_scripts = records(SCRIPT_PREFIX);
        let functions = (records(FUNCTION_NAME_PREFIX).0, records(FUNCTION_PREFIX).1);
        NodeInfo {
            role: match state.role {
                Role::Leader => "leader",
                Role::PreCandidate => "pre-candidate",
                Role::Candidate => "candidate",
                Role::Follower => "follower",
            },
            term: state.term(),
            leader: state.leader,
            commit_index: state.commit_index,
            applied_index: state.applied,
            log_entries: state.log().last_index(),
            snapshot_index: state.log().base_index(),
            persisted_entries: self.storage.log_len(),
            storage_batches: self.storage.batches,
            storage_syncs: self.storage.syncs,
            sync_pending: self.storage.sync_pending(),
            stats: state.stats.clone(),
            blocked_clients: state.blocked.len(),
            cached_scripts,
            functions,
            gaps: {
                let modes = &self.node.config().modes;
                [modes.gaps(), modes.departures()].concat()
            },
            keys,
        }
    }

    /// The disk failed: nothing of this batch may be acknowledged. Answer
    /// every waiting and queued request with the error and stop.
    fn fail(&mut self, e: StorageError, rx: mpsc::Receiver<Input>) -> StorageError {
        tracing::error!(error = %e, "durable log write failed; the node stops");
        let text = e.to_string();
        self.sends.clear();
        self.infos.clear();
        for (_, w) in self.waiting.drain() {
            let _ = w.tx.send(storage_failed_error(&text));
        }
        while let Ok(input) = rx.try_recv() {
            if let Input::Request { reply, .. } = input {
                let _ = reply.send(storage_failed_error(&text));
            }
        }
        e
    }
}

/// Request ids are unique counters: a Fibonacci multiply spreads them over
/// every bit (hashbrown uses the top bits too), without SipHash's cost on
/// the node thread.
#[derive(Default)]
struct ReqIdHasher(u64);

impl Hasher for ReqIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The jitter generator, seeded from the clock: every node draws its own
/// election timeouts.
fn rng_from_clock() -> XorShift {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    XorShift::seeded(seed)
}
