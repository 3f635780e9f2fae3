//! Sorted-set commands against redis-server 7.0: every command, option and
//! error text, in RESP2 and RESP3, WRONGTYPE against strings and other
//! types, and a seeded random stream of sorted-set writes and reads mixed
//! with SET/DEL/EXPIRE on a small key space.

use super::support::resp::Value;
use super::Pair;
use fencekv::rng::XorShift;

fn text(v: &Value) -> String {
    match v {
        Value::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a bulk: {other:?}"),
    }
}

/// Commands whose replies are deterministic, run in both protocols.
const SCRIPT: &str = r#"
    FLUSHALL
    ZADD z 1 a 2 b 3 c
    ZADD z 1 a
    ZADD z CH 5 a 6 new
    ZADD z NX 9 a 7 nx
    ZADD z XX 10 a 1 absent
    ZADD z XX CH 11 a
    ZADD z GT 1 a
    ZADD z GT CH 12 a
    ZADD z LT CH 100 a 0 b
    ZADD z INCR 1.5 a
    ZADD z NX INCR 1 a
    ZADD z XX INCR 1 nobody
    ZADD z GT INCR -1 a
    ZADD z INCR 2 fresh
    ZADD z NX XX 1 a
    ZADD z GT LT 1 a
    ZADD z NX GT 1 a
    ZADD z INCR 1 a 2 b
    ZADD z 1
    ZADD z 1 a 2
    ZADD z nan a
    ZADD z abc a
    ZADD z 1e400 a
    ZADD z 1e-400 a
    ZADD z " 1" a
    ZADD z inf pinf -inf ninf +inf pinf2
    ZADD z 0x10 hex 1e3 sci .5 half -0 negzero
    ZADD missing XX 1 a
    ZADD missing XX INCR 1 a
    EXISTS missing
    ZRANGE z 0 -1 WITHSCORES
    ZSCORE z a
    ZSCORE z negzero
    ZSCORE z pinf
    ZSCORE z nobody
    ZSCORE missing a
    ZMSCORE z a nobody b
    ZMSCORE missing a b
    ZCARD z
    ZCARD missing
    ZINCRBY z 0.1 b
    ZINCRBY z 1 newmember
    ZINCRBY z abc b
    ZINCRBY z -inf pinf
    ZINCRBY z inf pinf
    ZINCRBY missing 3 x
    ZSCORE z b
    ZADD f 0.1 a 0.2 b 1.7976931348623157e308 big 5e-324 tiny 123456789012345678 long
    ZRANGE f 0 -1 WITHSCORES
    ZREM z a nobody b
    ZREM z nobody
    ZREM missing a
    ZRANGE z 0 -1
    # Rank ranges.
    DEL r
    ZADD r 1 a 2 b 3 c 4 d 5 e
    ZRANGE r 0 -1
    ZRANGE r 1 3 WITHSCORES
    ZRANGE r -2 -1
    ZRANGE r -100 100
    ZRANGE r 3 1
    ZRANGE r 5 10
    ZRANGE r 0 -1 REV
    ZRANGE r 0 1 REV WITHSCORES
    ZREVRANGE r 0 -1
    ZREVRANGE r 1 2 WITHSCORES
    ZREVRANGE r -9223372036854775808 9223372036854775807
    ZRANGE r 0 x
    ZRANGE r 0 1 LIMIT 0 1
    ZRANGE r 0 1 foo
    ZRANGE missing 0 -1
    # Score ranges.
    ZRANGE r 2 4 BYSCORE
    ZRANGE r (2 4 BYSCORE WITHSCORES
    ZRANGE r (2 (4 BYSCORE
    ZRANGE r -inf +inf BYSCORE LIMIT 1 2
    ZRANGE r -inf +inf BYSCORE LIMIT 1 -1
    ZRANGE r -inf +inf BYSCORE LIMIT -1 2
    ZRANGE r -inf +inf BYSCORE LIMIT 0 0
    ZRANGE r -inf +inf BYSCORE LIMIT 10 2
    ZRANGE r 4 2 BYSCORE REV
    ZRANGE r +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES
    ZRANGE r (4 (2 BYSCORE REV
    ZRANGE r x 2 BYSCORE
    ZRANGE r nan 2 BYSCORE
    ZRANGE r "" "" BYSCORE
    ZRANGE r "( 3" 5 BYSCORE
    ZRANGE r 0 1 BYSCORE BYLEX
    ZRANGE r 0 1 BYSCORE LIMIT 0
    ZRANGE r 0 1 BYSCORE LIMIT x 1
    ZRANGEBYSCORE r 2 4
    ZRANGEBYSCORE r -inf +inf WITHSCORES LIMIT 0 2
    ZRANGEBYSCORE r 2 4 REV
    ZRANGEBYSCORE r 2 4 BYSCORE
    ZREVRANGEBYSCORE r 4 2
    ZREVRANGEBYSCORE r +inf -inf WITHSCORES LIMIT 1 1
    ZREVRANGEBYSCORE r 2 4
    ZCOUNT r 2 4
    ZCOUNT r (2 +inf
    ZCOUNT r -inf (1
    ZCOUNT r x 1
    ZCOUNT missing 0 1
    # Lex ranges.
    DEL l
    ZADD l 0 a 0 b 0 c 0 d 0 e 0 ff
    ZRANGE l - + BYLEX
    ZRANGE l [b (e BYLEX
    ZRANGE l (b [e BYLEX LIMIT 1 2
    ZRANGE l + - BYLEX REV
    ZRANGE l [e [b BYLEX REV LIMIT 0 2
    ZRANGE l - + BYLEX WITHSCORES
    ZRANGE l a b BYLEX
    ZRANGE l [f + BYLEX
    ZRANGE l [z - BYLEX
    ZRANGEBYLEX l - +
    ZRANGEBYLEX l [c + LIMIT 0 1
    ZRANGEBYLEX l - + WITHSCORES
    ZREVRANGEBYLEX l + -
    ZREVRANGEBYLEX l (d [a
    ZREVRANGEBYLEX l - +
    ZLEXCOUNT l - +
    ZLEXCOUNT l [b (d
    ZLEXCOUNT l b d
    ZLEXCOUNT l +x -
    ZLEXCOUNT missing - +
    # ZRANGESTORE.
    ZRANGESTORE dst r 0 -1
    ZRANGE dst 0 -1 WITHSCORES
    ZRANGESTORE dst r 2 4 BYSCORE
    ZRANGESTORE dst l [b [c BYLEX
    ZRANGE dst 0 -1
    ZRANGESTORE dst r 0 -1 REV WITHSCORES
    ZRANGESTORE dst missing 0 -1
    EXISTS dst
    SET str v
    ZRANGESTORE str r 0 1
    TYPE str
    ZRANGESTORE dst str 0 1
    ZRANGESTORE dst r 10 20
    # Ranks.
    ZRANK r a
    ZRANK r e
    ZREVRANK r a
    ZREVRANK r e
    ZRANK r nobody
    ZRANK missing a
    # Removal by range.
    DEL rr
    ZADD rr 1 a 2 b 3 c 4 d 5 e 6 f
    ZREMRANGEBYRANK rr 0 0
    ZREMRANGEBYRANK rr -1 -1
    ZREMRANGEBYRANK rr 10 20
    ZREMRANGEBYRANK rr x 1
    ZRANGE rr 0 -1
    ZREMRANGEBYSCORE rr (2 3
    ZREMRANGEBYSCORE rr x 3
    ZREMRANGEBYSCORE missing 0 1
    ZRANGE rr 0 -1
    ZREMRANGEBYLEX l [b [c
    ZREMRANGEBYLEX l x y
    ZRANGE l 0 -1
    ZREMRANGEBYRANK rr 0 -1
    EXISTS rr
    # Pops.
    DEL p
    ZADD p 1 a 2 b 3 c 4 d 5 e
    ZPOPMIN p
    ZPOPMAX p
    ZPOPMIN p 2
    ZPOPMAX p 0
    ZPOPMIN p -1
    ZPOPMIN p x
    ZPOPMIN p 1 2
    ZPOPMAX p 10
    EXISTS p
    ZPOPMIN p
    ZPOPMIN p 2
    ZPOPMIN str
    ZPOPMIN str 0
    ZADD p 1 a 2 b 3 c
    ZMPOP 1 p MIN
    ZMPOP 2 missing p MAX COUNT 5
    ZMPOP 1 p MIN
    ZMPOP 0 p MIN
    ZMPOP 1 p
    ZMPOP 1 p LEFT
    ZMPOP 1 p MIN COUNT 0
    ZMPOP 1 p MIN COUNT x
    ZMPOP 1 p MIN COUNT 1 COUNT 1
    ZMPOP 5 p MIN
    ZMPOP 1 str MIN
    ZMPOP -1 p MIN
    ZMPOP x p MIN
    # Algebra.
    DEL s1 s2 s3 plain
    ZADD s1 1 a 2 b 3 c
    ZADD s2 10 b 20 c 30 d
        ZUNION 2 s1 s2
    ZUNION 2 s1 s2 WITHSCORES
    ZUNION 2 s1 s2 WEIGHTS 2 3 WITHSCORES
    ZUNION 2 s1 s2 AGGREGATE MIN WITHSCORES
    ZUNION 2 s1 s2 AGGREGATE MAX WITHSCORES
    ZUNION 2 s1 missing WITHSCORES
    ZUNION 2 s1 s2 WEIGHTS 1
    ZUNION 2 s1 s2 WEIGHTS 1 x
    ZUNION 2 s1 s2 AGGREGATE avg
    ZUNION 2 s1 s2 foo
    ZUNION 2 s1 str WEIGHTS 1 x
    ZUNION 0 s1
    ZUNION 3 s1 s2
    ZUNION x s1
    ZINTER 2 s1 s2 WITHSCORES
    ZINTER 2 s1 s2 WEIGHTS 1 -1 AGGREGATE SUM WITHSCORES
    ZINTER 2 s1 missing
    ZINTER 0 s1
    ZDIFF 2 s1 s2 WITHSCORES
    ZDIFF 1 s1
    ZDIFF 2 s1 s2 WEIGHTS 1 2
    ZDIFF 0 s1
    ZUNIONSTORE out 2 s1 s2
    ZRANGE out 0 -1 WITHSCORES
    ZUNIONSTORE out 2 s1 s2 WEIGHTS 1 inf
    ZRANGE out 0 -1 WITHSCORES
    ZINTERSTORE out 2 s1 s2 AGGREGATE MAX
    ZRANGE out 0 -1 WITHSCORES
    ZINTERSTORE out 2 s1 missing
    EXISTS out
    ZDIFFSTORE out 2 s2 s1
    ZRANGE out 0 -1 WITHSCORES
    ZUNIONSTORE out 2 s1 s2 WITHSCORES
    ZUNIONSTORE out 0 s1
    ZUNIONSTORE out 1 str
    ZINTERSTORE s1 2 s1 s2
    ZRANGE s1 0 -1 WITHSCORES
    ZINTERCARD 2 s1 s2
    ZINTERCARD 1 s2 LIMIT 2
    ZINTERCARD 1 s2 LIMIT 0
    ZINTERCARD 1 s2 LIMIT -1
    ZINTERCARD 0 s2
    ZINTERCARD 3 s2
    ZINTERCARD 1 s2 foo
    ZINTERCARD 1 s2 LIMIT x
    ZINTERCARD 1 str LIMIT x
    ZINTERCARD x s2
    ZINTERCARD 1 str
    # ZRANDMEMBER shapes that do not depend on the choice.
    ZRANDMEMBER missing
    ZRANDMEMBER missing 3
    ZRANDMEMBER s2 0
    ZRANDMEMBER s2 0 WITHSCORES
    ZRANDMEMBER s2 1 WITHSCORES x
    ZRANDMEMBER s2 1 foo
    ZRANDMEMBER s2 x
    ZRANDMEMBER s2 -9223372036854775808
    ZRANDMEMBER s2 -9223372036854770000 WITHSCORES
    ZRANDMEMBER str
    # ZSCAN of a small set returns it whole.
    ZSCAN missing 0
    ZSCAN missing 0 COUNT 0
    ZSCAN s2 x
    ZSCAN s2 0 COUNT 0
    ZSCAN s2 0 COUNT x
    ZSCAN s2 0 foo bar
    ZSCAN str 0
    ZSCAN s2 0 MATCH c*
    # WRONGTYPE everywhere.
    ZADD str 1 a
    ZINCRBY str 1 a
    ZREM str a
    ZSCORE str a
    ZMSCORE str a
    ZCARD str
    ZCOUNT str 0 1
    ZLEXCOUNT str - +
    ZRANGE str 0 1
    ZRANK str a
    ZREMRANGEBYRANK str 0 1
    ZREMRANGEBYSCORE str 0 1
    ZREMRANGEBYLEX str - +
    ZUNION 1 str
    # Counts and indices at the i64 limits.
    ZADD lim 1 a 2 b 3 c
    ZRANGE lim 0 9223372036854775807
    ZRANGE lim -9223372036854775808 -9223372036854775808
    ZRANGE lim -inf +inf BYSCORE LIMIT 9223372036854775807 9223372036854775807
    ZRANGE lim -inf +inf BYSCORE LIMIT 1 -9223372036854775808
    ZRANGE lim 0 9223372036854775808
    ZREMRANGEBYRANK lim 9223372036854775807 -9223372036854775808
    ZRANDMEMBER lim 4611686018427387904 WITHSCORES
    ZMPOP 9223372036854775807 lim MIN
    ZUNION 9223372036854775807 lim
    ZINTERCARD 9223372036854775807 lim
    ZINTERCARD 1 lim LIMIT 9223372036854775807
    ZSCAN lim 18446744073709551616
    ZSCAN lim 0 COUNT 9223372036854775807
    ZPOPMIN lim 9223372036854775807
    ZPOPMIN lim 9223372036854775808
    # Scripts see pairs flat under RESP2 and nested under redis.setresp(3).
    EVAL "return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')" 1 s2
    EVAL "redis.setresp(3) return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')" 1 s2
    EVAL "return redis.call('ZSCORE', KEYS[1], 'd')" 1 s2
    EVAL "redis.setresp(3) return redis.call('ZSCORE', KEYS[1], 'd')" 1 s2
    EVAL "return redis.call('ZADD', KEYS[1], 'INCR', 1, 'd')" 1 s2
    # A store replaces the destination, TTL and type included.
    SET dstr v EX 100000
    ZUNIONSTORE dstr 1 s2
    TTL dstr
    TYPE dstr
    # A TTL survives writes and goes with the emptied set.
    ZADD ex 1 a
    EXPIRE ex 100000
    ZADD ex 2 b
    TTL ex
    ZPOPMIN ex 2
    TTL ex
"#;

#[test]
fn every_command_resp2_and_resp3() {
    let Some(mut p) = Pair::new() else { return };
    p.script(SCRIPT);
    p.both("HELLO 3");
    p.script(SCRIPT);
}

/// Plain sets are inputs of ZUNION/ZINTER/ZDIFF/ZINTERCARD, and a set or
/// list key is WRONGTYPE for the rest. Run when the server has SADD and
/// LPUSH (they are other types' commands).
#[test]
fn sets_as_inputs_and_other_types() {
    let Some(mut p) = Pair::new() else { return };
    let (_, f) = p.both("SADD probe x");
    if f.value.is_error() {
        eprintln!("skipped: this server has no SADD");
        return;
    }
    let (_, f) = p.both("LPUSH probelist x");
    if f.value.is_error() {
        eprintln!("skipped: this server has no LPUSH");
        return;
    }
    p.script(
        r#"
        ZADD s1 1 a 2 b 3 c
        ZADD s2 10 b 20 c 30 d
    SADD plain a d x
    ZUNION 3 s1 s2 plain WITHSCORES
    ZINTER 2 s1 plain WITHSCORES
    ZDIFF 2 s1 plain
    ZINTERCARD 2 s2 plain
    LPUSH list x
    ZADD list 1 a
    ZSCORE list a
    ZUNION 1 list
    ZADD plain 1 a
    ZCARD plain
        ZUNIONSTORE out 2 s1 plain WEIGHTS 1 5
        ZRANGE out 0 -1 WITHSCORES
        ZDIFFSTORE out 2 plain s1
        ZRANGE out 0 -1 WITHSCORES
        ZINTERCARD 2 plain list
        ZMPOP 2 nokey list MIN
        ZRANGESTORE list s1 0 -1
        TYPE list
        "#,
    );
}

#[test]
fn scan_returns_every_member() {
    let Some(mut p) = Pair::new() else { return };
    for i in 0..300 {
        p.same(&format!("ZADD big {} m{i}", i % 7));
    }
    for line in ["ZSCAN big {c} COUNT 7", "ZSCAN big {c}"] {
        let mut cursor = "0".to_string();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..1000 {
            let (_, f) = p.both(&line.replace("{c}", &cursor));
            let items = f.value.items().to_vec();
            cursor = text(&items[0]);
            for pair in items[1].items().chunks(2) {
                seen.insert(text(&pair[0]));
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(cursor, "0");
        assert_eq!(seen.len(), 300);
    }
    p.same("ZCARD big");
    p.same_sorted("ZRANDMEMBER big 1000");
    p.same_sorted("ZRANDMEMBER big 9223372036854775807");
    let (r, f) = p.both("ZRANDMEMBER big -5 WITHSCORES");
    assert_eq!(r.value.items().len(), f.value.items().len());
    let (r, f) = p.both("ZRANDMEMBER big 5");
    assert_eq!(r.value.items().len(), f.value.items().len());
    let (_, f) = p.both("ZRANDMEMBER big");
    assert!(text(&f.value).starts_with('m'));
}

fn pick<'a>(rng: &mut XorShift, from: &[&'a str]) -> &'a str {
    from[rng.below(from.len() as u64) as usize]
}

fn random_command(rng: &mut XorShift) -> Vec<String> {
    let keys = ["a", "b", "c"];
    let members = ["m0", "m1", "m2", "m3", "m4", "x"];
    let scores = ["0", "1", "2", "-1", "1.5", "inf", "-inf", "3", "(1", "(2"];
    let key = pick(rng, &keys).to_string();
    let member = pick(rng, &members).to_string();
    let s = |rng: &mut XorShift| pick(rng, &scores[..8]).to_string();
    let bound = |rng: &mut XorShift| pick(rng, &scores).to_string();
    let int = |rng: &mut XorShift| (rng.below(9) as i64 - 4).to_string();
    let w = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match rng.below(24) {
        0..=3 => {
            let opt = pick(
                rng,
                &["", "NX", "XX", "GT", "LT", "CH", "XX CH", "GT CH", "INCR"],
            );
            let mut v = vec!["ZADD".to_string(), key];
            v.extend(opt.split_whitespace().map(String::from));
            v.push(s(rng));
            v.push(member);
            if !opt.contains("INCR") && rng.below(2) == 0 {
                v.push(s(rng));
                v.push(pick(rng, &members).to_string());
            }
            v
        }
        4 => vec!["ZINCRBY".into(), key, s(rng), member],
        5 => vec!["ZREM".into(), key, member, pick(rng, &members).into()],
        6 => vec!["ZSCORE".into(), key, member],
        7 => vec!["ZCARD".into(), key],
        8 => vec![
            "ZRANGE".into(),
            key,
            int(rng),
            int(rng),
            "WITHSCORES".into(),
        ],
        9 => {
            let (a, b) = (bound(rng), bound(rng));
            let mut v = vec!["ZRANGE".into(), key, a, b, "BYSCORE".into()];
            if rng.below(2) == 0 {
                v.push("REV".into());
            }
            if rng.below(2) == 0 {
                v.extend(["LIMIT".into(), rng.below(3).to_string(), int(rng)]);
            }
            v.push("WITHSCORES".into());
            v
        }
        10 => vec!["ZREVRANGE".into(), key, int(rng), int(rng)],
        11 => vec!["ZRANK".into(), key, member],
        12 => vec!["ZREVRANK".into(), key, member],
        13 => vec!["ZCOUNT".into(), key, bound(rng), bound(rng)],
        14 => vec!["ZREMRANGEBYRANK".into(), key, int(rng), int(rng)],
        15 => vec!["ZREMRANGEBYSCORE".into(), key, bound(rng), bound(rng)],
        16 => {
            let cmd = pick(rng, &["ZPOPMIN", "ZPOPMAX"]);
            let mut v = vec![cmd.into(), key];
            if rng.below(2) == 0 {
                v.push(rng.below(4).to_string());
            }
            v
        }
        17 => {
            let mut v = w(&["ZMPOP", "2"]);
            v.push(key);
            v.push(pick(rng, &keys).into());
            v.push(pick(rng, &["MIN", "MAX"]).into());
            v.extend(["COUNT".into(), (1 + rng.below(3)).to_string()]);
            v
        }
        18 => {
            let cmd = pick(rng, &["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
            vec![
                cmd.into(),
                key,
                "2".into(),
                pick(rng, &keys).into(),
                pick(rng, &keys).into(),
            ]
        }
        19 => {
            let cmd = pick(rng, &["ZUNION", "ZINTER", "ZDIFF"]);
            vec![
                cmd.into(),
                "2".into(),
                key,
                pick(rng, &keys).into(),
                "WITHSCORES".into(),
            ]
        }
        20 => vec![
            "ZRANGESTORE".into(),
            key,
            pick(rng, &keys).into(),
            int(rng),
            int(rng),
        ],
        21 => match rng.below(3) {
            0 => vec!["SET".into(), key, "v".into()],
            1 => vec!["DEL".into(), key],
            _ => vec!["EXPIRE".into(), key, "100000".into()],
        },
        22 => vec!["ZMSCORE".into(), key, member, pick(rng, &members).into()],
        _ => vec![
            "ZINTERCARD".into(),
            "2".into(),
            key,
            pick(rng, &keys).into(),
        ],
    }
}

#[test]
fn random_zset_stream() {
    let Some(mut p) = Pair::new() else { return };
    let failures = p.random_stream(0x25e7_5eed, 3000, random_command);
    for k in ["a", "b", "c"] {
        p.same(&format!("ZRANGE {k} 0 -1 WITHSCORES"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
