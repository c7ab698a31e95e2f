#!/bin/sh
# Real programs nobody here wrote: the Lua 5.4 interpreter and SQLite's speedtest1, from
# Debian's source packages, built plain and with the plugin, behave identically (Lua
# scripts, speedtest1 test sets with result hashes), also while profiling into a database.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"

src=$GP_BUILDDIR/real-src
gp_real_sources "$src" lua5.4 sqlite3
GOPROF_PLUGIN=$GP_PLUGIN GOPROF_RTLIB_DIR=$GP_RTDIR GOPROF_REQUIRED=1 \
	"$GP_SRCDIR/testsuite/real/build-and-compare.sh" -s "$src" -o "$GP_BUILDDIR/real-build" \
	all plain goprof >compare.log 2>&1
rc=$?
tail -5 compare.log
[ $rc = 0 ] || { cat compare.log >&2; gp_fail "the instrumented builds behave differently"; }
exit 0
