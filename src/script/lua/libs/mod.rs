//! The libraries Redis 7.0 gives scripts besides Lua's own: `cjson`,
//! `cmsgpack`, `bit` and `struct` (to be written).

use mlua::Lua;

/// Install `cjson`, `cmsgpack`, `bit` and `struct` as globals of `lua`.
pub fn register_all(lua: &Lua) -> mlua::Result<()> {
    let _ = lua;
    Ok(())
}
