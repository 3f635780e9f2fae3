//! Raw access to internal keys: the one parameter of the read chain and of
//! the keyspace views, and the stores that provide it (an MVCC snapshot, the
//! store as an entry applies, a plain map for tests and the model's data).
//! Its own module so strings, collections and the views all depend on it
//! and not on each other.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::mvcc::{Mvcc, Snapshot, Ts};

/// Raw access to internal keys: the one parameter of the read chain.
pub trait RawGet {
    fn raw_get(&self, key: &[u8]) -> Option<Bytes>;
    /// Visit live raw keys in key order from `from`, until `f` returns false.
    fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool);
}

/// Raw writes. Implementations decide the timestamp (the applying entry's
/// index) or buffer the write (a script).
pub trait RawWrite: RawGet {
    fn raw_put(&mut self, key: Bytes, value: Bytes);
    fn raw_delete(&mut self, key: Bytes);
}

impl RawGet for Snapshot {
    fn raw_get(&self, key: &[u8]) -> Option<Bytes> {
        self.get(key).cloned()
    }
    fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
        for (k, v) in self.iter(from) {
            if !f(k, v) {
                break;
            }
        }
    }
}

/// A plain map as a raw store: tests and the model's initial data.
impl RawGet for BTreeMap<Vec<u8>, Bytes> {
    fn raw_get(&self, key: &[u8]) -> Option<Bytes> {
        self.get(key).cloned()
    }
    fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
        for (k, v) in self.range(from.to_vec()..) {
            if !f(&Bytes::copy_from_slice(k), v) {
                break;
            }
        }
    }
}

impl RawWrite for BTreeMap<Vec<u8>, Bytes> {
    fn raw_put(&mut self, key: Bytes, value: Bytes) {
        self.insert(key.to_vec(), value);
    }
    fn raw_delete(&mut self, key: Bytes) {
        self.remove(&key[..]);
    }
}

/// Writes into the store at one commit timestamp: how a log entry applies.
/// Reads see the newest versions, the entry's own earlier writes included.
pub struct ApplyAt<'a> {
    pub store: &'a mut Mvcc,
    pub ts: Ts,
}

/// The store's newest versions.
impl RawGet for Mvcc {
    fn raw_get(&self, key: &[u8]) -> Option<Bytes> {
        self.get(key).cloned()
    }
    fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
        for (k, v) in self.iter_at(Ts::MAX, from) {
            if !f(k, v) {
                break;
            }
        }
    }
}

impl RawGet for ApplyAt<'_> {
    fn raw_get(&self, key: &[u8]) -> Option<Bytes> {
        self.store.raw_get(key)
    }
    fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
        self.store.raw_scan(from, f)
    }
}

impl RawWrite for ApplyAt<'_> {
    fn raw_put(&mut self, key: Bytes, value: Bytes) {
        self.store.put(key, self.ts, value);
    }
    fn raw_delete(&mut self, key: Bytes) {
        self.store.tombstone(key, self.ts);
    }
}

/// The store's newest versions, with writes dropped: what a command would
/// do now, without doing it (the leader's check before it proposes a
/// parked blocking pop again).
pub struct DryRun<'a> {
    pub store: &'a Mvcc,
}

impl RawGet for DryRun<'_> {
    fn raw_get(&self, key: &[u8]) -> Option<Bytes> {
        self.store.raw_get(key)
    }
    fn raw_scan(&self, from: &[u8], f: &mut dyn FnMut(&Bytes, &Bytes) -> bool) {
        self.store.raw_scan(from, f)
    }
}

impl RawWrite for DryRun<'_> {
    fn raw_put(&mut self, _key: Bytes, _value: Bytes) {}
    fn raw_delete(&mut self, _key: Bytes) {}
}
