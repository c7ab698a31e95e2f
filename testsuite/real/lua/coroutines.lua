-- coroutines.lua: generators, wrap, yields across pcall, errors and close.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i, i * i) end
    return "done"
  end)
end
local g = gen(4)
print(g()); print(g()); print(g()); print(g()); print(g())
print(pcall(g))

local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  print("got", d, e)
  return "end", d + e
end)
print(coroutine.status(co), coroutine.resume(co, 1, 2))
print(coroutine.status(co), coroutine.resume(co, 10))
print(coroutine.status(co), coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))
print(coroutine.isyieldable(), type(coroutine.running()), select(2, coroutine.running()))

-- yield across pcall and across metamethods / iterators
local co2 = coroutine.wrap(function()
  local ok, v = pcall(function()
    local x = coroutine.yield("inside pcall")
    error({ code = x })
  end)
  coroutine.yield(ok, type(v) == "table" and v.code)
  local t = setmetatable({}, { __index = function(_, k) return coroutine.yield("index " .. k) end })
  local r = t.foo
  coroutine.yield("index returned " .. tostring(r))
  for i, v in ipairs({ "a", "b" }) do coroutine.yield(i .. v) end
  return "co2 end"
end)
print(co2()); print(co2(7)); print(co2()); print(co2("bar")); print(co2()); print(co2()); print(co2())

-- errors inside coroutines, tracebacks of dead coroutines
local bad = coroutine.create(function() local x = nil; coroutine.yield(1); return x.field end)
print(coroutine.resume(bad))
print(coroutine.resume(bad))
print(coroutine.status(bad), coroutine.resume(bad))
print((debug.traceback(bad):gsub("\n%s*", " | ")))
print(coroutine.close(bad))

-- to-be-closed variables and coroutine.close
local closed = {}
local function closer(name)
  return setmetatable({}, { __close = function(_, err) closed[#closed + 1] = name .. ":" .. tostring(err) end })
end
local c3 = coroutine.create(function()
  local a <close> = closer("a")
  local b <close> = closer("b")
  coroutine.yield("suspended with two pending")
end)
print(coroutine.resume(c3))
print(coroutine.close(c3), coroutine.status(c3), table.concat(closed, " "))

-- producer / consumer pipeline through three coroutines
local function producer()
  return coroutine.wrap(function()
    for i = 1, 200 do coroutine.yield(i) end
  end)
end
local function filter(src, pred)
  return coroutine.wrap(function()
    for v in src do if pred(v) then coroutine.yield(v) end end
  end)
end
local function map(src, f)
  return coroutine.wrap(function() for v in src do coroutine.yield(f(v)) end end)
end
local total, count = 0, 0
for v in map(filter(producer(), function(x) return x % 3 == 0 end), function(x) return x * x end) do
  total = total + v; count = count + 1
end
print("pipeline", count, total)

-- nested coroutines resuming each other, deep chain
local function chain(n)
  if n == 0 then return coroutine.yield("bottom") end
  local c = coroutine.wrap(chain)
  local v = c(n - 1)
  return v .. "<" .. n
end
local top = coroutine.wrap(chain)
print(#top(60))

-- too deep: C stack overflow is reported as an error, then we carry on
local function deep(n)
  local c = coroutine.wrap(function() return deep(n + 1) end)
  return c()
end
local ok, err = pcall(deep, 1)
print("deep ok?", ok, tostring(err):match("C stack overflow"), select(2, tostring(err):gsub("coroutines.lua", "")))

-- many short-lived coroutines
local sum = 0
for i = 1, 3000 do
  local c = coroutine.create(function(x) local y = coroutine.yield(x + 1); return y * 2 end)
  local _, a = coroutine.resume(c, i)
  local _, b = coroutine.resume(c, a)
  sum = sum + b
end
print("many", sum)

-- yield from inside sort comparator is not allowed: error, not crash
local c4 = coroutine.create(function()
  table.sort({ 3, 2, 1 }, function(a, b) coroutine.yield(); return a < b end)
end)
print(coroutine.resume(c4))
print("ok coroutines")
