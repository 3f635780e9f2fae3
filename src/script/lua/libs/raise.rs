//! Library functions that raise errors the way C functions do.
//!
//! An error returned from an mlua callback reaches Lua as a userdata (its
//! `tostring` is "runtime error: …" plus a traceback). Redis's libraries are
//! C functions and raise plain strings, prefixed by `luaL_error` with the
//! caller's position: `pcall(cjson.decode, '[')` yields the string
//! "Expected value but found T_END at character 2", and an uncaught error
//! reads "user_script:1: Expected value …". Scripts match on these strings.
//!
//! So each library function is a small C closure (the trampoline) around the
//! Rust callback. The callback does not fail with our own errors; it returns
//! a marker and the message, and the trampoline raises the message from its
//! own C frame, with `luaL_where(L, 1)` or `luaL_argerror` exactly as the C
//! library would (so "bad argument #1 to 'band'" becomes "… to '?'" under
//! `pcall`, as in Redis). Other errors (memory, mlua internals) pass through
//! unchanged.

use std::ffi::c_int;

use mlua::{
    ffi, Error, FromLuaMulti, Function, IntoLuaMulti, LightUserData, Lua, MultiValue, Value,
};

/// The marker's address: unique, and never a value scripts can make.
static FAIL: u8 = 0;

fn fail_marker() -> Value {
    Value::LightUserData(LightUserData(std::ptr::addr_of!(FAIL).cast_mut().cast()))
}

/// Marks a message raised without the caller's position, like errors the
/// Lua core raises inside a C function ("table index is nil").
const BARE: &str = "\u{1}bare:";

/// An error raised as `msg` alone, with no position prefix.
pub fn bare_error(msg: &str) -> Error {
    Error::RuntimeError(format!("{BARE}{msg}"))
}

/// The marker and what the trampoline needs to raise `e` like C does, or
/// `e` itself when it is not one of ours.
fn as_failure(lua: &Lua, e: Error) -> mlua::Result<MultiValue> {
    let Error::RuntimeError(msg) = e else {
        return Err(e);
    };
    let mut out = vec![fail_marker()];
    if let Some(bare) = msg.strip_prefix(BARE) {
        out.push(Value::String(lua.create_string(bare)?));
        out.push(Value::Boolean(false));
        return Ok(out.into_iter().collect());
    }
    match parse_arg_error(&msg) {
        // `luaL_argerror` wants the argument number and the detail only.
        Some((narg, extra)) => {
            out.push(Value::String(lua.create_string(extra)?));
            out.push(Value::Integer(narg));
        }
        None => out.push(Value::String(lua.create_string(&msg)?)),
    }
    Ok(out.into_iter().collect())
}

/// Splits "bad argument #N to 'f' (detail)" (as `util::arg_error` writes it).
fn parse_arg_error(msg: &str) -> Option<(i64, &str)> {
    let rest = msg.strip_prefix("bad argument #")?;
    let (n, rest) = rest.split_once(" to '")?;
    let (_, rest) = rest.split_once("' (")?;
    let detail = rest.strip_suffix(')')?;
    Some((n.parse().ok()?, detail))
}

/// Raise from the trampoline's C frame, as the C libraries do.
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: standard Lua C API use on the running state; nothing here owns
    // Rust values with destructors, so a Lua error (longjmp) may pass.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
        let nres = ffi::lua_gettop(state);
        let marker = std::ptr::addr_of!(FAIL).cast::<std::ffi::c_void>();
        if nres >= 2 && ffi::lua_touserdata(state, 1).cast_const() == marker {
            if nres >= 3 && ffi::lua_type(state, 3) == ffi::LUA_TBOOLEAN {
                ffi::lua_pushvalue(state, 2);
                ffi::lua_error(state);
            }
            if nres >= 3 {
                let narg = ffi::lua_tointeger(state, 3) as c_int;
                return ffi::luaL_argerror(state, narg, ffi::lua_tostring(state, 2));
            }
            ffi::luaL_where(state, 1);
            ffi::lua_pushvalue(state, 2);
            ffi::lua_concat(state, 2);
            ffi::lua_error(state);
        }
        nres
    }
}

/// A library function: `f` wrapped so its `RuntimeError`s are raised as
/// the C library raises them.
pub fn function<A, R, F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    A: FromLuaMulti,
    R: IntoLuaMulti,
    F: Fn(&Lua, A) -> mlua::Result<R> + mlua::MaybeSend + 'static,
{
    let inner = lua.create_function(move |lua, args: A| match f(lua, args) {
        Ok(r) => r.into_lua_multi(lua),
        Err(e) => as_failure(lua, e),
    })?;
    // SAFETY: pushes one C closure whose single upvalue is `inner`, the
    // argument exec_raw placed on the stack.
    unsafe {
        lua.exec_raw::<Function>(inner, |state| {
            ffi::lua_pushcclosure(state, trampoline, 1);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::util::testing::eval;

    #[test]
    fn errors_are_strings_like_redis() {
        // redis-server 7.0.15:
        //   pcall(cjson.decode, '[') -> "Expected value but found T_END at character 2"
        //   pcall(function() return cjson.decode('[') end) -> "user_script:1: Expected …"
        //   pcall(bit.band, 'x') -> "bad argument #1 to '?' (number expected, got string)"
        //   bit.band('x') uncaught -> "user_script:1: bad argument #1 to 'band' (…)"
        assert_eq!(
            eval("local ok, e = pcall(cjson.decode, '[') return type(e) .. ' ' .. e"),
            "string Expected value but found T_END at character 2"
        );
        let e = eval("local ok, e = pcall(function() return cjson.decode('[') end) return e");
        assert!(
            e.ends_with(":1: Expected value but found T_END at character 2"),
            "{e}"
        );
        assert_eq!(
            eval("local ok, e = pcall(bit.band, 'x') return e"),
            "bad argument #1 to '?' (number expected, got string)"
        );
        let e = eval("return bit.band('x')");
        assert!(
            e.contains(":1: bad argument #1 to 'band' (number expected, got string)"),
            "{e}"
        );
        // Results, several of them, still pass through.
        assert_eq!(
            eval("return table.concat({struct.unpack('bb', '\\1\\2')}, ',')"),
            "1,2,3"
        );
        assert_eq!(eval("return select('#', cmsgpack.unpack(''))"), "0");
        // redis-server 7.0.15: the Lua core's own error has no position.
        assert_eq!(
            eval("local ok, e = pcall(function() return cmsgpack.unpack('\\129\\192\\1') end) return e"),
            "table index is nil"
        );
        assert_eq!(
            eval("return tostring(cjson.decode('null') == cjson.null)"),
            "true"
        );
    }
}
