#!/bin/sh
# A CPU profile names every frame's line (progs/lines-calls.c, read by go tool pprof): a leaf
# called from two lines of one function 3:1 splits that function's cum under -lines as the
# two calls' thread CPU time, which the program measures, splits (within 3 points); an
# always-inlined helper doing half of its caller's work is a frame of its own with half of
# the time (within 6 points); a caller whose stack holds stale return addresses of its own
# earlier recursive calls is placed at its live call, never at the stale one; every
# location has a real address inside its mapping; -list shows the cost per source line.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

src=$GP_SRCDIR/testsuite/progs/lines-calls.c
gp_build_prog prog lines-calls
gp_cpu_profile cpu ./prog 100

# "cum_ms function file:line" per line node
gp_lines_top cpu.pb.gz -unit=ms >lines.txt
cat lines.txt >&2
cum_at() { gp_cum_at_line lines.txt "$@"; }

# the split is the one of the two calls' thread CPU time as the program measured it (3:1 in
# work, but a loaded machine can slow one call more than the other), 3:1 if it could not
want=$(gp_measured_share cpu.out twice 75)
three=$(cum_at twice "$(gp_line_of "$src" THREE)")
one=$(cum_at twice "$(gp_line_of "$src" ONE)")
[ $((three + one)) -gt 600 ] || gp_fail "twice's two call lines have only $three + $one ms"
awk -v a="$three" -v b="$one" -v w="$want" \
	'BEGIN { d = 100 * a / (a + b) - w; if (d < 0) d = -d; exit !(d <= 3) }' ||
	gp_fail "the 3x call line has $three ms and the 1x one $one ms: not $want % +- 3"

gp_top cpu.pb.gz >top.txt
mixin=$(gp_flat_ms top.txt mixin)
blend=$(gp_flat_ms top.txt blend)
[ $((mixin + blend)) -gt 300 ] || gp_fail "blend and its inlined mixin have only $blend + $mixin ms"
# the same work in each, but what counts is the CPU time each got, as the program measured it
want=$(gp_measured_share cpu.out blend 50)
awk -v a="$mixin" -v b="$blend" -v w="$want" \
	'BEGIN { d = 100 * a / (a + b) - w; if (d < 0) d = -d; exit !(d <= 6) }' ||
	gp_fail "the inlined mixin has $mixin ms and blend $blend ms: not $want % +- 6"
[ "$(cum_at blend "$(gp_line_of "$src" INLINED)")" -ge "$mixin" ] ||
	gp_fail "blend's line that inlines mixin does not carry mixin's time"

live=$(cum_at stale "$(gp_line_of "$src" STALE)")
wrong=$(cum_at stale "$(gp_line_of "$src" RECURSE)")
[ "$live" -gt 100 ] || gp_fail "stale's call of park has only $live ms"
[ "$wrong" = 0 ] || gp_fail "$wrong ms placed at stale's recursive call, a stale return address"

# -raw: every location of the program has an address inside mapping 1 (the program)
gp_pprof -raw cpu.pb.gz >raw.txt 2>pprof.err || { cat pprof.err >&2; gp_fail "pprof -raw failed"; }
range=$(awk '/^Mappings/ { m = 1; next } m && $1 == "1:" { split($2, r, "/"); print r[1], r[2] }' raw.txt)
lo=$((${range% *}))
hi=$((${range#* }))
awk '/^Locations/ { l = 1; next } /^Mappings/ { l = 0 } l && $3 == "M=1" { print $2 }' raw.txt >addrs.txt
[ -s addrs.txt ] || { cat raw.txt >&2; gp_fail "no location of the program"; }
while read -r a; do
	[ $((a)) -ge "$lo" ] && [ $((a)) -lt "$hi" ] ||
		{ cat raw.txt >&2; gp_fail "location address $a is not inside the program's mapping"; }
done <addrs.txt

gp_pprof -list '^twice$' cpu.pb.gz >list.txt 2>pprof.err || { cat pprof.err >&2; gp_fail "pprof -list failed"; }
cat list.txt >&2
grep -q "LINE-THREE" list.txt || gp_fail "-list twice shows no source"
awk '/LINE-THREE/ { exit !($2 ~ /s$/) }' list.txt || gp_fail "-list twice: no cum on the 3x call line"
exit 0
