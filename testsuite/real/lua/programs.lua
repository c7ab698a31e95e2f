-- programs.lua: a few small whole programs (queens, json, an interpreter).
-- N queens
local function queens(n)
  local count, cols, d1, d2 = 0, {}, {}, {}
  local function place(r)
    if r > n then count = count + 1; return end
    for c = 1, n do
      if not cols[c] and not d1[r + c] and not d2[r - c + n] then
        cols[c], d1[r + c], d2[r - c + n] = true, true, true
        place(r + 1)
        cols[c], d1[r + c], d2[r - c + n] = nil, nil, nil
      end
    end
  end
  place(1)
  return count
end
print("queens", queens(6), queens(8))

-- tiny JSON encoder / decoder
local function encode(v)
  local t = type(v)
  if t == "table" then
    if #v > 0 or next(v) == nil then
      local r = {}
      for i, x in ipairs(v) do r[i] = encode(x) end
      return "[" .. table.concat(r, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    local r = {}
    for i, k in ipairs(keys) do r[i] = string.format("%q:%s", k, encode(v[k])) end
    return "{" .. table.concat(r, ",") .. "}"
  elseif t == "string" then return string.format("%q", v)
  else return tostring(v) end
end
local function decode(s)
  local pos = 1
  local function ws() pos = s:find("%S", pos) or #s + 1 end
  local value
  local function str()
    local e = s:find('"', pos + 1, true)
    local r = s:sub(pos + 1, e - 1)
    pos = e + 1
    return r
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local r = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return r end
      repeat
        ws(); local k = str(); ws()
        assert(s:sub(pos, pos) == ":", "colon expected at " .. pos); pos = pos + 1
        r[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
      until d == "}"
      return r
    elseif c == "[" then
      local r = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return r end
      repeat
        r[#r + 1] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
      until d == "]"
      return r
    elseif c == '"' then return str()
    else
      local tok = s:match("^[%w%.%-+]+", pos)
      pos = pos + #tok
      if tok == "true" then return true elseif tok == "false" then return false end
      return math.tointeger(tonumber(tok)) or tonumber(tok)
    end
  end
  return value()
end
local doc = { name = "goprof", list = { 1, 2, 3, { deep = true } }, n = 3.25, nested = { a = { b = { c = "x" } } } }
local text = encode(doc)
print(text)
print(encode(decode(text)) == text)
print(pcall(decode, '{"a" 1}'))

-- a stack-machine interpreter running a loop program
local function run(prog)
  local stack, pc, steps = {}, 1, 0
  local vars = {}
  while true do
    local ins = prog[pc]
    steps = steps + 1
    local op, arg = ins[1], ins[2]
    if op == "push" then stack[#stack + 1] = arg
    elseif op == "load" then stack[#stack + 1] = vars[arg] or 0
    elseif op == "store" then vars[arg] = table.remove(stack)
    elseif op == "add" then local b, a = table.remove(stack), table.remove(stack); stack[#stack + 1] = a + b
    elseif op == "lt" then local b, a = table.remove(stack), table.remove(stack); stack[#stack + 1] = a < b
    elseif op == "jz" then if not table.remove(stack) then pc = arg - 1 end
    elseif op == "jmp" then pc = arg - 1
    elseif op == "halt" then return vars, steps
    else error("bad op " .. tostring(op)) end
    pc = pc + 1
  end
end
local prog = {
  { "push", 0 }, { "store", "i" }, { "push", 0 }, { "store", "s" },
  { "load", "i" }, { "push", 5000 }, { "lt" }, { "jz", 18 },
  { "load", "s" }, { "load", "i" }, { "add" }, { "store", "s" },
  { "load", "i" }, { "push", 1 }, { "add" }, { "store", "i" }, { "jmp", 5 },
  { "halt" },
}
local vars, steps = run(prog)
print("vm", vars.s, vars.i, steps)
print(pcall(run, { { "bogus" } }))

-- word frequency over generated text, printed in sorted order
local words = { "alpha", "beta", "gamma", "delta", "epsilon" }
local text2 = {}
for k = 1, 3000 do text2[k] = words[(k * k + 3 * k) % #words + 1] end
local freq = {}
for w in table.concat(text2, " "):gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
local ks = {}
for w in pairs(freq) do ks[#ks + 1] = w end
table.sort(ks)
for _, w in ipairs(ks) do io.write(w, "=", freq[w], " ") end
print()
print("ok programs")
