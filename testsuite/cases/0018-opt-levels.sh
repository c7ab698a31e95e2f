#!/bin/sh
# The core stack checks (returns, longjmp, VLAs, no_instrument_function) pass at every
# optimisation level GCC offers, with and without -g, as PIE and as -no-pie, and each
# instrumented program prints what its plain build prints.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
src=$GP_SRCDIR/testsuite/cases
cases="0001-returns.c 0004-longjmp.c 0011-vla-alloca.c 0013-no-instrument.c"

n=0
for c in $cases; do
	# shellcheck disable=SC2086
	$GP_CC -O0 $GP_INC -o plain "$src/$c" || gp_fail "plain build of $c failed"
	gp_run plain ./plain
	[ "$GP_RC" = 0 ] || gp_fail "plain build of $c exited with $GP_RC"
	for o in -O0 -O1 -O2 -O3 -Os -Og; do
		for g in -g0 -g; do
			for pie in "-fPIE -pie" "-fno-PIE -no-pie"; do
				flags="$o $g $pie"
				# shellcheck disable=SC2086
				$GP_CC $flags $GP_FLAGS $GP_INC -o inst "$src/$c" $GP_LIBS ||
					gp_fail "$c at $flags does not build"
				gp_run inst ./inst
				[ "$GP_RC" = 0 ] ||
					{ cat inst.err >&2; gp_fail "$c at $flags exited with $GP_RC"; }
				gp_same_output plain inst
				n=$((n + 1))
			done
		done
	done
	echo "ok $c"
done
echo "$n builds ok"
exit 0
