//! The sorted-set commands end to end (parse → execute over a plain
//! `BTreeMap` raw store): replies and error texts as redis-server 7.0.15
//! gives them, and a quickcheck property: any sequence of sorted-set
//! writes leaves member keys, score index and `meta.len` equal to a plain
//! `BTreeMap` member → score model, and nothing behind once a set empties.

use std::collections::BTreeMap;

use quickcheck::{quickcheck, Arbitrary, Gen};

use crate::cmd::test_support::{bulk as b, bulks, err, int, r, Raw, NOW};
use crate::collections::encoding::{element_prefix, ZSCORE_PREFIX, ZSET_PREFIX};
use crate::collections::{read_meta, zset, MetaRead};
use crate::resp::Reply;

fn d(s: &str) -> Reply {
    Reply::Double(s.into())
}

fn pairs(v: &[(&str, &str)]) -> Reply {
    Reply::Pairs(v.iter().map(|(m, s)| (b(m), d(s))).collect())
}

#[test]
fn zadd_options_and_replies() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "ZADD z 1 a 2 b"), int(2));
    assert_eq!(r(&mut db, "ZADD z CH 5 a 6 c"), int(2));
    assert_eq!(r(&mut db, "ZADD z NX 9 a 7 d"), int(1));
    assert_eq!(r(&mut db, "ZADD z XX CH 10 a 1 nobody"), int(1));
    assert_eq!(r(&mut db, "ZADD z GT CH 1 a"), int(0));
    assert_eq!(r(&mut db, "ZADD z LT CH 1 a"), int(1));
    assert_eq!(r(&mut db, "ZADD z INCR 1.5 a"), d("2.5"));
    assert_eq!(r(&mut db, "ZADD z NX INCR 1 a"), Reply::Nil);
    assert_eq!(r(&mut db, "ZADD missing XX 1 a"), int(0));
    assert_eq!(r(&mut db, "ZCARD missing"), int(0));
    assert_eq!(r(&mut db, "ZSCORE z a"), d("2.5"));
    assert_eq!(r(&mut db, "ZCARD z"), int(4));
    assert_eq!(
        r(&mut db, "ZADD z NX XX 1 a"),
        err("ERR XX and NX options at the same time are not compatible")
    );
    assert_eq!(
        r(&mut db, "ZADD z GT LT 1 a"),
        err("ERR GT, LT, and/or NX options at the same time are not compatible")
    );
    assert_eq!(
        r(&mut db, "ZADD z INCR 1 a 2 b"),
        err("ERR INCR option supports a single increment-element pair")
    );
    assert_eq!(r(&mut db, "ZADD z 1 a 2"), err("ERR syntax error"));
    for bad in ["nan", "abc", "1e400", "1e-400"] {
        assert_eq!(
            r(&mut db, &format!("ZADD z {bad} a")),
            err("ERR value is not a valid float"),
            "{bad}"
        );
    }
    assert_eq!(r(&mut db, "ZADD z inf top -inf bottom"), int(2));
    assert_eq!(r(&mut db, "ZSCORE z top"), d("inf"));
    assert_eq!(
        r(&mut db, "ZINCRBY z -inf top"),
        err("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(r(&mut db, "ZADD f 0.1 a"), int(1));
    assert_eq!(r(&mut db, "ZSCORE f a"), d("0.10000000000000001"));
    r(&mut db, "SET s v");
    assert_eq!(
        r(&mut db, "ZADD s 1 a"),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn ranges_by_rank_score_and_lex() {
    let mut db = Raw::new();
    r(&mut db, "ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(r(&mut db, "ZRANGE z 1 2"), bulks(&["b", "c"]));
    assert_eq!(r(&mut db, "ZRANGE z -2 -1 REV"), bulks(&["b", "a"]));
    assert_eq!(
        r(&mut db, "ZREVRANGE z 0 1 WITHSCORES"),
        pairs(&[("e", "5"), ("d", "4")])
    );
    assert_eq!(r(&mut db, "ZRANGE z (1 3 BYSCORE"), bulks(&["b", "c"]));
    assert_eq!(
        r(&mut db, "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2"),
        bulks(&["d", "c"])
    );
    assert_eq!(
        r(&mut db, "ZRANGEBYSCORE z -inf +inf LIMIT -1 2"),
        bulks(&[])
    );
    assert_eq!(
        r(&mut db, "ZRANGEBYSCORE z -inf +inf LIMIT 3 -1"),
        bulks(&["d", "e"])
    );
    assert_eq!(r(&mut db, "ZREVRANGEBYSCORE z 4 (2"), bulks(&["d", "c"]));
    assert_eq!(r(&mut db, "ZCOUNT z (1 (5"), int(3));
    assert_eq!(
        r(&mut db, "ZRANGE z 0 1 LIMIT 0 1"),
        err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    );
    assert_eq!(
        r(&mut db, "ZRANGE z x 1 BYSCORE"),
        err("ERR min or max is not a float")
    );
    assert_eq!(
        r(&mut db, "ZRANGEBYSCORE z 0 1 REV"),
        err("ERR syntax error")
    );
    r(&mut db, "ZADD l 0 a 0 b 0 c 0 d");
    assert_eq!(r(&mut db, "ZRANGEBYLEX l [b (d"), bulks(&["b", "c"]));
    assert_eq!(
        r(&mut db, "ZREVRANGEBYLEX l + - LIMIT 0 2"),
        bulks(&["d", "c"])
    );
    assert_eq!(r(&mut db, "ZLEXCOUNT l (a +"), int(3));
    assert_eq!(
        r(&mut db, "ZRANGEBYLEX l a b"),
        err("ERR min or max not valid string range item")
    );
    assert_eq!(
        r(&mut db, "ZRANGE l - + BYLEX WITHSCORES"),
        err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    );
    assert_eq!(r(&mut db, "ZRANK z c"), int(2));
    assert_eq!(r(&mut db, "ZREVRANK z c"), int(2));
    assert_eq!(r(&mut db, "ZREVRANK z e"), int(0));
    assert_eq!(r(&mut db, "ZRANK z nobody"), Reply::Nil);
    assert_eq!(
        r(&mut db, "ZRANGE z -9223372036854775808 9223372036854775807"),
        bulks(&["a", "b", "c", "d", "e"])
    );
}

#[test]
fn pops_removals_and_stores() {
    let mut db = Raw::new();
    r(&mut db, "ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(r(&mut db, "ZPOPMIN z"), Reply::Array(vec![b("a"), d("1")]));
    assert_eq!(r(&mut db, "ZPOPMAX z 2"), pairs(&[("e", "5"), ("d", "4")]));
    assert_eq!(
        r(&mut db, "ZPOPMIN z -1"),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(
        r(&mut db, "ZMPOP 2 none z MAX COUNT 9"),
        Reply::Array(vec![
            b("z"),
            Reply::Array(vec![
                Reply::Array(vec![b("c"), d("3")]),
                Reply::Array(vec![b("b"), d("2")])
            ])
        ])
    );
    assert!(db.is_empty(), "an emptied set leaves nothing: {db:?}");
    assert_eq!(r(&mut db, "ZMPOP 1 z MIN"), Reply::NilArray);
    assert_eq!(
        r(&mut db, "ZMPOP 0 z MIN"),
        err("ERR numkeys should be greater than 0")
    );
    r(&mut db, "ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(r(&mut db, "ZREMRANGEBYRANK z 0 1"), int(2));
    assert_eq!(r(&mut db, "ZREMRANGEBYSCORE z (3 4"), int(1));
    assert_eq!(r(&mut db, "ZRANGESTORE dst z 0 -1"), int(2));
    assert_eq!(
        r(&mut db, "ZRANGE dst 0 -1 WITHSCORES"),
        pairs(&[("c", "3"), ("e", "5")])
    );
    assert_eq!(r(&mut db, "ZREMRANGEBYLEX z - +"), int(2));
    assert_eq!(r(&mut db, "ZCARD z"), int(0));
    assert_eq!(r(&mut db, "ZRANGESTORE dst z 0 -1"), int(0));
    assert!(db.is_empty(), "{db:?}");
}

#[test]
fn set_algebra() {
    let mut db = Raw::new();
    r(&mut db, "ZADD s1 1 a 2 b 3 c");
    r(&mut db, "ZADD s2 10 b 20 c 30 d");
    r(&mut db, "SADD plain a d");
    assert_eq!(
        r(&mut db, "ZUNION 2 s1 s2 WEIGHTS 2 1 WITHSCORES"),
        pairs(&[("a", "2"), ("b", "14"), ("c", "26"), ("d", "30")])
    );
    assert_eq!(
        r(&mut db, "ZINTER 2 s1 s2 AGGREGATE MIN WITHSCORES"),
        pairs(&[("b", "2"), ("c", "3")])
    );
    assert_eq!(r(&mut db, "ZDIFF 2 s1 s2"), bulks(&["a"]));
    assert_eq!(r(&mut db, "ZINTERCARD 2 s2 s1 LIMIT 1"), int(1));
    assert_eq!(r(&mut db, "ZUNIONSTORE out 2 s1 s2 AGGREGATE MAX"), int(4));
    assert_eq!(r(&mut db, "ZSCORE out c"), d("20"));
    assert_eq!(
        r(&mut db, "ZUNION 0 s1"),
        err("ERR at least 1 input key is needed for 'zunion' command")
    );
    assert_eq!(
        r(&mut db, "ZUNION 2 s1 s2 WEIGHTS 1 x"),
        err("ERR weight value is not a float")
    );
    r(&mut db, "SET str v");
    // The key's type is checked before the options after it, as Redis does.
    assert_eq!(
        r(&mut db, "ZUNION 2 s1 str WEIGHTS 1 x"),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn scores_print_like_redis() {
    use super::format_score;
    for (v, s) in [
        (1.0, "1"),
        (0.1, "0.10000000000000001"),
        (-2.5, "-2.5"),
        (1e17, "1e+17"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (5e-324, "4.9406564584124654e-324"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (-0.0, "-0"),
    ] {
        assert_eq!(format_score(v), s);
    }
}

/// A sorted-set write, for the quickcheck property.
#[derive(Clone, Debug)]
enum Write {
    Add(String, u8, i8),
    Incr(u8, i8),
    Rem(u8),
    RemRank(i8, i8),
    RemScore(i8, i8),
    Pop(bool, u8),
    Store,
}

impl Arbitrary for Write {
    fn arbitrary(g: &mut Gen) -> Write {
        let opt = g
            .choose(&["", "NX", "XX", "GT", "LT", "CH"])
            .copied()
            .unwrap_or("");
        match u8::arbitrary(g) % 10 {
            0..=3 => Write::Add(opt.into(), u8::arbitrary(g) % 8, i8::arbitrary(g) % 5),
            4 => Write::Incr(u8::arbitrary(g) % 8, i8::arbitrary(g) % 5),
            5 => Write::Rem(u8::arbitrary(g) % 8),
            6 => Write::RemRank(i8::arbitrary(g) % 6, i8::arbitrary(g) % 6),
            7 => Write::RemScore(i8::arbitrary(g) % 5, i8::arbitrary(g) % 5),
            8 => Write::Pop(bool::arbitrary(g), u8::arbitrary(g) % 4),
            _ => Write::Store,
        }
    }
}

type Model = BTreeMap<Vec<u8>, f64>;

/// The model's members in index order.
fn ordered(m: &Model) -> Vec<(Vec<u8>, f64)> {
    let mut v: Vec<_> = m.iter().map(|(k, s)| (k.clone(), *s)).collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn apply(model: &mut Model, w: &Write) -> String {
    let member = |i: &u8| format!("m{i}").into_bytes();
    match w {
        Write::Add(opt, m, s) => {
            let (m, s) = (member(m), f64::from(*s));
            let cur = model.get(&m).copied();
            let ok = match (opt.as_str(), cur) {
                ("NX", Some(_)) | ("XX", None) => false,
                ("GT", Some(c)) => s > c,
                ("LT", Some(c)) => s < c,
                _ => true,
            };
            if ok {
                model.insert(m.clone(), s);
            }
            format!("ZADD z {opt} {s} {}", String::from_utf8_lossy(&m))
        }
        Write::Incr(m, s) => {
            let m = member(m);
            *model.entry(m.clone()).or_insert(0.0) += f64::from(*s);
            format!("ZINCRBY z {s} {}", String::from_utf8_lossy(&m))
        }
        Write::Rem(m) => {
            let m = member(m);
            model.remove(&m);
            format!("ZREM z {}", String::from_utf8_lossy(&m))
        }
        Write::RemRank(a, b) => {
            let v = ordered(model);
            let len = v.len() as i64;
            let norm = |x: i64| if x < 0 { x + len } else { x };
            let (s, e) = (norm(i64::from(*a)).max(0), norm(i64::from(*b)).min(len - 1));
            for (i, (m, _)) in v.iter().enumerate() {
                if (i as i64) >= s && (i as i64) <= e {
                    model.remove(m);
                }
            }
            format!("ZREMRANGEBYRANK z {a} {b}")
        }
        Write::RemScore(a, b) => {
            let (lo, hi) = (f64::from(*a), f64::from(*b));
            model.retain(|_, s| !(*s >= lo && *s <= hi));
            format!("ZREMRANGEBYSCORE z {a} {b}")
        }
        Write::Pop(max, n) => {
            let mut v = ordered(model);
            if *max {
                v.reverse();
            }
            for (m, _) in v.iter().take(usize::from(*n)) {
                model.remove(m);
            }
            format!("{} z {n}", if *max { "ZPOPMAX" } else { "ZPOPMIN" })
        }
        Write::Store => "ZRANGESTORE z z 0 -1".into(),
    }
}

/// The raw store's sorted set `z`, from both key ranges, and whether
/// they and the meta agree with `model`.
fn agrees(raw: &Raw, model: &Model) -> bool {
    let members: Model = zset::members(raw, b"z")
        .into_iter()
        .map(|(m, s)| (m.to_vec(), s))
        .collect();
    let index: Vec<(Vec<u8>, f64)> = zset::all(raw, b"z")
        .into_iter()
        .map(|(m, s)| (m.to_vec(), s))
        .collect();
    let len = match read_meta(raw, b"z", NOW) {
        MetaRead::Live(m) => m.len as usize,
        _ => 0,
    };
    let stray = model.is_empty() && !raw.is_empty();
    let counts_ok = [ZSET_PREFIX, ZSCORE_PREFIX].iter().all(|p| {
        let base = element_prefix(p, b"z");
        raw.keys().filter(|k| k.starts_with(&base)).count() == model.len()
    });
    members == *model && index == ordered(model) && len == model.len() && !stray && counts_ok
}

quickcheck! {
    fn writes_keep_members_index_and_meta_in_step(writes: Vec<Write>) -> bool {
        let mut raw = Raw::new();
        let mut model = Model::new();
        for w in &writes {
            let line = apply(&mut model, w);
            let reply = r(&mut raw, &line);
            if reply.is_error() || !agrees(&raw, &model) {
                eprintln!("after {line}: {reply:?}\nraw {raw:?}\nmodel {model:?}");
                return false;
            }
        }
        true
    }
}
