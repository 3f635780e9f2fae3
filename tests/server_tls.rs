//! Client TLS over real sockets: `--tls-port` beside the plain port, with
//! certificates made at test time (rcgen). The `redis` crate speaks
//! `rediss://` to it; `--tls-auth-clients` refuses clients without a
//! certificate from `--tls-ca-cert-file` as Redis 7.0 does; a plain client
//! on the TLS port is dropped without harm; bad files stop the server at
//! startup with a message naming the flag; and `redis-cli --tls` answers
//! PONG.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use redis::{ClientTlsConfig, Commands, TlsCertificates};
use support::certs::{Ca, Issued};
use support::ports::{free_port, temp_dir};
use support::server::Server;
use support::wait::TIMEOUT;

/// A CA, a server certificate for 127.0.0.1 and localhost, and a client
/// certificate, in a fresh directory.
struct Pki {
    ca: Ca,
    server: Issued,
    client: Issued,
}

fn pki() -> Pki {
    let dir = temp_dir("tls");
    let ca = Ca::new(&dir, "main");
    let server = ca.issue("server", &["127.0.0.1", "localhost"]);
    let client = ca.issue("client", &["client"]);
    Pki { ca, server, client }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A server with a TLS port and `extra` flags; the TLS port.
fn tls_server(pki: &Pki, extra: &[&str]) -> (Server, u16) {
    let port = free_port();
    let port_s = port.to_string();
    let mut args = vec![
        "--tls-port",
        &port_s,
        "--tls-cert-file",
        path(&pki.server.cert),
        "--tls-key-file",
        path(&pki.server.key),
    ];
    args.extend_from_slice(extra);
    (Server::start(&args), port)
}

fn tls_client(
    host: &str,
    port: u16,
    root: Vec<u8>,
    cert: Option<&Issued>,
) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::build_with_tls(
        format!("rediss://{host}:{port}/"),
        TlsCertificates {
            client_tls: cert.map(|c| ClientTlsConfig {
                client_cert: c.cert_pem(),
                client_key: c.key_pem(),
            }),
            root_cert: Some(root),
        },
    )?;
    client.get_connection_with_timeout(TIMEOUT)
}

fn ping(c: &mut redis::Connection) -> redis::RedisResult<String> {
    redis::cmd("PING").query(c)
}

#[test]
fn set_and_get_over_tls_beside_the_plain_port() {
    let pki = pki();
    let (s, port) = tls_server(&pki, &["--tls-auth-clients", "no"]);
    for host in ["127.0.0.1", "localhost"] {
        let mut c = tls_client(host, port, pki.ca.cert_pem(), None).expect("TLS connect");
        c.set::<_, _, ()>(format!("k-{host}"), "over tls")
            .expect("SET");
        let v: String = c.get(format!("k-{host}")).expect("GET");
        assert_eq!(v, "over tls");
    }
    // One keyspace behind both ports.
    let v: String = s.client().get("k-localhost").expect("GET over plain TCP");
    assert_eq!(v, "over tls");
    let mut c = tls_client("127.0.0.1", port, pki.ca.cert_pem(), None).expect("TLS connect");
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("tls-*")
        .query(&mut c)
        .expect("CONFIG GET");
    let got: std::collections::BTreeMap<_, _> = got
        .chunks(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect();
    assert_eq!(got["tls-port"], port.to_string());
    assert_eq!(got["tls-auth-clients"], "no");
    assert_eq!(got["tls-cert-file"], path(&pki.server.cert));
    assert_eq!(got["tls-ca-cert-file"], "");
}

/// Redis's default `tls-auth-clients yes`: a certificate signed by the CA
/// is required; without one (or with one from another CA) the handshake
/// fails and the server goes on serving.
#[test]
fn client_certificates_are_required_by_default() {
    let pki = pki();
    let (s, port) = tls_server(&pki, &["--tls-ca-cert-file", path(&pki.ca.cert)]);
    let mut c = tls_client("127.0.0.1", port, pki.ca.cert_pem(), Some(&pki.client))
        .expect("TLS connect with a client certificate");
    assert_eq!(ping(&mut c).expect("PING"), "PONG");

    let refused =
        tls_client("127.0.0.1", port, pki.ca.cert_pem(), None).and_then(|mut c| ping(&mut c));
    assert!(refused.is_err(), "no certificate: {refused:?}");

    let other = Ca::new(&pki.ca.dir, "other");
    let stranger = other.issue("stranger", &["stranger"]);
    let refused = tls_client("127.0.0.1", port, pki.ca.cert_pem(), Some(&stranger))
        .and_then(|mut c| ping(&mut c));
    assert!(refused.is_err(), "another CA's certificate: {refused:?}");

    assert_eq!(ping(&mut c).expect("PING after the refusals"), "PONG");
    assert_eq!(ping(&mut s.client()).expect("plain PING"), "PONG");
}

/// `--tls-auth-clients optional`: no certificate is fine, a bad one is not.
#[test]
fn optional_client_certificates() {
    let pki = pki();
    let (_s, port) = tls_server(
        &pki,
        &[
            "--tls-ca-cert-file",
            path(&pki.ca.cert),
            "--tls-auth-clients",
            "optional",
        ],
    );
    let mut c = tls_client("127.0.0.1", port, pki.ca.cert_pem(), None).expect("TLS connect");
    assert_eq!(ping(&mut c).expect("PING without a certificate"), "PONG");
    let mut c =
        tls_client("127.0.0.1", port, pki.ca.cert_pem(), Some(&pki.client)).expect("TLS connect");
    assert_eq!(ping(&mut c).expect("PING with a certificate"), "PONG");
    let other = Ca::new(&pki.ca.dir, "other");
    let stranger = other.issue("stranger", &["stranger"]);
    let refused = tls_client("127.0.0.1", port, pki.ca.cert_pem(), Some(&stranger))
        .and_then(|mut c| ping(&mut c));
    assert!(refused.is_err(), "another CA's certificate: {refused:?}");
}

/// A client speaking plain RESP to the TLS port gets no reply and is
/// closed; the server serves TLS and plain clients as before.
#[test]
fn plain_tcp_on_the_tls_port_is_dropped_harmlessly() {
    let pki = pki();
    let (s, port) = tls_server(&pki, &["--tls-auth-clients", "no"]);
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    raw.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    raw.write_all(b"*1\r\n$4\r\nPING\r\n").expect("write");
    let mut got = Vec::new();
    let _ = raw.read_to_end(&mut got);
    assert!(
        !String::from_utf8_lossy(&got).contains("PONG"),
        "plain RESP answered on the TLS port: {got:?}"
    );
    let mut c = tls_client("127.0.0.1", port, pki.ca.cert_pem(), None).expect("TLS connect");
    assert_eq!(ping(&mut c).expect("TLS PING"), "PONG");
    assert_eq!(ping(&mut s.client()).expect("plain PING"), "PONG");
}

/// Run `fencekv serve` expecting it to fail at startup; its stderr.
fn fails_to_start(args: &[&str]) -> String {
    let dir = temp_dir("tls-bad");
    let port = free_port().to_string();
    let port_args: &[&str] = if args.contains(&"--port") {
        &[]
    } else {
        &["--port", &port]
    };
    let out = Command::new(env!("CARGO_BIN_EXE_fencekv"))
        .arg("serve")
        .args(port_args)
        .arg("--dir")
        .arg(dir.join("data"))
        .args(args)
        .output()
        .expect("run fencekv");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "started with {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_tls_files_stop_the_server_at_startup() {
    let pki = pki();
    let tls_port = free_port().to_string();
    let missing = pki.ca.dir.join("missing.pem");
    let base = |cert: &Path, key: &Path| -> Vec<String> {
        vec![
            "--tls-port".into(),
            tls_port.clone(),
            "--tls-cert-file".into(),
            path(cert).into(),
            "--tls-key-file".into(),
            path(key).into(),
        ]
    };
    let run = |args: Vec<String>| fails_to_start(&args.iter().map(|s| &**s).collect::<Vec<_>>());

    let mut args = base(&missing, &pki.server.key);
    args.extend(["--tls-auth-clients".into(), "no".into()]);
    let err = run(args);
    assert!(err.contains("cannot read --tls-cert-file"), "{err}");

    // A key file holding a certificate, not a key.
    let mut args = base(&pki.server.cert, &pki.server.cert);
    args.extend(["--tls-auth-clients".into(), "no".into()]);
    let err = run(args);
    assert!(err.contains("--tls-key-file"), "{err}");

    // The client certificate's key with the server's certificate.
    let mut args = base(&pki.server.cert, &pki.client.key);
    args.extend(["--tls-auth-clients".into(), "no".into()]);
    let err = run(args);
    assert!(err.contains("--tls-cert-file"), "{err}");

    // Redis's default tls-auth-clients yes needs a CA.
    let err = run(base(&pki.server.cert, &pki.server.key));
    assert!(
        err.contains("Either tls-ca-cert-file or tls-ca-cert-dir must be specified"),
        "{err}"
    );

    let mut args = base(&pki.server.cert, &pki.server.key);
    args.extend(["--tls-ca-cert-file".into(), path(&pki.server.key).into()]);
    let err = run(args);
    assert!(err.contains("--tls-ca-cert-file"), "{err}");
}

/// No listener at all is Redis's startup error.
#[test]
fn port_zero_without_tls_listens_nowhere() {
    let err = fails_to_start(&["--port", "0"]);
    assert!(err.contains("Configured to not listen anywhere"), "{err}");
}

/// `--port 0 --tls-port P`: TLS only, as in Redis.
#[test]
fn tls_only_with_port_zero() {
    let pki = pki();
    let dir = temp_dir("tls-only");
    let port = free_port();
    /// Killed when dropped, a failed assertion included.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Command::new(env!("CARGO_BIN_EXE_fencekv"))
        .args(["serve", "--port", "0", "--tls-port", &port.to_string()])
        .args(["--tls-auth-clients", "no"])
        .arg("--tls-cert-file")
        .arg(&pki.server.cert)
        .arg("--tls-key-file")
        .arg(&pki.server.key)
        .arg("--dir")
        .arg(dir.join("data"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn fencekv");
    let child = Killed(child);
    let pong = support::wait::eventually("a TLS PING", || {
        let mut c = tls_client("127.0.0.1", port, pki.ca.cert_pem(), None).ok()?;
        ping(&mut c).ok()
    });
    let mut c = tls_client("127.0.0.1", port, pki.ca.cert_pem(), None).expect("TLS connect");
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("port")
        .query(&mut c)
        .expect("CONFIG GET port");
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(pong, "PONG");
    assert_eq!(got, ["port", "0"]);
}

fn redis_cli() -> Option<&'static str> {
    let ok = Command::new("redis-cli")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("FENCEKV_REQUIRE_REDIS").as_deref() != Ok("1"),
            "FENCEKV_REQUIRE_REDIS=1 but redis-cli cannot run (apt-get install redis-tools)"
        );
        eprintln!("SKIPPED: no redis-cli (apt-get install redis-tools)");
        return None;
    }
    Some("redis-cli")
}

fn cli(cli: &str, args: &[&str]) -> String {
    let out = Command::new(cli)
        .args(args)
        .output()
        .expect("run redis-cli");
    String::from_utf8_lossy(&out.stdout).trim().to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// `redis-cli --tls`, with the CA only, and with a client certificate where
/// the server requires one.
#[test]
fn redis_cli_pings_over_tls() {
    let Some(bin) = redis_cli() else { return };
    let pki = pki();
    let (_s, port) = tls_server(&pki, &["--tls-auth-clients", "no"]);
    let port = port.to_string();
    let ca = path(&pki.ca.cert);
    let base = ["--tls", "--cacert", ca, "-h", "127.0.0.1", "-p", &port];
    assert_eq!(cli(bin, &[&base[..], &["PING"]].concat()), "PONG");

    let (_s, port) = tls_server(&pki, &["--tls-ca-cert-file", ca]);
    let port = port.to_string();
    let base = ["--tls", "--cacert", ca, "-h", "127.0.0.1", "-p", &port];
    let with_cert = [
        &base[..],
        &[
            "--cert",
            path(&pki.client.cert),
            "--key",
            path(&pki.client.key),
            "PING",
        ],
    ]
    .concat();
    assert_eq!(cli(bin, &with_cert), "PONG");
    let without = cli(bin, &[&base[..], &["PING"]].concat());
    assert_ne!(without, "PONG");
}

/// Handshakes run in the connections' tasks: clients that connect to the
/// TLS port and say nothing do not hold up the next one.
#[test]
fn silent_connections_do_not_block_the_tls_port() {
    let pki = pki();
    let (_s, port) = tls_server(&pki, &["--tls-auth-clients", "no"]);
    let silent: Vec<_> = (0..8)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    let mut c = tls_client("127.0.0.1", port, pki.ca.cert_pem(), None).expect("TLS connect");
    assert_eq!(ping(&mut c).expect("PING"), "PONG");
    drop(silent);
}
