#!/bin/sh
# The trace's clock: traced with the TSC (where usable) and with GOPROF_CLOCK=monotonic, a
# busy program's trace spans the 2 seconds its threads ran, no more than the run took, and
# go tool trace reads both (no event of one thread out of order with another's).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"

gp_build_prog prog trace-busy
for clock in tsc monotonic; do
	a=$(date +%s%N)
	GOPROF_CLOCK=$clock GOPROF_TRACE=$GP_WORK/$clock.json GOPROF_TRACE_FORMAT=json \
		gp_run "$clock" ./prog 2
	b=$(date +%s%N)
	[ "$GP_RC" = 0 ] || gp_fail "$clock: the traced run exited with $GP_RC"
	# microseconds from the first event to the last
	span=$(grep -o '"ts":[0-9]*' "$clock.json" | cut -d: -f2 | sort -n |
		awk 'NR == 1 { lo = $1 } { hi = $1 } END { print hi - lo }')
	wall=$(((b - a) / 1000))
	[ "$span" -ge 1980000 ] || gp_fail "$clock: the trace spans $span us of a 2 s run"
	[ "$span" -le "$wall" ] || gp_fail "$clock: the trace spans $span us, the run took $wall"
done

command -v go >/dev/null 2>&1 || exit 0
trace_setup 2>/dev/null
HOME=$GP_WORK
export HOME
for clock in tsc monotonic; do
	GOPROF_CLOCK=$clock GOPROF_TRACE=$GP_WORK/$clock.trace gp_run "$clock-go" ./prog 1
	[ "$GP_RC" = 0 ] || gp_fail "$clock: the traced run exited with $GP_RC"
	# Go 1.19's -d format (newer Go prints its own event model)
	"$TOOL" -d "$clock.trace" >"$clock.dump" 2>"$clock.err" ||
		{ cat "$clock.err" >&2; gp_fail "$clock: go tool trace -d"; }
	grep -q ' GoBlockSync ' "$clock.dump" || gp_fail "$clock: no contended wait in the trace"
done
exit 0
