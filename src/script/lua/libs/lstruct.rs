//! `struct`: Roberto Ierusalimschy's struct library (0.2, with Redis's
//! fixes), installed as the global `struct` (a Rust keyword, hence the
//! module name).
//!
//! Format letters: `>`/`<` big/little endian (default little, the native
//! order on the machines Redis runs on), `![n]` maximum alignment (default 1,
//! i.e. none; `!` alone means 8), `x` one padding byte, `b`/`B` char, `h`/`H`
//! short (2), `l`/`L` long (8), `T` size_t (8), `i[n]`/`I[n]` an n-byte int
//! (default 4, at most 32), `f` float, `d` double, `s` zero-terminated
//! string, `c[n]` n chars (`c0`: the whole string when packing, a length
//! taken from the previous result when unpacking), space ignored. Lower case
//! is signed. An item of size k is aligned to min(k, maximum alignment).

use super::raise::function;
use mlua::{Lua, MultiValue, Table, Value};

use super::util::{
    arg_error, c_f64_to_i64, c_f64_to_u64, check_bytes, check_integer, err, to_number, type_error,
};

/// Largest integer size `i`/`I` accept.
const MAXINTSIZE: usize = 32;
/// What `!` alone sets: the platform's largest alignment (a double's).
const MAXALIGN: usize = 8;

#[derive(Clone, Copy)]
struct Header {
    big_endian: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            big_endian: false,
            align: 1,
        }
    }
}

/// A cursor over the format (which, being a C string, ends at a NUL).
struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn new(fmt: &[u8]) -> Format<'_> {
        let end = fmt.iter().position(|&c| c == 0).unwrap_or(fmt.len());
        Format {
            fmt: &fmt[..end],
            pos: 0,
        }
    }

    fn next_opt(&mut self) -> Option<u8> {
        let c = self.fmt.get(self.pos).copied();
        self.pos += 1;
        c
    }

    /// A decimal count following an option, or `default`.
    fn num(&mut self, default: usize) -> mlua::Result<usize> {
        if !self.fmt.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i64 = 0;
        while let Some(d) = self.fmt.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let d = i64::from(d - b'0');
            if a > i64::from(i32::MAX) / 10 || a * 10 > i64::from(i32::MAX) - d {
                return Err(err("integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a as usize)
    }

    /// The size of option `opt` (0 for options that take no room).
    fn size(&mut self, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.num(1)?,
            b'i' | b'I' => {
                let n = self.num(4)?;
                if n > MAXINTSIZE {
                    return Err(err(format!(
                        "integral size {n} is larger than limit of {MAXINTSIZE}"
                    )));
                }
                n
            }
            _ => 0,
        })
    }

    /// Options that change the header (or are errors), after `size`.
    fn control(&mut self, opt: u8, h: &mut Header, fname: &str) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.big_endian = true,
            b'<' => h.big_endian = false,
            b'!' => {
                let a = self.num(MAXALIGN)?;
                if !a.is_power_of_two() {
                    return Err(err(format!("alignment {a} is not a power of 2")));
                }
                h.align = a;
            }
            other => {
                let msg = format!("invalid format option '{}'", other as char);
                return Err(arg_error(1, fname, &msg));
            }
        }
        Ok(())
    }
}

/// Padding needed before an item of `size` bytes at offset `len`.
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    // The C formula, which assumes a power of two (i3 gives odd results,
    // as it does in Redis).
    size.wrapping_sub(len & (size - 1)) & (size - 1)
}

fn put_int(out: &mut Vec<u8>, n: f64, big_endian: bool, size: usize) {
    let mut v = if n < 0.0 {
        c_f64_to_i64(n) as u64
    } else {
        c_f64_to_u64(n)
    };
    // Bytes beyond the 8 of a 64-bit value are zero, even for negatives.
    let mut bytes = vec![0u8; size];
    for b in bytes.iter_mut() {
        *b = (v & 0xff) as u8;
        v >>= 8;
    }
    if big_endian {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

fn get_int(data: &[u8], big_endian: bool, signed: bool, size: usize) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l << 8) | u64::from(b);
    if big_endian {
        data.iter().for_each(|&b| push(b));
    } else {
        data.iter().rev().for_each(|&b| push(b));
    }
    if !signed {
        return l as f64;
    }
    // Sign-extend from the top bit of the item (the shift wraps like x86's).
    let mask = u64::MAX << ((size * 8).wrapping_sub(1) & 63);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn fix_endian<const N: usize>(mut b: [u8; N], big_endian: bool) -> [u8; N] {
    if big_endian {
        b.reverse();
    }
    b
}

/// The argument at 1-based `idx`, and whether it is absent ("no value").
/// Past the end, `pack` sees first the nil it pushed as a marker, then
/// nothing, and its errors say so.
fn arg(args: &[Value], idx: usize, fname: &str) -> (Value, bool) {
    match args.get(idx - 1) {
        Some(v) => (v.clone(), false),
        None if fname == "pack" => (Value::Nil, idx - 1 > args.len()),
        None => (Value::Nil, true),
    }
}

fn check_num(args: &[Value], idx: usize, fname: &str) -> mlua::Result<f64> {
    let (v, none) = arg(args, idx, fname);
    match to_number(&v) {
        Some(n) => Ok(n),
        None if none => Err(arg_error(
            idx as i64,
            fname,
            "number expected, got no value",
        )),
        None => Err(type_error(idx as i64, fname, "number", &v)),
    }
}

fn check_str(args: &[Value], idx: usize, fname: &str) -> mlua::Result<Vec<u8>> {
    let (v, none) = arg(args, idx, fname);
    if none {
        return Err(arg_error(
            idx as i64,
            fname,
            "string expected, got no value",
        ));
    }
    check_bytes(&v, idx as i64, fname)
}

fn pack(args: &[Value]) -> mlua::Result<Vec<u8>> {
    let fmt = check_str(args, 1, "pack")?;
    let mut f = Format::new(&fmt);
    let mut h = Header::default();
    let mut out = Vec::new();
    let mut argi = 2;
    while let Some(opt) = f.next_opt() {
        let mut size = f.size(opt)?;
        let pad = to_align(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_num(args, argi, "pack")?;
                argi += 1;
                put_int(&mut out, n, h.big_endian, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let n = check_num(args, argi, "pack")? as f32;
                argi += 1;
                out.extend_from_slice(&fix_endian(n.to_le_bytes(), h.big_endian));
            }
            b'd' => {
                let n = check_num(args, argi, "pack")?;
                argi += 1;
                out.extend_from_slice(&fix_endian(n.to_le_bytes(), h.big_endian));
            }
            b'c' | b's' => {
                let s = check_str(args, argi, "pack")?;
                argi += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // The C code has already moved to the next argument.
                    return Err(arg_error(argi as i64, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(opt, &mut h, "pack")?,
        }
    }
    Ok(out)
}

fn unpack(lua: &Lua, args: &[Value]) -> mlua::Result<MultiValue> {
    let fmt = check_str(args, 1, "unpack")?;
    let data = check_str(args, 2, "unpack")?;
    let ld = data.len();
    let (start, _) = arg(args, 3, "unpack");
    let start = match start {
        Value::Nil => 1,
        v => check_integer(&v, 3, "unpack")?,
    };
    // The C code keeps `offset - 1` in a size_t and only refuses offset 0; a
    // negative offset wraps to a huge position, so every read is "too
    // short" and an empty format hands the offset back.
    if start == 0 {
        return Err(arg_error(3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = start.wrapping_sub(1) as usize;
    let too_short = || arg_error(2, "unpack", "data string too short");
    let mut f = Format::new(&fmt);
    let mut h = Header::default();
    let mut res: Vec<Value> = Vec::new();
    while let Some(opt) = f.next_opt() {
        let mut size = f.size(opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if pos > ld || size > ld - pos {
            return Err(too_short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                let n = get_int(&data[pos..pos + size], h.big_endian, signed, size);
                res.push(Value::Number(n));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let n = f32::from_le_bytes(fix_endian(b, h.big_endian));
                res.push(Value::Number(f64::from(n)));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                res.push(Value::Number(f64::from_le_bytes(fix_endian(
                    b,
                    h.big_endian,
                ))));
            }
            b'c' => {
                if size == 0 {
                    // "c0": the previous result (a number, or a string that
                    // reads as one) is the length, and is consumed.
                    let n = res
                        .last()
                        .and_then(to_number)
                        .ok_or_else(|| err("format 'c0' needs a previous size"))?;
                    res.pop();
                    size = c_f64_to_u64(n) as usize;
                    if size > ld - pos {
                        return Err(too_short());
                    }
                }
                res.push(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&c| c == 0) else {
                    return Err(err("unfinished string in data"));
                };
                res.push(Value::String(lua.create_string(&data[pos..pos + e])?));
                size = e + 1;
            }
            _ => f.control(opt, &mut h, "unpack")?,
        }
        pos += size;
    }
    res.push(Value::Integer(pos.wrapping_add(1) as i64));
    Ok(res.into_iter().collect())
}

fn size(args: &[Value]) -> mlua::Result<i64> {
    let fmt = check_str(args, 1, "size")?;
    let mut f = Format::new(&fmt);
    let mut h = Header::default();
    let mut pos = 0usize;
    while let Some(opt) = f.next_opt() {
        let size = f.size(opt)?;
        pos += to_align(pos, &h, opt, size);
        if opt == b's' {
            return Err(arg_error(1, "size", "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(arg_error(1, "size", "option 'c0' has no fixed size"));
        }
        // Unknown letters and digits are ignored here, unlike in pack.
        if !opt.is_ascii_alphanumeric() {
            f.control(opt, &mut h, "size")?;
        }
        pos += size;
    }
    Ok(pos as i64)
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        function(lua, |lua, a: MultiValue| {
            let a: Vec<Value> = a.into_iter().collect();
            lua.create_string(pack(&a)?)
        })?,
    )?;
    t.set(
        "unpack",
        function(lua, |lua, a: MultiValue| {
            let a: Vec<Value> = a.into_iter().collect();
            unpack(lua, &a)
        })?,
    )?;
    t.set(
        "size",
        function(lua, |_, a: MultiValue| {
            let a: Vec<Value> = a.into_iter().collect();
            size(&a)
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::util::testing::{error_of, eval, hex};

    #[test]
    fn pack_matches_redis() {
        // Expected bytes: redis-server 7.0.15, EVAL "return struct.pack(…)" 0 dumped with string.byte.
        let cases = [
            ("'i4', 1, 2", "01 00 00 00"),
            ("'c', 5", "35"),
            ("'c0s', 'ab', 'c\\0d'", "61 62 63 00 64 00"),
            ("'i12', -2", "fe ff ff ff ff ff ff ff 00 00 00 00"),
            ("'>i12', -2", "00 00 00 00 ff ff ff ff ff ff ff fe"),
            ("'d', 1", "00 00 00 00 00 00 f0 3f"),
            ("'b', 1.7", "01"),
            ("'b', -1.7", "ff"),
            ("'b', 2^40+5", "05"),
            ("'B', 2^64", "00"),
            ("'l', 0/0", "00 00 00 00 00 00 00 80"),
            ("'l', 2^63", "00 00 00 00 00 00 00 80"),
            ("'l', -2^64", "00 00 00 00 00 00 00 80"),
            ("'>!4bic2xs', -1, 7, 'hi', 'str'", "ff 00 00 00 00 00 00 07 68 69 00 73 74 72 00"),
            (
                "'<hHlLTfd', -2, 65535, -3, 4, 5, 1.5, 0.1",
                "fe ff ff ff fd ff ff ff ff ff ff ff 04 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 00 00 c0 3f 9a 99 99 99 99 99 b9 3f",
            ),
            ("'!2b i3 h', 1, 2, 3", "01 00 02 00 00 00 03 00"),
            ("'i0', 1", ""),
        ];
        for (args, want) in cases {
            assert_eq!(hex(&format!("return struct.pack({args})")), want, "{args}");
        }
    }

    #[test]
    fn unpack_and_size_match_redis() {
        // Expected values: redis-server 7.0.15, table.concat({struct.unpack(…)}, ',').
        let cases = [
            (
                "'>!4bic2xs', struct.pack('>!4bic2xs', -1, 7, 'hi', 'str')",
                "-1,7,hi,str,16",
            ),
            (
                "'<hHlLTfd', struct.pack('<hHlLTfd', -2, 65535, -3, 4, 5, 1.5, 0.1)",
                "-2,65535,-3,4,5,1.5,0.1,41",
            ),
            ("'c1c0', '3abc'", "abc,5"),
            ("'bc0', '\\3abcd'", "abc,5"),
            ("'<i12', string.rep('\\255', 12)", "-1,13"),
            ("'<i9', string.rep('\\255', 9)", "-1,10"),
            ("'<I9', string.rep('\\255', 9)", "1.844674407371e+19,10"),
            ("'', 'abc', -3", "-3"),
        ];
        for (args, want) in cases {
            let src = format!("return table.concat({{struct.unpack({args})}}, ',')");
            assert_eq!(eval(&src), want, "{args}");
        }
        // redis-server 7.0.15: struct.size(…)
        for (fmt, want) in [
            ("q", "0"),
            ("!4bi", "8"),
            ("!", "0"),
            ("!8bd", "16"),
            ("!bxhi3", "9"),
        ] {
            assert_eq!(eval(&format!("return struct.size('{fmt}')")), want, "{fmt}");
        }
    }

    #[test]
    fn errors_match_redis() {
        // Expected messages: redis-server 7.0.15 via pcall.
        let cases = [
            (
                "struct.pack, 'c5', 'ab'",
                "bad argument #3 to '?' (string too short)",
            ),
            ("struct.pack, '!3i', 1", "alignment 3 is not a power of 2"),
            (
                "struct.pack, '!0bh', 1, 2",
                "alignment 0 is not a power of 2",
            ),
            (
                "struct.pack, 'i33', 1",
                "integral size 33 is larger than limit of 32",
            ),
            ("struct.pack, 'i99999999999', 1", "integral size overflow"),
            (
                "struct.pack, 'q', 1",
                "bad argument #1 to '?' (invalid format option 'q')",
            ),
            (
                "struct.pack, 1",
                "bad argument #1 to '?' (invalid format option '1')",
            ),
            (
                "struct.pack, 'b', 'x'",
                "bad argument #2 to '?' (number expected, got string)",
            ),
            (
                "struct.pack, 'b'",
                "bad argument #2 to '?' (number expected, got nil)",
            ),
            (
                "struct.pack, 'bb', 1",
                "bad argument #3 to '?' (number expected, got nil)",
            ),
            (
                "struct.pack, 'c', {}",
                "bad argument #2 to '?' (string expected, got table)",
            ),
            (
                "struct.size, 's'",
                "bad argument #1 to '?' (option 's' has no fixed size)",
            ),
            (
                "struct.size, 'c0'",
                "bad argument #1 to '?' (option 'c0' has no fixed size)",
            ),
            ("struct.size, '!5'", "alignment 5 is not a power of 2"),
            (
                "struct.size, '#'",
                "bad argument #1 to '?' (invalid format option '#')",
            ),
            (
                "struct.unpack, 'i4', 'abc'",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 'i4', 'abcd', 0",
                "bad argument #3 to '?' (offset must be 1 or greater)",
            ),
            (
                "struct.unpack, 'i4', 'abcd', 5",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 's', 'ab', 4",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack, 'x', 'ab', 3",
                "bad argument #2 to '?' (data string too short)",
            ),
            ("struct.unpack, 's', 'abcd'", "unfinished string in data"),
            (
                "struct.unpack, 'c0', 'abcd'",
                "format 'c0' needs a previous size",
            ),
            (
                "struct.unpack, 'bc0', '\\9abcd'",
                "bad argument #2 to '?' (data string too short)",
            ),
            (
                "struct.unpack",
                "bad argument #1 to '?' (string expected, got no value)",
            ),
            (
                "struct.unpack, 'b'",
                "bad argument #2 to '?' (string expected, got no value)",
            ),
        ];
        for (call, want) in cases {
            assert_eq!(error_of(call), want, "{call}");
        }
    }
}
