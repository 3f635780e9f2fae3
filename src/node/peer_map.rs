//! Per-peer values and sets of peers, for a cluster's handful of nodes: a
//! flat `Vec` sorted by id.
//!
//! The leader's `next_index`, `match_index` and `round_acks` and a
//! candidate's votes were `im::OrdMap`s and a `BTreeSet`. A persistent map
//! buys nothing at this size, and its hash is expensive (each hash builds an
//! iterator that allocates two paths): the model hashes a node's state on
//! every step. Lookups are a binary search over the peers, as cheap as the
//! tree's for any cluster size; equality, order and hash follow the entries
//! in id order, as the maps' did.

use stateright::actor::Id;

/// A value per peer, in id order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PeerMap<V>(Vec<(Id, V)>);

impl<V> Default for PeerMap<V> {
    fn default() -> Self {
        PeerMap(Vec::new())
    }
}

impl<V> PeerMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, peer: &Id) -> Option<&V> {
        self.0
            .binary_search_by_key(peer, |(p, _)| *p)
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// Set `peer`'s value, returning the one it replaces.
    pub fn insert(&mut self, peer: Id, value: V) -> Option<V> {
        match self.0.binary_search_by_key(&peer, |(p, _)| *p) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (peer, value));
                None
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Id, &V)> {
        self.0.iter().map(|(p, v)| (p, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Clone> PeerMap<V> {
    /// The same values under renamed peers, back in id order.
    pub fn relabeled(&self, relabel: &impl Fn(Id) -> Id) -> Self {
        let mut entries: Vec<_> = self
            .0
            .iter()
            .map(|(p, v)| (relabel(*p), v.clone()))
            .collect();
        entries.sort_by_key(|(p, _)| *p);
        PeerMap(entries)
    }
}

impl<V> FromIterator<(Id, V)> for PeerMap<V> {
    /// Later values for the same peer replace earlier ones, as in a map.
    fn from_iter<I: IntoIterator<Item = (Id, V)>>(iter: I) -> Self {
        let mut map = PeerMap::new();
        for (p, v) in iter {
            map.insert(p, v);
        }
        map
    }
}

/// A set of peers, in id order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PeerSet(Vec<Id>);

impl PeerSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `peer`; false if it was already there.
    pub fn insert(&mut self, peer: Id) -> bool {
        match self.0.binary_search(&peer) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, peer);
                true
            }
        }
    }

    pub fn contains(&self, peer: &Id) -> bool {
        self.0.binary_search(peer).is_ok()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Id> {
        self.0.iter()
    }

    /// The renamed peers, back in id order.
    pub fn relabeled(&self, relabel: &impl Fn(Id) -> Id) -> Self {
        let mut peers: Vec<_> = self.0.iter().map(|p| relabel(*p)).collect();
        peers.sort();
        PeerSet(peers)
    }
}

impl<const N: usize> From<[Id; N]> for PeerSet {
    fn from(peers: [Id; N]) -> Self {
        peers.into_iter().collect()
    }
}

impl FromIterator<Id> for PeerSet {
    fn from_iter<I: IntoIterator<Item = Id>>(iter: I) -> Self {
        let mut set = PeerSet::new();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_map_keeps_id_order_and_the_last_value() {
        let mut m: PeerMap<u64> = [(Id::from(2), 5), (Id::from(0), 1), (Id::from(2), 7)]
            .into_iter()
            .collect();
        assert_eq!(m.insert(Id::from(1), 3), None);
        assert_eq!(m.insert(Id::from(1), 4), Some(3));
        let entries: Vec<_> = m.iter().map(|(p, v)| (usize::from(*p), *v)).collect();
        assert_eq!(entries, [(0, 1), (1, 4), (2, 7)]);
        assert_eq!(m.get(&Id::from(2)), Some(&7));
        assert_eq!(m.get(&Id::from(9)), None);
    }

    #[test]
    fn a_peer_set_counts_each_peer_once() {
        let mut s = PeerSet::from([Id::from(4)]);
        assert!(s.insert(Id::from(1)));
        assert!(!s.insert(Id::from(4)));
        assert_eq!(s.len(), 2);
        assert!(s.contains(&Id::from(1)));
        s.clear();
        assert!(s.is_empty());
    }
}
