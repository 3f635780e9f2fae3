//! The hash commands end to end (parse → execute over a plain `BTreeMap`
//! raw store), their errors as redis-server 7.0.15 answers them, and a
//! quickcheck property: any sequence of HSET HMSET HSETNX HDEL HINCRBY DEL
//! on two keys leaves exactly the fields of a plain `BTreeMap` model, with
//! the meta's count exact and no key left behind by an emptied hash.

use std::collections::BTreeMap;

use quickcheck::{quickcheck, Arbitrary, Gen};

use crate::cmd::test_support::{
    bulk, bulks, err, int, r, run_seeded, words, wrong_arity, Raw, NOW, WRONGTYPE,
};
use crate::collections::encoding::{element_prefix, HASH_PREFIX};
use crate::collections::{read_meta, MetaRead};
use crate::resp::Reply;

fn map(v: &[(&str, &str)]) -> Reply {
    Reply::Map(v.iter().map(|(f, x)| (bulk(f), bulk(x))).collect())
}

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
        assert_eq!(r(&mut db, line), wrong_arity(name), "{line}");
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

#[test]
fn hsetnx_hmget_hexists_hstrlen_hkeys_hvals() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "HSETNX h a 1"), int(1));
    assert_eq!(r(&mut db, "HSETNX h a 2"), int(0));
    assert_eq!(r(&mut db, "HGET h a"), bulk("1"));
    r(&mut db, "HSET h b hello");
    assert_eq!(
        r(&mut db, "HMGET h a zz b"),
        Reply::Array(vec![bulk("1"), Reply::Nil, bulk("hello")])
    );
    assert_eq!(
        r(&mut db, "HMGET nokey a b"),
        Reply::Array(vec![Reply::Nil, Reply::Nil])
    );
    assert_eq!(r(&mut db, "HEXISTS h a"), int(1));
    assert_eq!(r(&mut db, "HEXISTS h zz"), int(0));
    assert_eq!(r(&mut db, "HEXISTS nokey a"), int(0));
    assert_eq!(r(&mut db, "HSTRLEN h b"), int(5));
    assert_eq!(r(&mut db, "HSTRLEN h zz"), int(0));
    assert_eq!(r(&mut db, "HSTRLEN nokey a"), int(0));
    assert_eq!(r(&mut db, "HKEYS h"), bulks(&["a", "b"]));
    assert_eq!(r(&mut db, "HVALS h"), bulks(&["1", "hello"]));
    assert_eq!(r(&mut db, "HKEYS nokey"), bulks(&[]));
    assert_eq!(r(&mut db, "HVALS nokey"), bulks(&[]));
    r(&mut db, "SET s x");
    for line in [
        "HSETNX s a 1",
        "HMGET s a",
        "HEXISTS s a",
        "HSTRLEN s a",
        "HKEYS s",
        "HVALS s",
        "HINCRBY s a 1",
        "HINCRBYFLOAT s a 1",
        "HRANDFIELD s",
        "HRANDFIELD s 1",
        "HSCAN s 0",
    ] {
        assert_eq!(r(&mut db, line), err(WRONGTYPE), "{line}");
    }
}

#[test]
fn hincrby() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "HINCRBY h n 5"), int(5));
    assert_eq!(r(&mut db, "HINCRBY h n -7"), int(-2));
    assert_eq!(r(&mut db, "HGET h n"), bulk("-2"));
    r(&mut db, "HSET h big 9223372036854775806 s abc");
    assert_eq!(r(&mut db, "HINCRBY h big 1"), int(i64::MAX));
    assert_eq!(
        r(&mut db, "HINCRBY h big 1"),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(r(&mut db, "HGET h big"), bulk("9223372036854775807"));
    assert_eq!(
        r(&mut db, "HINCRBY h s 1"),
        err("ERR hash value is not an integer")
    );
    assert_eq!(
        r(&mut db, "HINCRBY h n x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        r(&mut db, "HINCRBY h n 9223372036854775808"),
        err("ERR value is not an integer or out of range")
    );
    // The increment is checked before the type.
    r(&mut db, "SET str x");
    assert_eq!(
        r(&mut db, "HINCRBY str n x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(r(&mut db, "HLEN h"), int(3));
}

#[test]
fn hincrbyfloat() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "HINCRBYFLOAT h f 10.5"), bulk("10.5"));
    assert_eq!(r(&mut db, "HINCRBYFLOAT h f 0.1"), bulk("10.6"));
    assert_eq!(r(&mut db, "HINCRBYFLOAT h f -10.6"), bulk("0"));
    assert_eq!(r(&mut db, "HINCRBYFLOAT h g 3.0e3"), bulk("3000"));
    assert_eq!(r(&mut db, "HINCRBYFLOAT h g 0x10"), bulk("3016"));
    r(&mut db, "HSET h i 17 s abc");
    assert_eq!(r(&mut db, "HINCRBYFLOAT h i 1.5"), bulk("18.5"));
    assert_eq!(r(&mut db, "HGET h i"), bulk("18.5"));
    assert_eq!(
        r(&mut db, "HINCRBYFLOAT h s 1"),
        err("ERR hash value is not a float")
    );
    assert_eq!(
        r(&mut db, "HINCRBYFLOAT h f x"),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        r(&mut db, "HINCRBYFLOAT h f nan"),
        err("ERR value is not a valid float")
    );
    r(&mut db, "SET str x");
    for line in ["HINCRBYFLOAT h f inf", "HINCRBYFLOAT str f -inf"] {
        assert_eq!(
            r(&mut db, line),
            err("ERR value is NaN or Infinity"),
            "{line}"
        );
    }
    r(&mut db, "HSET h max 1.7976931348623157e308");
    assert_eq!(
        r(&mut db, "HINCRBYFLOAT h max 1.7976931348623157e308"),
        err("ERR increment would produce NaN or Infinity")
    );
    assert_eq!(r(&mut db, "HGET h max"), bulk("1.7976931348623157e308"));
}

#[test]
fn hrandfield_counts() {
    let mut db = Raw::new();
    r(&mut db, "HSET h a 1 b 2 c 3");
    let fields = ["a", "b", "c"];
    for seed in 0..50 {
        let one = run_seeded(&mut db, &words("HRANDFIELD h"), seed);
        assert!(fields.iter().any(|f| one == bulk(f)), "{one:?}");
        let Reply::Array(two) = run_seeded(&mut db, &words("HRANDFIELD h 2"), seed) else {
            panic!("an array")
        };
        assert_eq!(two.len(), 2);
        assert_ne!(two[0], two[1], "distinct fields");
        let Reply::Pairs(rep) = run_seeded(&mut db, &words("HRANDFIELD h -7 WITHVALUES"), seed)
        else {
            panic!("pairs")
        };
        assert_eq!(rep.len(), 7);
        for (field, value) in &rep {
            assert_eq!(r(&mut db, &format!("HGET h {}", show(field))), *value);
        }
    }
    // Deterministic in the seed.
    assert_eq!(
        run_seeded(&mut db, &words("HRANDFIELD h -20"), 3),
        run_seeded(&mut db, &words("HRANDFIELD h -20"), 3)
    );
    let Reply::Array(all) = r(&mut db, "HRANDFIELD h 10") else {
        panic!("an array")
    };
    assert_eq!(all.len(), 3, "at most the whole hash");
    assert_eq!(r(&mut db, "HRANDFIELD h 0"), bulks(&[]));
    assert_eq!(r(&mut db, "HRANDFIELD h 0 WITHVALUES"), bulks(&[]));
    assert_eq!(r(&mut db, "HRANDFIELD nokey"), Reply::Nil);
    assert_eq!(r(&mut db, "HRANDFIELD nokey 5"), bulks(&[]));
    assert_eq!(
        r(&mut db, "HRANDFIELD nokey -9223372036854775807"),
        bulks(&[])
    );
}

/// A bulk's text.
fn show(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    }
}

#[test]
fn hrandfield_errors_in_redis_order() {
    let mut db = Raw::new();
    r(&mut db, "HSET h a 1");
    r(&mut db, "SET s x");
    const MIN: &str =
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
    for (line, want) in [
        (
            "HRANDFIELD h x",
            "ERR value is not an integer or out of range",
        ),
        (
            "HRANDFIELD s x",
            "ERR value is not an integer or out of range",
        ),
        ("HRANDFIELD h -9223372036854775808", MIN),
        ("HRANDFIELD s -9223372036854775808 WITHVALUES", MIN),
        ("HRANDFIELD h -9223372036854775808 foo", MIN),
        ("HRANDFIELD h 1 foo", "ERR syntax error"),
        ("HRANDFIELD h 1 WITHVALUES x", "ERR syntax error"),
        (
            "HRANDFIELD h x WITHVALUES",
            "ERR value is not an integer or out of range",
        ),
        (
            "HRANDFIELD h 9223372036854775807 WITHVALUES",
            "ERR value is out of range",
        ),
        (
            "HRANDFIELD h -4611686018427387904 WITHVALUES",
            "ERR value is out of range",
        ),
        (
            "HRANDFIELD h -4611686018427387903 WITHVALUES",
            "ERR value is out of range: the reply would hold too many fields",
        ),
        (
            "HRANDFIELD h -9223372036854775807",
            "ERR value is out of range: the reply would hold too many fields",
        ),
    ] {
        assert_eq!(r(&mut db, line), err(want), "{line}");
    }
    // A huge positive count is the whole hash.
    assert_eq!(
        r(&mut db, "HRANDFIELD h 9223372036854775807"),
        bulks(&["a"])
    );
    assert_eq!(
        r(&mut db, "HRANDFIELD h 4611686018427387903 WITHVALUES"),
        Reply::Pairs(vec![(Reply::bulk("a"), Reply::bulk("1"))])
    );
}

/// Every page of an HSCAN until the cursor is 0: the fields and values seen.
fn hscan_all(db: &mut Raw, key: &str, opts: &str) -> Vec<(String, String)> {
    let mut cursor = "0".to_string();
    let mut seen = vec![];
    for _ in 0..1000 {
        let Reply::Array(page) = r(db, &format!("HSCAN {key} {cursor} {opts}")) else {
            panic!("an array")
        };
        let [next, Reply::Array(items)] = &page[..] else {
            panic!("[cursor, items]: {page:?}")
        };
        for pair in items.chunks(2) {
            seen.push((show(&pair[0]), show(&pair[1])));
        }
        cursor = show(next);
        if cursor == "0" {
            return seen;
        }
    }
    panic!("the scan ends")
}

#[test]
fn hscan_pages_and_match() {
    let mut db = Raw::new();
    for i in 0..100 {
        r(&mut db, &format!("HSET h field:{i} v{i} other:{i} w"));
    }
    for count in ["", "COUNT 1", "COUNT 7", "COUNT 1000"] {
        let mut seen = hscan_all(&mut db, "h", count);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 200, "{count}");
    }
    let matched = hscan_all(&mut db, "h", "MATCH field:1* COUNT 5");
    assert_eq!(matched.len(), 11);
    assert!(matched.iter().all(|(f, _)| f.starts_with("field:1")));
    assert!(matched.contains(&("field:17".into(), "v17".into())));
    assert_eq!(
        r(&mut db, "HSCAN nokey 0 COUNT x"),
        Reply::Array(vec![bulk("0"), bulks(&[])]),
        "no key: the empty scan, whatever the options"
    );
    r(&mut db, "SET s x");
    for (line, want) in [
        ("HSCAN h x", "ERR invalid cursor"),
        ("HSCAN s x", "ERR invalid cursor"),
        ("HSCAN s 0 COUNT x", WRONGTYPE),
        (
            "HSCAN h 0 COUNT x",
            "ERR value is not an integer or out of range",
        ),
        ("HSCAN h 0 COUNT 0", "ERR syntax error"),
        ("HSCAN h 0 COUNT -1", "ERR syntax error"),
        ("HSCAN h 0 MATCH", "ERR syntax error"),
        ("HSCAN h 0 TYPE string", "ERR syntax error"),
        ("HSCAN h 0 NOVALUES", "ERR syntax error"),
    ] {
        assert_eq!(r(&mut db, line), err(want), "{line}");
    }
}

// --------------------------------------------------------------- property

const KEYS: [&str; 2] = ["h1", "h2"];
const FIELDS: [&str; 4] = ["a", "b", "", "long-field-name"];
const VALUES: [&str; 4] = ["0", "12", "x", ""];

/// One write of the property's streams.
#[derive(Clone, Debug)]
enum Write {
    HSet(usize, Vec<(usize, usize)>),
    HMSet(usize, Vec<(usize, usize)>),
    HSetNx(usize, usize, usize),
    HDel(usize, Vec<usize>),
    HIncrBy(usize, usize, i8),
    Del(usize),
}

impl Arbitrary for Write {
    fn arbitrary(g: &mut Gen) -> Write {
        let k = usize::arbitrary(g) % KEYS.len();
        let f = |g: &mut Gen| usize::arbitrary(g) % FIELDS.len();
        let v = |g: &mut Gen| usize::arbitrary(g) % VALUES.len();
        let n = 1 + usize::arbitrary(g) % 3;
        match u8::arbitrary(g) % 8 {
            0 | 1 => Write::HSet(k, (0..n).map(|_| (f(g), v(g))).collect()),
            2 => Write::HMSet(k, (0..n).map(|_| (f(g), v(g))).collect()),
            3 => Write::HSetNx(k, f(g), v(g)),
            4 | 5 => Write::HDel(k, (0..n).map(|_| f(g)).collect()),
            6 => Write::HIncrBy(k, f(g), i8::arbitrary(g)),
            _ => Write::Del(k),
        }
    }
}

type Model = BTreeMap<&'static str, BTreeMap<&'static str, String>>;

/// The request and the reply the model expects, applying it to the model.
fn apply(model: &mut Model, w: &Write) -> (String, Reply) {
    match w {
        Write::HSet(k, pairs) | Write::HMSet(k, pairs) => {
            let h = model.entry(KEYS[*k]).or_default();
            let mut added = 0;
            let mut line = String::new();
            for (f, v) in pairs {
                added += i64::from(h.insert(FIELDS[*f], VALUES[*v].into()).is_none());
                line.push_str(&format!(" {} {}", quote(FIELDS[*f]), quote(VALUES[*v])));
            }
            if matches!(w, Write::HSet(..)) {
                (format!("HSET {}{line}", KEYS[*k]), int(added))
            } else {
                (format!("HMSET {}{line}", KEYS[*k]), Reply::ok())
            }
        }
        Write::HSetNx(k, f, v) => {
            let h = model.entry(KEYS[*k]).or_default();
            let new = !h.contains_key(FIELDS[*f]);
            if new {
                h.insert(FIELDS[*f], VALUES[*v].into());
            }
            let line = format!(
                "HSETNX {} {} {}",
                KEYS[*k],
                quote(FIELDS[*f]),
                quote(VALUES[*v])
            );
            (line, int(i64::from(new)))
        }
        Write::HDel(k, fields) => {
            let mut removed = 0;
            let mut line = format!("HDEL {}", KEYS[*k]);
            for f in fields {
                if let Some(h) = model.get_mut(KEYS[*k]) {
                    removed += i64::from(h.remove(FIELDS[*f]).is_some());
                }
                line.push_str(&format!(" {}", quote(FIELDS[*f])));
            }
            (line, int(removed))
        }
        Write::HIncrBy(k, f, by) => {
            let h = model.entry(KEYS[*k]).or_default();
            let line = format!("HINCRBY {} {} {by}", KEYS[*k], quote(FIELDS[*f]));
            let old = h.get(FIELDS[*f]).map_or(Some(0), |v| v.parse::<i64>().ok());
            match old.filter(|_| h.get(FIELDS[*f]).is_none_or(|v| !v.is_empty())) {
                Some(n) => {
                    let new = n + i64::from(*by);
                    h.insert(FIELDS[*f], new.to_string());
                    (line, int(new))
                }
                None => (line, err("ERR hash value is not an integer")),
            }
        }
        Write::Del(k) => {
            let had = model.remove(KEYS[*k]).is_some_and(|h| !h.is_empty());
            (format!("DEL {}", KEYS[*k]), int(i64::from(had)))
        }
    }
}

/// A word for [`run_line`]: `-` stands for the empty argument.
fn quote(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

/// Run a line whose `-` words are empty arguments.
fn run_line(raw: &mut Raw, line: &str) -> Reply {
    let args: Vec<Vec<u8>> = line
        .split_whitespace()
        .map(|w| {
            if w == "-" {
                vec![]
            } else {
                w.as_bytes().to_vec()
            }
        })
        .collect();
    run_seeded(raw, &args, 1)
}

/// The fields under `key`'s prefix, decoded from the raw store.
fn decoded(raw: &Raw, key: &str) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let p = element_prefix(HASH_PREFIX, key.as_bytes());
    raw.iter()
        .filter_map(|(k, v)| k.strip_prefix(&p[..]).map(|f| (f.to_vec(), v.to_vec())))
        .collect()
}

fn matches_model(raw: &Raw, model: &Model) -> bool {
    KEYS.iter().all(|key| {
        let want: BTreeMap<Vec<u8>, Vec<u8>> = model
            .get(key)
            .into_iter()
            .flatten()
            .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        let meta = read_meta(raw, key.as_bytes(), NOW);
        let len_ok = match &meta {
            MetaRead::Live(m) => m.len == want.len() as u64 && !want.is_empty(),
            MetaRead::Absent => want.is_empty(),
            MetaRead::Expired(_) => false,
        };
        decoded(raw, key) == want && len_ok
    }) && raw.keys().all(|k| {
        // Nothing but the two hashes' metas and fields.
        KEYS.iter().any(|key| {
            k.starts_with(&element_prefix(HASH_PREFIX, key.as_bytes()))
                || k[..] == crate::collections::encoding::meta_key(key.as_bytes())[..]
        })
    })
}

quickcheck! {
    fn hash_writes_match_a_plain_model(writes: Vec<Write>) -> bool {
        let mut raw = Raw::new();
        let mut model = Model::new();
        for w in &writes {
            let (line, want) = apply(&mut model, w);
            let got = run_line(&mut raw, &line);
            if got != want || !matches_model(&raw, &model) {
                eprintln!("{line}: got {got:?}, want {want:?}\n{raw:?}");
                return false;
            }
        }
        true
    }
}
