local function ser(v)
  local t = type(v)
  if t == 'string' then return 's:'..(v:gsub('.', function(c) return string.format('%02x', c:byte()) end))
  elseif t == 'number' then return 'n:'..string.format('%.17g', v)
  elseif t == 'table' then local p = {} for k, x in pairs(v) do p[#p+1] = ser(k)..'='..ser(x) end return '{'..table.concat(p, ',')..'}'
  elseif t == 'userdata' then return 'u:'..tostring(v == cjson.null)
  else return t..':'..tostring(v) end
end
local seed = 12345
local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648 return math.floor(seed / 65536) % n end
local function rstr(n) local t = {} for i = 1, n do t[i] = string.char(rnd(256)) end return table.concat(t) end
local function rval(d)
  local k = rnd(d > 0 and 9 or 6)
  if k == 0 then return rnd(1000) - 500
  elseif k == 1 then return (rnd(2000000) - 1000000) / (rnd(1000) + 1)
  elseif k == 2 then return rstr(rnd(40))
  elseif k == 3 then return rnd(2) == 1
  elseif k == 4 then return 2 ^ rnd(70) * (rnd(2) == 1 and -1 or 1)
  elseif k == 5 then return rstr(rnd(3))
  elseif k == 6 then local t = {} for i = 1, rnd(6) do t[i] = rval(d - 1) end return t
  elseif k == 7 then local t = {} for i = 1, rnd(6) do t[rstr(rnd(4) + 1)] = rval(d - 1) end return t
  else local t = {} for i = 1, rnd(6) do t[rnd(12) + 1] = rval(d - 1) end return t end
end
local function pack(...) return {n = select('#', ...), ...} end
local function rnum()
  local k = rnd(6)
  if k == 0 then return rnd(1000) - 500 elseif k == 1 then return (rnd(2000000) - 1000000) / (rnd(1000) + 1)
  elseif k == 2 then return 2 ^ rnd(70) * (rnd(2) == 1 and -1 or 1) elseif k == 3 then return 2 ^ rnd(70) + rnd(5) - 2
  elseif k == 4 then return -(2 ^ rnd(34)) - rnd(3) + 1 else return rnd(70000) * (rnd(2) == 1 and -1 or 1) end
end
