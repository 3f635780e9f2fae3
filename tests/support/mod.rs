//! Test support shared by the integration test crates, one file per concern:
//! test certificates ([`certs`]), ports and temporary directories
//! ([`ports`]), waiting ([`wait`]), RESP on the wire ([`resp`]) and as
//! `redis-cli` prints it ([`render`]), a child process serving RESP
//! ([`process`]), a fencekv server ([`server`]), the redis-server oracle
//! ([`oracle`]), a local cluster ([`cluster`]) and hand-written model
//! schedules ([`schedules`]).
// Each integration test crate uses a subset of this module.
#![allow(dead_code)]

pub mod certs;
pub mod cluster;
pub mod oracle;
pub mod ports;
pub mod process;
pub mod render;
pub mod resp;
pub mod schedules;
pub mod server;
pub mod wait;
