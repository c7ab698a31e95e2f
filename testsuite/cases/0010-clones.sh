#!/bin/sh
# Clones made by GCC at -O2 read as the function they came from: scale.constprop.0 is
# "scale", and a part split off check (check.part.0) stands for "check" both when check's
# header is inlined into its caller and when check runs out of line and calls the part,
# as a sibling call or (without sibling calls) as a plain call.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
prog=$GP_SRCDIR/testsuite/cases/0010-clones-prog.c

for variant in "-O2" "-O2 -fno-optimize-sibling-calls"; do
	# shellcheck disable=SC2086
	$GP_CC $variant -g $GP_INC -o plain "$prog" || gp_fail "plain build failed"
	# shellcheck disable=SC2086
	$GP_CC $variant -g $GP_FLAGS $GP_INC -o inst "$prog" $GP_LIBS ||
		gp_fail "instrumented build at $variant failed"
	for sym in scale.constprop.0 check.part.0; do
		nm inst | grep -q " t $sym\$" ||
			gp_fail "GCC made no $sym at $variant: the case no longer tests what it says"
	done
	gp_run plain ./plain
	[ "$GP_RC" = 0 ] || gp_fail "plain build at $variant exited with $GP_RC"
	gp_run inst ./inst
	cat inst.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "instrumented build at $variant exited with $GP_RC"
	gp_same_output plain inst
	echo "ok $variant"
done
exit 0
