#!/bin/sh
# A real threaded program nobody here wrote: the zstd command from Debian's source package,
# built plain and with goprof, compresses with four worker threads (-T4, no asynchronous
# I/O threads). With the block and mutex profiles recording every event its output is
# byte-for-byte the plain build's, and the profiles, read with go tool pprof, say what
# zstd's code does: its thread pool creates exactly the four workers, the workers wait for
# jobs in pthread_cond_wait, the main thread waits there for finished jobs, and no thread
# waited longer than it lived.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

src=$GP_BUILDDIR/real-src
gp_real_sources "$src" libzstd
[ -f "$src/libzstd/programs/zstdcli.c" ] || gp_fail "no zstd sources in $src/libzstd"

build() { # NAME CC LIBS: the zstd command in NAME/programs/zstd
	cp -R "$src/libzstd/" "$1" || gp_die "cannot copy the zstd sources"
	make -C "$1/programs" zstd HAVE_ZLIB=0 HAVE_LZMA=0 HAVE_LZ4=0 CC="$2" LDLIBS="$3" \
		>"$1.log" 2>&1 || { tail -20 "$1.log" >&2; gp_fail "building zstd ($1) failed"; }
	grep -q 'building with threading support' "$1.log" ||
		gp_fail "zstd ($1) was built without threads"
}
# Under --enable-sanitizers goprof's zstd is built with ASan but without UBSan, as the real
# projects of testsuite/real are: zstd's own undefined behaviour is its authors' to fix, and
# UBSan's checks made its -O3 build take 25 minutes (one file 184 s, against 33 s with ASan
# alone). The plain build only gives the output to compare: neither sanitizer.
zstd_cc="$GP_CC_PLAIN${GP_SANITIZE:+ $GP_SANITIZE -fno-sanitize=undefined}"
build plain "$GP_CC_PLAIN" ""
build goprof "$zstd_cc $GP_FLAGS" "$GP_LIBS"

# input: zstd's own sources, eight times (about 20 MB: twenty 1 MiB jobs)
for i in 1 2 3 4 5 6 7 8; do
	cat "$src"/libzstd/lib/*/*.c "$src"/libzstd/lib/*/*.h
done >input
zstd_args="-q -T4 --no-asyncio -6 -B1M -c input"
# shellcheck disable=SC2086
gp_run plain ./plain/programs/zstd $zstd_args
[ "$GP_RC" = 0 ] || gp_fail "plain zstd exited with $GP_RC"
t0=$(date +%s%N)
# shellcheck disable=SC2086
GOPROF_DB=$GP_WORK/z.db GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 \
	gp_run run ./goprof/programs/zstd $zstd_args
wall_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$GP_RC" = 0 ] || { cat run.err >&2; gp_fail "zstd with goprof exited with $GP_RC"; }
[ ! -s run.err ] || { cat run.err >&2; gp_fail "goprof complained"; }
cmp -s plain.out run.out || gp_fail "the compressed output differs from the plain build's"
./goprof/programs/zstd -q -d -c run.out | cmp -s - input || gp_fail "round trip failed"

gp_export z.db tc.pb.gz -t threadcreate
gp_traces tc.pb.gz >tc.txt
pool="main;FIO_compressFilename;FIO_compressFilename_srcFile;ZSTD_compressStream2"
pool="$pool;ZSTD_CCtx_init_compressStream2;ZSTDMT_createCCtx_advanced;POOL_create_advanced"
pool="$pool;pthread_create"
[ "$(gp_trace_value tc.txt "$pool")" = 4 ] ||
	{ cat tc.txt >&2; gp_fail "threadcreate: want 4 threads at $pool"; }
[ "$(awk '{ n += $1 } END { print n }' tc.txt)" = 4 ] ||
	{ cat tc.txt >&2; gp_fail "threadcreate: threads created elsewhere too"; }

gp_export z.db block.pb.gz -t block
gp_traces block.pb.gz >block.txt
gp_traces block.pb.gz -sample_index=contentions >block-n.txt
cat block.txt >&2
idle=$(gp_trace_value block-n.txt "POOL_thread;pthread_cond_wait")
[ "$idle" -ge 4 ] || gp_fail "the workers waited for jobs $idle times, want at least 4"
main_ms=$(awk '$2 ~ /^main;/ { t += $1 } END { print t + 0 }' block.txt)
awk '$2 ~ /^main;.*;ZSTDMT_compressStream_generic;pthread_cond_wait$/ { f = 1 } END { exit !f }' \
	block.txt || gp_fail "the main thread never waited for a job to finish"
# every stack ends in the call that waited
bad=$(awk '{ n = split($2, f, ";"); if (f[n] !~ /^pthread_(cond_wait|mutex_lock|join)$/) print }' \
	block.txt)
[ -z "$bad" ] || gp_fail "block stacks that do not end in a blocking call: $bad"
workers_ms=$(awk '$2 ~ /^POOL_thread;/ { t += $1 } END { print t + 0 }' block.txt)
echo "wall $wall_ms ms, main waited $main_ms ms, the 4 workers $workers_ms ms" >&2
awk -v m="$main_ms" -v w="$workers_ms" -v t="$wall_ms" 'BEGIN { exit !(m > 0 && m <= t &&
	w > 0 && w <= 4 * t) }' || gp_fail "waits longer than the threads lived"

for t in threadcreate block mutex; do
	gp_same_top z.db $t
done

# the mutex profile reads back; what it holds is charged at the unlocking calls
gp_export z.db mutex.pb.gz -t mutex
gp_traces mutex.pb.gz >mutex.txt || gp_fail "go tool pprof cannot read the mutex profile"
bad=$(awk '{ n = split($2, f, ";");
	     if (f[n] !~ /^(pthread_mutex_unlock|pthread_cond_wait)$/) print }' mutex.txt)
[ -z "$bad" ] || gp_fail "mutex stacks that do not end in a releasing call: $bad"
exit 0
