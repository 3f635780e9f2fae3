//! INFO errorstats and `total_error_replies`: the error replies this server
//! sent, counted by their code (the error text's first word), as Redis's
//! `errorstat_<CODE>:count=N` lines. Distinct codes are bounded, as in
//! Redis: a client cannot grow the table without end by sending commands
//! whose errors carry made-up codes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::resp::Reply;

/// Redis's `ERRORSTATS_LIMIT`: past this many distinct codes, new codes
/// are counted in the total only.
pub const MAX_CODES: usize = 128;

#[derive(Debug, Default)]
pub struct ErrorStats {
    inner: Mutex<Counts>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub by_code: BTreeMap<String, u64>,
    pub total: u64,
}

impl ErrorStats {
    /// Count `reply` if it is an error (errors are rare: a lock per error,
    /// none per success).
    pub fn count(&self, reply: &Reply) {
        if let Reply::Error(text) = reply {
            self.count_error(text);
        }
    }

    pub fn count_error(&self, text: &str) {
        let code = text.split(' ').next().unwrap_or_default();
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        c.total += 1;
        if let Some(n) = c.by_code.get_mut(code) {
            *n += 1;
        } else if c.by_code.len() < MAX_CODES {
            c.by_code.insert(code.to_string(), 1);
        }
    }

    pub fn snapshot(&self) -> Counts {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = Counts::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_count_by_their_first_word_and_codes_are_bounded() {
        let s = ErrorStats::default();
        s.count(&Reply::err("ERR unknown command 'foo'"));
        s.count(&Reply::err("WRONGTYPE Operation against a key"));
        s.count(&Reply::err("ERR syntax error"));
        s.count(&Reply::ok());
        let c = s.snapshot();
        assert_eq!(c.total, 3);
        assert_eq!(c.by_code.get("ERR"), Some(&2));
        assert_eq!(c.by_code.get("WRONGTYPE"), Some(&1));
        for i in 0..1000 {
            s.count_error(&format!("CODE{i} made up"));
        }
        let c = s.snapshot();
        assert_eq!(c.by_code.len(), MAX_CODES);
        assert_eq!(c.total, 1003);
        s.reset();
        assert_eq!(s.snapshot(), Counts::default());
    }
}
