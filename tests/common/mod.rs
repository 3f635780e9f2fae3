//! Shared helpers for the differential and transcript suites: a RESP2/RESP3
//! reply reader that keeps the exact bytes of every reply, a raw client over
//! `TcpStream`, a guard for a real `redis-server`, and a renderer that prints
//! replies the way `redis-cli` does on a terminal.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::BytesMut;

/// How long anything may wait for a server.
pub const TIMEOUT: Duration = Duration::from_secs(20);

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

/// Encode a request as a RESP multibulk with the crate's own encoder.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = BytesMut::new();
    fencekv::resp::encode::encode_request(args, &mut out);
    out.to_vec()
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

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A fresh temporary directory, removed by its guard.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fencekv-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A real `redis-server` (the oracle) on a free port, without persistence;
/// killed and its directory removed when dropped, also on panic.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// `REDIS_SERVER` overrides the binary (default `/usr/bin/redis-server`,
/// or `redis-server` from `PATH`).
fn redis_binary() -> String {
    if let Ok(b) = std::env::var("REDIS_SERVER") {
        return b;
    }
    if std::path::Path::new("/usr/bin/redis-server").exists() {
        "/usr/bin/redis-server".into()
    } else {
        "redis-server".into()
    }
}

/// Whether the oracle binary runs at all.
pub fn redis_available() -> bool {
    Command::new(redis_binary())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let dir = temp_dir("redis");
        let mut s = RedisServer {
            port: 0,
            dir,
            child: None,
        };
        for _ in 0..5 {
            s.port = free_port();
            let child = Command::new(redis_binary())
                .args(["--port", &s.port.to_string()])
                .args(["--bind", "127.0.0.1"])
                .args(["--save", ""])
                .args(["--appendonly", "no"])
                .arg("--dir")
                .arg(&s.dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run {} ({e}); install redis-server 7.0 \
                         (apt-get install redis-server) or set REDIS_SERVER",
                        redis_binary()
                    )
                });
            s.child = Some(child);
            if s.wait_ready() {
                return s;
            }
            s.kill();
        }
        panic!("redis-server did not start");
    }

    /// Poll with PING until it answers (or the process died).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(_)) = c.try_wait() {
                    self.child = None;
                    return false;
                }
            }
            let pid = self.child.as_ref().map(|c| c.id()).unwrap_or(0);
            if crate::server_util::answers_as(self.port, pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }

    /// `redis_version` from INFO server.
    pub fn version(&self) -> String {
        let info = self.conn().call(&["INFO", "server"]).value;
        let Value::Bulk(text) = info else {
            panic!("INFO server: {info:?}")
        };
        String::from_utf8_lossy(&text)
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .unwrap_or("unknown")
            .trim()
            .to_string()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

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
