#!/bin/sh
# goprof-export -f top for heap and allocs prints what go tool pprof -top prints for the
# same pprof export (bytes in pprof's units, unsampled, no Duration line), at rate 1 and at
# the default rate.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog sites heap-sites
gp_build_prog ratio heap-ratio
GOPROF_DB=$GP_WORK/sites.db GOPROF_MEMPROFILE_RATE=1 gp_run sites ./sites
[ "$GP_RC" = 0 ] || gp_fail "heap-sites exited with $GP_RC"
GOPROF_DB=$GP_WORK/ratio.db gp_run ratio ./ratio
[ "$GP_RC" = 0 ] || gp_fail "heap-ratio exited with $GP_RC"
for db in sites ratio; do
	for t in heap allocs; do
		gp_export $db.db $db-$t.pb.gz -t $t
		gp_export $db.db $db-$t.txt -t $t -f top
		gp_pprof -top $db-$t.pb.gz >$db-$t.want 2>pprof.err ||
			gp_fail "pprof -top $db-$t failed"
		cmp -s $db-$t.want $db-$t.txt || {
			diff $db-$t.want $db-$t.txt >&2
			gp_fail "top export of $t ($db) differs from pprof -top"
		}
	done
done
exit 0
