//! Assembling the stateright model from a config: the node every replica
//! runs, the clients, the network, the initial data, the bounds and the
//! properties.

use bytes::Bytes;
use stateright::actor::{ActorModel, Id, LossyNetwork, Network};
use stateright::Expectation;

use super::actor::ModelActor;
use super::client::{Client, MODEL_NOW_MS};
use super::config::{self, ModelCfg, NetworkKind, PlantForm, PlantTtl};
use super::history::{record_in, record_out, History};
use super::spec::{KvSpec, Op};
use super::{nodes, props, Model, State};
use crate::node::{Node, Role};

impl ModelCfg {
    /// Assemble the stateright model with every property.
    pub fn into_model(self) -> Model {
        let peers: Vec<Id> = (0..self.nodes).map(Id::from).collect();
        let mut node = Node::new(peers);
        node.modes = self.modes;
        node.propose_expiry = false;
        node.heartbeats = false;
        node.election_timer = self.election_timer;
        node.forward = self.forward;
        node.compact_after = self.compact_after;
        node.script_retries = self.script_retries;
        node.genesis = self.genesis();
        let clients: Vec<Client> = self
            .clients
            .iter()
            .enumerate()
            .map(|(i, ops)| Client {
                ops: ops
                    .iter()
                    .map(|(op, n)| (op.clone(), n.map(|n| Id::from(n % self.nodes))))
                    .collect(),
                first_node: Id::from(self.client_nodes.get(i).copied().unwrap_or(i) % self.nodes),
                node_count: self.nodes,
            })
            .collect();
        let network = match self.network {
            NetworkKind::Ordered => Network::new_ordered([]),
            NetworkKind::Unordered => Network::new_unordered_nonduplicating([]),
            NetworkKind::Duplicating => Network::new_unordered_duplicating([]),
        };
        let lossy = if self.lossy {
            LossyNetwork::Yes
        } else {
            LossyNetwork::No
        };
        let max_crashes = self.max_crashes;
        let history = History::new(KvSpec::with(self.logical_plants()));
        let mut model = ActorModel::new(self, history)
            .init_network(network)
            .lossy_network(lossy)
            .max_crashes(max_crashes);
        for i in 0..model.cfg.nodes {
            let mut node = node.clone();
            node.campaigns = model.cfg.candidates.as_ref().is_none_or(|c| c.contains(&i));
            model = model.actor(ModelActor::Node(node));
        }
        for c in clients {
            model = model.actor(ModelActor::Client(c));
        }
        model
            .record_msg_out(record_out)
            .record_msg_in(record_in)
            .within_boundary(within_boundary)
            // Reference: Raft §5.2, Figure 3 "Election Safety".
            .property(Expectation::Always, props::ELECTION_SAFETY, |_, s| {
                let mut leaders: Vec<_> = nodes(s)
                    .filter(|(_, n)| n.role == Role::Leader)
                    .map(|(_, n)| n.term())
                    .collect();
                let all = leaders.len();
                leaders.sort_unstable();
                leaders.dedup();
                all == leaders.len()
            })
            // Reference: Raft §5.3, Figure 3 "Log Matching".
            .property(Expectation::Always, props::LOG_MATCHING, |_, s| {
                let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
                ns.iter().enumerate().all(|(i, a)| {
                    ns[i + 1..].iter().all(|b| {
                        let upto = a.log().last_index().min(b.log().last_index());
                        // Find the highest index with equal terms; everything
                        // before it must be equal too.
                        // Compacted entries are committed, so equal (P-4
                        // checks what was applied); compare what both hold.
                        let from = a.log().base_index().max(b.log().base_index()) + 1;
                        (from..=upto)
                            .rev()
                            .find(|&k| a.log().term_at(k) == b.log().term_at(k))
                            .is_none_or(|k| (from..=k).all(|j| a.log().get(j) == b.log().get(j)))
                    })
                })
            })
            // Reference: Raft §5.4, Figure 3 "Leader Completeness": an entry
            // committed anywhere is in the log of every leader of a later term.
            .property(Expectation::Always, props::LEADER_COMPLETENESS, |_, s| {
                let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
                ns.iter().all(|c| {
                    ns.iter().filter(|l| l.role == Role::Leader).all(|l| {
                        // An entry the leader compacted was applied by it.
                        (l.log().base_index() + 1..=c.commit_index).all(|i| {
                            let e = c.log().get(i);
                            e.is_none_or(|e| e.term > l.term() || l.log().get(i) == Some(e))
                        })
                    })
                })
            })
            // Reference: Raft §5.4.3, Figure 3 "State Machine Safety".
            .property(
                Expectation::Always,
                props::APPLIED_PREFIXES_AGREE,
                |_, s| {
                    let ns: Vec<_> = nodes(s).map(|(_, n)| n).collect();
                    ns.iter().enumerate().all(|(i, a)| {
                        ns[i + 1..].iter().all(|b| {
                            // Entries compacted on either side are no longer
                            // held; `linearizable` covers what they did.
                            let from = a.log().base_index().max(b.log().base_index()) + 1;
                            (from..=a.applied.min(b.applied))
                                .all(|k| a.log().get(k) == b.log().get(k))
                        })
                    })
                },
            )
            // Reference: spec §Linearizability (LIN-1).
            .property(Expectation::Always, props::LINEARIZABLE, |_, s| {
                s.history.linearizable
            })
            .property(Expectation::Sometimes, props::LEADER_ELECTED, |_, s| {
                nodes(s).any(|(_, n)| n.role == Role::Leader)
            })
            // A run bounded to one term (max_term = 1) rules leadership
            // changes out on purpose: these two then hold trivially.
            .property(Expectation::Sometimes, props::LEADERSHIP_CHANGES, |m, s| {
                m.cfg.max_term < 2 || nodes(s).any(|(_, n)| n.role == Role::Leader && n.term() >= 2)
            })
            .property(Expectation::Sometimes, props::READ_AFTER_CHANGE, |m, s| {
                m.cfg.max_term < 2 || nodes(s).any(|(_, n)| n.stats.last_read_term >= 2)
            })
            // Only where compaction is on: elsewhere the initial state counts.
            .property(Expectation::Sometimes, props::SNAPSHOT_INSTALLED, |m, s| {
                m.cfg.compact_after == 0 || nodes(s).any(|(_, n)| n.stats.snapshots_installed > 0)
            })
            // Reference: spec §Scripts (SC-1): in once mode a script passes
            // exactly one fence per run. Per-call mode breaks it by design
            // (model/script-per-call.toml), which shows the check can fail.
            .property(Expectation::Always, props::ONE_FENCE_PER_SCRIPT, |_, s| {
                nodes(s).all(|(_, n)| n.stats.script_fences == n.stats.script_attempts)
            })
            .property(Expectation::Sometimes, props::SCRIPT_COMMITS, |m, s| {
                witnessed(m, s, props::SCRIPT_COMMITS, |st| st.script_commits > 0)
            })
            .property(Expectation::Sometimes, props::SCRIPT_RETRIED, |m, s| {
                witnessed(m, s, props::SCRIPT_RETRIED, |st| st.script_retries > 0)
            })
            .property(Expectation::Sometimes, props::SCRIPT_LEADER_LOST, |m, s| {
                witnessed(m, s, props::SCRIPT_LEADER_LOST, |st| {
                    st.scripts_abandoned > 0
                })
            })
            .property(Expectation::Sometimes, props::SCRIPT_GAVE_UP, |m, s| {
                witnessed(m, s, props::SCRIPT_GAVE_UP, |st| st.scripts_gave_up > 0)
            })
            .property(Expectation::Sometimes, props::BARE_READ, |m, s| {
                witnessed(m, s, props::BARE_READ, |st| st.script_bare_reads > 0)
            })
            .property(Expectation::Sometimes, props::WRITE_COMMITS, |_, s| {
                nodes(s).any(|(_, n)| {
                    (1..=n.commit_index).any(|i| {
                        matches!(
                            n.log().get(i).map(|e| &e.payload),
                            Some(
                                crate::raft::Payload::Command { .. }
                                    | crate::raft::Payload::Txn { .. }
                            )
                        )
                    })
                })
            })
    }
}

impl ModelCfg {
    /// Every replica's initial data: the planted legacy keys, and every
    /// script the clients run, already in the script cache.
    pub fn genesis(&self) -> im::OrdMap<Bytes, Bytes> {
        use crate::strings::encoding::{encode_str, encode_ttl, str_key, ttl_key};
        let mut g = im::OrdMap::new();
        for p in &self.plant {
            let key = p.key.as_bytes();
            let at = p.ttl.map(|t| match t {
                PlantTtl::Past => 1,
                PlantTtl::Future => MODEL_NOW_MS * 1000,
            });
            let value = Bytes::from(p.value.clone());
            match p.form {
                PlantForm::Current => {
                    g.insert(str_key(key), encode_str(&value, at));
                }
                PlantForm::LegacyPayload => {
                    g.insert(str_key(key), value);
                }
                PlantForm::Bare => {
                    g.insert(Bytes::copy_from_slice(key), value);
                }
            }
            if let (Some(at), false) = (at, p.form == PlantForm::Current) {
                g.insert(ttl_key(key), encode_ttl(at));
            }
        }
        for (op, _) in self.clients.iter().flatten() {
            if let Op::Script(body) = op {
                let sha = crate::script::context::sha1_hex(body.as_bytes());
                g.insert(
                    crate::script::context::script_key(&sha),
                    Bytes::from(body.clone()),
                );
            }
        }
        g
    }

    /// What a client should see of the planted keys, decided from the
    /// design's table (spec §ReadChain), not by the read chain: a prefixed
    /// form wins, even expired; a bare key counts only without one; an
    /// expired form is absent.
    pub fn logical_plants(&self) -> Vec<(String, String)> {
        let mut keys: Vec<&str> = self.plant.iter().map(|p| p.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .filter_map(|k| {
                let forms: Vec<&config::Plant> = self.plant.iter().filter(|p| p.key == k).collect();
                let index_ttl = forms
                    .iter()
                    .filter(|p| p.form != PlantForm::Current)
                    .find_map(|p| p.ttl);
                let live = |ttl: Option<PlantTtl>| ttl != Some(PlantTtl::Past);
                let prefixed = forms.iter().find(|p| p.form != PlantForm::Bare);
                let v = match prefixed {
                    Some(p) if p.form == PlantForm::Current => live(p.ttl).then(|| p.value.clone()),
                    Some(p) => live(index_ttl).then(|| p.value.clone()),
                    None => forms
                        .iter()
                        .find(|p| p.form == PlantForm::Bare)
                        .filter(|_| live(index_ttl))
                        .map(|p| p.value.clone()),
                };
                v.map(|v| (k.to_string(), v))
            })
            .collect()
    }
}

/// An opt-in sometimes-property: trivially true unless the config names it
/// in `witness`, else true once some node's counters show it happened.
fn witnessed(m: &Model, s: &State, name: &str, reached: fn(&crate::node::Stats) -> bool) -> bool {
    !m.cfg.witness.iter().any(|w| w == name) || nodes(s).any(|(_, n)| reached(&n.stats))
}

/// The bounds: terms up to `max_term`, and only nodes crash. stateright
/// crashes any actor; a crashed client would restart its workload from the
/// first operation, which is a new client, not a failure of this protocol.
fn within_boundary(cfg: &ModelCfg, state: &State) -> bool {
    nodes(state).all(|(_, n)| n.term() <= cfg.max_term)
        && state.crashed.iter().skip(cfg.nodes).all(|c| !c)
}
