//! One client connection's state: its client id and the [`ClientInfo`] that
//! HELLO, CLIENT and RESET change, kept in the registry while it is open.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use crate::resp::Protocol;

use super::registry::{lock, ClientInfo, SharedRegistry};

/// One connection's state.
pub struct Session {
    pub id: u64,
    pub info: ClientInfo,
    pub(super) registry: SharedRegistry,
}

impl Session {
    /// Register a new connection.
    pub fn open(registry: SharedRegistry, addr: SocketAddr, laddr: SocketAddr) -> Session {
        let info = ClientInfo {
            addr,
            laddr,
            name: Bytes::new(),
            lib_name: Bytes::new(),
            lib_ver: Bytes::new(),
            proto: Protocol::Resp2,
            created: Instant::now(),
        };
        let id = {
            let mut reg = lock(&registry);
            reg.next_id += 1;
            let id = reg.next_id;
            reg.clients.insert(id, info.clone());
            id
        };
        Session { id, info, registry }
    }

    pub fn proto(&self) -> Protocol {
        self.info.proto
    }

    /// Mirror a change of this connection's info into the registry.
    pub(super) fn publish(&self) {
        if let Some(c) = lock(&self.registry).clients.get_mut(&self.id) {
            *c = self.info.clone();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        lock(&self.registry).clients.remove(&self.id);
    }
}
