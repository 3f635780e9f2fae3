//! The hash commands' semantics over a keyspace view: reads against a
//! snapshot ([`ReadView`]), writes as their log entry applies
//! ([`WriteView`]), each keeping the meta's field count exact.

use bytes::Bytes;

use super::{HashOp, ScanOptionError};
use crate::cmd::args::{format_f64, int_bytes, parse_f64, parse_i64};
use crate::cmd::glob::glob_match;
use crate::cmd::{mismatch, Op, ReadView, WriteView};
use crate::collections::encoding::HASH_PREFIX;
use crate::collections::{hash, scan_elements, scan_page, Kind, Meta};
use crate::resp::reply::errors;
use crate::resp::Reply;
use crate::rng::XorShift;

fn hash_op(op: &Op) -> Option<&HashOp> {
    match op {
        Op::HashCmd(h) => Some(h),
        _ => None,
    }
}

/// The live hash under `key` for a read (`None`: no key; an empty reply).
macro_rules! read_hash {
    ($ks:expr, $key:expr) => {
        or_wrong_type!($ks.collection($key, Kind::Hash))
    };
}

/// Store `meta` if the command changed it.
fn store(ks: &mut WriteView<'_>, key: &[u8], before: &Meta, meta: &Meta) {
    if meta != before || meta.len == 0 {
        ks.write_meta(key, meta);
    }
}

// ------------------------------------------------------------ HSET, HMSET

/// Set every pair, in order (a repeated field keeps its last value); the
/// number of fields that were new.
fn set_pairs(ks: &mut WriteView<'_>, key: &[u8], pairs: &[(Bytes, Bytes)]) -> Result<i64, Reply> {
    let before = ks.open(key, Kind::Hash).map_err(crate::cmd::wrong_type)?;
    let mut meta = before.clone();
    let mut added = 0;
    for (field, value) in pairs {
        if hash::put(&mut *ks.raw, key, &mut meta, field, value.clone()) {
            added += 1;
        }
    }
    store(ks, key, &before, &meta);
    Ok(added)
}

/// HSET: the number of fields added.
pub(super) fn exec_hset(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::Set { key, pairs }) = hash_op(op) else {
        return mismatch();
    };
    set_pairs(ks, key, pairs).map_or_else(|e| e, Reply::Integer)
}

/// HMSET: OK.
pub(super) fn exec_hmset(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::Set { key, pairs }) = hash_op(op) else {
        return mismatch();
    };
    set_pairs(ks, key, pairs).map_or_else(|e| e, |_| Reply::ok())
}

// ------------------------------------------------------------------- HDEL

/// HDEL: the number of fields removed; the hash goes with its last field.
pub(super) fn exec_hdel(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::Del { key, fields }) = hash_op(op) else {
        return mismatch();
    };
    let Some(before) = read_hash!(ks.reader(), key) else {
        return Reply::Integer(0);
    };
    let mut meta = before.clone();
    let mut removed = 0;
    for field in fields {
        if hash::delete(&mut *ks.raw, key, &mut meta, field) {
            removed += 1;
        }
    }
    store(ks, key, &before, &meta);
    Reply::Integer(removed)
}

// ------------------------------------------------------------------ reads

/// HGET: the value, or nil.
pub(super) fn exec_hget(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::Get { key, field }) = hash_op(op) else {
        return mismatch();
    };
    if read_hash!(ks, key).is_none() {
        return Reply::Nil;
    }
    hash::get(ks.raw, key, field).map_or(Reply::Nil, Reply::Bulk)
}

/// HLEN: the meta's count, O(1).
pub(super) fn exec_hlen(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::Len { key }) = hash_op(op) else {
        return mismatch();
    };
    let len = read_hash!(ks, key).map_or(0, |m| m.len);
    Reply::Integer(i64::try_from(len).unwrap_or(i64::MAX))
}

/// Every field and value of the hash under the `All` op's key, in field
/// order; the error is WRONGTYPE's reply.
fn all_fields(op: &Op, ks: &ReadView<'_>) -> Result<Vec<(Bytes, Bytes)>, Reply> {
    let Some(HashOp::All { key }) = hash_op(op) else {
        return Err(mismatch());
    };
    match ks.collection(key, Kind::Hash) {
        Ok(Some(_)) => Ok(hash::all(ks.raw, key)),
        Ok(None) => Ok(vec![]),
        Err(e) => Err(crate::cmd::wrong_type(e)),
    }
}

/// HGETALL: a map of field to value (a flat array in RESP2).
pub(super) fn exec_hgetall(op: &Op, ks: &ReadView<'_>) -> Reply {
    match all_fields(op, ks) {
        Ok(all) => Reply::Map(
            all.into_iter()
                .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
                .collect(),
        ),
        Err(e) => e,
    }
}

/// HKEYS: the fields.
pub(super) fn exec_hkeys(op: &Op, ks: &ReadView<'_>) -> Reply {
    match all_fields(op, ks) {
        Ok(all) => Reply::Array(all.into_iter().map(|(f, _)| Reply::Bulk(f)).collect()),
        Err(e) => e,
    }
}

/// HVALS: the values, in their fields' order.
pub(super) fn exec_hvals(op: &Op, ks: &ReadView<'_>) -> Reply {
    match all_fields(op, ks) {
        Ok(all) => Reply::Array(all.into_iter().map(|(_, v)| Reply::Bulk(v)).collect()),
        Err(e) => e,
    }
}

/// HMGET: a value or nil per field.
pub(super) fn exec_hmget(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::MGet { key, fields }) = hash_op(op) else {
        return mismatch();
    };
    let live = read_hash!(ks, key).is_some();
    Reply::Array(
        fields
            .iter()
            .map(|f| {
                live.then(|| hash::get(ks.raw, key, f))
                    .flatten()
                    .map_or(Reply::Nil, Reply::Bulk)
            })
            .collect(),
    )
}

/// The value of `field` in the live hash `key`, if both are there.
fn field_value(ks: &ReadView<'_>, key: &[u8], field: &[u8]) -> Result<Option<Bytes>, Reply> {
    match ks.collection(key, Kind::Hash) {
        Ok(Some(_)) => Ok(hash::get(ks.raw, key, field)),
        Ok(None) => Ok(None),
        Err(e) => Err(crate::cmd::wrong_type(e)),
    }
}

/// HEXISTS: 1 or 0.
pub(super) fn exec_hexists(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::Exists { key, field }) = hash_op(op) else {
        return mismatch();
    };
    match field_value(ks, key, field) {
        Ok(v) => Reply::Integer(i64::from(v.is_some())),
        Err(e) => e,
    }
}

/// HSTRLEN: the value's length, 0 without one.
pub(super) fn exec_hstrlen(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::StrLen { key, field }) = hash_op(op) else {
        return mismatch();
    };
    match field_value(ks, key, field) {
        Ok(v) => Reply::Integer(v.map_or(0, |v| i64::try_from(v.len()).unwrap_or(i64::MAX))),
        Err(e) => e,
    }
}

// ----------------------------------------------------------------- writes

/// HSETNX: 1 if the field was set, 0 if it was there.
pub(super) fn exec_hsetnx(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::SetNx { key, field, value }) = hash_op(op) else {
        return mismatch();
    };
    let before = or_wrong_type!(ks.open(key, Kind::Hash));
    if hash::get(&*ks.raw, key, field).is_some() {
        return Reply::Integer(0);
    }
    let mut meta = before.clone();
    hash::put(&mut *ks.raw, key, &mut meta, field, value.clone());
    store(ks, key, &before, &meta);
    Reply::Integer(1)
}

/// Replace `field`'s value in `key`'s hash with `update(old value)`;
/// `update`'s error is the reply and nothing is written.
fn update_field(
    ks: &mut WriteView<'_>,
    key: &[u8],
    field: &[u8],
    update: impl FnOnce(Option<&[u8]>) -> Result<(Bytes, Reply), Reply>,
) -> Reply {
    let before = or_wrong_type!(ks.open(key, Kind::Hash));
    let old = hash::get(&*ks.raw, key, field);
    let (value, reply) = match update(old.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let mut meta = before.clone();
    hash::put(&mut *ks.raw, key, &mut meta, field, value);
    store(ks, key, &before, &meta);
    reply
}

/// HINCRBY: the new value; a missing field counts as 0.
pub(super) fn exec_hincrby(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::IncrBy { key, field, by }) = hash_op(op) else {
        return mismatch();
    };
    update_field(ks, key, field, |old| {
        let current = match old {
            Some(v) => parse_i64(v).ok_or_else(|| Reply::err(NOT_INTEGER_VALUE))?,
            None => 0,
        };
        let new = current
            .checked_add(*by)
            .ok_or_else(|| Reply::err(errors::OVERFLOW))?;
        Ok((int_bytes(new), Reply::Integer(new)))
    })
}

/// HINCRBYFLOAT: the new value, formatted as INCRBYFLOAT formats it
/// ([`format_f64`]) and stored as that text; a NaN or infinite increment
/// or result is refused.
pub(super) fn exec_hincrbyfloat(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Some(HashOp::IncrByFloat {
        key,
        field,
        by_bits,
    }) = hash_op(op)
    else {
        return mismatch();
    };
    let by = f64::from_bits(*by_bits);
    if !by.is_finite() {
        return Reply::err(NAN_OR_INFINITY_INCREMENT);
    }
    update_field(ks, key, field, |old| {
        let current = match old {
            Some(v) => parse_f64(v).ok_or_else(|| Reply::err(NOT_FLOAT_VALUE))?,
            None => 0.0,
        };
        let new = current + by;
        if !new.is_finite() {
            return Err(Reply::err(errors::NAN_OR_INF));
        }
        let text = Bytes::from(format_f64(new));
        Ok((text.clone(), Reply::Bulk(text)))
    })
}

/// HINCRBY on a value that is not an integer.
const NOT_INTEGER_VALUE: &str = "ERR hash value is not an integer";
/// HINCRBYFLOAT on a value that is not a float.
const NOT_FLOAT_VALUE: &str = "ERR hash value is not a float";
/// HINCRBYFLOAT's increment is NaN or infinite.
const NAN_OR_INFINITY_INCREMENT: &str = "ERR value is NaN or Infinity";

// ------------------------------------------------------------- HRANDFIELD

/// The most fields a negative HRANDFIELD count returns. Redis builds any
/// length (and runs out of memory near the limit of the count); fencekv
/// builds the whole reply in memory, so a longer one is refused with
/// [`TOO_MANY_FIELDS`].
pub const MAX_REPEATED_FIELDS: u64 = 1 << 20;
const TOO_MANY_FIELDS: &str = "ERR value is out of range: the reply would hold too many fields";
/// HRANDFIELD's count is `i64::MIN`.
const RANGE_NOT_MIN: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/// HRANDFIELD WITHVALUES's count past half the range.
const RANGE_PLAIN: &str = "ERR value is out of range";

/// HRANDFIELD: without a count, one random field (nil without a hash);
/// with a positive count, that many distinct fields (all of them when the
/// hash is smaller); with a negative one, that many draws with repeats.
/// WITHVALUES pairs each field with its value (a flat array in RESP2,
/// pairs in RESP3, as Redis 7.0). The choice is a function of the op's `seed` alone.
pub(super) fn exec_hrandfield(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::RandField {
        key,
        count,
        with_values,
        seed,
    }) = hash_op(op)
    else {
        return mismatch();
    };
    if let Some(c) = count {
        if *c == i64::MIN {
            return Reply::err(RANGE_NOT_MIN);
        }
        if *with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(c) {
            return Reply::err(RANGE_PLAIN);
        }
    }
    let meta = read_hash!(ks, key);
    let mut rng = XorShift::seeded(*seed);
    let Some(count) = count else {
        return match meta {
            Some(m) => {
                nth_field(ks, key, rng.below(m.len)).map_or(Reply::Nil, |(f, _)| Reply::Bulk(f))
            }
            None => Reply::Nil,
        };
    };
    if meta.is_none() || *count == 0 {
        return Reply::Array(vec![]);
    }
    if *count < 0 && count.unsigned_abs() > MAX_REPEATED_FIELDS {
        return Reply::err(TOO_MANY_FIELDS);
    }
    let all = hash::all(ks.raw, key);
    let n = all.len() as u64;
    if n == 0 {
        return Reply::Array(vec![]);
    }
    let picks: Vec<usize> = if *count > 0 && count.unsigned_abs() >= n {
        // The whole hash, in its order (Redis's first case too).
        (0..all.len()).collect()
    } else if *count < 0 {
        (0..count.unsigned_abs())
            .map(|_| rng.below(n) as usize)
            .collect()
    } else {
        // A partial Fisher–Yates shuffle: `count` distinct positions.
        let take = count.unsigned_abs() as usize;
        let mut order: Vec<usize> = (0..all.len()).collect();
        for i in 0..take {
            let j = i + rng.below((order.len() - i) as u64) as usize;
            order.swap(i, j);
        }
        order.truncate(take);
        order
    };
    if *with_values {
        return Reply::Pairs(
            picks
                .into_iter()
                .map(|i| (Reply::Bulk(all[i].0.clone()), Reply::Bulk(all[i].1.clone())))
                .collect(),
        );
    }
    Reply::Array(
        picks
            .into_iter()
            .map(|i| Reply::Bulk(all[i].0.clone()))
            .collect(),
    )
}

/// The `index`-th field of `key`'s hash in field order, and its value.
fn nth_field(ks: &ReadView<'_>, key: &[u8], index: u64) -> Option<(Bytes, Bytes)> {
    let mut seen = 0u64;
    let mut found = None;
    scan_elements(ks.raw, HASH_PREFIX, key, b"", &mut |f, v| {
        if seen == index {
            found = Some((Bytes::copy_from_slice(f), v.clone()));
            return false;
        }
        seen += 1;
        true
    });
    found
}

// ------------------------------------------------------------------ HSCAN

/// HSCAN: `[next cursor, [field, value, ...]]` over one page of the field
/// order ([`crate::collections::scan_page`]); MATCH filters the page's
/// fields after COUNT picked them, as Redis does. Without a hash, the empty
/// scan (whatever the options); then WRONGTYPE; then the options' error.
pub(super) fn exec_hscan(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Some(HashOp::Scan {
        key,
        cursor,
        options,
    }) = hash_op(op)
    else {
        return mismatch();
    };
    let page = |next: u64, items: Vec<Reply>| {
        Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(items)])
    };
    if read_hash!(ks, key).is_none() {
        return page(0, vec![]);
    }
    let opts = match options {
        Ok(o) => o,
        Err(ScanOptionError::Syntax) => return Reply::err(errors::SYNTAX),
        Err(ScanOptionError::NotInteger) => return Reply::err(errors::NOT_INTEGER),
    };
    let mut items = Vec::new();
    let next = scan_page(
        ks.raw,
        HASH_PREFIX,
        key,
        *cursor,
        opts.count,
        &mut |f, v| {
            if opts.pattern.as_ref().is_none_or(|p| glob_match(p, f)) {
                items.push(Reply::bulk(Bytes::copy_from_slice(f)));
                items.push(Reply::Bulk(v.clone()));
            }
        },
    );
    page(next, items)
}
