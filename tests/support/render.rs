//! Replies as `redis-cli` prints them on a terminal, for transcripts and
//! failure messages.

use super::resp::Value;

/// Redis's `sdscatrepr`: a quoted, escaped byte string.
pub fn repr(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// Render a reply the way `redis-cli` prints it on a terminal
/// (`cliFormatReplyTTY`), every line ending in `\n`.
pub fn render(v: &Value) -> String {
    render_prefixed(v, "")
}

fn render_prefixed(v: &Value, prefix: &str) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match v {
        Value::Status(s) => format!("{}\n", text(s)),
        Value::Error(e) => format!("(error) {}\n", text(e)),
        Value::Int(n) => format!("(integer) {n}\n"),
        Value::Double(d) => format!("(double) {}\n", text(d)),
        Value::BigNum(d) => format!("(big number) {}\n", text(d)),
        Value::Bulk(b) => format!("{}\n", repr(b)),
        Value::Verbatim(_, b) => format!("{}\n", text(b)),
        Value::NilBulk | Value::NilArray | Value::Null => "(nil)\n".into(),
        Value::Bool(b) => format!("({b})\n"),
        Value::Array(items) | Value::Set(items) | Value::Push(items) if items.is_empty() => match v
        {
            Value::Array(_) => "(empty array)\n".into(),
            Value::Set(_) => "(empty set)\n".into(),
            _ => "(empty push)\n".into(),
        },
        Value::Map(pairs) if pairs.is_empty() => "(empty hash)\n".into(),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            let sep = if matches!(v, Value::Set(_)) { '~' } else { ')' };
            let width = items.len().to_string().len();
            let inner = format!("{prefix}{}", " ".repeat(width + 2));
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                let p = if i == 0 { "" } else { prefix };
                out.push_str(&format!("{p}{:>width$}{sep} ", i + 1));
                out.push_str(&render_prefixed(item, &inner));
            }
            out
        }
        Value::Map(pairs) => {
            let width = pairs.len().to_string().len();
            let inner = format!("{prefix}{}", " ".repeat(width + 2));
            let mut out = String::new();
            for (i, (k, val)) in pairs.iter().enumerate() {
                let p = if i == 0 { "" } else { prefix };
                out.push_str(&format!("{p}{:>width$}# ", i + 1));
                let key = render_prefixed(k, &inner);
                out.push_str(key.trim_end_matches('\n'));
                out.push_str(" => ");
                out.push_str(&render_prefixed(val, &inner));
            }
            out
        }
    }
}
