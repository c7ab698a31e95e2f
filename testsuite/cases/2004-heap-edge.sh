#!/bin/sh
# The interposed malloc family keeps glibc's contracts (realloc in place and moving, calloc
# and reallocarray overflow -> NULL + ENOMEM, alignment of posix_memalign, aligned_alloc,
# memalign, valloc, pvalloc, usable size), profiled or not, and a block realloc'd twice
# is in use once, with its last size.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

# glibc's contracts through goprof's wrappers: under --enable-sanitizers the program itself
# is built without ASan, whose allocator would otherwise be its malloc (the runtime it
# links keeps ASan)
gp_build_prog prog heap-edge ${GP_SANITIZE:+-fno-sanitize=address}
for mode in plain rate1 default; do
	case $mode in
	plain) gp_run $mode ./prog ;;
	rate1) GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run $mode ./prog ;;
	default) GOPROF_DB=$GP_WORK/def.db gp_run $mode ./prog ;;
	esac
	[ "$GP_RC" = 0 ] || { cat $mode.out >&2; gp_fail "$mode run exited with $GP_RC"; }
	[ "$(cat $mode.out)" = ok ] || gp_fail "$mode run: $(cat $mode.out)"
done
gp_export prof.db heap.pb.gz -t heap
gp_heap_top heap.pb.gz inuse_space >space.txt
gp_heap_top heap.pb.gz inuse_objects >objs.txt
gp_heap_top heap.pb.gz alloc_objects >allocs.txt
cat space.txt objs.txt allocs.txt >&2
[ "$(gp_flat space.txt grower)" = $((8 << 20)) ] || gp_fail "grower's in-use bytes are not 8 MiB"
[ "$(gp_flat objs.txt grower)" = 1 ] || gp_fail "grower has not exactly one block in use"
[ "$(gp_flat allocs.txt grower)" = 3 ] || gp_fail "grower's malloc + 2 reallocs are not 3 allocations"
exit 0
