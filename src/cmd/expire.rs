//! Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME
//! PEXPIRETIME PERSIST.
//!
//! Times are resolved to absolute unix milliseconds when parsed (relative
//! ones against the accepting node's clock), with Redis's overflow checks;
//! the NX/XX/GT/LT conditions and "already expired → delete" are decided at
//! apply time, where the view's clock is that same accepting clock.

use bytes::Bytes;

use super::args::{int_arg, is};
use super::error::ParseError;
use super::strings::arg;
use super::{mismatch, ExpireCond, Op, ParseCtx, ReadView, WriteView};
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

/// Redis's `parseExtendedExpireArgumentsOrReply`.
fn parse_cond(opts: &[Bytes]) -> Result<ExpireCond, ParseError> {
    let mut c = ExpireCond::default();
    for opt in opts {
        if is(opt, "nx") {
            c.nx = true;
        } else if is(opt, "xx") {
            c.xx = true;
        } else if is(opt, "gt") {
            c.gt = true;
        } else if is(opt, "lt") {
            c.lt = true;
        } else {
            return Err(ParseError::UnsupportedOption(opt.clone()));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(ParseError::NxConflict);
    }
    if c.gt && c.lt {
        return Err(ParseError::GtLtConflict);
    }
    Ok(c)
}

/// Redis's `expireGenericCommand` up to the key lookup: options, then the
/// integer, then the overflow checks of the unit conversion and of adding
/// the base time (negative times are allowed: they delete).
fn parse_generic(
    args: &[Bytes],
    ctx: &ParseCtx,
    name: &'static str,
    seconds: bool,
    relative: bool,
) -> Result<Op, ParseError> {
    let cond = parse_cond(args.get(3..).unwrap_or(&[]))?;
    let mut when = int_arg(&arg(args, 2))?;
    let invalid = || ParseError::InvalidExpire(name);
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let base = if relative {
        i64::try_from(ctx.now_ms).map_err(|_| invalid())?
    } else {
        0
    };
    if when > i64::MAX - base {
        return Err(invalid());
    }
    Ok(Op::Expire {
        key: arg(args, 1),
        at_ms: when + base,
        cond,
    })
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`
pub(super) fn parse_expire(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_generic(args, ctx, "expire", true, true)
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`
pub(super) fn parse_pexpire(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_generic(args, ctx, "pexpire", false, true)
}

/// `EXPIREAT key unix-time-seconds [NX|XX|GT|LT]`
pub(super) fn parse_expireat(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_generic(args, ctx, "expireat", true, false)
}

/// `PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]`
pub(super) fn parse_pexpireat(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    parse_generic(args, ctx, "pexpireat", false, false)
}

/// EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: [`expire`].
pub(super) fn exec_expire(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Expire { key, at_ms, cond } = op else {
        return mismatch();
    };
    expire(ks, key, *at_ms, *cond)
}

/// The key's expiry as Redis's `getExpire` reports it: -1 for none.
fn current_expire(expire_at: Option<u64>) -> i64 {
    expire_at.map_or(-1, |at| i64::try_from(at).unwrap_or(i64::MAX))
}

/// EXPIRE and friends at apply time: 0 for a missing key or a failed
/// condition (NX: has a TTL; XX: has none; GT: not later, or no TTL — which
/// counts as infinite; LT: a TTL exists and is not later than the new one);
/// otherwise 1, the key deleted if the time is at or before now.
pub fn expire<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    at_ms: i64,
    cond: ExpireCond,
) -> Reply {
    let Some(info) = ks.reader().info(key) else {
        return Reply::Integer(0);
    };
    let current = current_expire(info.expire_at);
    let refused = (cond.nx && current != -1)
        || (cond.xx && current == -1)
        || (cond.gt && (at_ms <= current || current == -1))
        || (cond.lt && current != -1 && at_ms >= current);
    if refused {
        return Reply::Integer(0);
    }
    match u64::try_from(at_ms) {
        Ok(at) if at > ks.now_ms => {
            ks.set_expire(key, Some(at));
        }
        _ => {
            ks.delete(key);
        }
    }
    Reply::Integer(1)
}

/// `TTL key`
pub(super) fn parse_ttl(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    ttl_cmd(args, false, false)
}

/// `PTTL key`
pub(super) fn parse_pttl(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    ttl_cmd(args, true, false)
}

/// `EXPIRETIME key`
pub(super) fn parse_expiretime(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    ttl_cmd(args, false, true)
}

/// `PEXPIRETIME key`
pub(super) fn parse_pexpiretime(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    ttl_cmd(args, true, true)
}

fn ttl_cmd(args: &[Bytes], ms: bool, absolute: bool) -> Result<Op, ParseError> {
    Ok(Op::Ttl {
        key: arg(args, 1),
        ms,
        absolute,
    })
}

/// TTL, PTTL, EXPIRETIME and PEXPIRETIME: [`ttl`].
pub(super) fn exec_ttl(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Ttl { key, ms, absolute } = op else {
        return mismatch();
    };
    ttl(ks, key, *ms, *absolute)
}

/// TTL/PTTL/EXPIRETIME/PEXPIRETIME: -2 for a missing key, -1 for no expiry,
/// else the remaining time (or the absolute time); seconds are rounded to
/// the nearest as Redis's `(ms + 500) / 1000`.
pub fn ttl<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    key: &[u8],
    ms: bool,
    absolute: bool,
) -> Reply {
    let Some(info) = ks.info(key) else {
        return Reply::Integer(-2);
    };
    let Some(at) = info.expire_at else {
        return Reply::Integer(-1);
    };
    let at = current_expire(Some(at));
    let now = i64::try_from(ks.now_ms).unwrap_or(i64::MAX);
    let t = if absolute { at } else { at.saturating_sub(now) }.max(0);
    Reply::Integer(if ms { t } else { t.saturating_add(500) / 1000 })
}

/// `PERSIST key`
pub(super) fn parse_persist(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Persist { key: arg(args, 1) })
}

pub(super) fn exec_persist(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::Persist { key } = op else {
        return mismatch();
    };
    persist(ks, key)
}

/// PERSIST: 1 if the key had an expiry and now has none, else 0.
pub fn persist<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, key: &[u8]) -> Reply {
    match ks.reader().info(key) {
        Some(info) if info.expire_at.is_some() => {
            ks.set_expire(key, None);
            Reply::Integer(1)
        }
        _ => Reply::Integer(0),
    }
}
