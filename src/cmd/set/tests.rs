//! The set commands end to end (parse → execute over a plain `BTreeMap`
//! raw store), their replies and errors as redis-server 7.0.15 answers
//! them (members in byte order here).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::cmd::{parse, run_read, run_write, Kind, ParseCtx};
use crate::modes::ChainModes;
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite};

type Raw = BTreeMap<Vec<u8>, Bytes>;

const NOW: u64 = 1_700_000_000_000;

/// Parse and run one request at `NOW`, with the random seed `seed`.
fn run_seeded(raw: &mut Raw, args: &[Vec<u8>], seed: u64) -> Reply {
    let args: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.clone())).collect();
    let ctx = ParseCtx {
        now_ms: NOW,
        debug_commands: false,
        seed,
    };
    let cmd = match parse(&args, &ctx) {
        Ok(cmd) => cmd,
        Err(e) => return e,
    };
    match cmd.kind() {
        Kind::Read => run_read(&cmd, &KeyspaceRead::new(&*raw, NOW, ChainModes::default())),
        Kind::Write => run_write(
            &cmd,
            &mut KeyspaceWrite::new(raw, NOW, ChainModes::default()),
        ),
        Kind::Script => Reply::err("not here"),
    }
}

fn run(raw: &mut Raw, args: &[Vec<u8>]) -> Reply {
    run_seeded(raw, args, 7)
}

/// Run a whitespace-separated line.
fn r(raw: &mut Raw, line: &str) -> Reply {
    let args: Vec<Vec<u8>> = line
        .split_whitespace()
        .map(|w| w.as_bytes().to_vec())
        .collect();
    run(raw, &args)
}

fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

fn err(s: &str) -> Reply {
    Reply::err(s)
}

fn set_of(members: &[&str]) -> Reply {
    Reply::Set(members.iter().map(|m| Reply::bulk(m.to_string())).collect())
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn sadd_srem_smembers_scard_sismember() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "SADD s b a c a"), int(3));
    assert_eq!(r(&mut db, "SADD s a d"), int(1));
    assert_eq!(r(&mut db, "SCARD s"), int(4));
    assert_eq!(r(&mut db, "SMEMBERS s"), set_of(&["a", "b", "c", "d"]));
    assert_eq!(r(&mut db, "SISMEMBER s a"), int(1));
    assert_eq!(r(&mut db, "SISMEMBER s z"), int(0));
    assert_eq!(r(&mut db, "SISMEMBER nokey z"), int(0));
    assert_eq!(r(&mut db, "SREM s a z a"), int(1));
    assert_eq!(r(&mut db, "SREM nokey a"), int(0));
    assert_eq!(r(&mut db, "SCARD s"), int(3));
    assert_eq!(r(&mut db, "SCARD nokey"), int(0));
    assert_eq!(r(&mut db, "SMEMBERS nokey"), set_of(&[]));
    assert_eq!(r(&mut db, "TYPE s"), Reply::Status("set".into()));
    assert_eq!(r(&mut db, "SREM s b c d"), int(3));
    assert_eq!(r(&mut db, "EXISTS s"), int(0));
    assert!(db.is_empty(), "an emptied set leaves nothing: {db:?}");
}

#[test]
fn binary_and_empty_members() {
    let mut db = Raw::new();
    let args = |cmd: &str, m: &[u8]| vec![cmd.as_bytes().to_vec(), b"s".to_vec(), m.to_vec()];
    assert_eq!(run(&mut db, &args("SADD", b"")), int(1));
    assert_eq!(run(&mut db, &args("SADD", b"\0\xff")), int(1));
    assert_eq!(run(&mut db, &args("SISMEMBER", b"")), int(1));
    assert_eq!(run(&mut db, &args("SISMEMBER", b"\0")), int(0));
    assert_eq!(
        r(&mut db, "SMEMBERS s"),
        Reply::Set(vec![Reply::bulk(""), Reply::bulk(&b"\0\xff"[..])])
    );
}

#[test]
fn wrong_types_and_arity() {
    let mut db = Raw::new();
    r(&mut db, "SET str v");
    for line in [
        "SADD str a",
        "SREM str a",
        "SMEMBERS str",
        "SISMEMBER str a",
        "SCARD str",
    ] {
        assert_eq!(r(&mut db, line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(r(&mut db, "GET str"), Reply::bulk("v"));
    r(&mut db, "SADD s a");
    assert_eq!(r(&mut db, "GET s"), err(WRONGTYPE));
    for (line, name) in [
        ("SADD s", "sadd"),
        ("SREM s", "srem"),
        ("SMEMBERS", "smembers"),
        ("SMEMBERS s t", "smembers"),
        ("SISMEMBER s", "sismember"),
        ("SCARD", "scard"),
    ] {
        assert_eq!(
            r(&mut db, line),
            err(&format!(
                "ERR wrong number of arguments for '{name}' command"
            )),
            "{line}"
        );
    }
}

#[test]
fn sets_expire_and_a_dead_key_is_reused() {
    let mut db = Raw::new();
    r(&mut db, "SADD s a b");
    assert_eq!(r(&mut db, &format!("PEXPIREAT s {}", NOW + 10)), int(1));
    assert_eq!(r(&mut db, "SADD s c"), int(1));
    assert_eq!(
        r(&mut db, "PEXPIRETIME s"),
        int((NOW + 10) as i64),
        "SADD keeps the TTL"
    );
    r(&mut db, &format!("PEXPIREAT s {}", NOW - 1));
    assert_eq!(r(&mut db, "SCARD s"), int(0));
    assert_eq!(r(&mut db, "SADD s z"), int(1), "the expired set is gone");
    assert_eq!(r(&mut db, "SMEMBERS s"), set_of(&["z"]));
    assert_eq!(r(&mut db, "PTTL s"), int(-1));
    r(&mut db, &format!("SET str v PXAT {}", NOW - 1));
    assert_eq!(
        r(&mut db, "SADD str a"),
        int(1),
        "an expired string is no string"
    );
}
