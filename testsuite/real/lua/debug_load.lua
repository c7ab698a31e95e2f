-- debug_load.lua: load/dump, environments, the debug library and hooks.
local f = load("return 1 + ...")
print(f(41))
print(load("syntax error here"))
print(load("return x", "chunk", "t", { x = "from env" })())
local parts = { "return ", "'pie", "ces'" }
local i = 0
print(load(function() i = i + 1; return parts[i] end)())
print(pcall(load, "return 1", "bin", "b"))

-- string.dump round trip (with and without debug info)
local function adder(a) return function(b) return a + b end end
local code = string.dump(function(x, y) local z = x * y; return z + 1, "dumped" end)
print(load(code, "dump", "b")(6, 7))
local stripped = string.dump(function(n) local s = 0 for k = 1, n do s = s + k end return s end, true)
print(load(stripped, "dump", "b")(100))

-- _ENV tricks
do
  local _ENV = { print = print, tostring = tostring }
  y = 5
  print(y, tostring(_ENV.y))
end
print(y)

-- debug.getinfo / getlocal / upvalues
local function probe(a, b)
  local c = a + b
  local info = debug.getinfo(1, "nSlu")
  local names = {}
  local k = 1
  while true do
    local n, v = debug.getlocal(1, k)
    if not n then break end
    names[#names + 1] = n .. "=" .. tostring(type(v) == "table" and "tbl" or v)
    k = k + 1
  end
  return info.name, info.what, info.currentline, info.nparams, info.nups, table.concat(names, " ")
end
print(probe(2, 3))
local up = 10
local function useup() return up end
print(debug.getupvalue(useup, 1), debug.setupvalue(useup, 1, 11), useup())
print(debug.getinfo(print).what, debug.getinfo(1, "l").currentline)

-- call/return hooks: counts must be identical in every build
local calls, rets = 0, 0
debug.sethook(function(ev)
  if ev == "call" or ev == "tail call" then calls = calls + 1 else rets = rets + 1 end
end, "cr")
local function leaf(x) return x + 1 end
local function mid(x) return leaf(x) * 2 end
local acc = 0
for n = 1, 1000 do acc = acc + mid(n) end
local s = ("abc"):rep(3):upper()
debug.sethook()
print("hooks", acc, calls, rets, s)

-- line and count hooks
local lines = 0
debug.sethook(function() lines = lines + 1 end, "l")
for n = 1, 10 do acc = acc + n end
debug.sethook()
print("lines", lines)
local counts = 0
debug.sethook(function() counts = counts + 1 end, "", 100)
for n = 1, 10000 do acc = acc + n end
debug.sethook()
print("counts", counts > 0)

-- error inside a hook
local function g() end
local okh, errh = pcall(function()
  debug.sethook(function() debug.sethook(); error("hook error") end, "c")
  g()
end)
print(okh, errh)

-- require a module written on the fly
local tmp = os.tmpname()
local fh = assert(io.open(tmp, "w"))
fh:write("local M = {} function M.twice(x) return 2 * x end return M\n")
fh:close()
package.path = tmp:gsub("[^/]*$", "?") .. ";" .. package.path
local modname = tmp:match("[^/]*$")
local M = require(modname)
print("module", M.twice(21), package.loaded[modname] == M)
-- io on the temp file
fh = assert(io.open(tmp, "w"))
for n = 1, 100 do fh:write(n, "\n") end
fh:close()
local total = 0
for line in io.lines(tmp) do total = total + tonumber(line) end
fh = assert(io.open(tmp, "rb"))
local all = fh:read("a")
fh:seek("set", 0)
local first = fh:read("n")
fh:close()
os.remove(tmp)
print("io", total, #all, first, io.open(tmp) == nil)
print(os.time({ year = 2020, month = 1, day = 1, hour = 12 }) - os.time({ year = 2019, month = 12, day = 31, hour = 12 }))
print(os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365), type(os.clock()), os.getenv("GOPROF_SURELY_UNSET_VAR"))
print("ok debug_load")
