#!/bin/sh
# An instrumented shared library dlopen()ed by a program that is neither instrumented nor
# linked with libgoprof keeps exact stacks of its own, on the main thread and on a thread
# the program made, and survives dlclose and a second dlopen.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
src=$GP_SRCDIR/testsuite/cases

for o in -O0 -O2; do
	# shellcheck disable=SC2086
	$GP_CC $o -g -fPIC -shared $GP_FLAGS $GP_INC -o libinst.so \
		"$src/0007-dlopen-instrumented-lib.c" $GP_LIBS ||
		gp_fail "instrumented library at $o does not build"
	# shellcheck disable=SC2086
	$GP_CC $o -g $GP_INC -o prog "$src/0007-dlopen-instrumented-prog.c" -lpthread -ldl ||
		gp_fail "program at $o does not build"
	if nm -D prog | grep -q goprof; then
		gp_fail "the program is meant to know nothing of goprof"
	fi
	gp_run prog ./prog "$GP_WORK/libinst.so"
	cat prog.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "program at $o exited with $GP_RC"
	grep -q '^3 rounds ok$' prog.out || gp_fail "unexpected output at $o: $(cat prog.out)"
	echo "ok $o"
done
exit 0
