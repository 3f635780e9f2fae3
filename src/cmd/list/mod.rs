//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LRANGE
//! LSET LREM LTRIM LINSERT LPOS LMOVE RPOPLPUSH LMPOP, with Redis 7.0's
//! replies and error texts, over the list layout of
//! [`crate::collections::list`] (an item key per sequence number).
//!
//! Parsing is [`parse`]; the executors and the rows are here. Pushes and
//! pops at the ends touch one item key each and the meta; LINDEX and LSET
//! one key; LRANGE scans just the keys in range; LINSERT and LREM move
//! the shorter side of the change. [`try_pop`] and [`try_move`] are the
//! "pop now if anything is there" steps a blocking pop (BLPOP, BRPOP,
//! BLMPOP, BLMOVE, BRPOPLPUSH) runs when it arrives and again after each
//! write that may have filled one of its keys.
//!
//! The blocking commands' rows and parsers are in [`crate::cmd::blocking`];
//! their arguments are the `Block*` variants here.

pub(super) mod parse;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::def::flag::*;
use super::def::{CommandDef, Exec, Flags};
use super::{mismatch, Op, ReadView, WriteView};
use crate::collections::list::{self as items, End};
use crate::collections::{Kind, Meta, WrongType};
use crate::resp::reply::errors;
use crate::resp::Reply;
use crate::strings::{KeyspaceWrite, RawWrite};

pub use parse::lmpop_keys;

/// The reply to a push past the sequence numbers' range (2^63 pushes at
/// one end of one list; see [`crate::collections::list`]).
pub const SEQ_EXHAUSTED: &str = "ERR list sequence numbers exhausted at this end";

/// A parsed list command's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ListOp {
    /// LPUSH, RPUSH, and with `existing_only` LPUSHX, RPUSHX.
    Push {
        key: Bytes,
        items: Vec<Bytes>,
        end: End,
        existing_only: bool,
    },
    /// LPOP, RPOP; `count` given or not (the reply shape differs).
    Pop {
        key: Bytes,
        end: End,
        count: Option<u64>,
    },
    /// LLEN key
    Len { key: Bytes },
    /// LINDEX key index; `None`: the index is not an integer, an error
    /// once the key is found to be a list.
    Index { key: Bytes, index: Option<i64> },
    /// LRANGE key start stop
    Range { key: Bytes, start: i64, stop: i64 },
    /// LSET key index element; `None` as for LINDEX.
    Set {
        key: Bytes,
        index: Option<i64>,
        item: Bytes,
    },
    /// LREM key count element
    Rem { key: Bytes, count: i64, item: Bytes },
    /// LTRIM key start stop
    Trim { key: Bytes, start: i64, stop: i64 },
    /// LINSERT key BEFORE|AFTER pivot element
    Insert {
        key: Bytes,
        after: bool,
        pivot: Bytes,
        item: Bytes,
    },
    /// LPOS key element [RANK rank] [COUNT n] [MAXLEN len]; `maxlen` 0 is
    /// no limit, `count` 0 every match.
    Pos {
        key: Bytes,
        item: Bytes,
        rank: i64,
        count: Option<u64>,
        maxlen: u64,
    },
    /// LMOVE source destination LEFT|RIGHT LEFT|RIGHT (and RPOPLPUSH).
    Move {
        src: Bytes,
        dst: Bytes,
        from: End,
        to: End,
    },
    /// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
    MPop {
        keys: Vec<Bytes>,
        end: End,
        count: u64,
    },
    /// BLPOP, BRPOP (`count` None: a `[key, item]` reply) and BLMPOP
    /// (`count` given: LMPOP's reply); `deadline_ms` absolute, 0 = forever.
    /// See [`crate::cmd::blocking`].
    BlockPop {
        keys: Vec<Bytes>,
        end: End,
        count: Option<u64>,
        deadline_ms: u64,
        /// Proposed again by the leader after a write (spec BL-2).
        woken: bool,
    },
    /// BLMOVE and BRPOPLPUSH; `deadline_ms` and `woken` as for `BlockPop`.
    BlockMove {
        src: Bytes,
        dst: Bytes,
        from: End,
        to: End,
        deadline_ms: u64,
        woken: bool,
    },
}

fn bulks(v: Vec<Bytes>) -> Reply {
    Reply::Array(v.into_iter().map(Reply::Bulk).collect())
}

// -------------------------------------------------------------- pushes

fn exec_push(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Push {
        key,
        items,
        end,
        existing_only,
    }) = op
    else {
        return mismatch();
    };
    if *existing_only && or_wrong_type!(ks.reader().collection(key, Kind::List)).is_none() {
        return Reply::Integer(0);
    }
    match push(ks, key, *end, items) {
        Ok(len) => Reply::Integer(len),
        Err(Refused::WrongType) => Reply::err(errors::WRONGTYPE),
        Err(Refused::Exhausted) => Reply::err(SEQ_EXHAUSTED),
    }
}

/// Why a push wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    WrongType,
    Exhausted,
}

/// Push `values` one by one at `end` of `key`'s list (created if needed);
/// the new length.
fn push<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    end: End,
    values: &[Bytes],
) -> Result<i64, Refused> {
    let mut meta = ks
        .open(key, Kind::List)
        .map_err(|WrongType| Refused::WrongType)?;
    if !items::room(&meta, end, values.len()) {
        return Err(Refused::Exhausted);
    }
    for v in values {
        items::push(ks.raw, key, &mut meta, end, v.clone()).map_err(|_| Refused::Exhausted)?;
    }
    ks.write_meta(key, &meta);
    Ok(len_reply(&meta))
}

fn len_reply(meta: &Meta) -> i64 {
    i64::try_from(meta.len).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------- pops

fn exec_pop(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Pop { key, end, count }) = op else {
        return mismatch();
    };
    let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::List)) else {
        return if count.is_some() {
            Reply::NilArray
        } else {
            Reply::Nil
        };
    };
    let popped = pop_n(ks, key, &mut meta, *end, count.unwrap_or(1));
    match count {
        Some(_) => bulks(popped),
        None => popped.into_iter().next().map_or(Reply::Nil, Reply::Bulk),
    }
}

/// Pop up to `n` items at `end` of a live list and store its meta.
fn pop_n<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    meta: &mut Meta,
    end: End,
    n: u64,
) -> Vec<Bytes> {
    let n = n.min(meta.len);
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    for _ in 0..n {
        match items::pop(ks.raw, key, meta, end) {
            Some(v) => out.push(v),
            None => break,
        }
    }
    if n > 0 {
        ks.write_meta(key, meta);
    }
    out
}

/// The pop a blocking BLPOP/BRPOP/BLMPOP tries: at `end` of the first
/// non-empty list among `keys`, up to `count` items. `Ok(None)` when every
/// key is empty or absent (the caller then blocks, or replies nil);
/// WRONGTYPE for a key of another type met before a non-empty list (as
/// Redis's LMPOP checks keys in order). Writes only when it pops.
pub fn try_pop<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    keys: &[Bytes],
    end: End,
    count: u64,
) -> Result<Option<(Bytes, Vec<Bytes>)>, WrongType> {
    for key in keys {
        let Some(mut meta) = ks.reader().collection(key, Kind::List)? else {
            continue;
        };
        let popped = pop_n(ks, key, &mut meta, end, count);
        return Ok(Some((key.clone(), popped)));
    }
    Ok(None)
}

/// The move a blocking BLMOVE/BRPOPLPUSH tries: pop at `from` of `src`,
/// push at `to` of `dst` (the same key rotates it). `Ok(None)` when `src`
/// is empty or absent; WRONGTYPE when either key holds another type
/// (nothing is popped then). Writes only when it moves.
pub fn try_move<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Option<Bytes>, MoveRefused> {
    let reader = ks.reader();
    let Some(mut meta) = reader.collection(src, Kind::List)? else {
        return Ok(None);
    };
    if let Some(d) = reader.collection(dst, Kind::List)? {
        if !items::room(&d, to, 1) {
            return Err(MoveRefused::Exhausted);
        }
    }
    let Some(item) = pop_n(ks, src, &mut meta, from, 1).into_iter().next() else {
        return Ok(None);
    };
    match push(ks, dst, to, std::slice::from_ref(&item)) {
        Ok(_) => Ok(Some(item)),
        Err(Refused::WrongType) => Err(MoveRefused::WrongType),
        Err(Refused::Exhausted) => Err(MoveRefused::Exhausted),
    }
}

/// Why [`try_move`] moved nothing although `src` had an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveRefused {
    /// `src` or `dst` holds another type.
    WrongType,
    /// `dst` has no sequence number left at `to` ([`SEQ_EXHAUSTED`]).
    Exhausted,
}

impl From<WrongType> for MoveRefused {
    fn from(_: WrongType) -> Self {
        MoveRefused::WrongType
    }
}

impl MoveRefused {
    pub fn reply(self) -> Reply {
        match self {
            MoveRefused::WrongType => Reply::err(errors::WRONGTYPE),
            MoveRefused::Exhausted => Reply::err(SEQ_EXHAUSTED),
        }
    }
}

fn exec_move(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Move { src, dst, from, to }) = op else {
        return mismatch();
    };
    match try_move(ks, src, dst, *from, *to) {
        Ok(Some(item)) => Reply::Bulk(item),
        Ok(None) => Reply::Nil,
        Err(e) => e.reply(),
    }
}

fn exec_mpop(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::MPop { keys, end, count }) = op else {
        return mismatch();
    };
    match or_wrong_type!(try_pop(ks, keys, *end, *count)) {
        Some((key, popped)) => Reply::Array(vec![Reply::Bulk(key), bulks(popped)]),
        None => Reply::NilArray,
    }
}

// --------------------------------------------------------------- reads

fn exec_llen(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Len { key }) = op else {
        return mismatch();
    };
    let meta = or_wrong_type!(ks.collection(key, Kind::List));
    Reply::Integer(meta.as_ref().map_or(0, len_reply))
}

fn exec_lindex(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Index { key, index }) = op else {
        return mismatch();
    };
    let Some(meta) = or_wrong_type!(ks.collection(key, Kind::List)) else {
        return Reply::Nil;
    };
    let Some(index) = index else {
        return Reply::err(errors::NOT_INTEGER);
    };
    items::resolve_index(*index, meta.len)
        .and_then(|i| items::get(ks.raw, key, &meta, i))
        .map_or(Reply::Nil, Reply::Bulk)
}

fn exec_lrange(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Range { key, start, stop }) = op else {
        return mismatch();
    };
    let Some(meta) = or_wrong_type!(ks.collection(key, Kind::List)) else {
        return Reply::Array(vec![]);
    };
    match items::resolve_span(*start, *stop, meta.len) {
        Some((a, b)) => bulks(items::range(ks.raw, key, &meta, a, b)),
        None => Reply::Array(vec![]),
    }
}

fn exec_lpos(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Pos {
        key,
        item,
        rank,
        count,
        maxlen,
    }) = op
    else {
        return mismatch();
    };
    let none = || match count {
        Some(_) => Reply::Array(vec![]),
        None => Reply::Nil,
    };
    let Some(meta) = or_wrong_type!(ks.collection(key, Kind::List)) else {
        return none();
    };
    if meta.len == 0 {
        return none();
    }
    // The items LPOS may look at: the first (or, for a negative rank, the
    // last) `maxlen` of them.
    let window = if *maxlen == 0 {
        meta.len
    } else {
        (*maxlen).min(meta.len)
    };
    let from_tail = *rank < 0;
    let first = if from_tail { meta.len - window } else { 0 };
    let seen = items::range(ks.raw, key, &meta, first, first + window - 1);
    let found = positions(&seen, item, *rank, count.unwrap_or(1));
    let found: Vec<i64> = found
        .into_iter()
        .map(|i| i64::try_from(first + i as u64).unwrap_or(i64::MAX))
        .collect();
    match count {
        Some(_) => Reply::Array(found.into_iter().map(Reply::Integer).collect()),
        None => found.first().map_or(Reply::Nil, |&i| Reply::Integer(i)),
    }
}

/// LPOS's matches of `item` in `seen` (indices into it), walking from the
/// tail for a negative `rank`, skipping the first |rank| − 1 matches, up to
/// `count` (0: all). Redis negates a rank of `i64::MIN` into itself, so it
/// skips nothing and never stops at a count; that is kept.
fn positions(seen: &[Bytes], item: &[u8], rank: i64, count: u64) -> Vec<usize> {
    let (skip, count) = if rank == i64::MIN {
        (0, 0)
    } else {
        (rank.unsigned_abs() - 1, count)
    };
    let order: Box<dyn Iterator<Item = usize>> = if rank < 0 {
        Box::new((0..seen.len()).rev())
    } else {
        Box::new(0..seen.len())
    };
    let mut matches = 0u64;
    let mut out = Vec::new();
    for i in order {
        if seen[i] != item {
            continue;
        }
        matches += 1;
        if matches > skip {
            out.push(i);
            if count != 0 && out.len() as u64 >= count {
                break;
            }
        }
    }
    out
}

// ----------------------------------------------------- middle changes

fn exec_lset(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Set { key, index, item }) = op else {
        return mismatch();
    };
    let Some(meta) = or_wrong_type!(ks.reader().collection(key, Kind::List)) else {
        return Reply::err("ERR no such key");
    };
    let Some(index) = index else {
        return Reply::err(errors::NOT_INTEGER);
    };
    let Some(i) = items::resolve_index(*index, meta.len) else {
        return Reply::err("ERR index out of range");
    };
    items::set(ks.raw, key, &meta, i, item.clone());
    Reply::ok()
}

fn exec_lrem(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Rem { key, count, item }) = op else {
        return mismatch();
    };
    let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::List)) else {
        return Reply::Integer(0);
    };
    let all = items::all(&*ks.raw, key, &meta);
    let limit = if *count == 0 {
        u64::MAX
    } else {
        count.unsigned_abs()
    };
    let mut hits: Vec<u64> = Vec::new();
    let matching = |i: &usize| all[*i] == item[..];
    if *count < 0 {
        hits.extend(
            (0..all.len())
                .rev()
                .filter(matching)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|i| i as u64),
        );
        hits.reverse();
    } else {
        hits.extend(
            (0..all.len())
                .filter(matching)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|i| i as u64),
        );
    }
    if !hits.is_empty() {
        items::remove_indices(ks.raw, key, &mut meta, &hits);
        ks.write_meta(key, &meta);
    }
    Reply::Integer(hits.len() as i64)
}

fn exec_ltrim(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Trim { key, start, stop }) = op else {
        return mismatch();
    };
    let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::List)) else {
        return Reply::ok();
    };
    let (left, right) = match items::resolve_span(*start, *stop, meta.len) {
        Some((a, b)) => (a, meta.len - 1 - b),
        None => (meta.len, 0),
    };
    if left + right > 0 {
        items::trim(ks.raw, key, &mut meta, End::Left, left);
        items::trim(ks.raw, key, &mut meta, End::Right, right);
        ks.write_meta(key, &meta);
    }
    Reply::ok()
}

fn exec_linsert(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::ListCmd(ListOp::Insert {
        key,
        after,
        pivot,
        item,
    }) = op
    else {
        return mismatch();
    };
    let Some(mut meta) = or_wrong_type!(ks.reader().collection(key, Kind::List)) else {
        return Reply::Integer(0);
    };
    // Walk from the head to the first pivot, as Redis does.
    let mut at = None;
    items::visit(&*ks.raw, key, meta.head, &mut |seq, v| {
        if seq >= meta.tail {
            return false;
        }
        if v == pivot {
            at = Some((seq - meta.head) as u64);
            return false;
        }
        true
    });
    let Some(at) = at else {
        return Reply::Integer(-1);
    };
    let index = if *after { at + 1 } else { at };
    if items::insert(ks.raw, key, &mut meta, index, item.clone()).is_err() {
        return Reply::err(SEQ_EXHAUSTED);
    }
    ks.write_meta(key, &meta);
    Reply::Integer(len_reply(&meta))
}

// ---------------------------------------------------------------- rows

const KEY1: CommandDef = CommandDef {
    first_key: 1,
    last_key: 1,
    step: 1,
    group: "list",
    ..CommandDef::DEFAULT
};

const WRITE_FAST: &[&str] = &["@write", "@list", "@fast"];
const WRITE_SLOW: &[&str] = &["@write", "@list", "@slow"];
const READ_SLOW: &[&str] = &["@read", "@list", "@slow"];

/// This type's rows of the command table (Redis 7.0.15's metadata).
pub static COMMANDS: &[CommandDef] = &[
    CommandDef {
        name: "lpush",
        arity: -3,
        flags: Flags(WRITE | DENYOOM | FAST),
        acl_categories: WRITE_FAST,
        since: "1.0.0",
        summary: "Prepend one or multiple elements to a list",
        parse: parse::parse_lpush,
        exec: Exec::Write(exec_push),
        ..KEY1
    },
    CommandDef {
        name: "rpush",
        arity: -3,
        flags: Flags(WRITE | DENYOOM | FAST),
        acl_categories: WRITE_FAST,
        since: "1.0.0",
        summary: "Append one or multiple elements to a list",
        parse: parse::parse_rpush,
        exec: Exec::Write(exec_push),
        ..KEY1
    },
    CommandDef {
        name: "lpushx",
        arity: -3,
        flags: Flags(WRITE | DENYOOM | FAST),
        acl_categories: WRITE_FAST,
        since: "2.2.0",
        summary: "Prepend an element to a list, only if the list exists",
        parse: parse::parse_lpushx,
        exec: Exec::Write(exec_push),
        ..KEY1
    },
    CommandDef {
        name: "rpushx",
        arity: -3,
        flags: Flags(WRITE | DENYOOM | FAST),
        acl_categories: WRITE_FAST,
        since: "2.2.0",
        summary: "Append an element to a list, only if the list exists",
        parse: parse::parse_rpushx,
        exec: Exec::Write(exec_push),
        ..KEY1
    },
    CommandDef {
        name: "lpop",
        arity: -2,
        flags: Flags(WRITE | FAST),
        acl_categories: WRITE_FAST,
        since: "1.0.0",
        summary: "Remove and get the first elements in a list",
        parse: parse::parse_lpop,
        exec: Exec::Write(exec_pop),
        ..KEY1
    },
    CommandDef {
        name: "rpop",
        arity: -2,
        flags: Flags(WRITE | FAST),
        acl_categories: WRITE_FAST,
        since: "1.0.0",
        summary: "Remove and get the last elements in a list",
        parse: parse::parse_rpop,
        exec: Exec::Write(exec_pop),
        ..KEY1
    },
    CommandDef {
        name: "llen",
        arity: 2,
        flags: Flags(READONLY | FAST),
        acl_categories: &["@read", "@list", "@fast"],
        since: "1.0.0",
        summary: "Get the length of a list",
        parse: parse::parse_llen,
        exec: Exec::Read(exec_llen),
        ..KEY1
    },
    CommandDef {
        name: "lindex",
        arity: 3,
        flags: Flags(READONLY),
        acl_categories: READ_SLOW,
        since: "1.0.0",
        summary: "Get an element from a list by its index",
        parse: parse::parse_lindex,
        exec: Exec::Read(exec_lindex),
        ..KEY1
    },
    // Scans only the keys in range: O(S + N) as in Redis, without the walk
    // to the start offset.
    CommandDef {
        name: "lrange",
        arity: 4,
        flags: Flags(READONLY),
        acl_categories: READ_SLOW,
        since: "1.0.0",
        summary: "Get a range of elements from a list",
        parse: parse::parse_lrange,
        exec: Exec::Read(exec_lrange),
        ..KEY1
    },
    // One key: O(1), where Redis is O(N) for a quicklist.
    CommandDef {
        name: "lset",
        arity: 4,
        flags: Flags(WRITE | DENYOOM),
        acl_categories: WRITE_SLOW,
        since: "1.0.0",
        summary: "Set the value of an element in a list by its index",
        parse: parse::parse_lset,
        exec: Exec::Write(exec_lset),
        ..KEY1
    },
    // Reads the list, O(N); writes the removed items plus the survivors on
    // the shorter side of each gap.
    CommandDef {
        name: "lrem",
        arity: 4,
        flags: Flags(WRITE),
        acl_categories: WRITE_SLOW,
        since: "1.0.0",
        summary: "Remove elements from a list",
        parse: parse::parse_lrem,
        exec: Exec::Write(exec_lrem),
        ..KEY1
    },
    CommandDef {
        name: "ltrim",
        arity: 4,
        flags: Flags(WRITE),
        acl_categories: WRITE_SLOW,
        since: "1.0.0",
        summary: "Trim a list to the specified range",
        parse: parse::parse_ltrim,
        exec: Exec::Write(exec_ltrim),
        ..KEY1
    },
    // Reads up to the pivot; writes min(i, N − i) + 1 keys.
    CommandDef {
        name: "linsert",
        arity: 5,
        flags: Flags(WRITE | DENYOOM),
        acl_categories: WRITE_SLOW,
        since: "2.2.0",
        summary: "Insert an element before or after another element in a list",
        parse: parse::parse_linsert,
        exec: Exec::Write(exec_linsert),
        ..KEY1
    },
    CommandDef {
        name: "lpos",
        arity: -3,
        flags: Flags(READONLY),
        acl_categories: READ_SLOW,
        since: "6.0.6",
        summary: "Return the index of matching elements on a list",
        parse: parse::parse_lpos,
        exec: Exec::Read(exec_lpos),
        ..KEY1
    },
    CommandDef {
        name: "lmove",
        arity: 5,
        flags: Flags(WRITE | DENYOOM),
        last_key: 2,
        acl_categories: WRITE_SLOW,
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it",
        parse: parse::parse_lmove,
        exec: Exec::Write(exec_move),
        ..KEY1
    },
    CommandDef {
        name: "rpoplpush",
        arity: 3,
        flags: Flags(WRITE | DENYOOM),
        last_key: 2,
        acl_categories: WRITE_SLOW,
        since: "1.2.0",
        summary: "Remove the last element in a list, prepend it to another list and return it",
        parse: parse::parse_rpoplpush,
        exec: Exec::Write(exec_move),
        ..KEY1
    },
    CommandDef {
        name: "lmpop",
        arity: -4,
        flags: Flags(WRITE | MOVABLEKEYS),
        first_key: 0,
        last_key: 0,
        step: 0,
        movable_keys: Some(lmpop_keys),
        acl_categories: WRITE_SLOW,
        since: "7.0.0",
        summary: "Pop elements from a list",
        parse: parse::parse_lmpop,
        exec: Exec::Write(exec_mpop),
        ..KEY1
    },
];
