//! The server over real TCP: keyspace commands through a Redis client
//! library, pipelining, connection commands, binary-safe keys.

mod support;

use redis::Commands;
use std::io::Write;
use support::resp::{read_n, read_to_close, read_until, req, roundtrip};
use support::server::Server;

#[test]
fn set_get_del_through_the_redis_crate() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let _: () = c.set("k", "v1").expect("SET");
    let v: Option<String> = c.get("k").expect("GET");
    assert_eq!(v.as_deref(), Some("v1"));
    let _: () = c.set("k", "v2").expect("SET");
    let v: Option<String> = c.get("k").expect("GET");
    assert_eq!(v.as_deref(), Some("v2"));
    let n: i64 = c.del(&["k", "missing"]).expect("DEL");
    assert_eq!(n, 1);
    let v: Option<String> = c.get("k").expect("GET");
    assert_eq!(v, None);
}

/// 100 commands in one write come back in order (mini-redis's lesson: decode
/// everything buffered, answer in one write).
#[test]
fn pipelining_answers_in_order() {
    let s = Server::start(&[]);
    let mut conn = s.raw();
    let mut batch = Vec::new();
    let mut expect = Vec::new();
    for i in 0..50 {
        let key = format!("p{i}");
        let val = format!("value-{i}");
        batch.extend(req(&[b"SET", key.as_bytes(), val.as_bytes()]));
        expect.extend_from_slice(b"+OK\r\n");
        batch.extend(req(&[b"GET", key.as_bytes()]));
        expect.extend(format!("${}\r\n{val}\r\n", val.len()).into_bytes());
    }
    roundtrip(&mut conn, &batch, &expect);

    // Connection commands and node commands interleaved keep their order.
    let mut batch = Vec::new();
    batch.extend(req(&[b"PING"]));
    batch.extend(req(&[b"GET", b"p3"]));
    batch.extend(req(&[b"ECHO", b"e"]));
    batch.extend(req(&[b"DEL", b"p3"]));
    batch.extend(req(&[b"GET", b"p3"]));
    roundtrip(
        &mut conn,
        &batch,
        b"+PONG\r\n$7\r\nvalue-3\r\n$1\r\ne\r\n:1\r\n$-1\r\n",
    );
}

/// Requests split across writes at every byte boundary still parse.
#[test]
fn requests_split_across_writes() {
    let s = Server::start(&[]);
    let mut conn = s.raw();
    conn.set_nodelay(true).expect("nodelay");
    let data = req(&[b"SET", b"split", b"abc"]);
    for b in &data {
        conn.write_all(&[*b]).expect("write");
    }
    assert_eq!(read_n(&mut conn, 5), b"+OK\r\n");
    roundtrip(&mut conn, b"GET split\r\n", b"$3\r\nabc\r\n");
}

#[test]
fn binary_keys_and_values() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let key: &[u8] = b"a\0b\r\nc";
    let val: &[u8] = b"\r\n\0\xff$3\r\n";
    let _: () = c.set(key, val).expect("SET");
    let got: Vec<u8> = c.get(key).expect("GET");
    assert_eq!(got, val);
    let other: Option<Vec<u8>> = c.get(&b"a\0b"[..]).expect("GET");
    assert_eq!(other, None);
}

#[test]
fn connection_commands() {
    let s = Server::start(&[]);
    let mut conn = s.raw();
    roundtrip(&mut conn, &req(&[b"PING"]), b"+PONG\r\n");
    roundtrip(&mut conn, &req(&[b"SELECT", b"0"]), b"+OK\r\n");
    roundtrip(
        &mut conn,
        &req(&[b"SELECT", b"1"]),
        b"-ERR fencekv has a single database: only SELECT 0 is supported\r\n",
    );
    roundtrip(
        &mut conn,
        &req(&[b"CLIENT", b"SETNAME", b"tester"]),
        b"+OK\r\n",
    );
    roundtrip(
        &mut conn,
        &req(&[b"CLIENT", b"GETNAME"]),
        b"$6\r\ntester\r\n",
    );
    roundtrip(
        &mut conn,
        &req(&[b"CONFIG", b"GET", b"appendfsync"]),
        b"*2\r\n$11\r\nappendfsync\r\n$8\r\neverysec\r\n",
    );
    // HELLO 3 switches this connection to RESP3 (a map), and later replies too.
    let mut c = s.client();
    let hello: redis::Value = redis::cmd("HELLO").arg(3).query(&mut c).expect("HELLO");
    let text = format!("{hello:?}");
    assert!(text.contains("7.0.15"), "{text}");
    conn.write_all(&[req(&[b"HELLO", b"3"]), req(&[b"PING"])].concat())
        .expect("write");
    let hello = read_until(&mut conn, b"+PONG\r\n");
    let hello = String::from_utf8_lossy(&hello);
    assert!(
        hello.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{hello}"
    );
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello}");
    roundtrip(&mut conn, &req(&[b"GET", b"nothing"]), b"_\r\n");

    let info: String = redis::cmd("INFO").query(&mut c).expect("INFO");
    for needle in [
        "# Server",
        "redis_version:7.0.15",
        "connected_clients:",
        "appendfsync:everysec",
        "role:leader",
        "applied_index:",
        "read_fences:",
        "modes:safe",
    ] {
        assert!(info.contains(needle), "{needle} missing from INFO:\n{info}");
    }
    let _: () = c.set("x", "1").expect("SET");
    let ks: String = redis::cmd("INFO")
        .arg("keyspace")
        .query(&mut c)
        .expect("INFO");
    assert!(ks.contains("db0:keys=1,expires=0"), "{ks}");
    roundtrip(&mut conn, &req(&[b"QUIT"]), b"+OK\r\n");
    assert!(read_to_close(&mut conn).is_empty());
}

/// A data directory that cannot be created stops the server at once with a
/// clear message and a failure status.
#[test]
fn unusable_data_dir_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("fencekv-test-notadir-{}", std::process::id()));
    std::fs::write(&dir, b"a file, not a directory").expect("write file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fencekv"))
        .args(["serve", "--port", "0", "--dir"])
        .arg(dir.join("data"))
        .output()
        .expect("run fencekv");
    let _ = std::fs::remove_file(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot open the durable log"),
        "stderr: {stderr}"
    );
}

/// SHUTDOWN stops the server as SIGTERM does: the replies to what came
/// before it, no reply to it, a clean exit, and every write kept (under
/// `--appendfsync no`, only a clean shutdown syncs the log). SHUTDOWN ABORT
/// has nothing to abort; a script may not shut the server down.
#[test]
fn shutdown_stops_the_server_cleanly() {
    let mut s = Server::start(&["--appendfsync", "no"]);
    let mut conn = s.raw();
    roundtrip(
        &mut conn,
        &req(&[b"SHUTDOWN", b"ABORT"]),
        b"-ERR No shutdown in progress.\r\n",
    );
    roundtrip(
        &mut conn,
        &req(&[b"EVAL", b"return redis.pcall('SHUTDOWN')", b"0"]),
        b"-ERR This Redis command is not allowed from script\r\n",
    );
    let mut batch = req(&[b"SET", b"k", b"kept"]);
    batch.extend(req(&[b"SHUTDOWN", b"NOSAVE"]));
    batch.extend(req(&[b"GET", b"k"]));
    conn.write_all(&batch).expect("write");
    assert_eq!(read_to_close(&mut conn), b"+OK\r\n");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}; log:\n{}", s.log());
    assert!(s.log().contains("SHUTDOWN"), "{}", s.log());
    s.start_again();
    let mut c = s.client();
    let v: Option<String> = c.get("k").expect("GET");
    assert_eq!(v.as_deref(), Some("kept"));
}
