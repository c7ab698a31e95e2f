#!/bin/sh
# An instrumented program that dlopen()s an uninstrumented library sees exact stacks when
# the library calls back into it, through a function pointer and through a symbol the
# program exports: the library's own frames simply do not appear.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
src=$GP_SRCDIR/testsuite/cases

for o in -O0 -O2; do
	# shellcheck disable=SC2086
	$GP_CC $o -g -fPIC -shared -o libplain.so "$src/0008-dlopen-callback-lib.c" ||
		gp_fail "plain library at $o does not build"
	if nm libplain.so | grep -q goprof; then
		gp_fail "the library is meant to be uninstrumented"
	fi
	# shellcheck disable=SC2086
	$GP_CC $o -g -rdynamic $GP_FLAGS $GP_INC -o prog "$src/0008-dlopen-callback-prog.c" \
		$GP_LIBS -ldl || gp_fail "instrumented program at $o does not build"
	gp_run prog ./prog "$GP_WORK/libplain.so"
	cat prog.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "program at $o exited with $GP_RC"
	grep -q '^sum 60$' prog.out || gp_fail "unexpected output at $o: $(cat prog.out)"
	echo "ok $o"
done
exit 0
