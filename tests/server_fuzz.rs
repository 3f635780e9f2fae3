//! Bad input, swept, against a real server: arbitrary byte streams on fresh
//! client connections (quickcheck, so a failure shrinks to a small input),
//! and thousands of arbitrary command vectors — every command the server
//! lists, with arguments drawn from keys, numbers, option words and random
//! bytes — on one connection, then random frames on the peer port after a
//! valid handshake. Throughout: the process keeps serving, a key no command
//! names keeps its value, every request gets exactly one well-formed reply,
//! and memory stays bounded. Seeded and bounded in time; a longer sweep:
//! `FENCEKV_FUZZ_ROUNDS=20000 cargo test --test server_fuzz`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use quickcheck::{QuickCheck, TestResult};
use redis::Commands;

mod support;
use support::cluster::{set_eventually, Cluster};
use support::resp::{Conn, Value};
use support::server::Server;

const SURVIVOR: &str = "fuzz:survivor";

/// Commands whose effect would end the sweep rather than test it: they
/// stop the server, close or block the connection, wipe or reconfigure
/// everything (a password would lock the sweep out).
const SKIPPED: &[&str] = &[
    "shutdown",
    "quit",
    "flushall",
    "flushdb",
    "config",
    "client",
    "debug",
    "monitor",
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "wait",
    "waitaof",
    "failover",
    "blpop",
    "brpop",
    "blmove",
    "brpoplpush",
    "blmpop",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
    "xread",
    "xreadgroup",
    "swapdb",
    "select",
    "reset",
    "auth",
    "hello",
];

fn rounds(default: usize) -> usize {
    std::env::var("FENCEKV_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server still answers and still holds the key nothing touched.
fn intact(s: &Server) -> bool {
    let mut c = s.client();
    let pong: Result<String, _> = redis::cmd("PING").query(&mut c);
    let v: Result<Option<String>, _> = c.get(SURVIVOR);
    pong.is_ok_and(|p| p == "PONG") && v.is_ok_and(|v| v.as_deref() == Some("intact"))
}

/// The server the byte-stream property talks to (quickcheck takes a plain
/// `fn`, not a closure).
static PORT: AtomicU16 = AtomicU16::new(0);

#[test]
fn arbitrary_byte_streams_close_at_most_their_own_connection() {
    let s = Server::start(&[]);
    let _: () = s.client().set(SURVIVOR, "intact").expect("SET");
    let before = s.rss_kib();
    PORT.store(s.port, Ordering::SeqCst);
    fn prop(mut bytes: Vec<u8>, framed: bool) -> TestResult {
        let port = PORT.load(Ordering::SeqCst);
        if framed {
            // A multibulk header first, so the stream reaches the argument parser.
            let n = bytes.first().copied().unwrap_or(1) % 8;
            bytes.splice(0..0, format!("*{n}\r\n").into_bytes());
        }
        let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
            return TestResult::error("cannot connect");
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = c.write_all(&bytes);
        // The end of the stream: the server answers what it parsed and
        // then sees EOF; it must not keep the connection waiting forever.
        let _ = c.shutdown(Shutdown::Write);
        let mut out = Vec::new();
        match c.read_to_end(&mut out) {
            Ok(_) => TestResult::passed(),
            Err(e) => TestResult::error(format!("no end after {bytes:?}: {e}")),
        }
    }
    QuickCheck::new()
        .tests(rounds(300) as u64)
        .max_tests(10 * rounds(300) as u64)
        .quickcheck(prop as fn(Vec<u8>, bool) -> TestResult);
    assert!(intact(&s), "the server lost the key or stopped answering");
    let after = s.rss_kib();
    assert!(
        after < before + 128 * 1024,
        "the sweep grew the server from {before} to {after} KiB"
    );
}

/// Words that mean something to some command.
const WORDS: &[&str] = &[
    "NX",
    "XX",
    "GT",
    "LT",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "GET",
    "PERSIST",
    "CH",
    "INCR",
    "WITHSCORES",
    "WITHSCORE",
    "LIMIT",
    "COUNT",
    "MATCH",
    "TYPE",
    "REV",
    "BYSCORE",
    "BYLEX",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "WEIGHTS",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "RANK",
    "MAXLEN",
    "IDX",
    "LEN",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "BYTE",
    "BIT",
    "OVERFLOW",
    "WRAP",
    "SAT",
    "FAIL",
    "u8",
    "i16",
    "#1",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "REPLACE",
    "DB",
    "ENCODING",
    "LOAD",
    "EXISTS",
    "FLUSH",
    "KILL",
    "LIST",
    "HELP",
    "DOCS",
    "INFO",
    "STATS",
    "DUMP",
    "RESTORE",
    "WITHCODE",
    "LIBRARYNAME",
    "NOW",
    "NOSAVE",
    "ABORT",
    "ASYNC",
    "SYNC",
];

/// Script bodies: some run, some do not compile, some fail at run time.
const SCRIPTS: &[&str] = &[
    "return 1",
    "return redis.call('get', KEYS[1])",
    "return redis.call('set', KEYS[1], ARGV[1])",
    "return redis.pcall('incr', KEYS[1])",
    "return {1, 'a', {2}}",
    "error('boom')",
    "return redis.call('nosuch')",
    "return cjson.decode(ARGV[1])",
    "return struct.unpack('>I', ARGV[1])",
    "local t = {} for i = 1, 100 do t[i] = i end return t",
    "#!lua flags=no-writes\nreturn 1",
    "#!lua name=lib\nredis.register_function('f', function(k, a) return 1 end)",
    "return",
    "((",
];

fn arg(rng: &mut fencekv::rng::XorShift) -> Vec<u8> {
    match rng.below(10) {
        0..=2 => format!("k{}", rng.below(6)).into_bytes(),
        3 => {
            const NUMS: &[&str] = &[
                "0",
                "1",
                "2",
                "3",
                "-1",
                "-2",
                "10",
                "100",
                "1000",
                "9223372036854775807",
                "-9223372036854775808",
                "99999999999999999999999",
                "1.5",
                "-0.5",
                "inf",
                "-inf",
                "+inf",
                "nan",
                "1e3",
                "0x10",
                "",
                " 1",
            ];
            NUMS[rng.below(NUMS.len() as u64) as usize].into()
        }
        4 | 5 => WORDS[rng.below(WORDS.len() as u64) as usize].into(),
        6 => SCRIPTS[rng.below(SCRIPTS.len() as u64) as usize].into(),
        7 => (rng.below(20) as i64 - 5).to_string().into_bytes(),
        _ => {
            let n = rng.below(12) as usize;
            (0..n).map(|_| rng.below(256) as u8).collect()
        }
    }
}

#[test]
fn arbitrary_command_vectors_get_one_reply_each_and_touch_nothing_else() {
    let s = Server::start(&[]);
    let _: () = s.client().set(SURVIVOR, "intact").expect("SET");
    let mut c = Conn::connect(s.port);
    let Value::Array(table) = c.call(&["COMMAND"]).value else {
        panic!("COMMAND is an array");
    };
    let names: Vec<Vec<u8>> = table
        .iter()
        .filter_map(|info| match info.items().first() {
            Some(Value::Bulk(n)) => Some(n.clone()),
            _ => None,
        })
        .filter(|n| !SKIPPED.iter().any(|s| s.as_bytes() == n.as_slice()))
        .collect();
    assert!(names.len() > 150, "COMMAND lists {} commands", names.len());
    let before = s.rss_kib();
    let mut rng = fencekv::rng::XorShift::seeded(0xf022_5eed);
    let mut errors = 0usize;
    let total = rounds(4000);
    for i in 0..total {
        let name = &names[rng.below(names.len() as u64) as usize];
        let mut cmd = vec![name.clone()];
        // Subcommands: a container's second word is often a word of its own.
        for _ in 0..rng.below(7) {
            cmd.push(arg(&mut rng));
        }
        if rng.below(8) == 0 {
            cmd[0] = cmd[0].to_ascii_uppercase();
        }
        let reply = c.call(&cmd);
        if reply.value.is_error() {
            errors += 1;
        }
        // Leave a transaction or a queue at times, as a client would.
        if i % 97 == 0 {
            let _ = c.call(&["DISCARD"]);
        }
    }
    let _ = c.call(&["DISCARD"]);
    assert!(
        errors < total,
        "every command failed: the sweep tests nothing"
    );
    assert!(
        errors > total / 20,
        "almost no errors: the arguments are too tame"
    );
    assert!(intact(&s), "the server lost the key or stopped answering");
    let after = s.rss_kib();
    assert!(
        after < before + 256 * 1024,
        "the sweep grew the server from {before} to {after} KiB"
    );
}

/// Random frames on the peer port after a valid handshake (as node 2 of a
/// secured cluster): each either decodes and is handled or closes its
/// connection; the cluster keeps its data and its leader keeps serving.
#[test]
fn arbitrary_peer_frames_after_the_handshake_close_at_most_their_connection() {
    let cluster = Cluster::start(3, &[]);
    let leader = cluster.leader();
    set_eventually(&cluster.nodes[leader], SURVIVOR, "intact");
    let port = cluster.peer_port(0);
    let auth =
        fencekv::server::peer_auth::PeerAuth::from_file(&cluster.secret_file).expect("secret");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rng = fencekv::rng::XorShift::seeded(0xfeed_beef);
    for _ in 0..rounds(200) {
        let len = rng.below(96) as usize;
        let body: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        let mut frame = (body.len() as u64).to_le_bytes().to_vec();
        frame.extend_from_slice(&body);
        let mut s = rt.block_on(async {
            let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            fencekv::server::peer_auth::connect(&mut s, &auth, 2, 1)
                .await
                .expect("handshake");
            s.into_std().expect("std stream")
        });
        s.set_nonblocking(false).expect("blocking");
        let _ = s.write_all(&frame);
    }
    let mut c = cluster.nodes[leader].client();
    let v: Option<String> = c.get(SURVIVOR).expect("GET");
    assert_eq!(v.as_deref(), Some("intact"));
    set_eventually(&cluster.nodes[leader], "after", "ok");
}
