//! The connection registry: every open connection by client id, with what
//! CLIENT LIST shows about each, and the connected-clients count INFO shows.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;

use crate::resp::Protocol;

/// What CLIENT LIST shows about a connection.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub name: Bytes,
    pub lib_name: Bytes,
    pub lib_ver: Bytes,
    pub proto: Protocol,
    pub created: Instant,
}

/// Every open connection, by client id. Touched on connect, disconnect and
/// the rare CLIENT/HELLO changes only, so a std `Mutex` is enough.
#[derive(Default)]
pub struct Registry {
    next_id: u64,
    clients: BTreeMap<u64, ClientInfo>,
}

/// The registry shared by every connection.
pub type SharedRegistry = Arc<Mutex<Registry>>;

impl Registry {
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Every open connection, in client-id order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &ClientInfo)> {
        self.clients.iter().map(|(id, info)| (*id, info))
    }

    /// Add a connection under the next client id, which it returns.
    pub(super) fn add(&mut self, info: ClientInfo) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.clients.insert(id, info);
        id
    }

    /// Replace what the registry shows of connection `id` (if still open).
    pub(super) fn update(&mut self, id: u64, info: &ClientInfo) {
        if let Some(c) = self.clients.get_mut(&id) {
            *c = info.clone();
        }
    }

    pub(super) fn remove(&mut self, id: u64) {
        self.clients.remove(&id);
    }
}

/// Lock the registry; a poisoned lock still holds valid data (every update
/// is a single insert or field write).
pub(super) fn lock(reg: &SharedRegistry) -> std::sync::MutexGuard<'_, Registry> {
    reg.lock().unwrap_or_else(|p| p.into_inner())
}

/// Number of connected clients.
pub fn connected_clients(reg: &SharedRegistry) -> usize {
    lock(reg).len()
}
