//! Redis's `rand48` (src/rand.c), which its Lua uses for `math.random`, so
//! scripts see the same numbers as on redis-server.

/// The 48-bit state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rand48(u64);

const MASK: u64 = (1 << 48) - 1;
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
/// `REDIS_LRAND48_MAX`.
const LRAND48_MAX: u32 = i32::MAX as u32;

impl Rand48 {
    /// `redisSrand48(seed)`: the seed's 32 bits above the fixed low word.
    pub fn seeded(seed: i32) -> Rand48 {
        Rand48((u64::from(seed as u32) << 16) | 0x330E)
    }

    /// rand.c's starting state (`X2 X1 X0`), before any `redisSrand48`:
    /// what a fresh redis-server's first script draws from (Redis 7.0 never
    /// seeds it for scripts; only `math.randomseed` does).
    pub fn initial() -> Rand48 {
        Rand48(0x1234_ABCD_330E)
    }

    /// `redisLrand48()`: the next 31-bit value.
    pub fn next_u31(&mut self) -> u32 {
        self.0 = (A.wrapping_mul(self.0).wrapping_add(C)) & MASK;
        (self.0 >> 17) as u32
    }

    /// What Redis's `math.random()` draws: a double in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        f64::from(self.next_u31() % LRAND48_MAX) / f64::from(LRAND48_MAX)
    }

    pub fn state(self) -> u64 {
        self.0
    }

    pub fn from_state(state: u64) -> Rand48 {
        Rand48(state & MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_where_a_fresh_redis_starts() {
        // `tostring(math.random())` twice, first script on a fresh 7.0.15.
        let mut r = Rand48::initial();
        assert_eq!(format!("{:.14}", r.next_f64()), "0.39646477363839");
        assert_eq!(format!("{:.14}", r.next_f64()), "0.84048536971234");
    }

    #[test]
    fn matches_redis_after_randomseed() {
        // `math.randomseed(0)` / `(42)` then `tostring(math.random())` on 7.0.15.
        let mut r = Rand48::seeded(0);
        assert_eq!(format!("{:.14}", r.next_f64()), "0.17082803611217");
        let mut r = Rand48::seeded(42);
        assert_eq!(format!("{:.14}", r.next_f64()), "0.74452500033403");
        assert_eq!(format!("{:.14}", r.next_f64()), "0.34270147855519");
    }
}
