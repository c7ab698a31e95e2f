# Shell helpers for the execution-trace cases: go tool trace's web UI, crawled page by
# page, ordered matching of its -d dump, and testsuite/unit/check-trace-go.go, which replays
# each trace as Go >= 1.23's go tool trace opens it. Sourced after lib.sh and profile-lib.sh;
# a case calls trace_setup first, which has the server of serve() stopped when the case exits.
#
# The -d dump is Go 1.19's: Go >= 1.23 prints its own event model there, so every pattern a
# case matches in a dump is tied to Go 1.19's go tool trace (the only one installed here).

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
# whether graphviz can draw the profile pages (on CI it must). TOOL is a wrapper that runs
# check-trace-go on the trace file (its last argument) before the real tool, so that every
# trace a case reads with "$TOOL -d" or serve is also checked as newer Go reads it.
trace_setup() {
	local real
	real=$(go env GOTOOLDIR)/trace
	HOME=$GP_WORK
	GOCACHE=$GP_BUILDDIR/testsuite/gocache
	GOFLAGS=
	BROWSER=true		# go tool trace opens a browser: let that be a no-op
	export HOME GOCACHE GOFLAGS BROWSER
	[ -x "$real" ] || gp_fail "no trace tool in $(go env GOTOOLDIR)"
	CHECK_TRACE=$GP_WORK/check-trace-go
	GO111MODULE=off go build -o "$CHECK_TRACE" "$GP_SRCDIR/testsuite/unit/check-trace-go.go" ||
		gp_fail "go build check-trace-go.go"
	TOOL=$GP_WORK/go-tool-trace
	cat >"$TOOL" <<EOF
#!/bin/sh
for f; do :; done
"$CHECK_TRACE" "\$f" >>"$GP_WORK/check-trace.log" ||
	{ tail -n 1 "$GP_WORK/check-trace.log" >&2; exit 1; }
exec "$real" "\$@"
EOF
	chmod +x "$TOOL"
	SVG=yes
	if ! command -v dot >/dev/null 2>&1; then
		[ -n "${CI:-}" ] && gp_fail "dot (graphviz) is not installed"
		SVG=
		echo "graphviz is missing: the SVG profile pages are left out" >&2
	fi
	SERVER=
	gp_at_exit '[ -z "$SERVER" ] || stop'
}

# trace_check FILE...: check-trace-go on each FILE (Go >= 1.23's conversion and viewer
# invariants), or fail with its message.
trace_check() {
	"$CHECK_TRACE" "$@" >>check-trace.log 2>&1 || { tail -n 1 check-trace.log >&2
		gp_fail "Go >= 1.23's go tool trace would not open $*"; }
}

# trace_same_slices GO JSON: the JSON trace goprof wrote of the same capture as the Go file
# GO draws the slices Go >= 1.23's goroutine view draws: each syscall slice at the same time
# and length, each blocking slice between two running slices (or from the start), and each
# running slice after the first starts where a JSON slice ends (within 10 ns: the viewer
# spreads equal times 1 ns apart).
trace_same_slices() {
	"$CHECK_TRACE" -orders 0 -slices "$1" >"$1.slices" 2>&1 ||
		{ tail -n 1 "$1.slices" >&2; gp_fail "check-trace-go $1"; }
	go run "$GP_SRCDIR/testsuite/unit/check-trace-json.go" "$2" >"$2.events" 2>&1 ||
		{ tail -n 1 "$2.events" >&2; gp_fail "check-trace-json $2"; }
	awk -v tol=0.011 '
	function abs(x) { return x < 0 ? -x : x }
	FILENAME == ARGV[1] && $1 == "slice" && $2 == "G" {
		g = substr($4, 3); s = $6 / 1000; d = $7 / 1000
		if ($3 == "running") {
			nr[g]++; rs[g, nr[g]] = s; re[g, nr[g]] = s + d
			if (!(g in first) || s < first[g]) first[g] = s
		} else {
			ns[g]++; ss[g, ns[g]] = s; sd[g, ns[g]] = d
		}
		next
	}
	FILENAME == ARGV[2] && $2 == "X" {
		t = $1; ts = $(NF - 1); d = $NF
		nj[t]++; je[t, nj[t]] = ts + d
		if ($3 == "syscall") {
			js[t]++; ok = 0
			for (i = 1; i <= ns[t]; i++)
				if (abs(ss[t, i] - ts) <= tol && abs(sd[t, i] - d) <= tol) ok = 1
			if (!ok) { print "not in the viewer: JSON " $0; bad = 1 }
		} else if ($3 == "block") {
			ok_end = ts == 0; ok_start = 0
			for (i = 1; i <= nr[t]; i++) {
				if (abs(re[t, i] - ts) <= tol) ok_end = 1
				if (abs(rs[t, i] - ts - d) <= tol) ok_start = 1
			}
			if (!ok_end || !ok_start) { print "not between running slices: JSON " $0; bad = 1 }
		}
	}
	END {
		for (g in ns) if (ns[g] != js[g] + 0) {
			print "G" g ": " ns[g] " syscall slices in the viewer, " js[g] + 0 " in the JSON"
			bad = 1
		}
		for (k in rs) {
			split(k, a, SUBSEP); g = a[1]
			if (rs[k] - first[g] <= tol) continue
			ok = 0
			for (i = 1; i <= nj[g]; i++) if (abs(je[g, i] - rs[k]) <= tol) ok = 1
			if (!ok) { print "G" g ": a running slice at " rs[k] " us ends no JSON slice"; bad = 1 }
		}
		exit bad
	}' "$1.slices" "$2.events" >&2 || gp_fail "$2 and $1 draw different slices"
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
