#!/bin/sh
# A sample whose PC is inside libc (memcpy) shows that libc function as the leaf, under
# the instrumented caller: most samples read main;copier;<memcpy's implementation>.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog cpu-libc
gp_cpu_profile cpu ./prog
gp_traces cpu.pb.gz >traces.txt
cat traces.txt >&2
leaf='[_a-z]*mem(cpy|move)[_a-z0-9]*'
# Under --enable-sanitizers the program's memcpy is ASan's, which checks the shadow of both
# ranges before it copies: those checks (__asan_*, __sanitizer::*) are memcpy's work too
[ -n "${GP_SANITIZE:-}" ] && leaf="($leaf|__(asan|sanitizer|interceptor)[_a-zA-Z0-9:]*)"
awk -v leaf="^main;copier;$leaf\$" '{ t += $1 } $2 ~ leaf { m += $1 }
     END { exit !(t > 0 && m >= 0.8 * t) }' traces.txt ||
	gp_fail "fewer than 80 % of the samples are main;copier;memcpy"
exit 0
