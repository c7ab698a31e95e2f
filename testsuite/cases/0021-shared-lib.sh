#!/bin/sh
# An instrumented -fPIC shared library linked normally (not dlopen()ed) into an
# instrumented program shares the program's shadow stack: calls from the program into the
# library and callbacks from the library into the program read as one exact stack, on the
# main thread and on a thread the library creates.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
src=$GP_SRCDIR/testsuite/cases

for o in -O0 -O2; do
	# shellcheck disable=SC2086
	$GP_CC $o -g -fPIC -shared $GP_FLAGS $GP_INC -o libshared.so \
		"$src/0021-shared-lib-lib.c" $GP_LIBS || gp_fail "library at $o does not build"
	# shellcheck disable=SC2086
	$GP_CC $o -g $GP_FLAGS $GP_INC -o prog "$src/0021-shared-lib-prog.c" \
		-L. -Wl,-rpath,"$GP_WORK" -lshared $GP_LIBS || gp_fail "program at $o does not build"
	gp_run prog ./prog
	cat prog.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "program at $o exited with $GP_RC"
	# The library counts its own failed checks: any report fails the case.
	[ -s prog.err ] && gp_fail "checks failed at $o"
	grep -q '^r = 26$' prog.out || gp_fail "unexpected output at $o: $(cat prog.out)"
	echo "ok $o"
done
exit 0
