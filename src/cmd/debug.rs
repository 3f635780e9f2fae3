//! Debug commands, parsed only when the node runs with debug commands
//! enabled (otherwise they are unknown commands): raw access to internal
//! keys, to plant legacy data and to look at which encoding answers a read.
//!
//! - `FENCEKV.RAWSET rawkey value`: put a raw internal key (a write).
//! - `FENCEKV.RAWGET rawkey`: the raw value, nil if absent (a read).
//! - `FENCEKV.RAWDEL rawkey [rawkey ...]`: delete raw keys; how many existed.
//! - `FENCEKV.ENCODING key`: which form of the read chain answers `key`:
//!   `current`, `legacy-payload`, `bare`, `none`, or `expired:<form>`.

use bytes::Bytes;

use super::error::ParseError;
use super::strings::arg;
use super::{mismatch, Op, ParseCtx, ReadView, WriteView};
use crate::resp::Reply;
use crate::strings::{read_string, ChainRead, KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

/// `FENCEKV.RAWSET rawkey value`
pub(super) fn parse_rawset(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::RawSet {
        raw_key: arg(args, 1),
        value: arg(args, 2),
    })
}

pub(super) fn exec_rawset(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::RawSet { raw_key, value } = op else {
        return mismatch();
    };
    rawset(ks, raw_key, value)
}

/// `FENCEKV.RAWGET rawkey`
pub(super) fn parse_rawget(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::RawGet {
        raw_key: arg(args, 1),
    })
}

pub(super) fn exec_rawget(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::RawGet { raw_key } = op else {
        return mismatch();
    };
    rawget(ks, raw_key)
}

/// `FENCEKV.RAWDEL rawkey [rawkey ...]`
pub(super) fn parse_rawdel(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::RawDel {
        raw_keys: args.get(1..).unwrap_or(&[]).to_vec(),
    })
}

pub(super) fn exec_rawdel(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::RawDel { raw_keys } = op else {
        return mismatch();
    };
    rawdel(ks, raw_keys)
}

/// `FENCEKV.ENCODING key`
pub(super) fn parse_encoding(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::Encoding { key: arg(args, 1) })
}

pub(super) fn exec_encoding(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::Encoding { key } = op else {
        return mismatch();
    };
    encoding(ks, key)
}

/// FENCEKV.RAWSET: OK.
pub fn rawset<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    raw_key: &Bytes,
    value: &Bytes,
) -> Reply {
    ks.raw.raw_put(raw_key.clone(), value.clone());
    Reply::ok()
}

/// FENCEKV.RAWGET: the raw bytes or nil.
pub fn rawget<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, raw_key: &[u8]) -> Reply {
    ks.raw.raw_get(raw_key).map_or(Reply::Nil, Reply::Bulk)
}

/// FENCEKV.RAWDEL: how many of the raw keys existed (each counted once).
pub fn rawdel<W: RawWrite + ?Sized>(ks: &mut KeyspaceWrite<'_, W>, raw_keys: &[Bytes]) -> Reply {
    let mut n = 0;
    for k in raw_keys {
        if ks.raw.raw_get(k).is_some() {
            ks.raw.raw_delete(k.clone());
            n += 1;
        }
    }
    Reply::Integer(n)
}

/// FENCEKV.ENCODING: the chain's source as a status. Reads the chain
/// directly, so looking does not queue an expired key for lazy deletion.
pub fn encoding<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, key: &[u8]) -> Reply {
    let s = match read_string(ks.raw, key, ks.now_ms, ks.modes) {
        ChainRead::Found(v) => v.source.name().to_string(),
        ChainRead::Expired(src) => format!("expired:{}", src.name()),
        ChainRead::Absent => "none".to_string(),
    };
    Reply::Status(s)
}
