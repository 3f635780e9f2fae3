//! RESP on the wire for raw-byte tests: a RESP2/RESP3 reply reader that
//! keeps the exact bytes of every reply, a request encoder, a client over
//! `TcpStream` that reads parsed replies, and byte-level helpers for tests
//! that assert exact reply bytes on a bare `TcpStream`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use super::wait::TIMEOUT;

/// A parsed RESP2/RESP3 reply.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Status(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    /// `$-1` (RESP2 nil bulk).
    NilBulk,
    Bulk(Vec<u8>),
    /// `*-1` (RESP2 nil array).
    NilArray,
    Array(Vec<Value>),
    /// RESP3 `_`.
    Null,
    Map(Vec<(Value, Value)>),
    Set(Vec<Value>),
    Push(Vec<Value>),
    Double(Vec<u8>),
    Bool(bool),
    BigNum(Vec<u8>),
    /// RESP3 `=`: the three-byte format and the text after `fmt:`.
    Verbatim(Vec<u8>, Vec<u8>),
}

impl Value {
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }

    /// The elements of an array, set or push reply.
    pub fn items(&self) -> &[Value] {
        match self {
            Value::Array(v) | Value::Set(v) | Value::Push(v) => v,
            other => panic!("not an aggregate: {other:?}"),
        }
    }
}

/// One reply: its exact bytes on the wire and its parsed form.
#[derive(Clone, Debug)]
pub struct Reply {
    pub raw: Vec<u8>,
    pub value: Value,
}

fn read_line<R: BufRead>(r: &mut R, raw: &mut Vec<u8>) -> Vec<u8> {
    let mut line = Vec::new();
    let n = r.read_until(b'\n', &mut line).expect("read reply line");
    assert!(n > 0, "connection closed while reading a reply");
    raw.extend_from_slice(&line);
    assert!(
        line.ends_with(b"\r\n"),
        "reply line without CRLF: {:?}",
        String::from_utf8_lossy(&line)
    );
    line.truncate(line.len() - 2);
    line
}

fn parse_num(b: &[u8]) -> i64 {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad number in reply: {:?}", String::from_utf8_lossy(b)))
}

fn read_blob<R: BufRead>(r: &mut R, raw: &mut Vec<u8>, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len + 2];
    r.read_exact(&mut buf).expect("read bulk payload");
    raw.extend_from_slice(&buf);
    assert_eq!(&buf[len..], b"\r\n", "bulk payload without CRLF");
    buf.truncate(len);
    buf
}

fn read_items<R: BufRead>(r: &mut R, raw: &mut Vec<u8>, n: i64) -> Vec<Value> {
    (0..n).map(|_| read_value(r, raw)).collect()
}

fn read_value<R: BufRead>(r: &mut R, raw: &mut Vec<u8>) -> Value {
    let line = read_line(r, raw);
    let (kind, rest) = line.split_first().expect("empty reply line");
    let rest = rest.to_vec();
    match kind {
        b'+' => Value::Status(rest),
        b'-' => Value::Error(rest),
        b':' => Value::Int(parse_num(&rest)),
        b'$' => match parse_num(&rest) {
            -1 => Value::NilBulk,
            n => Value::Bulk(read_blob(r, raw, n as usize)),
        },
        b'*' => match parse_num(&rest) {
            -1 => Value::NilArray,
            n => Value::Array(read_items(r, raw, n)),
        },
        b'~' => Value::Set(read_items(r, raw, parse_num(&rest))),
        b'>' => Value::Push(read_items(r, raw, parse_num(&rest))),
        b'%' => {
            let flat = read_items(r, raw, parse_num(&rest) * 2);
            let mut it = flat.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            Value::Map(pairs)
        }
        b'_' => Value::Null,
        b',' => Value::Double(rest),
        b'#' => Value::Bool(rest == b"t"),
        b'(' => Value::BigNum(rest),
        b'=' => {
            let blob = read_blob(r, raw, parse_num(&rest) as usize);
            assert!(blob.len() >= 4 && blob[3] == b':', "bad verbatim string");
            Value::Verbatim(blob[..3].to_vec(), blob[4..].to_vec())
        }
        other => panic!(
            "unknown reply type {:?} in {:?}",
            *other as char,
            String::from_utf8_lossy(&line)
        ),
    }
}

/// Encode a request as a RESP multibulk. Written out here rather than taken
/// from the crate, so that raw-byte tests do not rest on the code they test.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// [`encode`] for a list of byte strings of different lengths
/// (`req(&[b"SET", b"k", b"v"])`).
pub fn req(args: &[&[u8]]) -> Vec<u8> {
    encode(args)
}

/// Split a redis-cli-like line (`SET "a\x00b" v`) into arguments.
pub fn split_line(line: &str) -> Vec<Vec<u8>> {
    fencekv::resp::inline::split_args(line.as_bytes())
        .unwrap_or_else(|| panic!("unbalanced quotes in {line:?}"))
}

/// A raw RESP connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    pub fn connect(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
        s.set_nodelay(true).expect("nodelay");
        Conn {
            reader: BufReader::new(s.try_clone().expect("clone stream")),
            writer: s,
        }
    }

    /// Send one command, read one reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.writer.write_all(&encode(args)).expect("write request");
        self.read_reply()
    }

    /// Send arbitrary bytes (no reply is read).
    pub fn send_bytes(&mut self, data: &[u8]) {
        self.writer.write_all(data).expect("write");
    }

    pub fn read_reply(&mut self) -> Reply {
        let mut raw = Vec::new();
        let value = read_value(&mut self.reader, &mut raw);
        Reply { raw, value }
    }

    /// True once the server has closed the connection (reads EOF).
    pub fn closed_by_server(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(self.reader.read(&mut buf), Ok(0))
    }
}

/// Read exactly `n` bytes (or fail after the read timeout).
pub fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).expect("read reply");
    buf
}

/// Send `data` in one write and expect exactly `expect` back.
pub fn roundtrip(s: &mut TcpStream, data: &[u8], expect: &[u8]) {
    s.write_all(data).expect("write");
    let got = read_n(s, expect.len());
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expect)
    );
}

/// Read until the server closes the connection.
pub fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read until close");
    out
}

/// Read until the bytes received end with `suffix`.
pub fn read_until(s: &mut TcpStream, suffix: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while !out.ends_with(suffix) {
        let n = s.read(&mut buf).expect("read");
        assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(suffix));
        out.extend_from_slice(&buf[..n]);
    }
    out
}
