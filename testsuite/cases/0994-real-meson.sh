#!/bin/sh
# A real meson project with meson test: GNU FriBidi from Debian's sources, set up with
# CC=goprof-cc and nothing else, builds its shared library instrumented, passes its own
# meson test suite (8 tests, Unicode's conformance tests among them) with the same results
# as the plain build, and the CPU profile of its BidiTest program, read with go tool pprof,
# puts most of the time under fribidi_get_par_embedding_levels_ex, the bidi algorithm.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/real/project-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_cmd meson meson
gp_real_sources "$GP_REAL_SRC" fribidi

for f in plain goprof; do
	gp_project fribidi $f
	gp_project_run $f "meson setup" env CC="$CC" meson setup b -Ddocs=false
	gp_project_run $f "meson compile" meson compile -C b
	meson test -C b >"$GP_WORK/$f.mtest" 2>&1 ||
		{ cat "$GP_WORK/$f.mtest" >&2; gp_fail "$f: meson test failed"; }
	sed -n 's|^ *[0-9]*/[0-9]* \([^ ]*\) *\([A-Z]*\) .*$|\1 \2|p' "$GP_WORK/$f.mtest" |
		sort >"$GP_WORK/$f.tests"
	grep -E '^(Ok|Fail|Skipped):' "$GP_WORK/$f.mtest" | sed 's/  */ /g; s/ *$//' >>"$GP_WORK/$f.tests"
done
gp_project_same tests
grep -q '^Ok: [1-9]' "$GP_WORK/goprof.tests" && grep -q '^Fail: 0' "$GP_WORK/goprof.tests" ||
	{ cat "$GP_WORK/goprof.tests" >&2; gp_fail "meson test did not pass"; }
echo "meson test: $(grep '^Ok:' "$GP_WORK/goprof.tests"), plain and goprof-cc"
cd "$GP_WORK" || exit 99
gp_project_instrumented goprof/b/lib/libfribidi.so.0

t=test/unicode-conformance
gp_cpu_profile bidi ./goprof/b/$t/BidiTest goprof/$t/BidiTest.txt
./plain/b/$t/BidiTest plain/$t/BidiTest.txt >plain.out 2>&1 || gp_fail "plain BidiTest failed"
cmp -s plain.out bidi.out || gp_fail "BidiTest's output differs from the plain build's"
gp_hot bidi.pb.gz fribidi_get_par_embedding_levels_ex 40
exit 0
