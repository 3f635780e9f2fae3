//! The list commands end to end (parse → execute over a plain `BTreeMap`
//! raw store), their errors as redis-server 7.0.15 answers them, and a
//! quickcheck property: random streams of list writes on two keys leave
//! exactly the items a `VecDeque` model holds, with an exact meta and no
//! stray keys, and answer what the model answers.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use quickcheck::{quickcheck, Arbitrary, Gen};

use crate::cmd::test_support::{bulk, bulks, err, int, r, Raw, NOT_INT, NOW, SYNTAX, WRONGTYPE};
use crate::collections::encoding::{
    decode_meta, decode_seq, element_prefix, meta_key, LIST_PREFIX,
};
use crate::modes::ChainModes;
use crate::resp::Reply;
use crate::strings::KeyspaceWrite;

fn ints(v: &[i64]) -> Reply {
    Reply::Array(v.iter().map(|&n| int(n)).collect())
}

#[test]
fn pushes_pops_and_ranges() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "RPUSH l b c"), int(2));
    assert_eq!(r(&mut db, "LPUSH l a z"), int(4));
    assert_eq!(r(&mut db, "LRANGE l 0 -1"), bulks(&["z", "a", "b", "c"]));
    assert_eq!(r(&mut db, "LLEN l"), int(4));
    assert_eq!(r(&mut db, "LINDEX l 0"), bulk("z"));
    assert_eq!(r(&mut db, "LINDEX l -1"), bulk("c"));
    assert_eq!(r(&mut db, "LINDEX l 4"), Reply::Nil);
    assert_eq!(r(&mut db, "LINDEX l -5"), Reply::Nil);
    assert_eq!(r(&mut db, "LINDEX l 4294967296"), Reply::Nil);
    assert_eq!(r(&mut db, "LRANGE l 1 2"), bulks(&["a", "b"]));
    assert_eq!(r(&mut db, "LRANGE l -2 100"), bulks(&["b", "c"]));
    assert_eq!(r(&mut db, "LRANGE l 0 -100"), bulks(&[]));
    assert_eq!(
        r(&mut db, "LRANGE l -9223372036854775808 9223372036854775807"),
        bulks(&["z", "a", "b", "c"])
    );
    assert_eq!(r(&mut db, "LPOP l"), bulk("z"));
    assert_eq!(r(&mut db, "RPOP l"), bulk("c"));
    assert_eq!(r(&mut db, "LPOP l 0"), bulks(&[]));
    assert_eq!(r(&mut db, "RPOP l 9223372036854775807"), bulks(&["b", "a"]));
    assert!(db.is_empty(), "an emptied list leaves no keys: {db:?}");
    assert_eq!(r(&mut db, "LPOP l"), Reply::Nil);
    assert_eq!(r(&mut db, "LPOP l 2"), Reply::NilArray);
    assert_eq!(r(&mut db, "LPOP l 0"), Reply::NilArray);
    assert_eq!(r(&mut db, "LLEN l"), int(0));
    assert_eq!(r(&mut db, "LRANGE l 0 -1"), bulks(&[]));
    assert_eq!(r(&mut db, "LPUSHX l a"), int(0));
    assert_eq!(r(&mut db, "RPUSH l a"), int(1));
    assert_eq!(r(&mut db, "RPUSHX l b c"), int(3));
    assert_eq!(r(&mut db, "LPUSHX l z"), int(4));
    assert_eq!(r(&mut db, "LRANGE l 0 -1"), bulks(&["z", "a", "b", "c"]));
}

#[test]
fn errors_as_redis_answers_them() {
    let mut db = Raw::new();
    r(&mut db, "RPUSH l a b c");
    r(&mut db, "SET s v");
    let positive = "ERR value is out of range, must be positive";
    assert_eq!(r(&mut db, "LPOP l -1"), err(positive));
    assert_eq!(r(&mut db, "LPOP l x"), err(positive));
    assert_eq!(
        r(&mut db, "LPOP l 1 2"),
        err("ERR wrong number of arguments for 'lpop' command")
    );
    assert_eq!(r(&mut db, "LINDEX nokey x"), Reply::Nil);
    assert_eq!(r(&mut db, "LSET nokey x a"), err("ERR no such key"));
    assert_eq!(r(&mut db, "LSET s x a"), err(WRONGTYPE));
    assert_eq!(
        r(&mut db, "LPUSH"),
        err("ERR wrong number of arguments for 'lpush' command")
    );
    assert_eq!(r(&mut db, "LINDEX l x"), err(NOT_INT));
    assert_eq!(r(&mut db, "LRANGE l 0 x"), err(NOT_INT));
    assert_eq!(r(&mut db, "LSET nokey 0 a"), err("ERR no such key"));
    assert_eq!(r(&mut db, "LSET l 3 a"), err("ERR index out of range"));
    assert_eq!(r(&mut db, "LSET l x a"), err(NOT_INT));
    assert_eq!(r(&mut db, "LINSERT l middle a b"), err(SYNTAX));
    assert_eq!(r(&mut db, "LMOVE l l up left"), err(SYNTAX));
    assert_eq!(
        r(&mut db, "LPOS l a rank 0"),
        err(crate::cmd::error::RANK_ZERO)
    );
    assert_eq!(r(&mut db, "LPOS l a rank x"), err(NOT_INT));
    assert_eq!(
        r(&mut db, "LPOS l a count -1"),
        err("ERR COUNT can't be negative")
    );
    assert_eq!(
        r(&mut db, "LPOS l a maxlen x"),
        err("ERR MAXLEN can't be negative")
    );
    assert_eq!(r(&mut db, "LPOS l a rank"), err(SYNTAX));
    assert_eq!(r(&mut db, "LPOS l a foo 1"), err(SYNTAX));
    let numkeys = "ERR numkeys should be greater than 0";
    assert_eq!(r(&mut db, "LMPOP 0 l left"), err(numkeys));
    assert_eq!(r(&mut db, "LMPOP x l left"), err(numkeys));
    assert_eq!(r(&mut db, "LMPOP 3 l left"), err(SYNTAX));
    assert_eq!(r(&mut db, "LMPOP 9223372036854775807 l left"), err(SYNTAX));
    assert_eq!(r(&mut db, "LMPOP 1 l up"), err(SYNTAX));
    let count = "ERR count should be greater than 0";
    assert_eq!(r(&mut db, "LMPOP 1 l left count 0"), err(count));
    assert_eq!(r(&mut db, "LMPOP 1 l left count 1 count 2"), err(SYNTAX));
    for cmd in [
        "LPUSH s a",
        "LPUSHX s a",
        "LPOP s",
        "LLEN s",
        "LINDEX s 0",
        "LRANGE s 0 1",
        "LSET s 0 a",
        "LREM s 0 a",
        "LTRIM s 0 1",
        "LINSERT s before a b",
        "LPOS s a",
        "LMOVE l s left left",
        "LMOVE s l left left",
        "LMPOP 2 nokey s left",
    ] {
        assert_eq!(r(&mut db, cmd), err(WRONGTYPE), "{cmd}");
    }
    assert_eq!(r(&mut db, "LRANGE l 0 -1"), bulks(&["a", "b", "c"]));
    assert_eq!(r(&mut db, "LMOVE nokey s left left"), Reply::Nil);
    assert_eq!(
        r(&mut db, "LMPOP 2 l s left"),
        Reply::Array(vec![bulk("l"), bulks(&["a"])])
    );
}

#[test]
fn middle_changes() {
    let mut db = Raw::new();
    r(&mut db, "RPUSH l a b c a b c");
    assert_eq!(r(&mut db, "LSET l -1 z"), Reply::ok());
    assert_eq!(r(&mut db, "LINSERT l before b x"), int(7));
    assert_eq!(r(&mut db, "LINSERT l AFTER c y"), int(8));
    assert_eq!(r(&mut db, "LINSERT l after nothere y"), int(-1));
    assert_eq!(r(&mut db, "LINSERT nokey after a y"), int(0));
    assert_eq!(
        r(&mut db, "LRANGE l 0 -1"),
        bulks(&["a", "x", "b", "c", "y", "a", "b", "z"])
    );
    assert_eq!(r(&mut db, "LREM l -1 b"), int(1));
    assert_eq!(r(&mut db, "LREM l 0 a"), int(2));
    assert_eq!(r(&mut db, "LREM l 0 nothere"), int(0));
    assert_eq!(
        r(&mut db, "LRANGE l 0 -1"),
        bulks(&["x", "b", "c", "y", "z"])
    );
    assert_eq!(r(&mut db, "LTRIM l 1 -2"), Reply::ok());
    assert_eq!(r(&mut db, "LRANGE l 0 -1"), bulks(&["b", "c", "y"]));
    assert_eq!(r(&mut db, "LTRIM nokey 0 1"), Reply::ok());
    assert_eq!(r(&mut db, "LTRIM l 5 10"), Reply::ok());
    assert!(db.is_empty(), "{db:?}");
}

#[test]
fn lpos_ranks_counts_and_maxlen() {
    let mut db = Raw::new();
    r(&mut db, "RPUSH l a b c 1 2 3 c c");
    assert_eq!(r(&mut db, "LPOS l c"), int(2));
    assert_eq!(r(&mut db, "LPOS l c rank 2"), int(6));
    assert_eq!(r(&mut db, "LPOS l c rank -1"), int(7));
    assert_eq!(r(&mut db, "LPOS l c count 0"), ints(&[2, 6, 7]));
    assert_eq!(r(&mut db, "LPOS l c count 2 rank -1"), ints(&[7, 6]));
    assert_eq!(r(&mut db, "LPOS l c count 0 maxlen 3"), ints(&[2]));
    assert_eq!(
        r(&mut db, "LPOS l c count 0 rank -1 maxlen 2"),
        ints(&[7, 6])
    );
    assert_eq!(r(&mut db, "LPOS l c rank 4"), Reply::Nil);
    assert_eq!(r(&mut db, "LPOS l z count 1"), ints(&[]));
    assert_eq!(r(&mut db, "LPOS nokey z count 1"), ints(&[]));
    assert_eq!(r(&mut db, "LPOS nokey z"), Reply::Nil);
    assert_eq!(
        r(&mut db, "LPOS l c rank -9223372036854775808 count 1"),
        ints(&[7, 6, 2])
    );
}

#[test]
fn moves_and_multi_pops() {
    let mut db = Raw::new();
    r(&mut db, "RPUSH l a b c");
    assert_eq!(r(&mut db, "RPOPLPUSH l l"), bulk("c"));
    assert_eq!(r(&mut db, "LRANGE l 0 -1"), bulks(&["c", "a", "b"]));
    assert_eq!(r(&mut db, "LMOVE l m left right"), bulk("c"));
    assert_eq!(r(&mut db, "LMOVE l m RIGHT LEFT"), bulk("b"));
    assert_eq!(r(&mut db, "LRANGE m 0 -1"), bulks(&["b", "c"]));
    assert_eq!(r(&mut db, "LMOVE l l left left"), bulk("a"));
    assert_eq!(
        r(&mut db, "LMPOP 3 nokey l m right count 10"),
        Reply::Array(vec![bulk("l"), bulks(&["a"])])
    );
    assert_eq!(
        r(&mut db, "LMPOP 2 l m LEFT"),
        Reply::Array(vec![bulk("m"), bulks(&["b"])])
    );
    assert_eq!(r(&mut db, "LMPOP 1 l left"), Reply::NilArray);
    assert_eq!(r(&mut db, "RPOP m"), bulk("c"));
    assert!(db.is_empty(), "{db:?}");
}

#[test]
fn an_expired_list_is_gone_for_reads_and_writes() {
    let mut db = Raw::new();
    r(&mut db, "RPUSH l a b");
    assert_eq!(r(&mut db, "PEXPIREAT l 1"), int(1));
    assert_eq!(r(&mut db, "LLEN l"), int(0));
    assert_eq!(r(&mut db, "LPUSHX l x"), int(0));
    assert_eq!(r(&mut db, "RPUSH l c"), int(1));
    assert_eq!(r(&mut db, "LRANGE l 0 -1"), bulks(&["c"]));
    assert_eq!(r(&mut db, "TTL l"), int(-1));
}

// ------------------------------------------------------------ property

/// One list write, on key `a` or `b`.
#[derive(Clone, Debug)]
enum Step {
    Push {
        left: bool,
        key: bool,
        items: Vec<u8>,
    },
    Pop {
        left: bool,
        key: bool,
        count: Option<u8>,
    },
    Insert {
        key: bool,
        after: bool,
        pivot: u8,
        item: u8,
    },
    Rem {
        key: bool,
        count: i8,
        item: u8,
    },
    Trim {
        key: bool,
        start: i8,
        stop: i8,
    },
    Set {
        key: bool,
        index: i8,
        item: u8,
    },
    Move {
        from: bool,
        to: bool,
        src_left: bool,
        dst_left: bool,
    },
    MPop {
        left: bool,
        count: u8,
    },
}

impl Arbitrary for Step {
    fn arbitrary(g: &mut Gen) -> Step {
        let small = |g: &mut Gen| u8::arbitrary(g) % 4;
        let idx = |g: &mut Gen| i8::arbitrary(g) % 10;
        match u8::arbitrary(g) % 9 {
            0 | 1 => Step::Push {
                left: bool::arbitrary(g),
                key: bool::arbitrary(g),
                items: (0..1 + usize::arbitrary(g) % 4).map(|_| small(g)).collect(),
            },
            2 => Step::Pop {
                left: bool::arbitrary(g),
                key: bool::arbitrary(g),
                count: Option::<u8>::arbitrary(g).map(|c| c % 4),
            },
            3 => Step::Insert {
                key: bool::arbitrary(g),
                after: bool::arbitrary(g),
                pivot: small(g),
                item: 4 + small(g),
            },
            4 => Step::Rem {
                key: bool::arbitrary(g),
                count: i8::arbitrary(g) % 3,
                item: small(g),
            },
            5 => Step::Trim {
                key: bool::arbitrary(g),
                start: idx(g),
                stop: idx(g),
            },
            6 => Step::Set {
                key: bool::arbitrary(g),
                index: idx(g),
                item: 4 + small(g),
            },
            7 => Step::Move {
                from: bool::arbitrary(g),
                to: bool::arbitrary(g),
                src_left: bool::arbitrary(g),
                dst_left: bool::arbitrary(g),
            },
            _ => Step::MPop {
                left: bool::arbitrary(g),
                count: 1 + u8::arbitrary(g) % 3,
            },
        }
    }
}

fn key_name(k: bool) -> &'static str {
    if k {
        "a"
    } else {
        "b"
    }
}

fn side(left: bool) -> &'static str {
    if left {
        "LEFT"
    } else {
        "RIGHT"
    }
}

type Model = BTreeMap<&'static str, VecDeque<u8>>;

fn item(n: u8) -> Reply {
    Reply::bulk(vec![b'0' + n])
}

/// The model's Redis index resolution.
fn model_index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// Apply `step` to the model; the request and the reply Redis gives.
fn model_step(m: &mut Model, step: &Step) -> (String, Reply) {
    let list = |m: &mut Model, k: bool| m.entry(key_name(k)).or_default().clone();
    let (line, reply) = match step {
        Step::Push { left, key, items } => {
            let mut l = list(m, *key);
            for &i in items {
                if *left {
                    l.push_front(i)
                } else {
                    l.push_back(i)
                }
            }
            let reply = int(l.len() as i64);
            m.insert(key_name(*key), l);
            let words: Vec<String> = items.iter().map(|i| i.to_string()).collect();
            let cmd = if *left { "LPUSH" } else { "RPUSH" };
            (
                format!("{cmd} {} {}", key_name(*key), words.join(" ")),
                reply,
            )
        }
        Step::Pop { left, key, count } => {
            let mut l = list(m, *key);
            let cmd = if *left { "LPOP" } else { "RPOP" };
            let pop = |l: &mut VecDeque<u8>| if *left { l.pop_front() } else { l.pop_back() };
            let reply = match count {
                None => pop(&mut l).map_or(Reply::Nil, item),
                Some(_) if l.is_empty() => Reply::NilArray,
                Some(c) => Reply::Array((0..*c).filter_map(|_| pop(&mut l)).map(item).collect()),
            };
            m.insert(key_name(*key), l);
            let count = count.map_or(String::new(), |c| c.to_string());
            (format!("{cmd} {} {count}", key_name(*key)), reply)
        }
        Step::Insert {
            key,
            after,
            pivot,
            item: it,
        } => {
            let mut l = list(m, *key);
            let reply = if l.is_empty() {
                int(0)
            } else {
                match l.iter().position(|x| x == pivot) {
                    None => int(-1),
                    Some(p) => {
                        l.insert(if *after { p + 1 } else { p }, *it);
                        int(l.len() as i64)
                    }
                }
            };
            m.insert(key_name(*key), l);
            let place = if *after { "AFTER" } else { "BEFORE" };
            (
                format!("LINSERT {} {place} {pivot} {it}", key_name(*key)),
                reply,
            )
        }
        Step::Rem {
            key,
            count,
            item: it,
        } => {
            let l = list(m, *key);
            let mut hits: Vec<usize> = (0..l.len()).filter(|&i| l[i] == *it).collect();
            if *count > 0 {
                hits.truncate(*count as usize);
            } else if *count < 0 {
                let keep = hits.len().saturating_sub(count.unsigned_abs() as usize);
                hits.drain(..keep);
            }
            let kept: VecDeque<u8> = (0..l.len())
                .filter(|i| !hits.contains(i))
                .map(|i| l[i])
                .collect();
            m.insert(key_name(*key), kept);
            (
                format!("LREM {} {count} {it}", key_name(*key)),
                int(hits.len() as i64),
            )
        }
        Step::Trim { key, start, stop } => {
            let l = list(m, *key);
            let len = l.len() as i64;
            let s = if *start < 0 {
                i64::from(*start) + len
            } else {
                i64::from(*start)
            }
            .max(0);
            let e = (if *stop < 0 {
                i64::from(*stop) + len
            } else {
                i64::from(*stop)
            })
            .min(len - 1);
            let kept: VecDeque<u8> = if s > e || s >= len {
                VecDeque::new()
            } else {
                l.range(s as usize..=e as usize).copied().collect()
            };
            m.insert(key_name(*key), kept);
            (
                format!("LTRIM {} {start} {stop}", key_name(*key)),
                Reply::ok(),
            )
        }
        Step::Set {
            key,
            index,
            item: it,
        } => {
            let mut l = list(m, *key);
            let reply = if l.is_empty() {
                err("ERR no such key")
            } else {
                match model_index(i64::from(*index), l.len()) {
                    None => err("ERR index out of range"),
                    Some(i) => {
                        l[i] = *it;
                        Reply::ok()
                    }
                }
            };
            m.insert(key_name(*key), l);
            (format!("LSET {} {index} {it}", key_name(*key)), reply)
        }
        Step::Move {
            from,
            to,
            src_left,
            dst_left,
        } => {
            let mut src = list(m, *from);
            let popped = if *src_left {
                src.pop_front()
            } else {
                src.pop_back()
            };
            m.insert(key_name(*from), src);
            if let Some(p) = popped {
                let mut dst = list(m, *to);
                if *dst_left {
                    dst.push_front(p)
                } else {
                    dst.push_back(p)
                }
                m.insert(key_name(*to), dst);
            }
            (
                format!(
                    "LMOVE {} {} {} {}",
                    key_name(*from),
                    key_name(*to),
                    side(*src_left),
                    side(*dst_left)
                ),
                popped.map_or(Reply::Nil, item),
            )
        }
        Step::MPop { left, count } => {
            let line = format!("LMPOP 2 a b {} COUNT {count}", side(*left));
            let mut reply = Reply::NilArray;
            for k in [true, false] {
                let mut l = list(m, k);
                if l.is_empty() {
                    continue;
                }
                let popped: Vec<Reply> = (0..*count)
                    .filter_map(|_| if *left { l.pop_front() } else { l.pop_back() })
                    .map(item)
                    .collect();
                m.insert(key_name(k), l);
                reply = Reply::Array(vec![Reply::bulk(key_name(k)), Reply::Array(popped)]);
                break;
            }
            (line, reply)
        }
    };
    m.retain(|_, l| !l.is_empty());
    (line, reply)
}

/// Every list the raw store holds, decoded from its keys, checking the
/// layout: an exact meta, contiguous sequence numbers, nothing else stored.
fn decode(raw: &Raw) -> Result<BTreeMap<&'static str, VecDeque<u8>>, String> {
    let mut out = BTreeMap::new();
    let mut accounted = 0;
    for k in [true, false] {
        let name = key_name(k);
        let Some(meta) = raw.get(&meta_key(name.as_bytes())[..]) else {
            continue;
        };
        accounted += 1;
        let meta = decode_meta(meta).ok_or("bad meta")?;
        let base = element_prefix(LIST_PREFIX, name.as_bytes());
        let mut items = VecDeque::new();
        let mut next = meta.head;
        for (key, v) in raw.range(base.to_vec()..) {
            let Some(suffix) = key.strip_prefix(&base[..]) else {
                break;
            };
            let seq = decode_seq(suffix).ok_or("bad seq")?;
            if seq != next {
                return Err(format!("{name}: seq {seq}, expected {next}"));
            }
            next += 1;
            items.push_back(v[0] - b'0');
            accounted += 1;
        }
        if next != meta.tail || meta.len != items.len() as u64 || items.is_empty() {
            return Err(format!("{name}: meta {meta:?}, {} items", items.len()));
        }
        out.insert(name, items);
    }
    if accounted != raw.len() {
        return Err(format!("stray keys: {raw:?}"));
    }
    Ok(out)
}

quickcheck! {
    fn list_writes_match_a_vecdeque_model(steps: Vec<Step>) -> bool {
        let mut raw = Raw::new();
        let mut model = Model::new();
        for step in &steps {
            let (line, want) = model_step(&mut model, step);
            let got = r(&mut raw, &line);
            if got != want {
                eprintln!("{line}: got {got:?}, model {want:?}");
                return false;
            }
            match decode(&raw) {
                Ok(lists) if lists == model => {}
                Ok(lists) => {
                    eprintln!("{line}: stored {lists:?}, model {model:?}");
                    return false;
                }
                Err(e) => {
                    eprintln!("{line}: {e}");
                    return false;
                }
            }
        }
        true
    }
}

/// The steps a blocking pop runs: nothing written while every key is empty,
/// WRONGTYPE in key order, a rotation when source and destination agree.
#[test]
fn try_pop_and_try_move_for_blocking_pops() {
    use super::{try_move, try_pop, MoveRefused};
    use crate::collections::list::End;
    use crate::collections::WrongType;

    let mut db = Raw::new();
    r(&mut db, "SET s v");
    let before = db.clone();
    let keys = |names: &[&str]| -> Vec<Bytes> {
        names
            .iter()
            .map(|n| Bytes::copy_from_slice(n.as_bytes()))
            .collect()
    };
    let mut ks = KeyspaceWrite::new(&mut db, NOW, ChainModes::default());
    assert_eq!(try_pop(&mut ks, &keys(&["x", "y"]), End::Left, 1), Ok(None));
    assert_eq!(
        try_pop(&mut ks, &keys(&["x", "s"]), End::Left, 1),
        Err(WrongType)
    );
    assert_eq!(
        try_move(&mut ks, b"x", b"s", End::Left, End::Left),
        Ok(None)
    );
    assert_eq!(db, before, "nothing written");
    r(&mut db, "RPUSH l a b c");
    let mut ks = KeyspaceWrite::new(&mut db, NOW, ChainModes::default());
    assert_eq!(
        try_move(&mut ks, b"l", b"s", End::Left, End::Left),
        Err(MoveRefused::WrongType)
    );
    assert_eq!(
        try_move(&mut ks, b"l", b"l", End::Right, End::Left),
        Ok(Some(Bytes::from_static(b"c")))
    );
    assert_eq!(
        try_pop(&mut ks, &keys(&["x", "l"]), End::Right, 5),
        Ok(Some((
            Bytes::from_static(b"l"),
            vec![
                Bytes::from_static(b"b"),
                Bytes::from_static(b"a"),
                Bytes::from_static(b"c")
            ]
        )))
    );
    assert_eq!(db, before, "the emptied list is gone");
}
