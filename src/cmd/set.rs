//! Set commands: parsing, with Redis 7.0's error texts, and semantics over
//! the collection layout (one key per member, `crate::collections::set`).
//!
//! Members come back in byte order (Redis's come in hash order, which no
//! client may rely on: `SMEMBERS` and friends are `nondeterministic_output_order`).
//! Set-valued replies are RESP3 sets (`Reply::Set`) where Redis sends one.
//!
//! Each command has a `parse_*` (its row's parser) and an `exec_*` (its
//! row's executor); the rows are [`COMMANDS`] (`set/rows.rs`). Unit tests and a quickcheck
//! property against a `BTreeSet` model are in `set/tests.rs`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, BTreeSet};

use super::args::{is, numkeys_keys, parse_i64};
use super::error::ParseError;
use super::glob::glob_match;
use super::keys::parse_cursor;
use super::strings::arg;
use super::{mismatch, Op, ParseCtx, ReadView, WriteView};
use crate::collections::encoding::SET_PREFIX;
use crate::collections::{scan_page, set, Kind, Meta, WrongType};
use crate::resp::Reply;
use crate::rng::XorShift;
use crate::strings::{KeyspaceRead, RawGet};

/// A parsed set command's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SetOp {
    /// SADD key member [member ...]
    Add { key: Bytes, members: Vec<Bytes> },
    /// SREM key member [member ...]
    Rem { key: Bytes, members: Vec<Bytes> },
    /// SMEMBERS key
    Members { key: Bytes },
    /// SISMEMBER key member
    IsMember { key: Bytes, member: Bytes },
    /// SCARD key
    Card { key: Bytes },
    /// SMISMEMBER key member [member ...]
    MIsMember { key: Bytes, members: Vec<Bytes> },
    /// SMOVE source destination member
    Move {
        src: Bytes,
        dst: Bytes,
        member: Bytes,
    },
    /// SPOP key [count]; `seed` is the accepting node's draw, which decides
    /// the members removed on every replica.
    Pop {
        key: Bytes,
        count: Option<u64>,
        seed: u64,
    },
    /// SRANDMEMBER key [count] (a negative count allows repeats).
    RandMember {
        key: Bytes,
        count: Option<i64>,
        seed: u64,
    },
    /// SINTER/SUNION/SDIFF key [key ...], and their *STORE forms with `dest`.
    Combine {
        how: Combine,
        keys: Vec<Bytes>,
        dest: Option<Bytes>,
    },
    /// SINTERCARD numkeys key [key ...] [LIMIT limit] (0: no limit).
    InterCard { keys: Vec<Bytes>, limit: u64 },
    /// SSCAN key cursor [MATCH pattern] [COUNT count]
    Scan {
        key: Bytes,
        cursor: u64,
        options: ScanOptions,
    },
}

/// How SINTER, SUNION and SDIFF combine their sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Combine {
    Inter,
    Union,
    /// The first set less every other.
    Diff,
}

/// SSCAN's options. Redis reads them only once it found the key (`SSCAN
/// missing 0 COUNT x` is an empty page), so a bad option is kept and
/// answered by the executor for an existing set.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScanOptions {
    Valid {
        pattern: Option<Bytes>,
        count: u64,
    },
    /// The error text an existing set answers.
    Invalid(String),
}

/// The largest number of members a negative SRANDMEMBER count may ask for.
/// Redis 7.0 accepts any count down to `-LONG_MAX` and builds the reply
/// (a huge count exhausts its memory); here the reply is bounded.
pub const MAX_RANDOM_REPEATS: u64 = 1 << 20;

fn op(o: SetOp) -> Op {
    Op::SetCmd(o)
}

fn bulks(members: Vec<Bytes>) -> Vec<Reply> {
    members.into_iter().map(Reply::Bulk).collect()
}

// ---------------------------------------------------------- SADD / SREM

/// `SADD key member [member ...]`
fn parse_sadd(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::Add {
        key: arg(args, 1),
        members: args.get(2..).unwrap_or(&[]).to_vec(),
    }))
}

/// SADD: how many members were new. Creates the set (clearing any dead
/// form of the key first); WRONGTYPE for a key of another type.
fn exec_sadd(o: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Add { key, members }) = o else {
        return mismatch();
    };
    let mut meta = or_wrong_type!(ks.open(key, Kind::Set));
    let added = members
        .iter()
        .filter(|m| set::insert(ks.raw, key, &mut meta, m))
        .count();
    if added > 0 {
        ks.write_meta(key, &meta);
    }
    Reply::Integer(added as i64)
}

/// `SREM key member [member ...]`
fn parse_srem(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::Rem {
        key: arg(args, 1),
        members: args.get(2..).unwrap_or(&[]).to_vec(),
    }))
}

/// SREM: how many members were removed; an emptied set is deleted.
fn exec_srem(o: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Rem { key, members }) = o else {
        return mismatch();
    };
    let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::Set)) else {
        return Reply::Integer(0);
    };
    let removed = members
        .iter()
        .filter(|m| set::remove(ks.raw, key, &mut meta, m))
        .count();
    if removed > 0 {
        ks.write_meta(key, &meta);
    }
    Reply::Integer(removed as i64)
}

// ------------------------------------------------------------- reads

fn parse_key_only(args: &[Bytes], make: fn(Bytes) -> SetOp) -> Result<Op, ParseError> {
    Ok(op(make(arg(args, 1))))
}

/// `SMEMBERS key`
fn parse_smembers(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_key_only(args, |key| SetOp::Members { key })
}

/// SMEMBERS: every member, a set (empty for a missing key). O(n).
fn exec_smembers(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Members { key }) = o else {
        return mismatch();
    };
    match or_wrong_type!(ks.collection(key, Kind::Set)) {
        Some(_) => Reply::Set(bulks(set::members(ks.raw, key))),
        None => Reply::Set(vec![]),
    }
}

/// `SISMEMBER key member`
fn parse_sismember(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::IsMember {
        key: arg(args, 1),
        member: arg(args, 2),
    }))
}

/// SISMEMBER: 1 if the member is in the set, else 0.
fn exec_sismember(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::IsMember { key, member }) = o else {
        return mismatch();
    };
    let found = or_wrong_type!(ks.collection(key, Kind::Set)).is_some()
        && set::contains(ks.raw, key, member);
    Reply::Integer(i64::from(found))
}

/// `SCARD key`
fn parse_scard(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_key_only(args, |key| SetOp::Card { key })
}

/// SCARD: the number of members (0 for a missing key), from the meta: O(1).
fn exec_scard(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Card { key }) = o else {
        return mismatch();
    };
    let len = or_wrong_type!(ks.collection(key, Kind::Set)).map_or(0, |m| m.len);
    Reply::Integer(i64::try_from(len).unwrap_or(i64::MAX))
}

/// `SMISMEMBER key member [member ...]`
fn parse_smismember(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::MIsMember {
        key: arg(args, 1),
        members: args.get(2..).unwrap_or(&[]).to_vec(),
    }))
}

/// SMISMEMBER: 1 or 0 per member, in request order.
fn exec_smismember(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::MIsMember { key, members }) = o else {
        return mismatch();
    };
    let live = or_wrong_type!(ks.collection(key, Kind::Set)).is_some();
    Reply::Array(
        members
            .iter()
            .map(|m| Reply::Integer(i64::from(live && set::contains(ks.raw, key, m))))
            .collect(),
    )
}

// ---------------------------------------------------------------- SMOVE

/// `SMOVE source destination member`
fn parse_smove(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(op(SetOp::Move {
        src: arg(args, 1),
        dst: arg(args, 2),
        member: arg(args, 3),
    }))
}

/// SMOVE, in Redis's order: a missing source is 0 (whatever the
/// destination holds); then WRONGTYPE for either key; moving within one
/// set answers whether the member is there; else 1 if the member moved.
fn exec_smove(o: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Move { src, dst, member }) = o else {
        return mismatch();
    };
    let mut src_meta = {
        let r = ks.reader();
        let Some(src_meta) = or_wrong_type!(r.collection(src, Kind::Set)) else {
            return Reply::Integer(0);
        };
        or_wrong_type!(r.collection(dst, Kind::Set));
        src_meta
    };
    if src == dst {
        return Reply::Integer(i64::from(set::contains(ks.raw, src, member)));
    }
    if !set::remove(ks.raw, src, &mut src_meta, member) {
        return Reply::Integer(0);
    }
    ks.write_meta(src, &src_meta);
    let mut dst_meta = match ks.open(dst, Kind::Set) {
        Ok(m) => m,
        Err(e) => return super::wrong_type(e),
    };
    if set::insert(ks.raw, dst, &mut dst_meta, member) {
        ks.write_meta(dst, &dst_meta);
    }
    Reply::Integer(1)
}

// ----------------------------------------------------- SPOP / SRANDMEMBER

/// Ranks of `count` distinct members of a set of `len` (`count < len`),
/// ascending: Floyd's sampling, O(count log count).
fn distinct_ranks(rng: &mut XorShift, len: u64, count: u64) -> Vec<u64> {
    let mut chosen = BTreeSet::new();
    for j in len - count..len {
        let t = rng.below(j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

/// `SPOP key [count]`
fn parse_spop(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let count = match args.len() {
        2 => None,
        3 => {
            let c = parse_i64(&args[2]).ok_or(ParseError::MustBePositive)?;
            Some(u64::try_from(c).map_err(|_| ParseError::MustBePositive)?)
        }
        _ => return Err(ParseError::Syntax),
    };
    Ok(op(SetOp::Pop {
        key: arg(args, 1),
        count,
        seed: ctx.seed,
    }))
}

/// SPOP: remove and reply random members, chosen uniformly by rank with
/// the logged seed. No count: one member or nil. A count: a set of up to
/// that many (all of them, and the key goes, when it is at least the
/// size). O(n) here (one scan to the chosen ranks); Redis's is O(1) per
/// member.
fn exec_spop(o: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Pop { key, count, seed }) = o else {
        return mismatch();
    };
    let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::Set)) else {
        return match count {
            None => Reply::Nil,
            Some(_) => Reply::Set(vec![]),
        };
    };
    let mut rng = XorShift::seeded(*seed);
    let chosen = match *count {
        None => set::members_at(ks.raw, key, &[rng.below(meta.len)]),
        Some(0) => return Reply::Set(vec![]),
        Some(c) if c >= meta.len => set::members(ks.raw, key),
        Some(c) => set::members_at(ks.raw, key, &distinct_ranks(&mut rng, meta.len, c)),
    };
    for m in &chosen {
        set::remove(ks.raw, key, &mut meta, m);
    }
    ks.write_meta(key, &meta);
    match count {
        None => chosen.into_iter().next().map_or(Reply::Nil, Reply::Bulk),
        Some(_) => Reply::Set(bulks(chosen)),
    }
}

/// `SRANDMEMBER key [count]`
fn parse_srandmember(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let count = match args.len() {
        2 => None,
        3 => {
            let c = parse_i64(&args[2]).ok_or(ParseError::NotInteger)?;
            if c == i64::MIN {
                return Err(ParseError::OutOfRange {
                    min: -i64::MAX,
                    max: i64::MAX,
                });
            }
            Some(c)
        }
        _ => return Err(ParseError::Syntax),
    };
    Ok(op(SetOp::RandMember {
        key: arg(args, 1),
        count,
        seed: ctx.seed,
    }))
}

/// SRANDMEMBER: random members, uniformly by rank with the seed, nothing
/// removed. No count: one member or nil. A positive count: that many
/// distinct members (all when it is at least the size), in byte order. A
/// negative count: that many independent draws, repeats allowed, in draw
/// order (at most [`MAX_RANDOM_REPEATS`]). O(n) here; Redis's is O(count).
fn exec_srandmember(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::RandMember { key, count, seed }) = o else {
        return mismatch();
    };
    let Some(meta) = or_wrong_type!(ks.collection(key, Kind::Set)) else {
        return match count {
            None => Reply::Nil,
            Some(_) => Reply::Array(vec![]),
        };
    };
    let mut rng = XorShift::seeded(*seed);
    let Some(count) = *count else {
        let one = set::members_at(ks.raw, key, &[rng.below(meta.len)]);
        return one.into_iter().next().map_or(Reply::Nil, Reply::Bulk);
    };
    if count >= 0 {
        let count = count.unsigned_abs();
        let members = if count >= meta.len {
            set::members(ks.raw, key)
        } else {
            set::members_at(ks.raw, key, &distinct_ranks(&mut rng, meta.len, count))
        };
        return Reply::Array(bulks(members));
    }
    let draws = count.unsigned_abs();
    if draws > MAX_RANDOM_REPEATS {
        return Reply::err(format!(
            "ERR value is out of range, value must between -{MAX_RANDOM_REPEATS} and {}",
            i64::MAX
        ));
    }
    let ranks: Vec<u64> = (0..draws).map(|_| rng.below(meta.len)).collect();
    let mut sorted: Vec<u64> = ranks.clone();
    sorted.sort_unstable();
    sorted.dedup();
    let by_rank: BTreeMap<u64, Bytes> = sorted
        .iter()
        .copied()
        .zip(set::members_at(ks.raw, key, &sorted))
        .collect();
    Reply::Array(
        ranks
            .iter()
            .filter_map(|r| by_rank.get(r).cloned().map(Reply::Bulk))
            .collect(),
    )
}

// --------------------------------------------- SINTER / SUNION / SDIFF

/// Each key's live set meta (`None`: no such key), or WRONGTYPE if any
/// key holds another type: Redis checks every key before combining.
fn sources<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    keys: &[Bytes],
) -> Result<Vec<Option<Meta>>, WrongType> {
    keys.iter().map(|k| ks.collection(k, Kind::Set)).collect()
}

/// The members in every one of `keys` (metas from [`sources`]), in byte
/// order, stopping at `limit` of them (0: no limit). Walks the smallest set
/// and looks each member up in the others, as Redis does: O(N·M), N the
/// smallest size, M the number of sets.
fn intersection<G: RawGet + ?Sized>(
    raw: &G,
    keys: &[Bytes],
    metas: &[Option<Meta>],
    limit: u64,
) -> Vec<Bytes> {
    let mut lens = Vec::with_capacity(keys.len());
    for (k, m) in keys.iter().zip(metas) {
        match m {
            Some(m) => lens.push((m.len, k)),
            None => return vec![],
        }
    }
    lens.sort();
    let Some(((_, smallest), others)) = lens.split_first() else {
        return vec![];
    };
    let mut out = Vec::new();
    set::for_each(raw, smallest, &mut |m| {
        if others
            .iter()
            .all(|(_, k)| k == smallest || set::contains(raw, k, m))
        {
            out.push(Bytes::copy_from_slice(m));
        }
        limit == 0 || (out.len() as u64) < limit
    });
    out
}

/// SINTER, SUNION or SDIFF of `keys`, in byte order. Union: O(N) in the
/// total size; difference: the first set's members looked up in the others.
fn combine<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    how: Combine,
    keys: &[Bytes],
) -> Result<Vec<Bytes>, WrongType> {
    let metas = sources(ks, keys)?;
    let raw = ks.raw;
    Ok(match how {
        Combine::Inter => intersection(raw, keys, &metas, 0),
        Combine::Union => {
            let mut all = BTreeSet::new();
            for (k, m) in keys.iter().zip(&metas) {
                if m.is_some() {
                    all.extend(set::members(raw, k));
                }
            }
            all.into_iter().collect()
        }
        Combine::Diff => {
            let (Some(first), Some(Some(_))) = (keys.first(), metas.first()) else {
                return Ok(vec![]);
            };
            let others: Vec<&Bytes> = keys
                .iter()
                .zip(&metas)
                .skip(1)
                .filter(|(_, m)| m.is_some())
                .map(|(k, _)| k)
                .collect();
            if others.contains(&first) {
                return Ok(vec![]);
            }
            let mut out = Vec::new();
            set::for_each(raw, first, &mut |m| {
                if !others.iter().any(|k| set::contains(raw, k, m)) {
                    out.push(Bytes::copy_from_slice(m));
                }
                true
            });
            out
        }
    })
}

fn parse_combine(args: &[Bytes], how: Combine, store: bool) -> Result<Op, ParseError> {
    let (dest, keys) = if store {
        (Some(arg(args, 1)), args.get(2..))
    } else {
        (None, args.get(1..))
    };
    Ok(op(SetOp::Combine {
        how,
        keys: keys.unwrap_or(&[]).to_vec(),
        dest,
    }))
}

/// `SINTER key [key ...]`
fn parse_sinter(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(args, Combine::Inter, false)
}

/// `SUNION key [key ...]`
fn parse_sunion(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(args, Combine::Union, false)
}

/// `SDIFF key [key ...]`
fn parse_sdiff(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(args, Combine::Diff, false)
}

/// `SINTERSTORE destination key [key ...]`
fn parse_sinterstore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(args, Combine::Inter, true)
}

/// `SUNIONSTORE destination key [key ...]`
fn parse_sunionstore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(args, Combine::Union, true)
}

/// `SDIFFSTORE destination key [key ...]`
fn parse_sdiffstore(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    parse_combine(args, Combine::Diff, true)
}

/// SINTER, SUNION, SDIFF: the result, a set.
fn exec_combine(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Combine {
        how,
        keys,
        dest: None,
    }) = o
    else {
        return mismatch();
    };
    Reply::Set(bulks(or_wrong_type!(combine(ks, *how, keys))))
}

/// SINTERSTORE, SUNIONSTORE, SDIFFSTORE: the result replaces the
/// destination, whatever it held (its TTL goes too); an empty result
/// deletes it. Replies the result's size. O(size of the sources + of the
/// old destination).
fn exec_combine_store(o: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Combine {
        how,
        keys,
        dest: Some(dest),
    }) = o
    else {
        return mismatch();
    };
    let members = or_wrong_type!(combine(&ks.reader(), *how, keys));
    ks.delete(dest);
    let mut meta = Meta::new(Kind::Set);
    for m in &members {
        set::insert(ks.raw, dest, &mut meta, m);
    }
    ks.write_meta(dest, &meta);
    Reply::Integer(i64::try_from(members.len()).unwrap_or(i64::MAX))
}

/// SINTERCARD's keys: the `numkeys` after it.
fn intercard_keys(args: &[Bytes]) -> &[Bytes] {
    numkeys_keys(args, 1)
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`
fn parse_sintercard(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let numkeys = parse_i64(&arg(args, 1))
        .filter(|&n| n >= 1)
        .ok_or(ParseError::NumkeysNotPositive)?;
    let keys_end = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|&end| end <= args.len())
        .ok_or(ParseError::TooManyKeys)?;
    let mut limit = 0u64;
    let mut i = keys_end;
    while i < args.len() {
        if is(&args[i], "limit") && i + 1 < args.len() {
            limit = parse_i64(&args[i + 1])
                .and_then(|l| u64::try_from(l).ok())
                .ok_or(ParseError::NegativeLimit)?;
            i += 2;
        } else {
            return Err(ParseError::Syntax);
        }
    }
    Ok(op(SetOp::InterCard {
        keys: args[2..keys_end].to_vec(),
        limit,
    }))
}

/// SINTERCARD: the intersection's size, counting stops at LIMIT.
fn exec_sintercard(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::InterCard { keys, limit }) = o else {
        return mismatch();
    };
    let metas = or_wrong_type!(sources(ks, keys));
    let n = intersection(ks.raw, keys, &metas, *limit).len();
    Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------- SSCAN

/// SSCAN's options after the cursor, in Redis's order (`scanGenericCommand`):
/// COUNT a positive integer, MATCH a glob; TYPE is not one of SSCAN's.
fn scan_options(args: &[Bytes]) -> ScanOptions {
    let mut pattern = None;
    let mut count = 10u64;
    let mut i = 0;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if is(&args[i], "count") && has_value {
            let Some(c) = parse_i64(&args[i + 1]) else {
                return ScanOptions::Invalid(ParseError::NotInteger.text(&[]));
            };
            let Ok(c @ 1..) = u64::try_from(c) else {
                return ScanOptions::Invalid(ParseError::Syntax.text(&[]));
            };
            count = c;
        } else if is(&args[i], "match") && has_value {
            let p = args[i + 1].clone();
            pattern = (&p[..] != b"*").then_some(p);
        } else {
            return ScanOptions::Invalid(ParseError::Syntax.text(&[]));
        }
        i += 2;
    }
    ScanOptions::Valid { pattern, count }
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`
fn parse_sscan(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let cursor = parse_cursor(&arg(args, 2)).ok_or(ParseError::InvalidCursor)?;
    Ok(op(SetOp::Scan {
        key: arg(args, 1),
        cursor,
        options: scan_options(args.get(3..).unwrap_or(&[])),
    }))
}

/// SSCAN: `[next cursor, [members]]`, a page of members in byte order from
/// the cursor (`collections::scan_page`); COUNT members are visited, then
/// MATCH filters them.
fn exec_sscan(o: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::SetCmd(SetOp::Scan {
        key,
        cursor,
        options,
    }) = o
    else {
        return mismatch();
    };
    let page = |next: u64, members: Vec<Reply>| {
        Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(members)])
    };
    if or_wrong_type!(ks.collection(key, Kind::Set)).is_none() {
        return page(0, vec![]);
    }
    let (pattern, count) = match options {
        ScanOptions::Valid { pattern, count } => (pattern, *count),
        ScanOptions::Invalid(text) => return Reply::err(text.clone()),
    };
    let mut members = Vec::new();
    let next = scan_page(ks.raw, SET_PREFIX, key, *cursor, count, &mut |m, _| {
        if pattern.as_ref().is_none_or(|p| glob_match(p, m)) {
            members.push(Reply::bulk(Bytes::copy_from_slice(m)));
        }
    });
    page(next, members)
}

mod rows;
pub use rows::COMMANDS;

#[cfg(test)]
mod tests;
