#!/bin/sh
# A real autotools and libtool project with a shared library: libogg from Debian's sources,
# configured with CC=goprof-cc and nothing else, builds its shared library instrumented
# (needing libgoprof) and passes its own make check with the same results, line for line, as
# the plain build.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/real/project-lib.sh"
gp_begin "$0"
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
exit 0
