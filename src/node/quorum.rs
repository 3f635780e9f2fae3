//! The quorum rule, once: the largest value a majority of the cluster has
//! reached. The leader's commit index (each node's matching log index) and
//! its confirmed fence round (each node's newest acknowledged round) are both
//! this computation.

use stateright::actor::{majority, Id};

use super::peer_map::PeerMap;

/// The largest value that at least a majority of `peers` has reached: `own`
/// for `id`, `acked` (0 when absent) for every other peer.
pub fn acknowledged(peers: &[Id], id: Id, own: u64, acked: &PeerMap<u64>) -> u64 {
    let mut values: Vec<u64> = peers
        .iter()
        .map(|p| {
            if *p == id {
                own
            } else {
                acked.get(p).copied().unwrap_or(0)
            }
        })
        .collect();
    values.sort_unstable_by(|a, b| b.cmp(a));
    values.get(majority(values.len()) - 1).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: Raft §5.3 ("a log entry is committed once the leader that
    /// created the entry has replicated it on a majority of the servers").
    #[test]
    fn the_value_a_majority_reached() {
        // (own value, the other peers' values in id order (None: never
        // acknowledged), expected)
        let table: &[(u64, &[Option<u64>], u64)] = &[
            // A cluster of one is its own majority.
            (5, &[], 5),
            // Two nodes: both must have it.
            (5, &[Some(3)], 3),
            (5, &[None], 0),
            // Three nodes: any one peer with the leader.
            (5, &[Some(3), None], 3),
            (5, &[Some(3), Some(4)], 4),
            (5, &[Some(7), Some(6)], 6),
            (0, &[Some(7), Some(6)], 6),
            (5, &[None, None], 0),
            // Four nodes: three of them.
            (5, &[Some(5), Some(2), Some(9)], 5),
            (5, &[Some(1), Some(2), None], 1),
            // Five nodes: three of them.
            (5, &[Some(4), Some(3), None, None], 3),
            (5, &[Some(5), Some(5), Some(1), Some(1)], 5),
            (2, &[Some(9), Some(8), Some(7), Some(1)], 7),
        ];
        for &(own, others, want) in table {
            let id = Id::from(0);
            let peers: Vec<Id> = (0..=others.len()).map(Id::from).collect();
            let acked: PeerMap<u64> = others
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (Id::from(i + 1), v)))
                .collect();
            assert_eq!(
                acknowledged(&peers, id, own, &acked),
                want,
                "own {own}, others {others:?}"
            );
        }
    }

    #[test]
    fn a_node_that_is_not_first_counts_itself() {
        let peers: Vec<Id> = (0..3).map(Id::from).collect();
        let acked: PeerMap<u64> = [(Id::from(0), 4u64), (Id::from(1), 1u64)]
            .into_iter()
            .collect();
        assert_eq!(acknowledged(&peers, Id::from(2), 9, &acked), 4);
    }
}
