#!/bin/sh
# A thread waiting in a wrapped I/O call has every caller at its call line
# (progs/lines-io.c): two threads blocked in read() from two lines of take(), each called
# from reader() at LINE-TAKE, show take at LINE-READ-A and LINE-READ-B and reader at
# LINE-TAKE, created by main at LINE-CREATE, and the main thread's read shows main at
# LINE-HOLD, not at the call whose stale copies of its return address lie below (as a
# sanitizer's interceptor leaves them), in goroutine?debug=2 and debug=1 over HTTP and in go tool pprof -traces
# -lines of the pprof form (a PIE); with GOPROF_BLOCK_IO=1 the block profile puts each
# read's delay, as the program measured it (it writes to the pipes 300 ms and 900 ms after
# both readers began), on its own line (a program built without PIE).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_curl

src=$GP_SRCDIR/testsuite/progs/lines-io.c
at_a=$src:$(gp_line_of "$src" READ-A)
at_b=$src:$(gp_line_of "$src" READ-B)
at_take=$src:$(gp_line_of "$src" TAKE)
at_hold=$src:$(gp_line_of "$src" HOLD)
at_create=$src:$(gp_line_of "$src" CREATE)
gp_build_prog prog-pie lines-io -fPIE -pie
gp_build_prog prog-nopie lines-io -fno-PIE -no-pie

mkfifo ctl
GOPROF_DB=$GP_WORK/hold.db GOPROF_HTTP=127.0.0.1:0 timeout 120 ./prog-pie hold <ctl \
	>hold.out 2>hold.err &
GP_PIDS=$!
exec 3>ctl
gp_wait_address hold.err

# at DUMP NAME FN LINE [CALLER LINE]: in debug=2 text DUMP, thread NAME waits in read called
# by FN at LINE, called by CALLER at its LINE
at() {
	awk -v name="\"$2\"]:" -v fn="$3" -v a="$4" -v caller="${5:-}" -v b="${6:-}" '
		/^goroutine / { g = index($0, "[IO wait, ") && substr($0, length($0) - length(name) + 1) == name
				f = 0; next }
		!g { next }
		f == 0 && /^read\(/ { f = 1; next }
		f == 1 && index($0, fn "(") == 1 { f = 2; next }
		f == 2 { f = 3; ok1 = $1 == a; next }
		f == 3 && index($0, caller "(") == 1 { f = 4; next }
		f == 4 { f = 5; ok2 = $1 == b; next }
		END { exit !(ok1 && (caller == "" || ok2)) }' "$1"
}

# a wait shows from its second sighting on, 10 ms after the first
i=0
while :; do
	gp_fetch d2 '/debug/pprof/goroutine?debug=2'
	[ "$GP_STATUS" = 200 ] || { cat d2.body >&2; gp_fail "debug=2: status $GP_STATUS"; }
	at d2.body reader-a take "$at_a" reader "$at_take" &&
		at d2.body reader-b take "$at_b" reader "$at_take" &&
		at d2.body prog-pie main "$at_hold" && break
	i=$((i + 1))
	[ $i -lt 50 ] || { cat d2.body >&2; gp_fail "debug=2: the threads are not at their read lines"; }
	sleep 0.2
done
cat d2.body >&2
# Go's "created by": the function that started the thread, at its line
[ "$(awk '/^created by main$/ { getline; print $1 }' d2.body | sort -u)" = "$at_create" ] ||
	gp_fail "debug=2: the readers were not created by main at $at_create"

# debug=1: "#	0xADDR	function+0xOFF	file:line" per frame
gp_fetch d1 '/debug/pprof/goroutine?debug=1'
for want in "take $at_a" "take $at_b" "reader $at_take" "main $at_hold"; do
	awk -v fn="${want% *}" -v l="${want#* }" '$1 == "#" && index($3, fn "+0x") == 1 && $4 == l {
		ok = 1 } END { exit !ok }' d1.body || { cat d1.body >&2; gp_fail "debug=1: no frame '$want'"; }
done

# the pprof form: each read's caller and its caller, innermost first
gp_fetch g0 /debug/pprof/goroutine
cp g0.body g0.pb.gz
gp_pprof -traces -lines g0.pb.gz >traces.txt 2>pprof.err ||
	{ cat pprof.err >&2; gp_fail "pprof -traces failed"; }
for a in "$at_a" "$at_b"; do
	awk -v a="take $a" -v b="reader $at_take" '$(NF - 1) " " $NF == a { s = NR }
		s && NR == s + 1 && $(NF - 1) " " $NF == b { ok = 1 } END { exit !ok }' traces.txt ||
		{ cat traces.txt >&2; gp_fail "pprof: no wait at take $a below reader $at_take"; }
done

printf x >&3
exec 3>&-
wait "$GP_PIDS" || gp_fail "the held program exited with $?"
GP_PIDS=

# the block profile: each read's delay at its line, against the readers' own measure
GOPROF_DB=$GP_WORK/block.db GOPROF_BLOCK_RATE=1 GOPROF_BLOCK_IO=1 gp_run block ./prog-nopie 300 900
[ "$GP_RC" = 0 ] || gp_fail "the timed program exited with $GP_RC: $(cat block.err)"
waited=$(sed -n 's/^waited \([0-9]*\) \([0-9]*\)$/\1 \2/p' block.out)
# (a reader late to its read, on a loaded machine, waits less: its own measure says so too)
[ -n "$waited" ] && [ "${waited% *}" -ge 200000 ] &&
	[ $((${waited#* } - ${waited% *})) -ge 400000 ] ||
	gp_fail "the program's readers waited '$waited' us, want about 300 and 900 ms"
gp_export block.db block.pb.gz -t block
gp_lines_top block.pb.gz -sample_index=delay -unit=ms >delay.txt
gp_lines_top block.pb.gz -sample_index=contentions >count.txt
cat delay.txt >&2
for w in "READ-A ${waited% *}" "READ-B ${waited#* }"; do
	line=$(gp_line_of "$src" "${w% *}")
	want=$((${w#* } / 1000))
	got=$(gp_cum_at_line delay.txt take "$line")
	n=$(gp_cum_at_line count.txt take "$line")
	# the reader's measure holds its call of take() too: a few ms at most on a loaded machine
	awk -v g="$got" -v w="$want" 'BEGIN { exit !(g <= w + 1 && g >= w * 0.95 - 5) }' &&
		[ "$n" = 1 ] ||
		{ cat count.txt >&2; gp_fail "take at LINE-${w% *}: $n waits of $got ms, want 1 of $want ms"; }
done
exit 0
