#!/bin/sh
# fork() while other threads allocate and make threads, each child allocating at rate 1 and
# then calling exit() (which runs the exit handlers, goprof's among them): every child ends
# by itself with its own exit status, no process of the program is left alive, and each
# child's own database (%p) holds exactly the blocks it allocated. Under
# --enable-sanitizers the allocator is AddressSanitizer's, whose locks a child may inherit
# held: a waiting child writes its database at exit without starting a thread (writer.c).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

n=${CHILDREN:-100}
gp_build_prog prog fork-busy
want="forked $n exited $n status $n hung 0"
rc=0
GOPROF_DB=$GP_WORK/prof-%p.db GOPROF_MEMPROFILE_RATE=1 timeout -s KILL 150 ./prog "$n" alloc \
	>run.out 2>run.err || rc=$?
gp_none_left "$GP_WORK/prog" "processes of the program"
[ "$rc" = 137 ] && gp_fail "the program hung (killed after 150 s)"
[ "$rc" = 0 ] || { cat run.err >&2; gp_fail "exit status $rc"; }
[ "$(cat run.out)" = "$want" ] || { cat run.err >&2; gp_fail "$(cat run.out), want: $want"; }
# the parent's database and one of each child's: 4 blocks of 3000 bytes in child_work
set -- prof-*.db
[ $# = $((n + 1)) ] || gp_fail "expected $((n + 1)) databases, found $#"
children=0
for db in "$@"; do
	gp_export "$db" "$db.pb.gz" -t heap
	gp_heap_top "$db.pb.gz" inuse_space >"$db.top"
	c=$(gp_flat "$db.top" child_work)
	case $c in
	12000) children=$((children + 1)) ;;
	0) ;;
	*) cat "$db.top" >&2; gp_fail "$db: child_work in use $c, want 12000" ;;
	esac
done
[ $children = "$n" ] || gp_fail "$children databases hold a child's blocks, want $n"
exit 0
