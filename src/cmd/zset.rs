//! Sorted-set commands (ZADD, ZRANGE, ZPOPMIN, …): parsing, with Redis 7.0's error texts, and
//! semantics over the collection layout (`crate::collections`).

use serde::{Deserialize, Serialize};

use super::CommandDef;

/// A parsed zset command's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ZSetOp {}

/// This type's rows of the command table.
pub static COMMANDS: &[CommandDef] = &[];
