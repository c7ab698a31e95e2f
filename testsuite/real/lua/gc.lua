-- gc.lua: garbage collector modes, finalizers, weak tables, heavy allocation.
local order = {}
do
  for i = 1, 5 do
    setmetatable({}, { __gc = function() order[#order + 1] = i end })
  end
end
collectgarbage()
collectgarbage()
table.sort(order)
print("finalized", #order, table.concat(order, ","))

-- finalizer that resurrects and an error inside a finalizer (becomes a warning)
local saved
do
  setmetatable({ name = "phoenix" }, { __gc = function(o) saved = o end })
  setmetatable({}, { __gc = function() error("gc error") end })
end
collectgarbage(); collectgarbage()
print("resurrected", saved and saved.name)

-- weak tables
local weakk = setmetatable({}, { __mode = "k" })
local weakv = setmetatable({}, { __mode = "v" })
local keep = {}
for i = 1, 100 do
  local k = {}
  weakk[k] = i
  weakv[i] = {}
  if i % 10 == 0 then keep[#keep + 1] = k; keep[#keep + 1] = weakv[i] end
end
collectgarbage()
local nk, nv = 0, 0
for _ in pairs(weakk) do nk = nk + 1 end
for _ in pairs(weakv) do nv = nv + 1 end
print("weak", nk, nv)
-- ephemeron: value refers to key
local eph = setmetatable({}, { __mode = "k" })
do local k = {}; eph[k] = { ref = k } end
collectgarbage()
print("ephemeron", next(eph) == nil)

-- generational and incremental modes under allocation pressure
local function churn(rounds)
  local live = {}
  local total = 0
  for r = 1, rounds do
    local t = {}
    for i = 1, 200 do t[i] = { i, tostring(i), r } end
    live[r % 20 + 1] = t
    total = total + #t
  end
  return total
end
print(collectgarbage("generational"))
print("gen", churn(300))
print(collectgarbage("incremental"))
print("inc", churn(300))
collectgarbage("stop")
print("stopped", collectgarbage("isrunning"))
churn(20)
collectgarbage("restart")
print("running", collectgarbage("isrunning"))
print(collectgarbage("step", 0) ~= nil, type(collectgarbage("count")))

-- strings and closures as garbage
local strs = 0
for i = 1, 20000 do
  local s = ("item" .. i):rep(3)
  strs = strs + #s
end
print("strings", strs)
local fns = 0
for i = 1, 20000 do
  local f = function() return i end
  fns = fns + f()
end
print("closures", fns)

-- __close and __gc together
do
  local x <close> = setmetatable({}, { __close = function() print("closed x") end })
  local y <close> = nil
  print("in block")
end
print("ok gc")
