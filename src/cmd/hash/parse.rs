//! Parsing the hash commands: what Redis checks before it looks the key up
//! (the field/value pairing, integer and float arguments, options) is an
//! error here and never reaches the log.

use bytes::Bytes;

use super::{HashOp, ScanOptionError, ScanOptions};
use crate::cmd::args::{int_arg, is, parse_f64, parse_i64};
use crate::cmd::error::ParseError;
use crate::cmd::keys::parse_cursor;
use crate::cmd::strings::arg;
use crate::cmd::{Op, ParseCtx};

fn op(h: HashOp) -> Result<Op, ParseError> {
    Ok(Op::HashCmd(h))
}

/// `field value [field value ...]` from `args[2..]`; an unpaired field is
/// Redis's arity error for `name`.
fn pairs(args: &[Bytes], name: &'static str) -> Result<Vec<(Bytes, Bytes)>, ParseError> {
    let rest = args.get(2..).unwrap_or(&[]);
    if rest.len() % 2 != 0 {
        return Err(ParseError::WrongArity(name));
    }
    Ok(rest
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect())
}

/// `HSET key field value [field value ...]`
pub(super) fn parse_hset(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::Set {
        key: arg(args, 1),
        pairs: pairs(args, "hset")?,
    })
}

/// `HMSET key field value [field value ...]`
pub(super) fn parse_hmset(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::Set {
        key: arg(args, 1),
        pairs: pairs(args, "hmset")?,
    })
}

/// `HGET key field`
pub(super) fn parse_hget(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::Get {
        key: arg(args, 1),
        field: arg(args, 2),
    })
}

/// `HDEL key field [field ...]`
pub(super) fn parse_hdel(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::Del {
        key: arg(args, 1),
        fields: args.get(2..).unwrap_or(&[]).to_vec(),
    })
}

/// `HLEN key`
pub(super) fn parse_hlen(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::Len { key: arg(args, 1) })
}

/// `HGETALL key`, `HKEYS key`, `HVALS key`
pub(super) fn parse_all(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::All { key: arg(args, 1) })
}

/// `HSETNX key field value`
pub(super) fn parse_hsetnx(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::SetNx {
        key: arg(args, 1),
        field: arg(args, 2),
        value: arg(args, 3),
    })
}

/// `HMGET key field [field ...]`
pub(super) fn parse_hmget(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::MGet {
        key: arg(args, 1),
        fields: args.get(2..).unwrap_or(&[]).to_vec(),
    })
}

/// `HEXISTS key field`
pub(super) fn parse_hexists(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::Exists {
        key: arg(args, 1),
        field: arg(args, 2),
    })
}

/// `HSTRLEN key field`
pub(super) fn parse_hstrlen(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::StrLen {
        key: arg(args, 1),
        field: arg(args, 2),
    })
}

/// `HINCRBY key field increment`
pub(super) fn parse_hincrby(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    op(HashOp::IncrBy {
        key: arg(args, 1),
        field: arg(args, 2),
        by: int_arg(&arg(args, 3))?,
    })
}

/// `HINCRBYFLOAT key field increment`. A NaN or infinite increment parses
/// (the executor refuses it first, before the key is looked up, as Redis
/// does: `ParseError` has no text for it).
pub(super) fn parse_hincrbyfloat(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let by = parse_f64(&arg(args, 3)).ok_or(ParseError::NotFloat)?;
    op(HashOp::IncrByFloat {
        key: arg(args, 1),
        field: arg(args, 2),
        by_bits: by.to_bits(),
    })
}

/// `HRANDFIELD key [count [WITHVALUES]]`. Redis's checks, in its order: the
/// count is an integer above `i64::MIN`; then the option; then, with
/// WITHVALUES, the count fits half the range (the reply is twice as long).
/// The two range checks are the executor's ([`super::exec`]), so a count of
/// `i64::MIN` skips the option check here.
pub(super) fn parse_hrandfield(args: &[Bytes], ctx: &ParseCtx) -> Result<Op, ParseError> {
    let mut count = None;
    let mut with_values = false;
    if let Some(c) = args.get(2) {
        let c = int_arg(c)?;
        match args.get(3) {
            None => {}
            Some(opt) if args.len() == 4 && is(opt, "withvalues") => with_values = true,
            Some(_) if c == i64::MIN => {}
            Some(_) => return Err(ParseError::Syntax),
        }
        count = Some(c);
    }
    op(HashOp::RandField {
        key: arg(args, 1),
        count,
        with_values,
        seed: ctx.seed,
    })
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: the cursor is checked
/// here, the options' error kept for the executor (see [`HashOp::Scan`]).
pub(super) fn parse_hscan(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let cursor = parse_cursor(&arg(args, 2)).ok_or(ParseError::InvalidCursor)?;
    op(HashOp::Scan {
        key: arg(args, 1),
        cursor,
        options: scan_options(args.get(3..).unwrap_or(&[])),
    })
}

/// Redis's `scanGenericCommand` option loop (TYPE is SCAN's alone).
fn scan_options(opts: &[Bytes]) -> Result<ScanOptions, ScanOptionError> {
    let mut pattern = None;
    let mut count = 10u64;
    let mut i = 0;
    while i < opts.len() {
        let value = opts.get(i + 1).ok_or(ScanOptionError::Syntax)?;
        if is(&opts[i], "count") {
            let c = parse_i64(value).ok_or(ScanOptionError::NotInteger)?;
            count = u64::try_from(c)
                .ok()
                .filter(|&c| c >= 1)
                .ok_or(ScanOptionError::Syntax)?;
        } else if is(&opts[i], "match") {
            pattern = (&value[..] != b"*").then(|| value.clone());
        } else {
            return Err(ScanOptionError::Syntax);
        }
        i += 2;
    }
    Ok(ScanOptions { pattern, count })
}
