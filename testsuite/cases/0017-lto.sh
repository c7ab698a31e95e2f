#!/bin/sh
# Under -flto the instrumentation runs at link time: with the plugin on both the compile
# and the link line, stacks across translation units are exact (one partition or many);
# objects compiled with the plugin and linked without it (with or without -flto: GCC's
# linker plugin optimises LTO objects either way) fail to link, naming
# __goprof_lto_link_needs_fplugin_goprof, instead of running uninstrumented. Fat LTO
# objects behave the same, and linked with -fno-lto they run their instrumented code.
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

# must_not_link FLAGS OBJECTS...: the link without the plugin fails, naming the guard.
must_not_link() {
	flags=$1
	shift
	# shellcheck disable=SC2086
	if $GP_CC -O2 $flags -o noplugin "$@" $GP_LIBS 2>noplugin.err; then
		gp_fail "a link of $* with '$flags' and without the plugin succeeded"
	fi
	grep -q "__goprof_lto_link_needs_fplugin_goprof" noplugin.err ||
		{ cat noplugin.err >&2; gp_fail "the failed link does not name the guard symbol"; }
	echo "ok: link of $* with '$flags' and without the plugin refused"
}

must_not_link -flto main.o other.o
must_not_link "" main.o other.o

# shellcheck disable=SC2086
for f in main other; do
	$GP_CC -O2 -g -flto -ffat-lto-objects $GP_FLAGS $GP_INC -c -o fat-$f.o \
		"$src/0017-lto-$f.c" || gp_fail "-ffat-lto-objects compile of $f failed"
done
for link in "-flto $GP_FLAGS" "-fno-lto"; do
	# shellcheck disable=SC2086
	$GP_CC -O2 -g $link -o inst fat-main.o fat-other.o $GP_LIBS ||
		gp_fail "link of fat objects with $link failed"
	gp_run inst ./inst
	cat inst.err >&2
	[ "$GP_RC" = 0 ] || gp_fail "fat objects linked with $link exited with $GP_RC"
	[ -s inst.err ] && gp_fail "checks failed in fat objects linked with $link"
	gp_same_output plain inst
	echo "ok: fat objects, $link"
done
must_not_link -flto fat-main.o fat-other.o
must_not_link "" fat-main.o fat-other.o
exit 0
