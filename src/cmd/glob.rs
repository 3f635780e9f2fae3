//! Glob-style matching exactly like Redis's `stringmatchlen` (util.c, 7.0.15),
//! as KEYS and SCAN MATCH use it (case-sensitive).
//!
//! `*` any run, `?` one byte, `[abc]` a class, `[^a]` a negated class,
//! `[a-z]` a range (ends swapped when reversed, compared as C's signed
//! `char`), `\x` the byte `x` literally. Quirks kept on purpose: an
//! unterminated class runs to the end of the pattern, a trailing `\` matches
//! itself, and past 1000 nested `*` Redis gives up and reports no match. The
//! `skip_longer` flag is Redis's guard against exponential backtracking.

/// Whether `string` matches the glob `pattern`.
pub fn glob_match(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, &mut skip_longer, 0)
}

/// The byte at `i`, or 0 past the end (what C reads at the terminating NUL).
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn match_impl(pat: &[u8], s: &[u8], skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > 1000 {
        return false;
    }
    // `p`/`si` index the pattern and the string; what remains of each is
    // `pat[p..]` and `s[si..]` (Redis's patternLen and stringLen).
    let mut p = 0usize;
    let mut si = 0usize;
    while p < pat.len() && si < s.len() {
        match pat[p] {
            b'*' => {
                while p < pat.len() && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if pat.len() - p == 1 {
                    return true;
                }
                while si < s.len() {
                    if match_impl(&pat[p + 1..], &s[si..], skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                // The rest of the pattern matches nowhere in the rest of the
                // string: no earlier `*` can help by matching more.
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[si];
                let mut matched = false;
                loop {
                    let left = pat.len().saturating_sub(p);
                    if at(pat, p) == b'\\' && left >= 2 {
                        p += 1;
                        if pat[p] == c {
                            matched = true;
                        }
                    } else if at(pat, p) == b']' {
                        break;
                    } else if left == 0 {
                        // Unterminated class: step back so the `p += 1`
                        // below lands on the end of the pattern.
                        p -= 1;
                        break;
                    } else if left >= 3 && pat[p + 1] == b'-' {
                        // C compares plain (signed) chars.
                        let mut start = i32::from(pat[p] as i8);
                        let mut end = i32::from(pat[p + 2] as i8);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        p += 2;
                        let ci = i32::from(c as i8);
                        if ci >= start && ci <= end {
                            matched = true;
                        }
                    } else if pat[p] == c {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            first => {
                let lit = if first == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    pat[p]
                } else {
                    first
                };
                if lit != s[si] {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == s.len() {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes())
    }

    #[test]
    fn globs_match_like_redis() {
        let cases: &[(&str, &str, bool)] = &[
            // Redis's matcher says no; KEYS and SCAN special-case a lone `*`.
            ("*", "", false),
            ("**", "", false),
            ("*", "abc", true),
            ("", "", true),
            ("", "a", false),
            ("a*", "abc", true),
            ("a*", "ba", false),
            ("*c", "abc", true),
            ("a*c", "ac", true),
            ("a**c", "abbc", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hallo", true),
            ("h[a-b]llo", "hcllo", false),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("[\\]]", "]", true),
            ("[abc", "b", true),
            ("[abc", "[abc", false),
            ("[", "[", false),
            ("[]", "]", false),
            ("a\\", "a\\", true),
            ("*a*b", "xaxb", true),
            ("a*", "a", true),
            ("a*b*", "ab", true),
            ("abc", "ABC", false),
            ("?", "", false),
        ];
        for &(p, s, want) in cases {
            assert_eq!(m(p, s), want, "pattern {p:?} on {s:?}");
        }
    }

    #[test]
    fn pathological_patterns_finish_and_nesting_is_bounded() {
        let s = "a".repeat(60);
        let p = "*a".repeat(30) + "b";
        assert!(!m(&p, &s));
        // Verified on redis-server 7.0.15: 1200 nested stars match nothing,
        // 900 still match.
        let s = "a".repeat(1500);
        assert!(!m(&"*a".repeat(1200), &s));
        assert!(m(&"*a".repeat(900), &s));
    }

    #[test]
    fn signed_char_ranges() {
        // [a-\xff]: \xff is -1 as a C char, so the range is [-1, 'a'].
        assert!(glob_match(b"[a-\xff]", b"A"));
        assert!(!glob_match(b"[a-\xff]", b"b"));
        assert!(glob_match(b"[a-\xff]", b"\xff"));
    }
}
