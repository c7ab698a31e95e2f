# Shell helpers for the execution-trace cases: go tool trace's web UI, crawled page by
# page, and ordered matching of its -d dump. Sourced after lib.sh and profile-lib.sh; a case
# calls trace_setup first, and its EXIT trap kills SERVER (the server's pid) when set.

# in_order FILE ERE...: each pattern matches a line of FILE below the previous one's.
in_order() {
	local file=$1 from=0 n
	shift
	for pat; do
		n=$(awk -v from="$from" -v pat="$pat" 'NR > from && $0 ~ pat { print NR; exit }' \
			"$file")
		[ -n "$n" ] || { echo "in $file, after line $from: no /$pat/" >&2; return 1; }
		from=$n
	done
}

# trace_setup: go tool trace (TOOL) with a private HOME and Go cache, no browser; SVG says
# whether graphviz can draw the profile pages (on CI it must).
trace_setup() {
	TOOL=$(go env GOTOOLDIR)/trace
	HOME=$GP_WORK
	GOCACHE=$GP_BUILDDIR/testsuite/gocache
	GOFLAGS=
	BROWSER=true		# go tool trace opens a browser: let that be a no-op
	export HOME GOCACHE GOFLAGS BROWSER
	[ -x "$TOOL" ] || gp_fail "no trace tool in $(go env GOTOOLDIR)"
	SVG=yes
	if ! command -v dot >/dev/null 2>&1; then
		[ -n "${CI:-}" ] && gp_fail "dot (graphviz) is not installed"
		SVG=
		echo "graphviz is missing: the SVG profile pages are left out" >&2
	fi
	SERVER=
}

# serve FILE: go tool trace -http on FILE; BASE is its address, SERVER its pid.
serve() {
	: >server.log
	"$TOOL" -http=127.0.0.1:0 "$1" >server.log 2>&1 &
	SERVER=$!
	BASE=
	for _ in $(seq 1 600); do
		BASE=$(sed -n 's/.*Trace viewer is listening on \(http:[^ ]*\).*/\1/p' server.log)
		[ -n "$BASE" ] && break
		kill -0 "$SERVER" 2>/dev/null ||
			{ cat server.log >&2; gp_fail "go tool trace $1 exited"; }
		sleep 0.1
	done
	[ -n "$BASE" ] || gp_fail "go tool trace $1 does not listen"
}

stop() {
	kill "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
	SERVER=
}

# fetch PATH OUT: GET, 200 or fail; error text fails, except in the static viewer pages.
fetch() {
	local code
	code=$(curl -sS -m 120 -o "$2" -w '%{http_code}' "$BASE$1") || gp_fail "curl $1"
	[ "$code" = 200 ] || { head -c 600 "$2" >&2; echo >&2; gp_fail "$1: HTTP $code"; }
	case $1 in /trace* | /mmu) return ;; esac  # static viewer pages, JavaScript inside
	if grep -aqiE 'panic|failed to|runtime error|invalid |not running|no consistent' "$2"; then
		head -c 600 "$2" >&2
		gp_fail "$1: error text"
	fi
}

# crawl MODE: the seed pages, then every UI link found in the pages, once each.
crawl() {
	local mode=$1 n=0 url
	: >$mode.urls
	{
		for p in / /trace /jsontrace /goroutines /usertasks /userregions /mmu \
			/io /block /syscall /sched \
			/io?raw=1 /block?raw=1 /syscall?raw=1 /sched?raw=1 \
			'/mmuPlot?flags=stw%7Cbackground%7Cassist%7Csweep' \
			'/mmuPlot?flags=perProc%7Cstw%7Cbackground%7Cassist%7Csweep' \
			'/mmuDetails?window=100000&flags=stw%7Cbackground%7Cassist%7Csweep' \
			/jsontrace?goid=1 /jsontrace?goid=2 /jsontrace?goid=3 /jsontrace?taskid=1 \
			/jsontrace?focustask=1; do
			echo "$p"
		done
	} >$mode.queue
	while [ $n -lt 300 ]; do
		url=$(grep -vxF -f $mode.urls $mode.queue | head -n 1)
		[ -n "$url" ] || break
		n=$((n + 1))
		echo "$url" >>$mode.urls
		case $SVG$url in
		/io* | /block* | /syscall* | /sched* | /region*)
			case $url in *raw=1*) ;; *) continue ;; esac ;;
		esac
		fetch "$url" $mode.page$n
		echo "$url $mode.page$n" >>$mode.pages
		case $url in
		*raw=1* | /jsontrace* | /mmuPlot* | /mmuDetails*) continue ;;
		esac
		# links: href="/x" or href=/x; /trace?q pages load /jsontrace?q
		grep -aoE 'href="?/[a-z][^" >#]*' $mode.page$n |
			sed 's/^href="\{0,1\}//; s/&amp;/\&/g' |
			grep -E '^/(trace|goroutine|user|region|io|block|syscall|sched|mmu)' |
			sed 's|^/trace?\(.*\)|/trace?\1\n/jsontrace?\1|' >>$mode.queue
	done
	[ $n -lt 300 ] || gp_fail "the UI has more than 300 pages?"
	if grep -aE 'panic|http: ' server.log; then
		gp_fail "go tool trace logged a problem"
	fi
}

# page URL MODE: the file crawl saved URL in.
page() { awk -v u="$1" '$1 == u { print $2; exit }' "$2.pages"; }
