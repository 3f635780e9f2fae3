//! `cjson`: lua-cjson 2.1.0 as Redis 7.0 ships it.
//!
//! Behaviour kept from the C library (all checked against redis-server 7.0.15):
//! - numbers print with `%.14g` (`encode_number_precision`, 1..14);
//! - a table whose keys are all positive integers is an array; `nil` holes
//!   print as `null`, unless the array is "excessively sparse" (max index >
//!   ratio × item count and > safe, defaults 2 and 10), which is an error or,
//!   with `encode_sparse_array(true)`, an object; every other table (also the
//!   empty one) is an object, so `decode('[]')` re-encodes as `{}`;
//! - strings escape `"`, `\`, `/` and control bytes; other bytes pass through;
//! - `cjson.null` is a light userdata NULL and round-trips;
//! - the decoder accepts what `strtod` reads where a number starts (hex, `+1`,
//!   `Infinity`, `NaN`) while `decode_invalid_numbers` is on (the default);
//!   a NUL byte ends the input;
//! - error texts: "Expected value but found T_END at character 2", "Cannot
//!   serialise table: excessively sparse array", ….
//!
//! Nesting limits: the configured depth (default 1000) and, as in C, the Lua
//! stack (8000 slots: about 8000 levels of arrays or 4000 of objects), with
//! the same messages. Where a script raises the depth settings, two limits
//! of ours come first: the decoder counts against 7800 slots rather than
//! 8000 (each slot may be one of mlua's 8000 references), and the encoder,
//! which recurses, stops at `ENCODE_HARD_DEPTH` levels to spare Rust's stack.

use std::sync::{Arc, Mutex, MutexGuard};

use super::raise::function;
use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::util::{
    arg_error, as_number, check_bytes, check_integer, err, fmt_g, strtod, type_name, LUAI_MAXCSTACK,
};

/// Deepest nesting we encode, whatever `encode_max_depth` says; equal to
/// cjson's default limit, so defaults behave exactly like Redis.
const ENCODE_HARD_DEPTH: usize = 1000;

/// The Lua stack slots the decoder may count on (see the module notes).
const DECODE_STACK_LIMIT: usize = LUAI_MAXCSTACK - 200;

/// How `encode_invalid_numbers` treats NaN and ±Inf.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InvalidNumbers {
    /// Refuse them ("Cannot serialise number: must not be NaN or Inf").
    Off,
    /// Print them as `nan`, `inf`, `-inf` (not JSON).
    On,
    /// Print them as `null`.
    Null,
}

/// One cjson instance's settings (`cjson.new()` makes another).
#[derive(Clone, Copy)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i64,
    sparse_safe: i64,
    encode_max_depth: i64,
    decode_max_depth: i64,
    precision: i64,
    keep_buffer: bool,
    encode_invalid: InvalidNumbers,
    decode_invalid: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            precision: 14,
            keep_buffer: true,
            encode_invalid: InvalidNumbers::Off,
            decode_invalid: true,
        }
    }
}

type Shared = Arc<Mutex<Config>>;

fn lock(cfg: &Shared) -> MutexGuard<'_, Config> {
    // A panic cannot happen while the lock is held; recover rather than unwrap.
    cfg.lock().unwrap_or_else(|p| p.into_inner())
}

/// `cjson.null`: a light userdata holding NULL, like the C library's.
fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    new_instance(lua)
}

fn new_instance(lua: &Lua) -> mlua::Result<Table> {
    let cfg: Shared = Arc::new(Mutex::new(Config::default()));
    let t = lua.create_table()?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    t.set("null", null())?;
    t.set("new", function(lua, |lua, ()| new_instance(lua))?)?;

    let c = cfg.clone();
    t.set(
        "encode",
        function(lua, move |lua, args: MultiValue| {
            let v = one_arg(&args, "encode")?;
            let cfg = *lock(&c);
            let mut out = Vec::new();
            Encoder { cfg }.value(v, 0, 1, &mut out)?;
            lua.create_string(&out)
        })?,
    )?;
    let c = cfg.clone();
    t.set(
        "decode",
        function(lua, move |lua, args: MultiValue| {
            let v = one_arg(&args, "decode")?;
            let data = check_bytes(v, 1, "decode")?;
            let cfg = *lock(&c);
            decode(lua, &cfg, &data)
        })?,
    )?;

    let c = cfg.clone();
    t.set(
        "encode_sparse_array",
        function(lua, move |_, args: MultiValue| {
            let name = "encode_sparse_array";
            let a = arg_init(&args, 3, name)?;
            let mut g = lock(&c);
            let convert = bool_option(&a[0], g.sparse_convert, name)?;
            g.sparse_convert = convert;
            g.sparse_ratio = int_option(&a[1], 2, g.sparse_ratio, 0, i32::MAX, name)?;
            g.sparse_safe = int_option(&a[2], 3, g.sparse_safe, 0, i32::MAX, name)?;
            Ok((convert, g.sparse_ratio, g.sparse_safe))
        })?,
    )?;
    let int_setting = |name: &'static str, field: fn(&mut Config) -> &mut i64, max: i32| {
        let c = cfg.clone();
        function(lua, move |_, args: MultiValue| {
            let a = arg_init(&args, 1, name)?;
            let mut g = lock(&c);
            let slot = field(&mut g);
            *slot = int_option(&a[0], 1, *slot, 1, max, name)?;
            Ok(*slot)
        })
    };
    t.set(
        "encode_max_depth",
        int_setting("encode_max_depth", |c| &mut c.encode_max_depth, i32::MAX)?,
    )?;
    t.set(
        "decode_max_depth",
        int_setting("decode_max_depth", |c| &mut c.decode_max_depth, i32::MAX)?,
    )?;
    t.set(
        "encode_number_precision",
        int_setting("encode_number_precision", |c| &mut c.precision, 14)?,
    )?;
    let c = cfg.clone();
    t.set(
        "encode_keep_buffer",
        function(lua, move |_, args: MultiValue| {
            let a = arg_init(&args, 1, "encode_keep_buffer")?;
            let mut g = lock(&c);
            g.keep_buffer = bool_option(&a[0], g.keep_buffer, "encode_keep_buffer")?;
            Ok(g.keep_buffer)
        })?,
    )?;
    let c = cfg.clone();
    t.set(
        "decode_invalid_numbers",
        function(lua, move |_, args: MultiValue| {
            let a = arg_init(&args, 1, "decode_invalid_numbers")?;
            let mut g = lock(&c);
            g.decode_invalid = bool_option(&a[0], g.decode_invalid, "decode_invalid_numbers")?;
            Ok(g.decode_invalid)
        })?,
    )?;
    let c = cfg;
    t.set(
        "encode_invalid_numbers",
        function(lua, move |lua, args: MultiValue| {
            let name = "encode_invalid_numbers";
            let a = arg_init(&args, 1, name)?;
            let mut g = lock(&c);
            g.encode_invalid = match &a[0] {
                Value::Nil => g.encode_invalid,
                Value::Boolean(true) => InvalidNumbers::On,
                Value::Boolean(false) => InvalidNumbers::Off,
                v => match check_option(v, &["off", "on", "null"], name)? {
                    0 => InvalidNumbers::Off,
                    1 => InvalidNumbers::On,
                    _ => InvalidNumbers::Null,
                },
            };
            // Like the C enum option: booleans for off/on, the name otherwise.
            Ok(match g.encode_invalid {
                InvalidNumbers::Off => Value::Boolean(false),
                InvalidNumbers::On => Value::Boolean(true),
                InvalidNumbers::Null => Value::String(lua.create_string("null")?),
            })
        })?,
    )?;
    Ok(t)
}

/// `encode` and `decode` take exactly one argument.
fn one_arg<'a>(args: &'a MultiValue, fname: &str) -> mlua::Result<&'a Value> {
    match args.front() {
        Some(v) if args.len() == 1 => Ok(v),
        _ => Err(arg_error(1, fname, "expected 1 argument")),
    }
}

/// The settings functions take at most `n` arguments; missing ones are nil.
fn arg_init(args: &MultiValue, n: usize, fname: &str) -> mlua::Result<Vec<Value>> {
    if args.len() > n {
        return Err(arg_error(n as i64 + 1, fname, "found too many arguments"));
    }
    let mut a: Vec<Value> = args.iter().cloned().collect();
    a.resize(n, Value::Nil);
    Ok(a)
}

/// An integer setting in `min..=max`; nil keeps the current value. (The C
/// code reports a range error against argument #1 whichever it was.)
fn int_option(
    v: &Value,
    arg: i64,
    current: i64,
    min: i32,
    max: i32,
    fname: &str,
) -> mlua::Result<i64> {
    if v.is_nil() {
        return Ok(current);
    }
    // The C code stores the integer in an `int`: wrap like it does.
    let n = i64::from(check_integer(v, arg, fname)? as i32);
    if n < i64::from(min) || n > i64::from(max) {
        let msg = format!("expected integer between {min} and {max}");
        return Err(arg_error(1, fname, &msg));
    }
    Ok(n)
}

/// An on/off setting: a boolean, or the strings "off"/"on"; nil keeps it.
fn bool_option(v: &Value, current: bool, fname: &str) -> mlua::Result<bool> {
    match v {
        Value::Nil => Ok(current),
        Value::Boolean(b) => Ok(*b),
        _ => Ok(check_option(v, &["off", "on"], fname)? == 1),
    }
}

/// `luaL_checkoption` with no default (argument #1 in every cjson use).
fn check_option(v: &Value, options: &[&str], fname: &str) -> mlua::Result<usize> {
    let s = check_bytes(v, 1, fname)?;
    options
        .iter()
        .position(|o| o.as_bytes() == s.as_slice())
        .ok_or_else(|| {
            let msg = format!("invalid option '{}'", String::from_utf8_lossy(&s));
            arg_error(1, fname, &msg)
        })
}

struct Encoder {
    cfg: Config,
}

impl Encoder {
    /// Append the JSON for `v`. `depth` counts enclosing tables; `slots`
    /// counts the Lua stack slots the C encoder would hold at this point.
    fn value(&self, v: &Value, depth: usize, slots: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
        match v {
            Value::Nil => out.extend_from_slice(b"null"),
            Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Integer(_) | Value::Number(_) => {
                self.number(as_number(v).unwrap_or(0.0), out)?
            }
            Value::String(s) => escape_string(&s.as_bytes(), out),
            Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
            Value::Table(t) => self.table(t, depth + 1, slots, out)?,
            other => {
                let t = type_name(other);
                return Err(err(format!("Cannot serialise {t}: type not supported")));
            }
        }
        Ok(())
    }

    fn number(&self, n: f64, out: &mut Vec<u8>) -> mlua::Result<()> {
        if !n.is_finite() {
            match self.cfg.encode_invalid {
                InvalidNumbers::Off => {
                    return Err(err("Cannot serialise number: must not be NaN or Inf"));
                }
                InvalidNumbers::Null => {
                    out.extend_from_slice(b"null");
                    return Ok(());
                }
                InvalidNumbers::On if n.is_nan() => {
                    // Always "nan": C's printf could say "-nan".
                    out.extend_from_slice(b"nan");
                    return Ok(());
                }
                InvalidNumbers::On => {}
            }
        }
        out.extend_from_slice(fmt_g(n, self.cfg.precision as usize).as_bytes());
        Ok(())
    }

    fn table(&self, t: &Table, depth: usize, slots: usize, out: &mut Vec<u8>) -> mlua::Result<()> {
        // The C encoder checks its depth setting and room for 3 more slots.
        if depth as i64 > self.cfg.encode_max_depth
            || depth > ENCODE_HARD_DEPTH
            || slots + 3 > LUAI_MAXCSTACK
        {
            return Err(err(format!(
                "Cannot serialise, excessive nesting ({depth})"
            )));
        }
        match self.array_length(t)? {
            Some(len) if len > 0 => {
                out.push(b'[');
                for i in 1..=len {
                    if i > 1 {
                        out.push(b',');
                    }
                    let v: Value = t.raw_get(i)?;
                    self.value(&v, depth, slots + 1, out)?;
                }
                out.push(b']');
            }
            _ => {
                out.push(b'{');
                let mut first = true;
                for pair in t.pairs::<Value, Value>() {
                    let (k, v) = pair?;
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    match &k {
                        Value::Integer(_) | Value::Number(_) => {
                            out.push(b'"');
                            self.number(as_number(&k).unwrap_or(0.0), out)?;
                            out.extend_from_slice(b"\":");
                        }
                        Value::String(s) => {
                            escape_string(&s.as_bytes(), out);
                            out.push(b':');
                        }
                        other => {
                            let t = type_name(other);
                            let msg = format!(
                                "Cannot serialise {t}: table key must be a number or string"
                            );
                            return Err(err(msg));
                        }
                    }
                    self.value(&v, depth, slots + 2, out)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
    }

    /// cjson's array test: `Some(max index)` when every key is a positive
    /// integer (0 for an empty table) and the array is not excessively
    /// sparse; `None` for an object.
    fn array_length(&self, t: &Table) -> mlua::Result<Option<i64>> {
        // The C code keeps the largest index in an `int`: an index of 2^31
        // or more becomes INT_MIN (x86's conversion), so such tables end up
        // as objects rather than as "excessively sparse" arrays.
        let mut max: i32 = 0;
        let mut items: i64 = 0;
        for pair in t.pairs::<Value, Value>() {
            let (k, _) = pair?;
            match as_number(&k) {
                Some(k) if k.floor() == k && k >= 1.0 => {
                    if k > f64::from(max) {
                        max = if k < 2_147_483_648.0 {
                            k as i32
                        } else {
                            i32::MIN
                        };
                    }
                    items += 1;
                }
                _ => return Ok(None),
            }
        }
        let (max, c) = (i64::from(max), &self.cfg);
        if c.sparse_ratio > 0 && max > items * c.sparse_ratio && max > c.sparse_safe {
            if !c.sparse_convert {
                return Err(err("Cannot serialise table: excessively sparse array"));
            }
            return Ok(None);
        }
        Ok(Some(max))
    }
}

/// cjson's string escaping: `"`, `\` and `/` get a backslash; \b \t \n \f \r
/// their short forms; other control bytes and DEL `\u00XX`.
fn escape_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            8 => out.extend_from_slice(b"\\b"),
            9 => out.extend_from_slice(b"\\t"),
            10 => out.extend_from_slice(b"\\n"),
            12 => out.extend_from_slice(b"\\f"),
            13 => out.extend_from_slice(b"\\r"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

#[derive(Debug)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    /// A token that could not be read, with cjson's reason.
    Error(&'static str),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(why) => why,
        }
    }
}

struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    decode_invalid: bool,
}

impl Lexer<'_> {
    /// The byte at `i`; the C parser sees a NUL past the end, and stops at
    /// any NUL inside the input too.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn starts_with(&self, w: &[u8]) -> bool {
        self.data[self.pos.min(self.data.len())..].starts_with(w)
    }

    /// The next token and the 0-based offset it (or its error) is at.
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let single = match self.at(start) {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            0 => return (Tok::End, start),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, start);
        }
        match self.at(start) {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.decode_invalid && self.is_invalid_number() {
                    return (Tok::Error("invalid number"), start);
                }
                self.number()
            }
            // Only these letters (and '+') can begin a token other than the above.
            b't' | b'f' | b'n' | b'i' | b'I' | b'N' | b'+' => {
                if self.starts_with(b"true") {
                    self.pos += 4;
                    (Tok::Bool(true), start)
                } else if self.starts_with(b"false") {
                    self.pos += 5;
                    (Tok::Bool(false), start)
                } else if self.starts_with(b"null") {
                    self.pos += 4;
                    (Tok::Null, start)
                } else if self.decode_invalid && self.is_invalid_number() {
                    self.number()
                } else {
                    (Tok::Error("invalid token"), start)
                }
            }
            _ => (Tok::Error("invalid token"), start),
        }
    }

    /// Numbers JSON forbids but `strtod` reads: a leading '+', hex, leading
    /// zeros, inf and nan.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        if c <= b'9' {
            return false;
        }
        let rest = &self.data[p.min(self.data.len())..];
        let ci = |w: &[u8]| rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(w);
        ci(b"inf") || ci(b"nan")
    }

    fn number(&mut self) -> (Tok, usize) {
        let start = self.pos;
        // Hand strtod only the run of bytes it could consume (which stops at
        // an embedded NUL, as the C string does); scanning further would make
        // decoding quadratic.
        let end = self.data[start..]
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || b".+-()_".contains(&c)))
            .map_or(self.data.len(), |i| start + i);
        match strtod(&self.data[start..end]) {
            Some((n, used)) if used > 0 => {
                self.pos += used;
                (Tok::Num(n), start)
            }
            _ => (Tok::Error("invalid number"), start),
        }
    }

    fn string(&mut self) -> (Tok, usize) {
        let start = self.pos;
        self.pos += 1;
        let mut buf = Vec::new();
        loop {
            let c = self.at(self.pos);
            match c {
                b'"' => break,
                0 => return (Tok::Error("unexpected end of string"), self.pos),
                b'\\' => {
                    let e = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            if self.unicode_escape(&mut buf) {
                                continue;
                            }
                            return (Tok::Error("invalid unicode escape code"), self.pos);
                        }
                        _ => return (Tok::Error("invalid escape code"), self.pos),
                    };
                    buf.push(e);
                    self.pos += 2;
                }
                _ => {
                    buf.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        (Tok::Str(buf), start)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0;
        for i in 0..4 {
            v = v * 16 + (self.at(at + i) as char).to_digit(16)?;
        }
        Some(v)
    }

    /// `\uXXXX` (or a surrogate pair of them) at `pos`, appended as UTF-8.
    fn unicode_escape(&mut self, buf: &mut Vec<u8>) -> bool {
        let Some(mut cp) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            // Must be a high surrogate followed by an escaped low one.
            if cp & 0x400 != 0 || self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        // Encode by hand: char::from_u32 would refuse nothing here (no lone
        // surrogates reach this point), but this stays byte-exact regardless.
        match cp {
            0..=0x7F => buf.push(cp as u8),
            0x80..=0x7FF => {
                buf.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8])
            }
            0x800..=0xFFFF => buf.extend_from_slice(&[
                0xE0 | (cp >> 12) as u8,
                0x80 | ((cp >> 6) & 0x3F) as u8,
                0x80 | (cp & 0x3F) as u8,
            ]),
            _ => buf.extend_from_slice(&[
                0xF0 | (cp >> 18) as u8,
                0x80 | ((cp >> 12) & 0x3F) as u8,
                0x80 | ((cp >> 6) & 0x3F) as u8,
                0x80 | (cp & 0x3F) as u8,
            ]),
        }
        self.pos += len;
        true
    }
}

fn parse_error(expected: &str, tok: &Tok, at: usize) -> mlua::Error {
    err(format!(
        "Expected {expected} but found {} at character {}",
        tok.name(),
        at + 1
    ))
}

/// An open container while decoding.
enum Frame {
    Array { t: Table, next: i64 },
    Object { t: Table, key: Value },
}

/// Decode one JSON text. Iterative, with an explicit stack of open
/// containers, so nesting costs heap rather than Rust stack.
fn decode(lua: &Lua, cfg: &Config, data: &[u8]) -> mlua::Result<Value> {
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err(err("JSON parser does not support UTF-16 or UTF-32"));
    }
    let mut lx = Lexer {
        data,
        pos: 0,
        decode_invalid: cfg.decode_invalid,
    };
    let mut stack: Vec<Frame> = Vec::new();
    // Lua stack slots the C parser would hold: the argument, plus one per
    // open array (its table) and two per open object (table and key).
    let mut slots = 1;
    let descend = |depth: usize, slots: usize, need: usize, pos: usize| {
        if depth as i64 > cfg.decode_max_depth || slots + need > DECODE_STACK_LIMIT {
            let msg = format!("Found too many nested data structures ({depth}) at character {pos}");
            return Err(err(msg));
        }
        Ok(())
    };
    // Reads "key" ':' for an object; returns the key.
    let key_colon = |lx: &mut Lexer, tok: (Tok, usize)| -> mlua::Result<Value> {
        let Tok::Str(k) = tok.0 else {
            return Err(parse_error("object key string", &tok.0, tok.1));
        };
        let key = Value::String(lua.create_string(&k)?);
        let (t, at) = lx.next();
        if !matches!(t, Tok::Colon) {
            return Err(parse_error("colon", &t, at));
        }
        Ok(key)
    };

    let mut tok = lx.next();
    let result = 'value: loop {
        // `tok` starts a value: read it, or open a container.
        let mut val = match tok.0 {
            Tok::Str(s) => Value::String(lua.create_string(&s)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => null(),
            Tok::ObjBegin => {
                descend(stack.len() + 1, slots, 3, lx.pos)?;
                let t = lua.create_table()?;
                let next = lx.next();
                if matches!(next.0, Tok::ObjEnd) {
                    Value::Table(t)
                } else {
                    let key = key_colon(&mut lx, next)?;
                    stack.push(Frame::Object { t, key });
                    slots += 2;
                    tok = lx.next();
                    continue 'value;
                }
            }
            Tok::ArrBegin => {
                descend(stack.len() + 1, slots, 2, lx.pos)?;
                let t = lua.create_table()?;
                let next = lx.next();
                if matches!(next.0, Tok::ArrEnd) {
                    Value::Table(t)
                } else {
                    stack.push(Frame::Array { t, next: 1 });
                    slots += 1;
                    tok = next;
                    continue 'value;
                }
            }
            ref other => return Err(parse_error("value", other, tok.1)),
        };
        // A complete value: store it in its container, closing containers
        // as their end tokens arrive.
        loop {
            let Some(frame) = stack.last_mut() else {
                break 'value val;
            };
            let (t, at) = lx.next();
            match frame {
                Frame::Array { t: table, next } => {
                    table.raw_set(*next, val)?;
                    *next += 1;
                    match t {
                        Tok::ArrEnd => {}
                        Tok::Comma => {
                            tok = lx.next();
                            continue 'value;
                        }
                        other => return Err(parse_error("comma or array end", &other, at)),
                    }
                }
                Frame::Object { t: table, key } => {
                    table.raw_set(std::mem::replace(key, Value::Nil), val)?;
                    match t {
                        Tok::ObjEnd => {}
                        Tok::Comma => {
                            let next = lx.next();
                            *key = key_colon(&mut lx, next)?;
                            tok = lx.next();
                            continue 'value;
                        }
                        other => return Err(parse_error("comma or object end", &other, at)),
                    }
                }
            }
            // The container closed: it is the value for its parent.
            val = match stack.pop() {
                Some(Frame::Array { t, .. }) => {
                    slots -= 1;
                    Value::Table(t)
                }
                Some(Frame::Object { t, .. }) => {
                    slots -= 2;
                    Value::Table(t)
                }
                // Not reached: the frame just used is still on the stack.
                None => Value::Nil,
            };
        }
    };
    let (t, at) = lx.next();
    if !matches!(t, Tok::End) {
        return Err(parse_error("the end", &t, at));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::super::util::testing::{error_of, error_of_arg, eval, eval_arg};

    #[test]
    fn encode_matches_redis() {
        // Expected values: redis-server 7.0.15, EVAL "return cjson.encode(<expr>)" 0.
        let cases = [
            ("{1,2,{a=1/3}}", r#"[1,2,{"a":0.33333333333333}]"#),
            (
                "{1/3, -0.0, 1e15, 2^53, 100, 1e100, 0.1, -1.5e-7, 123456789012345}",
                "[0.33333333333333,-0,1e+15,9.007199254741e+15,100,1e+100,0.1,-1.5e-07,1.2345678901234e+14]",
            ),
            ("{[1]=1,[5]=5}", "[1,null,null,null,5]"),
            ("{[2]=1}", "[null,1]"),
            ("{}", "{}"),
            ("{[1.5]=1}", r#"{"1.5":1}"#),
            ("{[2^53]=1}", r#"{"9.007199254741e+15":1}"#),
            ("cjson.null", "null"),
            ("nil", "null"),
            ("'a/b'", r#""a\/b""#),
            ("{true,false}", "[true,false]"),
            // Keys come in Lua's `next` order, the same as Redis's Lua.
            ("{a=1,b=2,c=3,d=4,e=5,foo=6,bar=7}", r#"{"a":1,"c":3,"b":2,"e":5,"d":4,"bar":7,"foo":6}"#),
        ];
        for (expr, want) in cases {
            assert_eq!(
                eval(&format!("return cjson.encode({expr})")),
                want,
                "{expr}"
            );
        }
        // redis-server 7.0.15: cjson.encode(string.char(0,1,7,8,9,10,11,12,13,14,31,32,34,39,47,92,127,128,255))
        let got = eval(
            "return cjson.encode(string.char(0,1,7,8,9,10,11,12,13,14,31,32,34,39,47,92,127,128,255))",
        );
        let want = "\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f \\\"'\\/\\\\\\u007f\u{FFFD}\u{FFFD}\"";
        assert_eq!(got, want);
    }

    #[test]
    fn encode_errors_match_redis() {
        // Expected values: redis-server 7.0.15, pcall(cjson.encode, …).
        let cases = [
            ("cjson.encode, {1/0}", "Cannot serialise number: must not be NaN or Inf"),
            ("cjson.encode, {[1]=1,[20]=2}", "Cannot serialise table: excessively sparse array"),
            ("cjson.encode, {[1]=1,[11]=2}", "Cannot serialise table: excessively sparse array"),
            ("cjson.encode, {[{}]=1}", "Cannot serialise table: table key must be a number or string"),
            ("cjson.encode, {[true]=1}", "Cannot serialise boolean: table key must be a number or string"),
            ("cjson.encode, {f=type}", "Cannot serialise function: type not supported"),
            ("cjson.encode", "bad argument #1 to '?' (expected 1 argument)"),
            (
                "function() local t={} local c=t for i=1,1001 do c[1]={} c=c[1] end return cjson.encode(t) end",
                "user_script:1: Cannot serialise, excessive nesting (1001)",
            ),
        ];
        for (call, want) in cases {
            assert_eq!(error_of(call), want, "{call}");
        }
    }

    #[test]
    fn decode_matches_redis() {
        // Expected values: redis-server 7.0.15, cjson.encode(cjson.decode(ARGV[1])).
        let cases = [
            (
                r#"{"a":[],"b":{},"c":null,"d":true}"#,
                r#"{"a":{},"d":true,"c":null,"b":{}}"#,
            ),
            ("01", "1"),
            ("0x1F", "31"),
            ("+5", "5"),
            ("[1]\0zz", "[1]"),
            (r#"["\u00e9\ud83d\ude00\/\b"]"#, "[\"é😀\\/\\b\"]"),
            (" [ 1 , 2.5e3 ] ", "[1,2500]"),
        ];
        for (json, want) in cases {
            let got = eval_arg("return cjson.encode(cjson.decode(ARG))", json.as_bytes());
            assert_eq!(got, want, "{json}");
        }
        assert_eq!(
            eval("return tostring(cjson.decode('null') == cjson.null)"),
            "true"
        );
        assert_eq!(eval("return cjson.decode(5)"), "5");
        assert_eq!(eval("return tostring(cjson.decode('Infinity'))"), "inf");
    }

    #[test]
    fn decode_errors_match_redis() {
        // Expected values: redis-server 7.0.15, pcall(cjson.decode, ARGV[1]).
        let cases = [
            ("[", "Expected value but found T_END at character 2"),
            (
                r#"{"a":1,}"#,
                "Expected object key string but found T_OBJ_END at character 8",
            ),
            (
                "[1,2",
                "Expected comma or array end but found T_END at character 5",
            ),
            (
                "{1:2}",
                "Expected object key string but found T_NUMBER at character 2",
            ),
            (
                r#"{"a" 1}"#,
                "Expected colon but found T_NUMBER at character 6",
            ),
            (
                "\"abc",
                "Expected value but found unexpected end of string at character 5",
            ),
            (
                r#""\q""#,
                "Expected value but found invalid escape code at character 2",
            ),
            (
                r#""\u12""#,
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                r#""\ud800""#,
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "tru",
                "Expected value but found invalid token at character 1",
            ),
            ("x", "Expected value but found invalid token at character 1"),
            (
                "[1 2]",
                "Expected comma or array end but found T_NUMBER at character 4",
            ),
            (
                "[1]]",
                "Expected the end but found T_ARR_END at character 4",
            ),
            (
                "-",
                "Expected value but found invalid number at character 1",
            ),
            (
                "1.5e",
                "Expected the end but found invalid token at character 4",
            ),
            (" ", "Expected value but found T_END at character 2"),
            ("", "Expected value but found T_END at character 1"),
            (
                "\"a\0b\"",
                "Expected value but found unexpected end of string at character 3",
            ),
            ("1\0", "JSON parser does not support UTF-16 or UTF-32"),
        ];
        for (json, want) in cases {
            assert_eq!(
                error_of_arg("cjson.decode, ARG", json.as_bytes()),
                want,
                "{json}"
            );
        }
        let got = error_of("cjson.decode, string.rep('[', 1001)");
        assert!(
            got.contains("Found too many nested data structures (1001) at character 1001"),
            "{got}"
        );
        let got = error_of("cjson.decode, string.rep('{\"a\":', 1001)");
        assert!(
            got.contains("Found too many nested data structures (1001) at character 5001"),
            "{got}"
        );
        // With the depth setting raised, the Lua stack limit: redis-server
        // 7.0.15 stops at 7999 arrays and 4000 objects; we stop 200 slots
        // earlier (DECODE_STACK_LIMIT).
        let src = "local c = cjson.new() c.decode_max_depth(100000) \
                   local ok, e = pcall(c.decode, string.rep('[', 20000)) return e";
        assert!(
            eval(src).contains("Found too many nested data structures (7799) at character 7799")
        );
        let src = "local c = cjson.new() c.decode_max_depth(100000) \
                   local ok, e = pcall(c.decode, string.rep('{\"a\":', 20000)) return e";
        assert!(
            eval(src).contains("Found too many nested data structures (3900) at character 19496")
        );
        let src = "local c = cjson.new() c.decode_max_depth(100000) \
                   return type(c.decode(string.rep('[', 7798)..string.rep(']', 7798)))";
        assert_eq!(eval(src), "table");
        let got = error_of("cjson.decode");
        assert!(
            got.contains("bad argument #1 to '?' (expected 1 argument)"),
            "{got}"
        );
        let got = error_of("cjson.decode, {}");
        assert!(
            got.contains("bad argument #1 to '?' (string expected, got table)"),
            "{got}"
        );
    }

    #[test]
    fn deep_nesting_fits_the_stack() {
        // 1000 levels (the default limit) of objects and of arrays encode
        // and decode on a test thread's 2 MiB stack.
        let src = "local t = {} local c = t for i = 1, 999 do c.a = {} c = c.a end \
                   local j = cjson.encode(t) return #j .. ' ' .. #cjson.encode(cjson.decode(j))";
        assert_eq!(eval(src), "5996 5996");
        let src = "local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end \
                   local j = cjson.encode(t) return #j .. ' ' .. #cjson.encode(cjson.decode(j))";
        assert_eq!(eval(src), "2000 2000");
        let src = "local t = {} local c = t for i = 1, 2000 do c[1] = {} c = c[1] end \
                   local j = cjson.new() j.encode_max_depth(100000) local ok, e = pcall(j.encode, t) return e";
        assert!(eval(src).contains("Cannot serialise, excessive nesting (1001)"));
    }

    #[test]
    fn settings_match_redis() {
        // Expected values: redis-server 7.0.15 (fresh server for each line).
        let got = eval(
            "local t = {cjson.encode_sparse_array()} \
             return tostring(t[1])..' '..t[2]..' '..t[3]..' '..cjson.encode_max_depth()..' '\
             ..cjson.decode_max_depth()..' '..cjson.encode_number_precision()..' '\
             ..tostring(cjson.encode_keep_buffer())..' '..tostring(cjson.encode_invalid_numbers())\
             ..' '..tostring(cjson.decode_invalid_numbers())",
        );
        assert_eq!(got, "false 2 10 1000 1000 14 true false true");
        assert_eq!(
            eval("cjson.encode_number_precision(3) return cjson.encode(1/3)"),
            "0.333"
        );
        assert_eq!(
            eval("cjson.encode_sparse_array(true) return cjson.encode({[1]=1,[20]=2})"),
            r#"{"1":1,"20":2}"#
        );
        assert_eq!(
            eval("cjson.encode_invalid_numbers('null') return cjson.encode({1/0, 0/0})"),
            "[null,null]"
        );
        assert_eq!(
            eval("cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0})"),
            "[inf,-inf,nan]"
        );
        assert_eq!(eval("return cjson.encode_invalid_numbers('null')"), "null");
        assert_eq!(eval("return cjson.decode_max_depth('7')"), "7");
        let cases = [
            (
                "cjson.encode_keep_buffer, 'x'",
                "bad argument #1 to '?' (invalid option 'x')",
            ),
            (
                "cjson.encode_number_precision, 15",
                "bad argument #1 to '?' (expected integer between 1 and 14)",
            ),
            (
                "cjson.encode_number_precision, 1, 2",
                "bad argument #2 to '?' (found too many arguments)",
            ),
            (
                "cjson.decode_max_depth, 0",
                "bad argument #1 to '?' (expected integer between 1 and 2147483647)",
            ),
            (
                "cjson.decode_max_depth, 'x'",
                "bad argument #1 to '?' (number expected, got string)",
            ),
        ];
        for (call, want) in cases {
            assert_eq!(error_of(call), want, "{call}");
        }
        // Each instance has its own settings.
        assert_eq!(
            eval("local c = cjson.new() c.encode_number_precision(2) return cjson.encode(1/3)..c.encode(1/3)"),
            "0.333333333333330.33"
        );
    }
}
