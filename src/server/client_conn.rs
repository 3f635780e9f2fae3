//! One client connection's state: its client id and the [`ClientInfo`] that
//! HELLO, CLIENT and RESET change, kept in the registry while it is open.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use crate::resp::Protocol;

use super::registry::{lock, ClientInfo, SharedRegistry};

/// A connection's transaction state.
#[derive(Debug, Default)]
pub struct TxState {
    /// Inside MULTI: the requests queued so far.
    pub queued: Option<Vec<Vec<Bytes>>>,
    /// A request failed to queue: EXEC answers EXECABORT.
    pub failed: bool,
    /// What WATCH saw, until EXEC, DISCARD, UNWATCH or RESET.
    pub watched: Vec<crate::cmd::multi::Watched>,
}

/// One client connection's state; dropping it takes the connection out of
/// the registry.
pub struct ClientConn {
    pub id: u64,
    pub info: ClientInfo,
    /// MULTI's queue and the WATCHed keys.
    pub tx: TxState,
    /// Whether the connection may run commands when a password is set: as
    /// Redis's `c->authenticated`, true from the start if no password was
    /// set when it connected, then set by AUTH and HELLO AUTH and cleared
    /// by RESET. A later CONFIG SET requirepass leaves it as it is.
    pub authenticated: bool,
    registry: SharedRegistry,
}

impl ClientConn {
    /// Register a new connection.
    pub fn open(registry: SharedRegistry, addr: SocketAddr, laddr: SocketAddr) -> ClientConn {
        let info = ClientInfo {
            addr,
            laddr,
            name: Bytes::new(),
            lib_name: Bytes::new(),
            lib_ver: Bytes::new(),
            proto: Protocol::Resp2,
            created: Instant::now(),
        };
        let id = lock(&registry).add(info.clone());
        ClientConn {
            id,
            info,
            tx: TxState::default(),
            authenticated: true,
            registry,
        }
    }

    pub fn proto(&self) -> Protocol {
        self.info.proto
    }

    /// The registry every connection is in (CLIENT LIST reads it).
    pub(super) fn registry(&self) -> &SharedRegistry {
        &self.registry
    }

    /// Mirror a change of this connection's info into the registry.
    pub(super) fn publish(&self) {
        lock(&self.registry).update(self.id, &self.info);
    }
}

impl Drop for ClientConn {
    fn drop(&mut self) {
        lock(&self.registry).remove(self.id);
    }
}
