//! List commands (LPUSH, LPOP, LRANGE, …): parsing, with Redis 7.0's error texts, and
//! semantics over the collection layout (`crate::collections`).

use serde::{Deserialize, Serialize};

use super::CommandDef;

/// A parsed list command's arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ListOp {}

/// This type's rows of the command table.
pub static COMMANDS: &[CommandDef] = &[];
