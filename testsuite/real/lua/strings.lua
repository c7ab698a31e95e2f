-- strings.lua: string library, patterns, formatting, pack/unpack, utf8.
local function show(...) print(select("#", ...), ...) end

local s = "The quick brown fox jumps over the lazy dog"
print(#s, s:upper(), s:lower(), s:reverse())
print(s:sub(5, 9), s:sub(-3), s:sub(0), s:sub(10, 5) == "")
print(s:byte(1, 5))
print(string.char(72, 105, 33), ("x"):rep(5, "-"), ("ab"):rep(0))
show(s:find("fox"), s:find("o", 20), s:find("%s(%a+)%s", 10), s:find(".", 1, true))
show(s:match("(%a+) (%a+)$"), s:match("()ck()"), ("key = value"):match("^(%w+)%s*=%s*(%w+)$"))

local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = w end
print(#words, table.concat(words, ","))
for k, v in ("a=1, b=22, ccc=333"):gmatch("(%w+)=(%w+)") do io.write(k, ":", v, ";") end
print()

print(s:gsub("o", "0"))
print(s:gsub("%w+", string.upper, 3))
print(("hello world"):gsub("(%w+) (%w+)", "%2 %1 %0"))
local lookup = { quick = "slow", lazy = "busy" }
print(s:gsub("%a+", lookup))
print(("abc"):gsub("", "-"))
print(("$name is $age"):gsub("%$(%w+)", function(k) return ({ name = "lua", age = 31 })[k] end))
print(("f(a(b)c)d"):match("%b()"), ("  trim me  "):match("^%s*(.-)%s*$"))
print(("THE (quick) fox"):find("%f[%a]%a+%f[%A]"))

-- string.format in many shapes
print(string.format("%d %5d %-5d| %05d %+d %x %X %o", 42, 42, 42, 42, 42, 255, 255, 8))
print(string.format("%5.2f %e %.3g %g %g %g", math.pi, 12345.678, 0.0001234, 1e20, 2^53, 0.1))
print(string.format("%q", 'a "quoted"\n\0 string\t\200'))
print(string.format("%q %q %q", 1 / 0, -1 / 0, math.mininteger))
print(string.format("%s %s %s %10.3s|", nil, true, 12.5, "abcdef"))
print(string.format("%c%c%c %%", 76, 117, 97))
print(string.format("%a", 1.0) ~= nil, string.format("%.14g", 0.1 + 0.2))
print(pcall(string.format, "%d", 1.5))
print(pcall(string.format, "%y", 1))

-- tostring / tonumber conversions
print(tonumber("0x1p4"), tonumber("  12  "), tonumber("1e2"), tonumber("z", 36), tonumber("777", 8))
print(tonumber(""), tonumber("1e"), tonumber("0x"), math.type(tonumber("10")), math.type(tonumber("10.0")))
print(10 .. 20, 1.5 .. "", -0.0 .. "", 2^63 .. "", math.maxinteger .. "")

-- pack / unpack
local packed = string.pack("<i4 >I2 z s1 d", -7, 513, "zero", "len", 2.5)
print(#packed, string.unpack("<i4 >I2 z s1 d", packed))
print(string.packsize("i4 i8 !8 d"), pcall(string.pack, "i17", 1))

-- utf8
local u = "h\u{E9}llo w\u{F6}rld \u{1F600}"
print(#u, utf8.len(u), utf8.char(72, 228, 8364, 128512))
for p, c in utf8.codes("a\u{E9}\u{20AC}") do io.write(p, "=", c, " ") end
print()
print(utf8.codepoint(u, 1, -1))
print(utf8.offset(u, 3), utf8.len("\xff"), utf8.charpattern)

-- long string building
local parts = {}
for i = 1, 2000 do parts[i] = string.format("%04d", (i * 7919) % 10000) end
local big = table.concat(parts, "|")
print(#big, big:sub(1, 30), select(2, big:gsub("|", "|")))
local sum = 0
for n in big:gmatch("%d+") do sum = sum + tonumber(n) end
print(sum)
print("ok strings")
