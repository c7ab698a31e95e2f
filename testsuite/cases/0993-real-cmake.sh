#!/bin/sh
# A real CMake project with ctest: cJSON from Debian's sources, configured with
# CMAKE_C_COMPILER=goprof-cc and nothing else, builds its shared library instrumented and
# passes its own ctest suite (19 tests) with the same results as the plain build. Its fuzz
# target's stand-alone runner (fuzz_main, built with the tests), given a 9 MB JSON document
# the case writes, exits as the plain one does, and go tool pprof puts most of its CPU time
# under cJSON_ParseWithOpts, the parser.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/real/project-lib.sh"
gp_begin "$0"
gp_need_go
gp_need_cmd cmake cmake
gp_real_sources "$GP_REAL_SRC" cjson

for f in plain goprof; do
	gp_project cjson $f
	gp_project_run $f "cmake" cmake -S . -B b -DCMAKE_C_COMPILER="$CC_PROG" \
		${GP_PROJECT_FLAGS:+"-DCMAKE_C_FLAGS=$GP_PROJECT_FLAGS"} -DENABLE_CJSON_TEST=ON
	gp_project_run $f "the build" cmake --build b
	(cd b && ctest) >"$GP_WORK/$f.ctest" 2>&1 ||
		{ cat "$GP_WORK/$f.ctest" >&2; gp_fail "$f: ctest failed"; }
	sed -n 's/^.*Test *#[0-9]*: *\([^ ]*\) .*\(Passed\|Failed\|Not Run\).*$/\1 \2/p' \
		"$GP_WORK/$f.ctest" | sort >"$GP_WORK/$f.tests"
	grep 'tests passed' "$GP_WORK/$f.ctest" >>"$GP_WORK/$f.tests"
done
gp_project_same tests
grep -q '^100% tests passed, 0 tests failed out of [1-9]' "$GP_WORK/goprof.tests" ||
	gp_fail "ctest: $(tail -1 "$GP_WORK/goprof.tests")"
echo "ctest: $(tail -1 "$GP_WORK/goprof.tests"), plain and goprof-cc"
cd "$GP_WORK" || exit 99
gp_project_instrumented goprof/b/libcjson.so

# fuzz_main's input: four option digits (0010: parse, then print formatted), the document,
# and the NUL that the fuzz target wants at the end
{
	printf 0010
	awk 'BEGIN { printf "[";
		     for (i = 0; i < 100000; i++)
			     printf "%s{\"id\": %d, \"name\": \"item %d\", \"price\": %d.%02d, " \
				    "\"tags\": [\"a\", \"b\\n\", true, null]}",
				    i ? ", " : "", i, i, i % 997, i % 100;
		     printf "]" }'
	printf '\0'
} >doc.json
LD_LIBRARY_PATH=$GP_WORK/plain/b ./plain/b/fuzzing/fuzz_main doc.json >plain.out 2>&1 ||
	gp_fail "plain fuzz_main failed"
LD_LIBRARY_PATH=$GP_WORK/goprof/b gp_cpu_profile parse ./goprof/b/fuzzing/fuzz_main doc.json
cmp -s plain.out parse.out || gp_fail "fuzz_main's output differs from the plain build's"
gp_hot parse.pb.gz cJSON_ParseWithOpts 40
exit 0
