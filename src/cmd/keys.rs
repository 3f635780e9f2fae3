//! Keyspace commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX DBSIZE FLUSHDB
//! FLUSHALL KEYS SCAN RANDOMKEY.
//!
//! # SCAN without a hash table
//!
//! Redis's SCAN walks its hash table with a reverse-binary cursor so that a
//! key present for the whole iteration is returned at least once, even
//! across rehashing. fencekv has no hash table, so it orders keys by a fixed
//! 63-bit hash ([`scan_hash`]) and the cursor is "the next hash to visit":
//! each call returns every key whose hash lies in `[cursor, last]` — COUNT
//! keys, extended so that keys of equal hash are never split across calls —
//! and replies `last + 1`, or 0 when no key with a larger hash exists. A key
//! present throughout has one fixed hash, and the ranges the calls cover are
//! contiguous from 0 to the end, so it is returned at least once. The cursor
//! is never 0 mid-iteration (`last + 1 ≥ 1`). Each call costs a pass over
//! the keyspace: this is a reference implementation, not a fast one.

use bytes::Bytes;

use super::args::{is, parse_i64};
use super::error::ParseError;
use super::glob::glob_match;
use super::strings::arg;
use super::{mismatch, Op, ParseCtx, ReadView, WriteView};
use crate::resp::reply::errors;
use crate::resp::Reply;
use crate::strings::encoding::{classify, KeyKind};
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

/// `DEL key [key ...]` / `UNLINK key [key ...]`
pub(super) fn parse_del(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Del {
        keys: args.get(1..).unwrap_or(&[]).to_vec(),
    })
}

/// DEL and UNLINK: [`del`].
pub(super) fn exec_del(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Del { keys } = op else {
        return mismatch();
    };
    del(ks, keys)
}

/// DEL: how many of the keys existed (a repeated key counts once).
pub fn del<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, keys: &[Bytes]) -> Reply {
    Reply::Integer(keys.iter().filter(|k| ks.delete(k)).count() as i64)
}

/// `EXISTS key [key ...]`
pub(super) fn parse_exists(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Exists {
        keys: args.get(1..).unwrap_or(&[]).to_vec(),
    })
}

pub(super) fn exec_exists(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Exists { keys } = op else {
        return mismatch();
    };
    exists(ks, keys)
}

/// EXISTS: how many of the keys exist, a repeated key counted each time.
pub fn exists<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, keys: &[Bytes]) -> Reply {
    Reply::Integer(keys.iter().filter(|k| ks.exists(k)).count() as i64)
}

/// `TYPE key`
pub(super) fn parse_type(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Type { key: arg(args, 1) })
}

pub(super) fn exec_type(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Type { key } = op else {
        return mismatch();
    };
    type_of(ks, key)
}

/// TYPE: "string" or "none" (strings are fencekv's only type).
pub fn type_of<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, key: &[u8]) -> Reply {
    Reply::Status(if ks.exists(key) { "string" } else { "none" }.into())
}

/// `RENAME key newkey`
pub(super) fn parse_rename(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Rename {
        src: arg(args, 1),
        dst: arg(args, 2),
        nx: false,
    })
}

/// `RENAMENX key newkey`
pub(super) fn parse_renamenx(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Rename {
        src: arg(args, 1),
        dst: arg(args, 2),
        nx: true,
    })
}

/// RENAME and RENAMENX: [`rename`].
pub(super) fn exec_rename(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Rename { src, dst, nx } = op else {
        return mismatch();
    };
    rename(ks, src, dst, *nx)
}

/// RENAME/RENAMENX: "ERR no such key" for a missing source (even when
/// renaming a key to itself); the value moves with its TTL; RENAMENX replies
/// 0 when the destination exists (or is the source), 1 when it renamed.
pub fn rename<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    src: &[u8],
    dst: &[u8],
    nx: bool,
) -> Reply {
    let done = |nx: bool, ok: bool| match (nx, ok) {
        (true, ok) => Reply::Integer(i64::from(ok)),
        (false, _) => Reply::ok(),
    };
    let Some(v) = ks.get(src) else {
        return Reply::err(errors::NO_SUCH_KEY);
    };
    if src == dst {
        return done(nx, false);
    }
    if ks.get(dst).is_some() && nx {
        return done(nx, false);
    }
    // Remove every form of the destination (a bare legacy key included),
    // then write it in the current format.
    ks.delete(dst);
    ks.set(dst, &v.value, v.expire_at);
    ks.delete(src);
    done(nx, true)
}

/// `DBSIZE`
pub(super) fn parse_dbsize(_: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::DbSize)
}

pub(super) fn exec_dbsize(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::DbSize = op else { return mismatch() };
    dbsize(ks)
}

/// DBSIZE: the number of live keys.
pub fn dbsize<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>) -> Reply {
    let mut n = 0i64;
    ks.for_each_key(&mut |_, _| {
        n += 1;
        true
    });
    Reply::Integer(n)
}

/// `FLUSHDB [ASYNC|SYNC]` / `FLUSHALL [ASYNC|SYNC]` (one database: the same).
pub(super) fn parse_flush(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    match args.get(1..).unwrap_or(&[]) {
        [] => Ok(Op::Flush),
        [mode] if is(mode, "sync") || is(mode, "async") => Ok(Op::Flush),
        _ => Err(ParseError::Syntax),
    }
}

/// FLUSHDB and FLUSHALL: [`flush`].
pub(super) fn exec_flush(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Flush = op else { return mismatch() };
    flush(ks)
}

/// FLUSHDB/FLUSHALL: every form of every string key goes, expired ones and
/// stray TTL index entries included. Other internal keys are not strings and
/// are left alone.
pub fn flush<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    let mut user_keys: Vec<Bytes> = Vec::new();
    ks.raw.raw_scan(b"", &mut |k, _| {
        match classify(k) {
            KeyKind::Str(u) | KeyKind::Ttl(u) | KeyKind::Bare(u) => {
                user_keys.push(Bytes::copy_from_slice(u))
            }
            KeyKind::OtherInternal => {}
        }
        true
    });
    user_keys.sort();
    user_keys.dedup();
    for k in user_keys {
        ks.delete(&k);
    }
    Reply::ok()
}

/// `KEYS pattern`
pub(super) fn parse_keys(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Keys {
        pattern: arg(args, 1),
    })
}

pub(super) fn exec_keys(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Keys { pattern } = op else {
        return mismatch();
    };
    keys(ks, pattern)
}

/// KEYS: every live key matching the glob, in key order.
pub fn keys<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, pattern: &[u8]) -> Reply {
    let all = pattern == b"*";
    let mut out = Vec::new();
    ks.for_each_key(&mut |k, _| {
        if all || glob_match(pattern, k) {
            out.push(Reply::Bulk(k.clone()));
        }
        true
    });
    Reply::Array(out)
}

/// The fixed 63-bit hash that orders keys for SCAN and RANDOMKEY: FNV-1a
/// then the splitmix64 finaliser, top bit dropped. It must never change, or
/// cursors handed out before the change would skip keys.
pub fn scan_hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h >> 1
}

/// Redis's `parseScanCursorOrReply` (`strtoul`): optional sign, decimal
/// digits, nothing else; "" is 0 and "-1" wraps to 2^64-1 as in C; no
/// leading space; overflow is refused.
fn parse_cursor(b: &[u8]) -> Option<u64> {
    if b.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
pub(super) fn parse_scan(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let cursor = parse_cursor(&arg(args, 1)).ok_or(ParseError::InvalidCursor)?;
    let mut pattern = None;
    let mut count = 10u64;
    let mut type_name = None;
    let mut i = 2;
    while i < args.len() {
        let has_value = args.len() - i >= 2;
        let opt = &args[i];
        if is(opt, "count") && has_value {
            let c = parse_i64(&args[i + 1]).ok_or(ParseError::NotInteger)?;
            if c < 1 {
                return Err(ParseError::Syntax);
            }
            count = c as u64;
        } else if is(opt, "match") && has_value {
            let p = args[i + 1].clone();
            pattern = (&p[..] != b"*").then_some(p);
        } else if is(opt, "type") && has_value {
            type_name = Some(args[i + 1].clone());
        } else {
            return Err(ParseError::Syntax);
        }
        i += 2;
    }
    Ok(Op::Scan {
        cursor,
        pattern,
        count,
        type_name,
    })
}

pub(super) fn exec_scan(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Scan {
        cursor,
        pattern,
        count,
        type_name,
    } = op
    else {
        return mismatch();
    };
    scan(
        ks,
        *cursor,
        pattern.as_deref(),
        *count,
        type_name.as_deref(),
    )
}

/// SCAN: `[next cursor as a bulk string, [keys]]` (see the module docs for
/// the cursor). COUNT keys are visited, then MATCH and TYPE filter them, so
/// a call may return fewer keys, or none, with a non-zero cursor — as Redis.
/// TYPE keeps keys only for "string" (any case), the one type there is.
pub fn scan<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    cursor: u64,
    pattern: Option<&[u8]>,
    count: u64,
    type_name: Option<&[u8]>,
) -> Reply {
    let mut candidates: Vec<(u64, Bytes)> = Vec::new();
    ks.for_each_key(&mut |k, _| {
        let h = scan_hash(k);
        if h >= cursor {
            candidates.push((h, k.clone()));
        }
        true
    });
    candidates.sort();
    let mut taken = 0usize;
    while taken < candidates.len() {
        let h = candidates[taken].0;
        if taken as u64 >= count {
            break;
        }
        // Take the whole run of keys with this hash.
        while taken < candidates.len() && candidates[taken].0 == h {
            taken += 1;
        }
    }
    let next = if taken < candidates.len() {
        // Keys remain, all with a hash above the last one taken.
        candidates[taken - 1].0 + 1
    } else {
        0
    };
    let type_ok = type_name.is_none_or(|t| is(t, "string"));
    let keys = candidates[..taken]
        .iter()
        .filter(|(_, k)| type_ok && pattern.is_none_or(|p| glob_match(p, k)))
        .map(|(_, k)| Reply::Bulk(k.clone()))
        .collect();
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(keys)])
}

/// `RANDOMKEY`
pub(super) fn parse_randomkey(_: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::RandomKey)
}

pub(super) fn exec_randomkey(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::RandomKey = op else { return mismatch() };
    randomkey(ks)
}

/// RANDOMKEY: deterministic, so every replica and the model agree — the
/// first key in hash order at or after the hash of the serving node's clock,
/// wrapping around; nil when the keyspace is empty.
pub fn randomkey<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>) -> Reply {
    let seed = scan_hash(&ks.now_ms.to_be_bytes());
    let mut after: Option<(u64, Bytes)> = None;
    let mut lowest: Option<(u64, Bytes)> = None;
    ks.for_each_key(&mut |k, _| {
        let cand = (scan_hash(k), k.clone());
        if cand.0 >= seed && after.as_ref().is_none_or(|a| cand < *a) {
            after = Some(cand.clone());
        }
        if lowest.as_ref().is_none_or(|l| cand < *l) {
            lowest = Some(cand);
        }
        true
    });
    after.or(lowest).map_or(Reply::Nil, |(_, k)| Reply::Bulk(k))
}
