#!/bin/sh
# A real plain-Makefile project: bzip2 from Debian's sources, whose Makefile links its
# program before its library (`$(CC) $(CFLAGS) $(LDFLAGS) -o bzip2 bzip2.o -L. -lbz2`),
# builds with make CC=goprof-cc and nothing else, passes its own `make test` (6 checks) as
# the plain build does, compresses to the same bytes, and its CPU profile, read with go tool
# pprof, puts the compression under BZ2_compressBlock.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/real/project-lib.sh"
gp_begin "$0"
gp_need_go
gp_real_sources "$GP_REAL_SRC" bzip2

for f in plain goprof; do
	gp_project bzip2 $f
	gp_project_run $f "make" make CC="$CC" libbz2.a bzip2 bzip2recover
	gp_project_run $f "make test" make CC="$CC" test
	grep -c '^cmp ' "$GP_WORK/$f.log" >"$GP_WORK/$f.tests"
done
gp_project_same tests
echo "make test: $(cat "$GP_WORK/goprof.tests") checks passed, plain and goprof-cc"
cd "$GP_WORK" || exit 99
gp_project_instrumented goprof/bzip2 goprof/libbz2.so.1.0

# about 8 MB of text: the package's sources and manual, again and again
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do cat plain/*.c plain/*.h plain/manual.html; done >input
# the Debian package's Makefile also builds libbz2.so, which bzip2 links: run each with its
# own, as its make test does
LD_LIBRARY_PATH=$GP_WORK/plain ./plain/bzip2 -9 -c input >plain.bz2 || gp_fail "plain bzip2"
LD_LIBRARY_PATH=$GP_WORK/goprof GOPROF_DB=$GP_WORK/bz.db gp_run run ./goprof/bzip2 -9 -c input
[ "$GP_RC" = 0 ] || { cat run.err >&2; gp_fail "bzip2 with goprof exited with $GP_RC"; }
cmp -s plain.bz2 run.out || gp_fail "the compressed output differs from the plain build's"
gp_export bz.db cpu.pb.gz -t cpu
gp_hot cpu.pb.gz BZ2_compressBlock 60
exit 0
