#!/bin/sh
# goprof-export -f html writes one file that needs nothing else (no src, no link):
# opened from disk in headless chromium it shows the flame graph, the top table
# and a search with each function's exact share (gen-db -m phases: burn_a 47.17 % of the
# run, 86.54 % of its first five seconds). -f svg is a static flame graph whose boxes
# carry the same figures as text; -f json the stacks scripts read.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/ui-lib.sh"
gp_ui_begin "$0"

"$GP_BUILDDIR/bench/gen-db" -m phases p.db || gp_die "gen-db failed"
"$GP_EXPORT" -f html -o flame.html p.db || gp_fail "-f html failed"
"$GP_EXPORT" -f html --from +0s --to +5s -o first.html p.db || gp_fail "-f html --to failed"
"$GP_EXPORT" -f svg -o flame.svg p.db || gp_fail "-f svg failed"
"$GP_EXPORT" -f json -o flame.json p.db || gp_fail "-f json failed"

# self-contained: every script and style inline
! grep -Eq '<(script|img|iframe)[^>]* src=|<link[^>]* href=' flame.html ||
	gp_fail "flame.html refers to another file"
grep -q 'var GOPROF_DATA = {"type":"cpu"' flame.html || gp_fail "flame.html holds no data"

gp_ui_run <<EOF || gp_fail "the browser could not show the files"
load file file://$GP_WORK/flame.html#q=burn_a
shot file
load first file://$GP_WORK/first.html
view svg file://$GP_WORK/flame.svg
shot svg
EOF
gp_ui_check file
gp_ui_expect file burn_a 47.17%
gp_ui_expect file helper 5.66%
case $(gp_ui_text file search-result) in
*"= 47.17% of the total"*) ;;
*) gp_fail "file: search for burn_a says '$(gp_ui_text file search-result)'" ;;
esac
gp_ui_expect first burn_a 86.54%

# the SVG: one box per function with its figures, names as text; chromium draws it
for want in 'burn_a (cum 5000000000 nanoseconds, 47.17%; flat 5000000000)' \
	'helper (cum 600000000 nanoseconds, 5.66%; flat 600000000)' \
	'main (cum 10600000000 nanoseconds, 100.00%; flat 0)'; do
	grep -qF "<title>$want</title>" flame.svg || gp_fail "flame.svg: no box '$want'"
done
grep -q '<text [^>]*>burn_a</text>' flame.svg || gp_fail "flame.svg: burn_a is not text"
grep -q '<text [^>]*>burn_a</text>' svg.html || gp_fail "chromium did not render flame.svg"

# json: each stack with its count, value, label set and functions (root first), the
# functions with file:line, the label sets
tr -d '\n' <flame.json |
	grep -q '"stacks":\[\[60,600000000,0,\[0,1\]\],\[450,4500000000,1,\[0,2,3\]\],' ||
	{ head -c 400 flame.json >&2; gp_fail "flame.json: the stacks"; }
tr -d '\n' <flame.json | grep -q '"label_sets":\[{},{"phase":"one"},{"phase":"two"}\]' ||
	gp_fail "flame.json: the label sets"
grep -q '\["burn_a","/src/phases.c:10"\]' flame.json || gp_fail "flame.json: burn_a's place"
"$GP_EXPORT" -f xml p.db 2>bad.err && gp_fail "-f xml accepted"
grep -q "unknown format 'xml' (known: pprof, text, top, list, folded, json, html, svg, source)" bad.err ||
	gp_fail "-f xml: $(cat bad.err)"
exit 0
