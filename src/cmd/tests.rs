//! Commands run end to end: parse → run_write/run_read over a plain
//! `BTreeMap` raw store at fixed clocks. Error texts and edge replies were
//! checked against redis-server 7.0.15.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use quickcheck::{quickcheck, Arbitrary, Gen};

use super::*;
use crate::modes::ChainModes;
use crate::strings::encoding::{encode_str, encode_ttl};

type Raw = BTreeMap<Vec<u8>, Bytes>;

/// 2023-11-14, in unix ms: a realistic clock.
const NOW: u64 = 1_700_000_000_000;

struct Db {
    raw: Raw,
    now: u64,
    debug: bool,
}

impl Db {
    fn new() -> Db {
        Db {
            raw: BTreeMap::new(),
            now: NOW,
            debug: true,
        }
    }

    /// Parse and run at `self.now` (the accepting and applying clock).
    fn run_args(&mut self, args: Vec<Bytes>) -> Reply {
        let ctx = ParseCtx {
            now_ms: self.now,
            debug_commands: self.debug,
            seed: 7,
        };
        match parse(&args, &ctx) {
            Err(e) => e,
            Ok(cmd) => self.exec(&cmd),
        }
    }

    fn exec(&mut self, cmd: &Command) -> Reply {
        match cmd.kind() {
            Kind::Read => run_read(
                cmd,
                &KeyspaceRead::new(&self.raw, self.now, ChainModes::default()),
            ),
            Kind::Write => run_write(
                cmd,
                &mut KeyspaceWrite::new(&mut self.raw, self.now, ChainModes::default()),
            ),
            Kind::Script => Reply::err("ERR scripts run in the node"),
        }
    }

    /// Run a command given as whitespace-separated words.
    fn r(&mut self, line: &str) -> Reply {
        self.run_args(
            line.split_whitespace()
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect(),
        )
    }

    /// Run a command given as separate arguments (for empty or spaced ones).
    fn ra(&mut self, args: &[&[u8]]) -> Reply {
        self.run_args(args.iter().map(|a| Bytes::copy_from_slice(a)).collect())
    }

    fn parsed(&self, line: &str) -> Result<Command, Reply> {
        let args: Vec<Bytes> = line
            .split_whitespace()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        parse(
            &args,
            &ParseCtx {
                now_ms: self.now,
                debug_commands: self.debug,
                seed: 7,
            },
        )
    }
}

fn ok() -> Reply {
    Reply::ok()
}
fn int(n: i64) -> Reply {
    Reply::Integer(n)
}
fn bulk(s: &str) -> Reply {
    Reply::bulk(Bytes::copy_from_slice(s.as_bytes()))
}
fn nil() -> Reply {
    Reply::Nil
}
fn err(s: &str) -> Reply {
    Reply::err(s)
}
fn status(s: &str) -> Reply {
    Reply::Status(s.into())
}
fn bulks(v: &[&str]) -> Reply {
    Reply::Array(v.iter().map(|s| bulk(s)).collect())
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";

// ----------------------------------------------------------------- GET/SET

#[test]
fn get_and_set() {
    let mut db = Db::new();
    assert_eq!(db.r("GET k"), nil());
    assert_eq!(db.r("SET k v"), ok());
    assert_eq!(db.r("get k"), bulk("v"));
    assert_eq!(db.ra(&[b"SET", b"e", b""]), ok());
    assert_eq!(db.r("GET e"), bulk(""));
}

#[test]
fn set_nx_xx_get() {
    let mut db = Db::new();
    assert_eq!(db.r("SET k v XX"), nil());
    assert_eq!(db.r("SET k v NX"), ok());
    assert_eq!(db.r("SET k w NX"), nil());
    assert_eq!(db.r("GET k"), bulk("v"));
    assert_eq!(db.r("SET k w XX"), ok());
    assert_eq!(db.r("SET k x GET"), bulk("w"));
    assert_eq!(db.r("SET n x GET"), nil());
    assert_eq!(db.r("GET n"), bulk("x"));
    // 7.0 allows NX with GET: the old value, and no write.
    assert_eq!(db.r("SET k y NX GET"), bulk("x"));
    assert_eq!(db.r("SET k y GET NX"), bulk("x"));
    assert_eq!(db.r("GET k"), bulk("x"));
    assert_eq!(db.r("SET m y XX GET"), nil());
    assert_eq!(db.r("EXISTS m"), int(0));
    // Repeats are fine.
    assert_eq!(db.r("SET k z nx nx"), nil());
    assert_eq!(db.r("SET k z keepttl keepttl"), ok());
    assert_eq!(db.r("SET k z GET GET"), bulk("z"));
    // The same time option twice: the last one wins.
    assert_eq!(db.r("SET k z PX 100 PX 200"), ok());
    assert_eq!(db.r("PTTL k"), int(200));
    assert_eq!(db.r("GETEX k PERSIST PERSIST"), bulk("z"));
    assert_eq!(db.r("PTTL k"), int(-1));
}

#[test]
fn set_option_conflicts_are_syntax_errors() {
    let mut db = Db::new();
    for line in [
        "SET k v NX XX",
        "SET k v XX NX",
        "SET k v EX 10 PX 10",
        "SET k v PX 10 EXAT 10",
        "SET k v EXAT 10 PXAT 10",
        "SET k v KEEPTTL EX 10",
        "SET k v EX 10 KEEPTTL",
        "SET k v EX",
        "SET k v PERSIST",
        "SET k v FOO",
        "SET k v NX FOO",
    ] {
        assert_eq!(db.r(line), err(SYNTAX), "{line}");
    }
    // Syntax is checked before the time value.
    assert_eq!(db.r("SET k v EX abc XX NX"), err(SYNTAX));
    assert_eq!(db.r("EXISTS k"), int(0));
}

#[test]
fn set_expiry_errors() {
    let mut db = Db::new();
    let invalid = err("ERR invalid expire time in 'set' command");
    assert_eq!(db.r("SET k v EX abc"), err(NOT_INT));
    assert_eq!(db.r("SET k v EX 10 EX abc"), err(NOT_INT));
    assert_eq!(db.r("SET k v EX 0"), invalid);
    assert_eq!(db.r("SET k v EX -5"), invalid);
    assert_eq!(db.r("SET k v PX 0"), invalid);
    assert_eq!(db.r("SET k v EXAT 0"), invalid);
    assert_eq!(db.r("SET k v EX 9223372036854776"), invalid);
    // Fits the conversion but not the addition of now.
    assert_eq!(db.r("SET k v EX 9223372036854775"), invalid);
    assert_eq!(db.r("SET k v PX 9223372036854775807"), invalid);
    assert_eq!(db.r("SET k v EXAT 9223372036854776"), invalid);
    assert_eq!(db.r("SET k v EXAT 9223372036854775"), ok());
    assert_eq!(db.r("SET k v PXAT 9223372036854775807"), ok());
    assert_eq!(db.r("PEXPIRETIME k"), int(i64::MAX));
}

#[test]
fn set_resolves_relative_ttls_at_parse() {
    let db = Db::new();
    let cmd = db.parsed("SET k v EX 10");
    assert_eq!(
        cmd.map(|c| c.op),
        Ok(super::Op::Set {
            key: Bytes::from_static(b"k"),
            value: Bytes::from_static(b"v"),
            cond: SetCond::Always,
            get: false,
            expiry: SetExpiry::At(NOW + 10_000),
        })
    );
    let at = |line: &str| match db.parsed(line).map(|c| c.op) {
        Ok(super::Op::Set { expiry, .. }) => expiry,
        other => panic!("{other:?}"),
    };
    assert_eq!(at("SET k v px 5"), SetExpiry::At(NOW + 5));
    assert_eq!(at("SET k v exat 100"), SetExpiry::At(100_000));
    assert_eq!(at("SET k v pxat 100"), SetExpiry::At(100));
    assert_eq!(at("SET k v keepttl"), SetExpiry::Keep);
    assert_eq!(at("SET k v"), SetExpiry::Clear);
    // The same logged command applies the same on a replica whose own clock
    // differs: the expiry is absolute.
    let mut db2 = Db::new();
    db2.now = NOW + 3_000;
    if let Ok(cmd) = db.parsed("SET k v EX 10") {
        db2.exec(&cmd);
    }
    assert_eq!(db2.r("PTTL k"), int(7_000));
}

#[test]
fn set_ttl_options() {
    let mut db = Db::new();
    assert_eq!(db.r("SET k v EX 100"), ok());
    assert_eq!(db.r("TTL k"), int(100));
    assert_eq!(db.r("PTTL k"), int(100_000));
    assert_eq!(db.r("SET k w KEEPTTL"), ok());
    assert_eq!(db.r("PTTL k"), int(100_000));
    assert_eq!(db.r("GET k"), bulk("w"));
    assert_eq!(db.r("SET k x"), ok());
    assert_eq!(db.r("TTL k"), int(-1));
    assert_eq!(db.r("SET k v PX 1500"), ok());
    assert_eq!(db.r("PTTL k"), int(1500));
    assert_eq!(db.r("TTL k"), int(2));
    let at = NOW / 1000 + 50;
    assert_eq!(db.r(&format!("SET k v EXAT {at}")), ok());
    assert_eq!(db.r("EXPIRETIME k"), int(at as i64));
    assert_eq!(db.r(&format!("SET k v PXAT {}", NOW + 7)), ok());
    assert_eq!(db.r("PTTL k"), int(7));
    // An absolute time at or before now: the key is absent at once.
    assert_eq!(db.r(&format!("SET k v PXAT {NOW}")), ok());
    assert_eq!(db.r("EXISTS k"), int(0));
    assert_eq!(db.r("SET k v EXAT 1"), ok());
    assert_eq!(db.r("GET k"), nil());
    // KEEPTTL on a new key: no TTL.
    assert_eq!(db.r("SET fresh v KEEPTTL"), ok());
    assert_eq!(db.r("TTL fresh"), int(-1));
}

#[test]
fn setnx_setex_psetex_getset() {
    let mut db = Db::new();
    assert_eq!(db.r("SETNX k 1"), int(1));
    assert_eq!(db.r("SETNX k 2"), int(0));
    assert_eq!(db.r("GET k"), bulk("1"));
    assert_eq!(db.r("SETEX k 10 v"), ok());
    assert_eq!(db.r("PTTL k"), int(10_000));
    assert_eq!(db.r("PSETEX k 10 v"), ok());
    assert_eq!(db.r("PTTL k"), int(10));
    assert_eq!(
        db.r("SETEX k 0 v"),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        db.r("PSETEX k -1 v"),
        err("ERR invalid expire time in 'psetex' command")
    );
    assert_eq!(db.r("SETEX k abc v"), err(NOT_INT));
    assert_eq!(db.r("GETSET k w"), bulk("v"));
    assert_eq!(db.r("TTL k"), int(-1), "GETSET clears the TTL");
    assert_eq!(db.r("GETSET new w"), nil());
    assert_eq!(db.r("GET new"), bulk("w"));
}

#[test]
fn getdel_and_getex() {
    let mut db = Db::new();
    assert_eq!(db.r("GETDEL k"), nil());
    db.r("SET k v");
    assert_eq!(db.r("GETDEL k"), bulk("v"));
    assert_eq!(db.r("EXISTS k"), int(0));

    db.r("SET k v");
    assert_eq!(db.parsed("GETEX k").map(|c| c.kind()), Ok(Kind::Read));
    assert_eq!(
        db.parsed("GETEX k PERSIST").map(|c| c.kind()),
        Ok(Kind::Write)
    );
    assert_eq!(db.r("GETEX k"), bulk("v"));
    assert_eq!(db.r("GETEX k EX 10"), bulk("v"));
    assert_eq!(db.r("PTTL k"), int(10_000));
    assert_eq!(db.r("GETEX k PX 20"), bulk("v"));
    assert_eq!(db.r("PTTL k"), int(20));
    assert_eq!(db.r(&format!("GETEX k PXAT {}", NOW + 30)), bulk("v"));
    assert_eq!(db.r("PTTL k"), int(30));
    assert_eq!(
        db.r(&format!("GETEX k EXAT {}", NOW / 1000 + 40)),
        bulk("v")
    );
    assert_eq!(db.r("TTL k"), int(40));
    assert_eq!(db.r("GETEX k PERSIST"), bulk("v"));
    assert_eq!(db.r("TTL k"), int(-1));
    assert_eq!(db.r("GETEX k PERSIST"), bulk("v"));
    // A past absolute time deletes, after replying the value.
    assert_eq!(db.r("GETEX k EXAT 1"), bulk("v"));
    assert_eq!(db.r("EXISTS k"), int(0));
    assert_eq!(db.r("GETEX k EX 10"), nil());

    // Syntax errors come first; bad times only for an existing key.
    for line in [
        "GETEX k PERSIST EX 5",
        "GETEX k EX 5 PERSIST",
        "GETEX k KEEPTTL",
        "GETEX k NX",
        "GETEX k GET",
        "GETEX k EX",
        "GETEX k EX 5 PX 5",
    ] {
        assert_eq!(db.r(line), err(SYNTAX), "{line}");
    }
    assert_eq!(db.r("GETEX nokey EX 0"), nil());
    assert_eq!(db.r("GETEX nokey EX abc"), nil());
    db.r("SET k v");
    let invalid = err("ERR invalid expire time in 'getex' command");
    assert_eq!(db.r("GETEX k EX 0"), invalid);
    assert_eq!(db.r("GETEX k EXAT 0"), invalid);
    assert_eq!(db.r("GETEX k PX 9223372036854775807"), invalid);
    assert_eq!(db.r("GETEX k EX abc"), err(NOT_INT));
    assert_eq!(db.parsed("GETEX k EX 0").map(|c| c.kind()), Ok(Kind::Read));
    assert_eq!(db.r("TTL k"), int(-1));
}

#[test]
fn mget_mset_msetnx() {
    let mut db = Db::new();
    assert_eq!(db.r("MSET a 1 b 2"), ok());
    assert_eq!(
        db.r("MGET a b c"),
        Reply::Array(vec![bulk("1"), bulk("2"), nil()])
    );
    assert_eq!(
        db.r("MSET a"),
        err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        db.r("MSET a b c"),
        err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        db.r("MSETNX a"),
        err("ERR wrong number of arguments for 'msetnx' command")
    );
    assert_eq!(
        db.r("MSETNX a 1 b 2 c"),
        err("ERR wrong number of arguments for 'msetnx' command")
    );
    assert_eq!(
        db.r("MGET"),
        err("ERR wrong number of arguments for 'mget' command")
    );
    // MSETNX is all or nothing.
    assert_eq!(db.r("MSETNX c 3 a 9"), int(0));
    assert_eq!(db.r("EXISTS c"), int(0));
    assert_eq!(db.r("MSETNX c 3 d 4 c 5"), int(1));
    assert_eq!(db.r("MGET c d"), bulks(&["5", "4"]));
    // MSET clears TTLs; a repeated key's last value wins.
    db.r("EXPIRE a 100");
    assert_eq!(db.r("MSET a x a y"), ok());
    assert_eq!(db.r("GET a"), bulk("y"));
    assert_eq!(db.r("TTL a"), int(-1));
}

#[test]
fn incr_family() {
    let mut db = Db::new();
    assert_eq!(db.r("INCR n"), int(1));
    assert_eq!(db.r("INCRBY n 10"), int(11));
    assert_eq!(db.r("DECR n"), int(10));
    assert_eq!(db.r("DECRBY n 15"), int(-5));
    assert_eq!(db.r("GET n"), bulk("-5"));
    assert_eq!(db.r("DECRBY fresh -3"), int(3));
    for v in ["1.5", "abc", "", "01", "-0", "+1", " 1", "1 "] {
        db.ra(&[b"SET", b"x", v.as_bytes()]);
        assert_eq!(db.r("INCR x"), err(NOT_INT), "{v:?}");
    }
    assert_eq!(db.r("INCRBY n abc"), err(NOT_INT));
    assert_eq!(db.r("INCRBY n 1.0"), err(NOT_INT));
    assert_eq!(db.r("DECRBY n abc"), err(NOT_INT));
    assert_eq!(
        db.r("DECRBY n -9223372036854775808"),
        err("ERR decrement would overflow")
    );
    let overflow = err("ERR increment or decrement would overflow");
    db.r("SET big 9223372036854775807");
    assert_eq!(db.r("INCR big"), overflow);
    assert_eq!(db.r("INCRBY big 1"), overflow);
    assert_eq!(db.r("GET big"), bulk("9223372036854775807"));
    db.r("SET small -9223372036854775808");
    assert_eq!(db.r("DECR small"), overflow);
    assert_eq!(db.r("DECRBY small 1"), overflow);
    assert_eq!(db.r("INCRBY small -1"), overflow);
    assert_eq!(db.r("INCRBY small 9223372036854775807"), int(-1));
    // The TTL is kept.
    db.r("SET t 5 EX 100");
    assert_eq!(db.r("INCR t"), int(6));
    assert_eq!(db.r("TTL t"), int(100));
    assert_eq!(
        db.r("INCR"),
        err("ERR wrong number of arguments for 'incr' command")
    );
    assert_eq!(
        db.r("INCRBY k 1 2"),
        err("ERR wrong number of arguments for 'incrby' command")
    );
}

#[test]
fn incrbyfloat() {
    let mut db = Db::new();
    db.r("SET x 10.5");
    assert_eq!(db.r("INCRBYFLOAT x 0.1"), bulk("10.6"));
    assert_eq!(db.r("GET x"), bulk("10.6"));
    assert_eq!(db.r("INCRBYFLOAT f 3.0e3"), bulk("3000"));
    assert_eq!(db.r("INCRBYFLOAT g 1e20"), bulk("100000000000000000000"));
    assert_eq!(db.r("INCRBYFLOAT h 1e-20"), bulk("0"));
    assert_eq!(db.r("INCRBYFLOAT i -0.0"), bulk("0"));
    assert_eq!(db.r("INCRBYFLOAT j 0x10"), bulk("16"));
    assert_eq!(db.r("INCRBYFLOAT e +1"), bulk("1"));
    assert_eq!(db.r("INCRBYFLOAT e .5"), bulk("1.5"));
    assert_eq!(db.r("INCRBYFLOAT e 5."), bulk("6.5"));
    assert_eq!(db.r("INCRBYFLOAT e 1e-400"), bulk("6.5"));
    assert_eq!(db.r("INCRBYFLOAT e -7"), bulk("-0.5"));
    let not_float = err("ERR value is not a valid float");
    let nan_inf = err("ERR increment would produce NaN or Infinity");
    for v in ["abc", "1e", "nan", "1_0", ""] {
        assert_eq!(
            db.ra(&[b"INCRBYFLOAT", b"e", v.as_bytes()]),
            not_float,
            "{v:?}"
        );
    }
    assert_eq!(db.ra(&[b"INCRBYFLOAT", b"e", b" 1"]), not_float);
    assert_eq!(db.ra(&[b"INCRBYFLOAT", b"e", b"1 "]), not_float);
    assert_eq!(db.r("INCRBYFLOAT e inf"), nan_inf);
    assert_eq!(db.r("INCRBYFLOAT e -infinity"), nan_inf);
    db.r("SET e 1.7976931348623157e308");
    assert_eq!(db.r("INCRBYFLOAT e 1.7976931348623157e308"), nan_inf);
    db.r("SET s hello");
    assert_eq!(db.r("INCRBYFLOAT s 1"), not_float);
    // TTL kept; stored as its string; INCR then sees a float string.
    db.r("SET t 5 EX 100");
    assert_eq!(db.r("INCRBYFLOAT t 1.5"), bulk("6.5"));
    assert_eq!(db.r("TTL t"), int(100));
    assert_eq!(db.r("INCR t"), err(NOT_INT));
    // An integer result stays an integer string.
    assert_eq!(db.r("INCRBYFLOAT t 0.5"), bulk("7"));
    assert_eq!(db.r("INCR t"), int(8));
}

#[test]
fn append_strlen_getrange_setrange() {
    let mut db = Db::new();
    assert_eq!(db.r("APPEND k abc"), int(3));
    assert_eq!(db.r("APPEND k def"), int(6));
    assert_eq!(db.r("GET k"), bulk("abcdef"));
    assert_eq!(db.r("STRLEN k"), int(6));
    assert_eq!(db.r("STRLEN nokey"), int(0));
    db.r("EXPIRE k 100");
    assert_eq!(db.r("APPEND k g"), int(7));
    assert_eq!(db.r("TTL k"), int(100));

    db.r("SET s abcdef");
    for (range, want) in [
        ("0 -1", "abcdef"),
        ("-3 -1", "def"),
        ("-1 -3", ""),
        ("2 100", "cdef"),
        ("-100 1", "ab"),
        ("3 2", ""),
        ("0 -9223372036854775808", "a"),
        ("-9223372036854775808 9223372036854775807", "abcdef"),
        ("5 5", "f"),
        ("6 10", ""),
    ] {
        assert_eq!(db.r(&format!("GETRANGE s {range}")), bulk(want), "{range}");
    }
    assert_eq!(db.r("SUBSTR s 1 2"), bulk("bc"));
    assert_eq!(db.r("GETRANGE nokey 0 -1"), bulk(""));
    db.ra(&[b"SET", b"empty", b""]);
    assert_eq!(db.r("GETRANGE empty 0 -1"), bulk(""));
    assert_eq!(db.r("GETRANGE s a 1"), err(NOT_INT));
    assert_eq!(db.r("GETRANGE s 0 b"), err(NOT_INT));

    db.r("SET h hello");
    assert_eq!(db.ra(&[b"SETRANGE", b"h", b"1", b""]), int(5));
    assert_eq!(db.r("SETRANGE h 10 X"), int(11));
    assert_eq!(
        db.r("GET h"),
        Reply::bulk(Bytes::from_static(b"hello\0\0\0\0\0X"))
    );
    assert_eq!(db.r("SETRANGE h 0 J"), int(11));
    assert_eq!(db.r("GETRANGE h 0 4"), bulk("Jello"));
    assert_eq!(db.r("SETRANGE fresh 2 ab"), int(4));
    assert_eq!(
        db.r("GET fresh"),
        Reply::bulk(Bytes::from_static(b"\0\0ab"))
    );
    assert_eq!(db.ra(&[b"SETRANGE", b"none", b"536870912", b""]), int(0));
    assert_eq!(db.r("EXISTS none"), int(0));
    assert_eq!(db.r("SETRANGE h -1 x"), err("ERR offset is out of range"));
    assert_eq!(db.r("SETRANGE h abc x"), err(NOT_INT));
    let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    assert_eq!(db.r("SETRANGE h 536870911 xx"), too_long);
    assert_eq!(db.r("SETRANGE h 9223372036854775807 x"), too_long);
    db.r("SET t v EX 100");
    assert_eq!(db.r("SETRANGE t 1 w"), int(2));
    assert_eq!(db.r("TTL t"), int(100));
}

#[test]
fn append_past_the_limit_is_refused() {
    let mut db = Db::new();
    // A value just under the limit, planted by SETRANGE (zero-filled).
    assert_eq!(db.r("SETRANGE big 536870911 x"), int(536_870_912));
    assert_eq!(
        db.r("APPEND big y"),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(db.r("STRLEN big"), int(536_870_912));
}

// -------------------------------------------------------------------- keys

#[test]
fn del_exists_type() {
    let mut db = Db::new();
    db.r("MSET a 1 b 2");
    assert_eq!(db.r("EXISTS a a b nokey"), int(3));
    assert_eq!(db.r("TYPE a"), status("string"));
    assert_eq!(db.r("TYPE nokey"), status("none"));
    assert_eq!(db.r("DEL a a nokey"), int(1));
    assert_eq!(db.r("UNLINK b"), int(1));
    assert_eq!(db.r("EXISTS a b"), int(0));
    assert_eq!(
        db.r("DEL"),
        err("ERR wrong number of arguments for 'del' command")
    );
    assert_eq!(
        db.r("EXISTS"),
        err("ERR wrong number of arguments for 'exists' command")
    );
}

#[test]
fn rename_and_renamenx() {
    let mut db = Db::new();
    assert_eq!(db.r("RENAME nokey x"), err("ERR no such key"));
    assert_eq!(db.r("RENAMENX nokey x"), err("ERR no such key"));
    assert_eq!(db.r("RENAME nokey nokey"), err("ERR no such key"));
    db.r("SET k v EX 100");
    assert_eq!(db.r("RENAME k k"), ok());
    assert_eq!(db.r("RENAMENX k k"), int(0));
    assert_eq!(db.r("RENAME k k2"), ok());
    assert_eq!(db.r("EXISTS k"), int(0));
    assert_eq!(db.r("GET k2"), bulk("v"));
    assert_eq!(db.r("TTL k2"), int(100), "the TTL moves with the key");
    db.r("SET other o EX 50");
    assert_eq!(db.r("RENAMENX k2 other"), int(0));
    assert_eq!(db.r("RENAME k2 other"), ok());
    assert_eq!(db.r("GET other"), bulk("v"));
    assert_eq!(db.r("TTL other"), int(100));
    db.r("SET plain p");
    assert_eq!(db.r("RENAMENX other free"), int(1));
    assert_eq!(db.r("RENAME plain free"), ok());
    assert_eq!(
        db.r("TTL free"),
        int(-1),
        "a key without TTL replaces one with"
    );
    assert_eq!(db.r("DBSIZE"), int(1));
}

#[test]
fn dbsize_flush_keys() {
    let mut db = Db::new();
    assert_eq!(db.r("DBSIZE"), int(0));
    db.r("MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 h*llo 6");
    db.r("SET gone v PX 1");
    assert_eq!(db.r("DBSIZE"), int(7));
    db.now += 1;
    assert_eq!(db.r("DBSIZE"), int(6));
    assert_eq!(
        db.r("KEYS h?llo"),
        bulks(&["h*llo", "hallo", "hello", "hxllo"])
    );
    assert_eq!(
        db.r("KEYS h*llo"),
        bulks(&["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"])
    );
    assert_eq!(db.r("KEYS h[ae]llo"), bulks(&["hallo", "hello"]));
    assert_eq!(db.r("KEYS h[^e]llo"), bulks(&["h*llo", "hallo", "hxllo"]));
    assert_eq!(db.r("KEYS h[a-b]llo"), bulks(&["hallo"]));
    assert_eq!(db.r("KEYS h\\*llo"), bulks(&["h*llo"]));
    assert_eq!(db.r("KEYS nothing*"), bulks(&[]));
    // The empty key: `*` lists it, `**` does not (checked on redis 7.0.15).
    db.ra(&[b"SET", b"", b"e"]);
    let Reply::Array(all) = db.r("KEYS *") else {
        panic!()
    };
    assert_eq!(all.first(), Some(&bulk("")));
    let Reply::Array(stars) = db.r("KEYS **") else {
        panic!()
    };
    assert_eq!(stars.len() + 1, all.len());
    let (seen, _) = scan_all(&mut db, "MATCH *");
    assert_eq!(seen.len(), all.len());
    let (seen, _) = scan_all(&mut db, "MATCH **");
    assert_eq!(seen.len(), stars.len());
    db.ra(&[b"DEL", b""]);

    assert_eq!(
        db.r("KEYS"),
        err("ERR wrong number of arguments for 'keys' command")
    );
    assert_eq!(db.r("FLUSHDB foo"), err(SYNTAX));
    assert_eq!(db.r("FLUSHDB async sync"), err(SYNTAX));
    assert_eq!(db.r("FLUSHALL foo"), err(SYNTAX));
    assert_eq!(db.r("FLUSHDB ASYNC"), ok());
    assert_eq!(db.r("DBSIZE"), int(0));
    assert!(db.raw.is_empty(), "expired keys go too: {:?}", db.raw);
    db.r("SET a 1");
    assert_eq!(db.r("FLUSHALL sync"), ok());
    db.r("SET a 1");
    assert_eq!(db.r("FLUSHALL"), ok());
    assert_eq!(db.r("DBSIZE"), int(0));
    assert_eq!(
        db.r("DBSIZE x"),
        err("ERR wrong number of arguments for 'dbsize' command")
    );
}

#[test]
fn flush_leaves_other_internal_keys() {
    let mut db = Db::new();
    db.raw
        .insert(b"!redis|hash|h".to_vec(), Bytes::from_static(b"x"));
    db.raw.insert(b"bare".to_vec(), Bytes::from_static(b"b"));
    db.raw.insert(b"!redis|ttl|orphan".to_vec(), encode_ttl(1));
    db.r("SET k v");
    assert_eq!(db.r("FLUSHDB"), ok());
    assert_eq!(
        db.raw.keys().collect::<Vec<_>>(),
        vec![&b"!redis|hash|h".to_vec()]
    );
}

/// Run a whole SCAN iteration, returning every key seen (with repeats) and
/// the number of calls.
fn scan_all(db: &mut Db, extra: &str) -> (Vec<Bytes>, usize) {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        calls += 1;
        let reply = db.r(&format!("SCAN {cursor} {extra}"));
        let Reply::Array(parts) = reply else {
            panic!("{reply:?}")
        };
        let [Reply::Bulk(next), Reply::Array(keys)] = &parts[..] else {
            panic!("{parts:?}")
        };
        for k in keys {
            if let Reply::Bulk(k) = k {
                seen.push(k.clone());
            }
        }
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            return (seen, calls);
        }
        assert!(calls < 10_000);
    }
}

#[test]
fn scan_returns_every_key() {
    let mut db = Db::new();
    for i in 0..50 {
        db.r(&format!("SET key:{i} v"));
    }
    for count in [1, 3, 10, 100] {
        let (mut seen, calls) = scan_all(&mut db, &format!("COUNT {count}"));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 50, "count {count}");
        assert!(calls >= 50 / count, "count {count}: {calls} calls");
    }
    let (seen, _) = scan_all(&mut db, "MATCH key:1* COUNT 7");
    let mut seen: Vec<_> = seen
        .iter()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    seen.sort();
    assert_eq!(seen.len(), 11, "{seen:?}");
    let (seen, _) = scan_all(&mut db, "TYPE STRING");
    assert_eq!(seen.len(), 50);
    let (seen, _) = scan_all(&mut db, "TYPE hash");
    assert!(seen.is_empty());
    let (seen, _) = scan_all(&mut db, "MATCH * COUNT 1000 TYPE string");
    assert_eq!(seen.len(), 50);
}

#[test]
fn scan_survives_writes_between_calls() {
    let mut db = Db::new();
    for i in 0..30 {
        db.r(&format!("SET stay:{i} v"));
    }
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut round = 0;
    loop {
        let Reply::Array(parts) = db.r(&format!("SCAN {cursor} COUNT 4")) else {
            panic!()
        };
        let [Reply::Bulk(next), Reply::Array(keys)] = &parts[..] else {
            panic!()
        };
        seen.extend(keys.iter().cloned());
        // Churn: add and remove other keys during the iteration.
        db.r(&format!("SET churn:{round} v"));
        db.r(&format!("DEL churn:{}", round / 2));
        round += 1;
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            break;
        }
    }
    for i in 0..30 {
        assert!(
            seen.contains(&bulk(&format!("stay:{i}"))),
            "stay:{i} missed"
        );
    }
}

#[test]
fn scan_cursor_and_option_errors() {
    let mut db = Db::new();
    db.r("SET a 1");
    let invalid = err("ERR invalid cursor");
    assert_eq!(db.r("SCAN abc"), invalid);
    assert_eq!(db.r("SCAN 18446744073709551616"), invalid);
    assert_eq!(db.r("SCAN 1x"), invalid);
    assert_eq!(db.ra(&[b"SCAN", b" 1"]), invalid);
    assert_eq!(db.ra(&[b"SCAN", b"-"]), invalid);
    // strtoul: "" is 0, "-1" wraps to the largest cursor (past every hash).
    assert_eq!(
        db.ra(&[b"SCAN", b""]),
        Reply::Array(vec![bulk("0"), bulks(&["a"])])
    );
    assert_eq!(db.r("SCAN -1"), Reply::Array(vec![bulk("0"), bulks(&[])]));
    assert_eq!(
        db.r("SCAN +0"),
        Reply::Array(vec![bulk("0"), bulks(&["a"])])
    );
    assert_eq!(db.r("SCAN 0 COUNT 0"), err(SYNTAX));
    assert_eq!(db.r("SCAN 0 COUNT -1"), err(SYNTAX));
    assert_eq!(db.r("SCAN 0 COUNT abc"), err(NOT_INT));
    assert_eq!(db.r("SCAN 0 MATCH"), err(SYNTAX));
    assert_eq!(db.r("SCAN 0 FOO bar"), err(SYNTAX));
    assert_eq!(
        db.r("SCAN abc COUNT 0"),
        invalid,
        "the cursor is checked first"
    );
    assert_eq!(
        db.r("SCAN"),
        err("ERR wrong number of arguments for 'scan' command")
    );
}

#[test]
fn scan_never_splits_a_hash_and_cursor_is_nonzero_midway() {
    let mut db = Db::new();
    for i in 0..20 {
        db.r(&format!("SET k{i} v"));
    }
    let Reply::Array(parts) = db.r("SCAN 0 COUNT 5") else {
        panic!()
    };
    let [Reply::Bulk(next), Reply::Array(keys)] = &parts[..] else {
        panic!()
    };
    assert_eq!(keys.len(), 5);
    let next: u64 = String::from_utf8_lossy(next).parse().unwrap_or(0);
    assert!(next > 0);
    for k in keys {
        if let Reply::Bulk(k) = k {
            assert!(keys::scan_hash(k) < next);
        }
    }
}

#[test]
fn randomkey_is_deterministic() {
    let mut db = Db::new();
    assert_eq!(db.r("RANDOMKEY"), nil());
    db.r("MSET a 1 b 2 c 3");
    let first = db.r("RANDOMKEY");
    assert_eq!(db.r("RANDOMKEY"), first);
    assert!([bulk("a"), bulk("b"), bulk("c")].contains(&first));
    let mut picked = std::collections::HashSet::new();
    for t in 0..50 {
        db.now = NOW + t;
        if let Reply::Bulk(k) = db.r("RANDOMKEY") {
            picked.insert(k);
        }
    }
    assert!(picked.len() > 1, "the clock varies the choice: {picked:?}");
}

// ------------------------------------------------------------------ expiry

#[test]
fn expire_family() {
    let mut db = Db::new();
    assert_eq!(db.r("EXPIRE nokey 10"), int(0));
    db.r("SET k v");
    assert_eq!(db.r("EXPIRE k 10"), int(1));
    assert_eq!(db.r("PTTL k"), int(10_000));
    assert_eq!(db.r("PEXPIRE k 500"), int(1));
    assert_eq!(db.r("PTTL k"), int(500));
    assert_eq!(db.r(&format!("EXPIREAT k {}", NOW / 1000 + 20)), int(1));
    assert_eq!(db.r("TTL k"), int(20));
    assert_eq!(db.r(&format!("PEXPIREAT k {}", NOW + 30)), int(1));
    assert_eq!(db.r("PTTL k"), int(30));
    assert_eq!(db.r("PERSIST k"), int(1));
    assert_eq!(db.r("PERSIST k"), int(0));
    assert_eq!(db.r("PERSIST nokey"), int(0));
    assert_eq!(db.r("TTL k"), int(-1));
    // A time in the past deletes and replies 1.
    assert_eq!(db.r("EXPIRE k -1"), int(1));
    assert_eq!(db.r("EXISTS k"), int(0));
    db.r("SET k v");
    assert_eq!(db.r("EXPIRE k 0"), int(1));
    assert_eq!(db.r("EXISTS k"), int(0));
    db.r("SET k v");
    assert_eq!(
        db.r(&format!("PEXPIREAT k {NOW}")),
        int(1),
        "exactly now is expired"
    );
    assert_eq!(db.r("EXISTS k"), int(0));
    db.r("SET k v");
    assert_eq!(db.r("EXPIREAT k -5"), int(1));
    assert_eq!(db.r("EXISTS k"), int(0));
    db.r("SET k v");
    assert_eq!(db.r("PEXPIRE k -9223372036854775808"), int(1));
    assert_eq!(db.r("EXISTS k"), int(0));
}

#[test]
fn expire_conditions() {
    let mut db = Db::new();
    db.r("SET k v");
    assert_eq!(db.r("EXPIRE k 10 XX"), int(0));
    assert_eq!(db.r("EXPIRE k 10 GT"), int(0), "no TTL counts as infinite");
    assert_eq!(db.r("EXPIRE k 10 XX GT"), int(0));
    assert_eq!(db.r("TTL k"), int(-1));
    assert_eq!(db.r("EXPIRE k 10 LT"), int(1));
    assert_eq!(db.r("EXPIRE k 20 NX"), int(0));
    assert_eq!(db.r("EXPIRE k 20 nx NX"), int(0));
    assert_eq!(db.r("EXPIRE k 20 XX"), int(1));
    assert_eq!(db.r("EXPIRE k 20 GT"), int(0), "equal is not greater");
    assert_eq!(db.r("EXPIRE k 30 GT"), int(1));
    assert_eq!(db.r("EXPIRE k 30 LT"), int(0));
    assert_eq!(db.r("EXPIRE k 15 xx lt"), int(1));
    assert_eq!(db.r("TTL k"), int(15));
    db.r("SET n v");
    assert_eq!(db.r("EXPIRE n 10 NX"), int(1));
    assert_eq!(db.r("EXPIRE nokey 10 NX"), int(0));
    // LT to a past time deletes.
    assert_eq!(db.r("EXPIRE k -1 LT"), int(1));
    assert_eq!(db.r("EXISTS k"), int(0));
}

#[test]
fn expire_errors() {
    let mut db = Db::new();
    db.r("SET k v");
    let nx = err("ERR NX and XX, GT or LT options at the same time are not compatible");
    let gtlt = err("ERR GT and LT options at the same time are not compatible");
    assert_eq!(db.r("EXPIRE k 10 NX XX"), nx);
    assert_eq!(db.r("EXPIRE k 10 NX GT"), nx);
    assert_eq!(db.r("EXPIRE k 10 LT NX"), nx);
    assert_eq!(db.r("EXPIRE k 10 GT LT"), gtlt);
    assert_eq!(db.r("EXPIRE k 10 foo"), err("ERR Unsupported option foo"));
    assert_eq!(
        db.r("PEXPIRE k 10 NX bar"),
        err("ERR Unsupported option bar")
    );
    assert_eq!(
        db.r("EXPIRE k abc foo"),
        err("ERR Unsupported option foo"),
        "options first"
    );
    assert_eq!(db.r("EXPIRE k abc"), err(NOT_INT));
    assert_eq!(db.r("EXPIREAT k abc"), err(NOT_INT));
    assert_eq!(
        db.r("EXPIRE k 9223372036854776"),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        db.r("EXPIRE k 9223372036854775"),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        db.r("EXPIRE k -9223372036854776"),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        db.r("PEXPIRE k 9223372036854775807"),
        err("ERR invalid expire time in 'pexpire' command")
    );
    assert_eq!(
        db.r("EXPIREAT k 9223372036854776"),
        err("ERR invalid expire time in 'expireat' command")
    );
    assert_eq!(db.r("PEXPIREAT k 9223372036854775807"), int(1));
    assert_eq!(
        db.r("EXPIRE k"),
        err("ERR wrong number of arguments for 'expire' command")
    );
    assert_eq!(
        db.r("TTL"),
        err("ERR wrong number of arguments for 'ttl' command")
    );
    assert_eq!(
        db.r("PERSIST a b"),
        err("ERR wrong number of arguments for 'persist' command")
    );
}

#[test]
fn ttl_family() {
    let mut db = Db::new();
    assert_eq!(db.r("TTL k"), int(-2));
    assert_eq!(db.r("PTTL k"), int(-2));
    assert_eq!(db.r("EXPIRETIME k"), int(-2));
    assert_eq!(db.r("PEXPIRETIME k"), int(-2));
    db.r("SET k v");
    assert_eq!(db.r("TTL k"), int(-1));
    assert_eq!(db.r("PTTL k"), int(-1));
    assert_eq!(db.r("EXPIRETIME k"), int(-1));
    assert_eq!(db.r("PEXPIRETIME k"), int(-1));
    db.r("PEXPIRE k 1499");
    assert_eq!(db.r("TTL k"), int(1), "rounded to nearest");
    db.r("PEXPIRE k 1500");
    assert_eq!(db.r("TTL k"), int(2));
    db.r("PEXPIRE k 1");
    assert_eq!(db.r("TTL k"), int(0));
    assert_eq!(db.r("PTTL k"), int(1));
    db.r(&format!("PEXPIREAT k {}", NOW + 2_499));
    assert_eq!(db.r("PEXPIRETIME k"), int((NOW + 2_499) as i64));
    assert_eq!(
        db.r("EXPIRETIME k"),
        int(((NOW + 2_499 + 500) / 1000) as i64)
    );
    // One millisecond later the key is exactly at its expiry: absent.
    db.now = NOW + 2_499;
    assert_eq!(db.r("TTL k"), int(-2));
    assert_eq!(db.r("GET k"), nil());
    assert_eq!(db.r("EXISTS k"), int(0));
    assert_eq!(db.r("DBSIZE"), int(0));
    assert_eq!(db.r("KEYS *"), bulks(&[]));
}

#[test]
fn expired_keys_are_absent_to_every_command() {
    let mut db = Db::new();
    db.r("SET k old PX 10");
    db.now += 10;
    assert_eq!(db.r("GET k"), nil());
    assert_eq!(db.r("SET k new NX"), ok());
    assert_eq!(db.r("TTL k"), int(-1));
    db.r("SET k old PX 10");
    db.now += 10;
    assert_eq!(db.r("SET k new XX"), nil());
    assert_eq!(db.r("INCR k"), int(1), "an expired value is not INCR'd");
    db.r("SET k old PX 10");
    db.now += 10;
    assert_eq!(db.r("APPEND k x"), int(1));
    assert_eq!(db.r("TTL k"), int(-1));
    db.r("SET k old PX 10");
    db.now += 10;
    assert_eq!(db.r("RENAME k x"), err("ERR no such key"));
    assert_eq!(db.r("EXPIRE k 100"), int(0));
    assert_eq!(db.r("PERSIST k"), int(0));
    assert_eq!(db.r("MSETNX k 1"), int(1));
    db.r("SET k old PX 10");
    db.now += 10;
    assert_eq!(db.r("DEL k"), int(0));
    assert_eq!(db.r("GETDEL k"), nil());
    assert_eq!(db.r("SETRANGE k 1 x"), int(2));
}

// ------------------------------------------------------------ legacy forms

#[test]
fn legacy_forms_through_commands() {
    let mut db = Db::new();
    db.raw.insert(b"bare".to_vec(), Bytes::from_static(b"b"));
    db.raw
        .insert(b"!redis|ttl|bare".to_vec(), encode_ttl(NOW + 5_000));
    db.raw
        .insert(b"!redis|str|legacy".to_vec(), Bytes::from_static(b"12"));
    assert_eq!(db.r("GET bare"), bulk("b"));
    assert_eq!(db.r("PTTL bare"), int(5_000));
    assert_eq!(db.r("FENCEKV.ENCODING bare"), status("bare"));
    assert_eq!(db.r("FENCEKV.ENCODING legacy"), status("legacy-payload"));
    assert_eq!(db.r("DBSIZE"), int(2));
    // In-place updates rewrite in the current format and keep the TTL.
    assert_eq!(db.r("APPEND bare c"), int(2));
    assert_eq!(db.r("FENCEKV.ENCODING bare"), status("current"));
    assert_eq!(db.r("PTTL bare"), int(5_000));
    assert_eq!(db.r("INCR legacy"), int(13));
    assert_eq!(db.r("FENCEKV.ENCODING legacy"), status("current"));
    // DEL removes every form.
    assert_eq!(db.r("DEL bare legacy"), int(2));
    assert!(db.raw.is_empty(), "{:?}", db.raw);
    // An expired prefixed key shadows a bare one, for every command.
    db.raw.insert(b"s".to_vec(), Bytes::from_static(b"bare"));
    db.raw
        .insert(b"!redis|str|s".to_vec(), encode_str(b"cur", Some(NOW)));
    assert_eq!(db.r("GET s"), nil());
    assert_eq!(db.r("EXISTS s"), int(0));
    assert_eq!(db.r("FENCEKV.ENCODING s"), status("expired:current"));
    assert_eq!(db.r("KEYS *"), bulks(&[]));
    // RENAME onto a bare key replaces it.
    db.raw.insert(b"dst".to_vec(), Bytes::from_static(b"old"));
    db.r("SET src new");
    assert_eq!(db.r("RENAME src dst"), ok());
    assert_eq!(db.r("GET dst"), bulk("new"));
    assert!(!db.raw.contains_key(&b"dst"[..]));
}

// ------------------------------------------------------------------- debug

#[test]
fn debug_commands() {
    let mut db = Db::new();
    db.debug = false;
    assert_eq!(
        db.r("FENCEKV.RAWSET k v"),
        err("ERR unknown command 'FENCEKV.RAWSET', with args beginning with: 'k' 'v' ")
    );
    assert_eq!(
        db.r("fencekv.encoding k"),
        err("ERR unknown command 'fencekv.encoding', with args beginning with: 'k' ")
    );
    db.debug = true;
    assert_eq!(db.r("FENCEKV.ENCODING k"), status("none"));
    assert_eq!(db.r("FENCEKV.RAWSET k bare"), ok());
    assert_eq!(db.r("GET k"), bulk("bare"));
    assert_eq!(db.r("FENCEKV.RAWGET k"), bulk("bare"));
    assert_eq!(db.r("FENCEKV.RAWGET nokey"), nil());
    assert_eq!(db.r("FENCEKV.ENCODING k"), status("bare"));
    db.r("SET k cur");
    assert_eq!(db.r("FENCEKV.ENCODING k"), status("current"));
    assert_eq!(
        db.r("FENCEKV.RAWGET !redis|str|k"),
        Reply::Bulk(encode_str(b"cur", None))
    );
    assert_eq!(
        db.r("FENCEKV.RAWDEL !redis|str|k nokey !redis|str|k"),
        int(1)
    );
    assert_eq!(db.r("GET k"), bulk("bare"));
    db.r("FENCEKV.RAWSET !redis|ttl|k \0\0\0\0\0\0\0\x01");
    assert_eq!(db.r("FENCEKV.ENCODING k"), status("expired:bare"));
    assert_eq!(
        db.r("FENCEKV.RAWSET k"),
        err("ERR wrong number of arguments for 'fencekv.rawset' command")
    );
    assert_eq!(
        db.r("FENCEKV.RAWDEL"),
        err("ERR wrong number of arguments for 'fencekv.rawdel' command")
    );
    assert_eq!(
        db.parsed("FENCEKV.RAWSET a b").map(|c| c.kind()),
        Ok(Kind::Write)
    );
    assert_eq!(
        db.parsed("FENCEKV.RAWGET a").map(|c| c.kind()),
        Ok(Kind::Read)
    );
}

// ------------------------------------------------------------------ parsing

#[test]
fn unknown_commands_and_arity() {
    let mut db = Db::new();
    assert_eq!(
        db.r("foo bar baz"),
        err("ERR unknown command 'foo', with args beginning with: 'bar' 'baz' ")
    );
    assert_eq!(
        db.r("PING"),
        err("ERR unknown command 'PING', with args beginning with: ")
    );
    assert_eq!(
        db.run_args(vec![]),
        err("ERR unknown command '', with args beginning with: ")
    );
    assert_eq!(
        db.r("GET"),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        db.r("GeT a b"),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        db.r("GETDEL k k"),
        err("ERR wrong number of arguments for 'getdel' command")
    );
    assert_eq!(
        db.r("SET k"),
        err("ERR wrong number of arguments for 'set' command")
    );
    assert_eq!(
        db.r("SUBSTR k 1"),
        err("ERR wrong number of arguments for 'substr' command")
    );
    assert_eq!(
        db.r("UNLINK"),
        err("ERR wrong number of arguments for 'unlink' command")
    );
}

/// Every command parse knows has a table entry, and too few arguments give
/// the arity error rather than a panic or a parse.
#[test]
fn every_command_is_in_the_table_and_checks_arity() {
    let names = [
        "get",
        "set",
        "setnx",
        "setex",
        "psetex",
        "getset",
        "getdel",
        "getex",
        "mget",
        "mset",
        "msetnx",
        "incr",
        "decr",
        "incrby",
        "decrby",
        "incrbyfloat",
        "append",
        "strlen",
        "getrange",
        "substr",
        "setrange",
        "lcs",
        "setbit",
        "getbit",
        "bitcount",
        "bitpos",
        "bitop",
        "bitfield",
        "bitfield_ro",
        "del",
        "unlink",
        "exists",
        "touch",
        "type",
        "rename",
        "renamenx",
        "copy",
        "object",
        "expire",
        "pexpire",
        "expireat",
        "pexpireat",
        "ttl",
        "pttl",
        "expiretime",
        "pexpiretime",
        "persist",
        "dbsize",
        "flushdb",
        "flushall",
        "keys",
        "scan",
        "randomkey",
        "fencekv.rawset",
        "fencekv.rawget",
        "fencekv.rawdel",
        "fencekv.encoding",
    ];
    let mut db = Db::new();
    for name in names {
        let spec = table::lookup_with(name.as_bytes(), true);
        let Some(spec) = spec else {
            panic!("{name} is not in the table")
        };
        let need = spec.arity.unsigned_abs() as usize;
        // One argument short (or, for fixed arities, one too many).
        let mut args: Vec<&[u8]> = vec![name.as_bytes()];
        args.extend(std::iter::repeat_n(&b"1"[..], need.saturating_sub(2)));
        if need >= 2 {
            assert_eq!(
                db.ra(&args),
                err(&format!(
                    "ERR wrong number of arguments for '{name}' command"
                ))
            );
        }
        if spec.arity > 0 {
            args.extend([&b"1"[..], &b"1"[..]]);
            assert_eq!(
                db.ra(&args),
                err(&format!(
                    "ERR wrong number of arguments for '{name}' command"
                ))
            );
        }
    }
}

#[test]
fn commands_round_trip_through_serde_and_hash() {
    let db = Db::new();
    let cmds: Vec<Command> = [
        "SET k v NX GET PX 100",
        "INCRBYFLOAT k 1.5",
        "GETEX k EX 0",
        "SCAN 5 MATCH a* COUNT 3 TYPE string",
        "EXPIRE k 10 XX GT",
        "BITCOUNT k 0 x",
        "BITPOS k 0 1 -1 BIT",
        "BITFIELD k OVERFLOW SAT INCRBY i5 #3 -7 GET u63 9",
        "BITOP XOR d a b",
        "LCS a b IDX MINMATCHLEN 2 WITHMATCHLEN",
        "COPY a b DB 0 REPLACE",
        "OBJECT ENCODING k",
        "TOUCH a b",
    ]
    .iter()
    .filter_map(|l| db.parsed(l).ok())
    .collect();
    assert_eq!(cmds.len(), 13);
    for c in &cmds {
        let bytes =
            bincode::serde::encode_to_vec(c, bincode::config::standard()).unwrap_or_default();
        let back: Option<(Command, usize)> =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).ok();
        assert_eq!(back.map(|b| b.0).as_ref(), Some(c));
    }
    let set: std::collections::HashSet<_> = cmds.iter().cloned().collect();
    assert_eq!(set.len(), 13);
}

// ------------------------------------------------------ TOUCH COPY OBJECT LCS

#[test]
fn touch_counts_existing_keys() {
    let mut db = Db::new();
    db.r("MSET a 1 b 2");
    assert_eq!(db.r("TOUCH a a b missing"), int(3));
    assert_eq!(db.parsed("TOUCH a").map(|c| c.kind()), Ok(Kind::Read));
}

#[test]
fn copy_value_and_ttl() {
    let mut db = Db::new();
    db.r("SET a hello PXAT 4102444800000");
    assert_eq!(db.r("COPY a b"), int(1));
    assert_eq!(db.r("GET b"), bulk("hello"));
    assert_eq!(db.r("PEXPIRETIME b"), int(4_102_444_800_000));
    assert_eq!(db.r("COPY a b"), int(0), "the destination exists");
    db.r("SET c other");
    assert_eq!(db.r("COPY c b REPLACE"), int(1));
    assert_eq!(db.r("GET b"), bulk("other"));
    assert_eq!(db.r("PTTL b"), int(-1), "the source had no TTL");
    assert_eq!(db.r("COPY missing b REPLACE"), int(0));
    assert_eq!(db.r("COPY a b db 0 replace"), int(1));
    // A bare legacy destination is replaced, not shadowed.
    db.r("FENCEKV.RAWSET legacy old");
    assert_eq!(db.r("COPY a legacy"), int(0));
    assert_eq!(db.r("COPY a legacy REPLACE"), int(1));
    assert_eq!(db.r("FENCEKV.RAWGET legacy"), nil());
    // Errors, all before the keys are looked at.
    assert_eq!(
        db.r("COPY a a"),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(
        db.r("COPY missing missing DB 0"),
        err("ERR source and destination objects are the same")
    );
    for bad in ["COPY a b DB 1", "COPY a b DB -1", "COPY a b DB 1 BOGUS"] {
        assert_eq!(db.r(bad), err("ERR DB index is out of range"), "{bad}");
    }
    assert_eq!(db.r("COPY a b DB x"), err(NOT_INT));
    assert_eq!(
        db.r("COPY a b DB 2147483648"),
        err("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(db.r("COPY a b DB"), err(SYNTAX));
    assert_eq!(db.r("COPY a b BOGUS DB 1"), err(SYNTAX));
}

#[test]
fn object_subcommands() {
    let mut db = Db::new();
    db.r("SET i 12345");
    db.r("SET e hello");
    db.ra(&[b"SET", b"r", &[b'x'; 45]]);
    db.ra(&[b"SET", b"r44", &[b'x'; 44]]);
    db.r("SET big 123456789012345678901");
    db.r("SET z 007");
    let enc = |db: &mut Db, k: &str| db.r(&format!("OBJECT ENCODING {k}"));
    assert_eq!(enc(&mut db, "i"), bulk("int"));
    assert_eq!(enc(&mut db, "e"), bulk("embstr"));
    assert_eq!(enc(&mut db, "r44"), bulk("embstr"));
    assert_eq!(enc(&mut db, "r"), bulk("raw"));
    assert_eq!(enc(&mut db, "big"), bulk("embstr"));
    assert_eq!(enc(&mut db, "z"), bulk("embstr"));
    assert_eq!(enc(&mut db, "missing"), nil());
    assert_eq!(db.r("object refcount i"), int(1));
    assert_eq!(db.r("OBJECT IDLETIME i"), int(0));
    assert_eq!(db.r("OBJECT FREQ missing"), nil());
    assert!(db
        .r("OBJECT FREQ i")
        .error_text()
        .is_some_and(|e| e.starts_with("ERR An LFU maxmemory policy is not selected")));
    let Reply::Array(help) = db.r("OBJECT HELP") else {
        panic!("OBJECT HELP is an array")
    };
    assert_eq!(help.len(), 15);
    assert_eq!(
        db.r("OBJECT HELP x"),
        err("ERR wrong number of arguments for 'object|help' command")
    );
    assert_eq!(
        db.r("OBJECT ENCODING"),
        err("ERR wrong number of arguments for 'object|encoding' command")
    );
    assert_eq!(
        db.r("OBJECT IDLETIME a b"),
        err("ERR wrong number of arguments for 'object|idletime' command")
    );
    assert_eq!(
        db.r("OBJECT foo a"),
        err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
    );
    assert_eq!(
        db.r("OBJECT"),
        err("ERR wrong number of arguments for 'object' command")
    );
}

#[test]
fn lcs_replies() {
    let mut db = Db::new();
    db.r("MSET a ohmytext b mynewtext");
    assert_eq!(db.r("LCS a b"), bulk("mytext"));
    assert_eq!(db.r("LCS a b LEN"), int(6));
    let range = |s: i64, e: i64| Reply::Array(vec![int(s), int(e)]);
    let m = |a: (i64, i64), b: (i64, i64), len: Option<i64>| {
        let mut v = vec![range(a.0, a.1), range(b.0, b.1)];
        v.extend(len.map(int));
        Reply::Array(v)
    };
    let idx = |matches: Vec<Reply>, len: i64| {
        Reply::Map(vec![
            (bulk("matches"), Reply::Array(matches)),
            (bulk("len"), int(len)),
        ])
    };
    assert_eq!(
        db.r("LCS a b IDX"),
        idx(vec![m((4, 7), (5, 8), None), m((2, 3), (0, 1), None)], 6)
    );
    assert_eq!(
        db.r("LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN"),
        idx(vec![m((4, 7), (5, 8), Some(4))], 6)
    );
    assert_eq!(
        db.r("LCS a b idx withmatchlen minmatchlen -5"),
        idx(
            vec![m((4, 7), (5, 8), Some(4)), m((2, 3), (0, 1), Some(2))],
            6
        )
    );
    assert_eq!(db.r("LCS a b LEN WITHMATCHLEN MINMATCHLEN 3"), int(6));
    assert_eq!(db.r("LCS missing a"), bulk(""));
    assert_eq!(db.r("LCS missing other IDX"), idx(vec![], 0));
    assert_eq!(
        db.r("LCS a b LEN IDX"),
        err("ERR If you want both the length and indexes, please just use IDX.")
    );
    assert_eq!(db.r("LCS a b MINMATCHLEN"), err(SYNTAX));
    assert_eq!(db.r("LCS a b MINMATCHLEN x"), err(NOT_INT));
    assert_eq!(db.r("LCS a b FOO"), err(SYNTAX));
    // The table of 12001² u32s is over proto-max-bulk-len.
    db.ra(&[b"SET", b"x", &[b'a'; 12_000]]);
    db.ra(&[b"SET", b"y", &[b'b'; 12_000]]);
    assert_eq!(
        db.r("LCS x y LEN"),
        err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    );
}

/// bincode numbers an enum's variants by position: the variants that
/// existed before the bit commands keep theirs, so a durable log written by
/// an older build still decodes to the same commands.
#[test]
fn older_op_variants_keep_their_log_encoding() {
    let index = |op: super::Op| {
        let bytes =
            bincode::serde::encode_to_vec(&op, bincode::config::standard()).unwrap_or_default();
        bytes.first().copied()
    };
    assert_eq!(index(super::Op::Get { key: Bytes::new() }), Some(0));
    assert_eq!(index(super::Op::Del { keys: vec![] }), Some(14));
    assert_eq!(index(super::Op::Persist { key: Bytes::new() }), Some(25));
    assert_eq!(index(super::Op::ScriptFlush), Some(33));
    assert_eq!(index(super::Op::ObjectHelp), Some(43));
}

#[test]
fn mget_answers_nil_for_a_collection() {
    let mut db = Db::new();
    db.r("SET a 1");
    db.r("SADD s m");
    assert_eq!(
        db.r("MGET a s none"),
        Reply::Array(vec![Reply::bulk("1"), Reply::Nil, Reply::Nil])
    );
    assert_eq!(db.r("GET s"), err(crate::resp::reply::errors::WRONGTYPE));
}

#[test]
fn memory_usage_counts_every_internal_key_of_the_key() {
    let mut db = Db::new();
    assert_eq!(db.r("MEMORY USAGE k"), Reply::Nil);
    assert_eq!(
        db.r("MEMORY USAGE k SAMPLES x"),
        err(crate::resp::reply::errors::NOT_INTEGER)
    );
    assert_eq!(
        db.r("MEMORY USAGE k SAMPLES -1"),
        err(crate::resp::reply::errors::SYNTAX)
    );
    assert_eq!(
        db.r("MEMORY USAGE k SAMPLES"),
        err(crate::resp::reply::errors::SYNTAX)
    );
    assert_eq!(
        db.r("MEMORY STATS"),
        err("ERR unknown subcommand 'STATS'. Try MEMORY HELP.")
    );
    db.r("SET k v");
    let Reply::Integer(one) = db.r("MEMORY USAGE k SAMPLES 0") else {
        panic!("an integer")
    };
    db.r("SET k vv");
    assert_eq!(db.r("MEMORY USAGE k"), Reply::Integer(one + 1));
}

#[test]
fn command_keys() {
    let db = Db::new();
    let keys = |l: &str| {
        let args: Vec<Bytes> = l
            .split_whitespace()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        db.parsed(l)
            .map(|c| c.def.keys(&args).into_iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(
        keys("MSET a 1 b 2"),
        vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
    );
    assert_eq!(
        keys("RENAME a b"),
        vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
    );
    assert!(keys("DBSIZE").is_empty());
    assert_eq!(keys("SET k v"), vec![Bytes::from_static(b"k")]);
    assert_eq!(Command::get("k").kind(), Kind::Read);
    assert_eq!(
        Command::del(vec![Bytes::from_static(b"k")]).kind(),
        Kind::Write
    );
}

#[test]
fn run_write_also_runs_reads() {
    let mut raw = Raw::new();
    let mut ks = KeyspaceWrite::new(&mut raw, NOW, ChainModes::default());
    assert_eq!(run_write(&Command::set("k", "v"), &mut ks), ok());
    assert_eq!(run_write(&Command::get("k"), &mut ks), bulk("v"));
    let ks = KeyspaceRead::new(&raw as &dyn RawGet, NOW, ChainModes::default());
    assert_eq!(
        run_read(&Command::set("k", "v"), &ks),
        err("ERR not a read command")
    );
}

// ------------------------------------------------- the model property

/// One operation over keys 0..3 with small times, so expiries happen.
#[derive(Clone, Debug)]
enum Op {
    Set(u8, u8, Option<u8>),
    Del(u8),
    Append(u8, u8),
    Incr(u8),
    PExpire(u8, i8),
    Get(u8),
    PTtl(u8),
    Tick(u8),
}

const VALUES: [&str; 6] = ["1", "a", "-3", "9223372036854775807", "01", ""];

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Op {
        let k = u8::arbitrary(g) % 3;
        let v = u8::arbitrary(g) % VALUES.len() as u8;
        let small = |g: &mut Gen| u8::arbitrary(g) % 20;
        match u8::arbitrary(g) % 8 {
            0 => Op::Set(k, v, bool::arbitrary(g).then(|| small(g) + 1)),
            1 => Op::Del(k),
            2 => Op::Append(k, v),
            3 => Op::Incr(k),
            4 => Op::PExpire(k, i8::arbitrary(g) % 20),
            5 => Op::Get(k),
            6 => Op::PTtl(k),
            _ => Op::Tick(small(g)),
        }
    }
}

/// An independent model: key → (value, expire-at), expiry checked on access.
#[derive(Default)]
struct Model {
    map: HashMap<u8, (Vec<u8>, Option<u64>)>,
}

impl Model {
    fn live(&mut self, k: u8, now: u64) -> Option<&mut (Vec<u8>, Option<u64>)> {
        if matches!(self.map.get(&k), Some((_, Some(at))) if *at <= now) {
            self.map.remove(&k);
        }
        self.map.get_mut(&k)
    }

    fn apply(&mut self, op: &Op, now: u64) -> Option<Reply> {
        Some(match *op {
            Op::Set(k, v, px) => {
                self.map.insert(
                    k,
                    (
                        VALUES[v as usize].as_bytes().to_vec(),
                        px.map(|p| now + u64::from(p)),
                    ),
                );
                Reply::ok()
            }
            Op::Del(k) => Reply::Integer(i64::from(
                self.live(k, now).is_some() && self.map.remove(&k).is_some(),
            )),
            Op::Append(k, v) => {
                let add = VALUES[v as usize].as_bytes();
                match self.live(k, now) {
                    Some(e) => {
                        e.0.extend_from_slice(add);
                        Reply::Integer(e.0.len() as i64)
                    }
                    None => {
                        self.map.insert(k, (add.to_vec(), None));
                        Reply::Integer(add.len() as i64)
                    }
                }
            }
            Op::Incr(k) => match self.live(k, now) {
                None => {
                    self.map.insert(k, (b"1".to_vec(), None));
                    Reply::Integer(1)
                }
                Some(e) => {
                    // Canonical decimal only: it must print back to itself.
                    let n = std::str::from_utf8(&e.0)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok())
                        .filter(|n| n.to_string().as_bytes() == e.0.as_slice());
                    match n {
                        None => Reply::err(NOT_INT),
                        Some(n) => match n.checked_add(1) {
                            None => Reply::err("ERR increment or decrement would overflow"),
                            Some(m) => {
                                e.0 = m.to_string().into_bytes();
                                Reply::Integer(m)
                            }
                        },
                    }
                }
            },
            Op::PExpire(k, ms) => {
                let at = now as i64 + i64::from(ms);
                match self.live(k, now) {
                    None => Reply::Integer(0),
                    Some(e) => {
                        if at <= now as i64 {
                            self.map.remove(&k);
                        } else {
                            e.1 = Some(at as u64);
                        }
                        Reply::Integer(1)
                    }
                }
            }
            Op::Get(k) => match self.live(k, now) {
                Some(e) => Reply::bulk(e.0.clone()),
                None => Reply::Nil,
            },
            Op::PTtl(k) => match self.live(k, now) {
                None => Reply::Integer(-2),
                Some((_, None)) => Reply::Integer(-1),
                Some((_, Some(at))) => Reply::Integer((*at - now) as i64),
            },
            Op::Tick(_) => return None,
        })
    }
}

fn op_args(op: &Op) -> Vec<Bytes> {
    let key = |k: u8| Bytes::from(format!("key{k}"));
    let val = |v: u8| Bytes::from_static(VALUES[v as usize].as_bytes());
    let word = |s: &'static str| Bytes::from_static(s.as_bytes());
    match *op {
        Op::Set(k, v, None) => vec![word("SET"), key(k), val(v)],
        Op::Set(k, v, Some(px)) => vec![
            word("SET"),
            key(k),
            val(v),
            word("PX"),
            Bytes::from(px.to_string()),
        ],
        Op::Del(k) => vec![word("DEL"), key(k)],
        Op::Append(k, v) => vec![word("APPEND"), key(k), val(v)],
        Op::Incr(k) => vec![word("INCR"), key(k)],
        Op::PExpire(k, ms) => vec![word("PEXPIRE"), key(k), Bytes::from(ms.to_string())],
        Op::Get(k) => vec![word("GET"), key(k)],
        Op::PTtl(k) => vec![word("PTTL"), key(k)],
        Op::Tick(_) => vec![],
    }
}

quickcheck! {
    fn commands_agree_with_a_simple_model(ops: Vec<Op>) -> bool {
        let mut db = Db::new();
        let mut model = Model::default();
        for op in &ops {
            if let Op::Tick(t) = op {
                db.now += u64::from(*t);
                continue;
            }
            let want = model.apply(op, db.now);
            let got = db.run_args(op_args(op));
            if want.as_ref() != Some(&got) {
                eprintln!("{op:?} at {}: model {want:?}, fencekv {got:?}", db.now);
                return false;
            }
        }
        true
    }
}
