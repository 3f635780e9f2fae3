//! The views commands see: a read view (a raw getter + the serving node's
//! clock + the chain modes) and a write view that keeps every encoding in step.

use std::cell::RefCell;

use bytes::Bytes;

use super::chain::{read_string, ChainRead, StrValue};
use super::encoding::{classify, encode_str, encode_ttl, str_key, ttl_key, KeyKind};
use super::raw::{RawGet, RawWrite};
use crate::modes::ChainModes;

/// The read side of the keyspace: a raw getter seen through the chain at the
/// serving node's clock. Keys found expired are remembered so the node can
/// propose their deletion (lazy expiry goes through the log like any write).
pub struct KeyspaceRead<'a, G: RawGet + ?Sized> {
    pub raw: &'a G,
    pub now_ms: u64,
    pub modes: ChainModes,
    expired: RefCell<Vec<Bytes>>,
}

impl<'a, G: RawGet + ?Sized> KeyspaceRead<'a, G> {
    pub fn new(raw: &'a G, now_ms: u64, modes: ChainModes) -> Self {
        KeyspaceRead {
            raw,
            now_ms,
            modes,
            expired: RefCell::new(Vec::new()),
        }
    }

    /// The chain's full answer, with the form it came from.
    pub fn lookup(&self, key: &[u8]) -> ChainRead {
        let r = read_string(self.raw, key, self.now_ms, self.modes);
        if matches!(r, ChainRead::Expired(_)) {
            self.expired.borrow_mut().push(Bytes::copy_from_slice(key));
        }
        r
    }

    /// The live value of `key`, if any.
    pub fn get(&self, key: &[u8]) -> Option<StrValue> {
        self.lookup(key).found()
    }

    pub fn exists(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Keys this view found expired (for lazy deletion).
    pub fn take_expired(&self) -> Vec<Bytes> {
        std::mem::take(&mut self.expired.borrow_mut())
    }

    /// Every live user key in key order, from `from` on, until `f` returns
    /// false. A user key may be stored prefixed, bare or both; each is visited
    /// once, when its value is live through the chain.
    pub fn for_each_key(&self, f: &mut dyn FnMut(&Bytes, &StrValue) -> bool) {
        // User keys come from two raw ranges (bare keys sort among themselves;
        // prefixed keys sit under `!redis|str|`), so collect candidates first.
        let mut candidates: Vec<Bytes> = Vec::new();
        self.raw.raw_scan(b"", &mut |k, _| {
            match classify(k) {
                KeyKind::Str(user) => candidates.push(Bytes::copy_from_slice(user)),
                KeyKind::Bare(user) => candidates.push(Bytes::copy_from_slice(user)),
                KeyKind::Ttl(_) | KeyKind::OtherInternal => {}
            }
            true
        });
        candidates.sort();
        candidates.dedup();
        for key in candidates {
            if let ChainRead::Found(v) = read_string(self.raw, &key, self.now_ms, self.modes) {
                if !f(&key, &v) {
                    break;
                }
            }
        }
    }
}

/// The write side: every write keeps the encodings in step (ENC-1 to ENC-3).
pub struct KeyspaceWrite<'a, W: RawWrite + ?Sized> {
    pub raw: &'a mut W,
    pub now_ms: u64,
    pub modes: ChainModes,
}

impl<'a, W: RawWrite + ?Sized> KeyspaceWrite<'a, W> {
    pub fn new(raw: &'a mut W, now_ms: u64, modes: ChainModes) -> Self {
        KeyspaceWrite { raw, now_ms, modes }
    }

    pub fn lookup(&self, key: &[u8]) -> ChainRead {
        read_string(&*self.raw, key, self.now_ms, self.modes)
    }

    pub fn get(&self, key: &[u8]) -> Option<StrValue> {
        self.lookup(key).found()
    }

    /// SET: the current format under the prefixed key, and the TTL index put
    /// with a TTL or deleted without one. A bare key is left, shadowed.
    pub fn set(&mut self, key: &[u8], value: &[u8], expire_at: Option<u64>) {
        self.raw.raw_put(str_key(key), encode_str(value, expire_at));
        match expire_at {
            Some(at) => self.raw.raw_put(ttl_key(key), encode_ttl(at)),
            None => {
                if self.raw.raw_get(&ttl_key(key)).is_some() {
                    self.raw.raw_delete(ttl_key(key));
                }
            }
        }
    }

    /// DEL: tombstone every form that exists. Returns whether the key was live.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let live = self.get(key).is_some();
        for raw_key in [str_key(key), Bytes::copy_from_slice(key), ttl_key(key)] {
            if self.raw.raw_get(&raw_key).is_some() {
                self.raw.raw_delete(raw_key);
            }
        }
        live
    }

    /// Read-side view over the same raw store (for commands that read many keys).
    pub fn reader(&self) -> KeyspaceRead<'_, W> {
        KeyspaceRead::new(&*self.raw, self.now_ms, self.modes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::strings::chain::Source;

    #[test]
    fn set_then_delete_leaves_nothing_behind() {
        let mut m: BTreeMap<Vec<u8>, Bytes> = BTreeMap::new();
        m.insert(b"k".to_vec(), Bytes::from_static(b"bare"));
        let mut w = KeyspaceWrite::new(&mut m, 10, ChainModes::default());
        w.set(b"k", b"v", Some(100));
        assert_eq!(w.get(b"k").map(|v| v.source), Some(Source::Current));
        w.set(b"k", b"v", None);
        assert!(
            w.raw.raw_get(b"!redis|ttl|k").is_none(),
            "SET without TTL clears the index"
        );
        assert!(w.delete(b"k"));
        assert!(m.is_empty(), "DEL tombstones every form: {m:?}");
    }

    #[test]
    fn keys_are_listed_once_across_forms() {
        let mut m: BTreeMap<Vec<u8>, Bytes> = BTreeMap::new();
        m.insert(b"a".to_vec(), Bytes::from_static(b"bare"));
        m.insert(b"!redis|str|a".to_vec(), encode_str(b"new", None));
        m.insert(b"b".to_vec(), Bytes::from_static(b"bare"));
        m.insert(b"!redis|str|c".to_vec(), encode_str(b"gone", Some(5)));
        let r = KeyspaceRead::new(&m, 10, ChainModes::default());
        let mut seen = vec![];
        r.for_each_key(&mut |k, _| {
            seen.push(k.clone());
            true
        });
        assert_eq!(
            seen,
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
        );
    }
}
