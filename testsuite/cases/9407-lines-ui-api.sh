#!/bin/sh
# The web UI's API at line level, from `goprof-export serve` on a CPU profile with lines
# (progs/lines-calls.c): /ui/api/profile?format=list&fn=REGEX is what go tool pprof -list
# REGEX prints of the pprof export (flat and cum per source line), twice()'s 3x call line
# carrying more than its 1x one; &format=top&lines=1 is pprof's -top -lines; list
# without fn is a 400 with the reason.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_curl

src=$GP_SRCDIR/testsuite/progs/lines-calls.c
gp_build_prog prog lines-calls
gp_cpu_profile cpu ./prog 40

"$GP_EXPORT" serve --http 127.0.0.1:0 cpu.db >serve.out 2>serve.err &
GP_PIDS=$!
gp_wait_address serve.err

gp_fetch list '/ui/api/profile?type=cpu&format=list&fn=%5Etwice%24'
[ "$GP_STATUS" = 200 ] || gp_fail "list: $GP_STATUS $(cat list.body)"
[ "$(gp_header list Content-Type)" = "text/plain; charset=utf-8" ] ||
	gp_fail "list: content type $(gp_header list Content-Type)"
gp_pprof -list '^twice$' cpu.pb.gz >want.list 2>pprof.err || { cat pprof.err >&2; gp_fail "pprof -list"; }
cmp -s want.list list.body || { diff want.list list.body >&2; gp_fail "list differs from pprof -list"; }
# "flat cum line: source", cum in ms or s
cum_ms() { awk -v l="$1" '$3 == l ":" { c = $2; if (c ~ /ms$/) { sub(/ms$/, "", c); print c + 0 }
	else if (c ~ /s$/) { sub(/s$/, "", c); print c * 1000 } else print 0 }' list.body; }
three=$(cum_ms "$(gp_line_of "$src" THREE)") one=$(cum_ms "$(gp_line_of "$src" ONE)")
[ -n "$three" ] && [ -n "$one" ] || { cat list.body >&2; gp_fail "list: no line of twice's calls"; }
# (9401 measures the split itself; here both lines carry time, the 3x one clearly more)
awk -v a="$three" -v b="$one" 'BEGIN { exit !(a + b > 200 && b > 0 && a > 1.5 * b) }' ||
	gp_fail "list: the 3x call line has $three ms, the 1x one $one ms"

gp_fetch top '/ui/api/profile?type=cpu&format=top&lines=1'
[ "$GP_STATUS" = 200 ] || gp_fail "top by line: $GP_STATUS $(cat top.body)"
gp_pprof -top -lines cpu.pb.gz >want.top 2>pprof.err || gp_fail "pprof -top -lines failed"
cmp -s want.top top.body || { diff want.top top.body >&2; gp_fail "top&lines=1 differs from pprof -top -lines"; }

gp_fetch nofn '/ui/api/profile?type=cpu&format=list'
[ "$GP_STATUS" = 400 ] && grep -q "needs the functions to list" nofn.body ||
	gp_fail "list without fn: $GP_STATUS $(cat nofn.body)"
exit 0
