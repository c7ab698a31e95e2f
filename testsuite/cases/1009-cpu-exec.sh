#!/bin/sh
# A program that replaces itself with exec() (execv, execl, execvp) keeps what it profiled
# before: its database gets a last commit, and the new image, same pid, starts afresh in a
# database of its own (PATH.1) instead of overwriting it.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-exec
for how in execv execl execvp; do
	mkdir $how
	(cd $how && GOPROF_DB=$GP_WORK/$how/prof-%p.db PATH=$GP_WORK:$PATH exec prog $how) \
		>$how.out 2>$how.err
	[ "$(cat $how.out)" = "after exec" ] || gp_fail "$how: the exec did not happen: $(cat $how.out $how.err)"
	set -- $how/prof-*.db
	[ $# = 1 ] && [ -f "$1.1" ] || gp_fail "$how: expected prof-PID.db and prof-PID.db.1: $(ls $how)"
	gp_export "$1" $how.before.pb.gz -t cpu
	gp_export "$1.1" $how.after.pb.gz -t cpu
	gp_top $how.before.pb.gz >$how.before.top
	gp_top $how.after.pb.gz >$how.after.top
	[ "$(gp_cum_ms $how.before.top before_exec_work)" -ge 400 ] ||
		gp_fail "$how: the image before exec lost its samples"
	[ "$(gp_cum_ms $how.after.top after_exec_work)" -ge 400 ] ||
		gp_fail "$how: the image after exec has no samples"
	[ "$(gp_cum_ms $how.before.top after_exec_work)" = 0 ] ||
		gp_fail "$how: the new image wrote into the old database"
done
exit 0
