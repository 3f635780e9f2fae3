//! TIME: the accepting node's clock, as Redis's `[unix seconds,
//! microseconds]` pair of bulk strings. The clock is the one read once for
//! the batch of requests the connection received (milliseconds), so the
//! microseconds are always a multiple of 1000.

use bytes::Bytes;

use crate::resp::Reply;

use super::reply::arity;

/// `TIME`
pub(super) fn time(args: &[Bytes], now_ms: u64) -> Reply {
    if args.len() != 1 {
        return arity("time");
    }
    Reply::Array(vec![
        Reply::bulk((now_ms / 1000).to_string()),
        Reply::bulk(((now_ms % 1000) * 1000).to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{handle, Action};
    use crate::resp::Reply;

    #[test]
    fn time_is_the_accepting_clock() {
        let Action::Reply(r) = handle(&mut conn(), &cfg(), &b(&["TIME"]), 1_700_000_000_123) else {
            panic!("TIME is answered by the connection")
        };
        assert_eq!(
            r,
            Reply::Array(vec![Reply::bulk("1700000000"), Reply::bulk("123000")])
        );
        assert_eq!(
            err(run(&mut conn(), &["time", "x"])),
            "ERR wrong number of arguments for 'time' command"
        );
    }
}
