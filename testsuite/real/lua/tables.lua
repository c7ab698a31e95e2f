-- tables.lua: table library, sorting, metatables, deterministic traversal.
local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) < type(b)
  end)
  return ks
end

local function dump(t)
  local out = {}
  for _, k in ipairs(sorted_keys(t)) do
    local v = t[k]
    if type(v) == "table" then v = dump(v) end
    out[#out + 1] = tostring(k) .. "=" .. tostring(v)
  end
  return "{" .. table.concat(out, ",") .. "}"
end

local t = { 10, 20, 30, x = 1, y = { 1, 2, z = "deep" } }
print(#t, dump(t))
table.insert(t, 40); table.insert(t, 1, 5)
print(table.concat(t, " "), table.remove(t), table.remove(t, 1), table.concat(t, " "))
print(table.unpack({ 1, 2, 3 }, 2), select("#", table.unpack({}, 1, 3)))
print(table.concat(table.move({ 1, 2, 3, 4, 5 }, 2, 4, 1), ","))
print(table.pack(1, nil, 3)[3], table.pack(1, nil, 3).n)

-- sorting with and without comparator, stability-independent output
local r, seed = {}, 12345
for i = 1, 500 do seed = (seed * 1103515245 + 12345) % 2147483648; r[i] = seed % 1000 end
table.sort(r)
local ok = true
for i = 2, #r do if r[i - 1] > r[i] then ok = false end end
print("sorted", ok, r[1], r[250], r[500])
table.sort(r, function(a, b) return a > b end)
print("desc", r[1], r[250], r[500])
local recs = {}
for i = 1, 50 do recs[i] = { name = string.format("n%02d", (i * 37) % 50), v = i % 7 } end
table.sort(recs, function(a, b) if a.v ~= b.v then return a.v < b.v end return a.name < b.name end)
local names = {}
for i = 1, 10 do names[i] = recs[i].name .. ":" .. recs[i].v end
print(table.concat(names, " "))
print(pcall(table.sort, { 3, 1, 2 }, function(a, b) error("cmp failed") end))
print(pcall(table.sort, { 1, "x", 2 }))

-- metatables
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({ x = x, y = y }, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__eq(a, b) return a.x == b.x and a.y == b.y end
function Vec.__lt(a, b) return a:len2() < b:len2() end
function Vec.__le(a, b) return a:len2() <= b:len2() end
function Vec.__tostring(v) return "(" .. v.x .. "," .. v.y .. ")" end
function Vec.__len(v) return 2 end
function Vec.__call(v, k) return v[k] end
function Vec.__concat(a, b) return tostring(a) .. tostring(b) end
function Vec.__unm(v) return Vec.new(-v.x, -v.y) end
function Vec:len2() return self.x * self.x + self.y * self.y end
local a, b = Vec.new(1, 2), Vec.new(3, 4)
print(tostring(a + b), a == Vec.new(1, 2), a < b, b <= a, #a, a("y"), a .. b, tostring(-a))

local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) log[#log + 1] = "get " .. tostring(k); return k * 2 end,
  __newindex = function(t, k, v) log[#log + 1] = "set " .. tostring(k); rawset(t, k, v + 1) end,
})
print(proxy[21], proxy[4]); proxy[1] = 10; print(proxy[1], rawget(proxy, 2))
print(table.concat(log, ";"))

-- inheritance chain
local Base = { kind = "base" }
Base.__index = Base
function Base:describe() return self.kind .. "/" .. self:name() end
function Base:name() return "anon" end
local Derived = setmetatable({ kind = "derived" }, Base)
Derived.__index = Derived
function Derived:name() return "d" .. self.id end
local objs = {}
for i = 1, 5 do objs[i] = setmetatable({ id = i }, i % 2 == 0 and Derived or Base) end
for _, o in ipairs(objs) do io.write(o:describe(), " ") end
print()

-- big table with mixed keys: sums are order independent
local big = {}
for i = 1, 20000 do big[i] = i; big["k" .. i] = i * 2; big[i + 0.5] = 1 end
local n, s = 0, 0
for k, v in pairs(big) do n = n + 1; s = s + v end
print(n, s, #big)
for i = 1, 20000, 2 do big[i] = nil end
n = 0
for _ in pairs(big) do n = n + 1 end
print(n, next({}), rawlen({ 1, 2 }), rawequal(big, big))
print("ok tables")
