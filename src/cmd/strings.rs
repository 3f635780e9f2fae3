//! String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET
//! MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SUBSTR
//! SETRANGE LCS.
//!
//! Each command has a `parse_*` (arity already checked by [`super::parse`]),
//! an `exec_*` (its row's executor) and a run function over a keyspace view. Writes that modify a value in
//! place (INCR*, APPEND, SETRANGE) keep the key's TTL, as Redis's
//! `dbOverwrite` does; SET-like writes replace it.

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use super::args::{format_f64, int_arg, int_bytes, is, parse_f64, parse_i64, MAX_STRING_LEN};
use super::error::ParseError;
use super::{
    mismatch, Exec, GetExAction, Kind, Op, ParseCtx, ReadView, SetCond, SetExpiry, WriteView,
};
use crate::resp::reply::errors;
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

/// Argument `i` (the arity was checked; an absent one reads as empty).
pub(super) fn arg(args: &[Bytes], i: usize) -> Bytes {
    args.get(i).cloned().unwrap_or_default()
}

fn bulk_or_nil(v: Option<Bytes>) -> Reply {
    v.map_or(Reply::Nil, Reply::Bulk)
}

// ------------------------------------------------------------ expiry options

/// Which expiry option carried the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpiryUnit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Redis's `getExpireMillisecondsOrReply`: the option's argument as an
/// absolute unix-ms time. Not an integer → "not an integer"; not positive,
/// overflowing the seconds conversion or the addition of now → "invalid
/// expire time in '<cmd>' command".
fn resolve_expiry(
    cmd: &'static str,
    raw: &[u8],
    unit: ExpiryUnit,
    now_ms: u64,
) -> Result<u64, ParseError> {
    let v = parse_i64(raw).ok_or(ParseError::NotInteger)?;
    let seconds = matches!(unit, ExpiryUnit::Ex | ExpiryUnit::ExAt);
    let invalid = || ParseError::InvalidExpire(cmd);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(unit, ExpiryUnit::Ex | ExpiryUnit::Px) {
        let now = i64::try_from(now_ms).map_err(|_| invalid())?;
        ms = ms.checked_add(now).ok_or_else(invalid)?;
    }
    u64::try_from(ms).map_err(|_| invalid())
}

/// SET's and GETEX's options, parsed with Redis 7.0's conflict rules
/// (`parseExtendedStringArgumentsOrReply`): a repeated option is allowed
/// (the last time wins), conflicting ones are a syntax error, and a time
/// option needs a following argument.
#[derive(Default)]
struct ExtOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpiryUnit, Bytes)>,
}

fn parse_ext_options(args: &[Bytes], from: usize, is_set: bool) -> Result<ExtOptions, ParseError> {
    let mut o = ExtOptions::default();
    let mut j = from;
    while j < args.len() {
        let opt = &args[j];
        let next = args.get(j + 1);
        let unit = o.expire.as_ref().map(|(u, _)| *u);
        let time_ok = |u: ExpiryUnit, o: &ExtOptions| {
            !o.keepttl && !o.persist && (unit.is_none() || unit == Some(u)) && next.is_some()
        };
        if is(opt, "nx") && !o.xx && is_set {
            o.nx = true;
        } else if is(opt, "xx") && !o.nx && is_set {
            o.xx = true;
        } else if is(opt, "get") && is_set {
            o.get = true;
        } else if is(opt, "keepttl") && !o.persist && unit.is_none() && is_set {
            o.keepttl = true;
        } else if is(opt, "persist") && !is_set && unit.is_none() && !o.keepttl {
            o.persist = true;
        } else if let Some(u) = [
            ("ex", ExpiryUnit::Ex),
            ("px", ExpiryUnit::Px),
            ("exat", ExpiryUnit::ExAt),
            ("pxat", ExpiryUnit::PxAt),
        ]
        .iter()
        .find(|(name, _)| is(opt, name))
        .map(|(_, u)| *u)
        .filter(|&u| time_ok(u, &o))
        {
            o.expire = next.map(|n| (u, n.clone()));
            j += 1;
        } else {
            return Err(ParseError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

// ----------------------------------------------------------------------- GET

/// `GET key`
pub(super) fn parse_get(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Get { key: arg(args, 1) })
}

pub(super) fn exec_get(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Get { key } = op else {
        return mismatch();
    };
    get(ks, key)
}

/// GET: the value, or nil.
pub fn get<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, key: &[u8]) -> Reply {
    bulk_or_nil(or_wrong_type!(ks.get_str(key)).map(|v| v.value))
}

// ----------------------------------------------------------------------- SET

/// `SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]`
pub(super) fn parse_set(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let o = parse_ext_options(args, 3, true)?;
    let expiry = match &o.expire {
        Some((unit, raw)) => SetExpiry::At(resolve_expiry("set", raw, *unit, ctx.now_ms)?),
        None if o.keepttl => SetExpiry::Keep,
        None => SetExpiry::Clear,
    };
    let cond = match (o.nx, o.xx) {
        (true, _) => SetCond::Nx,
        (_, true) => SetCond::Xx,
        _ => SetCond::Always,
    };
    Ok(Op::Set {
        key: arg(args, 1),
        value: arg(args, 2),
        cond,
        get: o.get,
        expiry,
    })
}

/// `SETEX key seconds value`
pub(super) fn parse_setex(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    setex_like(args, ctx, "setex", ExpiryUnit::Ex)
}

/// `PSETEX key milliseconds value`
pub(super) fn parse_psetex(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    setex_like(args, ctx, "psetex", ExpiryUnit::Px)
}

fn setex_like(
    args: &[Bytes],
    ctx: &ParseCtx,
    name: &'static str,
    unit: ExpiryUnit,
) -> Result<Op, ParseError> {
    let at = resolve_expiry(name, &arg(args, 2), unit, ctx.now_ms)?;
    Ok(Op::Set {
        key: arg(args, 1),
        value: arg(args, 3),
        cond: SetCond::Always,
        get: false,
        expiry: SetExpiry::At(at),
    })
}

/// `GETSET key value`: SET key value GET.
pub(super) fn parse_getset(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Set {
        key: arg(args, 1),
        value: arg(args, 2),
        cond: SetCond::Always,
        get: true,
        expiry: SetExpiry::Clear,
    })
}

/// SET, SETEX, PSETEX and GETSET: [`set`].
pub(super) fn exec_set(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Set {
        key,
        value,
        cond,
        get,
        expiry,
    } = op
    else {
        return mismatch();
    };
    set(ks, key, value, *cond, *get, *expiry)
}

/// SET (and SETEX, PSETEX, GETSET) at apply time: with GET the reply is the
/// old value (or nil) whether or not NX/XX let the write happen; without GET
/// it is OK, or nil when NX/XX refuse. An expiry at or before now leaves the
/// key absent (Redis sets it already expired; fencekv deletes it).
pub fn set<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    value: &[u8],
    cond: SetCond,
    get: bool,
    expiry: SetExpiry,
) -> Reply {
    // SET overwrites a key of any type; only its GET option reads the
    // old value as a string (WRONGTYPE for a collection).
    let old = if get {
        or_wrong_type!(ks.get_str(key))
    } else {
        None
    };
    let info = ks.reader().info(key);
    let found = info.is_some();
    let old_expire = info.and_then(|i| i.expire_at);
    let reply = if get {
        bulk_or_nil(old.map(|v| v.value))
    } else {
        Reply::ok()
    };
    let refused = match cond {
        SetCond::Always => false,
        SetCond::Nx => found,
        SetCond::Xx => !found,
    };
    if refused {
        return if get { reply } else { Reply::Nil };
    }
    let expire_at = match expiry {
        SetExpiry::Clear => None,
        SetExpiry::Keep => old_expire,
        SetExpiry::At(at) => Some(at),
    };
    put(ks, key, value, expire_at);
    reply
}

/// Write `value` with `expire_at`, or delete the key if that is already past.
fn put<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    value: &[u8],
    expire_at: Option<u64>,
) {
    match expire_at {
        Some(at) if at <= ks.now_ms => {
            ks.delete(key);
        }
        _ => ks.set(key, value, expire_at),
    }
}

/// `SETNX key value`
pub(super) fn parse_setnx(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::SetNx {
        key: arg(args, 1),
        value: arg(args, 2),
    })
}

pub(super) fn exec_setnx(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetNx { key, value } = op else {
        return mismatch();
    };
    setnx(ks, key, value)
}

/// SETNX: 1 if the key was set, 0 if it existed.
pub fn setnx<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    value: &[u8],
) -> Reply {
    if ks.reader().exists(key) {
        return Reply::Integer(0);
    }
    ks.set(key, value, None);
    Reply::Integer(1)
}

// ------------------------------------------------------------ GETDEL, GETEX

/// `GETDEL key`
pub(super) fn parse_getdel(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::GetDel { key: arg(args, 1) })
}

pub(super) fn exec_getdel(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::GetDel { key } = op else {
        return mismatch();
    };
    getdel(ks, key)
}

/// GETDEL: the value (or nil), and the key is gone.
pub fn getdel<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, key: &[u8]) -> Reply {
    match or_wrong_type!(ks.get_str(key)) {
        Some(v) => {
            ks.delete(key);
            Reply::Bulk(v.value)
        }
        None => Reply::Nil,
    }
}

/// `GETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]`
///
/// Without an option it is a read. A bad time is only reported when the key
/// exists (Redis looks the key up first), so it is kept in the command.
pub(super) fn parse_getex(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let o = parse_ext_options(args, 2, false)?;
    let action = match &o.expire {
        Some((unit, raw)) => Some(match resolve_expiry("getex", raw, *unit, ctx.now_ms) {
            Ok(at) => GetExAction::At(at),
            Err(e) => GetExAction::Invalid(e.text(args)),
        }),
        None if o.persist => Some(GetExAction::Persist),
        None => None,
    };
    Ok(Op::GetEx {
        key: arg(args, 1),
        action,
    })
}

/// GETEX reads without an option (or with a bad time), else writes.
pub(super) const EXEC_GETEX: Exec = Exec::ReadOrWrite {
    kind: |op| match op {
        Op::GetEx {
            action: Some(GetExAction::Persist | GetExAction::At(_)),
            ..
        } => Kind::Write,
        _ => Kind::Read,
    },
    read: |op, ks| {
        let Op::GetEx { key, action } = op else {
            return mismatch();
        };
        getex_read(ks, key, action.as_ref())
    },
    write: |op, ks| {
        let Op::GetEx {
            key,
            action: Some(action),
        } = op
        else {
            return mismatch();
        };
        getex_write(ks, key, action)
    },
};

/// GETEX as a read: no option (the value), or a bad time (nil for a missing
/// key, the error for an existing one).
pub fn getex_read<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    key: &[u8],
    action: Option<&GetExAction>,
) -> Reply {
    match (or_wrong_type!(ks.get_str(key)), action) {
        (None, _) => Reply::Nil,
        (Some(_), Some(GetExAction::Invalid(e))) => Reply::err(e.clone()),
        (Some(v), _) => Reply::Bulk(v.value),
    }
}

/// GETEX with an option: reply the value, then set, drop or (for a time at
/// or before now) delete.
pub fn getex_write<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    action: &GetExAction,
) -> Reply {
    let Some(v) = or_wrong_type!(ks.get_str(key)) else {
        return Reply::Nil;
    };
    match action {
        GetExAction::Invalid(e) => return Reply::err(e.clone()),
        GetExAction::At(at) => put(ks, key, &v.value, Some(*at)),
        GetExAction::Persist => {
            if v.expire_at.is_some() {
                ks.set(key, &v.value, None);
            }
        }
    }
    Reply::Bulk(v.value)
}

// ---------------------------------------------------------- MGET MSET MSETNX

/// `MGET key [key ...]`
pub(super) fn parse_mget(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::MGet {
        keys: args.get(1..).unwrap_or(&[]).to_vec(),
    })
}

pub(super) fn exec_mget(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::MGet { keys } = op else {
        return mismatch();
    };
    mget(ks, keys)
}

/// MGET: one value or nil per key; nil for a key of another type too
/// (Redis's MGET never answers WRONGTYPE).
pub fn mget<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, keys: &[Bytes]) -> Reply {
    Reply::Array(
        keys.iter()
            .map(|k| ks.get(k).map_or(Reply::Nil, |v| Reply::Bulk(v.value)))
            .collect(),
    )
}

fn parse_pairs(args: &[Bytes], name: &'static str) -> Result<Vec<(Bytes, Bytes)>, ParseError> {
    if args.len().is_multiple_of(2) {
        return Err(ParseError::WrongArity(name));
    }
    Ok(args
        .get(1..)
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect())
}

/// `MSET key value [key value ...]`
pub(super) fn parse_mset(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::MSet {
        pairs: parse_pairs(args, "mset")?,
    })
}

pub(super) fn exec_mset(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::MSet { pairs } = op else {
        return mismatch();
    };
    mset(ks, pairs)
}

/// `MSETNX key value [key value ...]`
pub(super) fn parse_msetnx(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::MSetNx {
        pairs: parse_pairs(args, "msetnx")?,
    })
}

pub(super) fn exec_msetnx(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::MSetNx { pairs } = op else {
        return mismatch();
    };
    msetnx(ks, pairs)
}

/// MSET: every pair set (TTLs cleared), in order, so a repeated key's last
/// value wins.
pub fn mset<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    pairs: &[(Bytes, Bytes)],
) -> Reply {
    for (k, v) in pairs {
        ks.set(k, v, None);
    }
    Reply::ok()
}

/// MSETNX: all or nothing — 0 if any key exists, else every pair set and 1.
pub fn msetnx<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    pairs: &[(Bytes, Bytes)],
) -> Reply {
    if pairs.iter().any(|(k, _)| ks.reader().exists(k)) {
        return Reply::Integer(0);
    }
    mset(ks, pairs);
    Reply::Integer(1)
}

// --------------------------------------------------------- INCR and friends

/// `INCR key`
pub(super) fn parse_incr(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::IncrBy {
        key: arg(args, 1),
        by: 1,
    })
}

/// `DECR key`
pub(super) fn parse_decr(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::IncrBy {
        key: arg(args, 1),
        by: -1,
    })
}

/// `INCRBY key increment`
pub(super) fn parse_incrby(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::IncrBy {
        key: arg(args, 1),
        by: int_arg(&arg(args, 2))?,
    })
}

/// `DECRBY key decrement` (decrementing by i64::MIN cannot be negated:
/// "ERR decrement would overflow", as Redis 7.0).
pub(super) fn parse_decrby(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let by = int_arg(&arg(args, 2))?;
    if by == i64::MIN {
        return Err(ParseError::DecrementOverflow);
    }
    Ok(Op::IncrBy {
        key: arg(args, 1),
        by: -by,
    })
}

/// INCR, DECR, INCRBY and DECRBY: [`incrby`].
pub(super) fn exec_incrby(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::IncrBy { key, by } = op else {
        return mismatch();
    };
    incrby(ks, key, *by)
}

/// INCR/DECR/INCRBY/DECRBY: the stored value must be a canonical 64-bit
/// integer (a missing key counts as 0); the result keeps the TTL.
pub fn incrby<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, key: &[u8], by: i64) -> Reply {
    let old = or_wrong_type!(ks.get_str(key));
    let (current, expire_at) = match &old {
        Some(v) => match parse_i64(&v.value) {
            Some(n) => (n, v.expire_at),
            None => return Reply::err(errors::NOT_INTEGER),
        },
        None => (0, None),
    };
    let Some(new) = current.checked_add(by) else {
        return Reply::err(errors::OVERFLOW);
    };
    ks.set(key, &int_bytes(new), expire_at);
    Reply::Integer(new)
}

/// `INCRBYFLOAT key increment` (the increment is checked here; Redis gives
/// the same "not a valid float" error whichever operand is bad).
pub(super) fn parse_incrbyfloat(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let by = parse_f64(&arg(args, 2)).ok_or(ParseError::NotFloat)?;
    Ok(Op::IncrByFloat {
        key: arg(args, 1),
        by_bits: by.to_bits(),
    })
}

pub(super) fn exec_incrbyfloat(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::IncrByFloat { key, by_bits } = op else {
        return mismatch();
    };
    incrbyfloat(ks, key, f64::from_bits(*by_bits))
}

/// INCRBYFLOAT: stored as the formatted result string (see
/// [`super::args::format_f64`]), TTL kept; a NaN or infinite result is refused.
pub fn incrbyfloat<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    by: f64,
) -> Reply {
    let old = or_wrong_type!(ks.get_str(key));
    let (current, expire_at) = match &old {
        Some(v) => match parse_f64(&v.value) {
            Some(n) => (n, v.expire_at),
            None => return Reply::err(errors::NOT_FLOAT),
        },
        None => (0.0, None),
    };
    let new = current + by;
    if !new.is_finite() {
        return Reply::err(errors::NAN_OR_INF);
    }
    let text = Bytes::from(format_f64(new));
    ks.set(key, &text, expire_at);
    Reply::Bulk(text)
}

// ------------------------------------------------------- APPEND and ranges

/// `APPEND key value`
pub(super) fn parse_append(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Append {
        key: arg(args, 1),
        value: arg(args, 2),
    })
}

pub(super) fn exec_append(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Append { key, value } = op else {
        return mismatch();
    };
    append(ks, key, value)
}

/// APPEND: the new length; the TTL is kept; past 512 MB it is refused.
pub fn append<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    value: &[u8],
) -> Reply {
    match or_wrong_type!(ks.get_str(key)) {
        None => {
            ks.set(key, value, None);
            Reply::Integer(value.len() as i64)
        }
        Some(v) => {
            let total = v.value.len() + value.len();
            if total as u64 > MAX_STRING_LEN {
                return Reply::err(errors::STRING_TOO_LONG);
            }
            let mut b = BytesMut::with_capacity(total);
            b.extend_from_slice(&v.value);
            b.extend_from_slice(value);
            ks.set(key, &b, v.expire_at);
            Reply::Integer(total as i64)
        }
    }
}

/// `STRLEN key`
pub(super) fn parse_strlen(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::StrLen { key: arg(args, 1) })
}

pub(super) fn exec_strlen(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::StrLen { key } = op else {
        return mismatch();
    };
    strlen(ks, key)
}

/// STRLEN: the length, 0 for a missing key.
pub fn strlen<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, key: &[u8]) -> Reply {
    Reply::Integer(or_wrong_type!(ks.get_str(key)).map_or(0, |v| v.value.len() as i64))
}

/// `GETRANGE key start end` (and `SUBSTR key start end`)
pub(super) fn parse_getrange(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::GetRange {
        key: arg(args, 1),
        start: int_arg(&arg(args, 2))?,
        end: int_arg(&arg(args, 3))?,
    })
}

pub(super) fn exec_getrange(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::GetRange { key, start, end } = op else {
        return mismatch();
    };
    getrange(ks, key, *start, *end)
}

/// GETRANGE: Redis's index arithmetic (negative from the end, clamped;
/// both negative with start > end is empty); a missing key is "".
pub fn getrange<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    key: &[u8],
    start: i64,
    end: i64,
) -> Reply {
    let Some(v) = or_wrong_type!(ks.get_str(key)) else {
        return Reply::bulk(Bytes::new());
    };
    let len = v.value.len() as i128;
    let (mut start, mut end) = (i128::from(start), i128::from(end));
    if start < 0 && end < 0 && start > end {
        return Reply::bulk(Bytes::new());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Reply::bulk(Bytes::new());
    }
    // 0 <= start <= end < len here.
    Reply::Bulk(v.value.slice(start as usize..=end as usize))
}

/// `SETRANGE key offset value`: a negative offset or a result past 512 MB
/// is refused here (Redis checks both whether or not the key exists; an
/// empty value never errs on length).
pub(super) fn parse_setrange(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let offset = int_arg(&arg(args, 2))?;
    let Ok(offset) = u64::try_from(offset) else {
        return Err(ParseError::OffsetOutOfRange);
    };
    let value = arg(args, 3);
    if !value.is_empty() && offset.saturating_add(value.len() as u64) > MAX_STRING_LEN {
        return Err(ParseError::StringTooLong);
    }
    Ok(Op::SetRange {
        key: arg(args, 1),
        offset,
        value,
    })
}

pub(super) fn exec_setrange(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetRange { key, offset, value } = op else {
        return mismatch();
    };
    setrange(ks, key, *offset, value)
}

/// SETRANGE: overwrite from `offset`, zero-padding as needed; the new length
/// (an empty value changes nothing and replies the current length). TTL kept.
pub fn setrange<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    offset: u64,
    value: &[u8],
) -> Reply {
    let old = or_wrong_type!(ks.get_str(key));
    if value.is_empty() {
        return Reply::Integer(old.map_or(0, |v| v.value.len() as i64));
    }
    // Parsing bounded offset + len by 512 MB.
    let offset = offset as usize;
    let end = offset + value.len();
    let (mut buf, expire_at) = match old {
        Some(v) => (v.value.to_vec(), v.expire_at),
        None => (Vec::new(), None),
    };
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(value);
    ks.set(key, &buf, expire_at);
    Reply::Integer(buf.len() as i64)
}

// ----------------------------------------------------------------------- LCS

/// What LCS answers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LcsReply {
    /// The longest common subsequence itself.
    Sequence,
    /// LEN: its length.
    Len,
    /// IDX: the matching ranges at least `min_len` long (0: all), each with
    /// its length if `with_len`, and the length of the whole.
    Idx { min_len: u64, with_len: bool },
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`: options in
/// any order and repeated; a negative MINMATCHLEN is 0; LEN with IDX is
/// refused. Redis reads the options after looking both keys up, to refuse
/// a key that is not a string first; every key is a string here, so the
/// options are checked at parse time.
pub(super) fn parse_lcs(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let (mut idx, mut len, mut with_len, mut min_len) = (false, false, false, 0u64);
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        if is(opt, "idx") {
            idx = true;
        } else if is(opt, "len") {
            len = true;
        } else if is(opt, "withmatchlen") {
            with_len = true;
        } else if is(opt, "minmatchlen") && j + 1 < args.len() {
            min_len = u64::try_from(int_arg(&args[j + 1])?).unwrap_or(0);
            j += 1;
        } else {
            return Err(ParseError::Syntax);
        }
        j += 1;
    }
    let reply = match (idx, len) {
        (true, true) => return Err(ParseError::LcsLenAndIdx),
        (true, false) => LcsReply::Idx { min_len, with_len },
        (false, true) => LcsReply::Len,
        (false, false) => LcsReply::Sequence,
    };
    Ok(Op::Lcs {
        a: arg(args, 1),
        b: arg(args, 2),
        reply,
    })
}

pub(super) fn exec_lcs(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Lcs { a, b, reply } = op else {
        return mismatch();
    };
    lcs(ks, a, b, reply)
}

/// The DP table of more than this many bytes is refused, as Redis does.
const LCS_TABLE_LIMIT: u64 = MAX_STRING_LEN;

/// LCS: Redis's dynamic programme over the two values (a missing key is
/// ""), its table of `(len1+1)·(len2+1)` u32s limited to
/// `proto-max-bulk-len` bytes, and its walk back from the end that emits
/// the matching ranges last-first.
pub fn lcs<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    key_a: &[u8],
    key_b: &[u8],
    reply: &LcsReply,
) -> Reply {
    let a = or_wrong_type!(ks.get_str(key_a))
        .map(|v| v.value)
        .unwrap_or_default();
    let b = or_wrong_type!(ks.get_str(key_b))
        .map(|v| v.value)
        .unwrap_or_default();
    let (alen, blen) = (a.len(), b.len());
    let width = blen + 1;
    let cells = (alen as u64 + 1) * (width as u64);
    if cells * 4 > LCS_TABLE_LIMIT {
        return Reply::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        return Reply::err("ERR Insufficient memory, failed allocating transient memory for LCS");
    }
    table.resize(cells as usize, 0);
    let at = |i: usize, j: usize| i * width + j;
    for i in 1..=alen {
        for j in 1..=blen {
            table[at(i, j)] = if a[i - 1] == b[j - 1] {
                table[at(i - 1, j - 1)] + 1
            } else {
                table[at(i - 1, j)].max(table[at(i, j - 1)])
            };
        }
    }
    let total = table[at(alen, blen)] as usize;
    if *reply == LcsReply::Len {
        return Reply::Integer(total as i64);
    }
    let (min_len, with_len) = match reply {
        LcsReply::Idx { min_len, with_len } => (Some(*min_len), *with_len),
        _ => (None, false),
    };
    let mut sequence = vec![0u8; total];
    let mut matches = Vec::new();
    let mut k = total;
    // The range being extended backwards; `a_start == alen`: none.
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (alen, 0, 0, 0);
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            sequence[k - 1] = a[i - 1];
            if a_start == alen {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            k -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[at(i - 1, j)] > table[at(i, j - 1)] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != alen {
                emit = true;
            }
        }
        if emit {
            let len = (a_end - a_start + 1) as u64;
            if min_len.is_some_and(|m| m == 0 || len >= m) {
                let range = |s: usize, e: usize| {
                    Reply::Array(vec![Reply::Integer(s as i64), Reply::Integer(e as i64)])
                };
                let mut m = vec![range(a_start, a_end), range(b_start, b_end)];
                if with_len {
                    m.push(Reply::Integer(len as i64));
                }
                matches.push(Reply::Array(m));
            }
            a_start = alen;
        }
    }
    match reply {
        LcsReply::Idx { .. } => Reply::Map(vec![
            (Reply::bulk("matches"), Reply::Array(matches)),
            (Reply::bulk("len"), Reply::Integer(total as i64)),
        ]),
        _ => Reply::Bulk(Bytes::from(sequence)),
    }
}
