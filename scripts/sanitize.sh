#!/bin/sh
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer: configures a
# build directory of its own with --enable-sanitizers (the runtime, the shared layer, the
# tools and every test program instrumented; the GCC plugin, which runs inside cc1, is
# not), builds it and runs `make check` there, ending like `scripts/dev.sh check` with the
# line "N passed, N failed" and printing how long the run took.
#
#	sh scripts/sanitize.sh		(build directory: $GOPROF_SANITIZE_DIR or _build-sanitize)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${GOPROF_SANITIZE_DIR:-$top/_build-sanitize}
jobs=$(nproc 2>/dev/null || echo 2)

sh "$top/scripts/dev.sh" deps
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q --enable-sanitizers
grep -q '^#define GP_SANITIZE 1' config.h ||
	{ echo "sanitize.sh: $build was configured without --enable-sanitizers" >&2; exit 1; }
make -s -j"$jobs" >/dev/null
start=$(date +%s)
status=0
make -s -j"$jobs" check >check.log 2>&1 || status=$?
end=$(date +%s)
grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' check.log || true
[ "$status" = 0 ] || for f in $(grep -lE '^(FAIL|ERROR)' testsuite/cases/*.log 2>/dev/null); do
	echo "--- $f"
	tail -40 "$f"
done
pass=$(sed -n 's/^# PASS: *//p' check.log | tail -1)
fail=$(sed -n 's/^# FAIL: *//p' check.log | tail -1)
err=$(sed -n 's/^# ERROR: *//p' check.log | tail -1)
echo "sanitizers: the suite took $((end - start)) s"
echo "${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed"
exit "$status"
