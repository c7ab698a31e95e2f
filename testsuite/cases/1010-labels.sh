#!/bin/sh
# Labels (goprof_label_push/pop, GOPROF_LABEL_SCOPE) reach every profile as pprof sample
# labels, read by go tool pprof: the CPU time of one function under kind=heavy and
# kind=light splits about 2:1, within 5 points of the split of the CPU time the program
# measured for each, a nested label covers its part, an inner value shadows an outer one,
# a thread inherits its creator's labels (and cannot pop them), heap bytes stay under the
# label they were allocated with after an unlabelled free, a sleeping thread's goroutine
# entry carries its label (pprof and Go's debug=1 "# labels:" line), a thread's
# threadcreate entry its creator's, a wait for a mutex the waiter's (block) and its
# release the holder's (mutex), the execution trace logs each push and pop, and a
# --from/--to window keeps them; goprof-export --label keeps what -tagfocus keeps. The
# API's error cases are checked by the program itself; without a database labels change
# nothing.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
gp_begin "$0"
gp_need_go

gp_build_prog prog labels
gp_run plain ./prog
[ "$GP_RC" = 0 ] || { cat plain.out >&2; gp_fail "program without a database exited with $GP_RC"; }
GOPROF_DB=$GP_WORK/prof.db GOPROF_MEMPROFILE_RATE=1 GOPROF_BLOCK_RATE=1 GOPROF_MUTEX_FRACTION=1 \
	GOPROF_TRACE=$GP_WORK/trace.out gp_run run ./prog
[ "$GP_RC" = 0 ] || { cat run.out >&2; gp_fail "program exited with $GP_RC"; }
gp_same_output plain run

# tag_ms FILE KEY VALUE: the ms go tool pprof -tags gives KEY=VALUE (0 if absent)
tag_ms() {
	gp_pprof -tags -unit=ms "$1" 2>pprof.err >tags.txt || gp_fail "pprof -tags $1 failed"
	awk -v k="$2" -v v="$3" '/^ *[^ ]+: Total/ { key = $1; sub(/:$/, "", key); next }
		key == k && $NF == v { x = $1; sub(/ms$/, "", x); print x + 0; found = 1 }
		END { if (!found) print 0 }' tags.txt
}

# the CPU ms each label got, as the program measured it: 400 light, 800 heavy (400 of them
# inner), 200 shadowed, 200 without a label, 300 inherit, each a little more for settling
# (labels.c)
set -- $(sed -n 's/^cpu //p' run.err)
[ $# = 12 ] || gp_fail "the program did not print its CPU times: $(cat run.err)"
want_light=$2 want_heavy=$4 want_inner=$6 want_shadowed=$8 want_none=${10} want_inherit=${12}
for v in light heavy inner shadowed none inherit; do
	eval "want_$v=\$((want_$v / 1000000))"
done
echo "measured ms: light $want_light heavy $want_heavy inner $want_inner" \
	"shadowed $want_shadowed none $want_none inherit $want_inherit" >&2

gp_export prof.db cpu.pb.gz -t cpu
heavy=$(tag_ms cpu.pb.gz kind heavy)
light=$(tag_ms cpu.pb.gz kind light)
cat tags.txt >&2
total=$((heavy + light))
[ "$total" -gt 900 ] || gp_fail "only $total ms under kind=heavy and kind=light (burned 1200)"
want=$(awk -v h="$want_heavy" -v l="$want_light" 'BEGIN { print 100 * h / (h + l) }')
awk -v h="$heavy" -v t="$total" -v w="$want" 'BEGIN { d = 100 * h / t - w; if (d < 0) d = -d;
	exit !(d <= 5) }' || gp_fail "kind=heavy has $heavy of $total ms, not $want % +- 5"
inner=$(tag_ms cpu.pb.gz phase inner)
gp_within "$inner" "$want_inner" 25 || gp_fail "phase=inner has $inner ms, want about $want_inner"
shadowed=$(tag_ms cpu.pb.gz kind shadowed)
gp_within "$shadowed" "$want_shadowed" 35 ||
	gp_fail "kind=shadowed has $shadowed ms, want about $want_shadowed"
gp_within "$light" "$want_light" 25 ||
	gp_fail "kind=light has $light ms, want about $want_light (shadowed is not light)"
inherit=$(tag_ms cpu.pb.gz kind inherit)
gp_within "$inherit" "$want_inherit" 30 ||
	gp_fail "kind=inherit has $inherit ms, want about $want_inherit"
# the inherited label is on the child's own function
gp_pprof -top -unit=ms -tagfocus=kind=inherit cpu.pb.gz 2>pprof.err >inherit.txt
grep -q ' child_work$' inherit.txt || { cat inherit.txt >&2; gp_fail "child_work not under kind=inherit"; }
# the unlabelled 200 ms carry no label: all kinds together are the total minus that
gp_pprof -top -unit=ms -tagignore=kind=. cpu.pb.gz 2>pprof.err >none.txt
none=$(awk '$NF == "work" { x = $4; sub(/ms$/, "", x); print x + 0 }' none.txt)
gp_within "${none:-0}" "$want_none" 35 ||
	{ cat none.txt >&2; gp_fail "work without a label: ${none:-0} ms, want about $want_none"; }

# --label keeps exactly the samples pprof's -tagfocus keeps
gp_export prof.db heavy.pb.gz -t cpu --label kind=heavy
gp_pprof -top -unit=ms heavy.pb.gz 2>pprof.err >heavy.txt || gp_fail "pprof heavy.pb.gz"
gp_pprof -top -unit=ms -tagfocus=kind=heavy cpu.pb.gz 2>pprof.err >focus.txt
[ "$(grep -o 'of [0-9.]*ms total' heavy.txt)" = "of ${heavy}ms total" ] &&
	[ "$(sed -n 's/.*Showing nodes accounting for \([0-9.]*ms\).*/\1/p' heavy.txt)" = \
	  "$(sed -n 's/.*Showing nodes accounting for \([0-9.]*ms\).*/\1/p' focus.txt)" ] ||
	{ cat heavy.txt focus.txt >&2; gp_fail "--label kind=heavy is not -tagfocus=kind=heavy"; }

# a window keeps the labels (the light part runs in the first second)
gp_export prof.db window.pb.gz -t cpu --from +0s --to +1s
[ "$(tag_ms window.pb.gz kind light)" -gt 0 ] || gp_fail "no kind=light in the first second"

# heap: in use and allocated bytes under the allocation's label
gp_export prof.db heap.pb.gz -t heap
heap_b() { # INDEX TAG
	gp_pprof -top -sample_index="$1" -unit=B -tagfocus="$2" heap.pb.gz 2>pprof.err |
		awk '$NF == "alloc_block" { x = $1; sub(/B$/, "", x); print x }'
}
for want in "inuse_space owner=a 10000" "alloc_space owner=a 10000" \
	"inuse_space owner=b 10000" "alloc_space owner=b 20000"; do
	set -- $want
	got=$(heap_b "$1" "$2")
	[ "$got" = "$3" ] || gp_fail "heap $1 of alloc_block under $2: '$got', want $3"
done

# goroutine: the sleeper, at +1 s, in pprof and in Go's debug=1 text
gp_export prof.db g.pb.gz -t goroutine --at +1s
gp_export prof.db g1.txt -t goroutine --at +1s -f text
gp_pprof -traces -tagfocus=role=sleeper g.pb.gz 2>pprof.err >g-traces.txt
grep -q 'in_sleep' g-traces.txt || { cat g-traces.txt >&2; gp_fail "no in_sleep under role=sleeper"; }
grep -A1 '^1 @ ' g1.txt | grep -qx '# labels: {"role":"sleeper", "state":"sleep"}' ||
	{ cat g1.txt >&2; gp_fail "debug=1 has no labels line for the sleeper"; }

# threadcreate: the child was created under kind=inherit
gp_export prof.db tc.pb.gz -t threadcreate
gp_pprof -traces -tagfocus=kind=inherit tc.pb.gz 2>pprof.err >tc.txt
grep -q 'pthread_create' tc.txt || { cat tc.txt >&2; gp_fail "no threadcreate entry under kind=inherit"; }

# block and mutex: the wait (up to 300 ms: the program's own measure, since a loaded machine
# wakes the waiter late and shortens it) under the waiter's label, its release under the
# holder's
gp_export prof.db block.pb.gz -t block
gp_export prof.db mutex.pb.gz -t mutex
w=$(sed -n 's/^waited_ms=//p' run.err)
[ -n "$w" ] && [ "$w" -ge 100 ] || gp_fail "the program waited '$w' ms for the lock"
gp_traces block.pb.gz -tagfocus=lock=waiter >block.txt
b=$(gp_trace_value block.txt "main;wait_lock;pthread_mutex_lock")
gp_within "${b%.*}" "$w" 20 || { cat block.txt >&2; gp_fail "block under lock=waiter: $b ms, want about $w"; }
gp_traces mutex.pb.gz -tagfocus=lock=holder >mutex.txt
m=$(gp_trace_value mutex.txt "holder;pthread_mutex_unlock")
gp_within "${m%.*}" "$w" 20 || { cat mutex.txt >&2; gp_fail "mutex under lock=holder: $m ms, want about $w"; }

# the trace: every push and pop is a "label" log, in order
"$GP_EXPORT" -t trace -f json -o trace.json trace.out 2>export.err ||
	{ cat export.err >&2; gp_fail "converting the trace failed"; }
grep -o '"label=\(kind\|phase\)=[^"]*"' trace.json | head -4 | tr '\n' ' ' >logs.txt
[ "$(cat logs.txt)" = '"label=kind=light" "label=kind=light popped" "label=kind=heavy" "label=phase=inner" ' ] ||
	gp_fail "trace label logs: $(cat logs.txt)"
exit 0
