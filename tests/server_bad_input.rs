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
