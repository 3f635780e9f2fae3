//! The versioned store: every key holds its versions by commit timestamp.
//!
//! Built on `im::OrdMap`, so [`Mvcc::snapshot`] is an O(1) clone that later
//! writes never disturb — the property scripts rely on to read at `start_ts`
//! with no further leader checks. A commit timestamp is the log index of the
//! entry that wrote it (MV-1), so timestamps only grow.
//!
//! Garbage collection is incremental: each write prunes that key's versions
//! below the *GC floor*, the oldest pinned read timestamp (or, with no pins,
//! the newest timestamp). A reader pins its `start_ts` for as long as it needs
//! the versions below newer writes; OCC validation relies on the same pins to
//! keep the tombstones it must see.

use bytes::Bytes;
use im::OrdMap;
use serde::{Deserialize, Serialize};

/// A commit timestamp: the log index of the entry that wrote the version.
pub type Ts = u64;

/// One key's versions, oldest first; `None` is a tombstone. Usually one entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Versions(Vec<(Ts, Option<Bytes>)>);

impl Versions {
    /// The newest version at or below `ts` (`Some(None)` for a tombstone).
    fn at(&self, ts: Ts) -> Option<&Option<Bytes>> {
        let i = self.0.partition_point(|(t, _)| *t <= ts);
        i.checked_sub(1).map(|i| &self.0[i].1)
    }

    fn latest_ts(&self) -> Option<Ts> {
        self.0.last().map(|(t, _)| *t)
    }

    /// Drop versions that no reader at or above `floor` can see: everything
    /// older than the newest version at or below `floor`.
    fn prune(&mut self, floor: Ts) {
        let i = self.0.partition_point(|(t, _)| *t <= floor);
        if i > 1 {
            self.0.drain(..i - 1);
        }
    }

    /// A key whose only version is a tombstone at or below the floor is gone
    /// for every reader; it can leave the map once it is also below the
    /// validation horizon, where no commit asks for its timestamp any more.
    fn is_dead(&self, floor: Ts, horizon: Ts) -> bool {
        matches!(self.0.as_slice(), [(t, None)] if *t <= floor && *t < horizon)
    }

    fn newest_is_tombstone(&self) -> bool {
        matches!(self.0.last(), Some((_, None)))
    }
}

/// How far back, in log entries, a script's commit can be validated. A
/// commit whose `start_ts` is older than this many entries is refused as a
/// conflict, so tombstones older than that may be dropped — by each replica
/// at its own pace, since no validation can see the difference. That is
/// what keeps validation a function of the log alone (SC-3).
pub const VALIDATION_WINDOW: Ts = 100_000;

/// Raw keys a reader scanned: from `from` up to and including `to` (`None`:
/// to the end of the keyspace). A script's commit validates each range it
/// scanned as well as each key it read, so a key inserted into, or removed
/// from, a range it saw makes it conflict (no phantoms).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyRange {
    pub from: Bytes,
    pub to: Option<Bytes>,
}

/// The versioned store. `Clone` is O(1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Mvcc {
    keys: OrdMap<Bytes, Versions>,
    /// Pinned read timestamps with their reader counts.
    pins: OrdMap<Ts, u32>,
    /// The newest commit timestamp written.
    last_ts: Ts,
}

/// A read-only view of the store at one timestamp. `Clone` is O(1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Snapshot {
    keys: OrdMap<Bytes, Versions>,
    ts: Ts,
}

/// A reader's hold on the versions at `ts`, taken by [`Mvcc::pin`] and
/// given back, once, by [`Mvcc::unpin`]. Not `Copy`, so a pin is released
/// by whoever holds it; `Clone` only so a node's whole state (store and
/// pins together) can be cloned.
#[must_use = "a pin is released with Mvcc::unpin"]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReadPin {
    ts: Ts,
}

impl ReadPin {
    /// The pinned timestamp.
    pub fn ts(&self) -> Ts {
        self.ts
    }
}

impl Mvcc {
    pub fn new() -> Self {
        Self::default()
    }

    /// The newest commit timestamp written (0 for an empty store).
    pub fn last_ts(&self) -> Ts {
        self.last_ts
    }

    /// The oldest timestamp a reader may still ask for.
    pub fn gc_floor(&self) -> Ts {
        self.pins.get_min().map(|(t, _)| *t).unwrap_or(self.last_ts)
    }

    /// Tombstones below this timestamp may be dropped; commits validated at
    /// `last_ts` with a `start_ts` below it are refused.
    pub fn validation_horizon(&self) -> Ts {
        self.last_ts.saturating_sub(VALIDATION_WINDOW)
    }

    /// Write `value` (or a tombstone for `None`) at `ts`. Timestamps never go
    /// back: a write at a `ts` equal to the key's newest replaces it (one log
    /// entry writing a key twice keeps the last write).
    pub fn write(&mut self, key: Bytes, ts: Ts, value: Option<Bytes>) {
        debug_assert!(ts >= self.last_ts, "commit timestamps only grow");
        self.last_ts = self.last_ts.max(ts);
        let floor = self.gc_floor();
        let horizon = self.validation_horizon();
        let versions = self.keys.entry(key.clone()).or_default();
        match versions.0.last_mut() {
            Some((t, v)) if *t == ts => *v = value,
            _ => versions.0.push((ts, value)),
        }
        versions.prune(floor);
        if versions.is_dead(floor, horizon) {
            self.keys.remove(&key);
        }
    }

    pub fn put(&mut self, key: Bytes, ts: Ts, value: Bytes) {
        self.write(key, ts, Some(value));
    }

    /// Delete `key` at `ts`. Deleting a key that is already absent writes
    /// nothing: no reader can tell, and a replica that dropped the old
    /// tombstone must answer `latest_ts` the same as one that kept it.
    pub fn tombstone(&mut self, key: Bytes, ts: Ts) {
        if self
            .keys
            .get(&key)
            .is_some_and(|v| !v.newest_is_tombstone())
        {
            self.write(key, ts, None);
        }
    }

    /// The value of `key` as of `ts`.
    pub fn get_at(&self, key: &[u8], ts: Ts) -> Option<&Bytes> {
        self.keys.get(key)?.at(ts)?.as_ref()
    }

    /// The value of `key` as of the newest write.
    pub fn get(&self, key: &[u8]) -> Option<&Bytes> {
        self.get_at(key, Ts::MAX)
    }

    /// The commit timestamp of the newest version of `key`, tombstones
    /// included — what OCC validation compares against `start_ts`.
    pub fn latest_ts(&self, key: &[u8]) -> Option<Ts> {
        self.keys.get(key).and_then(Versions::latest_ts)
    }

    /// Whether any key in `range` has a version (tombstones included) newer
    /// than `after`: what a scanned range's validation asks. O(1) when
    /// nothing at all was written since; else O(keys in the range).
    pub fn changed_in(&self, range: &KeyRange, after: Ts) -> bool {
        // An empty range (a corrupt entry could carry `to` < `from`) holds
        // nothing to change, and must not reach `range`, which would panic.
        if self.last_ts <= after || range.to.as_ref().is_some_and(|to| *to < range.from) {
            return false;
        }
        let upper = match &range.to {
            Some(to) => std::ops::Bound::Included(&to[..]),
            None => std::ops::Bound::Unbounded,
        };
        self.keys
            .range::<_, [u8]>((std::ops::Bound::Included(&range.from[..]), upper))
            .any(|(_, v)| v.latest_ts().is_some_and(|t| t > after))
    }

    /// Whether any key that starts with `prefix` has a version newer than
    /// `after` (a watched collection's elements).
    pub fn changed_under(&self, prefix: &[u8], after: Ts) -> bool {
        if self.last_ts <= after {
            return false;
        }
        self.keys
            .range::<_, [u8]>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(prefix))
            .any(|(_, v)| v.latest_ts().is_some_and(|t| t > after))
    }

    /// An O(1) read-only view at `ts`.
    pub fn snapshot(&self, ts: Ts) -> Snapshot {
        Snapshot {
            keys: self.keys.clone(),
            ts,
        }
    }

    /// Keep the versions a reader at `ts` needs until the pin is given back
    /// with [`Mvcc::unpin`]. `ts` must be at or above the GC floor (a reader
    /// pins the watermark it reads at, `last_ts()` or the applied index):
    /// versions below the floor may already be gone.
    pub fn pin(&mut self, ts: Ts) -> ReadPin {
        debug_assert!(ts >= self.gc_floor(), "pinning below the GC floor");
        *self.pins.entry(ts).or_insert(0) += 1;
        ReadPin { ts }
    }

    pub fn unpin(&mut self, pin: ReadPin) {
        let ts = pin.ts;
        if let Some(n) = self.pins.get_mut(&ts) {
            *n -= 1;
            if *n == 0 {
                self.pins.remove(&ts);
            }
        }
    }

    /// Prune every key down to the current floor (writes already prune the
    /// keys they touch; this catches keys that were only read while pinned).
    pub fn gc(&mut self) {
        let floor = self.gc_floor();
        let horizon = self.validation_horizon();
        let keys = std::mem::take(&mut self.keys);
        self.keys = keys
            .into_iter()
            .filter_map(|(k, mut v)| {
                v.prune(floor);
                (!v.is_dead(floor, horizon)).then_some((k, v))
            })
            .collect();
    }

    /// Each key's newest version with its timestamp, tombstones within the
    /// validation window included: what a Raft snapshot must carry so a
    /// replica restored from it validates commits exactly as one that
    /// applied the log.
    pub fn export(&self) -> OrdMap<Bytes, (Ts, Option<Bytes>)> {
        let horizon = self.validation_horizon();
        self.keys
            .iter()
            .filter_map(|(k, v)| {
                let (t, value) = v.0.last()?;
                (value.is_some() || *t >= horizon).then(|| (k.clone(), (*t, value.clone())))
            })
            .collect()
    }

    /// The store [`Mvcc::export`] describes. Its `last_ts` is the newest
    /// version's: a replica that applied the log may have a newer one only
    /// from a tombstone it since dropped, below every validation horizon.
    pub fn import(data: &OrdMap<Bytes, (Ts, Option<Bytes>)>) -> Mvcc {
        let last_ts = data.values().map(|(t, _)| *t).max().unwrap_or(0);
        Mvcc {
            keys: data
                .iter()
                .map(|(k, (t, v))| (k.clone(), Versions(vec![(*t, v.clone())])))
                .collect(),
            pins: OrdMap::new(),
            last_ts,
        }
    }

    /// Live `(key, value)` pairs as of `ts`, in key order, starting at `from`.
    pub fn iter_at<'a>(
        &'a self,
        ts: Ts,
        from: &'a [u8],
    ) -> impl Iterator<Item = (&'a Bytes, &'a Bytes)> + 'a {
        iter_live(&self.keys, ts, from)
    }

    /// How many keys hold any version (live or not); a measure of memory use.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

fn iter_live<'a>(
    keys: &'a OrdMap<Bytes, Versions>,
    ts: Ts,
    from: &'a [u8],
) -> impl Iterator<Item = (&'a Bytes, &'a Bytes)> + 'a {
    keys.range::<_, [u8]>((std::ops::Bound::Included(from), std::ops::Bound::Unbounded))
        .filter_map(move |(k, v)| v.at(ts).and_then(|v| v.as_ref()).map(|v| (k, v)))
}

impl Snapshot {
    pub fn ts(&self) -> Ts {
        self.ts
    }

    pub fn get(&self, key: &[u8]) -> Option<&Bytes> {
        self.keys.get(key)?.at(self.ts)?.as_ref()
    }

    pub fn iter<'a>(&'a self, from: &'a [u8]) -> impl Iterator<Item = (&'a Bytes, &'a Bytes)> + 'a {
        iter_live(&self.keys, self.ts, from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{quickcheck, Arbitrary, Gen};

    /// One write in a generated history: a small key space so keys collide.
    #[derive(Clone, Debug)]
    struct W {
        key: u8,
        value: Option<u8>,
        /// Advance the clock by this much before writing (0 = same entry).
        gap: u8,
        /// Pin/unpin the current timestamp before the write.
        pin: bool,
    }

    impl Arbitrary for W {
        fn arbitrary(g: &mut Gen) -> Self {
            W {
                key: u8::arbitrary(g) % 4,
                value: Option::<u8>::arbitrary(g),
                gap: u8::arbitrary(g) % 3,
                pin: bool::arbitrary(g),
            }
        }
    }

    fn key(k: u8) -> Bytes {
        Bytes::from(vec![b'k', k])
    }

    /// The naive model: the full list of writes; a read at `ts` takes the last
    /// write to the key at or below `ts`.
    fn naive_get(log: &[(Ts, u8, Option<u8>)], k: u8, ts: Ts) -> Option<u8> {
        log.iter()
            .rfind(|(t, key, _)| *key == k && *t <= ts)
            .and_then(|(_, _, v)| *v)
    }

    quickcheck! {
        /// Every snapshot read at every pinned timestamp (and the newest) agrees
        /// with the list-of-writes model, whatever GC has pruned.
        fn snapshot_reads_agree_with_list_of_writes(ws: Vec<W>) -> bool {
            let mut store = Mvcc::new();
            let mut log = vec![];
            let mut ts: Ts = 1;
            let mut pinned = vec![];
            let mut snaps = vec![];
            for w in &ws {
                if w.pin {
                    // A reader pins the watermark it reads at.
                    let at = store.last_ts();
                    pinned.push(store.pin(at));
                    snaps.push(store.snapshot(at));
                    // Later writes belong to later log entries.
                    ts = ts.max(at + 1);
                }
                ts += w.gap as Ts;
                store.write(key(w.key), ts, w.value.map(|v| Bytes::from(vec![v])));
                log.push((ts, w.key, w.value));
                if pinned.len() > 3 {
                    let old = pinned.remove(0);
                    store.unpin(old);
                }
            }
            store.gc();
            let mut ok = true;
            let reads: Vec<Ts> = pinned.iter().map(ReadPin::ts).collect();
            for &p in reads.iter().chain(std::iter::once(&ts)) {
                for k in 0..4 {
                    let got = store.get_at(&key(k), p).map(|b| b[0]);
                    ok &= got == naive_get(&log, k, p);
                }
            }
            // Snapshots taken earlier are unaffected by every later write and GC.
            for s in &snaps {
                for k in 0..4 {
                    ok &= s.get(&key(k)).map(|b| b[0]) == naive_get(&log, k, s.ts());
                }
            }
            ok
        }

        /// `latest_ts` sees every write, tombstones included, while a reader at
        /// or below it is pinned.
        fn latest_ts_sees_tombstones_under_pins(ws: Vec<W>) -> bool {
            let mut store = Mvcc::new();
            let _reader = store.pin(0);
            let mut ts: Ts = 1;
            let mut last = [None; 4];
            for w in &ws {
                ts += w.gap as Ts;
                // Deleting an absent key writes nothing.
                let live = store.get(&key(w.key)).is_some();
                if w.value.is_none() && !live { continue; }
                store.write(key(w.key), ts, w.value.map(|v| Bytes::from(vec![v])));
                last[w.key as usize] = Some(ts);
            }
            (0..4).all(|k| store.latest_ts(&key(k)) == last[k as usize])
        }
    }

    quickcheck! {
        /// A store rebuilt from its export reads and validates like the
        /// original: the same newest values and the same `latest_ts`.
        fn export_import_keeps_reads_and_latest_ts(ws: Vec<W>) -> bool {
            let mut store = Mvcc::new();
            let mut ts: Ts = 1;
            for w in &ws {
                ts += w.gap as Ts;
                store.write(key(w.key), ts, w.value.map(|v| Bytes::from(vec![v])));
            }
            let copy = Mvcc::import(&store.export());
            (0..4).all(|k| {
                store.get(&key(k)) == copy.get(&key(k))
                    && store.latest_ts(&key(k)) == copy.latest_ts(&key(k))
            })
        }
    }

    #[test]
    fn a_range_changed_when_a_key_inside_it_has_a_newer_version() {
        let mut m = Mvcc::new();
        let b = |s: &'static str| Bytes::from_static(s.as_bytes());
        m.put(b("a"), 1, b("1"));
        m.put(b("c"), 2, b("1"));
        m.put(b("e"), 2, b("1"));
        m.tombstone(b("e"), 3);
        let range = |from, to: Option<&'static str>| KeyRange {
            from: b(from),
            to: to.map(b),
        };
        assert!(!m.changed_in(&range("a", None), 3), "nothing after 3");
        assert!(
            m.changed_in(&range("b", Some("c")), 1),
            "c at 2, the end included"
        );
        assert!(
            !m.changed_in(&range("b", Some("bz")), 1),
            "nothing in b..bz"
        );
        assert!(m.changed_in(&range("d", None), 2), "a tombstone counts");
        assert!(!m.changed_in(&range("z", Some("a")), 0), "an empty range");
    }

    #[test]
    fn without_pins_only_the_live_version_is_kept() {
        let mut s = Mvcc::new();
        s.put(key(1), 1, Bytes::from_static(b"a"));
        s.put(key(1), 2, Bytes::from_static(b"b"));
        s.tombstone(key(2), 3);
        assert_eq!(s.keys.get(&key(1)).map(|v| v.0.len()), Some(1));
        s.tombstone(key(1), 4);
        assert_eq!(
            s.latest_ts(&key(1)),
            Some(4),
            "a tombstone inside the validation window stays"
        );
        s.put(key(3), VALIDATION_WINDOW + 10, Bytes::from_static(b"c"));
        s.gc();
        assert_eq!(
            s.key_count(),
            1,
            "a tombstone below the floor and the horizon leaves the map"
        );
    }

    #[test]
    fn a_pin_keeps_the_version_its_reader_needs() {
        let mut s = Mvcc::new();
        s.put(key(1), 1, Bytes::from_static(b"a"));
        let pin = s.pin(1);
        s.put(key(1), 2, Bytes::from_static(b"b"));
        s.tombstone(key(1), 3);
        assert_eq!(s.get_at(&key(1), 1).map(|b| &b[..]), Some(&b"a"[..]));
        assert_eq!(s.get(&key(1)), None);
        assert_eq!(s.latest_ts(&key(1)), Some(3));
        s.unpin(pin);
        s.gc();
        assert_eq!(s.keys.get(&key(1)).map(|v| v.0.len()), Some(1));
    }
}
