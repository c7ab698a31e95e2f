#!/bin/sh
# The web UI in a real browser: headless Chromium loads /ui/ from `goprof-export serve` on
# a database with a known history (gen-db -m phases: burn_a hot in the first five seconds,
# burn_b in the last five) and the rendered flame graph and top table give each function
# its exact share of the whole run, of a narrower window (given in the URL, or selected
# with the mouse on the timeline), under a label filter, focused (a click on a top row),
# and against a base window; search (typed) finds them with their share; the timeline's
# data (from the per-thread totals, or without them from every row) and the download of
# the window (read by go tool pprof) say the same. Screenshots
# stay in testsuite/artifacts/9101-ui-browser/.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/ui-lib.sh"
gp_ui_begin "$0"
gp_need_curl
gp_need_cmd sqlite3 sqlite3

"$GP_BUILDDIR/bench/gen-db" -m phases p.db || gp_die "gen-db failed"
"$GP_EXPORT" serve --http 127.0.0.1:0 p.db >serve.out 2>serve.err &
GP_PIDS=$!
gp_wait_address serve.err
ui=http://$GP_ADDR/ui/

gp_ui_run <<EOF || gp_fail "the browser could not show the pages"
load whole $ui#q=burn_a
shot whole
load search $ui#q=burn_
load first $ui#from=0&to=5
shot first
load last $ui#from=5&to=10&q=burn_b
load label $ui#label=phase%3Dtwo
load focus $ui#focus=helper
load diff $ui#from=5&to=10&compare=1&bfrom=0&bto=5
shot diff
load heap $ui#type=heap
shot heap
load icicle $ui#icicle=1
load start $ui
drag brushed .u-over 0.01 0.5
shot brushed
type typed #search burn_b
click clicked #top>tbody>tr:nth-child(3)
shot clicked
EOF
for page in whole search first last label focus diff heap icicle start brushed typed clicked; do
	gp_ui_check $page
done

# the whole run: burn_a and burn_b 500 samples each of 1060, helper 60
gp_ui_expect whole burn_a 47.17%
gp_ui_expect whole burn_b 47.17%
gp_ui_expect whole helper 5.66%
gp_ui_expect whole main 100.00%
[ "$(gp_ui_row whole burn_a | cut -d'|' -f1-2)" = "5.00s|47.17%" ] ||
	gp_fail "whole: burn_a's flat is '$(gp_ui_row whole burn_a)'"
case $(gp_ui_text whole search-result) in
*"1 frames, 5.00s of 10.60s = 47.17% of the total"*) ;;
*) gp_fail "whole: search for burn_a says '$(gp_ui_text whole search-result)'" ;;
esac
# a search that matches two functions adds both up
case $(gp_ui_text search search-result) in
*"2 frames, 10.00s of 10.60s = 94.34% of the total"*) ;;
*) gp_fail "search: burn_ says '$(gp_ui_text search search-result)'" ;;
esac

# narrowing the window to the first five seconds, then to the last five, changes them
gp_ui_expect first burn_a 86.54%
gp_ui_expect first burn_b 9.62%
gp_ui_expect first helper 3.85%
gp_ui_expect last burn_a 9.26%
gp_ui_expect last burn_b 83.33%
case $(gp_ui_text last search-result) in
*"= 83.33% of the total"*) ;;
*) gp_fail "last: search for burn_b says '$(gp_ui_text last search-result)'" ;;
esac

# labels: phase=two keeps the last five seconds of thread 101 only
gp_ui_expect label burn_b 90.00%
gp_ui_expect label burn_a 10.00%
[ -z "$(gp_ui_row label helper)" ] || gp_fail "label: helper has no label, yet is shown"
grep -q '<option value="phase=one">' label.html || gp_fail "label: no phase=one in the filter"

# a click on a top row focuses the flame graph on that function's stacks (kept in #focus=)
gp_ui_expect focus helper 100.00%
[ -z "$(gp_ui_frame focus burn_a)" ] || gp_fail "focus: burn_a is still drawn"

# compare: the last five seconds against the first (base): burn_b +400 samples = +4.00s
case $(gp_ui_frame diff burn_b) in
*"+4.00s vs base"*) ;;
*) gp_fail "diff: burn_b's frame is '$(gp_ui_frame diff burn_b)'" ;;
esac
case $(gp_ui_frame diff burn_a) in
*"-4.00s vs base"*) ;;
*) gp_fail "diff: burn_a's frame is '$(gp_ui_frame diff burn_a)'" ;;
esac

# with the mouse: a selection over the first half of the CPU chart (0.1 s to 4.6 s: the
# buckets of the first five seconds), a search typed, a click on the third row (helper)
gp_ui_expect start burn_a 47.17%
gp_ui_expect brushed burn_a 86.54%
gp_ui_expect brushed helper 3.85%
case $(gp_ui_text typed search-result) in
*"= 9.62% of the total"*) ;;
*) gp_fail "typed: search for burn_b says '$(gp_ui_text typed search-result)'" ;;
esac
gp_ui_expect clicked helper 100.00%
[ -z "$(gp_ui_frame clicked burn_a)" ] || gp_fail "clicked: burn_a is still drawn"
case $(tr '\n' ' ' <clicked.html | grep -o 'id="focus">[^<]*') in
*"focus: helper") ;;
*) gp_fail "clicked: the page does not say it focuses on helper" ;;
esac

# heap: 4 blocks of 1000000 bytes, 2 freed: 2000000 bytes in use, all alloc_big's
gp_ui_expect heap alloc_big 100.00%
[ "$(gp_ui_row heap alloc_big | cut -d'|' -f1)" = 1.91MB ] ||
	gp_fail "heap: alloc_big row '$(gp_ui_row heap alloc_big)'"

# flame graph: the root at the bottom; icicle: at the top
tr '>' '\n' <whole.html | grep -q '<g transform="translate(0,[1-9][0-9]*)"[^\n]* name="all"' ||
	gp_fail "whole: the root frame is not at the bottom"
tr '>' '\n' <icicle.html | grep -q '<g transform="translate(0,0)"[^\n]* name="all"' ||
	gp_fail "icicle: the root frame is not at the top"

# a frame's hover text says where its function is (9104 checks the source view)
case $(gp_ui_frame whole burn_a) in
*", /src/phases.c:10") ;;
*) gp_fail "whole: burn_a's frame does not say /src/phases.c:10: '$(gp_ui_frame whole burn_a)'" ;;
esac

# function names are document text: the flame graph's labels, not pixels
grep -q 'class="d3-flame-graph-label"[^>]*>burn_a<' whole.html ||
	gp_fail "whole: burn_a is not a text label of the flame graph"

# the timeline's data: threads alive per second, heap in use, CPU of the helper thread
gp_fetch timeline /ui/api/timeline
gp_expect_answer timeline 200 application/json -
grep -q '"threads":\[1,1,1,2,2,2,2,2,2,1\]' timeline.body || gp_fail "timeline: thread counts"
grep -q '"heap_bytes":\[0,0,4000000,4000000,4000000,4000000,4000000,2000000,2000000,2000000\]' \
	timeline.body || gp_fail "timeline: heap in use"
tr -d '\n' <timeline.body | grep -q '"tid":102,"name":"helper","ns":\[0,0,0,100000000,' ||
	gp_fail "timeline: the helper thread's CPU"
grep -q '"profiles":\["cpu","heap","allocs","threadcreate","goroutine"\]' timeline.body ||
	gp_fail "timeline: profiles"
# a database from before the per-thread CPU totals (profile 8) gives the same timeline,
# summed from every CPU row
cp p.db old.db
sqlite3 old.db "DELETE FROM samples WHERE profile = 8" || gp_die "sqlite3 failed"
addr=$GP_ADDR
"$GP_EXPORT" serve --http 127.0.0.1:0 old.db >serve-old.out 2>serve-old.err &
GP_PIDS="$GP_PIDS $!"
gp_wait_address serve-old.err
gp_fetch timeline-old /ui/api/timeline
GP_ADDR=$addr
cmp -s timeline.body timeline-old.body ||
	{ diff timeline.body timeline-old.body | head >&2; gp_fail "timeline: totals and rows differ"; }

# the page loads nothing from elsewhere, and its download is the window's pprof
gp_fetch page /ui/
gp_expect_answer page 200 "text/html; charset=utf-8" -
case $(gp_header page Content-Security-Policy) in
"default-src 'self';"*) ;;
*) gp_fail "page: Content-Security-Policy '$(gp_header page Content-Security-Policy)'" ;;
esac
! grep -Eq '(src|href)="(https?:)?//' page.body || gp_fail "page: refers to another site"
grep -q 'href="api/profile?type=cpu&amp;from=%2B0s&amp;to=%2B5s&amp;format=pprof"' first.html ||
	gp_fail "first: no download link of the window"
gp_fetch pprof '/ui/api/profile?type=cpu&from=%2B0s&to=%2B5s&format=pprof'
gp_expect_answer pprof 200 application/octet-stream -
[ "$(gp_header pprof Content-Disposition)" = 'attachment; filename="cpu.pb.gz"' ] ||
	gp_fail "pprof: Content-Disposition '$(gp_header pprof Content-Disposition)'"
if command -v go >/dev/null 2>&1; then
	go tool pprof -top pprof.body >pprof.top 2>pprof.err || gp_fail "go tool pprof cannot read it"
	grep -Eq '4500ms 86\.54% .* burn_a$' pprof.top || { cat pprof.top >&2; gp_fail "pprof: burn_a"; }
fi
# under a label filter the download holds what the page shows: phase=two only
grep -q 'href="api/profile?type=cpu&amp;format=pprof&amp;label=phase%3Dtwo"' label.html ||
	gp_fail "label: the download link does not keep the label filter"
gp_fetch plabel '/ui/api/profile?type=cpu&format=pprof&label=phase%3Dtwo'
gp_expect_answer plabel 200 application/octet-stream -
if command -v go >/dev/null 2>&1; then
	go tool pprof -top plabel.body >plabel.top 2>pprof.err || gp_fail "pprof: the label's download"
	grep -Eq ' 90\.00% .* burn_b$' plabel.top && grep -Eq ' 10\.00% .* burn_a$' plabel.top &&
		! grep -q ' helper$' plabel.top || { cat plabel.top >&2; gp_fail "pprof: the label's shares"; }
fi
gp_fetch badlabel '/ui/api/profile?type=cpu&label=phase'
[ "$GP_STATUS" = 400 ] && grep -q "bad label 'phase' (KEY=VALUE)" badlabel.body ||
	gp_fail "bad label: $GP_STATUS $(cat badlabel.body)"
gp_fetch bad '/ui/api/profile?type=nosuch'
[ "$GP_STATUS" = 400 ] && grep -q "unknown profile type 'nosuch'" bad.body ||
	gp_fail "bad type: $GP_STATUS $(cat bad.body)"
gp_fetch bad-format '/ui/api/profile?format=exe'
[ "$GP_STATUS" = 400 ] || gp_fail "bad format: $GP_STATUS"
gp_fetch none /ui/nosuch.js
[ "$GP_STATUS" = 404 ] || gp_fail "/ui/nosuch.js: $GP_STATUS"
exit 0
