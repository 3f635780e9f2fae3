//! The libraries Redis 7.0 gives scripts besides Lua's own: `cjson`,
//! `cmsgpack`, `bit` and `struct`, written in Rust from their documented
//! behaviour and checked against redis-server 7.0.15.
//!
//! Errors carry the text the C library raises (e.g. "Expected value but found
//! T_END at character 2") and are raised as Lua strings from a C frame, so
//! `pcall` sees exactly what Redis gives and an uncaught error arrives as
//! `mlua::Error::RuntimeError("user_script:1: Expected …")` (see `raise`).

use mlua::Lua;

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
#[cfg(test)]
mod golden;
pub mod lstruct;
mod raise;
mod util;

/// Install `cjson`, `cmsgpack`, `bit` and `struct` as globals of `lua`.
pub fn register_all(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    g.set("cjson", cjson::open(lua)?)?;
    g.set("cmsgpack", cmsgpack::open(lua)?)?;
    g.set("bit", bit::open(lua)?)?;
    g.set("struct", lstruct::open(lua)?)?;
    Ok(())
}
