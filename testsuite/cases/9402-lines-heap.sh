#!/bin/sh
# Heap samples sit at the line that called the allocator (progs/lines-heap.c, every
# allocation sampled): go tool pprof -lines splits fill()'s bytes exactly by its three
# allocating lines, and each location has a real address.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

src=$GP_SRCDIR/testsuite/progs/lines-heap.c
# Under --enable-sanitizers the program is built without ASan (the runtime keeps it): ASan's
# allocator would be the program's malloc and tell goprof of each block through a hook that
# does not know the calling line, where goprof's own malloc is called from that line
gp_build_prog prog lines-heap ${GP_SANITIZE:+-fno-sanitize=address}
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export prof.db heap.pb.gz -t heap

gp_pprof -lines -top -sample_index=alloc_space -unit=B -nodecount=100000 -nodefraction=0 \
	-edgefraction=0 heap.pb.gz 2>pprof.err |
	awk 'seen { f = $1; sub(/B$/, "", f); print f, $6, $7 } /^ *flat +flat%/ { seen = 1 }' >lines.txt
cat lines.txt >&2
for want in "BIG 900000" "SMALL 100000" "CALLOC 50000"; do
	got=$(gp_cum_at_line lines.txt fill "$(gp_line_of "$src" "${want% *}")")
	[ "$got" = "${want#* }" ] || gp_fail "fill's LINE-${want% *} has $got bytes, want ${want#* }"
done
gp_pprof -raw heap.pb.gz >raw.txt 2>pprof.err || gp_fail "pprof -raw failed"
awk '/^Locations/ { l = 1; next } /^Mappings/ { l = 0 } l && / fill / && $2 == "0x0" { exit 1 }' raw.txt ||
	{ cat raw.txt >&2; gp_fail "a location of fill has address 0"; }
exit 0
