//! Blocking pops over TCP (spec BL-1..BL-4): a waiter is served by a push
//! from another connection, waiters in arrival order, timeouts with
//! Redis's nil shapes (RESP2 and RESP3), BLMOVE, BZPOPMIN, a blocked
//! connection's pipeline, no blocking inside a script; in a 3-node cluster,
//! a pop waiting at a follower, withdrawn from there, and one whose leader
//! is killed.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::thread::sleep;
use std::time::{Duration, Instant};

use support::cluster::{set_eventually, Cluster};
use support::resp::{read_n, req, roundtrip};
use support::server::Server;

/// Send a request and give the server time to park it.
fn send_and_park(c: &mut TcpStream, args: &[&[u8]]) {
    c.write_all(&req(args)).expect("write");
    sleep(Duration::from_millis(150));
}

fn expect(c: &mut TcpStream, bytes: &[u8]) {
    let got = read_n(c, bytes.len());
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(bytes)
    );
}

#[test]
fn blpop_waits_until_a_push_from_another_connection_serves_it() {
    let s = Server::start(&[]);
    let mut waiter = s.raw();
    let mut pusher = s.raw();
    send_and_park(&mut waiter, &[b"BLPOP", b"q", b"0"]);
    roundtrip(&mut pusher, &req(&[b"RPUSH", b"q", b"a", b"b"]), b":2\r\n");
    expect(&mut waiter, b"*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    roundtrip(
        &mut pusher,
        &req(&[b"LRANGE", b"q", b"0", b"-1"]),
        b"*1\r\n$1\r\nb\r\n",
    );
}

#[test]
fn waiters_are_served_in_arrival_order_each_item_once() {
    let s = Server::start(&[]);
    let mut first = s.raw();
    let mut second = s.raw();
    let mut pusher = s.raw();
    send_and_park(&mut first, &[b"BRPOP", b"q", b"0"]);
    send_and_park(&mut second, &[b"BRPOP", b"q", b"0"]);
    roundtrip(&mut pusher, &req(&[b"LPUSH", b"q", b"x"]), b":1\r\n");
    expect(&mut first, b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
    roundtrip(&mut pusher, &req(&[b"LPUSH", b"q", b"y"]), b":1\r\n");
    expect(&mut second, b"*2\r\n$1\r\nq\r\n$1\r\ny\r\n");
    roundtrip(&mut pusher, &req(&[b"LLEN", b"q"]), b":0\r\n");
}

#[test]
fn timeouts_answer_redis_nil_shapes_and_later_commands_wait() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    let t = Instant::now();
    // Pipelined: the PING is answered only after the BLPOP times out.
    let mut batch = req(&[b"BLPOP", b"q", b"0.2"]);
    batch.extend(req(&[b"PING"]));
    c.write_all(&batch).expect("write");
    expect(&mut c, b"*-1\r\n+PONG\r\n");
    assert!(t.elapsed() >= Duration::from_millis(200));
    roundtrip(
        &mut c,
        &req(&[b"BLMOVE", b"q", b"d", b"LEFT", b"RIGHT", b"0.1"]),
        b"$-1\r\n",
    );
    roundtrip(&mut c, &req(&[b"BZPOPMIN", b"z", b"0.1"]), b"*-1\r\n");
    roundtrip(
        &mut c,
        &req(&[b"BLMPOP", b"0.1", b"1", b"q", b"LEFT"]),
        b"*-1\r\n",
    );
    roundtrip(
        &mut c,
        &req(&[b"BZMPOP", b"0.1", b"1", b"z", b"MAX"]),
        b"*-1\r\n",
    );
    // RESP3: a null.
    c.write_all(&req(&[b"HELLO", b"3"])).expect("write");
    sleep(Duration::from_millis(100));
    let mut drain = [0u8; 4096];
    let _ = std::io::Read::read(&mut c, &mut drain);
    roundtrip(&mut c, &req(&[b"BLPOP", b"q", b"0.1"]), b"_\r\n");
    roundtrip(&mut c, &req(&[b"BRPOPLPUSH", b"q", b"d", b"0.1"]), b"_\r\n");
}

#[test]
fn errors_are_redis_texts() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    roundtrip(
        &mut c,
        &req(&[b"BLPOP", b"q", b"abc"]),
        b"-ERR timeout is not a float or out of range\r\n",
    );
    roundtrip(
        &mut c,
        &req(&[b"BLPOP", b"q", b"-1"]),
        b"-ERR timeout is negative\r\n",
    );
    roundtrip(
        &mut c,
        &req(&[b"BLMPOP", b"0", b"0", b"q", b"LEFT"]),
        b"-ERR numkeys should be greater than 0\r\n",
    );
    roundtrip(&mut c, &req(&[b"SET", b"s", b"v"]), b"+OK\r\n");
    roundtrip(
        &mut c,
        &req(&[b"BLPOP", b"s", b"0"]),
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
}

#[test]
fn blmove_and_bzpopmin_are_served_by_a_later_write() {
    let s = Server::start(&[]);
    let mut waiter = s.raw();
    let mut other = s.raw();
    send_and_park(
        &mut waiter,
        &[b"BLMOVE", b"src", b"dst", b"RIGHT", b"LEFT", b"5"],
    );
    roundtrip(&mut other, &req(&[b"RPUSH", b"src", b"a", b"b"]), b":2\r\n");
    expect(&mut waiter, b"$1\r\nb\r\n");
    roundtrip(
        &mut other,
        &req(&[b"LRANGE", b"dst", b"0", b"-1"]),
        b"*1\r\n$1\r\nb\r\n",
    );
    send_and_park(&mut waiter, &[b"BZPOPMIN", b"z1", b"z2", b"0"]);
    roundtrip(
        &mut other,
        &req(&[b"ZADD", b"z2", b"2", b"m", b"1", b"n"]),
        b":2\r\n",
    );
    expect(&mut waiter, b"*3\r\n$2\r\nz2\r\n$1\r\nn\r\n$1\r\n1\r\n");
    // RESP3: the score is a double.
    roundtrip(&mut waiter, &req(&[b"HELLO", b"3"]), b"%7\r\n");
    let mut drain = [0u8; 4096];
    sleep(Duration::from_millis(100));
    let _ = std::io::Read::read(&mut waiter, &mut drain);
    roundtrip(
        &mut waiter,
        &req(&[b"BZPOPMAX", b"z2", b"0"]),
        b"*3\r\n$2\r\nz2\r\n$1\r\nm\r\n,2\r\n",
    );
}

#[test]
fn a_script_never_blocks() {
    let s = Server::start(&[]);
    let mut c = s.raw();
    let t = Instant::now();
    roundtrip(
        &mut c,
        &req(&[
            b"EVAL",
            b"return redis.call('blmpop', 0, 1, 'q', 'left')",
            b"0",
        ]),
        b"$-1\r\n", // Lua's false for a nil array, as in Redis
    );
    roundtrip(
        &mut c,
        &req(&[
            b"EVAL",
            b"return redis.call('bzmpop', 0, 1, 'z', 'min')",
            b"0",
        ]),
        b"$-1\r\n",
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    roundtrip(&mut c, &req(&[b"RPUSH", b"q", b"a"]), b":1\r\n");
    roundtrip(
        &mut c,
        &req(&[
            b"EVAL",
            b"return redis.call('blmpop', 0, 1, 'q', 'left')",
            b"0",
        ]),
        b"*2\r\n$1\r\nq\r\n*1\r\n$1\r\na\r\n",
    );
}

#[test]
fn a_waiter_that_disconnects_pops_nothing() {
    let s = Server::start(&[]);
    let mut waiter = s.raw();
    send_and_park(&mut waiter, &[b"BLPOP", b"q", b"0"]);
    drop(waiter);
    sleep(Duration::from_millis(300)); // a tick notices the closed connection
    let mut c = s.raw();
    roundtrip(&mut c, &req(&[b"RPUSH", b"q", b"a"]), b":1\r\n");
    roundtrip(&mut c, &req(&[b"LLEN", b"q"]), b":1\r\n");
}

/// A 3-node cluster and a redis-crate connection to node `i` whose reads
/// give up after `secs`.
fn client_at(cluster: &Cluster, i: usize, secs: u64) -> redis::Connection {
    let c = cluster.nodes[i].client();
    c.set_read_timeout(Some(Duration::from_secs(secs)))
        .expect("read timeout");
    c
}

/// `RPUSH q a` through the leader.
fn push_at_leader(cluster: &Cluster) {
    let mut c = client_at(cluster, cluster.leader(), 5);
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("a")
        .query(&mut c)
        .expect("RPUSH");
}

fn llen_at_leader(cluster: &Cluster) -> i64 {
    let mut c = client_at(cluster, cluster.leader(), 5);
    redis::cmd("LLEN").arg("q").query(&mut c).expect("LLEN")
}

#[test]
fn a_pop_waiting_at_a_follower_is_served_by_a_push_at_the_leader() {
    let cluster = Cluster::start(3, &[]);
    set_eventually(&cluster.nodes[cluster.leader()], "warm", "up");
    let follower = cluster.followers()[0];
    let mut waiter = client_at(&cluster, follower, 10);
    let popped = std::thread::spawn(move || {
        redis::cmd("BLPOP")
            .arg("q")
            .arg(0)
            .query::<(String, String)>(&mut waiter)
    });
    sleep(Duration::from_millis(300));
    let mut pusher = client_at(&cluster, cluster.leader(), 5);
    let _: i64 = redis::cmd("RPUSH")
        .arg("q")
        .arg("a")
        .query(&mut pusher)
        .expect("RPUSH");
    let popped = popped.join().expect("waiter thread");
    assert_eq!(popped.expect("BLPOP"), ("q".into(), "a".into()));
    assert_eq!(llen_at_leader(&cluster), 0);
}

#[test]
fn a_follower_client_that_disconnects_pops_nothing_at_the_leader() {
    let cluster = Cluster::start(3, &[]);
    set_eventually(&cluster.nodes[cluster.leader()], "warm", "up");
    let follower = cluster.followers()[0];
    let mut waiter = cluster.nodes[follower].raw();
    send_and_park(&mut waiter, &[b"BLPOP", b"q", b"0"]);
    drop(waiter);
    // A tick at the follower sees the closed connection and tells the leader.
    sleep(Duration::from_millis(400));
    push_at_leader(&cluster);
    assert_eq!(llen_at_leader(&cluster), 1, "nothing popped for nobody");
}

/// BL-4 when the leader dies holding the pop: the follower's client is
/// answered (nothing more can serve it), and no later push is popped for it.
#[test]
fn a_pop_parked_at_a_killed_leader_is_answered_and_pops_nothing_later() {
    let mut cluster = Cluster::start(3, &[]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], "warm", "up");
    let follower = cluster.followers()[0];
    let mut waiter = client_at(&cluster, follower, 20);
    let answer = std::thread::spawn(move || {
        let started = Instant::now();
        let r = redis::cmd("BLPOP")
            .arg("q")
            .arg(0)
            .query::<redis::Value>(&mut waiter);
        (r, started.elapsed())
    });
    sleep(Duration::from_millis(300));
    cluster.nodes[leader].kill();
    let (answer, after) = answer.join().expect("waiter thread");
    let err = answer.expect_err("the pop cannot be served");
    assert!(
        err.to_string().contains("UNCERTAIN"),
        "an uncertain outcome, not a hang: {err}"
    );
    assert!(after < Duration::from_secs(15), "answered after {after:?}");
    push_at_leader(&cluster);
    assert_eq!(llen_at_leader(&cluster), 1, "nothing popped for nobody");
}

#[test]
fn client_unblock_answers_the_timeout_reply_or_an_error() {
    let s = Server::start(&[]);
    let mut waiter = s.client();
    let id: u64 = redis::cmd("CLIENT")
        .arg("ID")
        .query(&mut waiter)
        .expect("id");
    let mut raw = s.raw();
    let mut other = s.client();
    let unblock = |other: &mut redis::Connection, how: Option<&str>| -> i64 {
        let mut c = redis::cmd("CLIENT");
        c.arg("UNBLOCK").arg(id);
        if let Some(how) = how {
            c.arg(how);
        }
        c.query(other).expect("CLIENT UNBLOCK")
    };
    assert_eq!(unblock(&mut other, None), 0, "not blocked");
    for (how, expect) in [
        (None, Ok(redis::Value::Nil)),
        (Some("TIMEOUT"), Ok(redis::Value::Nil)),
        (Some("ERROR"), Err("UNBLOCKED")),
    ] {
        let mut w = waiter;
        let popped = std::thread::spawn(move || {
            let r = redis::cmd("BLPOP")
                .arg("l")
                .arg(0)
                .query::<redis::Value>(&mut w);
            (r, w)
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let info: String = redis::cmd("INFO")
                .arg("clients")
                .query(&mut other)
                .expect("INFO");
            if info.contains("blocked_clients:1") {
                break;
            }
            assert!(Instant::now() < deadline, "never blocked");
            sleep(Duration::from_millis(10));
        }
        assert_eq!(unblock(&mut other, how), 1);
        let (r, w) = popped.join().expect("thread");
        waiter = w;
        match (r, expect) {
            (Ok(v), Ok(e)) => assert_eq!(v, e),
            (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{e}"),
            (r, e) => panic!("{r:?}, expected {e:?}"),
        }
    }
    roundtrip(
        &mut raw,
        &req(&[b"CLIENT", b"UNBLOCK", b"asd"]),
        b"-ERR value is not an integer or out of range\r\n",
    );
    roundtrip(
        &mut raw,
        &req(&[b"CLIENT", b"UNBLOCK", b"1", b"maybe"]),
        b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
    );
    let _: i64 = redis::cmd("LPUSH")
        .arg("l")
        .arg("x")
        .query(&mut other)
        .expect("LPUSH");
    let llen: i64 = redis::cmd("LLEN").arg("l").query(&mut other).expect("LLEN");
    assert_eq!(llen, 1, "an unblocked waiter pops nothing later");
}
