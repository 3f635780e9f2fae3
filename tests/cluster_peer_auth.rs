//! The peer port against a hostile network: a process without the cluster
//! secret cannot join; a node that holds it speaks only for itself; frames
//! that claim too much, do not decode or come cut short close only their own
//! connection, and a claimed length allocates nothing. Throughout, the
//! cluster keeps serving and keeps its data.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use fencekv::server::peer_auth::{self, PeerAuth};
use redis::Commands;

mod support;
use support::cluster::{info_field, secret_file, set_eventually, Cluster};
use support::ports::free_port;
use support::server::Server;
use support::wait::eventually;

/// A connection to node 1's peer port that passed the handshake as node 2,
/// holding the secret in `secret`: what a compromised or buggy node 2 can
/// send.
fn as_node_2(peer_port: u16, secret: &Path) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let auth = PeerAuth::from_file(secret).expect("the secret");
    let s = rt.block_on(async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", peer_port))
            .await
            .expect("connect to the peer port");
        peer_auth::connect(&mut s, &auth, 2, 1)
            .await
            .expect("the handshake, with the secret");
        s.into_std().expect("a std stream")
    });
    s.set_nonblocking(false).expect("blocking");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s
}

/// Whether the other end closed the connection (EOF) after `data`.
fn closed_after(mut c: TcpStream, data: &[u8]) -> bool {
    let _ = c.write_all(data);
    let mut buf = [0u8; 16];
    matches!(c.read(&mut buf), Ok(0) | Err(_))
}

fn frame(len: u64, body: &[u8]) -> Vec<u8> {
    [len.to_le_bytes().as_slice(), body].concat()
}

fn wire(src: usize, dst: usize) -> Vec<u8> {
    let body = bincode::serde::encode_to_vec(
        fencekv::server::peers::Wire {
            src: stateright::actor::Id::from(src),
            dst: stateright::actor::Id::from(dst),
            msg: fencekv::node::Msg::Clock { now: u64::MAX },
        },
        bincode::config::standard(),
    )
    .expect("encode");
    frame(body.len() as u64, &body)
}

/// The peer port refuses what it must, connection by connection: before the
/// handshake, random bytes; after it (as node 2, which holds the secret), a
/// claimed 512 MiB frame (memory stays flat), a length of 2^64−1, 8 GiB
/// (above the 1 GiB cap), a frame that does not decode, one cut short, and
/// well-formed frames that claim to come from node 3 or from node 1 itself.
#[test]
fn bad_peer_frames_close_only_their_connection_and_allocate_nothing() {
    let cluster = Cluster::start(3, &[]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], "survivor", "yes");
    let node1 = &cluster.nodes[0];
    let port = cluster.peer_port(0);
    let secret = &cluster.secret_file;

    let before = node1.rss_kib();
    let mut waiting = as_node_2(port, secret);
    waiting
        .write_all(&(512u64 << 20).to_le_bytes())
        .expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let during = node1.rss_kib();
    assert!(
        during < before + 64 * 1024,
        "a claimed 512 MiB frame grew the node from {before} to {during} KiB"
    );
    drop(waiting);

    assert!(
        closed_after(as_node_2(port, secret), &[0xff; 8]),
        "2^64 - 1"
    );
    assert!(
        closed_after(as_node_2(port, secret), &frame(1 << 33, b"")),
        "8 GiB, above the 1 GiB cap"
    );
    assert!(
        closed_after(as_node_2(port, secret), &frame(100, &[0xee; 100])),
        "undecodable"
    );
    assert!(
        closed_after(as_node_2(port, secret), &wire(3, 1)),
        "as node 3"
    );
    assert!(
        closed_after(as_node_2(port, secret), &wire(1, 1)),
        "as node 1"
    );
    let mut short = as_node_2(port, secret);
    short.write_all(&frame(64, &[1; 10])).expect("write");
    short.shutdown(Shutdown::Write).expect("shutdown");

    // Without the handshake: random byte streams, some starting like a hello.
    let mut rng = fencekv::rng::XorShift::seeded(0xbad_f00d);
    for _ in 0..200 {
        let len = rng.below(80) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        if rng.below(2) == 0 {
            bytes.splice(0..0, *b"FKVP\x01\x01");
        }
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let _ = c.write_all(&bytes);
        // A short hello waits for the rest; the end of the stream ends it.
        let _ = c.shutdown(Shutdown::Write);
        let mut buf = [0u8; 128];
        assert!(
            matches!(c.read(&mut buf), Ok(0) | Err(_)),
            "answered {bytes:?}"
        );
    }

    let mut keep = cluster.nodes[leader].client();
    let v: Option<String> = keep.get("survivor").expect("GET");
    assert_eq!(v.as_deref(), Some("yes"));
    set_eventually(&cluster.nodes[leader], "after", "ok");
    let log = node1.log();
    assert!(log.contains("longer than --max-peer-frame-mb"), "{log}");
    assert!(log.contains("from another node's id"), "{log}");
    assert!(log.contains("not a fencekv peer hello"), "{log}");
}

/// Three nodes on one peer list: 1 and 2 share a secret, 3 has another.
/// 1 and 2 elect a leader and commit writes; 3 is refused by both and
/// refuses them, so it never learns of a leader nor of a write, and every
/// side says why in its log. A node on `--insecure-peers` is refused too.
#[test]
fn a_node_without_the_secret_cannot_join() {
    let peers: Vec<String> = (1..=3)
        .map(|i| format!("{i}=127.0.0.1:{}", free_port()))
        .collect();
    let peers = peers.join(",");
    let (good, other) = (secret_file(), secret_file());
    let node = |id: &str, extra: &[&str]| {
        let mut args = vec!["--id", id, "--peers", &peers];
        args.extend_from_slice(support::cluster::FAST);
        args.extend_from_slice(extra);
        Server::start(&args)
    };
    let good = good.display().to_string();
    let other = other.display().to_string();
    let n1 = node("1", &["--cluster-secret-file", &good]);
    let n2 = node("2", &["--cluster-secret-file", &good]);
    let n3 = node("3", &["--cluster-secret-file", &other]);
    let leader = eventually("1 and 2 elect a leader", || {
        [&n1, &n2]
            .into_iter()
            .find(|n| info_field(n, "role").as_deref() == Some("leader"))
    });
    set_eventually(leader, "k", "v");
    eventually("both sides log the refusal", || {
        (n1.log().contains("hold the cluster secret") && n3.log().contains("peer handshake failed"))
            .then_some(())
    });
    assert_eq!(info_field(&n3, "leader").as_deref(), Some("none"));
    let applied: u64 = info_field(&n3, "applied_index")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert_eq!(applied, 0, "node 3 applied entries it was never sent");
    drop(n3);

    let n3 = node("3", &["--insecure-peers"]);
    eventually("an insecure node is refused", || {
        n1.log().contains("has no cluster secret").then_some(())
    });
    assert!(
        n3.log().contains("WARNING: --insecure-peers"),
        "{}",
        n3.log()
    );
    let mut c = leader.client();
    let v: Option<String> = c.get("k").expect("GET");
    assert_eq!(v.as_deref(), Some("v"));
}

/// A cluster node with neither `--cluster-secret-file` nor
/// `--insecure-peers` does not start, and says what to do; nor does one
/// whose secret is too short.
#[test]
fn a_cluster_node_needs_a_secret_or_insecure_peers() {
    let dir = support::ports::temp_dir("nosecret");
    let peers = format!("1=127.0.0.1:{},2=127.0.0.1:{}", free_port(), free_port());
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fencekv"))
            .args(["serve", "--id", "1", "--peers", &peers, "--port", "0"])
            .arg("--dir")
            .arg(dir.join("data"))
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .expect("run fencekv")
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--cluster-secret-file FILE"), "{err}");
    assert!(err.contains("--insecure-peers"), "{err}");

    let short = dir.join("short");
    std::fs::write(&short, "short\n").expect("write");
    let out = run(&["--cluster-secret-file", &short.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least 16 are needed"), "{err}");
}
