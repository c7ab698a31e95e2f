#!/bin/sh
# threadcreate: threads made from three call sites (1, 2 and 3 of them) and one through C11
# thrd_create show their creators' exact stacks; the main thread counts with no stack.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog thread-sites
gp_run plain ./prog
GOPROF_DB=$GP_WORK/prof.db gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_same_output plain run
gp_export prof.db tc.pb.gz -t threadcreate
gp_export prof.db tc.txt -t threadcreate -f text
gp_traces tc.pb.gz >traces.txt
# the creating call ends each stack, as runtime.newm ends Go's
for want in "1 main;spawn_one;spawn;pthread_create" "2 main;spawn_two;spawn;pthread_create" \
	"3 main;spawn_three;spawn;pthread_create" "1 main;spawn_c11;thrd_create"; do
	got=$(gp_trace_value traces.txt "${want#* }")
	[ "$got" = "${want%% *}" ] ||
		{ cat traces.txt >&2; gp_fail "threads created at ${want#* }: $got, want ${want%% *}"; }
done
head -1 tc.txt | grep -qx 'threadcreate profile: total 8' || gp_fail "text: $(head -1 tc.txt)"
grep -A1 -x '1 @' tc.txt | grep -qx "#	0x0" || gp_fail "no stack-less record for the main thread"
grep -A3 '^3 @ ' tc.txt | grep -q '	spawn_three+0x0	' || gp_fail "no record of 3 at spawn_three"
gp_same_top prof.db threadcreate
exit 0
