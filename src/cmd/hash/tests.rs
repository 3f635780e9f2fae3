//! The hash commands end to end (parse → execute over a plain `BTreeMap`
//! raw store), their errors as redis-server 7.0.15 answers them.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::cmd::{parse, run_read, run_write, Kind, ParseCtx};
use crate::collections::encoding::{element_prefix, HASH_PREFIX};
use crate::collections::{read_meta, MetaRead};
use crate::modes::ChainModes;
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite};

type Raw = BTreeMap<Vec<u8>, Bytes>;

const NOW: u64 = 1_700_000_000_000;

/// Parse and run one request at `NOW` with random seed `seed`.
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

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split_whitespace()
        .map(|w| w.as_bytes().to_vec())
        .collect()
}

/// Run a whitespace-separated line.
fn r(raw: &mut Raw, line: &str) -> Reply {
    run_seeded(raw, &words(line), 7)
}

fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

fn bulk(s: &str) -> Reply {
    Reply::bulk(s.as_bytes().to_vec())
}

fn map(v: &[(&str, &str)]) -> Reply {
    Reply::Map(v.iter().map(|(f, x)| (bulk(f), bulk(x))).collect())
}

fn err(s: &str) -> Reply {
    Reply::err(s)
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The raw keys under `key`'s hash prefix.
fn field_keys(raw: &Raw, key: &[u8]) -> usize {
    let p = element_prefix(HASH_PREFIX, key);
    raw.keys().filter(|k| k.starts_with(&p)).count()
}

#[test]
fn hset_hget_hlen_hgetall() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "HSET h a 1 b 2"), int(2));
    assert_eq!(r(&mut db, "HSET h a 3 c 4"), int(1));
    assert_eq!(
        r(&mut db, "HSET h d 5 d 6"),
        int(1),
        "a repeated field counts once"
    );
    assert_eq!(r(&mut db, "HGET h a"), bulk("3"));
    assert_eq!(r(&mut db, "HGET h d"), bulk("6"));
    assert_eq!(r(&mut db, "HGET h zz"), Reply::Nil);
    assert_eq!(r(&mut db, "HGET nokey a"), Reply::Nil);
    assert_eq!(r(&mut db, "HLEN h"), int(4));
    assert_eq!(r(&mut db, "HLEN nokey"), int(0));
    assert_eq!(
        r(&mut db, "HGETALL h"),
        map(&[("a", "3"), ("b", "2"), ("c", "4"), ("d", "6")])
    );
    assert_eq!(r(&mut db, "HGETALL nokey"), map(&[]));
    assert_eq!(r(&mut db, "HMSET h e 7"), Reply::ok());
    assert_eq!(r(&mut db, "TYPE h"), Reply::Status("hash".into()));
    assert_eq!(field_keys(&db, b"h"), 5);
}

#[test]
fn hdel_removes_fields_and_the_emptied_hash() {
    let mut db = Raw::new();
    r(&mut db, "HSET h a 1 b 2 c 3");
    assert_eq!(r(&mut db, "HDEL h a zz a"), int(1));
    assert_eq!(r(&mut db, "HLEN h"), int(2));
    assert_eq!(r(&mut db, "HDEL nokey a"), int(0));
    assert_eq!(r(&mut db, "HDEL h b c d"), int(2));
    assert_eq!(r(&mut db, "EXISTS h"), int(0));
    assert!(db.is_empty(), "nothing left: {db:?}");
}

#[test]
fn arity_and_pairing_errors() {
    let mut db = Raw::new();
    r(&mut db, "SET s x");
    for (line, name) in [
        ("HSET h", "hset"),
        ("HSET h a", "hset"),
        ("HSET h a 1 b", "hset"),
        // The pairing is checked before the type.
        ("HSET s a 1 b", "hset"),
        ("HMSET h a 1 b", "hmset"),
        ("HGET h", "hget"),
        ("HDEL h", "hdel"),
        ("HLEN", "hlen"),
        ("HGETALL h x", "hgetall"),
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
fn wrong_type_against_strings_and_other_collections() {
    let mut db = Raw::new();
    r(&mut db, "SET s x");
    for line in [
        "HSET s a 1",
        "HMSET s a 1",
        "HGET s a",
        "HDEL s a",
        "HLEN s",
        "HGETALL s",
    ] {
        assert_eq!(r(&mut db, line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(r(&mut db, "GET s"), bulk("x"), "the string is untouched");
    r(&mut db, "HSET h a 1");
    assert_eq!(r(&mut db, "GET h"), err(WRONGTYPE));
    assert_eq!(r(&mut db, "INCR h"), err(WRONGTYPE));
}

#[test]
fn a_write_to_an_expired_key_starts_afresh() {
    let mut db = Raw::new();
    r(&mut db, "SET s x PXAT 1000");
    assert_eq!(r(&mut db, "HSET s a 1"), int(1));
    assert_eq!(r(&mut db, "HGETALL s"), map(&[("a", "1")]));
    r(&mut db, "PEXPIREAT s 1000");
    assert_eq!(r(&mut db, "HLEN s"), int(0));
    assert_eq!(r(&mut db, "HSET s b 2"), int(1));
    assert_eq!(r(&mut db, "HGETALL s"), map(&[("b", "2")]));
    assert_eq!(
        field_keys(&db, b"s"),
        1,
        "the expired hash's fields are gone"
    );
}

#[test]
fn hset_keeps_the_ttl() {
    let mut db = Raw::new();
    r(&mut db, "HSET h a 1");
    r(&mut db, "PEXPIREAT h 4102444800000");
    r(&mut db, "HSET h b 2");
    r(&mut db, "HDEL h a");
    assert_eq!(r(&mut db, "PEXPIRETIME h"), int(4_102_444_800_000));
    let MetaRead::Live(meta) = read_meta(&db, b"h", NOW) else {
        panic!("a live hash")
    };
    assert_eq!(meta.len, 1);
}

#[test]
fn binary_and_empty_fields() {
    let mut db = Raw::new();
    let args = vec![
        b"HSET".to_vec(),
        b"h".to_vec(),
        b"".to_vec(),
        b"empty".to_vec(),
        b"a\0b".to_vec(),
        b"".to_vec(),
    ];
    assert_eq!(run_seeded(&mut db, &args, 0), int(2));
    assert_eq!(
        run_seeded(&mut db, &[b"HGET".to_vec(), b"h".to_vec(), b"".to_vec()], 0),
        bulk("empty")
    );
    assert_eq!(
        r(&mut db, "HGETALL h"),
        Reply::Map(vec![
            (bulk(""), bulk("empty")),
            (Reply::bulk(b"a\0b".to_vec()), bulk("")),
        ])
    );
}
