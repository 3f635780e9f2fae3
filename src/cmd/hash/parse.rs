//! Parsing the hash commands: what Redis checks before it looks the key up
//! (the field/value pairing, integer and float arguments, options) is an
//! error here and never reaches the log.

use bytes::Bytes;

use super::HashOp;
use crate::cmd::error::ParseError;
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
