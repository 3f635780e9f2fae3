//! The client limits over real TCP, as Redis 7.0's: `client-query-buffer-
//! limit` (unparsed input past it closes the client), `client-output-
//! buffer-limit`'s normal class (unread replies past the hard limit, or
//! past the soft one for its seconds, close the client), and `timeout` (an
//! idle client is closed). Flags set them; CONFIG GET shows and CONFIG SET
//! changes them with Redis's values and errors.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use redis::Commands;
use support::resp::{req, roundtrip, Conn};
use support::server::Server;
use support::wait::eventually;

/// Read until the server closes the connection (EOF, or a reset when it
/// closed with our input unread); what arrived.
fn read_until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("read: {e} (the server did not close the connection)"),
        }
    }
}

fn config_get(s: &Server, name: &str) -> String {
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query(&mut s.client())
        .expect("CONFIG GET");
    got.get(1).cloned().unwrap_or_default()
}

fn config_set(s: &Server, name: &str, value: &str) -> Result<(), String> {
    redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query::<()>(&mut s.client())
        .map_err(|e| e.to_string())
}

#[test]
fn unparsed_input_past_the_query_buffer_limit_closes_the_client() {
    let s = Server::start(&["--client-query-buffer-limit", "1mb"]);
    assert_eq!(config_get(&s, "client-query-buffer-limit"), "1048576");
    // A value under the limit is fine.
    let mut c = s.raw();
    let small = vec![b'x'; 512 * 1024];
    let mut set = req(&[b"SET", b"small", &small]);
    set.extend(req(&[b"STRLEN", b"small"]));
    roundtrip(&mut c, &set, b"+OK\r\n:524288\r\n");
    // A 3 MB bulk never completes within 1 MB: closed, no reply (as
    // redis-server 7.0 does).
    let big = vec![b'y'; 3 << 20];
    let mut raw = s.raw();
    let _ = raw.write_all(&req(&[b"SET", b"big", &big]));
    assert_eq!(read_until_closed(&mut raw), b"");
    eventually("the log says why", || {
        s.log()
            .contains("closing client that reached max query buffer length")
            .then_some(())
    });
    let strlen: u64 = s.client().strlen("big").expect("STRLEN");
    assert_eq!(strlen, 0);
    roundtrip(&mut c, &req(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn client_query_buffer_limit_config() {
    let s = Server::start(&[]);
    assert_eq!(config_get(&s, "client-query-buffer-limit"), "1073741824");
    let mut c = Conn::connect(s.port);
    assert_eq!(
        c.call(&["CONFIG", "SET", "client-query-buffer-limit", "1k"])
            .raw,
        b"-ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - \
argument must be between 1048576 and 9223372036854775807 inclusive\r\n"
    );
    config_set(&s, "client-query-buffer-limit", "2mb").expect("CONFIG SET");
    assert_eq!(config_get(&s, "client-query-buffer-limit"), "2097152");
}

/// Replies past the hard limit close the client and are dropped: a client
/// that sends and never reads cannot make the server buffer its replies.
#[test]
fn unread_replies_past_the_hard_limit_close_the_client() {
    let s = Server::start(&["--client-output-buffer-limit", "normal 1mb 0 0"]);
    let value = "v".repeat(100 * 1024);
    s.client().set::<_, _, ()>("k", &value).expect("SET");
    let mut raw = s.raw();
    let mut gets = Vec::new();
    for _ in 0..200 {
        gets.extend(req(&[b"GET", b"k"]));
    }
    raw.write_all(&gets).expect("write");
    let got = read_until_closed(&mut raw);
    assert!(
        got.len() < 200 * value.len(),
        "all {} bytes of replies were sent",
        got.len()
    );
    eventually("the log says why", || {
        s.log()
            .contains("Client scheduled to be closed ASAP for overcoming of output buffer limits.")
            .then_some(())
    });
    // Replies under the limit are unaffected.
    let v: String = s.client().get("k").expect("GET");
    assert_eq!(v.len(), value.len());
}

/// Over the soft limit, the client must take its replies within the soft
/// seconds; one that never reads is closed.
#[test]
fn a_client_that_never_reads_is_closed_by_the_soft_limit() {
    let s = Server::start(&[]);
    config_set(&s, "client-output-buffer-limit", "normal 0 64kb 1").expect("CONFIG SET");
    let value = "v".repeat(256 * 1024);
    s.client().set::<_, _, ()>("k", &value).expect("SET");
    let mut raw = s.raw();
    let mut gets = Vec::new();
    for _ in 0..200 {
        gets.extend(req(&[b"GET", b"k"]));
    }
    raw.write_all(&gets).expect("write");
    // Not reading: the server's write stalls once the socket buffers are
    // full, and the soft limit's second runs out.
    eventually("the server closes the stalled client", || {
        s.log()
            .contains("Client scheduled to be closed ASAP for overcoming of output buffer limits.")
            .then_some(())
    });
    let got = read_until_closed(&mut raw);
    assert!(got.len() < 200 * value.len(), "every reply was sent");
}

#[test]
fn client_output_buffer_limit_config() {
    let s = Server::start(&[]);
    let default = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
    assert_eq!(config_get(&s, "client-output-buffer-limit"), default);
    config_set(&s, "client-output-buffer-limit", "normal 1mb 512kb 10").expect("CONFIG SET");
    assert_eq!(
        config_get(&s, "client-output-buffer-limit"),
        "normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    );
    let mut c = Conn::connect(s.port);
    let failed = |why: &str| {
        format!(
            "-ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') \
             - {why}\r\n"
        )
        .into_bytes()
    };
    assert_eq!(
        c.call(&["CONFIG", "SET", "client-output-buffer-limit", "normal 1mb"])
            .raw,
        failed("Wrong number of arguments in buffer limit configuration.")
    );
    assert_eq!(
        c.call(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "master 0 0 0"
        ])
        .raw,
        failed("Invalid client class specified in buffer limit configuration.")
    );
    assert_eq!(
        c.call(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal x 0 0"
        ])
        .raw,
        failed("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
    );
}

#[test]
fn an_idle_client_is_closed_after_the_timeout() {
    let s = Server::start(&["--timeout", "1"]);
    assert_eq!(config_get(&s, "timeout"), "1");
    let mut idle = s.raw();
    roundtrip(&mut idle, &req(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(read_until_closed(&mut idle), b"");
    let mut c = Conn::connect(s.port);
    assert_eq!(
        c.call(&["CONFIG", "SET", "timeout", "-1"]).raw,
        b"-ERR CONFIG SET failed (possibly related to argument 'timeout') - \
argument must be between 0 and 2147483647 inclusive\r\n"
    );
    config_set(&s, "timeout", "0").expect("CONFIG SET");
    assert_eq!(config_get(&s, "timeout"), "0");
}
