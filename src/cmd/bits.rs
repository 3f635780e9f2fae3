//! Bit commands over string values: SETBIT GETBIT BITCOUNT BITPOS BITOP
//! BITFIELD BITFIELD_RO, as Redis 7.0's `bitops.c` answers them.
//!
//! Bit 0 is the most significant bit of the first byte; a string reads as
//! followed by zero bits forever. Offsets are bounded like Redis's
//! (`getBitOffsetFromArgument`): below `proto-max-bulk-len` bytes, so a bit
//! offset is below 2^32 (BITFIELD may reach 63 bits past that, as in Redis).
//! Writes that change a value in place keep its TTL, as Redis's
//! `dbUnshareStringValue` does; BITOP's result replaces the destination and
//! its TTL, as `setKey` does.
//!
//! **Parse time or apply time.** Everything SETBIT, GETBIT, BITOP and
//! BITFIELD refuse is refused before Redis looks the key up, so it is a parse
//! error here and never reaches the log. BITCOUNT and BITPOS read their range
//! only once they found the key (`BITCOUNT missing 0 x` is `0`, `BITCOUNT
//! s 0 x` an error), so a bad range is kept in the command
//! ([`Span::Invalid`], [`PosSpan::Invalid`]) and reported by the executor for
//! an existing key only — as GETEX keeps a bad time.
//!
//! Each command has a `parse_*`, an `exec_*` (its row's executor) and a
//! semantic function over a keyspace view; the unit tests below check those
//! against a plain bit-by-bit model (quickcheck).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::args::{is, parse_i64, MAX_STRING_LEN};
use super::error::ParseError;
use super::strings::arg;
use super::{mismatch, Exec, Kind, Op, ParseCtx, ReadView, WriteView};
use crate::resp::Reply;
use crate::strings::{KeyspaceRead, KeyspaceWrite, RawGet, RawWrite};

/// BITCOUNT's range as parsed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Span {
    /// `start..=end` in bytes, or in bits with BIT; negative counts from the
    /// end. No range is `0..=-1` in bytes: the whole string.
    Range { start: i64, end: i64, bits: bool },
    /// Both ends negative with `start > end`: 0, before Redis reads the unit.
    Empty,
    /// What an existing key answers (Redis parses the range after the lookup).
    Invalid(String),
}

/// BITPOS's range as parsed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PosSpan {
    /// From `start`, to `end` if given (else the end of the string), in bytes
    /// or in bits with BIT. No range is `0..` in bytes.
    Range {
        start: i64,
        end: Option<i64>,
        bits: bool,
    },
    /// What an existing key answers.
    Invalid(String),
}

/// BITOP's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BitOpKind {
    And,
    Or,
    Xor,
    Not,
}

/// BITFIELD's OVERFLOW behaviour, in force from where it appears on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Overflow {
    /// Wrap around (the default): modular arithmetic, two's complement.
    Wrap,
    /// Saturate at the type's minimum or maximum.
    Sat,
    /// Write nothing and answer nil for this operation.
    Fail,
}

/// What one BITFIELD operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FieldAction {
    Get,
    /// SET: write the value, answer the old one.
    Set(i64),
    /// INCRBY: add, answer the new value.
    IncrBy(i64),
}

/// One BITFIELD operation: a `bits`-wide integer (`i1`..`i64`, `u1`..`u63`)
/// at bit `offset` (`#n` already multiplied out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FieldOp {
    pub action: FieldAction,
    pub signed: bool,
    pub bits: u8,
    pub offset: u64,
    pub overflow: Overflow,
}

// ---------------------------------------------------------------- helpers

/// The byte index of bit `pos` (bit offsets stay below 2^33).
fn byte_of(pos: u64) -> usize {
    usize::try_from(pos >> 3).unwrap_or(usize::MAX)
}

/// Bit `pos` of `buf`, zero past its end.
fn get_bit(buf: &[u8], pos: u64) -> bool {
    buf.get(byte_of(pos))
        .is_some_and(|b| b & (0x80 >> (pos & 7)) != 0)
}

/// Set bit `pos` (inside `buf`) to `on`.
fn put_bit(buf: &mut [u8], pos: u64, on: bool) {
    if let Some(b) = buf.get_mut(byte_of(pos)) {
        let mask = 0x80 >> (pos & 7);
        if on {
            *b |= mask;
        } else {
            *b &= !mask;
        }
    }
}

/// Set bits, eight bytes at a time.
fn popcount(bytes: &[u8]) -> i64 {
    let mut words = bytes.chunks_exact(8);
    let mut n: u64 = 0;
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        n += u64::from(u64::from_ne_bytes(a).count_ones());
    }
    n += words
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum::<u64>();
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Set bits at positions `from..=to` (both inside `buf`).
fn count_bits(buf: &[u8], from: u64, to: u64) -> i64 {
    let (first, last) = (byte_of(from), byte_of(to));
    let head = 0xFFu8 >> (from & 7);
    let tail = 0xFFu8 << (7 - (to & 7));
    let byte = |i: usize| buf.get(i).copied().unwrap_or(0);
    if first == last {
        return i64::from((byte(first) & head & tail).count_ones());
    }
    let middle = buf.get(first + 1..last).unwrap_or(&[]);
    i64::from((byte(first) & head).count_ones())
        + popcount(middle)
        + i64::from((byte(last) & tail).count_ones())
}

/// The first position in `from..=to` (inside `buf`) whose bit is `bit`:
/// bit by bit to a byte boundary, then whole bytes, then bit by bit.
fn find_bit(buf: &[u8], from: u64, to: u64, bit: bool) -> Option<u64> {
    let mut pos = from;
    while pos <= to && pos & 7 != 0 {
        if get_bit(buf, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    let (first, end) = (byte_of(pos), byte_of(to + 1));
    if pos <= to && first < end {
        let skip = if bit { 0x00 } else { 0xFF };
        let whole = buf.get(first..end).unwrap_or(&[]);
        if let Some(i) = whole.iter().position(|&b| b != skip) {
            let b = whole[i];
            let lead = if bit {
                b.leading_zeros()
            } else {
                b.leading_ones()
            };
            return Some(((first + i) as u64) * 8 + u64::from(lead));
        }
        pos = (end as u64) * 8;
    }
    while pos <= to {
        if get_bit(buf, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

/// Redis's range arithmetic over `total` units: negative counts from the
/// end, then both ends are clamped into `0..total`. `None`: empty.
fn clamp(start: i64, end: i64, total: i64) -> Option<(u64, u64)> {
    let start = if start < 0 { total + start } else { start }.max(0);
    let end = if end < 0 { total + end } else { end }.max(0);
    let end = end.min(total - 1);
    match (u64::try_from(start), u64::try_from(end)) {
        (Ok(s), Ok(e)) if s <= e => Some((s, e)),
        _ => None,
    }
}

/// The unsigned `bits`-wide integer at `offset`, zero-padded past the end.
fn get_unsigned(buf: &[u8], offset: u64, bits: u8) -> u64 {
    (0..u64::from(bits)).fold(0, |v, j| (v << 1) | u64::from(get_bit(buf, offset + j)))
}

/// The signed `bits`-wide integer at `offset` (two's complement).
fn get_signed(buf: &[u8], offset: u64, bits: u8) -> i64 {
    let mut v = get_unsigned(buf, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        v |= u64::MAX << bits;
    }
    v as i64
}

/// Write the low `bits` bits of `value` at `offset` (inside `buf`).
fn set_field(buf: &mut [u8], offset: u64, bits: u8, value: u64) {
    for j in 0..u64::from(bits) {
        let on = value & (1 << (u64::from(bits) - 1 - j)) != 0;
        put_bit(buf, offset + j, on);
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: whether `value + incr` leaves
/// `u<bits>`, and the value WRAP or SAT makes of it.
fn unsigned_overflow(value: u64, incr: i64, bits: u8, ow: Overflow) -> (bool, Option<u64>) {
    let max = (1u64 << bits) - 1;
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || value.wrapping_add(incr as u64) & max;
    let limit = |sat: u64| match ow {
        Overflow::Wrap => Some(wrap()),
        Overflow::Sat => Some(sat),
        Overflow::Fail => None,
    };
    if value > max || (incr > 0 && incr > maxincr) {
        (true, limit(max))
    } else if incr < 0 && incr < minincr {
        (true, limit(0))
    } else {
        (false, None)
    }
}

/// Redis's `checkSignedBitfieldOverflow`, with C's wrapping arithmetic.
fn signed_overflow(value: i64, incr: i64, bits: u8, ow: Overflow) -> (bool, Option<i64>) {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    let limit = |sat: i64| match ow {
        Overflow::Wrap => Some(wrap()),
        Overflow::Sat => Some(sat),
        Overflow::Fail => None,
    };
    let wide = bits == 64;
    if value > max || (!wide && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        (true, limit(max))
    } else if value < min || (!wide && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)
    {
        (true, limit(min))
    } else {
        (false, None)
    }
}

// ---------------------------------------------------------------- parsing

/// Redis's `getBitOffsetFromArgument`: a non-negative integer whose byte is
/// below `proto-max-bulk-len`; with `hash_bits` (BITFIELD), `#n` is n times
/// the type's width (multiplied as C does, wrapping).
fn bit_offset(raw: &[u8], hash_bits: Option<u8>) -> Result<u64, ParseError> {
    let (digits, times) = match (raw.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&raw[1..], i64::from(bits)),
        _ => (raw, 1),
    };
    let v = parse_i64(digits)
        .ok_or(ParseError::BitOffset)?
        .wrapping_mul(times);
    match u64::try_from(v) {
        Ok(v) if (v >> 3) < MAX_STRING_LEN => Ok(v),
        _ => Err(ParseError::BitOffset),
    }
}

/// `BYTE` or `BIT` (any case): whether the range counts bits.
fn unit(raw: &[u8]) -> Option<bool> {
    if is(raw, "bit") {
        Some(true)
    } else if is(raw, "byte") {
        Some(false)
    } else {
        None
    }
}

/// The text of a range error, kept for an existing key.
fn invalid(e: ParseError) -> String {
    e.text(&[])
}

/// `SETBIT key offset value`
pub(super) fn parse_setbit(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let offset = bit_offset(&arg(args, 2), None)?;
    let on = match parse_i64(&arg(args, 3)) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(ParseError::BitValue),
    };
    Ok(Op::SetBit {
        key: arg(args, 1),
        offset,
        on,
    })
}

pub(super) fn exec_setbit(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::SetBit { key, offset, on } = op else {
        return mismatch();
    };
    setbit(ks, key, *offset, *on)
}

/// SETBIT: the bit's old value. A missing key is created, a short value
/// zero-padded to reach the bit; the TTL is kept. A SETBIT that changes
/// nothing (same bit, no growth) writes nothing.
pub fn setbit<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    offset: u64,
    on: bool,
) -> Reply {
    let old = or_wrong_type!(ks.get_str(key));
    let existed = old.is_some();
    let (mut buf, expire_at) = match old {
        Some(v) => (v.value.to_vec(), v.expire_at),
        None => (Vec::new(), None),
    };
    let need = byte_of(offset) + 1;
    let grew = buf.len() < need;
    if grew {
        buf.resize(need, 0);
    }
    let was = get_bit(&buf, offset);
    if !existed || grew || was != on {
        put_bit(&mut buf, offset, on);
        ks.set(key, &buf, expire_at);
    }
    Reply::Integer(i64::from(was))
}

/// `GETBIT key offset`
pub(super) fn parse_getbit(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::GetBit {
        key: arg(args, 1),
        offset: bit_offset(&arg(args, 2), None)?,
    })
}

pub(super) fn exec_getbit(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::GetBit { key, offset } = op else {
        return mismatch();
    };
    getbit(ks, key, *offset)
}

/// GETBIT: the bit, 0 past the end or for a missing key.
pub fn getbit<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, key: &[u8], offset: u64) -> Reply {
    let bit = or_wrong_type!(ks.get_str(key)).is_some_and(|v| get_bit(&v.value, offset));
    Reply::Integer(i64::from(bit))
}

// --------------------------------------------------------------- BITCOUNT

/// `BITCOUNT key [start end [BYTE|BIT]]`: start, then end, then (unless
/// both are negative with start > end) the unit, as Redis reads them.
pub(super) fn parse_bitcount(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let span = match args.len() {
        2 => Span::Range {
            start: 0,
            end: -1,
            bits: false,
        },
        4 | 5 => match (parse_i64(&args[2]), parse_i64(&args[3])) {
            (Some(start), Some(end)) if start < 0 && end < 0 && start > end => Span::Empty,
            (Some(start), Some(end)) => match args.get(4).map(|u| unit(u)) {
                None => Span::Range {
                    start,
                    end,
                    bits: false,
                },
                Some(Some(bits)) => Span::Range { start, end, bits },
                Some(None) => Span::Invalid(invalid(ParseError::Syntax)),
            },
            _ => Span::Invalid(invalid(ParseError::NotInteger)),
        },
        _ => Span::Invalid(invalid(ParseError::Syntax)),
    };
    Ok(Op::BitCount {
        key: arg(args, 1),
        span,
    })
}

pub(super) fn exec_bitcount(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::BitCount { key, span } = op else {
        return mismatch();
    };
    bitcount(ks, key, span)
}

/// BITCOUNT: the set bits in the range (0 for a missing key, whatever the
/// range says).
pub fn bitcount<G: RawGet + ?Sized>(ks: &KeyspaceRead<'_, G>, key: &[u8], span: &Span) -> Reply {
    let Some(v) = or_wrong_type!(ks.get_str(key)) else {
        return Reply::Integer(0);
    };
    let buf = &v.value[..];
    let len = buf.len() as i64;
    let n = match span {
        Span::Invalid(e) => return Reply::err(e.clone()),
        Span::Empty => 0,
        Span::Range { start, end, bits } => {
            let total = if *bits { len * 8 } else { len };
            match clamp(*start, *end, total) {
                None => 0,
                Some((s, e)) if *bits => count_bits(buf, s, e),
                Some((s, e)) => count_bits(buf, s * 8, e * 8 + 7),
            }
        }
    };
    Reply::Integer(n)
}

// ----------------------------------------------------------------- BITPOS

/// `BITPOS key bit [start [end [BYTE|BIT]]]`: the bit is checked before the
/// lookup; the range after it, in Redis's order (start, unit, end).
pub(super) fn parse_bitpos(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let bit = match parse_i64(&arg(args, 2)) {
        Some(0) => false,
        Some(1) => true,
        Some(_) => return Err(ParseError::BitArgument),
        None => return Err(ParseError::NotInteger),
    };
    let range = || -> Result<PosSpan, ParseError> {
        let start = parse_i64(&args[3]).ok_or(ParseError::NotInteger)?;
        let bits = match args.get(5) {
            Some(u) => unit(u).ok_or(ParseError::Syntax)?,
            None => false,
        };
        let end = match args.get(4) {
            Some(e) => Some(parse_i64(e).ok_or(ParseError::NotInteger)?),
            None => None,
        };
        Ok(PosSpan::Range { start, end, bits })
    };
    let span = match args.len() {
        3 => PosSpan::Range {
            start: 0,
            end: None,
            bits: false,
        },
        4..=6 => range().unwrap_or_else(|e| PosSpan::Invalid(invalid(e))),
        _ => PosSpan::Invalid(invalid(ParseError::Syntax)),
    };
    Ok(Op::BitPos {
        key: arg(args, 1),
        bit,
        span,
    })
}

pub(super) fn exec_bitpos(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::BitPos { key, bit, span } = op else {
        return mismatch();
    };
    bitpos(ks, key, *bit, span)
}

/// BITPOS: the first position of `bit` in the range, or -1. A missing key
/// is all zeros (0 for a clear bit, -1 for a set one); looking for a clear
/// bit with no end given finds the first bit past the string, as the
/// string reads zero-padded; with an end given, -1.
pub fn bitpos<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    key: &[u8],
    bit: bool,
    span: &PosSpan,
) -> Reply {
    let Some(v) = or_wrong_type!(ks.get_str(key)) else {
        return Reply::Integer(if bit { -1 } else { 0 });
    };
    let (start, end, bits) = match span {
        PosSpan::Invalid(e) => return Reply::err(e.clone()),
        PosSpan::Range { start, end, bits } => (*start, *end, *bits),
    };
    let buf = &v.value[..];
    let len = buf.len() as i64;
    let last = end.unwrap_or(if bits { len * 8 + 7 } else { len - 1 });
    let total = if bits { len * 8 } else { len };
    let Some((s, e)) = clamp(start, last, total) else {
        return Reply::Integer(-1);
    };
    let (from, to) = if bits { (s, e) } else { (s * 8, e * 8 + 7) };
    let pos = match find_bit(buf, from, to, bit) {
        Some(p) => i64::try_from(p).unwrap_or(-1),
        None if !bit && end.is_none() => i64::try_from(to + 1).unwrap_or(-1),
        None => -1,
    };
    Reply::Integer(pos)
}

// ------------------------------------------------------------------ BITOP

/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`
pub(super) fn parse_bitop(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let name = arg(args, 1);
    let op = [
        ("and", BitOpKind::And),
        ("or", BitOpKind::Or),
        ("xor", BitOpKind::Xor),
        ("not", BitOpKind::Not),
    ]
    .into_iter()
    .find(|(n, _)| is(&name, n))
    .map(|(_, op)| op)
    .ok_or(ParseError::Syntax)?;
    if op == BitOpKind::Not && args.len() != 4 {
        return Err(ParseError::BitopNotOneKey);
    }
    Ok(Op::BitOp {
        op,
        dest: arg(args, 2),
        keys: args.get(3..).unwrap_or(&[]).to_vec(),
    })
}

pub(super) fn exec_bitop(op: &Op, ks: &mut WriteView<'_>) -> Reply {
    let Op::BitOp { op, dest, keys } = op else {
        return mismatch();
    };
    bitop(ks, *op, dest, keys)
}

/// BITOP: the result's length (the longest source's; missing keys and
/// shorter sources read as zero bytes). The result replaces `dest` without
/// a TTL; an empty result deletes `dest`.
pub fn bitop<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    op: BitOpKind,
    dest: &[u8],
    keys: &[Bytes],
) -> Reply {
    let mut sources: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        sources.push(
            or_wrong_type!(ks.get_str(k))
                .map(|v| v.value)
                .unwrap_or_default(),
        );
    }
    let maxlen = sources.iter().map(Bytes::len).max().unwrap_or(0);
    if maxlen == 0 {
        ks.delete(dest);
        return Reply::Integer(0);
    }
    let Some((first, rest)) = sources.split_first() else {
        return Reply::Integer(0);
    };
    let byte = |s: &Bytes, i: usize| s.get(i).copied().unwrap_or(0);
    let result: Vec<u8> = (0..maxlen)
        .map(|i| {
            let b = byte(first, i);
            match op {
                BitOpKind::Not => !b,
                BitOpKind::And => rest.iter().fold(b, |acc, s| acc & byte(s, i)),
                BitOpKind::Or => rest.iter().fold(b, |acc, s| acc | byte(s, i)),
                BitOpKind::Xor => rest.iter().fold(b, |acc, s| acc ^ byte(s, i)),
            }
        })
        .collect();
    ks.set(dest, &result, None);
    Reply::Integer(maxlen as i64)
}

// --------------------------------------------------------------- BITFIELD

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`,
/// lower-case sign; the width is read as a C string (up to a NUL).
fn field_type(raw: &[u8]) -> Result<(bool, u8), ParseError> {
    let signed = match raw.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(ParseError::BitfieldType),
    };
    let width = &raw[1..];
    let width = width
        .iter()
        .position(|&c| c == 0)
        .map_or(width, |n| &width[..n]);
    match parse_i64(width) {
        Some(w) if w >= 1 && (w <= 63 || (signed && w == 64)) => Ok((signed, w as u8)),
        _ => Err(ParseError::BitfieldType),
    }
}

/// The operations of `BITFIELD key [GET type offset] [SET type offset value]
/// [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...`, read left
/// to right as Redis does (the first bad one is the error).
fn parse_field_ops(args: &[Bytes]) -> Result<Vec<FieldOp>, ParseError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - j - 1;
        let sub = &args[j];
        let action = if is(sub, "get") && more >= 2 {
            FieldAction::Get
        } else if is(sub, "set") && more >= 3 {
            FieldAction::Set(0)
        } else if is(sub, "incrby") && more >= 3 {
            FieldAction::IncrBy(0)
        } else if is(sub, "overflow") && more >= 1 {
            let t = &args[j + 1];
            overflow = if is(t, "wrap") {
                Overflow::Wrap
            } else if is(t, "sat") {
                Overflow::Sat
            } else if is(t, "fail") {
                Overflow::Fail
            } else {
                return Err(ParseError::BitfieldOverflow);
            };
            j += 2;
            continue;
        } else {
            return Err(ParseError::Syntax);
        };
        let (signed, bits) = field_type(&args[j + 1])?;
        let offset = bit_offset(&args[j + 2], Some(bits))?;
        let action = match action {
            FieldAction::Get => FieldAction::Get,
            FieldAction::Set(_) => {
                FieldAction::Set(parse_i64(&args[j + 3]).ok_or(ParseError::NotInteger)?)
            }
            FieldAction::IncrBy(_) => {
                FieldAction::IncrBy(parse_i64(&args[j + 3]).ok_or(ParseError::NotInteger)?)
            }
        };
        ops.push(FieldOp {
            action,
            signed,
            bits,
            offset,
            overflow,
        });
        j += if action == FieldAction::Get { 3 } else { 4 };
    }
    Ok(ops)
}

fn writes(ops: &[FieldOp]) -> bool {
    ops.iter().any(|o| o.action != FieldAction::Get)
}

/// `BITFIELD key [GET|SET|INCRBY|OVERFLOW ...]`
pub(super) fn parse_bitfield(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    Ok(Op::BitField {
        key: arg(args, 1),
        ops: parse_field_ops(args)?,
    })
}

/// `BITFIELD_RO key [GET type offset ...]`: SET and INCRBY parse, then are
/// refused, as in Redis (a syntax error later in the request comes first).
pub(super) fn parse_bitfield_ro(args: &[Bytes], _: &ParseCtx) -> Result<Op, ParseError> {
    let ops = parse_field_ops(args)?;
    if writes(&ops) {
        return Err(ParseError::BitfieldRoGetOnly);
    }
    Ok(Op::BitField {
        key: arg(args, 1),
        ops,
    })
}

/// BITFIELD reads when every operation is a GET (Redis looks the key up for
/// reading then), else writes.
pub(super) const EXEC_BITFIELD: Exec = Exec::ReadOrWrite {
    kind: |op| match op {
        Op::BitField { ops, .. } if writes(ops) => Kind::Write,
        _ => Kind::Read,
    },
    read: exec_bitfield_read,
    write: |op, ks| {
        let Op::BitField { key, ops } = op else {
            return mismatch();
        };
        bitfield_write(ks, key, ops)
    },
};

/// BITFIELD_RO, and BITFIELD of GETs only.
pub(super) fn exec_bitfield_read(op: &Op, ks: &ReadView<'_>) -> Reply {
    let Op::BitField { key, ops } = op else {
        return mismatch();
    };
    bitfield_read(ks, key, ops)
}

/// The reply to one GET.
fn field_get(buf: &[u8], op: &FieldOp) -> Reply {
    Reply::Integer(if op.signed {
        get_signed(buf, op.offset, op.bits)
    } else {
        get_unsigned(buf, op.offset, op.bits) as i64
    })
}

/// BITFIELD of GETs: one integer per GET, the value read zero-padded.
pub fn bitfield_read<G: RawGet + ?Sized>(
    ks: &KeyspaceRead<'_, G>,
    key: &[u8],
    ops: &[FieldOp],
) -> Reply {
    let value = or_wrong_type!(ks.get_str(key))
        .map(|v| v.value)
        .unwrap_or_default();
    Reply::Array(ops.iter().map(|op| field_get(&value, op)).collect())
}

/// One SET or INCRBY on `buf` (long enough), as Redis's `bitfieldGeneric`:
/// its reply (the old value for SET, the new one for INCRBY, nil when FAIL
/// refuses), and whether it changed a bit.
fn field_write(buf: &mut [u8], op: &FieldOp) -> (Reply, bool) {
    let (bits, ow) = (op.bits, op.overflow);
    let (overflow, new, reply) = match (op.signed, op.action) {
        (_, FieldAction::Get) => return (field_get(buf, op), false),
        (true, FieldAction::IncrBy(by)) => {
            let old = get_signed(buf, op.offset, bits);
            let (over, limit) = signed_overflow(old, by, bits, ow);
            let new = limit.unwrap_or_else(|| old.wrapping_add(by));
            (over, new as u64, new)
        }
        (true, FieldAction::Set(value)) => {
            let old = get_signed(buf, op.offset, bits);
            let (over, limit) = signed_overflow(value, 0, bits, ow);
            (over, limit.unwrap_or(value) as u64, old)
        }
        (false, FieldAction::IncrBy(by)) => {
            let old = get_unsigned(buf, op.offset, bits);
            let (over, limit) = unsigned_overflow(old, by, bits, ow);
            let new = limit.unwrap_or_else(|| old.wrapping_add(by as u64));
            (over, new, new as i64)
        }
        (false, FieldAction::Set(value)) => {
            let old = get_unsigned(buf, op.offset, bits);
            let (over, limit) = unsigned_overflow(value as u64, 0, bits, ow);
            (over, limit.unwrap_or(value as u64), old as i64)
        }
    };
    if overflow && ow == Overflow::Fail {
        return (Reply::Nil, false);
    }
    let before = get_unsigned(buf, op.offset, bits);
    set_field(buf, op.offset, bits, new);
    let changed = before != get_unsigned(buf, op.offset, bits);
    (Reply::Integer(reply), changed)
}

/// BITFIELD with a SET or INCRBY: the key is created, or zero-padded to
/// reach the furthest bit written, even when FAIL then writes nothing (as in
/// Redis); the operations run in order, each seeing the ones before; the TTL
/// is kept.
pub fn bitfield_write<W: RawWrite + ?Sized>(
    ks: &mut KeyspaceWrite<'_, W>,
    key: &[u8],
    ops: &[FieldOp],
) -> Reply {
    let highest = ops
        .iter()
        .filter(|o| o.action != FieldAction::Get)
        .map(|o| o.offset + u64::from(o.bits) - 1)
        .max()
        .unwrap_or(0);
    let old = or_wrong_type!(ks.get_str(key));
    let existed = old.is_some();
    let (mut buf, expire_at) = match old {
        Some(v) => (v.value.to_vec(), v.expire_at),
        None => (Vec::new(), None),
    };
    let need = byte_of(highest) + 1;
    let grew = buf.len() < need;
    if grew {
        buf.resize(need, 0);
    }
    let mut changed = false;
    let replies = ops
        .iter()
        .map(|op| match op.action {
            FieldAction::Get => field_get(&buf, op),
            _ => {
                let (reply, c) = field_write(&mut buf, op);
                changed |= c;
                reply
            }
        })
        .collect();
    if !existed || grew || changed {
        ks.set(key, &buf, expire_at);
    }
    Reply::Array(replies)
}

#[cfg(test)]
mod tests;
