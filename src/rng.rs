//! xorshift64*: a small deterministic generator for the runtime's timer
//! jitter, the simulator's random walks and the fault tests' schedules. Pure:
//! the runtime seeds it from its clock, the simulator from `--seed`.

pub struct XorShift(u64);

impl XorShift {
    /// A fixed seed: the same sequence every run.
    pub fn seeded(seed: u64) -> Self {
        XorShift(seed | 1)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}
