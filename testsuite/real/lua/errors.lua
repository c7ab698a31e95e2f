-- errors.lua: error/pcall/xpcall in many shapes; every error unwinds with
-- longjmp through C frames of the interpreter.
local function strip(msg) return (tostring(msg):gsub("^[^:]*:%d+: ", "")) end

print(pcall(error))
print(pcall(error, nil))
print(pcall(error, "plain", 0))
print(select(2, pcall(error, { code = 42 })).code)
print(select(2, pcall(error, setmetatable({}, { __tostring = function() return "custom" end }))) ~= nil)
print(pcall(function() error("level1") end))
print(pcall(function() local function f() error("level2", 2) end f() end))
print(pcall(function() local x = nil; return x.y end))
print(pcall(function() return 1 + {} end))
print(pcall(function() return #5 end))
print(pcall(function() return ("x"):bad() end))
print(pcall(function() return 1 < "2" end))
print(pcall(function() return 1 // 0 end))
print(pcall(string.rep, "x", -1), pcall(string.rep))
print(pcall(setmetatable, 1, {}))
print(pcall(next, {}, "nokey"))
print(pcall(tostring))

-- xpcall with message handlers
print(xpcall(function() error("with handler") end, function(m) return "handled: " .. strip(m) end))
print(xpcall(function(a, b) return a + b end, print, 3, 4))
local tb = select(2, xpcall(function() local t = nil; t.x = 1 end, debug.traceback))
print((tb:gsub("\n%s*", " | ")))
print(xpcall(function() error("e1") end, function(m) error("handler fails") end))

-- nested pcalls, errors rethrown through several levels
local function nest(n)
  if n == 0 then error("bottom of nest") end
  local ok, err = pcall(nest, n - 1)
  error(strip(err) .. "<" .. n, 0)
end
local ok, err = pcall(nest, 30)
print(ok, #err, err:sub(1, 40))

-- errors from callbacks called by C library functions
print(pcall(string.gsub, "abc", "%w", function(c) if c == "b" then error("in gsub cb") end end))
print(select(2, pcall(table.sort, { 5, 4, 3, 2, 1 }, function(a, b) if a == 3 then error({ cmp = a }) end return a < b end)).cmp)
print(pcall(load, function() error("reader fails") end))
print(pcall(function() return setmetatable({}, { __index = function() error("index mm") end }).key end))
local mt = { __add = function() error("add mm") end, __index = function(t, k) return k .. "!" end }
local obj = setmetatable({}, mt)
print(pcall(function() return obj + 1 end), obj.hi)

-- Lua stack overflow, caught and repeated: interpreter must stay sane
local function rec(n) return 1 + rec(n + 1) end
for i = 1, 3 do
  local ok2, e = pcall(rec, 1)
  print("overflow", i, ok2, strip(e):sub(1, 14))
end
-- C stack overflow via nested C calls (gsub callback recursion)
local function cdeep(n) return (("x"):gsub("x", function() return cdeep(n + 1) end)) end
for i = 1, 3 do
  local ok3, e = pcall(cdeep, 1)
  print("c overflow", i, ok3, strip(e):match("stack overflow") or strip(e))
end
-- stack overflow inside message handler
print(xpcall(rec, function(m) return rec(1) end, 1))

-- to-be-closed variables run during error unwinding
local trail = {}
local function tbc(name)
  return setmetatable({}, { __close = function(_, e) trail[#trail + 1] = name .. "(" .. strip(e) .. ")" end })
end
print(pcall(function()
  local a <close> = tbc("a")
  do
    local b <close> = tbc("b")
    error("unwind", 0)
  end
end))
print(table.concat(trail, " "))

-- error values of every type
for _, v in ipairs({ 1, 2.5, true, "s", {} }) do
  local ok4, e = pcall(error, v)
  io.write(type(e), " ")
end
print()

-- many protected calls in a loop
local fails = 0
for i = 1, 20000 do
  local ok5 = pcall(function(x) if x % 3 == 0 then error(x) end return x end, i)
  if not ok5 then fails = fails + 1 end
end
print("fails", fails)

-- assert
print(pcall(assert, false), pcall(assert, nil, "assert msg"), pcall(assert, 1, 2, 3))
-- warn is on only when asked
warn("@on"); warn("visible ", "warning"); warn("@off"); warn("hidden")
print("ok errors")
