#!/bin/sh
# goprof-export -t heap|allocs -f text is Go's heap?debug=1: at rate 1 the records of a
# program with known allocations hold their exact raw numbers, sorted by in-use bytes, the
# header holds their sums and the doubled rate, the MemStats block has every line in Go's
# order with the call counters at least what the program did; go tool pprof reads the file
# as a legacy heap profile with the right values and period (also at the default rate).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

# MemStats come from glibc's allocator: under --enable-sanitizers the program is built without
# ASan, whose allocator would otherwise be its malloc (the runtime it links keeps ASan)
gp_build_prog prog heap-known ${GP_SANITIZE:+-fno-sanitize=address}
GOPROF_DB=$GP_WORK/one.db GOPROF_MEMPROFILE_RATE=1 gp_run one ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export one.db heap.txt -t heap -f text
gp_export one.db allocs.txt -t allocs -f text
cmp -s heap.txt allocs.txt || gp_fail "heap and allocs text differ (Go prints the same)"

# record NAME: "values" of the record whose innermost frame is NAME
record() {
	awk -v n="$1" '/^[0-9]+: [0-9]+ \[/ { v = $1 " " $2 " " $3 " " $4; first = 1; next }
		       first && /^#\t/ { if ($3 == n "+0x0") print v; first = 0 }' heap.txt
}
want() { # NAME VALUES
	got=$(record "$1")
	[ "$got" = "$2" ] || { cat heap.txt >&2; gp_fail "record of $1: '$got', want '$2'"; }
}
want half_big '5: 500000 [10: 1000000]'
want keep_small '100: 10000 [100: 10000]'
want drop_mid '0: 0 [50: 200000]'

# the header: the records' sums and heap/<2 x rate>
sums=$(awk '/^[0-9]+: [0-9]+ \[/ { gsub(/:/, ""); gsub(/\[/, ""); gsub(/\]/, ""); a += $1; b += $2; c += $3; d += $4 }
	    END { print a ": " b " [" c ": " d "]" }' heap.txt)
head -n 1 heap.txt | grep -qxF "heap profile: $sums @ heap/2" ||
	{ head -n 1 heap.txt >&2; gp_fail "header is not 'heap profile: $sums @ heap/2'"; }
# sorted by in-use bytes, largest first
awk '/^[0-9]+: [0-9]+ \[/ { print $2 }' heap.txt | sort -c -n -r 2>/dev/null ||
	gp_fail "records are not sorted by in-use bytes"
# every record: values line, frame lines, one empty line
awk '/^# runtime.MemStats$/ { found = 1; ok = p1 == "" && p2 == "" && p3 ~ /^#\t/; exit }
     { p3 = p2; p2 = p1; p1 = $0 }
     END { exit !(found && ok) }' heap.txt ||
	gp_fail "the last frame line and the MemStats are not two empty lines apart"

# MemStats: Go's lines in Go's order
names=$(sed -n '/^# runtime.MemStats$/,$p' heap.txt | sed -n 's/^# \([A-Za-z]*\) = .*/\1/p' | tr '\n' ' ')
[ "$names" = "Alloc TotalAlloc Sys Lookups Mallocs Frees HeapAlloc HeapSys HeapIdle HeapInuse \
HeapReleased HeapObjects Stack MSpan MCache BuckHashSys GCSys OtherSys NextGC LastGC PauseNs \
PauseEnd NumGC NumForcedGC GCCPUFraction DebugGC MaxRSS " ] || gp_fail "MemStats lines: $names"
stat() { sed -n "s/^# $1 = //p" heap.txt; }
[ "$(stat Mallocs)" -ge 160 ] || gp_fail "Mallocs $(stat Mallocs) < 160"
[ "$(stat Frees)" -ge 55 ] || gp_fail "Frees $(stat Frees) < 55"
[ "$(stat TotalAlloc)" -ge 1210000 ] || gp_fail "TotalAlloc $(stat TotalAlloc) < 1210000"
[ "$(stat HeapObjects)" = $(($(stat Mallocs) - $(stat Frees))) ] ||
	gp_fail "HeapObjects $(stat HeapObjects) is not Mallocs - Frees"
[ "$(stat Alloc)" -ge 510000 ] || gp_fail "Alloc $(stat Alloc) < the 510000 B still in use"
[ "$(stat MaxRSS)" -gt 0 ] || gp_fail "MaxRSS is $(stat MaxRSS)"
[ "$(stat DebugGC)" = false ] || gp_fail "DebugGC is $(stat DebugGC)"
[ "$(stat PauseNs | wc -w)" = 256 ] || gp_fail "PauseNs has not 256 numbers"
tail -n 1 heap.txt | grep -q '^# MaxRSS = [0-9]*$' || gp_fail "the text does not end with MaxRSS"

# go tool pprof reads it as a legacy heap profile: rate 1, the raw values unchanged
gp_pprof -raw heap.txt >raw.txt 2>pprof.err || { cat pprof.err >&2; gp_fail "pprof -raw failed"; }
grep -q '^PeriodType: space bytes$' raw.txt || gp_fail "pprof: period type is not space/bytes"
grep -q '^Period: 1$' raw.txt || gp_fail "pprof: period is not 1"
for v in '10 1000000 5 500000' '100 10000 100 10000' '50 200000 0 0'; do
	grep -Eq "^ +$(echo "$v" | sed 's/ / +/g'):" raw.txt ||
		{ cat raw.txt >&2; gp_fail "pprof: no sample '$v'"; }
done

# the default rate: heap/1048576, which pprof halves to its period
GOPROF_DB=$GP_WORK/def.db gp_run def ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
gp_export def.db def.txt -t heap -f text
head -n 1 def.txt | grep -q ' @ heap/1048576$' || gp_fail "default rate: $(head -n 1 def.txt)"
gp_pprof -raw def.txt >def-raw.txt 2>pprof.err || gp_fail "pprof -raw (default rate) failed"
grep -q '^Period: 524288$' def-raw.txt || gp_fail "pprof: default-rate period is not 524288"

# -f text of cpu stays the top table
gp_export one.db cpu-text.txt -t cpu -f text
gp_export one.db cpu-top.txt -t cpu -f top
cmp -s cpu-text.txt cpu-top.txt || gp_fail "-t cpu -f text differs from -f top"
exit 0
