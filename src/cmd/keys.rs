//! Keyspace commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY
//! OBJECT DBSIZE FLUSHDB FLUSHALL KEYS SCAN RANDOMKEY.
//!
//! TOUCH parses into EXISTS's arguments: there is no access time to touch,
//! and both answer how many of the keys exist.
//!
//! # OBJECT's answers
//!
//! fencekv stores every value the same way (an MVCC version of its string
//! encoding), so OBJECT answers what Redis would say for the value, not
//! for a representation fencekv does not have: ENCODING names the encoding
//! Redis gives a string when it is SET (`tryObjectEncoding`): `int` for a
//! canonical integer of up to 20 characters, `embstr` for up to 44 bytes,
//! else `raw` — Redis keeps `raw` once a value was changed in place
//! (APPEND, SETRANGE, SETBIT), fencekv does not know a value's history.
//! IDLETIME is 0 (no access times are kept), REFCOUNT is 1 (Redis says
//! 2147483647 for its shared small integers), and FREQ gets Redis's error
//! for a server whose `maxmemory-policy` is not LFU (ours is `noeviction`).
//! A missing key is nil, as in Redis.
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
use serde::{Deserialize, Serialize};

use super::args::{int_arg, is, parse_i64};
use super::error::ParseError;
use super::glob::glob_match;
use super::strings::arg;
use super::{mismatch, Op, ParseCtx, ReadView, WriteView};
use crate::resp::reply::errors;
use crate::resp::Reply;
use crate::strings::encoding::{classify, KeyKind};
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite, Stored};

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

/// `COPY source destination [DB destination-db] [REPLACE]`: options in any
/// order; DB must be a C `int` (Redis's `getIntFromObjectOrReply`) and, with
/// a single database, 0 (Redis with `databases 1` answers "DB index is out
/// of range" for any other); the same key twice is refused.
pub(super) fn parse_copy(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        if is(&args[j], "replace") {
            replace = true;
        } else if is(&args[j], "db") && j + 1 < args.len() {
            let db = parse_i64(&args[j + 1]).ok_or(ParseError::NotInteger)?;
            let db = i32::try_from(db).map_err(|_| ParseError::NotInt32)?;
            if db != 0 {
                return Err(ParseError::DbOutOfRange);
            }
            j += 1;
        } else {
            return Err(ParseError::Syntax);
        }
        j += 1;
    }
    let (src, dst) = (arg(args, 1), arg(args, 2));
    if src == dst {
        return Err(ParseError::SameObject);
    }
    Ok(Op::Copy { src, dst, replace })
}

pub(super) fn exec_copy(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Copy { src, dst, replace } = op else {
        return mismatch();
    };
    copy(ks, src, dst, *replace)
}

/// COPY: 1 if `dst` now holds a copy of `src` (value and TTL), 0 if `src`
/// is missing or `dst` exists without REPLACE. Every form of `dst` (a bare
/// legacy key included) goes first, as for RENAME.
pub fn copy<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    src: &[u8],
    dst: &[u8],
    replace: bool,
) -> Reply {
    let Some(value) = ks.reader().stored(src) else {
        return Reply::Integer(0);
    };
    if !replace && ks.reader().exists(dst) {
        return Reply::Integer(0);
    }
    ks.delete(dst);
    let expire_at = ks.reader().info(src).and_then(|i| i.expire_at);
    ks.put_copy(src, dst, &value, expire_at);
    Reply::Integer(1)
}

/// OBJECT's subcommands that take a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObjectSub {
    Encoding,
    Freq,
    IdleTime,
    RefCount,
}

/// `OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key` / `OBJECT HELP`
pub(super) fn parse_object(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let sub = arg(args, 1);
    if is(&sub, "help") {
        return match args.len() {
            2 => Ok(Op::ObjectHelp),
            _ => Err(ParseError::WrongArity("object|help")),
        };
    }
    let subs = [
        ("encoding", ObjectSub::Encoding, "object|encoding"),
        ("freq", ObjectSub::Freq, "object|freq"),
        ("idletime", ObjectSub::IdleTime, "object|idletime"),
        ("refcount", ObjectSub::RefCount, "object|refcount"),
    ];
    let Some((_, sub, name)) = subs.into_iter().find(|(n, _, _)| is(&sub, n)) else {
        return Err(ParseError::UnknownSubcommand {
            container: "OBJECT",
            sub,
        });
    };
    if args.len() != 3 {
        return Err(ParseError::WrongArity(name));
    }
    Ok(Op::Object {
        sub,
        key: arg(args, 2),
    })
}

pub(super) fn exec_object(op: &Op, ks: &ReadView<'_>) -> Reply {
    match op {
        Op::Object { sub, key } => object(ks, *sub, key),
        Op::ObjectHelp => object_help(),
        _ => mismatch(),
    }
}

/// FREQ's error under a policy that is not LFU, in Redis's words.
pub const NO_LFU: &str =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
     Please note that when switching between policies at runtime LRU and LFU data will take some \
     time to adjust.";

/// OBJECT ENCODING/FREQ/IDLETIME/REFCOUNT (see the module docs): nil for a
/// missing key.
pub fn object<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, sub: ObjectSub, key: &[u8]) -> Reply {
    let Some(value) = ks.stored(key) else {
        return Reply::Nil;
    };
    match sub {
        ObjectSub::Encoding => Reply::bulk(match &value {
            Stored::String(v) => string_encoding(&v.value),
            Stored::Collection(m) => collection_encoding(m.kind),
        }),
        ObjectSub::Freq => Reply::err(NO_LFU),
        ObjectSub::IdleTime => Reply::Integer(0),
        ObjectSub::RefCount => Reply::Integer(1),
    }
}

/// A collection's encoding: fencekv stores every collection one way (a
/// meta key and a key per element), whatever its size, so it answers with
/// the name of Redis's own large-collection encoding of the type — never
/// `listpack` or `intset`, which Redis uses for small ones.
pub fn collection_encoding(kind: crate::collections::Kind) -> &'static str {
    use crate::collections::Kind;
    match kind {
        Kind::Hash | Kind::Set => "hashtable",
        Kind::List => "quicklist",
        Kind::ZSet => "skiplist",
    }
}

/// The encoding Redis's `tryObjectEncoding` gives a string value when it is
/// SET: `int`, `embstr` (up to 44 bytes) or `raw`.
pub fn string_encoding(value: &[u8]) -> &'static str {
    if value.len() <= 20 && parse_i64(value).is_some() {
        "int"
    } else if value.len() <= 44 {
        "embstr"
    } else {
        "raw"
    }
}

/// `MEMORY USAGE key [SAMPLES count]`, with Redis's checks: SAMPLES takes
/// a non-negative integer, anything else is a syntax error, all before the
/// key is looked at. Redis's other MEMORY subcommands report its allocator
/// and are unknown here.
pub(super) fn parse_memory(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let sub = arg(args, 1);
    if !is(&sub, "usage") {
        return Err(ParseError::UnknownSubcommand {
            container: "MEMORY",
            sub,
        });
    }
    if args.len() < 3 {
        return Err(ParseError::WrongArity("memory|usage"));
    }
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "samples") && i + 1 < args.len() {
            if int_arg(&args[i + 1])? < 0 {
                return Err(ParseError::Syntax);
            }
            i += 2;
        } else {
            return Err(ParseError::Syntax);
        }
    }
    Ok(Op::MemoryUsage { key: arg(args, 2) })
}

/// MEMORY USAGE: the bytes of every internal key and value that stores the
/// key (its string forms and TTL entry, or its meta and every element),
/// nil for a missing key. O(elements), as Redis's is with `SAMPLES 0`.
pub(super) fn exec_memory(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::MemoryUsage { key } = op else {
        return mismatch();
    };
    let Some(stored) = ks.stored(key) else {
        return Reply::Nil;
    };
    let mut bytes = 0usize;
    let mut count = |raw_key: &[u8]| {
        if let Some(v) = ks.raw.raw_get(raw_key) {
            bytes = bytes.saturating_add(raw_key.len() + v.len());
        }
    };
    count(key);
    count(&crate::strings::encoding::str_key(key));
    count(&crate::strings::encoding::ttl_key(key));
    count(&crate::collections::encoding::meta_key(key));
    if let Stored::Collection(meta) = stored {
        for prefix in meta.kind.element_prefixes() {
            let base = crate::collections::encoding::element_prefix(prefix, key).len();
            crate::collections::scan_elements(ks.raw, prefix, key, b"", &mut |suffix, v| {
                bytes = bytes.saturating_add(base + suffix.len() + v.len());
                true
            });
        }
    }
    Reply::Integer(i64::try_from(bytes).unwrap_or(i64::MAX))
}

/// OBJECT HELP, as Redis 7.0 words it.
pub fn object_help() -> Reply {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(LINES.iter().map(|l| Reply::Status((*l).into())).collect())
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

/// TYPE: "string", "hash", "list", "set", "zset" or "none".
pub fn type_of<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, key: &[u8]) -> Reply {
    Reply::Status(ks.info(key).map_or("none", |i| i.kind.name()).into())
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
    let Some(value) = ks.reader().stored(src) else {
        return Reply::err(errors::NO_SUCH_KEY);
    };
    if src == dst {
        return done(nx, false);
    }
    if ks.reader().exists(dst) && nx {
        return done(nx, false);
    }
    // Remove every form of the destination (a bare legacy key included),
    // then write it (a string in the current format, a collection element
    // by element).
    let expire_at = ks.reader().info(src).and_then(|i| i.expire_at);
    ks.delete(dst);
    ks.put_copy(src, dst, &value, expire_at);
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

/// FLUSHDB/FLUSHALL: every form of every key goes — strings, collections
/// with all their elements, expired ones and stray TTL index entries
/// included. Other internal keys (the script cache) are not keys and are
/// left alone.
pub fn flush<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>) -> Reply {
    let mut user_keys: Vec<Bytes> = Vec::new();
    ks.raw.raw_scan(b"", &mut |k, _| {
        match classify(k) {
            KeyKind::Str(u) | KeyKind::Ttl(u) | KeyKind::Bare(u) => {
                user_keys.push(Bytes::copy_from_slice(u))
            }
            KeyKind::OtherInternal => {
                if let Some(u) = crate::collections::encoding::meta_user_key(k) {
                    user_keys.push(Bytes::copy_from_slice(u))
                }
            }
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
pub(crate) fn parse_cursor(b: &[u8]) -> Option<u64> {
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
/// TYPE keeps keys of that type (its name in any case).
pub fn scan<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    cursor: u64,
    pattern: Option<&[u8]>,
    count: u64,
    type_name: Option<&[u8]>,
) -> Reply {
    let mut candidates: Vec<(u64, Bytes, &'static str)> = Vec::new();
    ks.for_each_key(&mut |k, info| {
        let h = scan_hash(k);
        if h >= cursor {
            candidates.push((h, k.clone(), info.kind.name()));
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
    let keys = candidates[..taken]
        .iter()
        .filter(|(_, k, t)| {
            type_name.is_none_or(|want| is(want, t)) && pattern.is_none_or(|p| glob_match(p, k))
        })
        .map(|(_, k, _)| Reply::Bulk(k.clone()))
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
