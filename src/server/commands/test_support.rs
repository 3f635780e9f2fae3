//! What the connection commands' unit tests share: a configuration, a
//! connection, and running one request through [`super::handle`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::resp::Reply;

use super::super::client_conn::ClientConn;
use super::super::config::ServerConfig;
use super::super::storage::AppendFsync;
use super::{handle, Action};

pub(super) fn b(args: &[&str]) -> Vec<Bytes> {
    args.iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect()
}

pub(super) fn cfg() -> ServerConfig {
    ServerConfig {
        bind: "127.0.0.1".into(),
        port: 6379,
        tls: None,
        dir: "./data".into(),
        appendfsync: AppendFsync::Everysec,
        debug_commands: false,
        started: Instant::now(),
        peers: BTreeMap::new(),
        faults: Arc::default(),
        scripts: super::super::scripts::Scripts::new(std::time::Duration::from_secs(5)),
        settings: Arc::default(),
        shutdown: Arc::default(),
        errors: Arc::default(),
        access: Arc::default(),
        limits: Arc::default(),
    }
}

pub(super) fn conn() -> ClientConn {
    let addr: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
    ClientConn::open(Arc::default(), addr, addr)
}

pub(super) fn run(conn: &mut ClientConn, args: &[&str]) -> Reply {
    match handle(conn, &cfg(), &b(args), 0) {
        Action::Reply(r) => r,
        other => panic!("not a local reply: {other:?}"),
    }
}

pub(super) fn err(r: Reply) -> String {
    r.error_text().expect("an error").to_string()
}
