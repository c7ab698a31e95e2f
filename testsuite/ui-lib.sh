# Helpers for the web UI's cases: a real browser (Debian's chromium, headless) loads a page
# and the case reads the document it rendered. Sourced after lib.sh; brings profile-lib.sh
# and http-lib.sh.
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"

# gp_ui_begin CASE_PATH: gp_begin, and a skip (a failure on CI) unless chromium and node
# can run here (gp_need_chromium).
gp_ui_begin() {
	gp_begin "$1"
	gp_need_chromium
}

# gp_need_chromium: skips the case (fails on CI) when chromium or node is missing or
# chromium cannot start here; sets GP_ARTIFACTS, where the case's screenshots stay.
gp_need_chromium() {
	gp_need_cmd chromium chromium
	gp_need_cmd node nodejs
	GP_ARTIFACTS=$GP_BUILDDIR/testsuite/artifacts/$GP_CASE
	rm -rf "$GP_ARTIFACTS"
	mkdir -p "$GP_ARTIFACTS"
	echo "load blank data:text/html,<body%20data-ready=1><p>ok</p>" | gp_ui_run
	grep -q '<p>ok</p>' blank.html 2>/dev/null || {
		[ -n "${CI:-}" ] && gp_fail "chromium cannot run headless here"
		gp_skip "chromium cannot run headless here (see $GP_WORK/chromium.err)"
	}
}

# gp_ui_run < STEPS: runs the steps (testsuite/ui-driver.js) in one headless chromium:
# each page's document goes to NAME.html here, each screenshot to GP_ARTIFACTS/NAME.png.
gp_ui_run() {
	timeout 300 node "$GP_SRCDIR/testsuite/ui-driver.js" "$GP_WORK" "$GP_ARTIFACTS" \
		2>driver.err || { cat driver.err >&2; tail -5 chromium.err >&2; return 1; }
}

# gp_ui_check NAME: the page NAME shows no error.
gp_ui_check() {
	local err
	[ -f "$1.html" ] || gp_fail "$1: no page"
	err=$(gp_ui_text "$1" status)
	[ -z "$err" ] || gp_fail "$1: the page says: $err"
}

# gp_ui_text NAME ID: the text of the element with that id in NAME.html.
gp_ui_text() {
	tr '\n' ' ' <"$1.html" | grep -o "id=\"$2\"[^>]*>[^<]*<" | head -1 |
		sed 's/^[^>]*>//; s/<$//'
}

# gp_ui_frame NAME FUNCTION: the hover text of FUNCTION's frame in the flame graph
# ("burn_a — cum 5.00s (47.17%), flat ..."), empty if it has none.
gp_ui_frame() {
	grep -o "<title>$2 — [^<]*</title>" "$1.html" | head -1 | sed 's/<[^>]*>//g'
}

# gp_ui_row NAME FUNCTION: the top table's row of FUNCTION, cells joined by '|'
# (flat|flat%|sum%|cum|cum%|name); empty if it has none.
gp_ui_row() {
	sed -n '/<table id="top"/,/<\/table>/p' "$1.html" | sed 's|</tr>|\n|g' |
		grep "<td class=\"name\">$2</td>" | head -1 |
		sed 's|</td><td[^>]*>|\||g; s|<[^>]*>||g; s|^ *||'
}

# gp_ui_expect NAME FUNCTION PCT: FUNCTION's frame and top row show cum% PCT.
gp_ui_expect() {
	local frame row
	frame=$(gp_ui_frame "$1" "$2")
	case $frame in
	*"cum "*"($3)"*) ;;
	*) gp_fail "$1: flame graph frame of $2 is '$frame', want cum $3" ;;
	esac
	row=$(gp_ui_row "$1" "$2")
	[ "$(echo "$row" | cut -d'|' -f5)" = "$3" ] ||
		gp_fail "$1: top row of $2 is '$row', want cum% $3"
}
