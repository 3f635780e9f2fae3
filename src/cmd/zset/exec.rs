//! The sorted-set executors: [`read`] for the readonly rows, [`write`] for
//! the rest, each a pure function of the parsed command and the view.
//! Replies take Redis 7.0's shapes: scores are doubles (bulk strings in
//! RESP2), member/score pairs are [`Reply::Pairs`] (flat in RESP2, nested
//! in RESP3) except ZMPOP's, which nest in both, and ZSCAN's, whose scores
//! are plain bulk strings.

use bytes::Bytes;

use super::algebra::{self, read_sources};
use super::range::{select, visit_lex, visit_scores};
use super::{format_score, AddFlags, Combine, End, Query, Range, Score, ZSetOp};
use crate::cmd::glob::glob_match;
use crate::cmd::{mismatch, Op, ReadView, WriteView};
use crate::collections::encoding::{decode_score, encode_score_key, ZSET_PREFIX};
use crate::collections::{scan_page, zset, Kind, Meta, WrongType};
use crate::resp::Reply;
use crate::rng::XorShift;

/// ZADD INCR / ZINCRBY reaching NaN (inf + -inf).
pub const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";

fn double(v: f64) -> Reply {
    Reply::Double(format_score(v))
}

fn pairs(items: Vec<(Bytes, f64)>) -> Reply {
    Reply::Pairs(
        items
            .into_iter()
            .map(|(m, s)| (Reply::Bulk(m), double(s)))
            .collect(),
    )
}

fn members_reply(items: Vec<(Bytes, f64)>, withscores: bool) -> Reply {
    if withscores {
        pairs(items)
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

fn empty() -> Reply {
    Reply::Array(vec![])
}

/// Run a readonly sorted-set command.
pub fn read(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::ZSetCmd(z) = op else {
        return mismatch();
    };
    match z {
        ZSetOp::Score { key, member } => match or_wrong_type!(ks.collection(key, Kind::ZSet)) {
            Some(_) => zset::score(ks.raw, key, member).map_or(Reply::Nil, double),
            None => Reply::Nil,
        },
        ZSetOp::MScore { key, members } => {
            let live = or_wrong_type!(ks.collection(key, Kind::ZSet)).is_some();
            Reply::Array(
                members
                    .iter()
                    .map(|m| {
                        live.then(|| zset::score(ks.raw, key, m))
                            .flatten()
                            .map_or(Reply::Nil, double)
                    })
                    .collect(),
            )
        }
        ZSetOp::Card { key } => {
            let meta = or_wrong_type!(ks.collection(key, Kind::ZSet));
            Reply::Integer(meta.map_or(0, |m| len_i64(&m)))
        }
        ZSetOp::Count { key, min, max } => {
            if or_wrong_type!(ks.collection(key, Kind::ZSet)).is_none() {
                return Reply::Integer(0);
            }
            let mut n = 0i64;
            visit_scores(ks.raw, key, min, max, &mut |_, _| {
                n += 1;
                true
            });
            Reply::Integer(n)
        }
        ZSetOp::LexCount { key, min, max } => {
            if or_wrong_type!(ks.collection(key, Kind::ZSet)).is_none() {
                return Reply::Integer(0);
            }
            let mut n = 0i64;
            visit_lex(ks.raw, key, min, max, &mut |_, _| {
                n += 1;
                true
            });
            Reply::Integer(n)
        }
        ZSetOp::Range {
            key,
            query,
            withscores,
        } => match or_wrong_type!(ks.collection(key, Kind::ZSet)) {
            Some(meta) => members_reply(select(ks.raw, key, meta.len, query), *withscores),
            None => empty(),
        },
        ZSetOp::Rank { key, member, rev } => {
            let Some(meta) = or_wrong_type!(ks.collection(key, Kind::ZSet)) else {
                return Reply::Nil;
            };
            match rank(ks, key, member) {
                Some(r) if *rev => Reply::Integer(len_i64(&meta) - 1 - r),
                Some(r) => Reply::Integer(r),
                None => Reply::Nil,
            }
        }
        ZSetOp::RandMember {
            key,
            count,
            withscores,
            seed,
        } => rand_member(ks, key, *count, *withscores, *seed),
        ZSetOp::Combine {
            combine,
            withscores,
        } => {
            let sources = or_wrong_type!(read_sources(ks, &combine.keys));
            if let Some(e) = &combine.options_error {
                return Reply::err(e.clone());
            }
            members_reply(algebra::compute(sources, combine), *withscores)
        }
        ZSetOp::InterCard { combine, limit } => {
            let sources = or_wrong_type!(read_sources(ks, &combine.keys));
            if let Some(e) = &combine.options_error {
                return Reply::err(e.clone());
            }
            let n = algebra::inter_card(sources, *limit);
            Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
        }
        ZSetOp::Scan {
            key,
            cursor,
            pattern,
            count,
            options_error,
        } => {
            let Some(_) = or_wrong_type!(ks.collection(key, Kind::ZSet)) else {
                return Reply::Array(vec![Reply::bulk("0"), empty()]);
            };
            if let Some(e) = options_error {
                return Reply::err(e.clone());
            }
            let mut items = Vec::new();
            let next = scan_page(ks.raw, ZSET_PREFIX, key, *cursor, *count, &mut |m, v| {
                if pattern.as_ref().is_none_or(|p| glob_match(p, m)) {
                    items.push(Reply::Bulk(Bytes::copy_from_slice(m)));
                    let s = decode_score(v).unwrap_or(0.0);
                    items.push(Reply::bulk(format_score(s)));
                }
            });
            Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(items)])
        }
        _ => mismatch(),
    }
}

fn len_i64(meta: &Meta) -> i64 {
    i64::try_from(meta.len).unwrap_or(i64::MAX)
}

/// `member`'s 0-based rank from the lowest score: O(rank), a walk of the
/// index up to it.
fn rank(ks: &ReadView<'_>, key: &[u8], member: &[u8]) -> Option<i64> {
    let score = zset::score(ks.raw, key, member)?;
    let target = encode_score_key(score);
    let mut n = 0i64;
    let mut found = false;
    zset::scan_index(ks.raw, key, b"", &mut |s, m| {
        if (encode_score_key(s), m) >= (target, member) {
            found = true;
            return false;
        }
        n += 1;
        true
    });
    found.then_some(n)
}

/// ZRANDMEMBER: one member (no count), `count` distinct ones, or `-count`
/// with repeats, chosen with the logged seed.
fn rand_member(
    ks: &ReadView<'_>,
    key: &[u8],
    count: Option<i64>,
    withscores: bool,
    seed: u64,
) -> Reply {
    let live = or_wrong_type!(ks.collection(key, Kind::ZSet)).is_some();
    let Some(count) = count else {
        if !live {
            return Reply::Nil;
        }
        let all = zset::all(ks.raw, key);
        let mut rng = XorShift::seeded(seed);
        let i = usize::try_from(rng.below(all.len() as u64)).unwrap_or(0);
        return all
            .get(i)
            .map_or(Reply::Nil, |(m, _)| Reply::Bulk(m.clone()));
    };
    if !live || count == 0 {
        return members_reply(Vec::new(), withscores);
    }
    let mut all = zset::all(ks.raw, key);
    let mut rng = XorShift::seeded(seed);
    let n = all.len() as u64;
    let picked = if count > 0 {
        let want = count.unsigned_abs().min(n);
        // A partial Fisher–Yates shuffle: the first `want` are distinct.
        for i in 0..want {
            let j = i + rng.below(n - i);
            all.swap(i as usize, j as usize);
        }
        all.truncate(want as usize);
        all
    } else {
        (0..count.unsigned_abs())
            .filter_map(|_| all.get(rng.below(n) as usize).cloned())
            .collect()
    };
    members_reply(picked, withscores)
}

/// Run a writing sorted-set command at its commit timestamp.
pub fn write(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ZSetCmd(z) = op else {
        return mismatch();
    };
    match z {
        ZSetOp::Add {
            key,
            flags,
            elements,
        } => add(ks, key, *flags, elements),
        ZSetOp::IncrBy { key, by, member } => {
            let flags = AddFlags {
                incr: true,
                ..AddFlags::default()
            };
            add(ks, key, flags, &[(*by, member.clone())])
        }
        ZSetOp::Rem { key, members } => {
            let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::ZSet)) else {
                return Reply::Integer(0);
            };
            let mut removed = 0i64;
            for m in members {
                if let Some(s) = zset::score(&*ks.raw, key, m) {
                    zset::delete(ks.raw, key, m, s);
                    meta.len = meta.len.saturating_sub(1);
                    removed += 1;
                }
            }
            if removed > 0 {
                ks.write_meta(key, &meta);
            }
            Reply::Integer(removed)
        }
        ZSetOp::RangeStore { dst, src, query } => {
            let items = match or_wrong_type!(ks.reader().collection(src, Kind::ZSet)) {
                Some(meta) => select(&*ks.raw, src, meta.len, query),
                None => Vec::new(),
            };
            store(ks, dst, items)
        }
        ZSetOp::RemRange { key, range } => {
            let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::ZSet)) else {
                return Reply::Integer(0);
            };
            let query = Query {
                range: range.clone(),
                rev: false,
                limit: None,
            };
            let items = select(&*ks.raw, key, meta.len, &query);
            for (m, s) in &items {
                zset::delete(ks.raw, key, m, *s);
            }
            meta.len = meta.len.saturating_sub(items.len() as u64);
            if !items.is_empty() {
                ks.write_meta(key, &meta);
            }
            Reply::Integer(items.len() as i64)
        }
        ZSetOp::Pop { key, end, count } => {
            let taken = or_wrong_type!(pop_first(
                ks,
                std::slice::from_ref(key),
                *end,
                count.unwrap_or(1)
            ));
            let items = taken.map(|(_, items)| items).unwrap_or_default();
            match count {
                Some(_) => pairs(items),
                None => Reply::Array(
                    items
                        .into_iter()
                        .flat_map(|(m, s)| [Reply::Bulk(m), double(s)])
                        .collect(),
                ),
            }
        }
        ZSetOp::MPop { keys, end, count } => {
            match or_wrong_type!(pop_first(ks, keys, *end, *count)) {
                Some(popped) => mpop_reply(popped),
                None => Reply::NilArray,
            }
        }
        ZSetOp::CombineStore { dst, combine } => combine_store(ks, dst, combine),
        _ => mismatch(),
    }
}

/// ZADD (and ZINCRBY, as ZADD INCR): Redis's `zsetAdd` per pair.
fn add(ks: &mut WriteView<'_>, key: &Bytes, flags: AddFlags, elements: &[(Score, Bytes)]) -> Reply {
    let exists = or_wrong_type!(ks.reader().collection(key, Kind::ZSet)).is_some();
    if !exists && flags.xx {
        return if flags.incr {
            Reply::Nil
        } else {
            Reply::Integer(0)
        };
    }
    let mut meta = or_wrong_type!(ks.open(key, Kind::ZSet));
    let (mut added, mut updated) = (0i64, 0i64);
    let mut last = None;
    for (score, member) in elements {
        let score = score.get();
        match zset::score(&*ks.raw, key, member) {
            Some(cur) => {
                if flags.nx {
                    continue;
                }
                let new = if flags.incr { cur + score } else { score };
                if new.is_nan() {
                    return finish_add(ks, key, &meta, added + updated > 0, Reply::err(NAN_SCORE));
                }
                if (flags.gt && new <= cur) || (flags.lt && new >= cur) {
                    continue;
                }
                last = Some(new);
                if new != cur {
                    zset::put(ks.raw, key, member, new, Some(cur));
                    updated += 1;
                }
            }
            None => {
                if flags.xx {
                    continue;
                }
                zset::put(ks.raw, key, member, score, None);
                meta.len += 1;
                added += 1;
                last = Some(score);
            }
        }
    }
    let reply = if flags.incr {
        last.map_or(Reply::Nil, double)
    } else {
        Reply::Integer(if flags.ch { added + updated } else { added })
    };
    finish_add(ks, key, &meta, added + updated > 0, reply)
}

fn finish_add(ks: &mut WriteView<'_>, key: &[u8], meta: &Meta, changed: bool, r: Reply) -> Reply {
    if changed {
        ks.write_meta(key, meta);
    }
    r
}

/// A pop's key and the members taken from it, in pop order.
pub type Popped = (Bytes, Vec<(Bytes, f64)>);

/// ZMPOP's (and BZMPOP's) reply: the key, then `[member, score]` pairs.
pub fn mpop_reply((key, items): Popped) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(key),
        Reply::Array(
            items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), double(s)]))
                .collect(),
        ),
    ])
}

/// Pop up to `count` members from the low or high end of the first of
/// `keys` that holds a sorted set (missing keys are skipped; a key of
/// another type stops the search with [`WrongType`]). Returns that key and
/// the members popped, in pop order; `None` when every key is empty.
///
/// This is the whole of ZPOPMIN, ZPOPMAX and ZMPOP, and what the blocking
/// BZPOPMIN, BZPOPMAX and BZMPOP run once a key is served.
pub fn pop_first(
    ks: &mut WriteView<'_>,
    keys: &[Bytes],
    end: End,
    count: u64,
) -> Result<Option<Popped>, WrongType> {
    for key in keys {
        let Some(mut meta) = ks.reader().collection(key, Kind::ZSet)? else {
            continue;
        };
        if count == 0 {
            return Ok(Some((key.clone(), Vec::new())));
        }
        let stop = i64::try_from(count - 1).unwrap_or(i64::MAX);
        let query = Query {
            range: Range::Rank { start: 0, stop },
            rev: end == End::Max,
            limit: None,
        };
        let items = select(&*ks.raw, key, meta.len, &query);
        for (m, s) in &items {
            zset::delete(ks.raw, key, m, *s);
        }
        meta.len = meta.len.saturating_sub(items.len() as u64);
        ks.write_meta(key, &meta);
        return Ok(Some((key.clone(), items)));
    }
    Ok(None)
}

/// Replace `dst` (of any type) with a sorted set of `items`; an empty
/// result deletes it. Replies the members stored.
fn store(ks: &mut WriteView<'_>, dst: &[u8], items: Vec<(Bytes, f64)>) -> Reply {
    ks.delete(dst);
    let n = items.len() as u64;
    for (m, s) in &items {
        zset::put(ks.raw, dst, m, *s, None);
    }
    if n > 0 {
        let meta = Meta {
            len: n,
            ..Meta::new(Kind::ZSet)
        };
        ks.write_meta(dst, &meta);
    }
    Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

fn combine_store(ks: &mut WriteView<'_>, dst: &[u8], c: &Combine) -> Reply {
    let sources = or_wrong_type!(read_sources(&ks.reader(), &c.keys));
    if let Some(e) = &c.options_error {
        return Reply::err(e.clone());
    }
    let items = algebra::compute(sources, c);
    store(ks, dst, items)
}
