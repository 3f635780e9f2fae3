//! The views commands see: a read view (a raw getter + the serving node's
//! clock + the chain modes) and a write view that keeps every encoding in step.

use std::cell::RefCell;

use bytes::Bytes;

use super::chain::{read_string, ChainRead, StrValue};
use super::encoding::{classify, encode_str, encode_ttl, str_key, ttl_key, KeyKind};
use crate::collections::encoding::{meta_user_key, META_PREFIX};
use crate::collections::{self, Kind, Meta, MetaRead, WrongType};
use crate::modes::ChainModes;
use crate::raw::{RawGet, RawWrite};

/// A key's type, as TYPE names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    String,
    Collection(Kind),
}

impl KeyType {
    pub fn name(self) -> &'static str {
        match self {
            KeyType::String => "string",
            KeyType::Collection(k) => k.name(),
        }
    }
}

/// What a live key is: its type and expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub kind: KeyType,
    pub expire_at: Option<u64>,
}

/// A live key's value, of whatever type: what COPY and RENAME move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    String(StrValue),
    Collection(Meta),
}

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

    /// The live string value of `key`, if any (`None` for a collection:
    /// MGET's view; a command that must refuse one uses [`Self::get_str`]).
    pub fn get(&self, key: &[u8]) -> Option<StrValue> {
        self.lookup(key).found()
    }

    /// `key`'s collection meta, through its expiry (an expired one is
    /// remembered for lazy deletion, like an expired string).
    pub fn meta(&self, key: &[u8]) -> Option<Meta> {
        match collections::read_meta(self.raw, key, self.now_ms) {
            MetaRead::Live(m) => Some(m),
            MetaRead::Expired(_) => {
                self.expired.borrow_mut().push(Bytes::copy_from_slice(key));
                None
            }
            MetaRead::Absent => None,
        }
    }

    /// The live string under `key`; [`WrongType`] if it holds a collection.
    pub fn get_str(&self, key: &[u8]) -> Result<Option<StrValue>, WrongType> {
        match self.get(key) {
            Some(v) => Ok(Some(v)),
            None if self.meta(key).is_some() => Err(WrongType),
            None => Ok(None),
        }
    }

    /// The live collection of `kind` under `key`; [`WrongType`] if it holds
    /// a string or a collection of another kind.
    pub fn collection(&self, key: &[u8], kind: Kind) -> Result<Option<Meta>, WrongType> {
        if self.get(key).is_some() {
            return Err(WrongType);
        }
        match self.meta(key) {
            Some(m) if m.kind == kind => Ok(Some(m)),
            Some(_) => Err(WrongType),
            None => Ok(None),
        }
    }

    /// The live value under `key`, of any type.
    pub fn stored(&self, key: &[u8]) -> Option<Stored> {
        match self.get(key) {
            Some(v) => Some(Stored::String(v)),
            None => self.meta(key).map(Stored::Collection),
        }
    }

    /// `key`'s type and expiry, if it is live.
    pub fn info(&self, key: &[u8]) -> Option<KeyInfo> {
        self.stored(key).map(|s| info_of(&s))
    }

    pub fn exists(&self, key: &[u8]) -> bool {
        self.info(key).is_some()
    }

    /// Keys this view found expired (for lazy deletion).
    pub fn take_expired(&self) -> Vec<Bytes> {
        std::mem::take(&mut self.expired.borrow_mut())
    }

    /// Every live user key in key order, until `f` returns false. A string
    /// may be stored prefixed, bare or both, a collection under its meta
    /// key; each key is visited once, when it is live. Element keys are
    /// never read: a big collection costs one key here.
    pub fn for_each_key(&self, f: &mut dyn FnMut(&Bytes, &KeyInfo) -> bool) {
        // User keys come from three raw ranges (bare keys sort outside
        // `!redis|`; prefixed strings and metas inside it), so collect
        // candidates first.
        let mut candidates: Vec<Bytes> = Vec::new();
        let mut collect = |from: &[u8], within: Option<&[u8]>| {
            self.raw.raw_scan(from, &mut |k, _| {
                if within.is_some_and(|p| !k.starts_with(p)) {
                    return false;
                }
                match classify(k) {
                    KeyKind::Str(user) | KeyKind::Bare(user) => {
                        candidates.push(Bytes::copy_from_slice(user))
                    }
                    KeyKind::Ttl(_) | KeyKind::OtherInternal => {
                        if let Some(user) = meta_user_key(k) {
                            candidates.push(Bytes::copy_from_slice(user));
                        }
                    }
                }
                // Bare keys before `!redis|`: stop at the internal range.
                within.is_some() || !k.starts_with(super::encoding::INTERNAL_PREFIX)
            })
        };
        collect(b"", None);
        collect(
            super::encoding::STR_PREFIX,
            Some(super::encoding::STR_PREFIX),
        );
        collect(META_PREFIX, Some(META_PREFIX));
        // Bare keys after the internal range (`!redis}` and above).
        collect(b"!redis}", None);
        candidates.sort();
        candidates.dedup();
        for key in candidates {
            if let Some(info) = self.info(&key) {
                if !f(&key, &info) {
                    break;
                }
            }
        }
    }
}

fn info_of(s: &Stored) -> KeyInfo {
    match s {
        Stored::String(v) => KeyInfo {
            kind: KeyType::String,
            expire_at: v.expire_at,
        },
        Stored::Collection(m) => KeyInfo {
            kind: KeyType::Collection(m.kind),
            expire_at: m.expire_at,
        },
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

    /// [`KeyspaceRead::get_str`] over the same store.
    pub fn get_str(&self, key: &[u8]) -> Result<Option<StrValue>, WrongType> {
        self.reader().get_str(key)
    }

    /// SET: the current format under the prefixed key, and the TTL index put
    /// with a TTL or deleted without one. A bare key is left, shadowed; a
    /// collection of the same name is removed (a key has one type).
    pub fn set(&mut self, key: &[u8], value: &[u8], expire_at: Option<u64>) {
        collections::remove(self.raw, key);
        self.raw.raw_put(str_key(key), encode_str(value, expire_at));
        self.index_ttl(key, expire_at);
    }

    /// DEL: tombstone every form that exists, a collection's every element
    /// included. Returns whether the key was live.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let live = self.reader().exists(key);
        for raw_key in [str_key(key), Bytes::copy_from_slice(key), ttl_key(key)] {
            if self.raw.raw_get(&raw_key).is_some() {
                self.raw.raw_delete(raw_key);
            }
        }
        collections::remove(self.raw, key);
        live
    }

    /// Whether `key` is there but expired in every form it has (what an
    /// `Expire` entry checks before it deletes).
    pub fn is_expired(&self, key: &[u8]) -> bool {
        let r = self.reader();
        match r.lookup(key) {
            ChainRead::Found(_) => false,
            ChainRead::Expired(_) => r.meta(key).is_none(),
            ChainRead::Absent => matches!(
                collections::read_meta(&*self.raw, key, self.now_ms),
                MetaRead::Expired(_)
            ),
        }
    }

    /// Give the live `key` a new expiry (`None`: none); whether it is live.
    pub fn set_expire(&mut self, key: &[u8], expire_at: Option<u64>) -> bool {
        match self.reader().stored(key) {
            Some(Stored::String(v)) => self.set(key, &v.value, expire_at),
            Some(Stored::Collection(m)) => self.write_meta(key, &Meta { expire_at, ..m }),
            None => return false,
        }
        true
    }

    /// Write a copy of `value` (read from `src`) under `dst`, whose every
    /// form must already be gone; `expire_at` replaces the value's expiry.
    pub fn put_copy(&mut self, src: &[u8], dst: &[u8], value: &Stored, expire_at: Option<u64>) {
        match value {
            Stored::String(v) => self.set(dst, &v.value, expire_at),
            Stored::Collection(m) => {
                collections::copy(self.raw, src, dst, m, expire_at);
                self.index_ttl(dst, expire_at);
            }
        }
    }

    /// `key`'s live collection of `kind`, to change and store back with
    /// [`Self::write_meta`]. When the key is not live, a new empty one, with
    /// every dead form of the key (an expired string or collection, its TTL
    /// entry) removed first; [`WrongType`] if it holds a string or another
    /// kind.
    pub fn open(&mut self, key: &[u8], kind: Kind) -> Result<Meta, WrongType> {
        match self.reader().collection(key, kind)? {
            Some(meta) => Ok(meta),
            None => {
                self.delete(key);
                Ok(Meta::new(kind))
            }
        }
    }

    /// Store a collection's meta after a change (an empty one goes), with
    /// the TTL index in step, as SET keeps it for strings.
    pub fn write_meta(&mut self, key: &[u8], meta: &Meta) {
        collections::write_meta(self.raw, key, meta);
        self.index_ttl(key, meta.expire_at.filter(|_| meta.len > 0));
    }

    fn index_ttl(&mut self, key: &[u8], expire_at: Option<u64>) {
        match expire_at {
            Some(at) => self.raw.raw_put(ttl_key(key), encode_ttl(at)),
            None => {
                if self.raw.raw_get(&ttl_key(key)).is_some() {
                    self.raw.raw_delete(ttl_key(key));
                }
            }
        }
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
    fn opening_a_dead_key_clears_its_old_forms() {
        let mut m: BTreeMap<Vec<u8>, Bytes> = BTreeMap::new();
        let mut w = KeyspaceWrite::new(&mut m, 10, ChainModes::default());
        w.set(b"k", b"old", Some(5));
        assert_eq!(w.open(b"k", Kind::List), Ok(Meta::new(Kind::List)));
        assert!(w.raw.is_empty(), "{:?}", w.raw);
        w.set(b"s", b"live", None);
        assert_eq!(w.open(b"s", Kind::Hash), Err(WrongType));
        let meta = Meta {
            len: 1,
            ..Meta::new(Kind::Set)
        };
        w.write_meta(b"c", &meta);
        assert_eq!(w.open(b"c", Kind::Set), Ok(meta));
        assert_eq!(w.open(b"c", Kind::ZSet), Err(WrongType));
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
