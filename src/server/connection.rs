//! Client connections: the TCP (and TLS) listeners and one task per
//! connection.
//!
//! A connection reads whatever has arrived, decodes *every* complete request
//! already buffered, handles them in order (connection commands at once,
//! keyspace commands sent to the node with their reply receivers queued in
//! order), then awaits the answers in order and writes all the replies with
//! one write. Pipelined clients thus cost one read, one node batch and one
//! write per round trip, and nothing is flushed per reply.
//!
//! A protocol error is answered with `-ERR Protocol error: …` after the
//! replies to the requests before it, and the connection closes, as in Redis.
//! The decoder enforces Redis's limits (bulk ≤ 512 MB, inline ≤ 64 KiB), so
//! the read buffer never grows past one maximal request.

use std::sync::Arc;
use std::time::Duration;

use crate::cmd::Kind;
use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio_rustls::TlsAcceptor;

use crate::resp::{decode_request, encode_reply, DecodeError, Limits, Protocol, Reply};

use super::client_conn::ClientConn;
use super::commands::{self, Action, Section};
use super::config::ServerConfig;
use super::handle::{NodeHandle, NodeInfo};
use super::registry::{self, SharedRegistry};
use super::runtime::now_ms;
use super::tls::HANDSHAKE_TIMEOUT;

/// What every connection shares.
pub struct Shared {
    pub cfg: ServerConfig,
    pub registry: SharedRegistry,
    pub node: NodeHandle,
    pub limits: Limits,
}

/// Read in chunks of at least this much spare capacity.
const READ_CHUNK: usize = 16 * 1024;
/// Buffers that grew past this (a huge value) are not kept for the next batch.
const KEEP_BUFFER: usize = 1024 * 1024;

/// Accept connections until `stop` turns true; with `tls`, each
/// connection's TLS handshake runs in its own task (bounded by
/// [`HANDSHAKE_TIMEOUT`]), so a slow handshake never holds up `accept`.
pub async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, from)) => {
                    // Counted and registered here, one at a time, so a burst
                    // of connections cannot overshoot the limit.
                    let limit = shared.cfg.access.maxclients();
                    let conn = if registry::connected_clients(&shared.registry) as u64 >= limit {
                        Err(MAXCLIENTS_REACHED)
                    } else if shared.cfg.access.refuses(from.ip()) {
                        Err(PROTECTED_MODE_DENIED)
                    } else {
                        match open_conn(&stream, &shared) {
                            Ok(conn) => Ok(conn),
                            Err(e) => {
                                tracing::debug!(error = %e, "connection lost at once");
                                continue;
                            }
                        }
                    };
                    let shared = shared.clone();
                    match tls.clone() {
                        None => {
                            tokio::spawn(run(stream, conn, shared));
                        }
                        Some(acceptor) => {
                            tokio::spawn(async move {
                                let handshake = tokio::time::timeout(
                                    HANDSHAKE_TIMEOUT,
                                    acceptor.accept(stream),
                                );
                                match handshake.await {
                                    Ok(Ok(stream)) => run(stream, conn, shared).await,
                                    Ok(Err(e)) => {
                                        tracing::debug!(error = %e, "TLS handshake failed");
                                    }
                                    Err(_) => tracing::debug!("TLS handshake timed out"),
                                }
                            });
                        }
                    }
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => return,
        }
    }
}

const MAXCLIENTS_REACHED: &[u8] = b"-ERR max number of clients reached\r\n";

/// Redis 7.0.15's answer to a non-loopback client in protected mode, byte
/// for byte (its typo included).
const PROTECTED_MODE_DENIED: &[u8] =
    b"-DENIED Redis is running in protected mode because protected \
mode is enabled and no password is set for the default user. In this mode connections are only \
accepted from the loopback interface. If you want to connect from external computers to Redis you \
may adopt one of the following solutions: 1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same \
host the server is running, however MAKE SURE Redis is not publicly accessible from internet if \
you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just \
disable the protected mode by editing the Redis configuration file, and setting the protected \
mode option to 'no', and then restarting the server. 3) If you started the server manually just \
for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication \
password for the default user. NOTE: You only need to do one of the above things in order for \
the server to start accepting connections from the outside.\r\n";

/// Serve a connection, or refuse it before its first command with Redis's
/// error (`maxclients`, protected mode) and close it.
async fn run<S: AsyncRead + AsyncWrite + Unpin + Send>(
    mut stream: S,
    conn: Result<ClientConn, &'static [u8]>,
    shared: Arc<Shared>,
) {
    match conn {
        Ok(conn) => {
            if let Err(e) = serve_connection(stream, conn, shared).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        Err(refusal) => {
            let _ = stream.write_all(refusal).await;
            let _ = stream.shutdown().await;
        }
    }
}

/// Register an accepted connection: authenticated from the start unless a
/// password is set, as in Redis.
fn open_conn(stream: &TcpStream, shared: &Shared) -> std::io::Result<ClientConn> {
    stream.set_nodelay(true)?;
    let addr = stream.peer_addr()?;
    let laddr = stream.local_addr()?;
    let mut conn = ClientConn::open(shared.registry.clone(), addr, laddr);
    conn.authenticated = !shared.cfg.access.password_required();
    Ok(conn)
}

/// A client whose unread replies passed `client-output-buffer-limit`: it is
/// closed and they are dropped, so a client that does not read cannot make
/// the server buffer without bound.
fn overflowed(addr: std::net::SocketAddr, pending: usize) {
    tracing::warn!(
        client = %addr,
        omem = pending,
        "Client scheduled to be closed ASAP for overcoming of output buffer limits."
    );
}

/// A reply that is ready, or one still to come from the node.
enum Slot {
    Ready(Reply),
    Node(oneshot::Receiver<Reply>),
    /// A blocking pop's answer: it may take long.
    Blocking(oneshot::Receiver<Reply>),
    Info(oneshot::Receiver<NodeInfo>, Vec<Section>),
    /// WATCH's answer, kept by the connection; the client gets OK.
    Watch(oneshot::Receiver<Reply>, Vec<bytes::Bytes>),
    /// EXEC's answer, and the connection's own commands it queued (run
    /// once the node answered, at the EXEC's clock).
    Exec(oneshot::Receiver<Reply>, commands::LocalQueue, u64),
}

/// WATCH's node answer: the watched keys join the connection's, and the
/// client is answered OK (or the error, if the read failed).
fn watch_answered(conn: &mut ClientConn, keys: &[bytes::Bytes], reply: Reply) -> Reply {
    match crate::cmd::multi::watched_from_reply(keys, &reply) {
        Some(watched) => {
            conn.tx.watched.extend(watched);
            Reply::ok()
        }
        None => reply,
    }
}

fn node_gone() -> Reply {
    Reply::err("ERR fencekv is shutting down")
}

/// How much a connection with a blocking pop in flight reads ahead.
const BLOCKED_INPUT_LIMIT: usize = 1 << 20;

/// Wait for every node answer in flight, keeping the replies in order.
async fn settle(slots: &mut [(Slot, Protocol)], conn: &mut ClientConn, cfg: &ServerConfig) {
    for (slot, _) in slots.iter_mut() {
        match slot {
            Slot::Node(rx) | Slot::Blocking(rx) => {
                let reply = rx.await.unwrap_or_else(|_| node_gone());
                *slot = Slot::Ready(reply);
            }
            Slot::Exec(rx, local, now) => {
                let reply = rx.await.unwrap_or_else(|_| node_gone());
                let local = std::mem::take(local);
                *slot = Slot::Ready(commands::splice_local(conn, cfg, reply, local, *now));
            }
            Slot::Watch(rx, keys) => {
                let reply = rx.await.unwrap_or_else(|_| node_gone());
                *slot = Slot::Ready(watch_answered(conn, keys, reply));
            }
            Slot::Ready(_) | Slot::Info(..) => {}
        }
    }
}

async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin + Send>(
    mut stream: S,
    mut conn: ClientConn,
    shared: Arc<Shared>,
) -> std::io::Result<()> {
    let addr = conn.info.addr;
    let mut inbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut outbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut slots: Vec<(Slot, Protocol)> = Vec::new();
    // The kind of the node commands in flight in `slots`. Redis runs one
    // connection's commands in order; the node serves a read after its fence,
    // at whatever is applied by then, so a read must not be in flight beside a
    // later write of the same connection (it could see it), nor a write beside
    // a later read (on a cluster the read's fence may not cover it yet).
    // Switching between reads and writes waits for what is in flight.
    let mut in_flight: Option<Kind> = None;
    let limits = shared.cfg.limits.clone();
    loop {
        if inbuf.capacity() - inbuf.len() < READ_CHUNK / 2 {
            inbuf.reserve(READ_CHUNK);
        }
        let read = match limits.timeout_secs() {
            0 => stream.read_buf(&mut inbuf).await?,
            idle => {
                let read = stream.read_buf(&mut inbuf);
                match tokio::time::timeout(Duration::from_secs(idle), read).await {
                    Ok(n) => n?,
                    Err(_) => {
                        // Redis closes an idle client without a reply.
                        tracing::debug!(client = %addr, "Closing idle client");
                        return Ok(());
                    }
                }
            }
        };
        if read == 0 {
            return Ok(());
        }
        if inbuf.len() as u64 > limits.query_buffer() {
            tracing::warn!(
                client = %addr,
                qbuf = inbuf.len(),
                "closing client that reached max query buffer length"
            );
            return Ok(());
        }
        // The requests of one read were accepted together: one clock read.
        let now = now_ms();
        let mut close = false;
        let mut shut_down = false;
        loop {
            match decode_request(&mut inbuf, &shared.limits) {
                Ok(None) => break,
                Ok(Some(args)) if args.is_empty() => continue,
                Ok(Some(args)) => {
                    let action = commands::handle(&mut conn, &shared.cfg, &args, now);
                    let slot = match action {
                        Action::Reply(r) => Slot::Ready(r),
                        Action::Watch(cmd) => {
                            if in_flight.is_some_and(|k| k != Kind::Read) {
                                settle(&mut slots, &mut conn, &shared.cfg).await;
                            }
                            in_flight = Some(Kind::Read);
                            let keys = match &cmd.op {
                                crate::cmd::Op::Watch { keys } => keys.clone(),
                                _ => Vec::new(),
                            };
                            Slot::Watch(shared.node.request(cmd, now, conn.id), keys)
                        }
                        Action::Exec(queued) => {
                            // EXEC carries what every WATCH before it saw,
                            // and nothing of the connection's is in flight
                            // beside it (it reads and may write).
                            settle(&mut slots, &mut conn, &shared.cfg).await;
                            in_flight = Some(Kind::Script);
                            let watched = std::mem::take(&mut conn.tx.watched);
                            let (node_part, local) = commands::split_queue(queued);
                            let cmd = crate::cmd::Command::exec(node_part, watched);
                            let rx = shared.node.request(cmd, now, conn.id);
                            Slot::Exec(rx, local, now)
                        }
                        Action::Node(cmd) => {
                            let kind = cmd.kind();
                            // A script reads and may write: nothing of the
                            // connection's may be in flight beside it.
                            if in_flight.is_some_and(|k| k != kind || k == Kind::Script) {
                                settle(&mut slots, &mut conn, &shared.cfg).await;
                            }
                            in_flight = Some(kind);
                            let blocks = cmd.block_deadline_ms().is_some();
                            let rx = shared.node.request(cmd, now, conn.id);
                            if blocks {
                                Slot::Blocking(rx)
                            } else {
                                Slot::Node(rx)
                            }
                        }
                        Action::Unblock { client, how } => {
                            Slot::Node(shared.node.unblock(client, how))
                        }
                        Action::Info(sections) => Slot::Info(
                            shared.node.info(commands::needs_keyspace(&sections), now),
                            sections,
                        ),
                        Action::Quit => {
                            close = true;
                            Slot::Ready(Reply::ok())
                        }
                        Action::Shutdown => {
                            // No reply, as in Redis: the connection closes.
                            close = true;
                            shut_down = true;
                            break;
                        }
                    };
                    slots.push((slot, conn.proto()));
                    if close {
                        break;
                    }
                }
                Err(DecodeError(text)) => {
                    slots.push((Slot::Ready(Reply::err(format!("ERR {text}"))), conn.proto()));
                    close = true;
                    break;
                }
            }
        }
        in_flight = None;
        let output = limits.output();
        for (slot, proto) in slots.drain(..) {
            let reply = match slot {
                Slot::Ready(r) => r,
                Slot::Node(rx) => rx.await.unwrap_or_else(|_| node_gone()),
                // While a blocking pop waits, keep reading (up to a bound):
                // a closed connection drops the answer's receiver, which
                // withdraws the pop (spec BL-5).
                Slot::Blocking(mut rx) => loop {
                    if inbuf.len() >= BLOCKED_INPUT_LIMIT {
                        break rx.await.unwrap_or_else(|_| node_gone());
                    }
                    inbuf.reserve(READ_CHUNK);
                    tokio::select! {
                        r = &mut rx => break r.unwrap_or_else(|_| node_gone()),
                        n = stream.read_buf(&mut inbuf) => {
                            if n? == 0 {
                                return Ok(());
                            }
                        }
                    }
                },
                Slot::Watch(rx, keys) => {
                    let reply = rx.await.unwrap_or_else(|_| node_gone());
                    watch_answered(&mut conn, &keys, reply)
                }
                Slot::Exec(rx, local, at) => {
                    let reply = rx.await.unwrap_or_else(|_| node_gone());
                    commands::splice_local(&mut conn, &shared.cfg, reply, local, at)
                }
                Slot::Info(rx, sections) => match rx.await {
                    Ok(info) => commands::render_info(
                        &sections,
                        &info,
                        &shared.cfg,
                        registry::connected_clients(&shared.registry),
                    ),
                    Err(_) => node_gone(),
                },
            };
            shared.cfg.errors.count(&reply);
            encode_reply(&reply, proto, &mut outbuf);
            if output.hard != 0 && outbuf.len() as u64 > output.hard {
                overflowed(addr, outbuf.len());
                return Ok(());
            }
        }
        if !outbuf.is_empty() {
            if output.soft != 0 && outbuf.len() as u64 > output.soft {
                // Over the soft limit: the client must take it all within
                // the soft seconds (at least one, Redis's clock granularity).
                let patience = Duration::from_secs(output.soft_seconds.max(1));
                match tokio::time::timeout(patience, stream.write_all(&outbuf)).await {
                    Ok(written) => written?,
                    Err(_) => {
                        overflowed(addr, outbuf.len());
                        return Ok(());
                    }
                }
            } else {
                stream.write_all(&outbuf).await?;
            }
            outbuf.clear();
            if outbuf.capacity() > KEEP_BUFFER {
                outbuf = BytesMut::with_capacity(READ_CHUNK);
            }
        }
        if shut_down {
            tracing::info!(client = %addr, "SHUTDOWN requested");
            shared.cfg.shutdown.notify_one();
        }
        if close {
            let _ = stream.shutdown().await;
            return Ok(());
        }
        if inbuf.is_empty() && inbuf.capacity() > KEEP_BUFFER {
            inbuf = BytesMut::with_capacity(READ_CHUNK);
        }
    }
}
