//! Reply encoding for RESP2 and RESP3.
//!
//! RESP3-only types fall back the way Redis 7.0 falls back for RESP2 clients
//! (see [`Reply`]). Numbers are formatted into a stack buffer so encoding a
//! reply allocates nothing beyond growing `out`.

use bytes::{BufMut, BytesMut};

use super::Reply;

/// The protocol a connection speaks, chosen with `HELLO`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

/// Append `reply` to `out` in the connection's protocol.
pub fn encode_reply(reply: &Reply, proto: Protocol, out: &mut BytesMut) {
    let resp3 = proto == Protocol::Resp3;
    match reply {
        Reply::Status(s) => put_line(out, b'+', s.as_bytes()),
        Reply::Error(e) => put_line(out, b'-', e.as_bytes()),
        Reply::Integer(n) => put_int(out, b':', *n),
        Reply::Bulk(b) => put_bulk(out, b),
        Reply::Nil if resp3 => out.put_slice(b"_\r\n"),
        Reply::Nil => out.put_slice(b"$-1\r\n"),
        Reply::NilArray if resp3 => out.put_slice(b"_\r\n"),
        Reply::NilArray => out.put_slice(b"*-1\r\n"),
        Reply::Array(items) => {
            put_len(out, b'*', items.len());
            for item in items {
                encode_reply(item, proto, out);
            }
        }
        Reply::Map(pairs) => {
            if resp3 {
                put_len(out, b'%', pairs.len());
            } else {
                put_len(out, b'*', pairs.len().saturating_mul(2));
            }
            for (k, v) in pairs {
                encode_reply(k, proto, out);
                encode_reply(v, proto, out);
            }
        }
        Reply::Set(items) => {
            put_len(out, if resp3 { b'~' } else { b'*' }, items.len());
            for item in items {
                encode_reply(item, proto, out);
            }
        }
        Reply::Double(text) if resp3 => put_line(out, b',', text.as_bytes()),
        Reply::Double(text) => put_bulk(out, text.as_bytes()),
        Reply::Boolean(b) if resp3 => out.put_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        // RESP2 has no boolean: Redis 7.0 sends 1 and 0 (a script after
        // `redis.setresp(3)`; without it, Lua false is already a nil).
        Reply::Boolean(true) => out.put_slice(b":1\r\n"),
        Reply::Boolean(false) => out.put_slice(b":0\r\n"),
        Reply::Verbatim(format, data) if resp3 => {
            put_len(out, b'=', data.len().saturating_add(4));
            // Like addReplyVerbatim: exactly three format bytes, space-padded.
            let f = format.as_bytes();
            for i in 0..3 {
                out.put_u8(f.get(i).copied().unwrap_or(b' '));
            }
            out.put_u8(b':');
            out.put_slice(data);
            out.put_slice(b"\r\n");
        }
        Reply::Verbatim(_, data) => put_bulk(out, data),
        Reply::Pairs(pairs) if resp3 => {
            put_len(out, b'*', pairs.len());
            for (a, b) in pairs {
                put_len(out, b'*', 2);
                encode_reply(a, proto, out);
                encode_reply(b, proto, out);
            }
        }
        Reply::Pairs(pairs) => {
            put_len(out, b'*', pairs.len().saturating_mul(2));
            for (a, b) in pairs {
                encode_reply(a, proto, out);
                encode_reply(b, proto, out);
            }
        }
    }
}

/// Append `args` as a multibulk request (`*<n>` then `$<len>` bulks), the form
/// clients send and [`super::decode_request`] reads.
pub fn encode_request<A: AsRef<[u8]>>(args: &[A], out: &mut BytesMut) {
    put_len(out, b'*', args.len());
    for a in args {
        put_bulk(out, a.as_ref());
    }
}

/// A one-line frame (`+`, `-`, `,`). A CR or LF in the text would end the
/// frame early and desynchronise the client, so they become spaces, as
/// Redis's `addReplyErrorFormat` does.
fn put_line(out: &mut BytesMut, prefix: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(prefix);
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        for &b in text {
            out.put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
    } else {
        out.put_slice(text);
    }
    out.put_slice(b"\r\n");
}

fn put_bulk(out: &mut BytesMut, data: &[u8]) {
    out.reserve(data.len() + 25);
    put_len(out, b'$', data.len());
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

fn put_len(out: &mut BytesMut, prefix: u8, len: usize) {
    put_digits(out, prefix, false, len as u64);
}

fn put_int(out: &mut BytesMut, prefix: u8, n: i64) {
    put_digits(out, prefix, n < 0, n.unsigned_abs());
}

/// `<prefix>[-]<digits>\r\n`, formatted right to left into a stack buffer.
fn put_digits(out: &mut BytesMut, prefix: u8, negative: bool, mut v: u64) {
    // prefix + sign + 20 digits (u64::MAX) + CRLF
    let mut buf = [0u8; 24];
    let mut i = buf.len() - 2;
    buf[i..].copy_from_slice(b"\r\n");
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    i -= 1;
    buf[i] = prefix;
    out.put_slice(&buf[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn enc(r: &Reply, p: Protocol) -> Vec<u8> {
        let mut out = BytesMut::new();
        encode_reply(r, p, &mut out);
        out.to_vec()
    }

    /// Same bytes under both protocols.
    fn both(r: &Reply, want: &[u8]) {
        assert_eq!(enc(r, Protocol::Resp2), want, "resp2 {r:?}");
        assert_eq!(enc(r, Protocol::Resp3), want, "resp3 {r:?}");
    }

    fn two_three(r: &Reply, want2: &[u8], want3: &[u8]) {
        assert_eq!(enc(r, Protocol::Resp2), want2, "resp2 {r:?}");
        assert_eq!(enc(r, Protocol::Resp3), want3, "resp3 {r:?}");
    }

    #[test]
    fn status_and_error() {
        both(&Reply::ok(), b"+OK\r\n");
        both(&Reply::err("ERR syntax error"), b"-ERR syntax error\r\n");
        both(&Reply::Status("a\r\nb\nc".into()), b"+a  b c\r\n");
        both(&Reply::err("ERR x\r\ny"), b"-ERR x  y\r\n");
        both(&Reply::Status(String::new()), b"+\r\n");
    }

    #[test]
    fn integers() {
        both(&Reply::Integer(0), b":0\r\n");
        both(&Reply::Integer(42), b":42\r\n");
        both(&Reply::Integer(-7), b":-7\r\n");
        both(&Reply::Integer(i64::MAX), b":9223372036854775807\r\n");
        both(&Reply::Integer(i64::MIN), b":-9223372036854775808\r\n");
    }

    #[test]
    fn bulks_and_nils() {
        both(&Reply::bulk(&b"a\r\nb"[..]), b"$4\r\na\r\nb\r\n");
        both(&Reply::bulk(Bytes::new()), b"$0\r\n\r\n");
        two_three(&Reply::Nil, b"$-1\r\n", b"_\r\n");
        two_three(&Reply::NilArray, b"*-1\r\n", b"_\r\n");
    }

    #[test]
    fn aggregates() {
        let arr = Reply::Array(vec![
            Reply::Integer(1),
            Reply::bulk(&b"x"[..]),
            Reply::Array(vec![]),
            Reply::Nil,
        ]);
        two_three(
            &arr,
            b"*4\r\n:1\r\n$1\r\nx\r\n*0\r\n$-1\r\n",
            b"*4\r\n:1\r\n$1\r\nx\r\n*0\r\n_\r\n",
        );
        let map = Reply::Map(vec![
            (Reply::bulk(&b"k"[..]), Reply::Integer(1)),
            (Reply::bulk(&b"j"[..]), Reply::Boolean(true)),
        ]);
        two_three(
            &map,
            b"*4\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n:1\r\n",
            b"%2\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n#t\r\n",
        );
        let set = Reply::Set(vec![Reply::bulk(&b"a"[..])]);
        two_three(&set, b"*1\r\n$1\r\na\r\n", b"~1\r\n$1\r\na\r\n");
        two_three(&Reply::Map(vec![]), b"*0\r\n", b"%0\r\n");
    }

    #[test]
    fn doubles() {
        two_three(&Reply::Double("3.5".into()), b"$3\r\n3.5\r\n", b",3.5\r\n");
        two_three(
            &Reply::Double("-inf".into()),
            b"$4\r\n-inf\r\n",
            b",-inf\r\n",
        );
    }

    #[test]
    fn pairs_nest_in_resp3_only() {
        let pairs = Reply::Pairs(vec![(Reply::bulk("a"), Reply::Double("1".into()))]);
        two_three(
            &pairs,
            b"*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n",
        );
    }

    #[test]
    fn booleans() {
        two_three(&Reply::Boolean(true), b":1\r\n", b"#t\r\n");
        two_three(&Reply::Boolean(false), b":0\r\n", b"#f\r\n");
    }

    #[test]
    fn verbatim() {
        let v = Reply::Verbatim("txt".into(), Bytes::from_static(b"Some\r\ntext"));
        two_three(
            &v,
            b"$10\r\nSome\r\ntext\r\n",
            b"=14\r\ntxt:Some\r\ntext\r\n",
        );
        // Formats are padded or cut to three bytes, like addReplyVerbatim.
        let short = Reply::Verbatim("md".into(), Bytes::from_static(b"x"));
        assert_eq!(enc(&short, Protocol::Resp3), b"=5\r\nmd :x\r\n");
        let long = Reply::Verbatim("mkdn".into(), Bytes::from_static(b""));
        assert_eq!(enc(&long, Protocol::Resp3), b"=4\r\nmkd:\r\n");
    }

    #[test]
    fn request_encoding() {
        let mut out = BytesMut::new();
        encode_request(&[&b"SET"[..], b"k", b""], &mut out);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        let mut out = BytesMut::new();
        encode_request::<&[u8]>(&[], &mut out);
        assert_eq!(&out[..], b"*0\r\n");
    }

    #[test]
    fn digits_match_std_formatting() {
        for n in [1, 9, 10, 99, 100, 12345, -1, -10, 1 << 40, i64::MIN + 1] {
            assert_eq!(
                enc(&Reply::Integer(n), Protocol::Resp2),
                format!(":{n}\r\n").as_bytes()
            );
        }
    }
}
