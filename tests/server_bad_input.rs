//! Bad input: a protocol error is answered and closes that connection only;
//! command errors keep the connection; nothing stored is lost.

mod support;

use redis::Commands;
use std::io::Write;
use support::resp::{read_to_close, req, roundtrip};
use support::server::Server;

/// Send `data`, expect `reply` and then the close.
fn expect_close(s: &Server, data: &[u8], reply: &[u8]) {
    let mut conn = s.raw();
    conn.write_all(data).expect("write");
    let got = read_to_close(&mut conn);
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(reply)
    );
}

#[test]
fn protocol_errors_close_only_that_connection() {
    let s = Server::start(&[]);
    let mut keep = s.client();
    let _: () = keep.set("survivor", "yes").expect("SET");

    // Replies to the requests before the error still come first.
    expect_close(
        &s,
        b"PING\r\n*1\r\n$x\r\n",
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n",
    );
    expect_close(
        &s,
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"-ERR Protocol error: expected '$', got ':'\r\n",
    );
    expect_close(
        &s,
        b"*x\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    expect_close(
        &s,
        b"SET a \"unbalanced\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );

    // The other connection and the data are untouched.
    let v: String = keep.get("survivor").expect("GET");
    assert_eq!(v, "yes");
    let mut fresh = s.client();
    let v: String = fresh.get("survivor").expect("GET");
    assert_eq!(v, "yes");
}

#[test]
fn huge_lengths_are_refused_without_allocating() {
    let s = Server::start(&[]);
    // Above proto-max-bulk-len (512 MB).
    expect_close(
        &s,
        b"*1\r\n$536870913\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    expect_close(
        &s,
        b"*1\r\n$99999999999999999999\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    );
    expect_close(
        &s,
        b"*99999999999\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    );
    // A legal but huge announced bulk that never arrives: the client gives
    // up; the server must not have reserved the space or stopped serving.
    {
        let mut conn = s.raw();
        conn.write_all(b"*2\r\n$3\r\nGET\r\n$500000000\r\nabc")
            .expect("write");
    }
    // An inline request over 64 KiB with no newline.
    expect_close(
        &s,
        &vec![b'a'; 70 * 1024],
        b"-ERR Protocol error: too big inline request\r\n",
    );
    let mut c = s.client();
    let pong: String = redis::cmd("PING").query(&mut c).expect("PING");
    assert_eq!(pong, "PONG");
}

#[test]
fn command_errors_keep_the_connection() {
    let s = Server::start(&[]);
    let mut conn = s.raw();
    roundtrip(
        &mut conn,
        &req(&[b"NOSUCH", b"a", b"b"]),
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n",
    );
    roundtrip(
        &mut conn,
        &req(&[b"GET"]),
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
    roundtrip(
        &mut conn,
        &req(&[b"PING", b"a", b"b"]),
        b"-ERR wrong number of arguments for 'ping' command\r\n",
    );
    roundtrip(&mut conn, &req(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    // Empty requests are skipped.
    roundtrip(&mut conn, b"*0\r\n\r\nGET k\r\n", b"$1\r\nv\r\n");
    let mut c = s.client();
    let v: String = c.get("k").expect("GET");
    assert_eq!(v, "v");
}

/// The peer port: a frame that claims more than the cap, a frame that never
/// arrives, one that does not decode, one cut short, one that claims to
/// come from the node itself, and a sweep of random byte streams each close
/// only their own connection. A claimed length allocates nothing: the node's
/// memory stays flat while a peer connection announces 512 MiB and sends
/// nothing more. The node keeps serving and keeps its data throughout.
#[test]
fn bad_peer_frames_close_only_their_connection_and_allocate_nothing() {
    use std::io::Read;
    use std::net::{Shutdown, TcpStream};
    use std::time::Duration;

    let peer_port = support::ports::free_port();
    let peers = format!("1=127.0.0.1:{peer_port}");
    let s = Server::start(&["--id", "1", "--peers", &peers]);
    let mut keep = s.client();
    support::wait::eventually("the one-node cluster takes writes", || {
        keep.set::<_, _, ()>("survivor", "yes").ok()
    });
    let peer = || {
        let c = TcpStream::connect(("127.0.0.1", peer_port)).expect("connect to the peer port");
        c.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        c
    };
    // Whether the node closed the connection (EOF) after `data`.
    let closed_after = |data: &[u8]| {
        let mut c = peer();
        c.write_all(data).expect("write");
        let mut buf = [0u8; 16];
        matches!(c.read(&mut buf), Ok(0))
    };
    let frame = |len: u64, body: &[u8]| [len.to_le_bytes().as_slice(), body].concat();

    let before = s.rss_kib();
    let mut waiting = peer();
    waiting
        .write_all(&(512u64 << 20).to_le_bytes())
        .expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let during = s.rss_kib();
    assert!(
        during < before + 64 * 1024,
        "a claimed 512 MiB frame grew the node from {before} to {during} KiB"
    );
    drop(waiting);

    assert!(closed_after(&[0xff; 8]), "a length of 2^64 - 1");
    assert!(
        closed_after(&frame(1 << 33, b"")),
        "8 GiB, above the 1 GiB cap"
    );
    assert!(closed_after(&frame(100, &[0xee; 100])), "undecodable");
    // A well-formed frame that claims to come from node 1 itself.
    let forged = bincode::serde::encode_to_vec(
        fencekv::server::peers::Wire {
            src: stateright::actor::Id::from(1),
            dst: stateright::actor::Id::from(1),
            msg: fencekv::node::Msg::Clock { now: u64::MAX },
        },
        bincode::config::standard(),
    )
    .expect("encode");
    assert!(closed_after(&frame(forged.len() as u64, &forged)), "forged");
    let mut short = peer();
    short.write_all(&frame(64, &[1; 10])).expect("write");
    short.shutdown(Shutdown::Write).expect("shutdown");

    let mut rng = fencekv::rng::XorShift::seeded(0xbad_f00d);
    for _ in 0..200 {
        let len = rng.below(64) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        if rng.below(2) == 0 {
            // A plausible length prefix, so the body reaches the decoder.
            let claimed = rng.below(len as u64 + 1);
            bytes.splice(0..0, claimed.to_le_bytes());
        }
        let mut c = peer();
        let _ = c.write_all(&bytes);
    }

    let pong: String = redis::cmd("PING").query(&mut keep).expect("PING");
    assert_eq!(pong, "PONG");
    let v: Option<String> = keep.get("survivor").expect("GET");
    assert_eq!(v.as_deref(), Some("yes"));
    let _: () = keep.set("after", "ok").expect("SET after the sweep");
    let log = s.log();
    assert!(log.contains("longer than --max-peer-frame-mb"), "{log}");
    assert!(log.contains("claiming this node's own id"), "{log}");
}
