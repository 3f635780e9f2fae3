//! `cmsgpack`: lua-cmsgpack 0.4.0 as Redis 7.0 ships it.
//!
//! Encoding choices (byte-for-byte what redis-server 7.0.15 produces):
//! - a number that is an integer in the int64 range uses the smallest
//!   MessagePack integer form (fixint, uint8/16/32/64 for non-negatives,
//!   int8/16/32/64 for negatives); any other number is a float32 when that
//!   is exact, else a float64;
//! - strings use fixstr, str8, str16 or str32 (there is no bin type);
//! - a table whose keys are exactly 1..n (n ≥ 0, so also `{}`) is an array,
//!   any other a map, entries in Lua's `next` order; tables nested 16 deep
//!   become nil (the C library's guard against cycles);
//! - functions, userdata and threads encode as nil.
//!
//! Decoding reads nil, booleans, all integer and float forms, str8/16/32
//! and fixstr, arrays and maps; bin and ext types are "Bad data format in
//! input.". uint64 is read as a signed int64, as in Redis. The Lua stack
//! limits of the C code are counted so deep or long inputs fail with the
//! same "stack overflow (…)" messages.
//!
//! Header-writing uses `rmp`; the size thresholds are the C library's.

use super::raise::{bare_error, function};
use mlua::{Lua, MultiValue, Table, Value};

use super::util::{
    arg_error, as_number, check_bytes, check_integer, err, in_i64_range, LUAI_MAXCSTACK,
};

/// Tables nested this deep encode as nil.
const MAX_NESTING: usize = 16;

/// The Lua stack limit the C decoder runs into (8000 slots: results, open
/// tables, keys and indexes), lowered a little: each slot can be an mlua
/// reference here, and mlua needs some of its 8000 for itself. So limits hit
/// 2.5% earlier than in Redis (7800 results instead of 8000, 3900 nested
/// arrays or maps instead of 4000), with the same messages.
const STACK_LIMIT: usize = LUAI_MAXCSTACK - 200;

const TOO_MANY: &str = "too many return values at once; use unpack_one or unpack_limit instead.";

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    t.set(
        "pack",
        function(lua, |lua, args: MultiValue| {
            if args.is_empty() {
                return Err(arg_error(0, "pack", "MessagePack pack needs input."));
            }
            let mut out = Vec::new();
            for v in args.iter() {
                encode(v, 0, &mut out)?;
            }
            lua.create_string(&out)
        })?,
    )?;
    t.set(
        "unpack",
        function(lua, |lua, args: MultiValue| {
            unpack_full(lua, args.front(), 0, 0, args.len().max(1), "unpack")
        })?,
    )?;
    t.set(
        "unpack_one",
        function(lua, |lua, args: MultiValue| {
            let a: Vec<Value> = args.into_iter().collect();
            let offset = opt_int(&a, 2, 0, "unpack_one")?;
            unpack_full(lua, a.first(), 1, offset, 1, "unpack_one")
        })?,
    )?;
    t.set(
        "unpack_limit",
        function(lua, |lua, args: MultiValue| {
            let a: Vec<Value> = args.into_iter().collect();
            let limit = match a.get(1) {
                Some(v) => check_integer(v, 2, "unpack_limit")? as i32,
                None => {
                    let msg = "number expected, got no value";
                    return Err(arg_error(2, "unpack_limit", msg));
                }
            };
            let offset = opt_int(&a, 3, 0, "unpack_limit")?;
            unpack_full(lua, a.first(), limit, offset, 1, "unpack_limit")
        })?,
    )?;
    Ok(t)
}

/// `luaL_optinteger` stored in a C `int`.
fn opt_int(a: &[Value], idx: usize, default: i32, fname: &str) -> mlua::Result<i32> {
    match a.get(idx - 1) {
        None | Some(Value::Nil) => Ok(default),
        Some(v) => Ok(check_integer(v, idx as i64, fname)? as i32),
    }
}

fn encode(v: &Value, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            encode_str_header(b.len(), out);
            out.extend_from_slice(&b);
        }
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(_) | Value::Number(_) => encode_number(as_number(v).unwrap_or(0.0), out),
        Value::Table(t) if level < MAX_NESTING => encode_table(t, level, out)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_number(n: f64, out: &mut Vec<u8>) {
    // "Is an int64": what the C test `(int64_t)n == n` accepts on x86-64.
    if in_i64_range(n) && n.trunc() == n {
        encode_int(n as i64, out);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    use rmp::encode as w;
    // The C library's thresholds pick the form (rmp's write_uint/write_sint
    // would choose differently for some values). Writing to a Vec cannot fail.
    let _ = if n >= 0 {
        let u = n as u64;
        match u {
            0..=127 => w::write_pfix(out, u as u8).map_err(|_| ()),
            128..=0xff => w::write_u8(out, u as u8).map_err(|_| ()),
            0x100..=0xffff => w::write_u16(out, u as u16).map_err(|_| ()),
            0x1_0000..=0xffff_ffff => w::write_u32(out, u as u32).map_err(|_| ()),
            _ => w::write_u64(out, u).map_err(|_| ()),
        }
    } else {
        match n {
            -32..=-1 => w::write_nfix(out, n as i8).map_err(|_| ()),
            -128..=-33 => w::write_i8(out, n as i8).map_err(|_| ()),
            -32768..=-129 => w::write_i16(out, n as i16).map_err(|_| ()),
            -2_147_483_648..=-32769 => w::write_i32(out, n as i32).map_err(|_| ()),
            _ => w::write_i64(out, n).map_err(|_| ()),
        }
    };
}

fn encode_str_header(len: usize, out: &mut Vec<u8>) {
    // fixstr below 32 bytes, then str8 / str16 / str32 (rmp's write_str_len
    // uses the same thresholds).
    let _ = rmp::encode::write_str_len(out, len as u32);
}

fn encode_table(t: &Table, level: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
    // An array when every key is a positive integer below 2^31 and the
    // largest equals the count (so the keys are exactly 1..n).
    let mut count: i64 = 0;
    let mut max: i64 = 0;
    let mut is_array = true;
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        count += 1;
        match as_number(&k) {
            Some(n) if n > 0.0 && n < 2_147_483_648.0 && n.trunc() == n => max = max.max(n as i64),
            _ => is_array = false,
        }
    }
    if is_array && max == count {
        let _ = rmp::encode::write_array_len(out, count as u32);
        for i in 1..=count {
            let v: Value = t.raw_get(i)?;
            encode(&v, level + 1, out)?;
        }
    } else {
        let _ = rmp::encode::write_map_len(out, count as u32);
        for pair in t.pairs::<Value, Value>() {
            let (k, v) = pair?;
            encode(&k, level + 1, out)?;
            encode(&v, level + 1, out)?;
        }
    }
    Ok(())
}

/// Why decoding stopped.
enum Stop {
    /// "Missing bytes in input."
    Eof,
    /// "Bad data format in input."
    BadFormat,
    /// A Lua error raised on the spot (stack overflow, bad table index).
    Lua(mlua::Error),
}

impl From<mlua::Error> for Stop {
    fn from(e: mlua::Error) -> Self {
        Stop::Lua(e)
    }
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The `n` bytes after the type byte, consuming them and the type byte.
    fn take(&mut self, n: usize) -> Result<&[u8], Stop> {
        if self.left() < 1 + n {
            return Err(Stop::Eof);
        }
        let s = &self.data[self.pos + 1..self.pos + 1 + n];
        self.pos += 1 + n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, Stop> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)))
    }
}

/// `luaL_checkstack(L, 1, what)` with `used` slots taken.
fn check_stack(used: usize, what: &str) -> Result<(), Stop> {
    if used + 1 > STACK_LIMIT {
        return Err(Stop::Lua(err(format!("stack overflow ({what})"))));
    }
    Ok(())
}

/// A container being filled while decoding.
enum Open {
    Array {
        t: Table,
        len: usize,
        next: usize,
    },
    Map {
        t: Table,
        left: usize,
        key: Option<Value>,
    },
}

/// Decode one top-level value. Iterative, with an explicit stack of open
/// containers, so deep nesting costs heap rather than Rust stack. `used`
/// counts the Lua stack slots the C decoder would hold (the argument and
/// earlier results), and grows as it would: an open array holds its table
/// and an index, an open map its table and, while its value is read, a key.
fn decode(lua: &Lua, c: &mut Cursor, mut used: usize) -> Result<Value, Stop> {
    let mut stack: Vec<Open> = Vec::new();
    loop {
        let mut val = match item(lua, c, used)? {
            Item::Value(v) => v,
            Item::Array(len) => {
                let t = lua.create_table()?;
                check_stack(used + 1, "in function mp_decode_to_lua_array")?;
                if len == 0 {
                    Value::Table(t)
                } else {
                    // No preallocation: the length comes from the input.
                    stack.push(Open::Array { t, len, next: 1 });
                    used += 2;
                    continue;
                }
            }
            Item::Map(left) => {
                let t = lua.create_table()?;
                if left == 0 {
                    Value::Table(t)
                } else {
                    stack.push(Open::Map { t, left, key: None });
                    used += 1;
                    continue;
                }
            }
        };
        // Store the value in its container; a container that is full is in
        // turn the value for its parent.
        loop {
            match stack.last_mut() {
                None => return Ok(val),
                Some(Open::Array { t, len, next }) => {
                    t.raw_set(*next, val)?;
                    *next += 1;
                    if *next <= *len {
                        break;
                    }
                }
                Some(Open::Map { t, left, key }) => match key.take() {
                    None => {
                        *key = Some(val);
                        used += 1;
                        break;
                    }
                    Some(k) => {
                        match &k {
                            Value::Nil => return Err(Stop::Lua(bare_error("table index is nil"))),
                            Value::Number(n) if n.is_nan() => {
                                return Err(Stop::Lua(bare_error("table index is NaN")));
                            }
                            _ => t.raw_set(k, val)?,
                        }
                        used -= 1;
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                    }
                },
            }
            val = match stack.pop() {
                Some(Open::Array { t, .. }) => {
                    used -= 2;
                    Value::Table(t)
                }
                Some(Open::Map { t, .. }) => {
                    used -= 1;
                    Value::Table(t)
                }
                // Not reached: the frame just used is still on the stack.
                None => Value::Nil,
            };
        }
    }
}

/// One MessagePack item: a complete value or a container header.
enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

/// Read the item at the cursor, `used` Lua stack slots being taken.
fn item(lua: &Lua, c: &mut Cursor, used: usize) -> Result<Item, Stop> {
    if c.left() < 1 {
        return Err(Stop::Eof);
    }
    check_stack(used, TOO_MANY)?;
    let b = c.data[c.pos];
    let num = |n: f64| Ok(Item::Value(Value::Number(n)));
    match b {
        0xc0 => {
            c.pos += 1;
            Ok(Item::Value(Value::Nil))
        }
        0xc2 | 0xc3 => {
            c.pos += 1;
            Ok(Item::Value(Value::Boolean(b == 0xc3)))
        }
        0xcc => num(c.be(1)? as f64),
        0xcd => num(c.be(2)? as f64),
        0xce => num(c.be(4)? as f64),
        0xcf => num(c.be(8)? as i64 as f64),
        0xd0 => num(f64::from(c.be(1)? as u8 as i8)),
        0xd1 => num(f64::from(c.be(2)? as u16 as i16)),
        0xd2 => num(f64::from(c.be(4)? as u32 as i32)),
        0xd3 => num(c.be(8)? as i64 as f64),
        0xca => num(f64::from(f32::from_bits(c.be(4)? as u32))),
        0xcb => num(f64::from_bits(c.be(8)?)),
        0xd9..=0xdb => {
            let n = match b {
                0xd9 => 1,
                0xda => 2,
                _ => 4,
            };
            if c.left() < 1 + n {
                return Err(Stop::Eof);
            }
            let len = be_at(&c.data[c.pos + 1..c.pos + 1 + n]) as usize;
            let s = c.take(n + len)?;
            Ok(Item::Value(Value::String(lua.create_string(&s[n..])?)))
        }
        0xa0..=0xbf => {
            let s = c.take(usize::from(b & 0x1f))?;
            Ok(Item::Value(Value::String(lua.create_string(s)?)))
        }
        0xdc => Ok(Item::Array(c.be(2)? as usize)),
        0xdd => Ok(Item::Array(c.be(4)? as usize)),
        0xde => Ok(Item::Map(c.be(2)? as usize)),
        0xdf => Ok(Item::Map(c.be(4)? as usize)),
        0x00..=0x7f => {
            c.pos += 1;
            num(f64::from(b))
        }
        0xe0..=0xff => {
            c.pos += 1;
            num(f64::from(b as i8))
        }
        0x90..=0x9f => {
            c.pos += 1;
            Ok(Item::Array(usize::from(b & 0xf)))
        }
        0x80..=0x8f => {
            c.pos += 1;
            Ok(Item::Map(usize::from(b & 0xf)))
        }
        _ => Err(Stop::BadFormat),
    }
}

fn be_at(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x))
}

/// The C `mp_unpack_full`: decode up to `limit` values from `offset`
/// (`limit == 0 && offset == 0` means all, with no offset returned).
/// `used` is how many arguments the C function leaves on the stack.
fn unpack_full(
    lua: &Lua,
    s: Option<&Value>,
    limit: i32,
    offset: i32,
    used: usize,
    fname: &str,
) -> mlua::Result<MultiValue> {
    let data = match s {
        None => return Err(arg_error(1, fname, "string expected, got no value")),
        Some(v) => check_bytes(v, 1, fname)?,
    };
    let len = data.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(err(format!(
            "Invalid request to unpack with offset of {offset} and limit of {}.",
            len as i32
        )));
    }
    if offset as usize > len {
        return Err(err(format!(
            "Start offset {offset} greater than input length {}.",
            len as i32
        )));
    }
    let limit = if decode_all { i32::MAX } else { limit };
    let mut c = Cursor {
        data: &data,
        pos: offset as usize,
    };
    let mut out: Vec<Value> = Vec::new();
    let mut used = used;
    while c.left() > 0 && (out.len() as i64) < i64::from(limit) {
        match decode(lua, &mut c, used) {
            Ok(v) => out.push(v),
            Err(Stop::Eof) => return Err(err("Missing bytes in input.")),
            Err(Stop::BadFormat) => return Err(err("Bad data format in input.")),
            Err(Stop::Lua(e)) => return Err(e),
        }
        used += 1;
    }
    if !decode_all {
        if used + 1 > STACK_LIMIT {
            return Err(err("stack overflow (in function mp_unpack_full)"));
        }
        // The next offset, or -1 when the input is used up, comes first.
        let next = if c.left() == 0 { -1 } else { c.pos as i64 };
        out.insert(0, Value::Integer(next));
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::super::util::testing::{error_of, eval, hex};

    #[test]
    fn pack_matches_redis() {
        // Expected bytes: redis-server 7.0.15, EVAL "return cmsgpack.pack(…)" 0 dumped with string.byte.
        let cases = [
            (
                "{1,2,3}, 'a', true, nil, 0.5, 1/3, -1, -33, 200, 70000, 5000000000, -5000000000, 2^63, -2^63, 0/0, 1/0",
                "93 01 02 03 a1 61 c3 c0 ca 3f 00 00 00 cb 3f d5 55 55 55 55 55 55 ff d0 df cc c8 ce 00 01 11 70 cf 00 00 00 01 2a 05 f2 00 d3 ff ff ff fe d5 fa 0e 00 ca 5f 00 00 00 d3 80 00 00 00 00 00 00 00 cb ff f8 00 00 00 00 00 00 ca 7f 80 00 00",
            ),
            ("{a=1}", "81 a1 61 01"),
            ("{[1]=1,[3]=3}", "82 01 01 03 03"),
            ("{}", "90"),
            (
                "1e300, -0.0, 2^31, 2^32, -2^31, -2^31-1, 32767, 32768, 65535,65536, -32768, -32769, -128, -129, -32, 127,128, 255,256",
                "cb 7e 37 e4 3c 88 00 75 9c 00 ce 80 00 00 00 cf 00 00 00 01 00 00 00 00 d2 80 00 00 00 d3 ff ff ff ff 7f ff ff ff cd 7f ff cd 80 00 cd ff ff ce 00 01 00 00 d1 80 00 d2 ff ff 7f ff d0 80 d1 ff 7f e0 7f cc 80 cc ff cd 01 00",
            ),
            (
                "{[1.5]=2}, {[0]=1}, {[-1]=1}, {[2^31]=1}, {[1]=1,[2]=2,x=3}",
                "81 ca 3f c0 00 00 02 81 00 01 81 ff 01 81 ce 80 00 00 00 01 83 01 01 02 02 a1 78 03",
            ),
            ("string.rep('x',31):sub(1,1), #string.rep('x',31)", "a1 78 1f"),
            ("type", "c0"),
        ];
        for (args, want) in cases {
            assert_eq!(
                hex(&format!("return cmsgpack.pack({args})")),
                want,
                "{args}"
            );
        }
        // Headers only (redis-server 7.0.15, `:sub(1, k)` of the packed bytes).
        let heads = [
            ("string.rep('x',31)", 1, "bf"),
            ("string.rep('x',32)", 2, "d9 20"),
            ("string.rep('x',256)", 3, "da 01 00"),
            ("string.rep('x',65536)", 6, "db 00 01 00 00 78"),
            (
                "(function() local t={} for i=1,16 do t[i]=i end return t end)()",
                4,
                "dc 00 10 01",
            ),
            (
                "(function() local t={} for i=1,65536 do t[i]=1 end return t end)()",
                6,
                "dd 00 01 00 00 01",
            ),
            (
                "(function() local t={} for i=1,16 do t['k'..i]=i end return t end)()",
                4,
                "de 00 10 a3",
            ),
        ];
        for (arg, k, want) in heads {
            assert_eq!(
                hex(&format!("return cmsgpack.pack({arg}):sub(1, {k})")),
                want,
                "{arg}"
            );
        }
        // Nested 16 deep, the rest is nil (redis-server 7.0.15).
        let deep = hex("local t={1} for i=1,20 do t={t} end return cmsgpack.pack(t)");
        assert_eq!(deep, format!("{}c0", "91 ".repeat(16)));
        let deep = hex("local t={a=1} for i=1,20 do t={b=t} end return cmsgpack.pack(t)");
        assert_eq!(deep, format!("{}c0", "81 a1 62 ".repeat(16)));
    }

    #[test]
    fn unpack_matches_redis() {
        // Expected values: redis-server 7.0.15.
        let cases = [
            ("select('#', cmsgpack.unpack(''))", "0"),
            ("select('#', cmsgpack.unpack_one('\\1\\2', 0))", "2"),
            (
                "table.concat({cmsgpack.unpack_one('\\1\\2', 0)}, ',')",
                "1,1",
            ),
            (
                "table.concat({cmsgpack.unpack_one('\\1\\2', 1)}, ',')",
                "-1,2",
            ),
            ("table.concat({cmsgpack.unpack_one('\\1\\2')}, ',')", "1,1"),
            (
                "table.concat({cmsgpack.unpack_limit('\\1\\2\\3', 2)}, ',')",
                "2,1,2",
            ),
            (
                "table.concat({cmsgpack.unpack_limit('\\1\\2\\3', 0, 1)}, ',')",
                "1",
            ),
            (
                "table.concat({cmsgpack.unpack_limit('\\1\\2\\3', 0, 0)}, ',')",
                "1,2,3",
            ),
            ("cmsgpack.unpack_one('\\1\\2', 2)", "-1"),
            ("tostring(cmsgpack.unpack(5))", "53"),
            (
                "tostring(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))",
                "-1",
            ),
            (
                "tostring(cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0'))",
                "-9.2233720368548e+18",
            ),
            ("tostring(cmsgpack.unpack('\\202\\63\\192\\0\\0'))", "1.5"),
            (
                "cjson.encode(cmsgpack.unpack(cmsgpack.pack({1,'a',{x=true}})))",
                r#"[1,"a",{"x":true}]"#,
            ),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(&format!("return {expr}")), want, "{expr}");
        }
    }

    #[test]
    fn errors_match_redis() {
        // Expected messages: redis-server 7.0.15 via pcall.
        let cases = [
            ("cmsgpack.pack", "bad argument #0 to '?' (MessagePack pack needs input.)"),
            ("cmsgpack.unpack, '\\196\\1a'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\193'", "Bad data format in input."),
            ("cmsgpack.unpack, '\\145'", "Missing bytes in input."),
            ("cmsgpack.unpack, '\\129\\192\\1'", "table index is nil"),
            ("cmsgpack.unpack, '\\129\\203\\255\\255\\255\\255\\255\\255\\255\\255\\1'", "table index is NaN"),
            ("cmsgpack.unpack_one, '\\1\\2', 3", "Start offset 3 greater than input length 2."),
            ("cmsgpack.unpack_one, '\\1\\2', -1", "Invalid request to unpack with offset of -1 and limit of 2."),
            ("cmsgpack.unpack_limit, '\\1\\2', -1", "Invalid request to unpack with offset of 0 and limit of 2."),
            (
                "cmsgpack.unpack, string.rep('\\145', 5000)..'\\192'",
                "stack overflow (in function mp_decode_to_lua_array)",
            ),
            (
                "cmsgpack.unpack, string.rep('\\129\\1', 5000)..'\\192'",
                "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            ),
        ];
        for (call, want) in cases {
            assert_eq!(error_of(call), want, "{call}");
        }
    }

    #[test]
    fn stack_limits_match_redis() {
        // redis-server 7.0.15: the first failing sizes are 8000 top-level
        // values, 4000 nested arrays and 4000 nested maps. (A debug build's
        // Lua asserts when `pcall` itself returns thousands of values, so
        // results are counted inside the protected function.)
        let first_failure = |build: &str, from: u32, to: u32| {
            eval(&format!(
                "for n={from},{to} do \
                 local ok = pcall(function() return select('#', cmsgpack.unpack({build})) end) \
                 if not ok then return n end end return 0"
            ))
        };
        // We stop 200 slots earlier (see STACK_LIMIT): at 7800 values and
        // 3900 levels.
        let got = error_of("cmsgpack.unpack, string.rep('\\1', 7800)");
        assert!(
            got.contains(&format!("stack overflow ({})", super::TOO_MANY)),
            "{got}"
        );
        assert_eq!(
            first_failure("string.rep('\\145',n)..'\\192'", 3890, 4010),
            "3900"
        );
        assert_eq!(
            first_failure("string.rep('\\129\\1',n)..'\\192'", 3890, 4010),
            "3900"
        );
        let got = error_of("cmsgpack.unpack, string.rep('\\145', 3900)..'\\192'");
        assert!(
            got.contains("stack overflow (in function mp_decode_to_lua_array)"),
            "{got}"
        );
        // Many strings at once stay within mlua's reference slots.
        assert_eq!(
            eval("return select('#', cmsgpack.unpack(string.rep('\\161x', 7799)))"),
            "7799"
        );
        // Maps nested under string keys (two references a level).
        let deep = "local s = string.rep('\\129\\161k', 3899)..'\\1' local t = cmsgpack.unpack(s) \
                    local n = 0 while type(t) == 'table' do t = t.k n = n + 1 end return n";
        assert_eq!(eval(deep), "3899");
    }
}
