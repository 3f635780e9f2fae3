//! The runtime: the only code that touches sockets, clocks and disks.
//!
//! - [`storage`]: the durable log (term, vote, entries) in redb, with the
//!   `appendfsync` policies.
//! - [`runtime`]: the node thread — drives the [`crate::node::Node`] actor,
//!   persists before it sends, runs timers.
//! - [`handle`]: the node thread's inputs, the handle that feeds it and the
//!   transport it sends through (what [`runtime`] and [`peers`] share).
//! - [`addr`]: the client ids under which each node's runtime talks to the
//!   actor.
//! - [`peer_auth`]: the handshake that opens every peer connection (the
//!   cluster secret, and the caller's id bound to the connection).
//! - [`peers`]: the peer transport (framed messages over TCP) and its fault
//!   hooks.
//! - [`scripts`]: the Lua engine the nodes share and the script watchdog.
//! - [`config`]: the server's configuration, and what CONFIG SET changes.
//! - [`connection`]: the TCP listener and the per-connection read → decode →
//!   dispatch → one-write loop.
//! - [`client_conn`]: one client connection's state.
//! - [`registry`]: every open connection, for CLIENT LIST and INFO.
//! - [`tls`]: TLS for clients and peers: the certificates and keys read at
//!   startup, and the streams they wrap.
//! - [`commands`]: the connection-level commands (HELLO, CLIENT, CONFIG,
//!   COMMAND, INFO, …) and the dispatcher that sends the rest to the node.
//!
//! [`serve`] wires them together for `fencekv serve`: a single node whose
//! cluster is itself, or (with `--id` and `--peers`) one node of a cluster.

pub mod addr;
pub mod client_conn;
pub mod commands;
pub mod config;
pub mod connection;
pub mod errorstats;
pub mod handle;
pub mod peer_auth;
pub mod peers;
pub mod registry;
pub mod runtime;
pub mod scripts;
pub mod storage;
pub mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stateright::actor::Id;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::modes::Modes;
use crate::node::{Node, NodeConfig};
use crate::resp::Limits;

use config::ServerConfig;
use connection::Shared;
use storage::{AppendFsync, Storage};

/// Everything `fencekv serve` is told.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: String,
    /// The plain TCP port (0: none, as in Redis; then `tls` must be given).
    pub port: u16,
    /// The TLS port for clients and its files.
    pub tls: Option<tls::ClientTlsOptions>,
    pub dir: PathBuf,
    pub appendfsync: AppendFsync,
    pub debug_commands: bool,
    pub modes: Modes,
    /// This node's id and every node's peer address; empty: a single node.
    pub cluster: Option<ClusterOptions>,
    pub request_timeout: Duration,
    /// Snapshot the state machine and compact the log every this many
    /// applied entries (0: never).
    pub compact_after: u64,
    /// Past this a running script makes the server busy (`--lua-time-limit`).
    pub lua_time_limit: Duration,
    /// Runs of a script after conflicted commits before it answers an error.
    pub script_retries: u32,
    /// The default user's password (`--requirepass`; empty: none).
    pub requirepass: String,
    /// How many clients may be connected at once (`--maxclients`).
    pub maxclients: u64,
    /// Refuse non-loopback clients while no password is set
    /// (`--protected-mode`).
    pub protected_mode: bool,
    /// Unparsed input past this closes a client
    /// (`--client-query-buffer-limit`).
    pub query_buffer_limit: u64,
    /// `--client-output-buffer-limit`'s class groups (empty: Redis's
    /// defaults), already checked by [`config::parse_output_limits`].
    pub output_buffer_limit: String,
    /// Idle seconds before a client is closed (`--timeout`; 0: never).
    pub timeout_secs: u64,
}

/// One node of a cluster.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    pub id: u64,
    pub peers: BTreeMap<u64, SocketAddr>,
    pub election_timeout: std::ops::Range<Duration>,
    /// Lease mode's lease ([`NodeConfig::lease_for`]).
    pub lease: Duration,
    pub heartbeat: Duration,
    pub peer_delay: Duration,
    /// The largest peer frame accepted, in bytes.
    pub max_peer_frame: u64,
    /// How peer connections prove who they are.
    pub auth: peer_auth::PeerAuth,
    /// Mutual TLS on peer links (none: plain TCP).
    pub peer_tls: Option<tls::PeerTlsOptions>,
}

/// Run a single-node server until SIGINT/SIGTERM/SHUTDOWN (Ok: everything flushed) or
/// until the node stops on a storage error (Err, with the reason).
pub async fn serve(opts: ServeOptions) -> Result<(), String> {
    // Certificates first: a bad file stops the server before it listens.
    let tls_acceptor = opts.tls.as_ref().map(tls::client_acceptor).transpose()?;
    let peer_tls = match opts.cluster.as_ref().and_then(|c| c.peer_tls.as_ref()) {
        Some(p) => Some(Arc::new(tls::PeerTls::load(p)?)),
        None => None,
    };
    let listener = match opts.port {
        0 => None,
        port => Some(bind(&opts.bind, port).await?),
    };
    let tls_listener = match &opts.tls {
        Some(t) => Some(bind(&opts.bind, t.port).await?),
        None => None,
    };
    let (storage, durable) = Storage::open(&opts.dir, opts.appendfsync)
        .map_err(|e| format!("cannot open the durable log in {}: {e}", opts.dir.display()))?;
    if listener.is_none() && tls_listener.is_none() {
        return Err("Configured to not listen anywhere, exiting.".into());
    }
    let local_port = |l: &Option<TcpListener>| {
        l.as_ref()
            .and_then(|l| l.local_addr().ok())
            .map_or(0, |a| a.port())
    };
    let (port, tls_port) = (local_port(&listener), local_port(&tls_listener));
    let entries = durable.as_ref().map_or(0, |d| d.log.last_index());
    let mut peer_listener_slot = None;
    let faults = Arc::new(peers::Faults::default());
    let mut peer_addrs: BTreeMap<Id, SocketAddr> = BTreeMap::new();
    let scripts = scripts::Scripts::new(opts.lua_time_limit);
    let (id, node, transport): (Id, Node, Box<dyn handle::Transport>) = match &opts.cluster {
        None => {
            let config = NodeConfig {
                modes: opts.modes,
                compact_after: opts.compact_after,
                engine: scripts.engine.clone(),
                script_retries: opts.script_retries,
                ..NodeConfig::default()
            };
            let node = Node::new(vec![runtime::node_id()], config);
            (runtime::node_id(), node, Box::new(runtime::NoPeers))
        }
        Some(c) => {
            let id = Id::from(c.id as usize);
            peer_addrs = c
                .peers
                .iter()
                .map(|(k, a)| (Id::from(*k as usize), *a))
                .collect();
            let Some(my_addr) = peer_addrs.get(&id).copied() else {
                return Err(format!("--peers does not list this node's id {}", c.id));
            };
            if let Ok(mut d) = faults.delay.lock() {
                *d = c.peer_delay;
            }
            let config = NodeConfig {
                modes: opts.modes,
                compact_after: opts.compact_after,
                engine: scripts.engine.clone(),
                script_retries: opts.script_retries,
                election_timeout: c.election_timeout.clone(),
                lease: c.lease,
                heartbeat_interval: c.heartbeat,
                ..NodeConfig::default()
            };
            let node = Node::new(peer_addrs.keys().copied().collect(), config);
            let peer_listener = TcpListener::bind(my_addr)
                .await
                .map_err(|e| format!("cannot listen for peers on {my_addr}: {e}"))?;
            peer_listener_slot = Some(peer_listener);
            let transport = peers::connect(
                id,
                &peer_addrs,
                faults.clone(),
                c.auth.clone(),
                peer_tls.clone(),
            );
            (id, node, Box::new(transport))
        }
    };
    let thread = runtime::spawn(
        id,
        node,
        storage,
        durable,
        transport,
        runtime::RequestPolicy {
            timeout: opts.request_timeout,
            ..Default::default()
        },
    )
    .map_err(|e| format!("cannot start the node thread: {e}"))?;
    if let (Some(l), Some(c)) = (peer_listener_slot.take(), &opts.cluster) {
        let inbound = peers::Inbound {
            own: id,
            peers: peer_addrs.keys().copied().filter(|p| *p != id).collect(),
            auth: c.auth.clone(),
            tls: peer_tls.clone(),
            max_frame: c.max_peer_frame,
        };
        tokio::spawn(peers::listen(
            l,
            inbound,
            thread.handle.clone(),
            faults.clone(),
        ));
    }

    let gaps = opts.modes.gaps();
    let departures = opts.modes.departures();
    let role = match &opts.cluster {
        None => "single node".to_string(),
        Some(c) => format!(
            "node {} of {} (peers on {})",
            c.id,
            c.peers.len(),
            c.peers
                .iter()
                .map(|(k, a)| format!("{k}={a}"))
                .collect::<Vec<_>>()
                .join(",")
        ),
    };
    let listening = [(port, ""), (tls_port, " (TLS)")]
        .iter()
        .filter(|(p, _)| *p != 0)
        .map(|(p, what)| format!("{}:{p}{what}", opts.bind))
        .collect::<Vec<_>>()
        .join(" and ");
    println!(
        "fencekv {} {role} listening on {listening}, dir {}, appendfsync {}, {} log entries recovered, modes: {}",
        env!("CARGO_PKG_VERSION"),
        opts.dir.display(),
        opts.appendfsync.name(),
        entries,
        match (gaps.is_empty(), departures.is_empty()) {
            (true, true) => "safe".to_string(),
            (true, false) => format!("safe ({})", departures.join(",")),
            (false, _) => format!("UNSAFE {}", [gaps, departures].concat().join(",")),
        }
    );

    let limits = Arc::new(config::ClientLimits::default());
    limits.set_query_buffer(opts.query_buffer_limit);
    limits.set_timeout_secs(opts.timeout_secs);
    if !opts.output_buffer_limit.is_empty() {
        limits
            .set_output(&opts.output_buffer_limit)
            .map_err(|e| format!("--client-output-buffer-limit: {e}"))?;
    }
    let shutdown = Arc::new(tokio::sync::Notify::new());
    let shared = Arc::new(Shared {
        cfg: ServerConfig {
            bind: opts.bind.clone(),
            port,
            tls: opts.tls.as_ref().map(|t| config::TlsConfig {
                port: tls_port,
                cert_file: t.cert_file.display().to_string(),
                key_file: t.key_file.display().to_string(),
                ca_cert_file: t
                    .ca_cert_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                auth_clients: t.auth_clients,
            }),
            dir: opts.dir.display().to_string(),
            appendfsync: opts.appendfsync,
            debug_commands: opts.debug_commands,
            started: Instant::now(),
            peers: peer_addrs,
            faults,
            scripts,
            settings: Arc::default(),
            shutdown: shutdown.clone(),
            errors: Arc::default(),
            access: Arc::new(config::Access::new(
                bytes::Bytes::from(opts.requirepass.clone().into_bytes()),
                opts.maxclients,
                opts.protected_mode,
            )),
            limits,
        },
        registry: Arc::default(),
        node: thread.handle.clone(),
        limits: Limits::default(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut accepts = Vec::new();
    if let Some(l) = listener {
        let (shared, stop) = (shared.clone(), stop_rx.clone());
        accepts.push(tokio::spawn(connection::accept_loop(l, None, shared, stop)));
    }
    if let Some(l) = tls_listener {
        accepts.push(tokio::spawn(connection::accept_loop(
            l,
            tls_acceptor,
            shared,
            stop_rx,
        )));
    }

    let mut done = thread.done;
    let outcome = tokio::select! {
        sig = shutdown_signal(&shutdown) => {
            tracing::info!(signal = sig, "shutting down");
            let _ = stop_tx.send(true);
            thread.handle.shutdown();
            (&mut done).await.unwrap_or_else(|_| Err("the node thread panicked".into()))
        }
        r = &mut done => match r {
            Ok(Ok(())) => Err("the node thread stopped unexpectedly".into()),
            Ok(Err(e)) => Err(format!("the node stopped: {e}")),
            Err(_) => Err("the node thread panicked".into()),
        },
    };
    let _ = stop_tx.send(true);
    for a in accepts {
        let _ = a.await;
    }
    let _ = thread.join.join();
    outcome
}

async fn bind(host: &str, port: u16) -> Result<TcpListener, String> {
    TcpListener::bind((host, port))
        .await
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))
}

/// Wait for SIGINT, SIGTERM or a client's SHUTDOWN; names the one that came.
/// All three stop the server the same way.
async fn shutdown_signal(command: &tokio::sync::Notify) -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT and SHUTDOWN stop the server");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return "SIGINT",
                _ = command.notified() => return "SHUTDOWN",
            }
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = command.notified() => "SHUTDOWN",
    }
}
