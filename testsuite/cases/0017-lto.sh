#!/bin/sh
# Under -flto the instrumentation runs at link time: with the plugin on both the compile
# and the link line, stacks across translation units are exact (one partition or many);
# objects compiled with the plugin and linked with -flto but without it fail to link,
# naming __goprof_lto_link_needs_fplugin_goprof, instead of running uninstrumented.
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
src=$GP_SRCDIR/testsuite/cases

# shellcheck disable=SC2086
$GP_CC -O2 -g $GP_INC -o plain "$src/0017-lto-main.c" "$src/0017-lto-other.c" ||
	gp_fail "plain build failed"
gp_run plain ./plain
[ "$GP_RC" = 0 ] || gp_fail "plain build exited with $GP_RC"

# shellcheck disable=SC2086
for f in main other; do
	$GP_CC -O2 -g -flto $GP_FLAGS $GP_INC -c -o $f.o "$src/0017-lto-$f.c" ||
		gp_fail "-flto compile of $f failed"
done

for part in "-flto" "-flto=2 -flto-partition=max"; do
	# shellcheck disable=SC2086
	$GP_CC -O2 -g $part $GP_FLAGS -o inst main.o other.o $GP_LIBS ||
		gp_fail "link with $part and the plugin failed"
	gp_run inst ./inst
	cat inst.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "program linked with $part exited with $GP_RC"
	# Each unit counts its own failures and only main's sets the exit code: any report fails.
	[ -s inst.err ] && gp_fail "checks failed in the program linked with $part"
	gp_same_output plain inst
	echo "ok $part"
done

# shellcheck disable=SC2086
if $GP_CC -O2 -flto -o noplugin main.o other.o $GP_LIBS 2>noplugin.err; then
	gp_fail "an -flto link without the plugin succeeded"
fi
grep -q "__goprof_lto_link_needs_fplugin_goprof" noplugin.err ||
	{ cat noplugin.err >&2; gp_fail "the failed link does not name the guard symbol"; }
echo "ok: link without the plugin refused"
exit 0
