//! `bit`: LuaBitOp 1.0 as Redis ships it. Every operation works on 32-bit
//! integers and returns a signed 32-bit result as a Lua number.
//!
//! Arguments are normalised the LuaBitOp way: add 2^52+2^51 to the double
//! and keep the low 32 bits of its representation. That rounds to nearest
//! (ties to even) and wraps modulo 2^32, so `bit.tobit(2^32+1)` is 1 and
//! `bit.tobit(1.5)` is 2.

use super::raise::function;
use mlua::{Lua, Table, Value, Variadic};

use super::util::{arg_error, to_number, type_error};

/// LuaBitOp's argument conversion (`barg`). A non-number becomes 0 in Lua
/// 5.1's `lua_tonumber`; LuaBitOp only complains when the bits come out 0.
fn barg(args: &[Value], idx: usize, fname: &str) -> mlua::Result<u32> {
    let v = args.get(idx).cloned().unwrap_or(Value::Nil);
    let n = to_number(&v);
    let b = (n.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits() as u32;
    if b == 0 && n.is_none() {
        if idx >= args.len() {
            let msg = "number expected, got no value";
            return Err(arg_error(idx as i64 + 1, fname, msg));
        }
        return Err(type_error(idx as i64 + 1, fname, "number", &v));
    }
    Ok(b)
}

/// The result LuaBitOp pushes: the bits read as a signed 32-bit integer.
fn ret(b: u32) -> i64 {
    i64::from(b as i32)
}

type Args = Variadic<Value>;

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "tobit",
        function(lua, |_, a: Args| Ok(ret(barg(&a, 0, "tobit")?)))?,
    )?;
    t.set(
        "bnot",
        function(lua, |_, a: Args| Ok(ret(!barg(&a, 0, "bnot")?)))?,
    )?;
    t.set(
        "bswap",
        function(lua, |_, a: Args| {
            Ok(ret(barg(&a, 0, "bswap")?.swap_bytes()))
        })?,
    )?;
    // band/bor/bxor take one or more arguments; LuaBitOp checks the first,
    // then the rest from the last down, so the reported argument matches.
    let fold = |name: &'static str, op: fn(u32, u32) -> u32| {
        function(lua, move |_, a: Args| {
            let mut b = barg(&a, 0, name)?;
            for i in (1..a.len()).rev() {
                b = op(b, barg(&a, i, name)?);
            }
            Ok(ret(b))
        })
    };
    t.set("band", fold("band", |x, y| x & y)?)?;
    t.set("bor", fold("bor", |x, y| x | y)?)?;
    t.set("bxor", fold("bxor", |x, y| x ^ y)?)?;
    let shift = |name: &'static str, op: fn(u32, u32) -> u32| {
        function(lua, move |_, a: Args| {
            let b = barg(&a, 0, name)?;
            let n = barg(&a, 1, name)? & 31;
            Ok(ret(op(b, n)))
        })
    };
    t.set("lshift", shift("lshift", |b, n| b << n)?)?;
    t.set("rshift", shift("rshift", |b, n| b >> n)?)?;
    t.set(
        "arshift",
        shift("arshift", |b, n| ((b as i32) >> n) as u32)?,
    )?;
    t.set("rol", shift("rol", |b, n| b.rotate_left(n))?)?;
    t.set("ror", shift("ror", |b, n| b.rotate_right(n))?)?;
    t.set(
        "tohex",
        function(lua, |lua, a: Args| {
            let mut b = barg(&a, 0, "tohex")?;
            // A missing count means 8; a negative one means upper case.
            let n = if a.len() < 2 {
                8
            } else {
                barg(&a, 1, "tohex")? as i32
            };
            let digits: &[u8; 16] = if n < 0 {
                b"0123456789ABCDEF"
            } else {
                b"0123456789abcdef"
            };
            let n = n.unsigned_abs().min(8) as usize;
            let mut buf = vec![0u8; n];
            for slot in buf.iter_mut().rev() {
                *slot = digits[(b & 15) as usize];
                b >>= 4;
            }
            lua.create_string(&buf)
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::util::testing::eval;

    #[test]
    fn matches_redis() {
        // Each expected value is what redis-server 7.0.15 returned for
        // EVAL "return tostring(<expr>)" 0.
        let cases = [
            ("bit.tobit(0xffffffff)", "-1"),
            ("bit.tobit(2^32+1)", "1"),
            ("bit.tobit(1.5)", "2"),
            ("bit.tobit(2.5)", "2"),
            ("bit.tobit(-1.5)", "-2"),
            ("bit.tobit('12')", "12"),
            ("bit.bnot(0)", "-1"),
            ("bit.band(0xff, 0x0f, 0x3)", "3"),
            ("bit.bor(1, 2, 4)", "7"),
            ("bit.bxor(5, 1)", "4"),
            ("bit.lshift(1, 31)", "-2147483648"),
            ("bit.lshift(1, 33)", "2"),
            ("bit.rshift(-1, 28)", "15"),
            ("bit.arshift(-256, 4)", "-16"),
            ("bit.rol(0x12345678, 12)", "1164411171"),
            ("bit.ror(0x12345678, 12)", "1736516421"),
            ("bit.bswap(0x12345678)", "2018915346"),
            ("bit.tohex(255)", "000000ff"),
            ("bit.tohex(-1, -4)", "FFFF"),
            ("bit.tohex(0x1234, 2)", "34"),
            ("bit.tohex(1, 20)", "00000001"),
            ("bit.tohex(1, 0)", ""),
            ("bit.tobit(2^53)", "0"),
            ("bit.tobit('0')", "0"),
            ("bit.tobit(' 0x10 ')", "16"),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(&format!("return tostring({expr})")), want, "{expr}");
        }
    }

    #[test]
    fn errors_match_redis() {
        // redis-server 7.0.15: "bad argument #1 to 'band' (number expected, got string)".
        let e = eval("return bit.band('x')");
        assert!(
            e.contains("bad argument #1 to 'band' (number expected, got string)"),
            "{e}"
        );
        let e = eval("return bit.bor(1, 2, {})");
        assert!(
            e.contains("bad argument #3 to 'bor' (number expected, got table)"),
            "{e}"
        );
        let e = eval("return bit.tobit()");
        assert!(
            e.contains("bad argument #1 to 'tobit' (number expected, got no value)"),
            "{e}"
        );
    }
}
