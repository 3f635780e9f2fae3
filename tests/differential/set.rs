//! Sets against redis-server 7.0: every command, option and error text, in
//! RESP2 and RESP3, WRONGTYPE against strings, and a seeded random stream of
//! set commands mixed with SET/DEL/PEXPIREAT/PERSIST on three keys.
//!
//! fencekv replies members in byte order, Redis in hash order, so replies
//! holding several members are compared as sets (same RESP type, same
//! members). SPOP and SRANDMEMBER choose at random on both sides: their
//! replies are compared by shape and size, and SPOP's removal is then
//! replayed on the oracle so both keep the same sets.

use super::support::render::repr;
use super::support::resp::{Reply, Value};
use super::{mismatch, pick, Pair, FUTURE_S};
use fencekv::rng::XorShift;

/// The value with its members sorted (aggregates keep their type), for
/// comparing set-like replies; SSCAN's `[cursor, [members]]` sorts its list.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Set(items) | Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(sorted).collect();
            items.sort();
            if matches!(v, Value::Set(_)) {
                Value::Set(items)
            } else {
                Value::Array(items)
            }
        }
        other => other.clone(),
    }
}

/// Compare set-like replies: same RESP type, same members in any order.
fn same_set_args(p: &mut Pair, args: &[Vec<u8>]) -> Result<(), String> {
    let (r, f) = p.both_args(args);
    if sorted(&r.value) == sorted(&f.value) {
        return Ok(());
    }
    Err(mismatch(args, &r, &f))
}

fn words(line: &str) -> Vec<Vec<u8>> {
    super::support::resp::split_line(line)
}

/// [`same_set_args`] for each line, failures reported together.
fn same_sets(p: &mut Pair, lines: &str) {
    let failures: Vec<String> = lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| same_set_args(p, &words(l)).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Commands whose replies are exact (one member at most, counts, errors).
const EXACT: &str = r#"
    SADD s a b c a
    SADD s d
    SADD s ""
    SADD "bin" "\x00\xff" ""
    SCARD s
    SCARD missing
    SISMEMBER s a
    SISMEMBER s zz
    SISMEMBER s ""
    SISMEMBER missing a
    SMISMEMBER s a zz b ""
    SMISMEMBER missing a b
    SREM s zz
    SREM s "" d zz
    SREM missing a
    SMEMBERS missing
    SADD one only
    SMEMBERS one
    SINTER one
    SINTER s one
    SINTER s missing
    SINTER missing s
    SUNION missing
    SUNION one missing
    SDIFF missing s
    SDIFF one s
    SDIFF s s
    SINTERCARD 1 s
    SINTERCARD 2 s one
    SINTERCARD 1 missing
    SINTERCARD 1 s LIMIT 2
    SINTERCARD 1 s limit 0
    SINTERCARD 1 s LIMIT 9223372036854775807
    SMOVE missing s a
    SMOVE s s a
    SMOVE s s zz
    SMOVE s other zz
    SMOVE s other a
    SMEMBERS other
    SMOVE other s a
    EXISTS other
    SCARD one
    SPOP missing
    SPOP missing 3
    SPOP s 0
    SRANDMEMBER missing
    SRANDMEMBER missing 5
    SRANDMEMBER missing -5
    SRANDMEMBER missing -9223372036854775807
    SRANDMEMBER s 0
    SRANDMEMBER one
    SRANDMEMBER one 3
    SRANDMEMBER one -3
    SPOP one
    EXISTS one
    SADD one only
    SPOP one 5
    EXISTS one
    SINTERSTORE dst s missing
    EXISTS dst
    SADD x 1 2 3
    SADD y 2 3 4
    SINTERSTORE dst x y
    SCARD dst
    SUNIONSTORE dst x y
    SCARD dst
    SDIFFSTORE dst x y
    SMEMBERS dst
    SDIFFSTORE dst x x
    EXISTS dst
    SET dst str
    SUNIONSTORE dst x
    TYPE dst
    SET dst str EXAT 4102444800
    SINTERSTORE dst x y
    TTL dst
    SUNIONSTORE x x y
    SCARD x
    SSCAN missing 0
    SSCAN missing 0 COUNT x
    SSCAN missing 0 TYPE set
    SSCAN one 0
    SSCAN s x
    SSCAN s -1 COUNT 0
    SSCAN s 0 COUNT x
    SSCAN s 0 COUNT 0
    SSCAN s 0 COUNT -1
    SSCAN s 0 TYPE set
    SSCAN s 0 MATCH
    SSCAN s 0 NOPE 1
    SSCAN s 18446744073709551616
    SSCAN s 0 MATCH nothing*
    # Expired keys are gone for every command.
    SADD e a b
    PEXPIREAT e 1
    SCARD e
    SADD e c
    SMEMBERS e
    SET es v PX 1
    SADD ex a
    PEXPIREAT ex 1
    SMOVE e ex c
    SMEMBERS ex
    PEXPIREAT ex 1
    SUNIONSTORE ex e
    SMEMBERS ex
    SET str v
    PEXPIREAT str 1
    SADD str a
    TYPE str
    DEL s x y dst bin e ex str
"#;

#[test]
fn set_commands() {
    let Some(mut p) = Pair::new() else { return };
    p.script(EXACT);
    p.script("SADD s m1 m2 m3 10 2 -5 \"\" \"\\x00\"");
    same_sets(
        &mut p,
        r#"
        SMEMBERS s
        SADD t m2 10 zz
        SINTER s t
        SINTER t s t
        SUNION s t missing
        SDIFF s t
        SDIFF s missing t
        SRANDMEMBER s 100
        SSCAN s 0 COUNT 1000
        SSCAN s 0 MATCH m* COUNT 1000
        SSCAN s 0 MATCH *1* COUNT 1000
        SPOP t 10
        SMEMBERS s
        "#,
    );
}

#[test]
fn set_errors_and_wrong_types() {
    let Some(mut p) = Pair::new() else { return };
    p.script(
        r#"
        SET str v
        SADD s a b
        SADD
        SADD s
        SREM s
        SMEMBERS
        SMEMBERS s t
        SISMEMBER s
        SISMEMBER s a b
        SMISMEMBER s
        SCARD
        SCARD s t
        SMOVE s t
        SMOVE s t a b
        SPOP
        SPOP s 1 2
        SPOP s -1
        SPOP s x
        SPOP s 1.5
        SPOP missing -1
        SPOP str -1
        SRANDMEMBER
        SRANDMEMBER s 1 2
        SRANDMEMBER s x
        SRANDMEMBER s -9223372036854775808
        SRANDMEMBER s 9223372036854775808
        SINTER
        SUNION
        SDIFF
        SINTERSTORE d
        SUNIONSTORE d
        SDIFFSTORE d
        SINTERCARD
        SINTERCARD 1
        SINTERCARD 0 s
        SINTERCARD -1 s
        SINTERCARD x s
        SINTERCARD 2 s
        SINTERCARD 9223372036854775807 s
        SINTERCARD 1 s LIMIT
        SINTERCARD 1 s LIMIT -1
        SINTERCARD 1 s LIMIT x
        SINTERCARD 1 s LIMIT 1 LIMIT 2
        SINTERCARD 1 s FOO 1
        SINTERCARD 1 missing str
        SSCAN
        SSCAN s
        SADD str a
        SREM str a
        SMEMBERS str
        SISMEMBER str a
        SMISMEMBER str a
        SCARD str
        SMOVE str s a
        SMOVE s str a
        SMOVE missing str a
        SMOVE s str zz
        SPOP str
        SPOP str 0
        SPOP str 2
        SRANDMEMBER str
        SRANDMEMBER str 0
        SRANDMEMBER str -2
        SINTER str
        SINTER s str
        SINTER missing str
        SUNION s str
        SUNION missing str
        SDIFF str s
        SDIFF s str
        SDIFF missing str
        SINTERSTORE d s str
        SUNIONSTORE d str
        SDIFFSTORE d missing str
        EXISTS d
        SINTERCARD 2 s str
        SINTERCARD 2 missing str
        SSCAN str 0
        SSCAN str x
        SSCAN str 0 COUNT x
        GET s
        GET str
        SET s overwritten
        GET s
        SADD s a
        "#,
    );
}

#[test]
fn set_replies_resp3() {
    let Some(mut p) = Pair::new() else { return };
    p.both("HELLO 3");
    p.script(
        r#"
        SMEMBERS missing
        SINTER missing
        SUNION missing
        SDIFF missing
        SPOP missing
        SPOP missing 2
        SRANDMEMBER missing
        SRANDMEMBER missing 2
        SSCAN missing 0
        SADD one m
        SMEMBERS one
        SINTER one
        SUNION one
        SDIFF one
        SRANDMEMBER one
        SRANDMEMBER one 2
        SRANDMEMBER one -2
        SMISMEMBER one m x
        SISMEMBER one m
        SSCAN one 0
        SPOP one 0
        SPOP one 5
        SADD one m
        SPOP one
        SET str v
        SMEMBERS str
        "#,
    );
    p.script("SADD s a b c d");
    same_sets(
        &mut p,
        r#"
        SMEMBERS s
        SINTER s s
        SUNION s missing
        SDIFF s missing
        SRANDMEMBER s 10
        SSCAN s 0 COUNT 100
        SPOP s 10
        "#,
    );
}

/// A random set command, or a SET/DEL/PEXPIREAT/PERSIST, on keys a, b, c.
fn random_command(rng: &mut XorShift) -> Vec<Vec<u8>> {
    let key = |rng: &mut XorShift| pick(rng, &["a", "b", "c"]);
    let member = |rng: &mut XorShift| pick(rng, &["m", "n", "o", "p", "1", "2", "", "mm"]);
    let count = |rng: &mut XorShift| -> Vec<u8> {
        match rng.below(10) {
            0 => pick(rng, &["-1", "x", "0", "9223372036854775807"]),
            _ => rng.below(6).to_string().into_bytes(),
        }
    };
    let w = |s: &str| s.as_bytes().to_vec();
    let mut a = Vec::new();
    let keys = |rng: &mut XorShift, a: &mut Vec<Vec<u8>>| {
        for _ in 0..1 + rng.below(3) {
            a.push(key(rng));
        }
    };
    match rng.below(20) {
        0..=3 => {
            a.extend([w("SADD"), key(rng)]);
            for _ in 0..1 + rng.below(3) {
                a.push(member(rng));
            }
        }
        4 | 5 => {
            a.extend([w("SREM"), key(rng)]);
            for _ in 0..1 + rng.below(2) {
                a.push(member(rng));
            }
        }
        6 => a.extend([pick(rng, &["SMEMBERS", "SCARD"]), key(rng)]),
        7 => a.extend([w("SISMEMBER"), key(rng), member(rng)]),
        8 => a.extend([w("SMISMEMBER"), key(rng), member(rng), member(rng)]),
        9 => a.extend([w("SMOVE"), key(rng), key(rng), member(rng)]),
        10 => {
            a.push(pick(rng, &["SINTER", "SUNION", "SDIFF"]));
            keys(rng, &mut a);
        }
        11 => {
            a.extend([
                pick(rng, &["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
                key(rng),
            ]);
            keys(rng, &mut a);
        }
        12 => {
            let n = 1 + rng.below(3);
            a.extend([w("SINTERCARD"), n.to_string().into_bytes()]);
            for _ in 0..n {
                a.push(key(rng));
            }
            if rng.below(2) == 0 {
                a.extend([w("LIMIT"), count(rng)]);
            }
        }
        13 => {
            a.extend([w("SPOP"), key(rng)]);
            if rng.below(2) == 0 {
                a.push(count(rng));
            }
        }
        14 => {
            a.extend([w("SRANDMEMBER"), key(rng)]);
            if rng.below(2) == 0 {
                a.push(pick(rng, &["-3", "3", "0", "10", "-10", "x"]));
            }
        }
        15 => a.extend([w("SSCAN"), key(rng), w("0"), w("COUNT"), w("1000")]),
        16 => a.extend([w("SET"), key(rng), member(rng)]),
        17 => a.extend([w("DEL"), key(rng)]),
        18 => a.extend([
            w("PEXPIREAT"),
            key(rng),
            format!("{FUTURE_S}000").into_bytes(),
        ]),
        _ => a.extend([pick(rng, &["PERSIST", "TYPE", "EXISTS"]), key(rng)]),
    }
    a
}

/// The members of a reply (bulk items of an aggregate, or one bulk).
fn members(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::Bulk(b) => vec![b.clone()],
        Value::Array(items) | Value::Set(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Bulk(b) => Some(b.clone()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    }
}

/// Same RESP type and size, members left to chance.
fn same_shape(r: &Reply, f: &Reply) -> bool {
    match (&r.value, &f.value) {
        (Value::Bulk(_), Value::Bulk(_)) => true,
        (Value::Array(x), Value::Array(y)) | (Value::Set(x), Value::Set(y)) => x.len() == y.len(),
        _ => r.raw == f.raw,
    }
}

/// One command of the random stream to both: random replies compared by
/// shape (after a differing SPOP the oracle is made to pop what fencekv
/// did, so the sets stay equal), whole-set replies as members in any
/// order, everything else byte for byte.
fn set_reply_agrees(p: &mut Pair, args: &[Vec<u8>], _resp3: bool) -> Option<String> {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
    match name.as_str() {
        "SPOP" | "SRANDMEMBER" => {
            let (r, f) = p.both_args(args);
            if !same_shape(&r, &f) {
                return Some(mismatch(args, &r, &f));
            }
            let (popped_r, popped_f) = (members(&r.value), members(&f.value));
            if name == "SPOP" && popped_r != popped_f && !popped_f.is_empty() {
                // Put back what the oracle popped, take what fencekv did.
                let mut add = vec![b"SADD".to_vec(), args[1].clone()];
                add.extend(popped_r);
                p.redis.call(&add);
                let mut rem = vec![b"SREM".to_vec(), args[1].clone()];
                rem.extend(popped_f.iter().cloned());
                let removed = p.redis.call(&rem);
                if removed.value != Value::Int(popped_f.len() as i64) {
                    let shown: Vec<String> = args.iter().map(|a| repr(a)).collect();
                    return Some(format!(
                        "> {}: fencekv popped {popped_f:?}, not all members",
                        shown.join(" ")
                    ));
                }
            }
            None
        }
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "SSCAN" => same_set_args(p, args).err(),
        _ => p.compare(args),
    }
}

/// A seeded random stream of set commands mixed with SET/DEL/PEXPIREAT/
/// PERSIST on keys a, b, c, in RESP2 then RESP3; then every set compared.
#[test]
fn random_set_and_key_stream() {
    let Some(mut p) = Pair::new() else { return };
    let mut failures = p.random_stream_with(0x5e75_5e75, 2500, random_command, set_reply_agrees);
    for k in ["a", "b", "c"] {
        if let Err(e) = same_set_args(&mut p, &words(&format!("SMEMBERS {k}"))) {
            failures.push(e);
        }
        p.same(&format!("TYPE {k}"));
        p.same(&format!("PEXPIRETIME {k}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
