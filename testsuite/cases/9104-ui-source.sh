#!/bin/sh
# The web UI's source view in a real browser (headless Chromium, from `goprof-export serve`),
# on a CPU profile with lines (progs/ui-lines.c): split()'s cost over its two call lines is
# 75 % / 25 % (within 3 points) over the whole run, in both sample types, with the source
# text, hot lines marked; narrowed to the second phase (by the window, or by the label
# phase=two) only the 1x line has a cost; a click on a top row's "source" button, or on
# a frame of the flame graph, opens a function's; with the source file gone the figures
# stay, without text; built without -g, the view says "no line information". Screenshots
# stay in testsuite/artifacts/9104-ui-source/.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/ui-lib.sh"
gp_ui_begin "$0"
gp_need_curl

# built from a copy of the source, so that the copy can go away later
cp "$GP_SRCDIR/testsuite/progs/ui-lines.c" lines.c
three=$(gp_line_of lines.c THREE)
one=$(gp_line_of lines.c ONE)
gp_build_c prog "$GP_WORK/lines.c" -I"$GP_SRCDIR/testsuite/progs"
gp_build_c nog "$GP_WORK/lines.c" -I"$GP_SRCDIR/testsuite/progs" -g0
GOPROF_DB=$GP_WORK/p.db gp_run p ./prog 300
[ "$GP_RC" = 0 ] || gp_fail "ui-lines exited with $GP_RC"
GOPROF_DB=$GP_WORK/nog.db gp_run nog ./nog 100
[ "$GP_RC" = 0 ] || gp_fail "ui-lines built without -g exited with $GP_RC"

"$GP_EXPORT" serve --http 127.0.0.1:0 p.db >serve.out 2>serve.err &
GP_PIDS=$!
gp_wait_address serve.err
ui=http://$GP_ADDR/ui/
# the second phase begins at the first bucket (1 s) after the program says it began:
# the pause before it leaves a whole second without CPU
gp_fetch timeline /ui/api/timeline
start_ns=$(grep -o '"start_ns":[0-9]*' timeline.body | cut -d: -f2)
second_ns=$(sed -n 's/^second //p' p.out)
[ -n "$start_ns" ] && [ -n "$second_ns" ] || gp_fail "no start ($start_ns) or second phase ($second_ns)"
from=$(((second_ns - start_ns) / 1000000000))

"$GP_EXPORT" serve --http 127.0.0.1:0 nog.db >serve-nog.out 2>serve-nog.err &
GP_PIDS="$GP_PIDS $!"
addr=$GP_ADDR
gp_wait_address serve-nog.err
nog=http://$GP_ADDR/ui/
GP_ADDR=$addr

gp_ui_run <<EOF || gp_fail "the browser could not show the pages"
load whole $ui#source=split
shot whole
load samples $ui#source=split&st=0
load second $ui#source=split&from=$from
shot second
load label $ui#source=split&label=phase%3Dtwo
load start $ui#sort=cum
click clicked #top>tbody>tr:nth-child(2)>td:last-child>button
shot clicked
load start2 $ui
click framed #flame g[name="work"]
load nolines $nog#source=split
shot nolines
EOF
for page in whole samples second label start clicked start2 framed nolines; do
	gp_ui_check $page
done

# src_row PAGE LINE: the source view's row of that line, cells joined by '|'
# (line|flat|cum|share|text), empty if it has none
src_row() {
	sed -n '/<table id="source"/,/<\/table>/p' "$1.html" | sed 's|</tr>|\n|g' |
		grep "<td class=\"line\">$2</td>" | head -1 |
		sed 's|</td><td[^>]*>|\||g; s|<[^>]*>||g; s|^ *||'
}
share() { src_row "$1" "$2" | cut -d'|' -f4 | tr -d '%'; }
# near PAGE LINE WANT: the line's share of split's cum is WANT % within 3 points
near() {
	awk -v s="$(share "$1" "$2")" -v w="$3" 'BEGIN { d = s - w; if (d < 0) d = -d; exit !(s != "" && d <= 3) }' ||
		gp_fail "$1: line $2 of split is '$(src_row "$1" "$2")', want about $3 % of its cum"
}

for page in whole samples clicked; do
	near $page "$three" 75
	near $page "$one" 25
done
# the source text, and the hot lines marked
case $(src_row whole "$three") in
*"work(3 * ms); /* LINE-THREE */") ;;
*) gp_fail "whole: the 3x line reads '$(src_row whole "$three")'" ;;
esac
grep -q "<tr class=\"hot\" style=\"--heat: 0\.7[0-9]*;\"><td class=\"line\">$three</td>" whole.html ||
	gp_fail "whole: the 3x line is not marked hot"
[ "$(src_row whole $((three - 1)) | cut -d'|' -f2-4)" = ".|.|" ] ||
	gp_fail "whole: line $((three - 1)) has a cost: '$(src_row whole $((three - 1)))'"
# CPU time in one sample type, samples in the other: 300 ms on the 1x line is 30 samples
case $(src_row whole "$one" | cut -d'|' -f3) in
2[789][0-9].[0-9][0-9]ms | 3[0-2][0-9].[0-9][0-9]ms) ;;
*) gp_fail "whole: the 1x line's cum is '$(src_row whole "$one")', want about 300ms" ;;
esac
case $(src_row samples "$one" | cut -d'|' -f3) in
2[789] | 3[0123]) ;;
*) gp_fail "samples: the 1x line's cum is '$(src_row samples "$one")', want about 30 samples" ;;
esac

# narrowed to the second phase, by the window or by its label: the 1x line only
for page in second label; do
	[ "$(share $page "$one")" = 100.00 ] || gp_fail "$page: the 1x line is '$(src_row $page "$one")'"
	[ "$(src_row $page "$three" | cut -d'|' -f3)" = . ] ||
		gp_fail "$page: the 3x line still has a cost: '$(src_row $page "$three")'"
done

# a click on the second top row's button (by cum: main, split, work) shows split
grep -q '<caption>source: split — ' clicked.html || gp_fail "clicked: the source view is not split's"
# and a click on work's frame in the flame graph shows work
grep -q '<caption>source: work — ' framed.html || gp_fail "framed: the source view is not work's"

# built without -g: said plainly
grep -q 'no line information' nolines.html || gp_fail "nolines: the view does not say it has no lines"
[ -z "$(src_row nolines "$one")" ] || gp_fail "nolines: a line is shown"

# the source file gone: the same figures, without the text
rm lines.c
gp_ui_run <<EOF || gp_fail "the browser could not show the page"
load gone $ui#source=split
shot gone
EOF
gp_ui_check gone
grep -q 'cannot be read here' gone.html || gp_fail "gone: the view does not say the file cannot be read"
near gone "$three" 75
near gone "$one" 25
[ -z "$(src_row gone "$three" | cut -d'|' -f5)" ] || gp_fail "gone: the 3x line has text"

# the API says what is wrong
gp_fetch nofn '/ui/api/profile?type=cpu&format=source'
[ "$GP_STATUS" = 400 ] && grep -q "needs the function to show" nofn.body ||
	gp_fail "source without fn: $GP_STATUS $(cat nofn.body)"
exit 0
