//! Client passwords and the client limit over real TCP, as Redis 7.0 does
//! them: `--requirepass` and CONFIG SET requirepass (NOAUTH before AUTH,
//! WRONGPASS, HELLO … AUTH), and `--maxclients` (one connection too many is
//! answered an error and closed). The error texts are redis-server
//! 7.0.15's, byte for byte.

mod support;

use std::time::{Duration, Instant};

use redis::Commands;
use support::resp::{read_to_close, Conn, Value};
use support::server::Server;
use support::wait::TIMEOUT;

const NOAUTH: &[u8] = b"-NOAUTH Authentication required.\r\n";
const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const HELLO_NOAUTH: &[u8] = b"-NOAUTH HELLO must be called with the client already \
authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the \
client and select the RESP protocol version at the same time\r\n";

fn raw(c: &mut Conn, args: &[&str]) -> Vec<u8> {
    c.call(args).raw
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_command_but_auth_hello_quit_reset_needs_the_password() {
    let s = Server::start(&["--requirepass", "s3cret", "--enable-debug-commands"]);
    let mut c = Conn::connect(s.port);
    for cmd in [
        &["GET", "k"][..],
        &["SET", "k", "v"],
        &["PING"],
        &["CLIENT", "ID"],
        &["CLIENT", "LIST"],
        &["CONFIG", "GET", "requirepass"],
        &["INFO"],
        &["MULTI"],
        &["EVAL", "return redis.call('set', 'k', 'v')", "0"],
        &["FENCEKV.RAWGET", "k"],
        &["FENCEKV.HEAL"],
    ] {
        assert_eq!(text(&raw(&mut c, cmd)), text(NOAUTH), "{cmd:?}");
    }
    // Unknown commands and wrong arities are answered as such first.
    assert!(text(&raw(&mut c, &["NOSUCH"])).starts_with("-ERR unknown command 'NOSUCH'"));
    assert_eq!(
        text(&raw(&mut c, &["GET"])),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(text(&raw(&mut c, &["HELLO", "3"])), text(HELLO_NOAUTH));
    assert_eq!(text(&raw(&mut c, &["HELLO"])), text(HELLO_NOAUTH));
    assert_eq!(raw(&mut c, &["RESET"]), b"+RESET\r\n");
    // Wrong passwords and users.
    assert_eq!(text(&raw(&mut c, &["AUTH", "nope"])), text(WRONGPASS));
    assert_eq!(
        text(&raw(&mut c, &["AUTH", "default", "nope"])),
        text(WRONGPASS)
    );
    assert_eq!(
        text(&raw(&mut c, &["AUTH", "alice", "s3cret"])),
        text(WRONGPASS)
    );
    assert_eq!(
        text(&raw(&mut c, &["AUTH", "a", "b", "c"])),
        "-ERR syntax error\r\n"
    );
    assert_eq!(text(&raw(&mut c, &["GET", "k"])), text(NOAUTH));
    // Nothing was written while refused.
    assert_eq!(raw(&mut c, &["AUTH", "s3cret"]), b"+OK\r\n");
    assert_eq!(raw(&mut c, &["GET", "k"]), b"$-1\r\n");
    assert_eq!(raw(&mut c, &["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(raw(&mut c, &["GET", "k"]), b"$1\r\nv\r\n");
    // A wrong password later does not log the connection out; RESET does.
    assert_eq!(
        text(&raw(&mut c, &["AUTH", "default", "x"])),
        text(WRONGPASS)
    );
    assert_eq!(raw(&mut c, &["PING"]), b"+PONG\r\n");
    assert_eq!(raw(&mut c, &["RESET"]), b"+RESET\r\n");
    assert_eq!(text(&raw(&mut c, &["PING"])), text(NOAUTH));
    assert_eq!(raw(&mut c, &["AUTH", "default", "s3cret"]), b"+OK\r\n");
    assert_eq!(raw(&mut c, &["PING"]), b"+PONG\r\n");

    // QUIT needs no password.
    let mut q = Conn::connect(s.port);
    assert_eq!(raw(&mut q, &["QUIT"]), b"+OK\r\n");
    assert!(q.closed_by_server());

    // Pipelined: AUTH takes effect for the requests after it in one read.
    let mut p = Conn::connect(s.port);
    let mut batch = support::resp::encode(&["GET", "k"]);
    batch.extend(support::resp::encode(&["AUTH", "s3cret"]));
    batch.extend(support::resp::encode(&["GET", "k"]));
    p.send_bytes(&batch);
    assert_eq!(text(&p.read_reply().raw), text(NOAUTH));
    assert_eq!(p.read_reply().raw, b"+OK\r\n");
    assert_eq!(p.read_reply().raw, b"$1\r\nv\r\n");
}

#[test]
fn hello_auth_authenticates_and_the_redis_crate_connects_with_a_password() {
    let s = Server::start(&["--requirepass", "pw"]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        text(&raw(&mut c, &["HELLO", "3", "AUTH", "default", "wrong"])),
        text(WRONGPASS)
    );
    assert_eq!(text(&raw(&mut c, &["GET", "k"])), text(NOAUTH));
    let r = c.call(&["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "app"]);
    let Value::Map(fields) = r.value else {
        panic!("HELLO 3 answers a map: {}", text(&r.raw))
    };
    assert!(fields.contains(&(Value::Bulk(b"proto".to_vec()), Value::Int(3))));
    assert_eq!(raw(&mut c, &["PING"]), b"+PONG\r\n");
    assert_eq!(raw(&mut c, &["CLIENT", "GETNAME"]), b"$3\r\napp\r\n");

    // The redis crate sends AUTH from the URL's password.
    let url = format!("redis://:pw@127.0.0.1:{}/", s.port);
    let mut rc = redis::Client::open(url)
        .expect("client")
        .get_connection_with_timeout(TIMEOUT)
        .expect("connect with the password");
    let _: () = rc.set("a", "1").expect("SET");
    let v: Option<String> = rc.get("a").expect("GET");
    assert_eq!(v.as_deref(), Some("1"));
    // …and without it is refused.
    let mut bare = s.client();
    let e = bare.get::<_, Option<String>>("a").expect_err("NOAUTH");
    assert_eq!(e.code(), Some("NOAUTH"), "{e}");
    let wrong = format!("redis://:nope@127.0.0.1:{}/", s.port);
    let e = redis::Client::open(wrong)
        .expect("client")
        .get_connection_with_timeout(TIMEOUT)
        .err()
        .expect("a wrong password fails to connect");
    assert!(format!("{e}").contains("AuthenticationFailed"), "{e}");
}

#[test]
fn auth_without_a_password_configured() {
    let s = Server::start(&[]);
    let mut c = Conn::connect(s.port);
    assert_eq!(
        text(&raw(&mut c, &["AUTH", "pw"])),
        "-ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?\r\n"
    );
    // The `nopass` default user takes any password.
    assert_eq!(raw(&mut c, &["AUTH", "default", "anything"]), b"+OK\r\n");
    assert_eq!(text(&raw(&mut c, &["AUTH", "bob", "x"])), text(WRONGPASS));
    assert_eq!(
        raw(&mut c, &["CONFIG", "GET", "requirepass"]),
        b"*2\r\n$11\r\nrequirepass\r\n$0\r\n\r\n"
    );
}

#[test]
fn config_set_requirepass_applies_to_new_connections() {
    let s = Server::start(&[]);
    let mut old = Conn::connect(s.port);
    assert_eq!(raw(&mut old, &["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(
        raw(&mut old, &["CONFIG", "SET", "requirepass", "fresh"]),
        b"+OK\r\n"
    );
    assert_eq!(
        raw(&mut old, &["CONFIG", "GET", "requirepass"]),
        b"*2\r\n$11\r\nrequirepass\r\n$5\r\nfresh\r\n"
    );
    // The connection made before keeps working, as in Redis.
    assert_eq!(raw(&mut old, &["GET", "k"]), b"$1\r\nv\r\n");
    let mut new = Conn::connect(s.port);
    assert_eq!(text(&raw(&mut new, &["GET", "k"])), text(NOAUTH));
    assert_eq!(text(&raw(&mut new, &["AUTH", "wrong"])), text(WRONGPASS));
    assert_eq!(raw(&mut new, &["AUTH", "fresh"]), b"+OK\r\n");
    assert_eq!(raw(&mut new, &["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(
        text(&raw(
            &mut new,
            &["CONFIG", "SET", "requirepass", "a", "REQUIREPASS", "b"]
        )),
        "-ERR CONFIG SET failed (possibly related to argument 'REQUIREPASS') - duplicate \
         parameter\r\n"
    );
    // Back to no password: a new connection needs no AUTH.
    assert_eq!(
        raw(&mut new, &["CONFIG", "SET", "requirepass", ""]),
        b"+OK\r\n"
    );
    let mut open = Conn::connect(s.port);
    assert_eq!(raw(&mut open, &["GET", "k"]), b"$1\r\nv\r\n");
}

/// Poll INFO clients on `c` until `connected_clients` is `n` (a closed
/// connection leaves the count once the server has read its end).
fn wait_connected(c: &mut Conn, n: usize) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let info = text(&raw(c, &["INFO", "clients"]));
        if info.contains(&format!("connected_clients:{n}\r\n")) {
            return info;
        }
        assert!(Instant::now() < deadline, "never {n} clients: {info}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_connection_beyond_maxclients_is_refused_and_closed() {
    let s = Server::start(&["--maxclients", "2"]);
    // The start-up probe's connection may not be gone yet: it may take the
    // second place for a moment, so retry until one is accepted.
    let deadline = Instant::now() + TIMEOUT;
    let mut a = loop {
        let mut c = Conn::connect(s.port);
        c.send_bytes(b"PING\r\n");
        if c.read_reply().raw == b"+PONG\r\n" {
            break c;
        }
        assert!(Instant::now() < deadline, "no connection accepted");
        std::thread::sleep(Duration::from_millis(10));
    };
    wait_connected(&mut a, 1);
    let mut b = Conn::connect(s.port);
    assert_eq!(raw(&mut b, &["PING"]), b"+PONG\r\n");
    let mut third = s.raw();
    assert_eq!(
        text(&read_to_close(&mut third)),
        "-ERR max number of clients reached\r\n"
    );
    let info = wait_connected(&mut a, 2);
    assert!(info.contains("maxclients:2\r\n"), "{info}");
    assert_eq!(
        raw(&mut a, &["CONFIG", "GET", "maxclients"]),
        b"*2\r\n$10\r\nmaxclients\r\n$1\r\n2\r\n"
    );
    // A freed place can be taken again.
    drop(b);
    wait_connected(&mut a, 1);
    let mut d = Conn::connect(s.port);
    assert_eq!(raw(&mut d, &["PING"]), b"+PONG\r\n");
    // CONFIG SET raises the limit for the next connections.
    assert_eq!(
        text(&raw(&mut a, &["CONFIG", "SET", "maxclients", "0"])),
        "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must \
         be between 1 and 4294967295 inclusive\r\n"
    );
    assert_eq!(
        raw(&mut a, &["CONFIG", "SET", "maxclients", "3"]),
        b"+OK\r\n"
    );
    let mut e = Conn::connect(s.port);
    assert_eq!(raw(&mut e, &["PING"]), b"+PONG\r\n");
    let mut fourth = s.raw();
    assert_eq!(
        text(&read_to_close(&mut fourth)),
        "-ERR max number of clients reached\r\n"
    );
}

/// This host's address on a non-loopback interface, if it has one (the
/// route a UDP socket would take; nothing is sent).
fn outside_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// What a client connecting from `ip` receives before the server closes
/// the connection, after sending PING.
fn first_words(ip: std::net::IpAddr, port: u16) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect((ip, port)).expect("connect");
    s.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let _ = s.write_all(b"PING\r\n");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 || out.ends_with(b"+PONG\r\n") {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.ends_with(b"+PONG\r\n") {
            break;
        }
    }
    out
}

/// Protected mode, as Redis 7.0: with no password set, a client from
/// another host is answered DENIED (redis-server 7.0.15's text, compared
/// byte for byte when it is installed) and closed; loopback clients are
/// served; a password, or CONFIG SET protected-mode no, lets others in.
#[test]
fn protected_mode_refuses_other_hosts_until_a_password_is_set() {
    let Some(ip) = outside_ip() else {
        eprintln!("SKIPPED: this host has no non-loopback address");
        return;
    };
    let s = Server::start(&["--bind", "0.0.0.0"]);
    let denied = first_words(ip, s.port);
    assert!(
        denied.starts_with(b"-DENIED Redis is running in protected mode"),
        "{}",
        text(&denied)
    );
    if support::oracle::redis_available() {
        let redis = support::oracle::RedisServer::start_with(&["--bind", "0.0.0.0"]);
        assert_eq!(text(&denied), text(&first_words(ip, redis.port)));
    }
    let mut local = s.client();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("protected-mode")
        .query(&mut local)
        .expect("CONFIG GET");
    assert_eq!(got, ["protected-mode", "yes"]);

    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("pw")
        .query(&mut local)
        .expect("CONFIG SET requirepass");
    assert_eq!(first_words(ip, s.port), NOAUTH);
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("")
        .arg("protected-mode")
        .arg("no")
        .query(&mut local)
        .expect("CONFIG SET protected-mode no");
    assert_eq!(first_words(ip, s.port), b"+PONG\r\n");
    let err = redis::cmd("CONFIG")
        .arg("SET")
        .arg("protected-mode")
        .arg("maybe")
        .query::<()>(&mut local)
        .expect_err("not a boolean");
    assert!(
        err.to_string().contains("argument must be 'yes' or 'no'"),
        "{err}"
    );

    let open = Server::start(&["--bind", "0.0.0.0", "--protected-mode", "no"]);
    assert_eq!(first_words(ip, open.port), b"+PONG\r\n");
}
