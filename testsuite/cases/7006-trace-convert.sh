#!/bin/sh
# goprof-export -t trace converts a trace file goprof wrote. The known trace of
# testsuite/unit/trace-gen.c gives the same JSON as the writer's own from the model (every
# event with its times, stacks and wakers; only the thread names are not in the Go file)
# and, with -f go, the same file byte for byte. A traced run of testsuite/progs/trace-demo.c
# gives JSON with the threads, blocking slices, regions, tasks and logs, in order, of the
# JSON the program writes itself (in another run: times differ), and its Go file comes back
# unchanged (go tool trace -d accepts it, same dump). A truncated file, a text file, a
# database and bad options give one line on stderr and exit 1 (errors) or 2 (usage).
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
. "$GP_SRCDIR/testsuite/profile-lib.sh"
. "$GP_SRCDIR/testsuite/trace-lib.sh"
gp_begin "$0"
gp_need_go
trace_setup 2>/dev/null
GEN=$GP_BUILDDIR/testsuite/unit/trace-gen
CHECK="go run $GP_SRCDIR/testsuite/unit/check-trace-json.go"

# conv ARGS...: goprof-export -t trace ARGS, failing the case on an error or a warning
conv() {
	"$GP_EXPORT" -t trace "$@" 2>conv.err || { cat conv.err >&2; gp_fail "-t trace $*"; }
	[ -s conv.err ] && { cat conv.err >&2; gp_fail "-t trace $* warned"; }
	return 0
}

# events JSON OUT: check-trace-json's lines of JSON
events() {
	$CHECK "$1" >"$2" 2>check.err || { cat check.err >&2; gp_fail "$1 does not check"; }
}

# ---- the known trace: the same JSON as from the model, the same Go file
for mode in normal odd; do
	"$GEN" -m $mode -f go -o $mode.trace 2>/dev/null || gp_fail "trace-gen -m $mode -f go"
	"$GEN" -m $mode -f json -o $mode.json 2>/dev/null || gp_fail "trace-gen -m $mode -f json"
	"$GP_EXPORT" -t trace -f go -o $mode.rt.trace $mode.trace 2>$mode.conv-err ||
		{ cat $mode.conv-err >&2; gp_fail "-t trace -f go $mode.trace"; }
	cmp $mode.trace $mode.rt.trace || gp_fail "-f go of $mode.trace is not the same file"
done
conv -o normal.conv.json normal.trace
events normal.json normal.events
events normal.conv.json normal.conv.events
# trace-gen names worker_a "worker-a"; the Go file has only its start function
grep -v ' thread_name ' normal.events >want.txt
grep -v ' thread_name ' normal.conv.events >got.txt
diff want.txt got.txt >&2 || gp_fail "normal.trace: other events than the model's"
grep ' thread_name ' normal.conv.events >names.txt
in_order names.txt '^1 M __metadata thread_name 0.000 T1 main$' \
	'^2 M __metadata thread_name 0.000 T2 worker_a$' \
	'^3 M __metadata thread_name 0.000 T3 worker_b$' || gp_fail "normal.trace: thread names"
# stacks and wakers are in args, which check-trace-json does not print
for what in '"stack":\[[^]]*\]' '"woken_by":"T[0-9]*"'; do
	grep -o "$what" normal.json | sort >want.txt
	grep -o "$what" normal.conv.json | sort >got.txt
	[ -s want.txt ] || gp_die "normal.json has no $what"
	diff want.txt got.txt >&2 || gp_fail "normal.trace: other $what than the model's"
done
# the default format is json; standard output works
"$GP_EXPORT" -t trace normal.trace >stdout.json 2>conv.err || gp_fail "-t trace to stdout"
cmp stdout.json normal.conv.json || gp_fail "-t trace without -f or -o: not the same JSON"

# ---- a traced program: the same events as the JSON it writes itself
gp_build_prog prog trace-demo
GOPROF_TRACE=$GP_WORK/go.trace gp_run go ./prog
[ "$GP_RC" = 0 ] || gp_fail "traced run exited with $GP_RC"
GOPROF_TRACE=$GP_WORK/t.json GOPROF_TRACE_FORMAT=json gp_run json ./prog
[ "$GP_RC" = 0 ] || gp_fail "JSON run exited with $GP_RC"
conv -f json -o c.json go.trace
events t.json t.events
events c.json c.events
# key: the lines without times (two runs); a write() of 5 bytes is a "syscall" slice only
# when it took 10 us or more, a join a "block" slice only when the thread had not ended
# yet; T1's name is the program's in t.json, main in c.json
key() {
	awk '{ s = ""; for (i = 1; i <= NF; i++) if ($i !~ /^[0-9]+\.[0-9][0-9][0-9]$/) s = s " " $i
		print s }' "$1" | grep -v -e ' syscall write$' -e ' block pthread_join$' |
		grep -v '^ 1 M __metadata thread_name '
}
key t.events >want.txt
key c.events >got.txt
grep -q ' X block pthread_mutex_lock' got.txt || gp_die "no mutex slice: $(cat got.txt)"
diff want.txt got.txt >&2 || gp_fail "go.trace: other events than the program's JSON"
grep -q '^1 M __metadata thread_name 0.000 T1 main$' c.events || gp_fail "c.json: T1 main"
grep -q '"stack":\["pthread_mutex_lock ?:0","take_lock [^"]*","worker_a ' c.json ||
	gp_fail "c.json: mutex stack"
grep -q '"stack":\["pthread_cond_wait ?:0","wait_for_data [^"]*","main ' c.json ||
	gp_fail "c.json: condvar stack"
grep -q '"stack":\["read ?:0","read_pipe [^"]*","worker_b ' c.json || gp_fail "c.json: read stack"
# the same run: a woken_by for each GoUnblock the waker wrote (not g=0; Go 1.19's -d format)
"$TOOL" -d go.trace >go.dump 2>dump.err || { cat dump.err >&2; gp_fail "go tool trace -d"; }
[ "$(grep -c ' GoUnblock p=[0-9]* g=[1-9]' go.dump)" = "$(grep -o '"woken_by"' c.json | wc -l)" ] ||
	gp_fail "c.json: woken_by and the GoUnblocks of go.trace differ"

# ---- round trip: -f go of the program's file
conv -f go -o rt.trace go.trace
"$TOOL" -d rt.trace >rt.dump 2>dump.err || { cat dump.err >&2; gp_fail "go tool trace -d rt"; }
# Go 1.19's dump: events of equal time on different Ps come in the order of a Go map
sort go.dump >go.sorted
sort rt.dump >rt.sorted
diff go.sorted rt.sorted >&2 || gp_fail "the round trip's dump differs"
cmp go.trace rt.trace || gp_fail "the round trip is not the same file"

# ---- bad input: one line, exit 1; usage: exit 2
GOPROF_DB=$GP_WORK/prog.db gp_run db ./prog
[ -s prog.db ] || gp_die "no database from GOPROF_DB"
size=$(wc -c <go.trace)
head -c $((size - 5)) go.trace >cut-end.trace
head -c $((size / 2)) go.trace >cut-half.trace
head -c 16 go.trace >header.trace
echo 'hello, not a trace' >text.txt
: >empty.trace
printf 'go 1.21 trace\0\0\0' >v121.trace
# expect CODE ERE ARGS...: exit CODE, and stderr one line that matches ERE
expect() {
	local code=$1 ere=$2 rc=0
	shift 2
	"$GP_EXPORT" "$@" >bad.out 2>bad.err || rc=$?
	[ "$rc" = "$code" ] || { cat bad.err >&2; gp_fail "goprof-export $*: exit $rc, not $code"; }
	[ "$(wc -l <bad.err)" = 1 ] || { cat bad.err >&2; gp_fail "goprof-export $*: not one line"; }
	grep -Eq "^goprof-export: $ere" bad.err || { cat bad.err >&2; gp_fail "goprof-export $*"; }
}
expect 1 'cut-end.trace: offset 0x[0-9a-f]+: .*(end|cut short)' -t trace cut-end.trace
expect 1 'cut-half.trace: offset 0x[0-9a-f]+: ' -t trace cut-half.trace
expect 1 'header.trace: offset 0x10: no Batch' -t trace header.trace
expect 1 'text.txt: not a Go execution trace' -t trace text.txt
expect 1 'empty.trace: empty file' -t trace empty.trace
expect 1 'v121.trace: a trace of another Go version' -t trace v121.trace
expect 1 'prog.db: no execution trace in this database \(one is kept when' -t trace prog.db
expect 1 "nothere.trace: No such file" -t trace nothere.trace
expect 1 "$GP_WORK: Is a directory" -t trace "$GP_WORK"
expect 1 "$GP_WORK/no/dir.json: No such file" -t trace -o "$GP_WORK/no/dir.json" go.trace
expect 2 "-t trace writes the formats json and go, not 'pprof'" -t trace -f pprof go.trace
expect 2 "-t trace writes the formats json and go, not 'folded'" -t trace -f folded go.trace
expect 2 '--from, --to, --debug and --label do not apply' -t trace --from +1s go.trace
expect 2 '--at picks a trace in a database; go.trace is a trace file' -t trace --at +1s go.trace
expect 2 'no database or trace file given' -t trace
expect 2 'more than one database or trace file given' -t trace go.trace rt.trace
[ -e "$GP_WORK/no" ] && gp_fail "a failed conversion left a file"
exit 0
