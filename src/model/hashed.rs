//! A value that carries its own hash, computed once when it is made.
//!
//! stateright fingerprints every state it generates by hashing all of it:
//! every actor's state, the history, the network. A step changes one actor,
//! so rehashing the other nodes is wasted work (it was two thirds of the
//! hashing on `base.toml`, a fifth of the checker's time). An actor state or
//! history held in a [`Hashed`] feeds only its stored 64-bit hash into the
//! fingerprint.
//!
//! Sound in the same sense as fingerprinting itself: two values with equal
//! contents have equal hashes (the hash is a function of the contents, fixed
//! seeds), and distinct values collide with probability about 2⁻⁶⁴ per pair,
//! as whole states already do. There is no `DerefMut`: the only way to a
//! changed value is [`Hashed::new`], so the hash can never go stale.

use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Seeds of our own (not stateright's): the stored hash is fed into
/// stateright's hasher, and need not be correlated with it.
const SEEDS: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

#[derive(Clone, Debug)]
pub struct Hashed<T> {
    value: T,
    hash: u64,
    /// A second hash a user of the value may want, computed on first use
    /// and kept with it (the symmetry reduction's name-blind hash). Not
    /// part of the value: equality and the hash ignore it.
    side: std::sync::OnceLock<u64>,
}

impl<T: Hash> Hashed<T> {
    pub fn new(value: T) -> Self {
        let hash = hash_of(&value);
        Hashed {
            value,
            hash,
            side: std::sync::OnceLock::new(),
        }
    }
}

/// A value's 64-bit hash with our fixed seeds: the same on every run.
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = seeded_hasher();
    value.hash(&mut h);
    h.finish()
}

/// A hasher with our fixed seeds.
pub fn seeded_hasher() -> ahash::AHasher {
    use std::hash::BuildHasher;
    let [a, b, c, d] = SEEDS;
    ahash::RandomState::with_seeds(a, b, c, d).build_hasher()
}

impl<T> Hashed<T> {
    /// The stored hash.
    pub fn hash_value(&self) -> u64 {
        self.hash
    }

    /// The side hash, computed by `f` the first time it is asked for. Every
    /// caller must pass the same `f`.
    pub fn side_hash(&self, f: impl FnOnce(&T) -> u64) -> u64 {
        *self.side.get_or_init(|| f(&self.value))
    }

    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Hashed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Hash for Hashed<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl<T: PartialEq> PartialEq for Hashed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.value == other.value
    }
}

impl<T: Eq> Eq for Hashed<T> {}
