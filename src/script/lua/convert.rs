//! Lua values ↔ [`Reply`], as Redis 7.0 converts them (`luaReplyToRedisReply`
//! and `redisProtocolToLuaType` in `script_lua.c`).

use bytes::Bytes;
use mlua::{Lua, Table, Value};

use crate::resp::Reply;

/// Redis answers this, in place of the value, once a reply nests deeper
/// than the Lua stack allows (7995 arrays deep, measured on 7.0.15).
pub const STACK_LIMIT_ERROR: &str = "ERR reached lua stack limit";
const MAX_DEPTH: usize = 7995;

/// C's `(long long)x` on x86-64: truncation toward zero, and the
/// "integer indefinite" `i64::MIN` for NaN and anything out of range
/// (Redis replies `:-9223372036854775808` for `return 1/0`).
pub fn number_to_integer(x: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) {
        i64::MIN
    } else {
        x.trunc() as i64
    }
}

/// C's `printf("%.17g", x)`, which Redis 7.0 uses for numbers passed to
/// `redis.call` and for `{double=…}` replies.
pub fn format_g17(x: f64) -> String {
    const P: i32 = 17;
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.into();
    }
    // The exponent C uses is the one of the %e form at the same precision.
    let e_form = format!("{:.*e}", (P - 1) as usize, x);
    let (mantissa, exp) = e_form.split_once('e').unwrap_or((&e_form, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..P).contains(&exp) {
        let mantissa = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (P - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

/// `%g` drops trailing zeros of the fraction, and the point if nothing is left.
fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A number given to `redis.call` as an argument (`%.17g`, so integral
/// values print as integers below 1e17).
pub fn number_arg(v: &Value) -> Option<Bytes> {
    match v {
        Value::Integer(i) if i.unsigned_abs() < 100_000_000_000_000_000 => {
            Some(Bytes::from(i.to_string()))
        }
        Value::Integer(i) => Some(Bytes::from(format_g17(*i as f64))),
        Value::Number(n) => Some(Bytes::from(format_g17(*n))),
        _ => None,
    }
}

fn lua_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

fn text(s: &mlua::LuaString) -> String {
    String::from_utf8_lossy(&s.as_bytes()).into_owned()
}

enum Shape {
    Array,
    Map,
    Set,
}

/// A table being converted: its elements (for a map, key and value
/// alternate), how far we got, and what is converted so far.
struct Frame {
    shape: Shape,
    items: Vec<Value>,
    next: usize,
    out: Vec<Reply>,
}

impl Frame {
    fn finish(self) -> Reply {
        match self.shape {
            Shape::Array => Reply::Array(self.out),
            Shape::Set => Reply::Set(self.out),
            Shape::Map => {
                let mut pairs = Vec::with_capacity(self.out.len() / 2);
                let mut it = self.out.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Reply::Map(pairs)
            }
        }
    }
}

enum Step {
    Done(Reply),
    Descend(Frame),
}

/// Convert a script's return value. `resp3` is the script's `redis.setresp`
/// choice, which decides how booleans convert. Iterative, because a script
/// can return a table nested thousands deep.
pub fn lua_to_reply(v: &Value, resp3: bool) -> Reply {
    let mut stack: Vec<Frame> = Vec::new();
    let mut step = convert_one(v, resp3, 0);
    loop {
        match step {
            Step::Descend(frame) => stack.push(frame),
            Step::Done(reply) => match stack.last_mut() {
                None => return reply,
                Some(top) => top.out.push(reply),
            },
        }
        // Advance the innermost unfinished table, or close finished ones.
        loop {
            let Some(top) = stack.last_mut() else {
                // Unreachable: the root `Done` returned above.
                return Reply::Nil;
            };
            if top.next < top.items.len() {
                let item = std::mem::replace(&mut top.items[top.next], Value::Nil);
                top.next += 1;
                let depth = stack.len();
                step = convert_one(&item, resp3, depth);
                break;
            }
            let done = stack.pop().map(Frame::finish).unwrap_or(Reply::Nil);
            match stack.last_mut() {
                None => return done,
                Some(parent) => parent.out.push(done),
            }
        }
    }
}

fn convert_one(v: &Value, resp3: bool, depth: usize) -> Step {
    if depth >= MAX_DEPTH {
        return Step::Done(Reply::err(STACK_LIMIT_ERROR));
    }
    let reply = match v {
        Value::Nil => Reply::Nil,
        Value::Boolean(b) if resp3 => Reply::Boolean(*b),
        Value::Boolean(true) => Reply::Integer(1),
        Value::Boolean(false) => Reply::Nil,
        Value::Integer(i) => Reply::Integer(*i),
        Value::Number(n) => Reply::Integer(number_to_integer(*n)),
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Table(t) => return table_step(t),
        // Functions, coroutines, userdata: Redis replies nil.
        _ => Reply::Nil,
    };
    Step::Done(reply)
}

/// The table forms Redis recognises, in the order it checks them.
fn table_step(t: &Table) -> Step {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(s) = field("err") {
        return Step::Done(Reply::Error(text(&s)));
    }
    if let Value::String(s) = field("ok") {
        return Step::Done(Reply::Status(text(&s)));
    }
    if let Some(n) = lua_number(&field("double")) {
        return Step::Done(Reply::Double(format_g17(n)));
    }
    if let Value::String(s) = field("big_number") {
        // No big-number reply type: a bulk string, which is what RESP2
        // clients get from Redis too.
        return Step::Done(Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())));
    }
    if let Value::Table(vt) = field("verbatim_string") {
        let format = vt.raw_get::<Value>("format").unwrap_or(Value::Nil);
        let string = vt.raw_get::<Value>("string").unwrap_or(Value::Nil);
        if let (Value::String(f), Value::String(s)) = (format, string) {
            return Step::Done(Reply::Verbatim(
                text(&f),
                Bytes::copy_from_slice(&s.as_bytes()),
            ));
        }
    }
    if let Value::Table(m) = field("map") {
        let mut items = Vec::new();
        for (k, v) in m.pairs::<Value, Value>().flatten() {
            items.push(k);
            items.push(v);
        }
        return Step::Descend(Frame {
            shape: Shape::Map,
            items,
            next: 0,
            out: Vec::new(),
        });
    }
    if let Value::Table(s) = field("set") {
        let items = s
            .pairs::<Value, Value>()
            .filter_map(|p| p.ok().map(|(k, _)| k))
            .collect();
        return Step::Descend(Frame {
            shape: Shape::Set,
            items,
            next: 0,
            out: Vec::new(),
        });
    }
    // An array: elements 1, 2, … up to the first nil.
    let mut items = Vec::new();
    let mut i = 1i64;
    loop {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
        i += 1;
    }
    Step::Descend(Frame {
        shape: Shape::Array,
        items,
        next: 0,
        out: Vec::new(),
    })
}

/// Convert a command's reply for the script, as Redis does for a script
/// client speaking RESP2 (the default) or RESP3 (after `redis.setresp(3)`).
pub fn reply_to_lua(lua: &Lua, r: &Reply, resp3: bool) -> mlua::Result<Value> {
    let single = |key: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table_with_capacity(0, 1)?;
        t.raw_set(key, v)?;
        Ok(Value::Table(t))
    };
    let string = |b: &[u8]| -> mlua::Result<Value> { lua.create_string(b).map(Value::String) };
    Ok(match r {
        Reply::Integer(i) => Value::Integer(*i),
        Reply::Bulk(b) => string(b)?,
        Reply::Nil | Reply::NilArray if resp3 => Value::Nil,
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Status(s) => single("ok", string(s.as_bytes())?)?,
        Reply::Error(e) => single("err", string(e.as_bytes())?)?,
        Reply::Array(items) => array(lua, items, resp3)?,
        Reply::Set(items) if !resp3 => array(lua, items, resp3)?,
        Reply::Set(items) => {
            let t = lua.create_table_with_capacity(0, items.len())?;
            for item in items {
                t.raw_set(reply_to_lua(lua, item, resp3)?, true)?;
            }
            single("set", Value::Table(t))?
        }
        Reply::Map(pairs) if !resp3 => {
            let t = lua.create_table_with_capacity(pairs.len() * 2, 0)?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                t.raw_set(2 * i + 1, reply_to_lua(lua, k, resp3)?)?;
                t.raw_set(2 * i + 2, reply_to_lua(lua, v, resp3)?)?;
            }
            Value::Table(t)
        }
        Reply::Map(pairs) => {
            let t = lua.create_table_with_capacity(0, pairs.len())?;
            for (k, v) in pairs {
                t.raw_set(reply_to_lua(lua, k, resp3)?, reply_to_lua(lua, v, resp3)?)?;
            }
            single("map", Value::Table(t))?
        }
        Reply::Double(s) if !resp3 => string(s.as_bytes())?,
        Reply::Double(s) => single("double", Value::Number(parse_double(s)))?,
        Reply::Boolean(b) if resp3 => Value::Boolean(*b),
        // addReplyBool to a RESP2 client is :1 / :0.
        Reply::Boolean(b) => Value::Integer(i64::from(*b)),
        Reply::Pairs(pairs) if !resp3 => {
            let t = lua.create_table_with_capacity(pairs.len() * 2, 0)?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                t.raw_set(2 * i + 1, reply_to_lua(lua, k, resp3)?)?;
                t.raw_set(2 * i + 2, reply_to_lua(lua, v, resp3)?)?;
            }
            Value::Table(t)
        }
        Reply::Pairs(pairs) => {
            let t = lua.create_table_with_capacity(pairs.len(), 0)?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                let pair = lua.create_table_with_capacity(2, 0)?;
                pair.raw_set(1, reply_to_lua(lua, k, resp3)?)?;
                pair.raw_set(2, reply_to_lua(lua, v, resp3)?)?;
                t.raw_set(i + 1, pair)?;
            }
            Value::Table(t)
        }
        Reply::Verbatim(_, b) if !resp3 => string(b)?,
        Reply::Verbatim(f, b) => {
            let t = lua.create_table_with_capacity(0, 2)?;
            t.raw_set("format", string(f.as_bytes())?)?;
            t.raw_set("string", string(b)?)?;
            single("verbatim_string", Value::Table(t))?
        }
    })
}

fn array(lua: &Lua, items: &[Reply], resp3: bool) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        // A RESP3 null inside an array leaves a hole, as in Redis.
        t.raw_set(i + 1, reply_to_lua(lua, item, resp3)?)?;
    }
    Ok(Value::Table(t))
}

fn parse_double(s: &str) -> f64 {
    match s {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        "nan" | "-nan" => f64::NAN,
        _ => s.parse().unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_printf() {
        // Values Redis 7.0.15 stored for `redis.call('set', 'a', x)`.
        assert_eq!(format_g17(1.5), "1.5");
        assert_eq!(format_g17(0.1), "0.10000000000000001");
        assert_eq!(format_g17(1.0 / 3.0), "0.33333333333333331");
        assert_eq!(format_g17(1e20), "1e+20");
        assert_eq!(format_g17(-0.0), "-0");
        assert_eq!(format_g17(f64::INFINITY), "inf");
        assert_eq!(format_g17(1e300), "1.0000000000000001e+300");
        assert_eq!(format_g17(3.0), "3");
        assert_eq!(format_g17(1e17), "1e+17");
        assert_eq!(format_g17(12345.0), "12345");
        assert_eq!(format_g17(0.0001), "0.0001");
        assert_eq!(format_g17(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_g17(-f64::NAN.abs()), "-nan");
    }

    #[test]
    fn c_cast_to_integer() {
        assert_eq!(number_to_integer(3.99), 3);
        assert_eq!(number_to_integer(-3.99), -3);
        assert_eq!(number_to_integer(f64::INFINITY), i64::MIN);
        assert_eq!(number_to_integer(f64::NAN), i64::MIN);
        assert_eq!(number_to_integer(1e30), i64::MIN);
        assert_eq!(number_to_integer(2f64.powi(63)), i64::MIN);
        assert_eq!(number_to_integer(-(2f64.powi(63))), i64::MIN);
        assert_eq!(number_to_integer(2f64.powi(62)), 1 << 62);
    }
}
