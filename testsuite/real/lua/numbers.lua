-- numbers.lua: integer and float arithmetic, math library, formatting.
print(7 // 2, 7.0 // 2, -7 // 2, 7 % 3, -7 % 3, 7 % -3, 5.5 % 2, 2^10, 7 / 2)
print(math.maxinteger + 1 == math.mininteger, math.mininteger // -1, math.maxinteger * 2)
print(1 << 62, 1 << 63, 1 << 64, -1 >> 1, 0xFF & 0x0F, 0xF0 | 0x0F, 0xFF ~ 0x0F, ~0)
print(3 == 3.0, math.type(3), math.type(3.0), math.type("3"), 1 / 0 > math.maxinteger)
print(math.floor(-3.5), math.ceil(-3.5), math.floor(3.7), math.fmod(7, -3), math.fmod(-7, 3))
print(math.abs(math.mininteger), math.tointeger(5.0), math.tointeger(5.5), math.ult(1, -1))
print(string.format("%.6f %.6f %.6f %.6f", math.sin(1), math.cos(1), math.exp(1), math.log(10)))
print(string.format("%.6f %.6f %.6f", math.log(8, 2), math.sqrt(2), math.atan(1, 2)))
print(math.max(3, 9, -1), math.min(3.5, 2), math.huge, -math.huge, math.pi)
print(0.1 + 0.2 == 0.3, 0.1 + 0.2, 100000000000000, 1e15, 2^53 + 1, 123456789012)
local nan = 0 / 0
print(nan ~= nan, tostring(nan):find("nan") ~= nil, math.huge // 1)
print(8 // 0.0, -8 // 0.0, pcall(function() return 8 % 0 end))
print(3 | 0, pcall(function() return 3.5 | 0 end))
print("10" + 5, "3" * "4", 10 .. "", "0x10" + 0, " 5 " * 2)

-- deterministic pseudo-random numbers
math.randomseed(42)
local r = {}
for i = 1, 8 do r[i] = math.random(1, 1000) end
print(table.concat(r, " "))
math.randomseed(42)
print(math.random(1, 1000) == r[1], math.random(0) ~= nil)
local f = math.random()
print(f >= 0 and f < 1)

-- numeric loops with float steps and large ranges
local s = 0
for x = 1, 0, -0.25 do s = s + x end
print(s)
local c = 0
for i = math.maxinteger - 2, math.maxinteger do c = c + 1 end
print(c)
for i = 1, 3, 1 do io.write(i, ",") end print()

-- integer checksum loop
local h = 0
for i = 1, 200000 do h = (h * 31 + i) & 0xFFFFFFFF end
print(h)
-- float accumulation
local acc = 0.0
for i = 1, 100000 do acc = acc + 1 / i end
print(string.format("%.12f", acc))
-- sieve of Eratosthenes
local N = 50000
local comp, primes = {}, 0
for i = 2, N do
  if not comp[i] then primes = primes + 1; for j = i * i, N, i do comp[j] = true end end
end
print("primes", primes)
print("ok numbers")
