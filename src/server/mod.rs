//! The runtime: the only code that touches sockets, clocks and disks.
//!
//! - [`storage`]: the durable log (term, vote, entries) in redb, with the
//!   `appendfsync` policies.
//! - [`runtime`]: the node thread — drives the [`crate::node::Node`] actor,
//!   persists before it sends, runs timers.
//! - [`session`]: per-connection state and the connection-level commands.
//! - [`connection`]: the TCP listener and the per-connection read → decode →
//!   dispatch → one-write loop.
//!
//! [`serve`] wires them together for `fencekv serve`: a single node whose
//! cluster is itself. The peer transport for a real cluster plugs into
//! [`runtime::Transport`] and [`runtime::Input::Peer`].

pub mod connection;
pub mod runtime;
pub mod session;
pub mod storage;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::modes::Modes;
use crate::node::Node;
use crate::resp::Limits;

use connection::Shared;
use session::ServerConfig;
use storage::{AppendFsync, Storage};

/// Everything `fencekv serve` is told.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: String,
    pub port: u16,
    pub dir: PathBuf,
    pub appendfsync: AppendFsync,
    pub debug_commands: bool,
    pub modes: Modes,
}

/// Run a single-node server until SIGINT/SIGTERM (Ok: everything flushed) or
/// until the node stops on a storage error (Err, with the reason).
pub async fn serve(opts: ServeOptions) -> Result<(), String> {
    let listener = TcpListener::bind((opts.bind.as_str(), opts.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", opts.bind, opts.port))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let (storage, durable) = Storage::open(&opts.dir, opts.appendfsync)
        .map_err(|e| format!("cannot open the durable log in {}: {e}", opts.dir.display()))?;
    let entries = durable.as_ref().map_or(0, |d| d.log.last_index());
    let mut node = Node::new(vec![runtime::node_id()]);
    node.modes = opts.modes;
    let thread = runtime::spawn(node, storage, durable, Box::new(runtime::NoPeers))
        .map_err(|e| format!("cannot start the node thread: {e}"))?;

    let gaps = opts.modes.gaps();
    println!(
        "fencekv {} listening on {local}, dir {}, appendfsync {}, {} log entries recovered, modes: {}",
        env!("CARGO_PKG_VERSION"),
        opts.dir.display(),
        opts.appendfsync.name(),
        entries,
        if gaps.is_empty() {
            "safe".to_string()
        } else {
            format!("UNSAFE {}", gaps.join(","))
        }
    );

    let shared = Arc::new(Shared {
        cfg: ServerConfig {
            bind: opts.bind.clone(),
            port: local.port(),
            dir: opts.dir.display().to_string(),
            appendfsync: opts.appendfsync,
            debug_commands: opts.debug_commands,
            started: Instant::now(),
        },
        registry: Arc::default(),
        node: thread.handle.clone(),
        limits: Limits::default(),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let accept = tokio::spawn(connection::accept_loop(listener, shared, stop_rx));

    let mut done = thread.done;
    let outcome = tokio::select! {
        sig = shutdown_signal() => {
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
    let _ = accept.await;
    let _ = thread.join.join();
    outcome
}

/// Wait for SIGINT or SIGTERM; names the one that came.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops the server");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}
