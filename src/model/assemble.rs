//! Assembling the stateright model from a config: the node every replica
//! runs, the clients, the network, the initial data, the bounds and the
//! properties.

use bytes::Bytes;
use stateright::actor::{ActorModel, Id, LossyNetwork, Network};
use stateright::Expectation::{Always, Sometimes};
use stateright::Property;

use super::actor::ModelActor;
use super::client::{Client, MODEL_NOW_MS};
use super::config::{self, ModelCfg, NetworkKind, PlantForm, PlantTtl};
use super::history::{record_in, record_out, History};
use super::props::*;
use super::spec::{KvSpec, Op};
use super::symmetry::Symmetry;
use super::{nodes, Model, State};
use crate::node::{Node, NodeConfig, NodeState, Role};

impl ModelCfg {
    /// Assemble the stateright model with every property.
    pub fn into_model(self) -> Model {
        let peers: Vec<Id> = (0..self.nodes).map(Id::from).collect();
        let ms = std::time::Duration::from_millis;
        let timing = match self.time {
            Some(t) => NodeConfig {
                election_timeout: ms(t.election_timeout)..ms(t.election_timeout + 1),
                heartbeat_interval: ms(t.heartbeat),
                heartbeats: t.heartbeat > 0,
                lease: ms(t.election_timeout - t.lease_margin),
                ..NodeConfig::default()
            },
            None => NodeConfig {
                heartbeats: false,
                ..NodeConfig::default()
            },
        };
        let config = NodeConfig {
            modes: self.modes,
            propose_expiry: false,
            quorum_check_windows: false,
            election_timer: self.election_timer,
            forward: self.forward,
            compact_after: self.compact_after,
            compact_scales_with_store: false,
            script_retries: self.script_retries,
            genesis: self.genesis(),
            ..timing
        };
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
            let campaigns = model.cfg.candidates.as_ref().is_none_or(|c| c.contains(&i));
            let config = NodeConfig {
                campaigns,
                ..config.clone()
            };
            let time = model.cfg.time.is_some();
            model = model.actor(ModelActor::Node(Node::new(peers.clone(), config), time));
        }
        for c in clients {
            model = model.actor(ModelActor::Client(c));
        }
        let actors = model
            .record_msg_out(record_out)
            .record_msg_in(record_in)
            .within_boundary(within_boundary);
        let p = |expectation, name, condition| Property {
            expectation,
            name,
            condition,
        };
        // The order decides the properties' indices, and so which of two
        // violated properties a check reports.
        let properties = vec![
            p(Always, ELECTION_SAFETY, election_safety),
            p(Always, LOG_MATCHING, log_matching),
            p(Always, LEADER_COMPLETENESS, leader_completeness),
            p(Always, APPLIED_PREFIXES_AGREE, applied_prefixes_agree),
            p(Always, LINEARIZABLE, linearizable),
            p(Sometimes, LEADER_ELECTED, leader_elected),
            p(Sometimes, LEADERSHIP_CHANGES, leadership_changes),
            p(Sometimes, READ_AFTER_CHANGE, read_after_change),
            p(Sometimes, SNAPSHOT_INSTALLED, snapshot_installed),
            p(Always, ONE_FENCE_PER_SCRIPT, one_fence_per_script),
            p(Sometimes, SCRIPT_COMMITS, script_commits),
            p(Sometimes, SCRIPT_RETRIED, script_retried),
            p(Sometimes, SCRIPT_LEADER_LOST, script_leader_lost),
            p(Sometimes, SCRIPT_GAVE_UP, script_gave_up),
            p(Sometimes, WATCH_ABORTS, watch_aborts),
            p(Sometimes, BARE_READ, bare_read),
            p(Sometimes, WRITE_COMMITS, write_commits),
            p(Sometimes, PRE_VOTE_REFUSED, pre_vote_refused),
            p(Sometimes, QUORUM_LOST, quorum_lost),
            p(Sometimes, LEASE_READ, lease_read),
            p(Sometimes, LEASE_EXPIRED, lease_expired),
            p(Sometimes, FOLLOWER_READ, follower_read),
        ];
        let symmetry = if actors.cfg.symmetry {
            Symmetry::new(&actors.cfg.interchangeable_nodes(), actors.actors.len())
        } else {
            Symmetry::default()
        };
        Model::new(actors, properties, symmetry)
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
    /// design's table (spec §3, RC-1 to RC-4), not by the read chain: a prefixed
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

/// The bounds: terms up to `max_term`, pre-vote rounds per node and term up
/// to `max_pre_votes`, each term `term_candidates` lists campaigned for by
/// its node only, and only nodes crash. stateright
/// crashes any actor; a crashed client would restart its workload from the
/// first operation, which is a new client, not a failure of this protocol.
fn within_boundary(cfg: &ModelCfg, state: &State) -> bool {
    nodes(state).all(|(i, n)| {
        n.term() <= cfg.max_term
            && n.pre_vote_rounds <= cfg.max_pre_votes
            && campaigns_as_listed(cfg, i, n)
    }) && state.crashed.iter().skip(cfg.nodes).all(|c| !c)
        && clocks_within_drift(cfg, state)
}

/// With time, no two clocks are more than `drift` apart: a state where one
/// ran further ahead is out of bounds, which is how the model bounds drift.
fn clocks_within_drift(cfg: &ModelCfg, state: &State) -> bool {
    let Some(t) = cfg.time else { return true };
    let clocks = nodes(state).map(|(_, n)| n.clock);
    let (lo, hi) = clocks.fold((u64::MAX, 0), |(lo, hi), c| (lo.min(c), hi.max(c)));
    hi.saturating_sub(lo) <= t.drift && t.max.is_none_or(|max| hi <= max)
}

/// Whether node `i` campaigns, if it does, for a term `term_candidates`
/// leaves to it or does not list: a candidate or leader campaigns for its
/// term, a pre-candidate for the next one.
fn campaigns_as_listed(cfg: &ModelCfg, i: usize, n: &NodeState) -> bool {
    let term = match n.role {
        Role::Follower => return true,
        Role::PreCandidate => n.term() + 1,
        Role::Candidate | Role::Leader => n.term(),
    };
    let listed = usize::try_from(term)
        .ok()
        .and_then(|t| t.checked_sub(1))
        .and_then(|t| cfg.term_candidates.get(t));
    listed.is_none_or(|&c| c == i)
}
