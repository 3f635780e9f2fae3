//! The bit commands end to end (parse → execute over a plain `BTreeMap`
//! raw store), their errors as redis-server 7.0.15 answers them, and a
//! quickcheck property: random streams of SET SETBIT GETBIT BITCOUNT BITPOS
//! BITOP BITFIELD on three keys answer exactly what a plain bit-by-bit
//! model over `Vec<u8>` answers, and leave the same values.

use std::collections::BTreeMap;

use bytes::Bytes;
use quickcheck::{quickcheck, Arbitrary, Gen};

use crate::cmd::test_support::{err, int, r, run, Raw, NOT_INT, SYNTAX};
use crate::resp::Reply;

fn ints(v: &[Option<i64>]) -> Reply {
    Reply::Array(
        v.iter()
            .map(|n| n.map_or(Reply::Nil, Reply::Integer))
            .collect(),
    )
}

const OFFSET: &str = "ERR bit offset is not an integer or out of range";

#[test]
fn setbit_getbit() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "SETBIT k 7 1"), int(0));
    assert_eq!(r(&mut db, "GET k"), Reply::bulk(&b"\x01"[..]));
    assert_eq!(r(&mut db, "SETBIT k 7 0"), int(1));
    assert_eq!(r(&mut db, "SETBIT k 100 0"), int(0));
    assert_eq!(r(&mut db, "STRLEN k"), int(13));
    assert_eq!(r(&mut db, "GETBIT k 100"), int(0));
    assert_eq!(r(&mut db, "GETBIT k 4294967295"), int(0));
    assert_eq!(r(&mut db, "GETBIT missing 3"), int(0));
    // The decimal text of an integer is its bytes.
    r(&mut db, "SET n 1");
    assert_eq!(r(&mut db, "GETBIT n 2"), int(1));
    assert_eq!(r(&mut db, "GETBIT n 7"), int(1));
    assert_eq!(r(&mut db, "GETBIT n 1"), int(0));
    for bad in [
        "SETBIT k -1 1",
        "SETBIT k 4294967296 1",
        "SETBIT k x 1",
        "GETBIT k -1",
    ] {
        assert_eq!(r(&mut db, bad), err(OFFSET), "{bad}");
    }
    for bad in [
        "SETBIT k 0 2",
        "SETBIT k 0 -1",
        "SETBIT k 0 x",
        "SETBIT k 0 01",
    ] {
        assert_eq!(
            r(&mut db, bad),
            err("ERR bit is not an integer or out of range"),
            "{bad}"
        );
    }
    // The offset is checked before the value.
    assert_eq!(r(&mut db, "SETBIT k -1 x"), err(OFFSET));
}

#[test]
fn setbit_keeps_the_ttl() {
    let mut db = Raw::new();
    r(&mut db, "SET k a PXAT 4102444800000");
    r(&mut db, "SETBIT k 20 1");
    assert_eq!(r(&mut db, "PEXPIRETIME k"), int(4_102_444_800_000));
}

#[test]
fn bitcount_ranges_and_errors() {
    let mut db = Raw::new();
    r(&mut db, "SET s foobar");
    assert_eq!(r(&mut db, "BITCOUNT s"), int(26));
    assert_eq!(r(&mut db, "BITCOUNT s 1 1"), int(6));
    assert_eq!(r(&mut db, "BITCOUNT s 1 -2"), int(18));
    assert_eq!(r(&mut db, "BITCOUNT s 5 30 BIT"), int(17));
    assert_eq!(r(&mut db, "BITCOUNT s 0 4294967296"), int(26));
    assert_eq!(r(&mut db, "BITCOUNT s -1 -2 nonsense"), int(0));
    assert_eq!(r(&mut db, "BITCOUNT s 0"), err(SYNTAX));
    assert_eq!(r(&mut db, "BITCOUNT s 0 1 foo"), err(SYNTAX));
    assert_eq!(r(&mut db, "BITCOUNT s 0 1 bit x"), err(SYNTAX));
    assert_eq!(r(&mut db, "BITCOUNT s a 1"), err(NOT_INT));
    assert_eq!(r(&mut db, "BITCOUNT s 0 b"), err(NOT_INT));
    // A missing key is 0 before the range is read.
    assert_eq!(r(&mut db, "BITCOUNT missing 0"), int(0));
    assert_eq!(r(&mut db, "BITCOUNT missing a b c d e"), int(0));
}

#[test]
fn bitpos_ranges_and_errors() {
    let mut db = Raw::new();
    db.insert(
        b"!redis|str|s".to_vec(),
        crate::strings::encoding::encode_str(b"\xff\xf0\x00", None),
    );
    assert_eq!(r(&mut db, "BITPOS s 0"), int(12));
    assert_eq!(r(&mut db, "BITPOS s 1 2"), int(-1));
    assert_eq!(r(&mut db, "BITPOS s 0 3 -1 bit"), int(12));
    assert_eq!(r(&mut db, "BITPOS s 1 8 11 bit"), int(8));
    r(&mut db, "SET f \u{7f}");
    assert_eq!(r(&mut db, "BITPOS f 1"), int(1));
    r(&mut db, "SETBIT f 0 1");
    // No end: the string reads zero-padded; an end: only the range.
    assert_eq!(r(&mut db, "BITPOS f 0"), int(8));
    assert_eq!(r(&mut db, "BITPOS f 0 0 -1"), int(-1));
    assert_eq!(r(&mut db, "BITPOS f 0 0 -1 bit"), int(-1));
    assert_eq!(r(&mut db, "BITPOS missing 0 a b c"), int(0));
    assert_eq!(r(&mut db, "BITPOS missing 1"), int(-1));
    assert_eq!(
        r(&mut db, "BITPOS missing 2"),
        err("ERR The bit argument must be 1 or 0.")
    );
    assert_eq!(r(&mut db, "BITPOS missing x"), err(NOT_INT));
    // Redis reads start, then the unit, then end.
    assert_eq!(r(&mut db, "BITPOS f 0 0 x foo"), err(SYNTAX));
    assert_eq!(r(&mut db, "BITPOS f 0 x 1 foo"), err(NOT_INT));
    assert_eq!(r(&mut db, "BITPOS f 0 0 1 bit x"), err(SYNTAX));
    let mut empty = Raw::new();
    run(&mut empty, &[b"SET".to_vec(), b"e".to_vec(), b"".to_vec()]);
    assert_eq!(r(&mut empty, "BITPOS e 0"), int(-1));
}

#[test]
fn bitop() {
    let mut db = Raw::new();
    r(&mut db, "SET a abc");
    r(&mut db, "SET b A");
    assert_eq!(r(&mut db, "BITOP AND d a b"), int(3));
    assert_eq!(r(&mut db, "GET d"), Reply::bulk(&b"A\0\0"[..]));
    assert_eq!(r(&mut db, "BITOP xor d a missing"), int(3));
    assert_eq!(r(&mut db, "GET d"), Reply::bulk("abc"));
    assert_eq!(r(&mut db, "BITOP NOT d b"), int(1));
    assert_eq!(r(&mut db, "GET d"), Reply::bulk(&b"\xbe"[..]));
    // An empty result deletes the destination, TTL and all.
    r(&mut db, "SET d x EX 100");
    assert_eq!(r(&mut db, "BITOP OR d missing"), int(0));
    assert_eq!(r(&mut db, "EXISTS d"), int(0));
    assert_eq!(
        r(&mut db, "BITOP NOT d a b"),
        err("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(r(&mut db, "BITOP NAND d a b"), err(SYNTAX));
}

#[test]
fn bitfield_and_bitfield_ro() {
    let mut db = Raw::new();
    assert_eq!(r(&mut db, "BITFIELD k"), ints(&[]));
    assert_eq!(r(&mut db, "BITFIELD k GET u8 0"), ints(&[Some(0)]));
    assert_eq!(r(&mut db, "EXISTS k"), int(0), "GETs only read");
    assert_eq!(
        r(&mut db, "BITFIELD k SET i8 0 200 GET i8 0 GET u8 0"),
        ints(&[Some(0), Some(-56), Some(200)])
    );
    assert_eq!(
        r(&mut db, "BITFIELD k OVERFLOW SAT INCRBY i8 0 -1000 INCRBY u8 8 1000 OVERFLOW FAIL INCRBY u8 8 1 OVERFLOW WRAP INCRBY u8 8 1"),
        ints(&[Some(-128), Some(255), None, Some(0)])
    );
    assert_eq!(
        r(&mut db, "BITFIELD k SET u8 #2 5 GET u8 16"),
        ints(&[Some(0), Some(5)])
    );
    // `#n` multiplies as C does: 2^60 * 64 wraps to offset 0.
    assert_eq!(
        r(&mut db, "BITFIELD k GET i64 #1152921504606846976"),
        ints(&[Some(-9_223_366_539_296_636_928)])
    );
    // FAIL still creates the key.
    assert_eq!(
        r(&mut db, "BITFIELD f OVERFLOW FAIL SET u8 0 256"),
        ints(&[None])
    );
    assert_eq!(r(&mut db, "STRLEN f"), int(1));
    assert_eq!(
        r(&mut db, "BITFIELD_RO k GET u8 0 GET i4 4"),
        ints(&[Some(128), Some(0)])
    );
    let ro = "ERR BITFIELD_RO only supports the GET subcommand";
    assert_eq!(r(&mut db, "BITFIELD_RO k SET u8 0 1"), err(ro));
    assert_eq!(
        r(&mut db, "BITFIELD_RO k GET u8 0 SET u8 0 x"),
        err(NOT_INT)
    );
    let ty = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    for bad in ["u64", "i65", "i0", "x8", "I8", "u", "i-1"] {
        assert_eq!(
            r(&mut db, &format!("BITFIELD k GET {bad} 0")),
            err(ty),
            "{bad}"
        );
    }
    for bad in ["-1", "4294967296", "#", "#-1", "#+1", "01", "#536870912"] {
        assert_eq!(
            r(&mut db, &format!("BITFIELD k GET u8 {bad}")),
            err(OFFSET),
            "{bad}"
        );
    }
    for bad in [
        "GET",
        "GET u8",
        "SET u8 0",
        "FOO",
        "OVERFLOW",
        "SET u8 0 1 GET",
    ] {
        assert_eq!(
            r(&mut db, &format!("BITFIELD k {bad}")),
            err(SYNTAX),
            "{bad}"
        );
    }
    assert_eq!(
        r(&mut db, "BITFIELD k OVERFLOW foo"),
        err("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(r(&mut db, "BITFIELD k SET u8 0 x"), err(NOT_INT));
}

#[test]
fn bitfield_64_bit_edges() {
    let mut db = Raw::new();
    assert_eq!(
        r(
            &mut db,
            "BITFIELD k GET i64 0 SET i64 0 -1 GET u63 0 INCRBY i64 0 -9223372036854775808"
        ),
        ints(&[Some(0), Some(0), Some(i64::MAX), Some(i64::MAX)])
    );
    assert_eq!(
        r(
            &mut db,
            "BITFIELD k OVERFLOW SAT INCRBY i64 0 9223372036854775807"
        ),
        ints(&[Some(i64::MAX)])
    );
    assert_eq!(
        r(
            &mut db,
            "BITFIELD k OVERFLOW WRAP INCRBY i64 0 9223372036854775807"
        ),
        ints(&[Some(-2)])
    );
    // Redis computes `max - value` in 64 bits: a SET of a value near
    // i64::MIN reads as too large, and SAT stores the maximum (7.0.15 does).
    assert_eq!(
        r(
            &mut db,
            "BITFIELD s OVERFLOW SAT SET i8 0 -9223372036854775808 GET i8 0 SET i8 0 -129"
        ),
        ints(&[Some(0), Some(127), Some(127)])
    );
    assert_eq!(r(&mut db, "BITFIELD s GET i8 0"), ints(&[Some(-128)]));
    assert_eq!(
        r(
            &mut db,
            "BITFIELD k2 SET u3 0 -1 GET u3 0 OVERFLOW SAT SET u3 3 -1 GET u3 3"
        ),
        ints(&[Some(0), Some(7), Some(0), Some(7)])
    );
}

// ---------------------------------------------------------------- the model

/// A plain model of a string as bits: a byte vector read bit by bit.
struct Bits<'a>(&'a [u8]);

impl Bits<'_> {
    fn bit(&self, pos: u64) -> bool {
        let byte = usize::try_from(pos / 8).unwrap_or(usize::MAX);
        self.0
            .get(byte)
            .is_some_and(|b| (b >> (7 - pos % 8)) & 1 == 1)
    }
    fn len_bits(&self) -> i128 {
        self.0.len() as i128 * 8
    }
}

fn model_set_bit(v: &mut Vec<u8>, pos: u64, on: bool) {
    let byte = (pos / 8) as usize;
    if v.len() <= byte {
        v.resize(byte + 1, 0);
    }
    let mask = 1u8 << (7 - pos % 8);
    if on {
        v[byte] |= mask;
    } else {
        v[byte] &= !mask;
    }
}

/// Redis's documented range rule in wide arithmetic: negative from the
/// end, clamped into `[0, total)`; `None` when empty.
fn model_range(start: i64, end: i64, total: i128) -> Option<(i128, i128)> {
    let fix = |i: i64| {
        let i = i128::from(i);
        let i = if i < 0 { total + i } else { i };
        i.max(0)
    };
    let (s, e) = (fix(start), fix(end).min(total - 1));
    (s <= e).then_some((s, e))
}

#[derive(Clone, Debug)]
enum FieldCmd {
    Get(bool, u8, Offset),
    Set(bool, u8, Offset, i64),
    IncrBy(bool, u8, Offset, i64),
    Overflow(&'static str),
}

/// A BITFIELD offset, plain or `#n`.
#[derive(Clone, Copy, Debug)]
struct Offset {
    n: u64,
    hash: bool,
}

impl Offset {
    fn text(&self) -> String {
        if self.hash {
            format!("#{}", self.n)
        } else {
            self.n.to_string()
        }
    }
    fn bits(&self, width: u8) -> u64 {
        if self.hash {
            self.n * u64::from(width)
        } else {
            self.n
        }
    }
}

/// BITPOS's `start [end [unit]]`.
type PosRange = (i64, Option<(i64, Option<bool>)>);

#[derive(Clone, Debug)]
enum Cmd {
    Set(u8, Vec<u8>),
    SetBit(u8, u64, bool),
    GetBit(u8, u64),
    /// `(start, end, unit)`; unit `None`: not given, `Some(true)`: BIT.
    BitCount(u8, Option<(i64, i64, Option<bool>)>),
    /// bit, then `(start, Some((end, unit)))`.
    BitPos(u8, bool, Option<PosRange>),
    BitOp(&'static str, u8, Vec<u8>),
    BitField(u8, Vec<FieldCmd>),
}

fn key(k: u8) -> Vec<u8> {
    vec![b'a' + k]
}

fn unit_word(u: Option<bool>) -> Option<Vec<u8>> {
    u.map(|b| if b { b"BIT".to_vec() } else { b"byte".to_vec() })
}

impl Cmd {
    fn args(&self) -> Vec<Vec<u8>> {
        let w = |s: &str| s.as_bytes().to_vec();
        let n = |v: i64| v.to_string().into_bytes();
        match self {
            Cmd::Set(k, v) => vec![w("SET"), key(*k), v.clone()],
            Cmd::SetBit(k, o, on) => vec![w("SETBIT"), key(*k), n(*o as i64), n(i64::from(*on))],
            Cmd::GetBit(k, o) => vec![w("GETBIT"), key(*k), n(*o as i64)],
            Cmd::BitCount(k, range) => {
                let mut a = vec![w("BITCOUNT"), key(*k)];
                if let Some((s, e, u)) = range {
                    a.extend([n(*s), n(*e)]);
                    a.extend(unit_word(*u));
                }
                a
            }
            Cmd::BitPos(k, bit, range) => {
                let mut a = vec![w("BITPOS"), key(*k), n(i64::from(*bit))];
                if let Some((s, end)) = range {
                    a.push(n(*s));
                    if let Some((e, u)) = end {
                        a.push(n(*e));
                        a.extend(unit_word(*u));
                    }
                }
                a
            }
            Cmd::BitOp(op, dest, srcs) => {
                let mut a = vec![w("BITOP"), w(op), key(*dest)];
                a.extend(srcs.iter().map(|k| key(*k)));
                a
            }
            Cmd::BitField(k, ops) => {
                let mut a = vec![w("BITFIELD"), key(*k)];
                let ty = |s: bool, b: u8| format!("{}{b}", if s { 'i' } else { 'u' }).into_bytes();
                for op in ops {
                    match op {
                        FieldCmd::Get(s, b, o) => a.extend([w("GET"), ty(*s, *b), w(&o.text())]),
                        FieldCmd::Set(s, b, o, v) => {
                            a.extend([w("SET"), ty(*s, *b), w(&o.text()), n(*v)])
                        }
                        FieldCmd::IncrBy(s, b, o, v) => {
                            a.extend([w("INCRBY"), ty(*s, *b), w(&o.text()), n(*v)])
                        }
                        FieldCmd::Overflow(t) => a.extend([w("OVERFLOW"), w(t)]),
                    }
                }
                a
            }
        }
    }
}

/// The model: each key a plain byte vector.
#[derive(Default)]
struct Model(BTreeMap<u8, Vec<u8>>);

impl Model {
    fn value(&self, k: u8) -> &[u8] {
        self.0.get(&k).map_or(&[], |v| v)
    }

    fn apply(&mut self, cmd: &Cmd) -> Reply {
        match cmd {
            Cmd::Set(k, v) => {
                self.0.insert(*k, v.clone());
                Reply::ok()
            }
            Cmd::SetBit(k, pos, on) => {
                let v = self.0.entry(*k).or_default();
                let old = Bits(v).bit(*pos);
                model_set_bit(v, *pos, *on);
                int(i64::from(old))
            }
            Cmd::GetBit(k, pos) => int(i64::from(Bits(self.value(*k)).bit(*pos))),
            Cmd::BitCount(k, range) => {
                let Some(v) = self.0.get(k) else {
                    return int(0);
                };
                let bits = Bits(v);
                let (lo, hi) = match *range {
                    None => (0, bits.len_bits() - 1),
                    Some((s, e, _)) if s < 0 && e < 0 && s > e => return int(0),
                    Some((s, e, Some(true))) => match model_range(s, e, bits.len_bits()) {
                        Some(r) => r,
                        None => return int(0),
                    },
                    Some((s, e, _)) => match model_range(s, e, v.len() as i128) {
                        Some((s, e)) => (s * 8, e * 8 + 7),
                        None => return int(0),
                    },
                };
                int((lo..=hi).filter(|&p| bits.bit(p as u64)).count() as i64)
            }
            Cmd::BitPos(k, bit, range) => {
                let Some(v) = self.0.get(k) else {
                    return int(if *bit { -1 } else { 0 });
                };
                let bits = Bits(v);
                let (start, end, in_bits) = match *range {
                    None => (0, None, false),
                    Some((s, None)) => (s, None, false),
                    Some((s, Some((e, u)))) => (s, Some(e), u == Some(true)),
                };
                let total = if in_bits {
                    bits.len_bits()
                } else {
                    v.len() as i128
                };
                let last = end.unwrap_or(-1);
                let Some((s, e)) = model_range(start, last, total) else {
                    return int(-1);
                };
                let (lo, hi) = if in_bits { (s, e) } else { (s * 8, e * 8 + 7) };
                match (lo..=hi).find(|&p| bits.bit(p as u64) == *bit) {
                    Some(p) => int(p as i64),
                    None if !*bit && end.is_none() => int((hi + 1) as i64),
                    None => int(-1),
                }
            }
            Cmd::BitOp(op, dest, srcs) => {
                let vals: Vec<Vec<u8>> = srcs.iter().map(|k| self.value(*k).to_vec()).collect();
                let len = vals.iter().map(Vec::len).max().unwrap_or(0);
                if len == 0 {
                    self.0.remove(dest);
                    return int(0);
                }
                let mut out = Vec::new();
                for p in 0..(len as u64 * 8) {
                    let b = |i: usize| Bits(&vals[i]).bit(p);
                    let r = match *op {
                        "NOT" => !b(0),
                        "AND" => (0..vals.len()).all(b),
                        "OR" => (0..vals.len()).any(b),
                        _ => (0..vals.len()).filter(|&i| b(i)).count() % 2 == 1,
                    };
                    model_set_bit(&mut out, p, r);
                }
                self.0.insert(*dest, out);
                int(len as i64)
            }
            Cmd::BitField(k, ops) => self.bitfield(*k, ops),
        }
    }

    /// BITFIELD in `i128`: ranges, wrap as modular arithmetic, saturation
    /// as clamping.
    fn bitfield(&mut self, k: u8, ops: &[FieldCmd]) -> Reply {
        let mut overflow = "WRAP";
        let mut highest: Option<u64> = None;
        for op in ops {
            if let FieldCmd::Set(_, w, o, _) | FieldCmd::IncrBy(_, w, o, _) = op {
                let top = o.bits(*w) + u64::from(*w) - 1;
                highest = highest.max(Some(top));
            }
        }
        let mut v = self.value(k).to_vec();
        if let Some(top) = highest {
            let need = (top / 8 + 1) as usize;
            if v.len() < need {
                v.resize(need, 0);
            }
        }
        let read = |v: &[u8], signed: bool, w: u8, off: u64| -> i128 {
            let u =
                (0..u64::from(w)).fold(0i128, |acc, j| acc * 2 + i128::from(Bits(v).bit(off + j)));
            if signed && u >= 1i128 << (w - 1) {
                u - (1i128 << w)
            } else {
                u
            }
        };
        let mut replies = Vec::new();
        for op in ops {
            let (signed, w, off, new, is_set) = match op {
                FieldCmd::Overflow(t) => {
                    overflow = t;
                    continue;
                }
                FieldCmd::Get(s, w, o) => {
                    replies.push(Some(read(&v, *s, *w, o.bits(*w)) as i64));
                    continue;
                }
                FieldCmd::Set(s, w, o, x) => {
                    let x = if *s {
                        i128::from(*x)
                    } else {
                        i128::from(*x as u64)
                    };
                    (*s, *w, o.bits(*w), x, true)
                }
                FieldCmd::IncrBy(s, w, o, x) => {
                    let old = read(&v, *s, *w, o.bits(*w));
                    (*s, *w, o.bits(*w), old + i128::from(*x), false)
                }
            };
            let (min, max) = if signed {
                (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1)
            } else {
                (0, (1i128 << w) - 1)
            };
            let old = read(&v, signed, w, off);
            // Redis's C computes `max - value` in 64 bits for a signed SET:
            // for a value so negative that this overflows, the check reads
            // "too large", and SAT stores the maximum (7.0.15 does).
            let upward_quirk = is_set && signed && max - new > i128::from(i64::MAX);
            let stored = if (min..=max).contains(&new) {
                Some(new)
            } else if upward_quirk && overflow == "SAT" {
                Some(max)
            } else {
                match overflow {
                    "WRAP" => Some((new - min).rem_euclid(1i128 << w) + min),
                    "SAT" => Some(new.clamp(min, max)),
                    _ => None,
                }
            };
            match stored {
                None => replies.push(None),
                Some(x) => {
                    let bits = x.rem_euclid(1i128 << w);
                    for j in 0..u64::from(w) {
                        let on = (bits >> (u64::from(w) - 1 - j)) & 1 == 1;
                        model_set_bit(&mut v, off + j, on);
                    }
                    replies.push(Some(if is_set { old } else { x } as i64));
                }
            }
        }
        if highest.is_some() {
            self.0.insert(k, v);
        }
        ints(&replies)
    }
}

fn small(g: &mut Gen, n: u64) -> u64 {
    u64::arbitrary(g) % n
}

fn range_end(g: &mut Gen) -> i64 {
    i64::try_from(small(g, 41)).unwrap_or(0) - 20
}

fn any_unit(g: &mut Gen) -> Option<bool> {
    *g.choose(&[None, Some(false), Some(true)]).unwrap_or(&None)
}

/// A SET or INCRBY argument; sometimes at a `w`-bit type's limits.
fn any_value(g: &mut Gen, w: u8) -> i64 {
    let edge = 1i128 << (w - 1).min(62);
    let near = i64::try_from(small(g, 3)).unwrap_or(0) - 1;
    match small(g, 8) {
        // Saturating: at 64 bits the edge is i64's own limit.
        6 => ((edge * 2 - 1) as i64).saturating_add(near),
        7 => ((-edge) as i64).saturating_add(near),
        0 => 0,
        1 => -1,
        2 => i64::MIN,
        3 => i64::MAX,
        4 => i64::arbitrary(g),
        _ => i64::try_from(small(g, 600)).unwrap_or(0) - 300,
    }
}

fn any_field(g: &mut Gen) -> FieldCmd {
    let signed = bool::arbitrary(g);
    let w = if signed {
        1 + small(g, 64) as u8
    } else {
        1 + small(g, 63) as u8
    };
    let hash = small(g, 4) == 0;
    let o = Offset {
        n: if hash { small(g, 6) } else { small(g, 100) },
        hash,
    };
    match small(g, 7) {
        0 | 1 => FieldCmd::Get(signed, w, o),
        2 | 3 => FieldCmd::Set(signed, w, o, any_value(g, w)),
        4 | 5 => FieldCmd::IncrBy(signed, w, o, any_value(g, w)),
        _ => FieldCmd::Overflow(
            g.choose(&["WRAP", "SAT", "FAIL"])
                .copied()
                .unwrap_or("WRAP"),
        ),
    }
}

impl Arbitrary for Cmd {
    fn arbitrary(g: &mut Gen) -> Cmd {
        let k = small(g, 3) as u8;
        match small(g, 8) {
            0 => {
                let len = small(g, 12) as usize;
                Cmd::Set(k, (0..len).map(|_| u8::arbitrary(g)).collect())
            }
            1 => Cmd::SetBit(k, small(g, 120), bool::arbitrary(g)),
            2 => Cmd::GetBit(k, small(g, 120)),
            3 => Cmd::BitCount(
                k,
                bool::arbitrary(g).then(|| (range_end(g), range_end(g), any_unit(g))),
            ),
            4 => {
                let range = bool::arbitrary(g).then(|| {
                    let end = bool::arbitrary(g).then(|| (range_end(g), any_unit(g)));
                    (range_end(g), end)
                });
                Cmd::BitPos(k, bool::arbitrary(g), range)
            }
            5 => {
                let op = g
                    .choose(&["AND", "OR", "XOR", "NOT"])
                    .copied()
                    .unwrap_or("AND");
                let n = if op == "NOT" {
                    1
                } else {
                    1 + small(g, 3) as usize
                };
                let srcs = (0..n).map(|_| small(g, 4) as u8).collect();
                Cmd::BitOp(op, k, srcs)
            }
            _ => {
                let n = small(g, 5) as usize;
                Cmd::BitField(k, (0..n).map(|_| any_field(g)).collect())
            }
        }
    }
}

quickcheck! {
    /// Every reply, and every value at the end, as the bit model says (KS-7).
    fn bit_commands_match_the_model(cmds: Vec<Cmd>) -> bool {
        let mut db = Raw::new();
        let mut model = Model::default();
        for cmd in &cmds {
            let got = run(&mut db, &cmd.args());
            let want = model.apply(cmd);
            if got != want {
                eprintln!("{cmd:?}: got {got:?}, model {want:?}");
                return false;
            }
        }
        (0..4u8).all(|k| {
            let got = run(&mut db, &[b"GET".to_vec(), key(k)]);
            let want = model.0.get(&k).map_or(Reply::Nil, |v| Reply::bulk(Bytes::from(v.clone())));
            got == want
        })
    }
}
