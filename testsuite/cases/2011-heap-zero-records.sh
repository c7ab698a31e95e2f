#!/bin/sh
# As in Go, a heap or allocs profile has a record for every stack that allocated before the
# range's end, even when all its values are zero: with --from after early()'s allocations
# (freed within the range) its record is 0 in use and 0 allocated, in the pprof file
# (protoc --decode: go tool pprof drops zero samples when it reads) and in the debug=1
# text; a stack that first allocated after the range's end has no record.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go
command -v protoc >/dev/null 2>&1 || {
	[ -n "${CI:-}" ] && gp_fail "protoc is not installed"
	gp_skip "protoc is not installed"
}

gp_build_prog prog heap-phases
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 gp_run run ./prog
[ "$GP_RC" = 0 ] || gp_fail "program exited with $GP_RC"
# the range's bound: a second between the phases (a fixed +1s failed when a loaded machine
# started the program late)
k=$(gp_phase_second prof.db run) || exit $?

# values FILE.pb.gz NAME: the four values of the sample whose innermost function is NAME,
# one line per such sample
values() {
	gzip -dc "$1" | protoc --proto_path="$GP_SRCDIR/lib" \
		--decode=perftools.profiles.Profile profile.proto >"$1.txt" 2>protoc.err ||
		{ cat protoc.err >&2; gp_fail "protoc --decode $1 failed"; }
	awk -v want="$2" '
		/^[a-z_]+ \{$/ { blk = $1; n = 0; leaf = 0; id = 0; next }
		/^}$/ {
			if (blk == "sample") { sleaf[++ns] = leaf; sval[ns] = v }
			if (blk == "location") lfunc[id] = fn
			if (blk == "function") fname[id] = name
			blk = ""; next
		}
		blk == "sample" && /^  location_id:/ { if (!leaf) leaf = $2; next }
		blk == "sample" && /^  value:/ { v = (n++ ? v " " : "") $2; next }
		(blk == "location" || blk == "function") && /^  id:/ { id = $2; next }
		blk == "location" && /^    function_id:/ { fn = $2; next }
		blk == "function" && /^  name:/ { name = $2; next }
		/^string_table:/ { s = $0; sub(/^string_table: "/, "", s); sub(/"$/, "", s); str[nstr++] = s }
		END { for (i = 1; i <= ns; i++) if (str[fname[lfunc[sleaf[i]]]] == want) print sval[i] }
	' "$1.txt"
}
want() { # FILE NAME VALUES
	got=$(values "$1" "$2")
	[ "$got" = "$3" ] || { cat "$1.txt" >&2; gp_fail "$1: sample of $2 is '$got', want '$3'"; }
}
# record FILE NAME: the values of the text record whose innermost frame is NAME
record() {
	awk -v n="$2" '/^[0-9]+: [0-9]+ \[/ { v = $1 " " $2 " " $3 " " $4; first = 1; next }
		       first && /^#\t/ { if ($3 == n "+0x0") print v; first = 0 }' "$1"
}
want_text() { # FILE NAME VALUES
	got=$(record "$1" "$2")
	[ "$got" = "$3" ] || { cat "$1" >&2; gp_fail "$1: record of $2 is '$got', want '$3'"; }
}

for t in heap allocs; do
	gp_export prof.db late-$t.pb.gz -t $t --from +${k}s
	want late-$t.pb.gz early '0 0 0 0'
	want late-$t.pb.gz late '10 20000 10 20000'
	gp_export prof.db early-$t.pb.gz -t $t --to +${k}s
	want early-$t.pb.gz early '10 10000 10 10000'
	want early-$t.pb.gz late ''
done
gp_export prof.db late.txt -t heap -f text --from +${k}s
want_text late.txt early '0: 0 [0: 0]'
want_text late.txt late '10: 20000 [10: 20000]'
gp_export prof.db early.txt -t heap -f text --to +${k}s
want_text early.txt early '10: 10000 [10: 10000]'
want_text early.txt late ''
# pprof still reads a profile with zero samples (and hides them)
gp_heap_top late-heap.pb.gz inuse_space >top.txt
[ "$(gp_flat top.txt late)" = 20000 ] || { cat top.txt >&2; gp_fail "pprof -top of late-heap"; }
exit 0
