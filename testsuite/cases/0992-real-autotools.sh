#!/bin/sh
# A real autotools and libtool project with a shared library: libogg from Debian's sources,
# configured with CC=goprof-cc and nothing else, builds its shared library instrumented
# (needing libgoprof) and passes its own make check with the same results, line for line, as
# the plain build. Its self-tests run for milliseconds, so a program of the suite's own
# (real/ogg-pump.c), built with each flavour's compiler against that flavour's library, frames
# and reads back 150000 packets: the same output, and go tool pprof puts most of the goprof
# run's CPU time under ogg_page_checksum_set, the page CRC.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/real/project-lib.sh"
gp_begin "$0"
gp_need_go
gp_real_sources "$GP_REAL_SRC" libogg

for f in plain goprof; do
	gp_project libogg $f
	gp_project_run $f "configure" ./configure CC="$CC"
	gp_project_run $f "make" make
	gp_project_run $f "make check" make check
	# the test programs' own verdicts: one "... ok." line per check
	grep -E '\.\.\. *.*ok\. *$' "$GP_WORK/$f.log" | sed 's/ *$//' >"$GP_WORK/$f.tests"
done
gp_project_same tests
echo "make check: $(wc -l <"$GP_WORK/goprof.tests") checks passed, plain and goprof-cc"
cd "$GP_WORK" || exit 99
gp_project_instrumented goprof/src/.libs/libogg.so.0
readelf -d plain/src/.libs/libogg.so.0 | grep -q libgoprof && gp_fail "the plain build needs libgoprof"

for f in plain goprof; do
	[ $f = plain ] && CC=$GP_CC || CC=$GP_GOPROF_CC
	$CC -O2 -I$f/include -o $f-pump "$GP_SRCDIR/testsuite/real/ogg-pump.c" -L$f/src/.libs -logg ||
		gp_fail "$f: cannot build ogg-pump"
done
LD_LIBRARY_PATH=$GP_WORK/plain/src/.libs ./plain-pump 150000 >plain.out || gp_fail "plain ogg-pump"
LD_LIBRARY_PATH=$GP_WORK/goprof/src/.libs gp_cpu_profile pump ./goprof-pump 150000
cmp -s plain.out pump.out || gp_fail "ogg-pump printed $(cat pump.out), plain $(cat plain.out)"
gp_hot pump.pb.gz ogg_page_checksum_set 50
exit 0
