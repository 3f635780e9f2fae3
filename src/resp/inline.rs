//! Splitting an inline command line into arguments, as Redis's
//! `sdssplitargs` does.
//!
//! This is a line-for-line port rather than a tidier tokenizer because its
//! corner cases are observable by clients (telnet users, `redis-cli` pipes):
//! blanks are skipped with C's `isspace` (which includes `\v` and `\f`) but an
//! unquoted token ends only at space, tab, `\r`, `\n` or NUL; a quote may
//! start in the middle of a token (`ab"cd"` is `abcd`); a closing quote must be
//! followed by a blank or the end of the line.

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Split `line` into arguments; `None` means unbalanced quotes (Redis then
/// replies `Protocol error: unbalanced quotes in request`).
///
/// The C code walks a NUL-terminated string, so a NUL byte (or the end of the
/// slice) ends the line here too. Double quotes understand `\n \r \t \b \a`,
/// `\xHH` and `\<any>` (the character itself); single quotes only `\'`.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // Reading past the end yields NUL, like the C string's terminator.
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0usize;
    let mut args = Vec::new();
    loop {
        while at(p) != 0 && is_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(args);
        }
        let mut current = Vec::new();
        let (mut in_dq, mut in_sq, mut done) = (false, false, false);
        while !done {
            let c = at(p);
            if in_dq {
                let hex = (hex_value(at(p + 2)), hex_value(at(p + 3)));
                if let (b'\\', b'x', (Some(hi), Some(lo))) = (c, at(p + 1), hex) {
                    current.push(hi * 16 + lo);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => current.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        args.push(current);
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        split_args(line)
    }

    fn args(v: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
        Some(v.iter().map(|a| a.to_vec()).collect())
    }

    // Each expectation below was checked against redis-server 7.0.15 by
    // sending `ECHO <rest>` (or the bare line) inline and reading the reply.

    #[test]
    fn blank_lines_are_empty() {
        assert_eq!(split(b""), args(&[]));
        assert_eq!(split(b"   \t "), args(&[]));
        assert_eq!(split(b"\x0b\x0c"), args(&[]));
    }

    #[test]
    fn plain_words() {
        assert_eq!(split(b"SET  k\tv "), args(&[b"SET", b"k", b"v"]));
    }

    #[test]
    fn double_quote_escapes() {
        // `ECHO "a\x41\n"` -> "aA\n"
        assert_eq!(split(br#"ECHO "a\x41\n""#), args(&[b"ECHO", b"aA\n"]));
        assert_eq!(
            split(br#""\n\r\t\b\a\\\"""#),
            args(&[b"\n\r\t\x08\x07\\\""])
        );
        // Unknown escapes give the character: `"\q\""` -> `q"`.
        assert_eq!(split(br#"ECHO "\q\"""#), args(&[b"ECHO", b"q\""]));
        // `\x` needs two hex digits, else it is `\x` -> `x`: `"\x4g"` -> `x4g`.
        assert_eq!(split(br#"ECHO "\x4g""#), args(&[b"ECHO", b"x4g"]));
        assert_eq!(split(br#""\xfF""#), args(&[b"\xff"]));
    }

    #[test]
    fn single_quotes_only_escape_the_quote() {
        // `ECHO 'a\'b'` -> "a'b"; `ECHO 'a\nb'` -> `a\nb` literally.
        assert_eq!(split(br"ECHO 'a\'b'"), args(&[b"ECHO", b"a'b"]));
        assert_eq!(split(br"ECHO 'a\nb'"), args(&[b"ECHO", br"a\nb"]));
    }

    #[test]
    fn empty_quotes_are_an_argument() {
        // `ECHO ""` -> "" (an empty bulk).
        assert_eq!(split(br#"ECHO """#), args(&[b"ECHO", b""]));
        assert_eq!(split(b"''"), args(&[b""]));
    }

    #[test]
    fn quote_may_open_mid_token() {
        // `ECHO ab"cd"` -> "abcd".
        assert_eq!(split(br#"ECHO ab"cd""#), args(&[b"ECHO", b"abcd"]));
        assert_eq!(split(b"ab'c d'"), args(&[b"abc d"]));
    }

    #[test]
    fn closing_quote_must_be_followed_by_blank() {
        // `ECHO "a"b` and `ECHO 'a'b` -> unbalanced quotes.
        assert_eq!(split(br#"ECHO "a"b"#), None);
        assert_eq!(split(br"ECHO 'a'b"), None);
        // But any isspace byte will do: `ECHO "a"\vx` is three arguments
        // (Redis answered with ECHO's arity error).
        assert_eq!(split(b"ECHO \"a\"\x0bx"), args(&[b"ECHO", b"a", b"x"]));
    }

    #[test]
    fn unterminated_quotes() {
        // `ECHO "abc`, `ECHO "abc\"`, `ECHO "a\` -> unbalanced quotes.
        assert_eq!(split(br#"ECHO "abc"#), None);
        assert_eq!(split(br#"ECHO "abc\""#), None);
        assert_eq!(split(br#"ECHO "a\"#), None);
        assert_eq!(split(b"'abc"), None);
    }

    #[test]
    fn vertical_tab_is_skipped_but_does_not_end_a_token() {
        // `\vECHO x` -> ECHO x; `ECHO a\vb` -> "a\vb".
        assert_eq!(split(b"\x0bECHO x"), args(&[b"ECHO", b"x"]));
        assert_eq!(split(b"ECHO a\x0bb"), args(&[b"ECHO", b"a\x0bb"]));
    }

    #[test]
    fn carriage_return_ends_a_token() {
        // `ECHO a\rb` -> three arguments (ECHO's arity error).
        assert_eq!(split(b"ECHO a\rb"), args(&[b"ECHO", b"a", b"b"]));
        // Inside quotes it is data.
        assert_eq!(split(b"\"a\rb\""), args(&[b"a\rb"]));
    }

    #[test]
    fn nul_ends_the_line() {
        assert_eq!(split(b"a\0b"), args(&[b"a"]));
        assert_eq!(split(b"\"a\0b\""), None);
    }

    #[test]
    fn high_bytes_are_data() {
        assert_eq!(split(b"\xff\xa0 x"), args(&[b"\xff\xa0", b"x"]));
    }
    /// Differential check against a live redis-server: random lines full of
    /// quotes, escapes and odd blanks are sent inline as `RPUSH k <line>` and
    /// read back with LRANGE. Run with
    /// `REDIS_PROBE_PORT=7777 cargo test --lib resp::inline -- --ignored`.
    #[test]
    #[ignore = "needs a redis-server on REDIS_PROBE_PORT"]
    fn matches_live_redis() {
        use quickcheck::{Arbitrary, Gen};
        use std::io::{BufRead, BufReader, Read, Write};
        use std::net::TcpStream;

        let port: u16 = std::env::var("REDIS_PROBE_PORT").unwrap().parse().unwrap();
        let connect = || {
            let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
                .unwrap();
            (s.try_clone().unwrap(), BufReader::new(s))
        };
        let line = |r: &mut BufReader<TcpStream>| {
            let mut l = Vec::new();
            r.read_until(b'\n', &mut l).unwrap();
            l
        };
        const ALPHABET: &[u8] = b" \t\r\x0b\x0c\"'\\xnaF1\xff";
        let mut g = Gen::new(12);
        let (mut w, mut r) = connect();
        let (mut unbalanced, mut pushed) = (0, 0);
        for _ in 0..3000 {
            let len = usize::arbitrary(&mut g) % 12;
            let tail: Vec<u8> = (0..len).map(|_| *g.choose(ALPHABET).unwrap()).collect();
            let mut req = b"RPUSH k ".to_vec();
            req.extend_from_slice(&tail);
            let expect = split_args(&req);
            let mut wire = b"DEL k\r\n".to_vec();
            wire.extend_from_slice(&req);
            wire.extend_from_slice(b"\r\n*4\r\n$6\r\nLRANGE\r\n$1\r\nk\r\n$1\r\n0\r\n$2\r\n-1\r\n");
            w.write_all(&wire).unwrap();
            line(&mut r); // DEL's reply
            let first = line(&mut r);
            let Some(args) = expect else {
                assert_eq!(
                    first, b"-ERR Protocol error: unbalanced quotes in request\r\n",
                    "{tail:?}"
                );
                (w, r) = connect();
                unbalanced += 1;
                continue;
            };
            pushed += 1;
            let values = &args[2..];
            if values.is_empty() {
                assert!(first.starts_with(b"-ERR wrong number"), "{tail:?}");
            } else {
                assert_eq!(
                    first,
                    format!(":{}\r\n", values.len()).into_bytes(),
                    "{tail:?}"
                );
            }
            assert_eq!(line(&mut r), format!("*{}\r\n", values.len()).into_bytes());
            for v in values {
                assert_eq!(
                    line(&mut r),
                    format!("${}\r\n", v.len()).into_bytes(),
                    "{tail:?}"
                );
                let mut data = vec![0; v.len() + 2];
                r.read_exact(&mut data).unwrap();
                assert_eq!(&data[..v.len()], &v[..], "{tail:?}");
            }
        }
        // Both outcomes were exercised.
        assert!(unbalanced > 100 && pushed > 100, "{unbalanced} {pushed}");
    }
}
