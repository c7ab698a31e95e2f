-- closures.lua: upvalues, varargs, recursion, tail calls, goto.
local function counter(start, step)
  local n = start
  return function() n = n + step; return n end, function() return n end
end
local inc, get = counter(10, 3)
inc(); inc()
print(get(), inc(), get())

-- closures in loops capture a fresh variable per iteration
local fs = {}
for i = 1, 5 do fs[i] = function() return i * i end end
local out = {}
for i = 1, 5 do out[i] = fs[i]() end
print(table.concat(out, " "))

-- shared upvalue between sibling closures
local function pair()
  local v = 0
  return function(x) v = v + x end, function() return v end
end
local add, read = pair()
for i = 1, 100 do add(i) end
print(read())

-- varargs
local function va(...)
  local n = select("#", ...)
  local t = { ... }
  return n, #t, select(-1, ...), (select(2, ...))
end
print(va(1, nil, 3, nil))
print(va("a", "b"))
local function pass(...) return ... end
print(pass(1, 2, 3), pass(), (pass(4, 5)))
print(select("#", pass(nil, nil, nil)), pcall(select, 0))
local packed = table.pack(pass(7, 8, 9))
print(packed.n, table.unpack(packed, 1, packed.n))

-- mutual recursion and memoisation
local is_even, is_odd
function is_even(n) if n == 0 then return true end return is_odd(n - 1) end
function is_odd(n) if n == 0 then return false end return is_even(n - 1) end
print(is_even(100), is_odd(77), is_even(7))
local memo = {}
local function fib(n)
  if n < 2 then return n end
  local m = memo[n]
  if m then return m end
  m = fib(n - 1) + fib(n - 2)
  memo[n] = m
  return m
end
print(fib(80))
local function slowfib(n) if n < 2 then return n end return slowfib(n - 1) + slowfib(n - 2) end
print(slowfib(24))
local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
print(ack(2, 3), ack(3, 3))

-- proper tail calls: a million deep without growing the stack
local function loop(n, acc) if n == 0 then return acc end return loop(n - 1, acc + n) end
print(loop(1000000, 0))

-- deep non-tail recursion that still fits
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(15000))

-- higher-order functions
local function map(t, f) local r = {} for i, v in ipairs(t) do r[i] = f(v) end return r end
local function filter(t, p) local r = {} for _, v in ipairs(t) do if p(v) then r[#r + 1] = v end end return r end
local function reduce(t, f, a) for _, v in ipairs(t) do a = f(a, v) end return a end
local nums = {}
for i = 1, 100 do nums[i] = i end
print(reduce(map(filter(nums, function(x) return x % 2 == 1 end), function(x) return x * x end),
  function(a, b) return a + b end, 0))
local function compose(...)
  local fns = { ... }
  return function(x) for i = #fns, 1, -1 do x = fns[i](x) end return x end
end
print(compose(function(x) return x + 1 end, function(x) return x * 2 end, math.abs)(-5))
local function curry(f, n, ...)
  local args = { ... }
  if #args >= n then return f(table.unpack(args, 1, n)) end
  return function(...) local a = { table.unpack(args) } for _, v in ipairs({ ... }) do a[#a + 1] = v end
    return curry(f, n, table.unpack(a)) end
end
print(curry(function(a, b, c) return a .. b .. c end, 3)("x")("y")("z"))

-- goto and nested loops
local found
for i = 1, 10 do
  for j = 1, 10 do
    if i * j == 42 then found = i .. "x" .. j; goto done end
  end
end
::done::
print(found)
local k = 0
::again::
k = k + 1
if k < 5 then goto again end
print(k)

-- upvalues shared across coroutine boundaries
local shared = 0
local co = coroutine.wrap(function() for i = 1, 3 do shared = shared + i; coroutine.yield() end end)
co(); co(); co()
print(shared)
print("ok closures")
