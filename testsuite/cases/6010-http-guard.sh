#!/bin/sh
# The live server without GOPROF_DB keeps its database in a new directory of mode 0700 with
# an unpredictable name under TMPDIR (no file another user could plant or guess), removed at
# exit; GET /debug/pprof/symbol?ADDR+ADDR answers as Go's does (and as the POST form); a
# request body is not read before the token is checked (no "100 Continue" to a client
# without it); and at most 4 profiles of the next seconds (?seconds=) are collected at once,
# a fifth getting 503.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
gp_begin "$0"
gp_need_curl

mkdir tmp
gp_http_app TMPDIR="$GP_WORK/tmp" GOPROF_HTTP_TOKEN=sekrit
auth="Authorization: Bearer sekrit"

# the private database
set -- tmp/*
[ $# = 1 ] && [ -d "$1" ] || { ls -la tmp >&2; gp_fail "expected one directory in TMPDIR"; }
[ "$(stat -c %a "$1")" = 700 ] || gp_fail "$1: mode $(stat -c %a "$1"), not 700"
case $1 in *$GP_PIDS*) gp_fail "$1: the name holds the pid" ;; esac
[ "$(ls "$1" | grep -c '\.db$')" = 1 ] || gp_fail "no database in $1: $(ls "$1")"
[ -z "$(find tmp -maxdepth 1 -type f)" ] || gp_fail "files directly in TMPDIR: $(ls tmp)"

# symbol: two addresses of the program's functions, from its link addresses and load base
base=$(awk -v exe="$GP_WORK/app" '$6 == exe { print $1; exit }' /proc/$GP_PIDS/maps)
base=$((0x${base%%-*}))
addr_of() {
	printf '0x%x' $((base + 0x$(nm app | awk -v f="$1" '$3 == f { print $1 }')))
}
a1=$(addr_of burn_cpu)
a2=$(addr_of keep_memory)
want=$(printf 'num_symbols: 1\n%s burn_cpu\n%s keep_memory' "$a1" "$a2")
gp_fetch symget "/debug/pprof/symbol?$a1+$a2" -H "$auth"
gp_expect_answer symget 200 "text/plain; charset=utf-8" "$want"
gp_fetch sympost /debug/pprof/symbol -H "$auth" --data-binary "$a1+$a2"
gp_expect_answer sympost 200 "text/plain; charset=utf-8" "$want"

# a body is refused before it is read
head -c 200000 /dev/zero | tr '\0' 'a' >big.body
curl -sS --max-time 30 -o noauth.out -D noauth.hdr -H 'Expect: 100-continue' \
	--data-binary @big.body "http://$GP_ADDR/debug/pprof/symbol" 2>noauth.err || true
grep -q '^HTTP/1.1 401' noauth.hdr || { cat noauth.hdr noauth.err >&2; gp_fail "no 401 without the token"; }
! grep -q '100 Continue' noauth.hdr || gp_fail "the server asked for the body before checking the token"

# at most 4 waiting profiles at once
i=0
while [ $i -lt 4 ]; do
	curl -sS --max-time 60 -H "$auth" -o d$i.body -w '%{http_code}\n' \
		"http://$GP_ADDR/debug/pprof/heap?seconds=8" >d$i.status 2>&1 &
	i=$((i + 1))
done
sleep 3
gp_fetch fifth "/debug/pprof/allocs?seconds=1" -H "$auth"
gp_expect_answer fifth 503 "text/plain; charset=utf-8" -
for c in $(jobs -p); do
	[ "$c" = "$GP_PIDS" ] || wait "$c"
done
i=0
while [ $i -lt 4 ]; do
	[ "$(cat d$i.status)" = 200 ] || gp_fail "waiting profile $i got $(cat d$i.status)"
	i=$((i + 1))
done
gp_fetch sixth "/debug/pprof/allocs?seconds=1" -H "$auth"
gp_expect_answer sixth 200 application/octet-stream -

touch stop
wait "$GP_PIDS"
rc=$?
GP_PIDS=
[ "$rc" = 0 ] || gp_fail "the program exited with $rc"
[ -z "$(ls tmp)" ] || { ls -lR tmp >&2; gp_fail "the private directory was left behind"; }
exit 0
