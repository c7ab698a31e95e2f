#!/bin/sh
# Where a build probes the compiler, goprof-cc and goprof-c++ answer as GCC does:
# --version, -dumpversion, -dumpfullversion, -dumpmachine, -print-* and a lone -v print what
# gcc prints; -E, -M, -MM and -MD write what gcc writes; an assembler file and a program on
# standard input (-x c -) build; and a configure-style test program, compiled, linked and run
# through goprof-cc, prints nothing and leaves no file but its own.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
LC_ALL=C
export LC_ALL
cc=$GP_GOPROF_CC

same() { # WHAT: the files gcc.out and drv.out are the same
	cmp -s gcc.out drv.out || { diff gcc.out drv.out | head >&2; gp_fail "$1 differs from gcc's"; }
}
for q in --version -dumpversion -dumpfullversion -dumpmachine -print-search-dirs \
	-print-libgcc-file-name -print-file-name=plugin -print-prog-name=cc1 \
	-print-multiarch -print-sysroot -v --help; do
	$GP_CC $q >gcc.out 2>&1
	"$cc" $q >drv.out 2>&1
	same "goprof-cc $q"
	$GP_CXX $q >gcc.out 2>&1
	"$GP_GOPROF_CXX" $q >drv.out 2>&1
	same "goprof-c++ $q"
done

cat >probe.c <<'C'
#include <stdio.h>
#include "probe.h"
#ifdef __GNUC__
int gnu = __GNUC__;
#endif
__attribute__((noinline)) static int probe_value(void) { return PROBE_VALUE; }
int main(void) { return probe_value() - 7; }
C
echo '#define PROBE_VALUE 7' >probe.h
$GP_CC -E -dM probe.c >gcc.out && "$cc" -E -dM probe.c >drv.out && same "-E -dM"
$GP_CC -E probe.c >gcc.out && "$cc" -E probe.c >drv.out && same "-E"
$GP_CC -M probe.c >gcc.out && "$cc" -M probe.c >drv.out && same "-M"
$GP_CC -MM probe.c >gcc.out && "$cc" -MM probe.c >drv.out && same "-MM"
$GP_CC -MD -MF gcc.out -c probe.c -o probe.o && "$cc" -MD -MF drv.out -c probe.c -o probe.o &&
	same "-MD -MF"
echo 'int main(void) { return 3; }' | $GP_CC -E -x c - >gcc.out &&
	echo 'int main(void) { return 3; }' | "$cc" -E -x c - >drv.out && same "-E -x c -"

# the compiler identification CMake and meson read
printf '__GNUC__ __GNUC_MINOR__ __VERSION__\n' | "$cc" -E -P -x c - >drv.out
printf '__GNUC__ __GNUC_MINOR__ __VERSION__\n' | $GP_CC -E -P -x c - >gcc.out
same "the GCC version macros"

# -S and assembler input
"$cc" -O2 -S -o probe.s probe.c || gp_fail "-S failed"
grep -q '__goprof' probe.s || gp_fail "-S: the assembly is not instrumented"
"$cc" -c -o probe-s.o probe.s || gp_fail "assembling probe.s failed"
"$cc" -o probe-s probe-s.o && ./probe-s || gp_fail "the program assembled from -S output fails"

# a program from a pipe, linked and run
echo 'int main(void) { return 3; }' | "$cc" -x c - -o piped || gp_fail "-x c - failed"
./piped
[ $? = 3 ] || gp_fail "the piped program did not exit 3"

# a configure test program: nothing printed, nothing left behind
mkdir conf && cd conf || gp_die "no conf dir"
cp ../probe.c ../probe.h .
"$cc" -O2 -o conftest probe.c >cc.out 2>&1 || gp_fail "the test program does not build"
[ -s cc.out ] && { cat cc.out >&2; gp_fail "goprof-cc printed something"; }
./conftest >run.out 2>&1 || gp_fail "the test program failed"
[ -s run.out ] && { cat run.out >&2; gp_fail "the test program printed something"; }
nm conftest | grep -q __goprof || gp_fail "the test program is not instrumented"
[ "$(ls -A | sort | tr '\n' ' ')" = "cc.out conftest probe.c probe.h run.out " ] ||
	gp_fail "files left behind: $(ls -A)"
cd .. || exit 99

# the driver's own switches, and a clear error for a wrong one
"$cc" --goprof-help >help.out || gp_fail "--goprof-help failed"
sed 's/\\//g' "$GP_SRCDIR/doc/goprof-cc.1" >man.txt
for s in --goprof-help --goprof-version --goprof-print GOPROF_CC GOPROF_CXX GOPROF_CC_OFF \
	GOPROF_CC_VERBOSE; do
	grep -q -- "$s" help.out || gp_fail "--goprof-help does not list $s"
	grep -q -- "$s" man.txt ||
		gp_fail "the man page does not document $s"
done
"$cc" --goprof-version | grep -q "plugin for GCC $($GP_CC -dumpfullversion)" ||
	gp_fail "--goprof-version does not name the plugin's GCC"
"$cc" --goprof-nonsense probe.c 2>err.out && gp_fail "an unknown --goprof- switch was accepted"
grep -q 'goprof-cc: unknown switch --goprof-nonsense' err.out || gp_fail "no clear error: $(cat err.out)"
echo "ok"
exit 0
