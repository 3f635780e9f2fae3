//! Argument parsing the way Redis does it: `string2ll` for integers, `strtold`
//! for floats, and `ld2string`'s human mode for float results.

use bytes::Bytes;

use super::error::ParseError;

/// The largest string Redis builds by APPEND or SETRANGE: `proto-max-bulk-len`.
pub const MAX_STRING_LEN: u64 = 512 * 1024 * 1024;

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// Redis's `string2ll`: an optional `-`, then digits with no leading zero
/// (except `0` itself), no `+`, no spaces, no overflow. `-0` is refused.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    crate::resp::decode::string2ll(s)
}

/// The keys of a `numkeys key [key ...]` command whose numkeys is at `at`:
/// the `numkeys` arguments after it, or none when numkeys is not a count
/// the arguments hold (the parser reports that; key extraction only must
/// not panic). EVAL, LMPOP, SINTERCARD and the sorted-set algebra share it.
pub fn numkeys_keys(args: &[Bytes], at: usize) -> &[Bytes] {
    let n = args
        .get(at)
        .and_then(|n| parse_i64(n))
        .and_then(|n| usize::try_from(n).ok());
    n.and_then(|n| args.get(at + 1..(at + 1).saturating_add(n)))
        .unwrap_or(&[])
}

/// An integer argument, or Redis's "not an integer" error.
pub fn int_arg(s: &[u8]) -> Result<i64, ParseError> {
    parse_i64(s).ok_or(ParseError::NotInteger)
}

/// Redis's `string2ld` (over `strtold`), with f64 instead of long double:
/// no leading space, the whole argument consumed, decimal or hexadecimal
/// (`0x1p3`) notation, `inf`/`infinity` accepted, NaN refused.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    // MAX_LONG_DOUBLE_CHARS: Redis refuses longer inputs outright.
    if s.is_empty() || s.len() >= 5 * 1024 {
        return None;
    }
    if matches!(s[0], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let (sign, unsigned) = match text.as_bytes()[0] {
        b'-' => (-1.0, &text[1..]),
        b'+' => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    let v = if unsigned.len() > 2 && (unsigned.starts_with("0x") || unsigned.starts_with("0X")) {
        sign * parse_hex_float(&unsigned.as_bytes()[2..])?
    } else {
        text.parse::<f64>().ok()?
    };
    (!v.is_nan()).then_some(v)
}

/// The part of a C hexadecimal float after `0x`: hex digits, an optional
/// point and fraction, an optional binary exponent `p[+-]digits`.
fn parse_hex_float(b: &[u8]) -> Option<f64> {
    let mut i = 0;
    let mut mantissa = 0.0f64;
    let mut exp: i64 = 0;
    let mut any = false;
    let hex = |c: u8| (c as char).to_digit(16).map(f64::from);
    while let Some(d) = b.get(i).and_then(|&c| hex(c)) {
        mantissa = mantissa * 16.0 + d;
        any = true;
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = b.get(i).and_then(|&c| hex(c)) {
            mantissa = mantissa * 16.0 + d;
            exp -= 4;
            any = true;
            i += 1;
        }
    }
    if !any {
        return None;
    }
    if matches!(b.get(i), Some(b'p' | b'P')) {
        i += 1;
        let negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            e = e.saturating_mul(10).saturating_add(i64::from(c - b'0'));
            i += 1;
        }
        if i == start {
            return None;
        }
        exp = exp.saturating_add(if negative { -e } else { e });
    }
    if i != b.len() {
        return None;
    }
    let exp = i32::try_from(exp.clamp(-2200, 2200)).unwrap_or(0);
    // Two steps so a large mantissa with a very negative exponent does not
    // underflow early.
    Some(mantissa * 2f64.powi(exp / 2) * 2f64.powi(exp - exp / 2))
}

/// A float result the way INCRBYFLOAT stores it. Redis prints its long double
/// with `%.17Lf` and trims trailing zeros; fencekv prints the f64 with Rust's
/// shortest round-trip digits in fixed notation (no exponent), rounded to 17
/// decimals when it has more. The two agree for ordinary values (10.5 + 0.1 is
/// "10.6" in both); they differ where long double precision shows (very large
/// values print their f64 digits, not the long double's).
pub fn format_f64(v: f64) -> String {
    let mut s = format!("{v}");
    if let Some(dot) = s.find('.') {
        if s.len() - dot - 1 > 17 {
            s = format!("{v:.17}");
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// The bytes of an integer as Redis stores it.
pub fn int_bytes(v: i64) -> Bytes {
    Bytes::from(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_string2ll() {
        for (s, v) in [
            ("0", Some(0)),
            ("12", Some(12)),
            ("-12", Some(-12)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-9223372036854775809", None),
            ("-0", None),
            ("01", None),
            ("+1", None),
            (" 1", None),
            ("1 ", None),
            ("", None),
            ("-", None),
            ("1a", None),
            ("99999999999999999999999", None),
        ] {
            assert_eq!(parse_i64(s.as_bytes()), v, "{s:?}");
        }
    }

    #[test]
    fn numkeys_keys_take_only_what_numkeys_counts() {
        let args: Vec<Bytes> = ["EVAL", "s", "2", "a", "b", "c"]
            .iter()
            .map(|w| Bytes::from(w.as_bytes().to_vec()))
            .collect();
        assert_eq!(numkeys_keys(&args, 2), &args[3..5]);
        assert_eq!(numkeys_keys(&args, 0), &[] as &[Bytes], "not a number");
        let mut bad = args.clone();
        for n in ["-1", "4", "9223372036854775807", "x"] {
            bad[2] = Bytes::from(n.as_bytes().to_vec());
            assert!(numkeys_keys(&bad, 2).is_empty(), "{n}");
        }
        bad[2] = Bytes::from_static(b"0");
        assert!(numkeys_keys(&bad, 2).is_empty());
        assert!(numkeys_keys(&args, 9).is_empty(), "past the end");
    }

    #[test]
    fn floats_parse_like_strtold() {
        for (s, v) in [
            ("1.5", Some(1.5)),
            ("+1", Some(1.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("3.0e3", Some(3000.0)),
            ("0x10", Some(16.0)),
            ("-0x1.8p1", Some(-3.0)),
            ("0x.8", Some(0.5)),
            ("inf", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("nan", None),
            (" 1", None),
            ("1 ", None),
            ("1e", None),
            ("1_0", None),
            ("0x", None),
            ("0x1p", None),
            ("", None),
            (".", None),
        ] {
            assert_eq!(parse_f64(s.as_bytes()), v, "{s:?}");
        }
        assert!(parse_f64(&vec![b'1'; 5120]).is_none());
    }

    #[test]
    fn floats_format_like_ld2string_human() {
        assert_eq!(format_f64(10.5 + 0.1), "10.6");
        assert_eq!(format_f64(3000.0), "3000");
        assert_eq!(format_f64(1e20), "100000000000000000000");
        assert_eq!(format_f64(1e-20), "0");
        assert_eq!(format_f64(-1e-20), "0");
        assert_eq!(format_f64(-0.0), "0");
        assert_eq!(format_f64(1.25e-5), "0.0000125");
        assert_eq!(format_f64(-2.5), "-2.5");
    }
}
