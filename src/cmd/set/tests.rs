//! The set commands end to end (parse → execute over a plain `BTreeMap`
//! raw store), their replies and errors as redis-server 7.0.15 answers
//! them (members in byte order here), and a quickcheck property: random
//! streams of set writes leave exactly a `BTreeSet` model's members.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use quickcheck::{quickcheck, Arbitrary, Gen};

use crate::cmd::test_support::{
    bulks, err, int, r, run, run_seeded, wrong_arity, Raw, NOW, WRONGTYPE,
};
use crate::collections::encoding::{element_prefix, SET_PREFIX};
use crate::collections::{read_meta, MetaRead};
use crate::resp::Reply;

fn set_of(members: &[&str]) -> Reply {
    Reply::Set(members.iter().map(|m| Reply::bulk(m.to_string())).collect())
}

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
        assert_eq!(r(&mut db, line), wrong_arity(name), "{line}");
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

fn members_of(reply: &Reply) -> Vec<Bytes> {
    match reply {
        Reply::Set(v) | Reply::Array(v) => v
            .iter()
            .map(|r| match r {
                Reply::Bulk(b) => b.clone(),
                other => panic!("not a member: {other:?}"),
            })
            .collect(),
        other => panic!("not a list of members: {other:?}"),
    }
}

#[test]
fn smismember_and_smove() {
    let mut db = Raw::new();
    r(&mut db, "SADD a x y");
    r(&mut db, "SET str v");
    let ints = |v: &[i64]| Reply::Array(v.iter().map(|n| int(*n)).collect());
    assert_eq!(r(&mut db, "SMISMEMBER a x z y"), ints(&[1, 0, 1]));
    assert_eq!(r(&mut db, "SMISMEMBER nokey x"), ints(&[0]));
    assert_eq!(r(&mut db, "SMISMEMBER str x"), err(WRONGTYPE));
    assert_eq!(
        r(&mut db, "SMOVE nokey str x"),
        int(0),
        "a missing source first"
    );
    assert_eq!(r(&mut db, "SMOVE a str x"), err(WRONGTYPE));
    assert_eq!(r(&mut db, "SMOVE str a x"), err(WRONGTYPE));
    assert_eq!(r(&mut db, "SMOVE a a x"), int(1));
    assert_eq!(r(&mut db, "SMOVE a a z"), int(0));
    assert_eq!(r(&mut db, "SMOVE a b z"), int(0));
    assert_eq!(r(&mut db, "EXISTS b"), int(0));
    assert_eq!(r(&mut db, "SMOVE a b x"), int(1));
    assert_eq!(r(&mut db, "SMEMBERS b"), set_of(&["x"]));
    r(&mut db, "SADD b y");
    assert_eq!(
        r(&mut db, "SMOVE a b y"),
        int(1),
        "already in the destination"
    );
    assert_eq!(r(&mut db, "EXISTS a"), int(0), "the emptied source goes");
    assert_eq!(r(&mut db, "SCARD b"), int(2));
}

#[test]
fn spop_is_decided_by_the_seed() {
    let mut db = Raw::new();
    r(&mut db, "SADD s a b c d e f g h");
    let line = |l: &str| {
        l.split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    let mut copy = db.clone();
    let one = run_seeded(&mut db, &line("SPOP s 3"), 99);
    let two = run_seeded(&mut copy, &line("SPOP s 3"), 99);
    assert_eq!(one, two, "same seed, same members");
    assert_eq!(db, copy, "same seed, same writes");
    let popped = members_of(&one);
    assert_eq!(popped.len(), 3);
    assert!(matches!(one, Reply::Set(_)));
    assert_eq!(r(&mut db, "SCARD s"), int(5));
    for m in &popped {
        let args = vec![b"SISMEMBER".to_vec(), b"s".to_vec(), m.to_vec()];
        assert_eq!(run(&mut db, &args), int(0));
    }
    assert!(matches!(r(&mut db, "SPOP s"), Reply::Bulk(_)));
    assert_eq!(r(&mut db, "SPOP s 0"), set_of(&[]));
    assert_eq!(members_of(&r(&mut db, "SPOP s 100")).len(), 4);
    assert!(db.is_empty(), "{db:?}");
    assert_eq!(r(&mut db, "SPOP s"), Reply::Nil);
    assert_eq!(r(&mut db, "SPOP s 2"), set_of(&[]));
    r(&mut db, "SET str v");
    assert_eq!(r(&mut db, "SPOP str 0"), err(WRONGTYPE));
    assert_eq!(
        r(&mut db, "SPOP str -1"),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(
        r(&mut db, "SPOP s x"),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(r(&mut db, "SPOP s 1 2"), err("ERR syntax error"));
}

#[test]
fn spop_covers_every_member() {
    let mut db = Raw::new();
    r(&mut db, "SADD s a b c d e");
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        let mut copy = db.clone();
        let got = run_seeded(&mut copy, &[b"SPOP".to_vec(), b"s".to_vec()], seed);
        seen.insert(members_of(&Reply::Array(vec![got])));
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
}

#[test]
fn srandmember_counts() {
    let mut db = Raw::new();
    r(&mut db, "SADD s a b c");
    let before = db.clone();
    assert!(matches!(r(&mut db, "SRANDMEMBER s"), Reply::Bulk(_)));
    assert_eq!(r(&mut db, "SRANDMEMBER s 5"), bulks(&["a", "b", "c"]));
    assert_eq!(members_of(&r(&mut db, "SRANDMEMBER s 2")).len(), 2);
    let mut two = members_of(&r(&mut db, "SRANDMEMBER s 2"));
    two.dedup();
    assert_eq!(two.len(), 2, "distinct");
    assert_eq!(members_of(&r(&mut db, "SRANDMEMBER s -7")).len(), 7);
    assert_eq!(r(&mut db, "SRANDMEMBER s 0"), bulks(&[]));
    assert_eq!(db, before, "nothing removed");
    assert_eq!(r(&mut db, "SRANDMEMBER nokey"), Reply::Nil);
    assert_eq!(r(&mut db, "SRANDMEMBER nokey -3"), bulks(&[]));
    assert_eq!(
        r(&mut db, "SRANDMEMBER nokey -9223372036854775807"),
        bulks(&[]),
        "a missing key answers before the count matters"
    );
    assert_eq!(
        r(&mut db, "SRANDMEMBER s -9223372036854775808"),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert!(
        r(&mut db, "SRANDMEMBER s -9223372036854775807").is_error(),
        "bounded"
    );
    assert_eq!(
        r(&mut db, "SRANDMEMBER s x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(r(&mut db, "SRANDMEMBER s 1 2"), err("ERR syntax error"));
    r(&mut db, "SET str v");
    assert_eq!(r(&mut db, "SRANDMEMBER str 0"), err(WRONGTYPE));
}

#[test]
fn inter_union_diff() {
    let mut db = Raw::new();
    r(&mut db, "SADD a 1 2 3 4");
    r(&mut db, "SADD b 2 3 5");
    r(&mut db, "SADD c 3 4 2 9");
    r(&mut db, "SET str v");
    assert_eq!(r(&mut db, "SINTER a b c"), set_of(&["2", "3"]));
    assert_eq!(r(&mut db, "SINTER a a"), set_of(&["1", "2", "3", "4"]));
    assert_eq!(r(&mut db, "SINTER a nokey"), set_of(&[]));
    assert_eq!(r(&mut db, "SINTER nokey str"), err(WRONGTYPE));
    assert_eq!(
        r(&mut db, "SUNION a b nokey"),
        set_of(&["1", "2", "3", "4", "5"])
    );
    assert_eq!(r(&mut db, "SUNION nokey str"), err(WRONGTYPE));
    assert_eq!(r(&mut db, "SDIFF a b"), set_of(&["1", "4"]));
    assert_eq!(r(&mut db, "SDIFF a b c"), set_of(&["1"]));
    assert_eq!(r(&mut db, "SDIFF a a"), set_of(&[]));
    assert_eq!(r(&mut db, "SDIFF a nokey"), set_of(&["1", "2", "3", "4"]));
    assert_eq!(r(&mut db, "SDIFF nokey a"), set_of(&[]));
    assert_eq!(r(&mut db, "SDIFF nokey str"), err(WRONGTYPE));
}

#[test]
fn stores_overwrite_and_delete() {
    let mut db = Raw::new();
    r(&mut db, "SADD a 1 2 3");
    r(&mut db, "SADD b 2 3 4");
    r(&mut db, &format!("SET d v PXAT {}", NOW + 1000));
    assert_eq!(r(&mut db, "SINTERSTORE d a b"), int(2));
    assert_eq!(r(&mut db, "SMEMBERS d"), set_of(&["2", "3"]));
    assert_eq!(r(&mut db, "PTTL d"), int(-1), "the old TTL goes");
    assert_eq!(
        r(&mut db, "SUNIONSTORE d d a b"),
        int(4),
        "a source as destination"
    );
    assert_eq!(r(&mut db, "SMEMBERS d"), set_of(&["1", "2", "3", "4"]));
    assert_eq!(r(&mut db, "SDIFFSTORE d a b"), int(1));
    assert_eq!(r(&mut db, "SMEMBERS d"), set_of(&["1"]));
    assert_eq!(r(&mut db, "SINTERSTORE d a nokey"), int(0));
    assert_eq!(r(&mut db, "EXISTS d"), int(0), "an empty result deletes");
    r(&mut db, "SET str v");
    assert_eq!(r(&mut db, "SUNIONSTORE d a str"), err(WRONGTYPE));
    assert_eq!(
        r(&mut db, "SUNIONSTORE str a"),
        int(3),
        "any type is overwritten"
    );
    assert_eq!(r(&mut db, "TYPE str"), Reply::Status("set".into()));
    let keys_before = db.len();
    assert_eq!(r(&mut db, "SDIFFSTORE b a a"), int(0));
    assert!(db.len() < keys_before, "the old members went");
    assert_eq!(r(&mut db, "EXISTS b"), int(0));
}

#[test]
fn sintercard() {
    let mut db = Raw::new();
    r(&mut db, "SADD a 1 2 3 4");
    r(&mut db, "SADD b 1 2 3 5");
    r(&mut db, "SET str v");
    assert_eq!(r(&mut db, "SINTERCARD 2 a b"), int(3));
    assert_eq!(r(&mut db, "SINTERCARD 2 a b LIMIT 2"), int(2));
    assert_eq!(r(&mut db, "SINTERCARD 2 a b limit 0"), int(3));
    assert_eq!(r(&mut db, "SINTERCARD 1 nokey"), int(0));
    assert_eq!(r(&mut db, "SINTERCARD 2 nokey str"), err(WRONGTYPE));
    for (line, text) in [
        ("SINTERCARD 0 a", "ERR numkeys should be greater than 0"),
        ("SINTERCARD x a", "ERR numkeys should be greater than 0"),
        ("SINTERCARD -1 a", "ERR numkeys should be greater than 0"),
        (
            "SINTERCARD 2 a",
            "ERR Number of keys can't be greater than number of args",
        ),
        (
            "SINTERCARD 9223372036854775807 a",
            "ERR Number of keys can't be greater than number of args",
        ),
        ("SINTERCARD 1 a LIMIT -1", "ERR LIMIT can't be negative"),
        ("SINTERCARD 1 a LIMIT x", "ERR LIMIT can't be negative"),
        ("SINTERCARD 1 a LIMIT", "ERR syntax error"),
        ("SINTERCARD 1 nokey str", "ERR syntax error"),
    ] {
        assert_eq!(r(&mut db, line), err(text), "{line}");
    }
}

#[test]
fn sscan_pages_and_errors() {
    let mut db = Raw::new();
    let members: Vec<String> = (0..50).map(|i| format!("m{i:02}")).collect();
    r(&mut db, &format!("SADD s {}", members.join(" ")));
    let mut cursor = "0".to_string();
    let mut got = Vec::new();
    for _ in 0..100 {
        let Reply::Array(page) = r(&mut db, &format!("SSCAN s {cursor} COUNT 7")) else {
            panic!("a page")
        };
        let [Reply::Bulk(next), list] = &page[..] else {
            panic!("{page:?}")
        };
        got.extend(members_of(list));
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            break;
        }
    }
    let want: Vec<Bytes> = members.iter().map(|m| Bytes::from(m.clone())).collect();
    assert_eq!(got, want);
    let all = |v: &[&str]| Reply::Array(vec![Reply::bulk("0"), bulks(v)]);
    assert_eq!(
        r(&mut db, "SSCAN s 0 MATCH m4* COUNT 1000"),
        all(&["m40", "m41", "m42", "m43", "m44", "m45", "m46", "m47", "m48", "m49"])
    );
    assert_eq!(r(&mut db, "SSCAN nokey 0"), all(&[]));
    assert_eq!(
        r(&mut db, "SSCAN nokey 0 COUNT x"),
        all(&[]),
        "options read after the key"
    );
    assert_eq!(
        r(&mut db, "SSCAN s 0 COUNT x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(r(&mut db, "SSCAN s 0 COUNT 0"), err("ERR syntax error"));
    assert_eq!(r(&mut db, "SSCAN s 0 TYPE set"), err("ERR syntax error"));
    assert_eq!(r(&mut db, "SSCAN s 0 MATCH"), err("ERR syntax error"));
    assert_eq!(r(&mut db, "SSCAN s x"), err("ERR invalid cursor"));
    r(&mut db, "SET str v");
    assert_eq!(r(&mut db, "SSCAN str x"), err("ERR invalid cursor"));
    assert_eq!(r(&mut db, "SSCAN str 0 COUNT x"), err(WRONGTYPE));
}

// ------------------------------------------------------ model property

/// A set write on one of three keys, members from a small alphabet.
#[derive(Clone, Debug)]
enum Cmd {
    Add(u8, Vec<u8>),
    Rem(u8, Vec<u8>),
    Move(u8, u8, u8),
    Pop(u8, Option<u8>, u64),
    Store(&'static str, u8, Vec<u8>),
    Del(u8),
}

fn key(k: u8) -> Vec<u8> {
    format!("k{k}").into_bytes()
}

fn member(m: u8) -> Vec<u8> {
    // A few members share a prefix with others, and one is empty.
    ["", "a", "ab", "b", "\0", "zz"][usize::from(m % 6)]
        .as_bytes()
        .to_vec()
}

impl Arbitrary for Cmd {
    fn arbitrary(g: &mut Gen) -> Cmd {
        let k = |g: &mut Gen| u8::arbitrary(g) % 3;
        let ms = |g: &mut Gen| {
            let n = 1 + usize::arbitrary(g) % 4;
            (0..n).map(|_| u8::arbitrary(g)).collect()
        };
        match u8::arbitrary(g) % 8 {
            0 | 1 => Cmd::Add(k(g), ms(g)),
            2 => Cmd::Rem(k(g), ms(g)),
            3 => Cmd::Move(k(g), k(g), u8::arbitrary(g)),
            4 => Cmd::Pop(
                k(g),
                Option::<u8>::arbitrary(g).map(|c| c % 5),
                u64::arbitrary(g),
            ),
            5 | 6 => {
                let how = *g
                    .choose(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
                    .unwrap_or(&"SUNIONSTORE");
                let srcs = (0..1 + usize::arbitrary(g) % 3).map(|_| k(g)).collect();
                Cmd::Store(how, k(g), srcs)
            }
            _ => Cmd::Del(k(g)),
        }
    }
}

impl Cmd {
    fn args(&self) -> Vec<Vec<u8>> {
        let mut a: Vec<Vec<u8>> = Vec::new();
        match self {
            Cmd::Add(k, ms) | Cmd::Rem(k, ms) => {
                let name = if matches!(self, Cmd::Add(..)) {
                    "SADD"
                } else {
                    "SREM"
                };
                a.push(name.into());
                a.push(key(*k));
                a.extend(ms.iter().map(|m| member(*m)));
            }
            Cmd::Move(s, d, m) => {
                a.extend([b"SMOVE".to_vec(), key(*s), key(*d), member(*m)]);
            }
            Cmd::Pop(k, count, _) => {
                a.extend([b"SPOP".to_vec(), key(*k)]);
                a.extend(count.map(|c| c.to_string().into_bytes()));
            }
            Cmd::Store(how, d, srcs) => {
                a.push(how.as_bytes().to_vec());
                a.push(key(*d));
                a.extend(srcs.iter().map(|k| key(*k)));
            }
            Cmd::Del(k) => a.extend([b"DEL".to_vec(), key(*k)]),
        }
        a
    }
}

type Model = BTreeMap<u8, BTreeSet<Vec<u8>>>;

/// What the model replies, except SPOP's random choice: it checks the
/// members SPOP replied came from the set and removes them.
fn apply(model: &mut Model, cmd: &Cmd, got: &Reply) -> Option<Reply> {
    let set = |model: &Model, k: &u8| model.get(k).cloned().unwrap_or_default();
    let reply = match cmd {
        Cmd::Add(k, ms) => {
            let s = model.entry(*k).or_default();
            int(ms.iter().filter(|m| s.insert(member(**m))).count() as i64)
        }
        Cmd::Rem(k, ms) => {
            let s = model.entry(*k).or_default();
            int(ms.iter().filter(|m| s.remove(&member(**m))).count() as i64)
        }
        Cmd::Move(s, d, m) => {
            let m = member(*m);
            if !set(model, s).contains(&m) {
                int(0)
            } else {
                model.entry(*s).or_default().remove(&m);
                model.entry(*d).or_default().insert(m);
                int(1)
            }
        }
        Cmd::Pop(k, count, _) => {
            let before = set(model, k);
            let popped = match (count, got) {
                (None, Reply::Nil) => vec![],
                (None, Reply::Bulk(b)) => vec![b.to_vec()],
                (Some(_), reply) => members_of(reply).iter().map(|b| b.to_vec()).collect(),
                _ => return None,
            };
            let want_len = count.map_or(before.len().min(1), |c| before.len().min(usize::from(c)));
            let distinct: BTreeSet<_> = popped.iter().cloned().collect();
            if popped.len() != want_len
                || distinct.len() != want_len
                || !distinct.is_subset(&before)
            {
                return None;
            }
            let s = model.entry(*k).or_default();
            for m in &popped {
                s.remove(m);
            }
            got.clone()
        }
        Cmd::Store(how, d, srcs) => {
            let sets: Vec<_> = srcs.iter().map(|k| set(model, k)).collect();
            let mut result = sets[0].clone();
            for s in &sets[1..] {
                result = match *how {
                    "SINTERSTORE" => result.intersection(s).cloned().collect(),
                    "SUNIONSTORE" => result.union(s).cloned().collect(),
                    _ => result.difference(s).cloned().collect(),
                };
            }
            let n = result.len() as i64;
            model.insert(*d, result);
            int(n)
        }
        Cmd::Del(k) => int(i64::from(model.remove(k).is_some_and(|s| !s.is_empty()))),
    };
    model.retain(|_, s| !s.is_empty());
    Some(reply)
}

/// The members stored under `k`'s element keys, and its meta's length.
fn stored(db: &Raw, k: u8) -> (BTreeSet<Vec<u8>>, Option<u64>) {
    let base = element_prefix(SET_PREFIX, &key(k));
    let members = db
        .keys()
        .filter_map(|raw| raw.strip_prefix(&base[..]).map(<[u8]>::to_vec))
        .collect();
    let len = match read_meta(db, &key(k), NOW) {
        MetaRead::Live(m) => Some(m.len),
        _ => None,
    };
    (members, len)
}

quickcheck! {
    /// Any sequence of set writes leaves exactly the model's members, an
    /// exact `meta.len`, and no key for an emptied set.
    fn set_writes_match_a_btreeset_model(cmds: Vec<Cmd>) -> bool {
        let mut db = Raw::new();
        let mut model = Model::new();
        for cmd in &cmds {
            let seed = if let Cmd::Pop(_, _, s) = cmd { *s } else { 0 };
            let got = run_seeded(&mut db, &cmd.args(), seed);
            let Some(want) = apply(&mut model, cmd, &got) else {
                eprintln!("{cmd:?}: bad SPOP reply {got:?}");
                return false;
            };
            if got != want {
                eprintln!("{cmd:?}: got {got:?}, model {want:?}");
                return false;
            }
            let mut keys = 0;
            for k in 0..3 {
                let (members, len) = stored(&db, k);
                let want = model.get(&k).cloned().unwrap_or_default();
                let want_len = (!want.is_empty()).then_some(want.len() as u64);
                if members != want || len != want_len {
                    eprintln!("{cmd:?}: k{k} holds {members:?} (len {len:?}), model {want:?}");
                    return false;
                }
                keys += want.len() + usize::from(!want.is_empty());
            }
            if db.len() != keys {
                eprintln!("{cmd:?}: stray keys in {db:?}");
                return false;
            }
        }
        true
    }
}
