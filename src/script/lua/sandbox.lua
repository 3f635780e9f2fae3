-- The sandbox Redis 7.0 gives scripts, built once per VM (see sandbox.rs).
--
-- Called with the real globals table `G` and a table of Rust primitives;
-- returns the protected `_G` proxy that every script runs in.
--
-- Redis 7.0 patches Lua with read-only tables. Vanilla Lua 5.1 cannot do
-- that, so every protected table is an empty proxy whose metatable reads
-- through to the real table and refuses writes; `rawset`, `setmetatable`,
-- `rawget`, `next`, `pairs` and `ipairs` are wrapped so they see through
-- proxies the way they see the real tables in Redis.
local G, prim = ...

local type, error, select, tostring, tonumber = type, error, select, tostring, tonumber
local rawget, rawset, rawnext, setmetatable, getmetatable = rawget, rawset, next, setmetatable, getmetatable
local rawpairs, rawipairs, rawpcall, rawloadstring, rawload = pairs, ipairs, pcall, loadstring, load
local setfenv = setfenv
local sub, find, concat = string.sub, string.find, table.concat
local floor, ceil = math.floor, math.ceil
local real_string = string

-- What Redis 7.0 does not expose.
for _, name in rawipairs({ 'print', 'getfenv', 'setfenv', 'newproxy', 'module', 'require',
    'dofile', 'loadfile', 'io', 'os', 'package', 'debug' }) do
  rawset(G, name, nil)
end

local READONLY = 'Attempt to modify a readonly table'

-- Function flags (shebang.rs's ScriptFlags bits).
local FLAG_BITS = { ['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4,
  ['no-cluster'] = 8, ['allow-cross-slot-keys'] = 16 }

-- proxy -> real table, for every protected table.
local real_of = {}

local function readonly_error()
  error(READONLY, 2)
end

-- Functions that raise errors run behind a C trampoline (`prim.wrap`):
-- the Lua implementation answers (value, how) and the trampoline returns
-- `value` (how = 0), raises it (1), raises it with the caller's position
-- in front (2, like luaL_error), or returns `value[1], value[2]` (3). A
-- Lua wrapper would replace the script's frame in `return f()` (a tail
-- call) and lose the line Redis reports; a C function never does.
local wrap = prim.wrap
local RETURN, RAISE, RAISE_AT, RETURN_ALL = 0, 1, 2, 3

-- A protected view of `t`, protecting what it holds too (Redis protects
-- the globals recursively). `seen` maps real tables to their proxies.
local function protect(t, seen)
  local p = seen[t]
  if p then return p end
  p = {}
  seen[t] = p
  real_of[p] = t
  for k, v in rawnext, t do
    if type(v) == 'table' and v ~= G and not real_of[v] then
      rawset(t, k, protect(v, seen))
    end
  end
  setmetatable(p, { __index = t, __newindex = readonly_error, __metatable = {} })
  return p
end

---------------------------------------------------------------------------
-- math.random / math.randomseed on Redis's rand48, so the numbers match.

local rand_next, rand_seed = prim.rand_next, prim.rand_seed

-- luaL_checkint: a number (or numeric string) cast to a C int; nil and
-- the error text when it is not a number.
local function checkint(v, n, fname)
  local x = tonumber(v)
  if x == nil then
    local got = v == nil and 'no value' or type(v)
    return nil, "bad argument #" .. n .. " to '" .. fname .. "' (number expected, got " .. got .. ")"
  end
  if x ~= x or x >= 2147483648 or x < -2147483648 then return -2147483648 end
  return x >= 0 and floor(x) or ceil(x)
end

G.math.random = wrap(function(...)
  local r = rand_next()
  local n = select('#', ...)
  if n == 0 then
    return r, RETURN
  elseif n == 1 then
    local u, e = checkint((...), 1, 'random')
    if not u then return e, RAISE_AT end
    if u < 1 then return "bad argument #1 to 'random' (interval is empty)", RAISE_AT end
    return floor(r * u) + 1, RETURN
  elseif n == 2 then
    local a, b = ...
    local l, e = checkint(a, 1, 'random')
    if not l then return e, RAISE_AT end
    local u, e2 = checkint(b, 2, 'random')
    if not u then return e2, RAISE_AT end
    if l > u then return "bad argument #2 to 'random' (interval is empty)", RAISE_AT end
    return floor(r * (u - l + 1)) + l, RETURN
  end
  return 'wrong number of arguments', RAISE_AT
end)

G.math.randomseed = wrap(function(...)
  local seed, e = checkint((...), 1, 'randomseed')
  if not seed then return e, RAISE_AT end
  rand_seed(seed)
  return nil, RETURN
end)

---------------------------------------------------------------------------
-- The redis table.

local redis = {}

-- The Rust side answers (value, how) itself.
redis.call = wrap(prim.call, prim.call_packed)
redis.pcall = wrap(prim.pcall, prim.pcall_packed)

-- luaPushErrorBuff: "-CODE msg" keeps its code, anything else gets ERR;
-- CR/LF are trimmed from both ends of the message.
local function error_text(s)
  local code, msg = 'ERR', s
  if sub(s, 1, 1) == '-' then
    local sp = find(s, ' ', 1, true)
    if sp then
      code, msg = sub(s, 2, sp - 1), sub(s, sp + 1)
    else
      msg = sub(s, 2)
    end
  end
  local i, j = 1, #msg
  while i <= j and find(sub(msg, i, i), '^[\r\n]') do i = i + 1 end
  while j >= i and find(sub(msg, j, j), '^[\r\n]') do j = j - 1 end
  return code .. ' ' .. sub(msg, i, j)
end

-- What luaPushError + luaError raise: an error table.
local function raise(msg)
  return { err = 'ERR ' .. msg }, RAISE
end

redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  if sub(s, 1, 1) ~= '-' then s = '-' .. s end
  return { err = error_text(s) }
end

redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  return { ok = s }
end

local sha1hex = prim.sha1hex
redis.sha1hex = wrap(function(...)
  if select('#', ...) ~= 1 then return raise('wrong number of arguments') end
  local s = ...
  local t = type(s)
  if t == 'number' then s = tostring(s) elseif t ~= 'string' then s = '' end
  return sha1hex(s), RETURN
end)

local log = prim.log
redis.log = wrap(function(...)
  local n = select('#', ...)
  if n < 2 then return raise('redis.log() requires two arguments or more.') end
  local level = tonumber((...))
  if level == nil then return raise('First argument must be a number (log level).') end
  level = level >= 0 and floor(level) or ceil(level)
  if level < 0 or level > 3 then return raise('Invalid debug level.') end
  local parts = {}
  for i = 2, n do
    local v = select(i, ...)
    local t = type(v)
    if t == 'string' or t == 'number' then parts[#parts + 1] = tostring(v) end
  end
  log(level, concat(parts, ' '))
  return nil, RETURN
end)

local set_resp = prim.set_resp
redis.setresp = wrap(function(...)
  if select('#', ...) ~= 1 then return raise('redis.setresp() requires one argument.') end
  local v = tonumber((...)) or 0
  v = v >= 0 and floor(v) or ceil(v)
  if v ~= 2 and v ~= 3 then return raise('RESP version must be 2 or 3.') end
  set_resp(v)
  return nil, RETURN
end)

redis.set_repl = wrap(function(...)
  if select('#', ...) ~= 1 then return raise('redis.set_repl() requires two arguments.') end
  local v = tonumber((...)) or 0
  v = v >= 0 and floor(v) or ceil(v)
  if v < 0 or v > 3 then
    return raise('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
  -- Effects replication is the only mode; there is nothing to switch.
  return nil, RETURN
end)

redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end

redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION = '7.0.15'
redis.REDIS_VERSION_NUM = 0x07000f

G.redis = redis

---------------------------------------------------------------------------
-- pcall as Redis 7.0 replaces it (luaRedisPcall): an error table's `err`
-- field is what the script sees, so `pcall(redis.call, ...)` gives a string.

local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local m = rawget(e, 'err')
    local t = type(m)
    if t == 'string' or t == 'number' then return false, m end
  end
  return false, e
end

G.pcall = function(...)
  return pcall_result(rawpcall(...))
end

-- An error raised by the stop hook runs the message handler with hooks
-- off (Lua 5.1 calls it inside the hook), so a handler that loops would
-- never stop. Once the script is stopping, handlers are skipped.
local rawxpcall, stopping = xpcall, prim.stopping
G.xpcall = function(f, h)
  return rawxpcall(f, function(e)
    if stopping() then return e end
    return h(e)
  end)
end

---------------------------------------------------------------------------
-- Protect everything, then wrap the raw accessors.

local seen = {}
local P = {}
real_of[P] = G
seen[G] = P
for k, v in rawnext, G do
  if type(v) == 'table' then rawset(G, k, protect(v, seen)) end
end
rawset(G, '_G', P)

-- The string metatable: strings index the protected string table, and
-- getmetatable('') answers a protected view.
local smt = getmetatable('')
smt.__index = seen[real_string] or smt.__index
local smt_proxy = protect(smt, seen)
smt.__metatable = smt_proxy

local function nonexistent(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
setmetatable(G, { __index = nonexistent })
local gmt = { __index = G, __newindex = readonly_error }
gmt.__metatable = protect({}, seen)
setmetatable(P, gmt)

rawset(G, 'rawset', wrap(function(t, k, v)
  if real_of[t] then return READONLY, RAISE end
  return rawset(t, k, v), RETURN
end))
rawset(G, 'setmetatable', wrap(function(t, mt)
  if real_of[t] then return READONLY, RAISE end
  return setmetatable(t, mt), RETURN
end))
rawset(G, 'rawget', function(t, k)
  return rawget(real_of[t] or t, k)
end)
rawset(G, 'next', function(t, k)
  return rawnext(real_of[t] or t, k)
end)
rawset(G, 'pairs', function(t)
  return rawpairs(real_of[t] or t)
end)
rawset(G, 'ipairs', function(t)
  return rawipairs(real_of[t] or t)
end)

-- Code loaded at run time runs in the sandbox too, and only as source:
-- Redis's Lua parses a precompiled chunk as text (crafted bytecode can
-- escape the VM, CVE-2015-4335), so its first byte, ESC, is a syntax error.

-- luaO_chunkid as the lexer calls it (MAXSRC 80): how Lua 5.1 names a
-- chunk in a syntax error.
local function chunkid(source)
  local c = sub(source, 1, 1)
  if c == '=' then
    return sub(source, 2, 80)
  elseif c == '@' then
    local name = sub(source, 2)
    if #name > 72 then return '...' .. sub(name, -72) end
    return name
  end
  local cstr = sub(source, 1, (find(source, '\0', 1, true) or #source + 1) - 1)
  local stop = find(cstr, '[\n\r]')
  local line = stop and sub(cstr, 1, stop - 1) or cstr
  if #line > 63 then line = sub(line, 1, 63) end
  if #line < #cstr then line = line .. '...' end
  return '[string "' .. line .. '"]'
end

local function load_text(text, name)
  if sub(text, 1, 1) == '\27' then
    return nil, chunkid(name) .. ":1: unexpected symbol near 'char(27)'"
  end
  local f, e = rawloadstring(text, name)
  if f then setfenv(f, P) end
  return f, e
end

rawset(G, 'loadstring', wrap(function(...)
  local text, name = ...
  if type(text) ~= 'string' and type(text) ~= 'number' then
    local got = select('#', ...) == 0 and 'no value' or type(text)
    return "bad argument #1 to 'loadstring' (string expected, got " .. got .. ")", RAISE_AT
  end
  text = tostring(text)
  if name ~= nil and type(name) ~= 'string' and type(name) ~= 'number' then
    return "bad argument #2 to 'loadstring' (string expected, got " .. type(name) .. ")", RAISE_AT
  end
  return { load_text(text, name ~= nil and tostring(name) or text) }, RETURN_ALL
end))

-- load(reader [, name]): Lua 5.1 reads the pieces `reader` returns until
-- nil or an empty string (its errors propagate); here they are joined
-- first, then loaded as text.
rawset(G, 'load', wrap(function(...)
  local reader, name = ...
  if type(reader) ~= 'function' then
    local got = select('#', ...) == 0 and 'no value' or type(reader)
    return "bad argument #1 to 'load' (function expected, got " .. got .. ")", RAISE_AT
  end
  if name ~= nil and type(name) ~= 'string' and type(name) ~= 'number' then
    return "bad argument #2 to 'load' (string expected, got " .. type(name) .. ")", RAISE_AT
  end
  -- An error while reading is load's answer, not raised: Lua 5.1 reads
  -- inside its protected parser, which runs Redis's error handler (an
  -- error string becomes an {err='ERR …'} table).
  local function failed(e)
    if type(e) ~= 'table' then e = { err = 'ERR ' .. tostring(e) } end
    return { nil, e }, RETURN_ALL
  end
  local pieces = {}
  while true do
    local ok, piece = rawpcall(reader)
    if not ok then return failed(piece) end
    if piece == nil or piece == '' then break end
    if type(piece) ~= 'string' and type(piece) ~= 'number' then
      -- luaL_error's position there is the script's: level 4 from inside
      -- this pcall (error, pcall, this function, the trampoline).
      local _, where = rawpcall(error, '', 4)
      return failed(where .. 'reader function must return a string')
    end
    pieces[#pieces + 1] = tostring(piece)
  end
  return { load_text(concat(pieces), name ~= nil and tostring(name) or '=(load)') }, RETURN_ALL
end))

---------------------------------------------------------------------------
-- Functions (FUNCTION LOAD). A library's code runs once, in an
-- environment whose only global is a `redis` table holding
-- register_function, log, the LOG_* levels and the version (any other name
-- is a missing global, as in Redis); the callbacks it registers keep that
-- environment, whose lookups then go to the ordinary globals. Writes to it
-- are refused, at load time and after.

local registry = nil -- while a library loads: what it registered so far

local function lib_error(msg)
  return { err = 'ERR ' .. msg }, RAISE
end

local function name_ok(s)
  return #s > 0 and not find(s, '[^%w_]')
end

local function read_flags(t)
  local bits = 0
  for _, v in rawnext, (real_of[t] or t) do
    local bit = type(v) == 'string' and FLAG_BITS[v]
    if not bit then return nil end
    bits = bits + (bits % (2 * bit) >= bit and 0 or bit)
  end
  return bits
end

local function is_stringish(v)
  local t = type(v)
  return t == 'string' or t == 'number'
end

local function register(...)
  if not registry then
    return lib_error('redis.register_function can only be called on FUNCTION LOAD command')
  end
  local n = select('#', ...)
  local name, callback, flags, desc
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      return lib_error('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in rawnext, (real_of[t] or t) do
      if k == 'function_name' then
        if not is_stringish(v) then
          return lib_error('function_name argument given to redis.register_function must be a string')
        end
        name = tostring(v)
      elseif k == 'description' then
        if not is_stringish(v) then
          return lib_error('description argument given to redis.register_function must be a string')
        end
        desc = tostring(v)
      elseif k == 'callback' then
        if type(v) ~= 'function' then
          return lib_error('callback argument given to redis.register_function must be a function')
        end
        callback = v
      elseif k == 'flags' then
        if type(v) ~= 'table' then
          return lib_error('flags argument to redis.register_function must be a table representing function flags')
        end
        flags = read_flags(v)
        if not flags then return lib_error('unknown flag given') end
      else
        return lib_error('unknown argument given to redis.register_function')
      end
    end
    if not name then return lib_error('redis.register_function must get a function name argument') end
    if not callback then return lib_error('redis.register_function must get a callback argument') end
  elseif n == 2 then
    name, callback = ...
    if not is_stringish(name) then
      return lib_error('first argument to redis.register_function must be a string')
    end
    name = tostring(name)
    if type(callback) ~= 'function' then
      return lib_error('second argument to redis.register_function must be a function')
    end
  else
    return lib_error('wrong number of arguments to redis.register_function')
  end
  if not name_ok(name) then
    return lib_error('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  -- Within a library names are case-sensitive (Redis's library dict);
  -- across libraries, FCALL's lookup and the collision check are not.
  if registry.seen[name] then
    return lib_error('Function already exists in the library')
  end
  registry.seen[name] = true
  registry[#registry + 1] = { name = name, callback = callback, flags = flags or 0, description = desc }
  return nil, RETURN
end

local function missing_text(k)
  return "Script attempted to access nonexistent global variable '" .. tostring(k) .. "'"
end

-- The load-time `redis`: a proxy whose missing fields are missing globals.
local lib_redis_real = {
  register_function = wrap(register),
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
local lib_redis = {}
real_of[lib_redis] = lib_redis_real
setmetatable(lib_redis, {
  __index = function(t, k)
    local v = rawget(lib_redis_real, k)
    if v == nil then error(missing_text(k), 2) end
    return v
  end,
  __newindex = readonly_error,
  __metatable = {},
})

local function load_index(t, k)
  if k == 'redis' then return lib_redis end
  error(missing_text(k), 2)
end

-- The environment of every library: load-time lookups while a library
-- loads, the ordinary globals otherwise.
local FENV = {}
local fmt = { __index = P, __newindex = readonly_error }
fmt.__metatable = protect({}, seen)
setmetatable(FENV, fmt)

-- The function an FCALL runs, with its arguments (Lua 5.1's xpcall passes
-- none).
local pending_f, pending_keys, pending_argv

local F = {
  env = FENV,
  begin_load = function()
    registry = { seen = {} }
    fmt.__index = load_index
  end,
  end_load = function()
    local r = registry
    registry = nil
    fmt.__index = P
    if r then r.seen = nil end
    return r
  end,
  prepare = function(f, keys, argv)
    pending_f, pending_keys, pending_argv = f, keys, argv
  end,
  run = function()
    local f, k, a = pending_f, pending_keys, pending_argv
    pending_f, pending_keys, pending_argv = nil, nil, nil
    return f(k, a)
  end,
}

return P, F
