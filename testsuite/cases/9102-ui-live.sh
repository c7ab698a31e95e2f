#!/bin/sh
# /ui/ on the profiled program's own server (GOPROF_HTTP), with a token: the page and its
# scripts load without it, its data only with it (401 otherwise, also in the browser); in
# headless chromium the live page shows the program's hot function, burn_cpu, in the flame
# graph, the top table and a search, and its timeline's data hold the program's CPU.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/ui-lib.sh"
gp_ui_begin "$0"
gp_need_curl

mkdir tmp
gp_http_app TMPDIR="$GP_WORK/tmp" GOPROF_HTTP_TOKEN=sekrit
sleep 2

gp_fetch page /ui/
gp_expect_answer page 200 "text/html; charset=utf-8" -
gp_fetch js /ui/app.js
gp_expect_answer js 200 "text/javascript; charset=utf-8" -
gp_fetch lib /ui/d3-flamegraph.umd.min.js
gp_expect_answer lib 200 "text/javascript; charset=utf-8" -
gp_fetch noslash '/ui?token=sekrit'
[ "$GP_STATUS" = 301 ] && [ "$(gp_header noslash Location)" = "/ui/?token=sekrit" ] ||
	gp_fail "/ui: $GP_STATUS to '$(gp_header noslash Location)'"
gp_fetch notoken /ui/api/timeline
[ "$GP_STATUS" = 401 ] || gp_fail "timeline without the token: $GP_STATUS"
gp_fetch notoken-profile '/ui/api/profile?type=cpu'
[ "$GP_STATUS" = 401 ] || gp_fail "profile without the token: $GP_STATUS"
gp_fetch post /ui/ -X POST -H "Authorization: Bearer sekrit" --data x
[ "$GP_STATUS" = 405 ] || gp_fail "POST /ui/: $GP_STATUS"

gp_fetch timeline '/ui/api/timeline?token=sekrit'
gp_expect_answer timeline 200 application/json -
tr -d '\n' <timeline.body | grep -q '"cpu":\[{"tid":[1-9][0-9]*,"name":"[^"]*","ns":\[[0-9,]*[1-9]' ||
	{ head -c 600 timeline.body >&2; gp_fail "timeline: no CPU of the program's threads"; }
gp_fetch profile '/ui/api/profile?type=cpu' -H "Authorization: Bearer sekrit"
gp_expect_answer profile 200 application/json -
grep -q '\["burn_cpu","[^"]*http-app.c:[0-9]*"\]' profile.body ||
	gp_fail "profile: no burn_cpu with its file and line"

gp_ui_run <<EOF || gp_fail "the browser could not show the pages"
load live http://$GP_ADDR/ui/?token=sekrit#q=burn_cpu
shot live
load refused http://$GP_ADDR/ui/
EOF
gp_ui_check live
# the main thread runs burn_cpu and its callees all the time; the others mostly wait
row=$(gp_ui_row live burn_cpu)
cum=$(echo "$row" | cut -d'|' -f5)
awk -v c="${cum%\%}" 'BEGIN { exit !(c >= 50) }' ||
	gp_fail "live: burn_cpu's top row is '$row', want cum% >= 50"
case $(gp_ui_frame live burn_cpu) in
*"cum "*"($cum)"*) ;;
*) gp_fail "live: burn_cpu's frame '$(gp_ui_frame live burn_cpu)' does not say $cum" ;;
esac
case $(gp_ui_text live search-result) in
*"= $cum of the total"*) ;;
*) gp_fail "live: search for burn_cpu says '$(gp_ui_text live search-result)'" ;;
esac
case $(gp_ui_text refused status) in
Unauthorized*) ;;
*) gp_fail "refused: the page without the token says '$(gp_ui_text refused status)'" ;;
esac

touch stop
wait "$GP_PIDS"
rc=$?
GP_PIDS=
[ "$rc" = 0 ] || gp_fail "the program exited with $rc"
exit 0
