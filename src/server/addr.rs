//! How the runtime addresses the actor's clients: each node's runtime acts
//! as one client of the actor, under an id far above any node id, so an
//! answer from another node (a forwarded request's leader answers the client
//! directly) can be routed home.

use stateright::actor::Id;

/// The id under which node `node`'s runtime acts as a client of the actor:
/// far above any node id, one per node, so an answer can be routed home.
/// Every connection's requests on that node come from this one client; the
/// runtime tells them apart by their [`crate::node::ReqId`].
pub fn client_id_of(node: Id) -> Id {
    Id::from((1usize << 40) + usize::from(node))
}

/// The node whose runtime owns client id `id`, if it is a client id.
pub fn node_of_client(id: Id) -> Option<Id> {
    usize::from(id).checked_sub(1usize << 40).map(Id::from)
}
