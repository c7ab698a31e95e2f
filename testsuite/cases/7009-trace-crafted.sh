#!/bin/sh
# Crafted or damaged trace files get one clear line and exit 1 from goprof-export -t trace,
# in both output formats (the sweeps in one each): never a crash, a hang or a huge allocation (each conversion runs
# under a 1 GiB address-space limit and a 30 s timeout). Cases: an empty file, a header
# alone, another Go version, the file cut at every offset, every byte in turn set to 0xff,
# a String claiming 4 GiB, a number longer than 64 bits, and random bytes over the middle.
# A cut or a changed byte may still leave a file that parses (a cut after the last event, a
# changed timestamp): then the conversion succeeds; it must never do anything else.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"

EXPORT=$GP_BUILDDIR/tools/goprof-export
good=$GP_SRCDIR/testsuite/fuzz/corpus-trace/run.trace
size=$(stat -c %s "$good")
"$EXPORT" -t trace -f json -o good.json "$good" || gp_fail "the good trace does not convert"

# convert NAME FORMAT: converts NAME.trace, the exit status in rc, stderr in err.txt
convert() {
	rc=0
	(ulimit -v 1048576 && exec timeout 30 "$EXPORT" -t trace -f "$2" -o out "$1.trace") \
		2>err.txt || rc=$?
}
# one_line NAME FORMAT: a failed conversion said why in one line of goprof-export's
one_line() {
	[ "$(wc -l <err.txt)" = 1 ] && grep -q "^goprof-export: $1.trace: " err.txt ||
		{ cat err.txt >&2; gp_fail "$1 ($2): exit $rc without one goprof-export line"; }
}
# expect NAME PATTERN: both formats of NAME.trace exit 1 with one line matching PATTERN
expect() {
	for f in json go; do
		convert "$1" $f
		[ "$rc" = 1 ] || { cat err.txt >&2; gp_fail "$1 ($f): exit $rc, not 1"; }
		one_line "$1" $f
		grep -q "$2" err.txt || { cat err.txt >&2; gp_fail "$1 ($f): no '$2'"; }
	done
	echo "ok: $1: $(cat err.txt)"
}
# survives NAME FORMAT: NAME.trace converts (exit 0) or fails in one line (exit 1); the
# sweeps below take one format each, as both read the file with the same reader
survives() {
	convert "$1" "$2"
	case $rc in
	0) parsed=$((parsed + 1)) ;;
	1) one_line "$1" "$2" ;;
	*) cp "$1.trace" "kept-$1.trace"; cat err.txt >&2
	   gp_fail "$1 ($2): exit $rc (input kept as kept-$1.trace)" ;;
	esac
}

: >empty.trace
expect empty "empty file"
head -c 16 "$good" >header.trace
expect header "no Batch"
sed 's/go 1\.19 trace/go 1.22 trace/' "$good" >newer.trace
expect newer "another Go version"

# EvString (37) with id 9 and a length of 2^32 - 1, then the file ends
{ cat "$good"; printf '\045\011\377\377\377\377\017'; } >hugestring.trace
expect hugestring "String"
# an event whose first number runs on for 11 bytes
{ cat "$good"; printf '\045\377\377\377\377\377\377\377\377\377\377\377\001'; } >longnumber.trace
expect longnumber "number"

# cut at every offset past the header
parsed=0 i=17
while [ $i -lt "$size" ]; do
	head -c $i "$good" >cut.trace
	survives cut go
	i=$((i + 1))
done
echo "ok: cut at $((size - 17)) offsets, $parsed still parsed"
[ "$parsed" -lt $((size / 4)) ] || gp_fail "$parsed of $((size - 17)) cut files parsed"

# every byte past the header set to 0xff in turn
parsed=0 i=16
while [ $i -lt "$size" ]; do
	{ head -c $i "$good"; printf '\377'; tail -c +$((i + 2)) "$good"; } >byte.trace
	survives byte json
	i=$((i + 1))
done
echo "ok: 0xff at $((size - 16)) offsets, $parsed still parsed"

# random bytes over the middle, twenty times
n=0
while [ $n -lt 20 ]; do
	cp "$good" random.trace
	head -c 64 /dev/urandom | dd of=random.trace bs=1 seek=$((size / 3)) conv=notrunc \
		2>/dev/null
	survives random go
	survives random json
	n=$((n + 1))
done
echo "ok: 20 random overwrites"
exit 0
