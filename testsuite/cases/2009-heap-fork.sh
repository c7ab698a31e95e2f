#!/bin/sh
# fork() while another thread allocates: no child hangs or crashes, and each child's own
# database (%p) holds its child_site blocks, exactly, while the parent's holds none of them.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

# goprof's own wrappers across fork: under --enable-sanitizers the program is built without
# ASan, whose allocator would otherwise be its malloc (the runtime it links keeps ASan)
gp_build_prog prog heap-fork ${GP_SANITIZE:+-fno-sanitize=address}
GOPROF_DB=$GP_WORK/prof-%p.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
[ "$(cat run.out)" = ok ] || gp_fail "$(cat run.out)"
set -- prof-*.db
[ $# = 11 ] || gp_fail "expected 11 databases, found $#"
children=0
for db in "$@"; do
	gp_export "$db" "$db.pb.gz" -t heap
	gp_heap_top "$db.pb.gz" inuse_space >"$db.top"
	c=$(gp_flat "$db.top" child_site)
	p=$(gp_flat "$db.top" parent_site)
	case $c in
	10000) children=$((children + 1)) ;;
	0) [ "$p" = 15000 ] || { cat "$db.top" >&2; gp_fail "$db: parent_site $p, want 15000"; } ;;
	*) cat "$db.top" >&2; gp_fail "$db: child_site in use $c, want 10000 or 0" ;;
	esac
done
[ $children = 10 ] || gp_fail "$children databases hold a child's blocks, want 10"
exit 0
