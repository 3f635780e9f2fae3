//! The transport's fault hooks as debug commands: FENCEKV.PARTITION,
//! FENCEKV.HEAL and FENCEKV.PEERDELAY.

use bytes::Bytes;

use crate::resp::Reply;

use super::super::config::ServerConfig;
use super::reply::arity;

/// The transport's fault hooks, for tests and demos (debug commands only):
/// `FENCEKV.PARTITION id [id …]` drops all traffic to and from those peers,
/// `FENCEKV.HEAL` ends every partition, `FENCEKV.PEERDELAY ms` holds every
/// peer message that long.
pub(super) fn fault_command(cfg: &ServerConfig, args: &[Bytes]) -> Option<Reply> {
    let name = args[0].to_ascii_lowercase();
    let ids = |args: &[Bytes]| -> Option<Vec<stateright::actor::Id>> {
        args.iter()
            .map(|a| {
                std::str::from_utf8(a)
                    .ok()?
                    .parse::<usize>()
                    .ok()
                    .map(stateright::actor::Id::from)
            })
            .collect()
    };
    Some(match name.as_slice() {
        b"fencekv.partition" if args.len() >= 2 => match ids(&args[1..]) {
            Some(ids) => {
                if let Ok(mut p) = cfg.faults.partitioned.lock() {
                    p.extend(ids);
                }
                Reply::ok()
            }
            None => Reply::err("ERR node ids must be integers"),
        },
        b"fencekv.partition" => arity("fencekv.partition"),
        b"fencekv.heal" if args.len() == 1 => {
            if let Ok(mut p) = cfg.faults.partitioned.lock() {
                p.clear();
            }
            Reply::ok()
        }
        b"fencekv.heal" => arity("fencekv.heal"),
        b"fencekv.peerdelay" if args.len() == 2 => {
            match std::str::from_utf8(&args[1])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
            {
                Some(ms) => {
                    if let Ok(mut d) = cfg.faults.delay.lock() {
                        *d = std::time::Duration::from_millis(ms);
                    }
                    Reply::ok()
                }
                None => Reply::err("ERR value is not an integer or out of range"),
            }
        }
        b"fencekv.peerdelay" => arity("fencekv.peerdelay"),
        _ => return None,
    })
}
