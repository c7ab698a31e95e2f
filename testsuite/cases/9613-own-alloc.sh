#!/bin/sh
# The writer's own allocator (rt/own-alloc.c, built into a program of its own): blocks never
# overlap, keep their contents through realloc, are aligned and as large as asked, calloc's
# are zeroed, blocks freed by another thread come back, and freed blocks are reused
# (testsuite/progs/own-alloc-check.c says how).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"

# shellcheck disable=SC2086
$GP_CC -O2 -g -I"$GP_BUILDDIR" -I"$GP_SRCDIR/rt" -I"$GP_SRCDIR/lib" -o check \
	"$GP_SRCDIR/testsuite/progs/own-alloc-check.c" "$GP_SRCDIR/rt/own-alloc.c" -lpthread \
	>cc.err 2>&1 || { cat cc.err >&2; gp_fail "building own-alloc-check failed"; }
gp_run run ./check
cat run.out >&2
[ "$GP_RC" = 0 ] || { cat run.err >&2; gp_fail "own-alloc-check exited with $GP_RC"; }
grep -q '^ok: ' run.out || gp_fail "own-alloc-check did not finish"
exit 0
