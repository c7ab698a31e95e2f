#!/bin/sh
# The block profile leaves I/O waits out, as Go's does for network waits, unless
# GOPROF_BLOCK_IO=1 asks for them: then a thread's wait of a second or more in read() on a
# pipe is there at its stack, with the time the program measured itself.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog io-parked
stack='parked_run;in_read;read'
for cfg in off on; do
	io=0
	[ $cfg = on ] && io=1
	# the commands a second after the threads are parked, however late the program got
	# there (2 s after the start left 154 ms of read under ASan on a loaded machine)
	(i=0
	 until grep -qx parked $cfg.out 2>/dev/null || [ $i -ge 600 ]; do
		sleep 0.1
		i=$((i + 1))
	 done
	 sleep 1
	 printf srq) | GOPROF_DB=$GP_WORK/$cfg.db GOPROF_BLOCK_RATE=1 GOPROF_BLOCK_IO=$io \
		timeout 120 ./prog >$cfg.out 2>$cfg.err || gp_fail "program exited with $?"
	gp_export $cfg.db $cfg.pb.gz -t block
	gp_traces $cfg.pb.gz >$cfg.txt
	got=$(gp_trace_value $cfg.txt "$stack")
	want=$(sed -n 's/^read_ms=//p' $cfg.err)
	if [ $cfg = off ]; then
		[ "$got" = 0 ] ||
			{ cat $cfg.txt >&2; gp_fail "GOPROF_BLOCK_IO=0: $stack has $got ms"; }
		grep -Eq ';(read|poll|epoll_wait|accept|waitpid)$' $cfg.txt &&
			{ cat $cfg.txt >&2; gp_fail "GOPROF_BLOCK_IO=0: I/O waits were recorded"; }
	else
		[ "$want" -ge 500 ] || gp_fail "the program waited only $want ms in read"
		gp_within "$got" "$want" 10 ||
			{ cat $cfg.txt >&2; gp_fail "GOPROF_BLOCK_IO=1: $got ms, truth $want"; }
	fi
done
exit 0
