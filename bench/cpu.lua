-- cpu.lua - CPU-bound Lua workload for bench/bench.sh.
-- Usage: lua cpu.lua [SCALE]   (default 10; the work grows linearly)
-- A mix of what interpreters spend time on: calls and closures, table
-- building and sorting, string building and pattern matching, coroutines
-- and garbage collection.  Prints a checksum so the work cannot be skipped.
local scale = tonumber(arg and arg[1]) or 10

local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local function tables(n)
  local t, seed = {}, 7
  for i = 1, n do
    seed = (seed * 1103515245 + 12345) % 2147483648
    t[i] = { key = seed % 100000, name = "k" .. (seed % 997) }
  end
  table.sort(t, function(a, b) return a.key < b.key end)
  local idx = {}
  for _, r in ipairs(t) do idx[r.name] = (idx[r.name] or 0) + r.key end
  local s = 0
  for _, v in pairs(idx) do s = s + v end
  return s % 1000003
end

local function strings(n)
  local parts = {}
  for i = 1, n do parts[#parts + 1] = string.format("%d:%x;", i, i * 31) end
  local text = table.concat(parts)
  local s = 0
  for a, b in text:gmatch("(%d+):(%x+);") do s = s + #a + #b end
  local up = text:gsub("%x+", function(h) return #h end)
  return (s + #up) % 1000003
end

local function coroutines(n)
  local gen = coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
    return nil
  end)
  local s = 0
  for v in gen do s = s + v % 7 end
  return s
end

local check = 0
for _ = 1, scale do
  check = (check + fib(22)) % 1000003
  check = (check + tables(20000)) % 1000003
  check = (check + strings(20000)) % 1000003
  check = (check + coroutines(50000)) % 1000003
end
print("checksum", check)
