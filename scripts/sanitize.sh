#!/bin/sh
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer: configures a
# build directory of its own with --enable-sanitizers (the runtime, the shared layer, the
# tools and every test program instrumented; the GCC plugin, which runs inside cc1, is
# not), and has `scripts/dev.sh check` build it and run the suite there (its summary ends
# with the line "N passed, N failed"), then prints how long the run took.
#
#	sh scripts/sanitize.sh		(build directory: $GOPROF_SANITIZE_DIR or _build-sanitize)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${GOPROF_SANITIZE_DIR:-$top/_build-sanitize}

sh "$top/scripts/dev.sh" deps
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q --enable-sanitizers
grep -q '^#define GP_SANITIZE 1' config.h ||
	{ echo "sanitize.sh: $build was configured without --enable-sanitizers" >&2; exit 1; }
# dev.sh builds in the directory configured here and runs the suite, with its summary
start=$(date +%s)
status=0
GOPROF_BUILD_DIR=$build sh "$top/scripts/dev.sh" check || status=$?
echo "sanitizers: the suite took $(($(date +%s) - start)) s"
exit "$status"
