#!/bin/sh
# A known database exported as pprof reads back the same through the real consumers
# (go tool pprof -raw and -top, protoc --decode with lib/profile.proto) with Go's CPU
# profile conventions; -f text is identical to go tool pprof -top; -f folded holds the
# stacks root first; --from/--to select buckets in every time notation.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"

EXPORT=$GP_BUILDDIR/tools/goprof-export
TZ=UTC
export TZ
"$GP_BUILDDIR/bench/gen-db" -m small small.db || gp_die "gen-db failed"
"$EXPORT" -o cpu.pb.gz small.db || gp_fail "export failed"
[ "$(od -An -tx1 -N2 cpu.pb.gz | tr -d ' ')" = 1f8b ] || gp_fail "not gzip"

# folded: root first, counts = samples
"$EXPORT" -f folded small.db | sort >folded.txt || gp_fail "folded export failed"
cat >folded.want <<'T'
lost_profile_event 4
main;work;burn_a 300
main;work;burn_b 80
main;work;burn_b;memcpy 20
T
diff folded.want folded.txt >&2 || gp_fail "folded stacks differ"

# --from/--to: buckets 1 and 2 only, in three notations
"$EXPORT" -f folded --from +1s --to +3s small.db | sort >range.txt || gp_fail "range export failed"
grep -qx "main;work;burn_a 150" range.txt || { cat range.txt >&2; gp_fail "+1s..+3s is not 2 buckets"; }
"$EXPORT" -f folded --from 1700000001 --to 1700000003 small.db | sort >range2.txt
cmp -s range.txt range2.txt || gp_fail "unix seconds select other buckets than +1s..+3s"
"$EXPORT" -f folded --from 2023-11-14T22:13:21Z --to 2023-11-14T23:13:23+01:00 small.db |
	sort >range3.txt
cmp -s range.txt range3.txt || gp_fail "RFC 3339 selects other buckets than +1s..+3s"

# protoc: the raw message
if command -v protoc >/dev/null 2>&1; then
	gzip -dc cpu.pb.gz | protoc --proto_path="$GP_SRCDIR/lib" \
		--decode perftools.profiles.Profile "$GP_SRCDIR/lib/profile.proto" >decoded.txt ||
		gp_fail "protoc --decode failed"
	grep -q '^string_table: ""$' decoded.txt || gp_fail "string_table[0] is not empty"
	grep -q '^period: 10000000$' decoded.txt || gp_fail "period is not 1e9/100"
	grep -q '^time_nanos: 1700000000000000000$' decoded.txt || gp_fail "time_nanos"
	grep -q '^duration_nanos: 4000000000$' decoded.txt || gp_fail "duration_nanos"
	grep -q '^  has_functions: true$' decoded.txt || gp_fail "mapping without has_functions"
	grep -q '^string_table: "lost_profile_event"$' decoded.txt || gp_fail "no lost frame"
	echo "ok: protoc --decode"
elif [ -n "${CI:-}" ]; then
	gp_fail "protoc is not installed"
fi

command -v go >/dev/null 2>&1 || {
	[ -n "${CI:-}" ] && gp_fail "go (golang-go) is not installed"
	gp_skip "go tool pprof is not installed"
}
HOME=$GP_WORK go tool pprof -raw cpu.pb.gz >raw.txt 2>pprof.err ||
	{ cat pprof.err >&2; gp_fail "go tool pprof -raw failed"; }
grep -q '^PeriodType: cpu nanoseconds$' raw.txt || gp_fail "period type"
grep -q '^samples/count cpu/nanoseconds$' raw.txt || gp_fail "sample types"
grep -q '^ *300 3000000000: 1 2 3 $' raw.txt || { cat raw.txt >&2; gp_fail "burn_a sample"; }
grep -q ' burn_b /src/small.c:20 s=20$' raw.txt || gp_fail "burn_b location"
grep -q '\[FN\]\[FL\]\[LN\]\[IN\]$' raw.txt || gp_fail "mapping flags"

HOME=$GP_WORK go tool pprof -top cpu.pb.gz >top.go 2>pprof.err ||
	{ cat pprof.err >&2; gp_fail "go tool pprof -top failed"; }
"$EXPORT" -f text small.db >top.ours || gp_fail "text export failed"
diff top.go top.ours >&2 || gp_fail "-f text differs from go tool pprof -top"

# the benchmark shape, smaller: dropped nodes, unit choice and sorting still agree
"$GP_BUILDDIR/bench/gen-db" -s 20000 -k 3000 -n 400 -b 20 mid.db || gp_die "gen-db failed"
"$EXPORT" -o mid.pb.gz mid.db || gp_fail "export of mid.db failed"
HOME=$GP_WORK go tool pprof -top mid.pb.gz >mid.go 2>pprof.err || gp_fail "pprof -top mid"
"$EXPORT" -f text mid.db >mid.ours || gp_fail "text export of mid.db failed"
diff mid.go mid.ours >&2 || gp_fail "-f text differs from go tool pprof -top (mid.db)"
exit 0
