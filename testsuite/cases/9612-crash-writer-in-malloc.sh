#!/bin/sh
# A thread dies inside glibc's malloc, holding the arena lock (a double free found in free()),
# while goprof's writer is busy allocating, every thread sharing the one arena
# (MALLOC_ARENA_MAX=1): the writer may already be inside malloc, waiting for that lock, when
# the crash flush begins. In each of CHILDREN forked children, the child dies of SIGABRT
# within 5 s (never a hang) and its database holds, read by go tool pprof, exactly the bytes
# the child kept just before the crash: the writer never waits for glibc's arenas.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
[ -n "${GP_SANITIZE:-}" ] &&
	gp_skip "AddressSanitizer reports the double free itself and owns malloc: no glibc arena lock to hold"

gp_build_prog prog crash-arena
children=${CHILDREN:-24}
rc=0
(ulimit -c 0; GOPROF_DB=$GP_WORK/c-%p.db GOPROF_MEMPROFILE_RATE=1 MALLOC_ARENA_MAX=1 \
	exec timeout -s KILL 300 ./prog "$children") >run.out 2>run.err || rc=$?
[ "$rc" = 0 ] || { tail run.err >&2; gp_fail "the parent exited with $rc"; }
[ "$(grep -c ' status ' run.out)" = "$children" ] || gp_fail "not every child ended"
lost=0
for pid in $(awk '$3 == "status" { print $2 }' run.out); do
	status=$(awk -v p="$pid" '$2 == p && $3 == "status" { print $4 }' run.out)
	ms=$(awk -v p="$pid" '$2 == p && $3 == "status" { print $6 }' run.out)
	kept=$(awk -v p="$pid" '$2 == p && $3 == "kept" { print $4 }' run.out)
	[ "$status" = 134 ] || gp_fail "child $pid: status $status, want death by SIGABRT"
	[ "$ms" -lt 5000 ] || gp_fail "child $pid: lived $ms ms"
	[ -n "$kept" ] || gp_fail "child $pid did not say what it kept"
	# no database, or one the writer never finished creating: lost too
	"$GP_EXPORT" -t heap -o heap-$pid.pb.gz "c-$pid.db" 2>export-$pid.err || {
		lost=$((lost + 1))
		echo "child $pid: $ms ms, no profile: $(head -1 export-$pid.err)" >&2
		continue
	}
	gp_heap_top heap-$pid.pb.gz inuse_space >top-$pid.txt
	got=$(gp_flat top-$pid.txt kept_blocks)
	echo "child $pid: $ms ms, kept $kept, profile ${got:-nothing}" >&2
	[ "$got" = "$kept" ] || lost=$((lost + 1))
done
[ "$lost" = 0 ] || gp_fail "$lost of $children children lost their last bytes"
exit 0
