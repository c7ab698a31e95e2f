#!/bin/sh
# go tool pprof -disasm and -addresses with the binary at hand (the mapping's file name): on
# progs/lines-calls.c built without PIE (go tool pprof's own disassembler translates no
# addresses, so it annotates an object loaded at its link address only), -disasm twice puts
# twice()'s time on its two CALL instructions 3:1, and -addresses shows twice() at exactly
# the addresses of those calls (a return address minus one), as objdump finds them.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_cmd objdump "binutils' objdump"

gp_build_prog prog lines-calls -no-pie
gp_cpu_profile cpu ./prog 60

# "cum_ms instruction..." of each instruction of twice that carries time
gp_pprof -disasm twice -unit=ms cpu.pb.gz >disasm.txt 2>pprof.err ||
	{ cat pprof.err >&2; gp_fail "pprof -disasm failed"; }
grep -q '^ROUTINE =* twice$' disasm.txt || { cat disasm.txt >&2; gp_fail "no disassembly of twice"; }
awk '$3 ~ /^[0-9a-f]+:$/ && $4 == "CALL" && $5 == "work(SB)" { c = $2; sub(/ms$/, "", c); print c + 0 }' \
	disasm.txt >calls.txt
[ "$(wc -l <calls.txt)" = 2 ] || { cat disasm.txt >&2; gp_fail "twice's two calls of work not found"; }
three=$(sed -n 1p calls.txt) one=$(sed -n 2p calls.txt)
[ $((three + one)) -gt 300 ] || gp_fail "twice's two calls have only $three + $one ms"
awk -v a="$three" -v b="$one" 'BEGIN { s = 100 * a / (a + b); d = s - 75; if (d < 0) d = -d; exit !(d <= 5) }' ||
	gp_fail "the 3x call has $three ms and the 1x one $one ms: not 75 % +- 5"

# objdump: the return addresses of twice's calls of work, minus one
objdump -d --no-show-raw-insn prog | awk '/^[0-9a-f]+ <twice>:/ { t = 1; next } /^$/ { t = 0 }
	t && c { sub(/:$/, "", $1); print $1; c = 0 }
	t && $2 == "call" && $NF == "<work>" { c = 1 }' >returns.txt
while read -r ra; do printf '%x\n' $((0x$ra - 1)); done <returns.txt | sort >want.txt
[ "$(wc -l <want.txt)" = 2 ] || gp_fail "objdump: twice does not call work twice"
gp_pprof -addresses -top -nodecount=100000 -nodefraction=0 -edgefraction=0 cpu.pb.gz 2>pprof.err |
	awk '$7 == "twice" { a = $6; sub(/^0+/, "", a); print a }' | sort -u >got.txt
cmp -s want.txt got.txt ||
	{ paste want.txt got.txt >&2; gp_fail "-addresses: twice's addresses are not its calls of work"; }
exit 0
