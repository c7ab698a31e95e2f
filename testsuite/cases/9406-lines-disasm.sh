#!/bin/sh
# go tool pprof -disasm and -addresses with the binary at hand (the mapping's file name): on
# progs/lines-calls.c built as a PIE (the compiler's default) and without PIE, -disasm twice
# puts twice()'s time on its two CALL instructions as the program measured them (3:1 unless the machine slowed one), and -addresses shows twice() at
# exactly the addresses of those calls (a return address minus one), as objdump finds them.
# go tool pprof's own disassembler translates no addresses: it annotates a PIE only because
# the export gives the main executable's addresses as if loaded at its link address. The web
# UI (go tool pprof -http) on the PIE's profile: its source view (/ui/source) puts twice()'s
# time on its two call lines 3:1, and its disassembly view (/ui/disasm) on the two calls
# with the figures -disasm gives.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_cmd objdump "binutils' objdump"
gp_need_cmd curl curl

# check KIND FLAGS...: the views on prog built with FLAGS
check() {
	local kind=$1
	shift
	gp_build_prog prog-$kind lines-calls "$@"
	gp_cpu_profile cpu-$kind ./prog-$kind 60

	# "cum_ms instruction..." of each instruction of twice that carries time
	gp_pprof -disasm twice -unit=ms cpu-$kind.pb.gz >$kind-disasm.txt 2>pprof.err ||
		{ cat pprof.err >&2; gp_fail "$kind: pprof -disasm failed"; }
	grep -q '^ROUTINE =* twice$' $kind-disasm.txt || { cat $kind-disasm.txt >&2; gp_fail "$kind: no disassembly of twice"; }
	awk '$3 ~ /^[0-9a-f]+:$/ && $4 == "CALL" && $5 == "work(SB)" { c = $2; sub(/ms$/, "", c); print c + 0 }' \
		$kind-disasm.txt >$kind-calls.txt
	[ "$(wc -l <$kind-calls.txt)" = 2 ] || { cat $kind-disasm.txt >&2; gp_fail "$kind: twice's two calls of work not found"; }
	three=$(sed -n 1p $kind-calls.txt) one=$(sed -n 2p $kind-calls.txt)
	[ $((three + one)) -gt 300 ] || gp_fail "$kind: twice's two calls have only $three + $one ms"
	want=$(gp_measured_share cpu-$kind.out twice 75)
	awk -v a="$three" -v b="$one" -v w="$want" 'BEGIN { d = 100 * a / (a + b) - w; if (d < 0) d = -d; exit !(d <= 5) }' ||
		gp_fail "$kind: the 3x call has $three ms and the 1x one $one ms: not $want % +- 5"

	# objdump: the return addresses of twice's calls of CALLEE, minus one
	calls_of() {
		objdump -d --no-show-raw-insn prog-$kind | awk -v f="<$1>" '/^[0-9a-f]+ <twice>:/ { t = 1; next }
			/^$/ { t = 0 }
			t && c { sub(/:$/, "", $1); print $1; c = 0 }
			t && $2 == "call" && $NF == f { c = 1 }' | while read -r ra; do printf '%x\n' $((0x$ra - 1)); done | sort
	}
	calls_of work >$kind-want.txt
	[ "$(wc -l <$kind-want.txt)" = 2 ] || gp_fail "$kind: objdump: twice does not call work twice"
	calls_of settle >$kind-settle.txt
	[ -s $kind-settle.txt ] || gp_fail "$kind: objdump: twice does not call settle"
	# twice's addresses but those of its calls of settle (burn.h), which may carry samples too
	gp_pprof -addresses -top -nodecount=100000 -nodefraction=0 -edgefraction=0 cpu-$kind.pb.gz 2>pprof.err |
		awk '$7 == "twice" { a = $6; sub(/^0+/, "", a); print a }' | sort -u | comm -23 - $kind-settle.txt >$kind-got.txt
	cmp -s $kind-want.txt $kind-got.txt ||
		{ paste $kind-want.txt $kind-got.txt >&2; gp_fail "$kind: -addresses: twice's addresses are not its calls of work"; }
}

check pie -fPIE -pie
check nopie -no-pie

# the web UI on a port of its own: another process may take the one tried, then the next
UI_PID=
gp_at_exit '[ -z "$UI_PID" ] || { kill "$UI_PID"; wait "$UI_PID"; } 2>/dev/null'
tries=0
while :; do
	port=$((20000 + ($$ * 7 + tries * 7919) % 40000))
	HOME=$GP_WORK go tool pprof -http=127.0.0.1:$port -no_browser -unit=ms cpu-pie.pb.gz \
		>ui.out 2>ui.err &
	UI_PID=$!
	i=0
	while [ $i -lt 300 ] && kill -0 "$UI_PID" 2>/dev/null &&
		! curl -s -o /dev/null "http://127.0.0.1:$port/"; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$UI_PID" 2>/dev/null && break
	wait "$UI_PID" 2>/dev/null
	UI_PID=
	tries=$((tries + 1))
	[ $tries -lt 5 ] || { cat ui.err >&2; gp_fail "go tool pprof -http did not start"; }
done
# a page's text: tags out, entities of the source back
ui_text() {
	curl -sS --max-time 60 "http://127.0.0.1:$port$1" >"$2.html" ||
		gp_fail "no answer from the web UI at $1"
	sed -e 's/<[^>]*>//g' -e 's/&lt;/</g; s/&gt;/>/g; s/&#34;/"/g; s/&#39;/'"'"'/g; s/&amp;/\&/g' \
		"$2.html" >"$2.txt"
}
ui_text '/ui/source?f=twice' source
three=$(awk '/LINE-THREE/ && $1 ~ /^[0-9]+$/ { c = $3; sub(/ms$/, "", c); print c + 0; exit }' source.txt)
one=$(awk '/LINE-ONE/ && $1 ~ /^[0-9]+$/ { c = $3; sub(/ms$/, "", c); print c + 0; exit }' source.txt)
[ -n "$three" ] && [ -n "$one" ] && [ $((three + one)) -gt 300 ] ||
	{ cat source.txt >&2; gp_fail "web UI source view: twice's call lines have '$three' and '$one' ms"; }
want=$(gp_measured_share cpu-pie.out twice 75)
awk -v a="$three" -v b="$one" -v w="$want" 'BEGIN { d = 100 * a / (a + b) - w; if (d < 0) d = -d; exit !(d <= 5) }' ||
	gp_fail "web UI source view: LINE-THREE has $three ms and LINE-ONE $one ms: not $want % +- 5"
ui_text '/ui/disasm?f=twice' disasm
awk '$3 ~ /^[0-9a-f]+:$/ && $4 == "CALL" && $5 == "work(SB)" { c = $2; sub(/ms$/, "", c); print c + 0 }' \
	disasm.txt >ui-calls.txt
cmp -s pie-calls.txt ui-calls.txt ||
	{ paste pie-calls.txt ui-calls.txt >&2; gp_fail "web UI disassembly: twice's calls differ from -disasm"; }
exit 0
