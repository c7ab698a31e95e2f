#!/bin/sh
# The error answers of the endpoints, as Go gives them (status, body, X-Go-Pprof), and bad
# input that must not disturb the program: oversized headers, path traversal, bad methods,
# bad seconds, a client sending one byte a second, a client leaving during a CPU profile,
# a second CPU profile at once; security: a wildcard address is refused without the
# opt-in, and a token is required when one is set.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_curl

gp_build_prog app http-app
touch stopped-already
gp_run plain ./app "$GP_WORK/stopped-already"
gp_http_app
text="text/plain; charset=utf-8"
fds() { ls /proc/"$GP_PIDS"/fd | wc -l; }
gp_fetch warm /debug/pprof/heap
# the answer can arrive before its connection's thread closed its socket and database: settle
# as the count at the end does
sleep 1
fds_before=$(fds)

error() { # NAME PATH STATUS BODY [CURL ARGS]
	local name=$1 path=$2 status=$3 body=$4
	shift 4
	gp_fetch "$name" "$path" "$@"
	gp_expect_answer "$name" "$status" "$text" "$body"
	[ "$(gp_header "$name" X-Go-Pprof)" = 1 ] || gp_fail "$name: no X-Go-Pprof: 1"
}
error unknown /debug/pprof/nosuch 404 "Unknown profile"
error traversal /debug/pprof/../../etc/passwd 404 "Unknown profile" --path-as-is
error traversal2 /debug/pprof/%2e%2e/%2e%2e/etc/passwd 404 "Unknown profile" --path-as-is
error sec-abc "/debug/pprof/heap?seconds=abc" 400 \
	'invalid value for "seconds" - must be a positive integer'
error sec-0 "/debug/pprof/heap?seconds=0" 400 \
	'invalid value for "seconds" - must be a positive integer'
error sec-neg "/debug/pprof/block?seconds=-1" 400 \
	'invalid value for "seconds" - must be a positive integer'
error sec-huge "/debug/pprof/mutex?seconds=99999999999999999999" 400 \
	'invalid value for "seconds" - must be a positive integer'
error sec-debug "/debug/pprof/heap?seconds=2&debug=1" 400 \
	'seconds and debug params are incompatible'
gp_fetch method /debug/pprof/heap -X DELETE
[ "$GP_STATUS" = 405 ] || gp_fail "DELETE: $GP_STATUS, want 405"
big=$(head -c 40000 /dev/zero | tr '\0' a)
gp_fetch bighdr /debug/pprof/heap -H "X-Big: $big"
case $GP_STATUS in 4*) ;; *) gp_fail "a 40 kB header got $GP_STATUS" ;; esac

# a client that leaves during a CPU profile: the next one is not refused
curl -sS --max-time 1 -o /dev/null "http://$GP_ADDR/debug/pprof/profile?seconds=5" 2>/dev/null
sleep 0.5
curl -sS --max-time 20 -o cpu1.body "http://$GP_ADDR/debug/pprof/profile?seconds=2" &
c1=$!
sleep 0.5
error busy "/debug/pprof/profile?seconds=2" 500 \
	"Could not enable CPU profiling: cpu profiling already in use"
wait $c1 || gp_fail "the first CPU profile failed"
gunzip -t <cpu1.body || gp_fail "the first CPU profile is no gzip file"
gp_fetch after "/debug/pprof/profile?seconds=1"
gp_expect_answer after 200 application/octet-stream -
[ "$(gp_header after Content-Disposition)" = 'attachment; filename="profile"' ] ||
	gp_fail "profile: Content-Disposition '$(gp_header after Content-Disposition)'"

# one trace at a time, with Go's words; a bad seconds on trace means Go's default, 1 s
curl -sS --max-time 20 -o trace1.body "http://$GP_ADDR/debug/pprof/trace?seconds=2" &
t1=$!
sleep 0.5
error tracebusy "/debug/pprof/trace?seconds=1" 500 \
	"Could not enable tracing: runtime error: tracing is already enabled"
wait $t1 || gp_fail "the first trace failed"
gp_fetch traceneg "/debug/pprof/trace?seconds=-1"
[ "$GP_STATUS" = 200 ] || gp_fail "trace?seconds=-1: $GP_STATUS, want 200 (Go: 1 s)"

# one byte a second: the server cuts the client off, and answers others meanwhile
gp_build_prog slow http-slow-client
./slow "$GP_ADDR" >slow.out 2>slow.err &
slow=$!
gp_fetch during /debug/pprof/heap
[ "$GP_STATUS" = 200 ] || gp_fail "a request beside the slow client got $GP_STATUS"
wait $slow || { cat slow.err >&2; gp_fail "the slow client was not cut off in time"; }

# every connection above is over: the program holds no more descriptors than before
sleep 1
[ "$(fds)" = "$fds_before" ] ||
	{ ls -l /proc/"$GP_PIDS"/fd >&2; gp_fail "descriptors: $fds_before before, $(fds) after"; }

touch stop
wait "$GP_PIDS"
rc=$?
GP_PIDS=
[ "$rc" = 0 ] || gp_fail "the program exited with $rc"
gp_same_output plain run

# security: a wildcard address needs the opt-in; the program runs on without a server
GOPROF_HTTP=0.0.0.0:0 gp_run wild ./app "$GP_WORK/stopped-already"
grep -q 'GOPROF_HTTP=0.0.0.0:0: not a loopback address; set GOPROF_HTTP_ALLOW_REMOTE=1' wild.err ||
	{ cat wild.err >&2; gp_fail "the wildcard address was not refused clearly"; }
gp_same_output plain wild
GOPROF_HTTP=127.0.0.1:0 GOPROF_HTTP_TOKEN=s3cret ./app "$GP_WORK/stop2" >tok.out 2>tok.err &
GP_PIDS=$!
gp_wait_address tok.err
gp_fetch notoken /debug/pprof/heap
[ "$GP_STATUS" = 401 ] || gp_fail "no token: $GP_STATUS, want 401"
gp_fetch badtoken /debug/pprof/heap -H "Authorization: Bearer wrong"
[ "$GP_STATUS" = 401 ] || gp_fail "a wrong token: $GP_STATUS, want 401"
gp_fetch bearer /debug/pprof/heap -H "Authorization: Bearer s3cret"
[ "$GP_STATUS" = 200 ] || gp_fail "the right bearer token: $GP_STATUS"
gp_fetch query "/debug/pprof/heap?token=s3cret"
[ "$GP_STATUS" = 200 ] || gp_fail "the right token in the query: $GP_STATUS"
touch stop2
wait "$GP_PIDS"
GP_PIDS=

# a program that forks: the child has no server of its own and exits normally
gp_build_prog fork cpu-fork
GOPROF_HTTP=127.0.0.1:0 gp_run fork ./fork
[ "$GP_RC" = 0 ] && [ "$(cat fork.out)" = "child ok" ] ||
	gp_fail "a forking program under GOPROF_HTTP: rc $GP_RC, $(cat fork.out)"
exit 0
