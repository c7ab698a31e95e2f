#!/bin/sh
# A goroutine dump names where a running thread is (progs/lines-running.c): the thread
# spinning in the leaf spin() shows spin at one of its loop's two lines, below runner at
# its call line, in go tool pprof -lines of the goroutine profile and in the debug=2 text;
# and where a waiting thread's frames are: the one blocked in pthread_mutex_lock shows park
# at its lock line below the call, and parker at its call of park.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

src=$GP_SRCDIR/testsuite/progs/lines-running.c
gp_build_prog prog lines-running
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export prof.db goroutine.pb.gz -t goroutine
gp_pprof -traces -lines goroutine.pb.gz >traces.txt 2>pprof.err ||
	{ cat pprof.err >&2; gp_fail "pprof -traces failed"; }
cat traces.txt >&2
# the loop: its test (the line before LINE-SPIN) and its body
hi=$(gp_line_of "$src" SPIN)
lo=$((hi - 1))
runner="runner $src:$(gp_line_of "$src" RUNNER)"
awk -v f="$src" -v lo="$lo" -v hi="$hi" -v b="$runner" '
	$NF ~ /:[0-9]+$/ && $(NF - 1) == "spin" { n = split($NF, p, ":"); l = p[n]; sub(/:[0-9]+$/, "", $NF)
		if ($NF == f && l >= lo && l <= hi) s = NR }
	index($0, b) && s && NR == s + 1 { ok = 1 }
	END { exit !ok }' traces.txt || gp_fail "no running thread in spin's loop below '$runner'"

park="park $src:$(gp_line_of "$src" LOCK)"
parker="parker $src:$(gp_line_of "$src" PARK)"
awk -v a="$park" -v b="$parker" 'index($0, a) { s = NR } index($0, b) && s && NR == s + 1 { ok = 1 }
	END { exit !ok }' traces.txt || gp_fail "no waiting thread at '$park' below '$parker'"

gp_export prof.db dump.txt -t goroutine -f text --debug 2
cat dump.txt >&2
awk -v a="$src:$lo" -v b="$src:$hi" '/^goroutine .*\[running/ { g = 1 } g && /^spin\(/ { f = 1; next }
	f { ok = $1 == a || $1 == b; exit } END { exit !ok }' dump.txt ||
	gp_fail "debug=2 does not show spin at its loop's lines"
awk -v a="$src:$(gp_line_of "$src" LOCK)" -v b="$src:$(gp_line_of "$src" PARK)" '/^goroutine .*\[/ { g = 0 }
	/^goroutine .*\[mutex lock/ { g = 1 } g && /^park\(/ { f = 1; next }
	f == 1 { f = 2; ok1 = $1 == a; next } f == 2 && /^parker\(/ { f = 3; next }
	f == 3 { ok2 = $1 == b; exit } END { exit !(ok1 && ok2) }' dump.txt ||
	gp_fail "debug=2 does not show park at LINE-LOCK and parker at LINE-PARK"
exit 0
