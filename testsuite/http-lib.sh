# Helpers for the HTTP cases: start a program or goprof-export serve on a free port, fetch
# with curl. Sourced after lib.sh and profile-lib.sh.

# gp_need_curl: skips the case when curl is missing.
gp_need_curl() {
	command -v curl >/dev/null 2>&1 || gp_skip "curl is not installed"
}

# GP_PIDS: the servers a case started, stopped when it exits.
GP_PIDS=
gp_http_cleanup() {
	for p in $GP_PIDS; do kill "$p" 2>/dev/null; done
	for p in $GP_PIDS; do wait "$p" 2>/dev/null; done
}
gp_at_exit gp_http_cleanup

# gp_http_app [VAR=VALUE...]: testsuite/progs/http-app.c (built as ./app if not yet) started
# in the background with GOPROF_HTTP=127.0.0.1:0 and the given variables, stdout and stderr
# to run.out and run.err; it runs until $GP_WORK/stop exists. Waits for its server: GP_PIDS
# is its pid, GP_ADDR the server's address.
gp_http_app() {
	[ -x app ] || gp_build_prog app http-app
	env GOPROF_HTTP=127.0.0.1:0 "$@" ./app "$GP_WORK/stop" >run.out 2>run.err &
	GP_PIDS=$!
	gp_wait_address run.err
}

# gp_wait_address ERRFILE: waits for "serving ... on http://ADDR/..." in ERRFILE and sets
# GP_ADDR (HOST:PORT).
gp_wait_address() {
	local i=0
	GP_ADDR=
	while [ $i -lt 100 ]; do
		GP_ADDR=$(sed -n 's|.*serving .* on http://\([^/]*\)/debug/pprof/.*|\1|p' "$1" | head -1)
		[ -n "$GP_ADDR" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	cat "$1" >&2
	gp_fail "no server address in $1"
}

# gp_fetch NAME URLPATH [CURL ARGS...]: GET into NAME.body, headers into NAME.hdr; sets
# GP_STATUS.
gp_fetch() {
	local name=$1 path=$2
	shift 2
	GP_STATUS=$(curl -sS --max-time 60 -o "$name.body" -D "$name.hdr" -w '%{http_code}' \
		"$@" "http://$GP_ADDR$path" 2>"$name.curl-err") || true
}

# gp_header NAME HEADER: the value of HEADER in NAME.hdr (without the CR).
gp_header() {
	sed -n "s/^$2: //Ip" "$1.hdr" | tr -d '\r' | head -1
}

# gp_expect_answer NAME STATUS TYPE BODY: status, content type and whole body (a string;
# "-" to skip the body check) of a fetch.
gp_expect_answer() {
	[ "$GP_STATUS" = "$2" ] || { cat "$1.hdr" "$1.body" >&2; gp_fail "$1: status $GP_STATUS, want $2"; }
	[ "$(gp_header "$1" Content-Type)" = "$3" ] ||
		gp_fail "$1: Content-Type '$(gp_header "$1" Content-Type)', want '$3'"
	[ "$(gp_header "$1" X-Content-Type-Options)" = nosniff ] || [ "$2" = 301 ] ||
		gp_fail "$1: no X-Content-Type-Options: nosniff"
	if [ "$4" != - ]; then
		printf '%s\n' "$4" | cmp -s - "$1.body" ||
			{ cat "$1.body" >&2; gp_fail "$1: body is not '$4'"; }
	fi
}
