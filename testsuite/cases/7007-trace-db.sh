#!/bin/sh
# Execution traces in the database: a trace taken while a database is written (GOPROF_TRACE,
# goprof_trace_start/stop, /debug/pprof/trace) is kept there, and goprof-export -t trace DB
# gives it back byte for byte, the last one or the one --at picks, in Go's format for go
# tool trace or as JSON; a database without one says so in one line.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/http-lib.sh"
. "$GP_SRCDIR/testsuite/db-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_curl
gp_need_sqlite3
trace_setup

# GOPROF_TRACE: the file and the database's copy are the same bytes
gp_build_prog demo trace-demo
GOPROF_DB=$GP_WORK/env.db GOPROF_TRACE=$GP_WORK/env.trace gp_run env ./demo
[ "$GP_RC" = 0 ] || gp_fail "trace-demo exited with $GP_RC"
gp_export env.db env-db.trace -t trace -f go
cmp -s env.trace env-db.trace || gp_fail "the database's trace differs from GOPROF_TRACE's file"
[ "$(gp_q env.db "SELECT source FROM traces")" = GOPROF_TRACE ] ||
	gp_fail "traces rows: $(gp_q env.db "SELECT id, source FROM traces")"
# Go 1.19's -d format (newer Go prints its own event model)
"$TOOL" -d env-db.trace >env.dump 2>dump.err || { cat dump.err >&2; gp_fail "go tool trace -d"; }
grep -q ' GoBlockSync ' env.dump || gp_fail "the kept trace has no mutex wait"
gp_export env.db env-db.json -t trace
grep -q '"program":"demo"' env-db.json || gp_fail "the JSON does not name the program"
grep -q '"name":"pthread_mutex_lock"' env-db.json || gp_fail "the JSON has no mutex wait"

# goprof_trace_start and _stop
gp_build_prog api trace-api
GOPROF_DB=$GP_WORK/api.db gp_run api ./api "$GP_WORK"
[ "$GP_RC" = 0 ] || gp_fail "trace-api exited with $GP_RC"
gp_export api.db api-db.trace -t trace -f go
cmp -s api.trace api-db.trace || gp_fail "the database's trace differs from the API's file"
[ "$(gp_q api.db "SELECT source FROM traces")" = api ] || gp_fail "the API's trace is not 'api'"

# two captures over HTTP: the last by default, the first with --at just before the second
gp_http_app GOPROF_DB="$GP_WORK/http.db"
gp_fetch first "/debug/pprof/trace?seconds=0.3"
[ "$GP_STATUS" = 200 ] || gp_fail "first trace: status $GP_STATUS"
gp_fetch second "/debug/pprof/trace?seconds=0.3"
[ "$GP_STATUS" = 200 ] || gp_fail "second trace: status $GP_STATUS"
touch stop
wait "$GP_PIDS"
GP_PIDS=
[ "$(gp_q http.db "SELECT group_concat(source, ' ') FROM traces")" = "http http" ] ||
	gp_fail "traces rows: $(gp_q http.db "SELECT id, source FROM traces")"
gp_export http.db last.trace -t trace -f go
cmp -s second.body last.trace || gp_fail "the last kept trace is not the second capture"
# unix seconds with nine decimals (|| binds tighter than / in SQL)
at=$(gp_q http.db "SELECT ((max(start_ns) - 1) / 1000000000) || '.' ||
	substr('000000000' || ((max(start_ns) - 1) % 1000000000), -9) FROM traces")
gp_export http.db at.trace -t trace -f go --at "$at"
cmp -s first.body at.trace || gp_fail "--at before the second capture did not give the first"

# a database without a trace: one line, and nothing written
GOPROF_DB=$GP_WORK/none.db gp_run none ./demo
"$GP_EXPORT" -t trace -o none.trace none.db 2>none.err && gp_fail "a trace from a database with none"
[ "$(wc -l <none.err)" = 1 ] && grep -q 'no execution trace in this database' none.err ||
	{ cat none.err >&2; gp_fail "the message for a database without a trace"; }
[ ! -e none.trace ] || gp_fail "a file was left for a database without a trace"
exit 0
