//! The progress line a check prints every second, the limits that stop a
//! check early, and the numbers both need (resident memory, grouped digits).

use std::time::{Duration, Instant};

/// Why a check stopped before it could give a verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `--max-states`: this many unique states were reached.
    MaxStates(usize),
    /// `--timeout`: the check ran this long.
    Timeout(Duration),
}

/// The limits of a run, as `CheckOptions` gives them.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Limits {
    pub max_states: Option<usize>,
    pub timeout: Option<Duration>,
    pub started: Option<Instant>,
}

impl Limits {
    /// The first limit `unique` states at this moment reach, if any.
    pub fn reached(&self, unique: usize) -> Option<Stop> {
        if let Some(max) = self.max_states {
            if unique >= max {
                return Some(Stop::MaxStates(max));
            }
        }
        match (self.timeout, self.started) {
            (Some(t), Some(s)) if s.elapsed() >= t => Some(Stop::Timeout(t)),
            _ => None,
        }
    }
}

/// The verdict of a stopped run: it says what was covered and claims nothing.
pub(super) fn incomplete_verdict(stop: &Stop, unique: usize, elapsed: Duration) -> String {
    match stop {
        Stop::MaxStates(max) => format!(
            "incomplete: stopped after {} unique states (--max-states {})",
            thousands(unique),
            thousands(*max)
        ),
        Stop::Timeout(t) => format!(
            "incomplete: stopped after {:.1}s (--timeout {}), {} unique states",
            elapsed.as_secs_f64(),
            t.as_secs_f64(),
            thousands(unique)
        ),
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`).
///
/// `status` rather than `statm`: it is in kB, so no page size (and no libc
/// call) is needed, and it carries the peak (`VmHWM`) as well.
fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Resident memory of this process now (None off Linux).
pub fn resident_bytes() -> Option<u64> {
    proc_status_bytes("VmRSS")
}

/// The most resident memory this process has had (None off Linux).
pub fn peak_resident_bytes() -> Option<u64> {
    proc_status_bytes("VmHWM")
}

/// `Some(536870912)` as `512 MiB`; `None` as `?`.
pub fn bytes(b: Option<u64>) -> String {
    match b {
        None => "?".into(),
        Some(b) if b >= 10 << 30 => format!("{:.0} GiB", b as f64 / (1u64 << 30) as f64),
        Some(b) if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        Some(b) => format!("{} MiB", b >> 20),
    }
}

/// Unique states per second over the last interval between two lines.
pub(super) struct Rate {
    at: Instant,
    unique: usize,
}

impl Rate {
    pub fn new() -> Self {
        Rate {
            at: Instant::now(),
            unique: 0,
        }
    }

    /// Whether a line is due, `every` after the last one.
    pub fn due(&self, every: Duration) -> bool {
        self.at.elapsed() >= every
    }

    /// The rate since the last call, and start a new interval.
    pub fn tick(&mut self, unique: usize) -> f64 {
        let secs = self.at.elapsed().as_secs_f64();
        let rate = unique.saturating_sub(self.unique) as f64 / secs.max(1e-9);
        *self = Rate {
            at: Instant::now(),
            unique,
        };
        rate
    }
}

/// One progress line, the same fields for both strategies; `queue` is None
/// where the checker does not expose it, and `tail` is strategy-specific.
pub(super) struct Line {
    pub elapsed: Duration,
    pub states: usize,
    pub unique: usize,
    pub rate: f64,
    pub depth: usize,
    pub queue: Option<usize>,
    pub tail: String,
}

impl Line {
    pub fn print(&self) {
        let queue = self
            .queue
            .map(|q| format!("  queue {:>11}", thousands(q)))
            .unwrap_or_default();
        eprintln!(
            "  {:>7.1}s  states {:>13}  unique {:>11}  {:>9} unique/s  depth {:>3}{}  mem {}{}",
            self.elapsed.as_secs_f64(),
            thousands(self.states),
            thousands(self.unique),
            thousands(self.rate as usize),
            self.depth,
            queue,
            bytes(resident_bytes()),
            self.tail
        );
    }
}

/// What a breadth-first search knows about its layers (states by depth), and
/// the rough guess it allows about the next one.
#[derive(Default)]
pub(super) struct Layers {
    /// States first reached at each depth (complete below the current layer
    /// plus one; the next layer is still growing).
    pub sizes: Vec<usize>,
    /// The layer being expanded and how many of its states were expanded.
    pub current: usize,
    pub expanded: usize,
}

impl Layers {
    pub fn reached(&mut self, depth: usize) {
        if self.sizes.len() <= depth {
            self.sizes.resize(depth + 1, 0);
        }
        self.sizes[depth] += 1;
    }

    pub fn expanding(&mut self, depth: usize) {
        if depth != self.current {
            self.current = depth;
            self.expanded = 0;
        }
        self.expanded += 1;
    }

    /// ` | layer 12: 40% of 100,000 expanded, next 80,000 so far (est. ≈200,000, ×2.0)`.
    ///
    /// The estimate assumes the rest of the layer branches like the part
    /// already expanded; BFS orders a layer by parent, so it is rough.
    pub fn describe(&self) -> String {
        let d = self.current;
        let size = self.sizes.get(d).copied().unwrap_or(0);
        let next = self.sizes.get(d + 1).copied().unwrap_or(0);
        let done = self.expanded as f64 / size.max(1) as f64;
        let mut s = format!(
            "  | layer {d}: {:.0}% of {} expanded, next {} so far",
            done * 100.0,
            thousands(size),
            thousands(next)
        );
        if self.expanded > 0 && size > 0 {
            let guess = next as f64 / done;
            s += &format!(
                " (estimate: next ≈{}, ×{:.2} this layer)",
                thousands(guess as usize),
                guess / size as f64
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(7_755_493), "7,755,493");
    }

    #[test]
    fn bytes_are_readable() {
        assert_eq!(bytes(None), "?");
        assert_eq!(bytes(Some(512 << 20)), "512 MiB");
        assert_eq!(bytes(Some(3 << 29)), "1.5 GiB");
    }
}
