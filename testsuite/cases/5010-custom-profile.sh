#!/bin/sh
# A custom profile (goprof_profile_new/add/remove) of 8 connections opened at two known
# stacks under two labels, 2 of them closed later: go tool pprof reads NAME/count samples
# with the live entries by stack and label, the history gives 5 + 3 before the close and
# 3 + 3 after it (--at), Go's count-profile text says so, and, live, the /debug/pprof/
# index lists the profile with its count and /debug/pprof/conns?debug=0|1 serves it. The
# program itself checks the API's error cases and 4 threads adding and removing at once.
# The example examples/conn-server.c builds, and its leaked connections are all uploads.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_curl

gp_build_prog prog custom-conns
gp_run plain ./prog
[ "$GP_RC" = 0 ] || { cat plain.out >&2; gp_fail "program without a database exited with $GP_RC"; }
# The profiled run keeps the 8 open until the file "closed" exists. The moment for the
# history (--at) is taken once the database holds all 8, before the close: it holds at any
# speed (under the sanitizers the stress before the 8 open takes seconds).
GOPROF_DB=$GP_WORK/prof.db timeout 120 ./prog "$GP_WORK/closed" >run.out 2>run.err &
GP_PIDS=$!
i=0
until "$GP_EXPORT" -t conns -f text prof.db 2>/dev/null | head -1 |
	grep -qx 'conns profile: total 8'; do
	[ $i -lt 600 ] || gp_fail "the database never held the 8 open connections"
	i=$((i + 1))
	sleep 0.1
done
open_at=$(date +%s.%N)
touch closed
GP_RC=0
wait "$GP_PIDS" || GP_RC=$?
GP_PIDS=
[ "$GP_RC" = 0 ] || { cat run.out >&2; gp_fail "program exited with $GP_RC"; }
gp_same_output plain run

# count_at FILE STACK: the entries of the stack "root;...;leaf" in a pprof export
count_at() {
	gp_traces "$1" >traces.txt
	gp_trace_value traces.txt "$2"
}
check() { # FILE READERS WRITERS
	r=$(count_at "$1" "main;open_reader")
	w=$(count_at "$1" "main;open_writer")
	[ "$r $w" = "$2 $3" ] || { cat traces.txt >&2; gp_fail "$1: $r readers and $w writers, want $2 and $3"; }
}
gp_export prof.db end.pb.gz -t conns
check end.pb.gz 3 3
gp_export prof.db before.pb.gz -t conns --at "$open_at"
check before.pb.gz 5 3
gp_pprof -raw end.pb.gz >raw.txt 2>pprof.err || gp_fail "pprof -raw failed"
grep -qx 'PeriodType: conns count' raw.txt || { cat raw.txt >&2; gp_fail "period type is not conns/count"; }
grep -qx 'conns/count' raw.txt || gp_fail "sample type is not conns/count"
# the labels the entries were added with
gp_pprof -traces -tagfocus=kind=read end.pb.gz 2>pprof.err >read.txt
grep -q open_reader read.txt && ! grep -q open_writer read.txt ||
	{ cat read.txt >&2; gp_fail "kind=read does not select exactly the readers"; }
gp_export prof.db end.txt -t conns -f text
head -1 end.txt | grep -qx 'conns profile: total 6' || gp_fail "debug=1: $(head -1 end.txt)"
grep -B1 'open_reader+0x0' end.txt | grep -qx '# labels: {"kind":"read"}' ||
	{ cat end.txt >&2; gp_fail "debug=1 has no labels line above the readers"; }
gp_export prof.db scratch.txt -t scratch -f text
head -1 scratch.txt | grep -qx 'scratch profile: total 0' || gp_fail "scratch: $(head -1 scratch.txt)"
"$GP_EXPORT" -t nosuch prof.db >/dev/null 2>err.txt && gp_fail "an unknown profile type was exported"
grep -q "unknown profile type 'nosuch'" err.txt || { cat err.txt >&2; gp_fail "no clear error for -t nosuch"; }

# live, while the 8 are open
GOPROF_HTTP=127.0.0.1:0 ./prog "$GP_WORK/stop" >live.out 2>live.err &
GP_PIDS=$!
gp_wait_address live.err
i=0
until grep -q "<tr><td>8</td><td><a href='conns?debug=1'>conns</a></td></tr>" index.body 2>/dev/null; do
	[ $i -lt 50 ] || { cat index.body >&2; gp_fail "the index has no conns row with count 8"; }
	gp_fetch index /debug/pprof/
	i=$((i + 1))
	sleep 0.1
done
# rows sorted by name, as Go's: conns between cmdline and goroutine
sed -n "s|.*<a href='\([^?]*\)?debug=1'>.*|\1|p" index.body | tr '\n' ' ' >names.txt
grep -q 'cmdline conns goroutine heap mutex profile scratch threadcreate trace' names.txt ||
	gp_fail "index order: $(cat names.txt)"
gp_fetch c1 '/debug/pprof/conns?debug=1'
gp_expect_answer c1 200 "text/plain; charset=utf-8" -
head -1 c1.body | grep -qx 'conns profile: total 8' || gp_fail "conns?debug=1: $(head -1 c1.body)"
gp_pprof -traces "http://$GP_ADDR/debug/pprof/conns" >live-traces.txt 2>pprof.err ||
	{ cat pprof.err >&2; gp_fail "go tool pprof of /debug/pprof/conns failed"; }
grep -q open_writer live-traces.txt || { cat live-traces.txt >&2; gp_fail "no open_writer live"; }
gp_fetch none /debug/pprof/nosuch
[ "$GP_STATUS" = 404 ] || gp_fail "/debug/pprof/nosuch: $GP_STATUS, want 404"
touch stop
wait "$GP_PIDS" || gp_fail "the live program failed: $(cat live.out)"
GP_PIDS=

# the README's example: every connection left open is an upload's, opened in open_conn
# shellcheck disable=SC2086
$GP_CC -O2 $GP_FLAGS $GP_INC -o server "$GP_SRCDIR/examples/conn-server.c" $GP_LIBS ||
	gp_fail "building examples/conn-server.c failed"
GOPROF_DB=$GP_WORK/server.db gp_run server ./server 1
[ "$GP_RC" = 0 ] || gp_fail "conn-server exited with $GP_RC"
open=$(sed -n 's/^\([0-9]*\) connections still open$/\1/p' server.out)
[ "${open:-0}" -gt 0 ] || gp_fail "conn-server: $(cat server.out)"
gp_export server.db server-conns.pb.gz -t conns
gp_traces server-conns.pb.gz -tagfocus=handler=upload >server.txt
v=$(gp_trace_value server.txt "main;listen_loop;open_conn")
[ "$v" = "$open" ] || { cat server.txt >&2; gp_fail "conns: $v uploads open in open_conn, the program says $open"; }
exit 0
