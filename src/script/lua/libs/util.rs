//! Small pieces shared by the libraries: Lua 5.1's view of numbers and
//! types, and error texts shaped like the C auxiliary library's.

use mlua::{Error, Value};

/// Lua's `LUAI_MAXCSTACK`: a C function may hold at most this many stack
/// slots. The C libraries hit it on deep nesting; we count slots the same way
/// so the same inputs fail with the same message.
pub const LUAI_MAXCSTACK: usize = 8000;

/// An error raised with a plain message, like `luaL_error`.
pub fn err(msg: impl Into<String>) -> Error {
    Error::RuntimeError(msg.into())
}

/// `luaL_argerror`: "bad argument #n to 'fname' (msg)".
pub fn arg_error(arg: i64, fname: &str, msg: &str) -> Error {
    err(format!("bad argument #{arg} to '{fname}' ({msg})"))
}

/// `luaL_typerror`: "bad argument #n to 'fname' (T expected, got U)".
pub fn type_error(arg: i64, fname: &str, expected: &str, got: &Value) -> Error {
    arg_error(
        arg,
        fname,
        &format!("{expected} expected, got {}", type_name(got)),
    )
}

/// The name `type()` gives a value in Lua 5.1 (light userdata is "userdata").
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// The number a value is in Lua 5.1 arithmetic (`lua_isnumber`/`lua_tonumber`):
/// numbers, and strings that read as numbers.
pub fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => str_to_number(&s.as_bytes()),
        _ => None,
    }
}

/// The number a value holds if it is a Lua number (no string coercion).
pub fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// `luaL_checknumber`.
pub fn check_number(v: &Value, arg: i64, fname: &str) -> mlua::Result<f64> {
    to_number(v).ok_or_else(|| type_error(arg, fname, "number", v))
}

/// `luaL_checkinteger`: a number truncated toward zero (a C cast; out of
/// range saturates like x86's conversion result `i64::MIN`).
pub fn check_integer(v: &Value, arg: i64, fname: &str) -> mlua::Result<i64> {
    check_number(v, arg, fname).map(c_f64_to_i64)
}

/// `luaL_checklstring`: strings, and numbers turned into their `%.14g` text.
pub fn check_bytes(v: &Value, arg: i64, fname: &str) -> mlua::Result<Vec<u8>> {
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Integer(_) | Value::Number(_) => {
            let n = as_number(v).unwrap_or(0.0);
            Ok(fmt_g(n, 14).into_bytes())
        }
        _ => Err(type_error(arg, fname, "string", v)),
    }
}

/// Whether `n` lies in [-2^63, 2^63), where a cast to int64 is exact.
pub fn in_i64_range(n: f64) -> bool {
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n)
}

/// What x86-64 gives for a C cast of a double to `int64_t`: truncation, and
/// `INT64_MIN` for NaN or anything out of range.
pub fn c_f64_to_i64(n: f64) -> i64 {
    if in_i64_range(n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// What x86-64 gcc gives for a C cast of a double to `uint64_t`.
pub fn c_f64_to_u64(n: f64) -> u64 {
    if n >= 9_223_372_036_854_775_808.0 {
        (c_f64_to_i64(n - 9_223_372_036_854_775_808.0) as u64) ^ (1 << 63)
    } else {
        c_f64_to_i64(n) as u64
    }
}

/// Lua 5.1's string to number conversion (`luaO_str2d`): a `strtod` prefix
/// followed only by whitespace.
pub fn str_to_number(s: &[u8]) -> Option<f64> {
    let (n, used) = strtod(s)?;
    if s[used..].iter().all(|c| is_space(*c)) {
        Some(n)
    } else {
        None
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// glibc `strtod` on the front of `s`: the value and how many bytes it used,
/// or `None` when no number starts there. Accepts leading whitespace, a sign,
/// decimal and hexadecimal (`0x1.8p3`) forms, `inf`, `infinity` and `nan`.
pub fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let rest = &s[i..];
    let starts = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
    let sign = |v: f64| if neg { -v } else { v };
    if starts(b"infinity") {
        return Some((sign(f64::INFINITY), i + 8));
    }
    if starts(b"inf") {
        return Some((sign(f64::INFINITY), i + 3));
    }
    if starts(b"nan") {
        let mut end = i + 3;
        // "nan(chars)" is one token when the parenthesis closes.
        if s.get(end) == Some(&b'(') {
            let mut j = end + 1;
            while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
                j += 1;
            }
            if s.get(j) == Some(&b')') {
                end = j + 1;
            }
        }
        return Some((sign(f64::NAN), end));
    }
    if starts(b"0x") && rest.len() > 2 {
        if let Some((v, used)) = hex_float(&rest[2..]) {
            return Some((sign(v), i + 2 + used));
        }
        // "0x" with no hex digits reads as the number 0, ending before 'x'.
        return Some((sign(0.0), i + 1));
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let int_part = &s[int_start..i];
    let mut frac_part: &[u8] = &[];
    if i < s.len() && s[i] == b'.' {
        let f = i + 1;
        i = f;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        frac_part = &s[f..i];
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut exp_part: &[u8] = b"0";
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let e = i + 1;
        let mut j = e;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        if j < s.len() && s[j].is_ascii_digit() {
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
            }
            exp_part = &s[e..j];
            i = j;
        }
    }
    // Rebuilt as "I.FeX" from ASCII digits: Rust's parser reads it with the
    // same correct rounding as glibc.
    let text = format!(
        "{}.{}e{}",
        ascii_or(int_part, "0"),
        ascii_or(frac_part, "0"),
        ascii_or(exp_part, "0")
    );
    let v: f64 = text.parse().ok()?;
    Some((sign(v), i))
}

fn ascii_or<'a>(b: &'a [u8], default: &'a str) -> &'a str {
    match std::str::from_utf8(b) {
        Ok(t) if !t.is_empty() => t,
        _ => default,
    }
}

/// The part of a hexadecimal float after "0x": value and bytes used.
fn hex_float(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let mut mant: f64 = 0.0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    while i < s.len() && s[i].is_ascii_hexdigit() {
        mant = mant * 16.0 + f64::from((s[i] as char).to_digit(16)?);
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_hexdigit() {
            mant = mant * 16.0 + f64::from((s[i] as char).to_digit(16)?);
            exp -= 4;
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'p' || s[i] == b'P') {
        let mut j = i + 1;
        let mut eneg = false;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            eneg = s[j] == b'-';
            j += 1;
        }
        if j < s.len() && s[j].is_ascii_digit() {
            let mut e: i64 = 0;
            while j < s.len() && s[j].is_ascii_digit() {
                e = (e * 10 + i64::from(s[j] - b'0')).min(100_000);
                j += 1;
            }
            exp += if eneg { -e } else { e };
            i = j;
        }
    }
    Some((mant * 2f64.powi(exp.clamp(-2000, 2000) as i32), i))
}

/// C's `printf("%.<prec>g", n)`, the way cjson and Lua print numbers.
pub fn fmt_g(n: f64, prec: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    let p = prec.max(1);
    // Rust's `{:e}` rounds exactly like glibc (on the exact binary value).
    let sci = format!("{:.*e}", p - 1, n);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let x: i64 = exp.parse().unwrap_or(0);
    if x < -4 || x >= p as i64 {
        let mant = strip_zeros(mant);
        let sign = if x < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", x.abs())
    } else {
        let decimals = (p as i64 - 1 - x).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, n)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Test helpers: run a chunk with the libraries installed.
#[cfg(test)]
pub mod testing {
    use mlua::Value;

    /// The chunk's result as text (strings byte-for-byte, lossily shown), or
    /// "ERR <message>".
    pub fn eval(src: &str) -> String {
        eval_arg(src, b"")
    }

    /// Like `eval`, with the global `ARG` set to the Lua string `arg`.
    pub fn eval_arg(src: &str, arg: &[u8]) -> String {
        let lua = mlua::Lua::new();
        if let Err(e) = crate::script::lua::libs::register_all(&lua) {
            return format!("ERR register: {e}");
        }
        let set = lua
            .create_string(arg)
            .and_then(|s| lua.globals().set("ARG", s));
        if let Err(e) = set {
            return format!("ERR setting ARG: {e}");
        }
        // Named like Redis's chunks, so positions read "user_script:1:".
        match lua.load(src).set_name("@user_script").eval::<Value>() {
            Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Ok(v) => v.to_string().unwrap_or_default(),
            Err(e) => format!("ERR {e}"),
        }
    }

    /// The message of the error that `pcall(<call>)` catches.
    pub fn error_of(call: &str) -> String {
        error_of_arg(call, b"")
    }

    /// Like `error_of`, with the global `ARG` set to the Lua string `arg`.
    pub fn error_of_arg(call: &str, arg: &[u8]) -> String {
        let src = format!("local ok, e = pcall({call}) if ok then return 'no error' end return e");
        eval_arg(&src, arg)
    }

    /// The bytes of the string the chunk returns, as space-separated hex.
    pub fn hex(src: &str) -> String {
        let lua = mlua::Lua::new();
        if let Err(e) = crate::script::lua::libs::register_all(&lua) {
            return format!("ERR register: {e}");
        }
        match lua.load(src).eval::<mlua::LuaString>() {
            Ok(s) => s
                .as_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("ERR {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format_matches_printf() {
        // Expected values: C printf("%.14g").
        assert_eq!(fmt_g(1.0 / 3.0, 14), "0.33333333333333");
        assert_eq!(fmt_g(-0.0, 14), "-0");
        assert_eq!(fmt_g(1e15, 14), "1e+15");
        assert_eq!(fmt_g(2f64.powi(53), 14), "9.007199254741e+15");
        assert_eq!(fmt_g(100.0, 14), "100");
        assert_eq!(fmt_g(-1.5e-7, 14), "-1.5e-07");
        assert_eq!(fmt_g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(fmt_g(0.0001, 14), "0.0001");
        assert_eq!(fmt_g(1e100, 14), "1e+100");
    }

    #[test]
    fn strtod_prefixes() {
        assert_eq!(strtod(b"1.5e"), Some((1.5, 3)));
        assert_eq!(strtod(b"0x1F]"), Some((31.0, 4)));
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b"+5"), Some((5.0, 2)));
        assert_eq!(strtod(b".5"), Some((0.5, 2)));
        assert_eq!(strtod(b"5."), Some((5.0, 2)));
        assert_eq!(strtod(b"Infinity"), Some((f64::INFINITY, 8)));
        assert_eq!(strtod(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod(b"0x1.8p1"), Some((3.0, 7)));
        assert_eq!(str_to_number(b" 10 "), Some(10.0));
        assert_eq!(str_to_number(b"1x"), None);
    }
}
