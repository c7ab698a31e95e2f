#!/bin/sh
# pprof's line views of a CPU profile with lines (progs/lines-calls.c): goprof-export -f list
# -r REGEX prints what go tool pprof -list prints and -f top --lines what -top -lines
# prints; -top -addresses shows each location's address; and with the source tree moved
# after the build, pprof -list finds the sources again with -trim_path and -source_path
# (and not without them).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

mkdir -p built/src
cp "$GP_SRCDIR/testsuite/progs/lines-calls.c" "$GP_SRCDIR/testsuite/progs/burn.h" built/src/
# shellcheck disable=SC2086
$GP_CC -O2 -g $GP_FLAGS $GP_INC -o prog "$GP_WORK/built/src/lines-calls.c" $GP_LIBS \
	>cc.err 2>&1 || { cat cc.err >&2; gp_fail "building lines-calls.c failed"; }
gp_cpu_profile cpu ./prog 40

same() { # WHAT WANT GOT
	cmp -s "$2" "$3" || { diff "$2" "$3" >&2; gp_fail "$1 differs from go tool pprof's"; }
}
for re in '^twice$' 'blend|mixin' '.'; do
	gp_pprof -list "$re" cpu.pb.gz >want.list 2>pprof.err || { cat pprof.err >&2; gp_fail "pprof -list $re"; }
	gp_export cpu.db got.list -f list -r "$re"
	same "-f list -r '$re'" want.list got.list
done
grep -q "LINE-THREE" want.list || gp_fail "-list shows no source"
gp_pprof -top -lines cpu.pb.gz >want.top 2>pprof.err || gp_fail "pprof -top -lines failed"
gp_export cpu.db got.top -f top --lines
same "-f top --lines" want.top got.top
grep -q "mixin .*lines-calls.c:[0-9]* (inline)$" got.top || gp_fail "no inlined frame in -f top --lines"

gp_pprof -top -addresses cpu.pb.gz >addr.top 2>pprof.err || gp_fail "pprof -top -addresses failed"
grep -Eq '^ .* [0-9a-f]{8,} work .*lines-calls.c:[0-9]+$' addr.top ||
	{ cat addr.top >&2; gp_fail "-addresses shows no address of work"; }

# the tree moves: pprof looks where the compiler was
mv built moved
gp_pprof -list '^twice$' cpu.pb.gz >lost.list 2>&1
grep -q "LINE-THREE" lost.list && gp_fail "the moved source was found without -source_path"
gp_pprof -list '^twice$' -trim_path="$GP_WORK/built" -source_path="$GP_WORK/moved" cpu.pb.gz \
	>found.list 2>pprof.err || { cat pprof.err >&2; gp_fail "pprof -list with -trim_path failed"; }
cat found.list >&2
awk '/LINE-THREE/ { ok = $2 ~ /s$/ } END { exit !ok }' found.list ||
	gp_fail "-trim_path/-source_path: no cum on the moved source's 3x call line"
exit 0
