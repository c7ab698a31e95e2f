#!/bin/sh
# After fork() the parent and the child each leave their own readable database (%p is
# each one's pid) holding their own work: parent_work in one, child_work in the other.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-fork
GOPROF_DB=$GP_WORK/prof-%p.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
[ "$(cat run.out)" = "child ok" ] || gp_fail "child failed: $(cat run.out)"
set -- prof-*.db
[ $# = 2 ] || gp_fail "expected two databases, found: $*"
found=
for db in "$@"; do
	gp_export "$db" "$db.pb.gz" -t cpu
	gp_top "$db.pb.gz" >"$db.top"
	for f in parent_work child_work; do
		ms=$(gp_cum_ms "$db.top" $f)
		[ "$ms" -ge 400 ] && found="$found $f"
	done
done
case $found in
*parent_work*child_work* | *child_work*parent_work*) ;;
*) gp_fail "each database should hold one side's work; found:$found" ;;
esac
exit 0
