# Shell helpers for the profile cases: build a program with the plugin, run it with a
# database, export, and read the result through the real consumer (go tool pprof).
# Sourced after lib.sh.

GP_EXPORT=$GP_BUILDDIR/tools/goprof-export

# gp_need_go: the real pprof is required; on CI (CI set) its absence is a failure.
gp_need_go() {
	command -v go >/dev/null 2>&1 && return 0
	[ -n "${CI:-}" ] && gp_fail "go (golang-go) is not installed"
	gp_skip "go tool pprof is not installed"
}

# gp_build_prog OUT PROG [FLAGS...]: testsuite/progs/PROG.c with the plugin at -O2.
gp_build_prog() {
	local out=$1 prog=$2
	shift 2
	gp_build_c "$out" "$GP_SRCDIR/testsuite/progs/$prog.c" "$@"
}

# gp_export DB OUT [ARGS...]: goprof-export ARGS -o OUT DB, failing the case on error.
gp_export() {
	local db=$1 out=$2
	shift 2
	"$GP_EXPORT" "$@" -o "$out" "$db" 2>export.err ||
		{ cat export.err >&2; gp_fail "goprof-export $* $db failed"; }
}

# gp_phase_second DB RUN: for heap-phases (output in RUN.out), the first whole second of
# DB's profile (counted from its start) that begins at least 1 s after the program's first
# phase ended: that phase is collected in the seconds before it, the second phase (3 s after
# the first) in the seconds from it on, however late after the start the program got going.
gp_phase_second() {
	local start done
	gp_need_cmd sqlite3 "the sqlite3 shell"
	start=$(sqlite3 "$1" 'SELECT start_ns FROM process') || gp_fail "no process row in $1"
	done=$(awk '$1 == "early" && $2 == "done" { print $4 }' "$2.out")
	[ -n "$done" ] || gp_fail "$2.out has no 'early done at' line"
	awk -v s="$start" -v d="$done" \
		'BEGIN { x = (d - s) / 1e9 + 1; k = int(x); if (k < x) k++; print k }'
}

# gp_cpu_profile NAME PROGRAM [ARGS...]: runs PROGRAM with GOPROF_DB=NAME.db (output in
# NAME.out and NAME.err), fails the case if it does not exit 0, and exports its CPU profile
# to NAME.pb.gz.
gp_cpu_profile() {
	local name=$1
	shift
	GOPROF_DB=$GP_WORK/$name.db gp_run "$name" "$@"
	[ "$GP_RC" = 0 ] || gp_fail "$* exited with $GP_RC"
	gp_export "$name.db" "$name.pb.gz" -t cpu
}

# gp_measured_share OUT KEY DEFAULT: the share in % of the first of two CPU times in ns that
# a program printed as "KEY NS1 NS2" in OUT (the ground truth of a split, whatever the load
# did to each part's speed), DEFAULT if it printed -1 for either; fails if there is no line.
gp_measured_share() {
	local ns
	ns=$(sed -n "s/^$2 \(-*[0-9]*\) \(-*[0-9]*\)\$/\1 \2/p" "$1")
	[ -n "$ns" ] || gp_fail "the program did not print its $2 CPU times: $(cat "$1")"
	echo "$2: the program measured ${ns% *} ns and ${ns#* } ns" >&2
	awk -v a="${ns% *}" -v b="${ns#* }" -v d="$3" 'BEGIN { print (a > 0 && b > 0) ? 100 * a / (a + b) : d }'
}

# gp_pprof ARGS...: go tool pprof with a private HOME (it keeps state there).
gp_pprof() {
	HOME=$GP_WORK go tool pprof "$@"
}

# gp_same_top DB TYPE [ARGS...]: goprof-export -f top prints what go tool pprof -top prints
# for the pprof export of the same query.
gp_same_top() {
	local db=$1 t=$2
	shift 2
	gp_export "$db" "top-$t.pb.gz" -t "$t" "$@"
	gp_export "$db" "top-$t.txt" -t "$t" -f top "$@"
	gp_pprof -top "top-$t.pb.gz" >"top-$t.want" 2>pprof.err ||
		{ cat pprof.err >&2; gp_fail "go tool pprof -top of the $t export failed"; }
	cmp -s "top-$t.want" "top-$t.txt" ||
		{ diff "top-$t.want" "top-$t.txt" >&2; gp_fail "-f top of $t differs from pprof -top"; }
}

# gp_top FILE: "flat_ms cum_ms name" per function, from go tool pprof -top.
gp_top() {
	gp_pprof -top -unit=ms -nodecount=100000 -nodefraction=0 -edgefraction=0 "$1" 2>pprof.err |
		awk 'seen { f = $1; c = $4; sub(/ms$/, "", f); sub(/ms$/, "", c);
			    name = $6; for (i = 7; i <= NF; i++) name = name " " $i;
			    print f, c, name }
		     /^ *flat +flat%/ { seen = 1 }'
}

# gp_traces FILE [PPROF ARGS...]: one line per sample stack, "value root;...;leaf", from go
# tool pprof -traces; times in ms unless ARGS set -unit, counts as they are.
gp_traces() {
	local f=$1
	shift
	gp_pprof -traces -unit=ms "$@" "$f" 2>pprof.err |
		awk 'function flush() { if (n) { s = st[n]; for (i = n - 1; i >= 1; i--) s = s ";" st[i];
					       print v, s } n = 0 }
		     /^-+\+/ { flush(); next }
		     /^ +[0-9.]+[a-zA-Z]* +[^ ]/ { flush(); v = $1; sub(/[a-zA-Z]+$/, "", v); n = 1; st[1] = $2;
					for (i = 3; i <= NF; i++) st[1] = st[1] " " $i; next }
		     n && /^ +[^ ]/ && !/: / { n++; st[n] = $1; for (i = 2; i <= NF; i++) st[n] = st[n] " " $i }
		     END { flush() }'
}

# gp_trace_value TRACES STACK: the value of the stack "root;...;leaf" in a gp_traces
# listing, summed over its lines (0 if absent).
gp_trace_value() {
	awk -v s="$2" '$2 == s { v += $1 } END { print v + 0 }' "$1"
}

# gp_possible_stacks TRACESFILE "A>B C>D ...": every stack of a gp_traces listing that runs
# through the program's functions (those the edges name) is a path of these caller>callee
# edges from main; below the program's frames the stack may end in code outside the program
# (a libc function, goprof's own allocation hook with the frames inlined into it), and a
# sample taken before main or after it (one frame outside the program) is skipped. Prints
# each impossible stack and returns 1 if there was one.
gp_possible_stacks() {
	awk -v edges="$2" '
	BEGIN {
		n = split(edges, e, " ")
		for (i = 1; i <= n; i++) {
			ok[e[i]] = 1
			split(e[i], p, ">")
			prog[p[1]] = prog[p[2]] = 1
		}
	}
	{
		k = split($2, f, ";")
		if (k == 1 && !(f[1] in prog))
			next
		bad = f[1] != "main"
		for (i = 1; i < k; i++) {
			if (!(f[i + 1] in prog)) {
				for (j = i + 2; j <= k; j++)
					if (f[j] in prog)
						bad = 1
				break
			}
			if (!((f[i] ">" f[i + 1]) in ok))
				bad = 1
		}
		if (bad) { print "impossible stack: " $2; fails++ }
	}
	END { exit fails > 0 }' "$1"
}

# gp_flat_ms TOPFILE NAME: the flat milliseconds of NAME in a gp_top listing (0 if absent).
gp_flat_ms() {
	awk -v n="$2" '$3 == n { print $1; found = 1 } END { if (!found) print 0 }' "$1"
}

# gp_cum_ms TOPFILE NAME: the cumulative milliseconds of NAME (0 if absent).
gp_cum_ms() {
	awk -v n="$2" '$3 == n { print $2; found = 1 } END { if (!found) print 0 }' "$1"
}

# gp_within VALUE TRUTH PERCENT: |VALUE - TRUTH| <= PERCENT % of TRUTH.
gp_within() {
	awk -v v="$1" -v t="$2" -v p="$3" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(d <= t * p / 100) }'
}

# gp_heap_top FILE INDEX: "flat name" per function for one heap sample type, from go tool
# pprof -top (bytes in B, counts plain).
gp_heap_top() {
	gp_pprof -top -sample_index="$2" -unit=B -nodecount=100000 -nodefraction=0 \
		-edgefraction=0 "$1" 2>pprof.err |
		awk 'seen { f = $1; sub(/B$/, "", f); name = $6;
			    for (i = 7; i <= NF; i++) name = name " " $i; print f, name }
		     /^ *flat +flat%/ { seen = 1 }'
}

# gp_flat TOPFILE NAME: the flat value of NAME in a gp_heap_top listing (0 if absent).
gp_flat() {
	awk -v n="$2" '$2 == n { print $1; found = 1 } END { if (!found) print 0 }' "$1"
}

# gp_hot PROFILE FUNCTION PERCENT: at least PERCENT % of the CPU time of PROFILE (a
# pprof file, read with go tool pprof -traces) is in stacks from main through FUNCTION.
gp_hot() {
	local total hot
	gp_traces "$1" >"$1.traces"
	total=$(awk '{ n += $1 } END { print n + 0 }' "$1.traces")
	hot=$(awk -v f="$2" '$2 ~ /^main;/ && index(";" $2 ";", ";" f ";") { n += $1 }
		END { print n + 0 }' "$1.traces")
	echo "$2: $hot of $total ms" >&2
	[ "$total" -gt 0 ] && [ $((hot * 100 / total)) -ge "$3" ] ||
		{ head -20 "$1.traces" >&2; gp_fail "$2 has $hot of $total ms, want $3%"; }
}

# gp_line_of SRC MARK: the number of the line of SRC that ends in the comment /* LINE-MARK */.
gp_line_of() {
	grep -n "LINE-$2 \*/" "$1" | cut -d: -f1
}

# gp_lines_top PROFILE [PPROF ARGS...]: "cum function file:line" per line node of go tool
# pprof -lines -top, the cum without its unit (ask for one with -unit).
gp_lines_top() {
	local f=$1
	shift
	gp_pprof -lines -top -nodecount=100000 -nodefraction=0 -edgefraction=0 "$@" "$f" \
		2>pprof.err | awk 'seen { c = $4; sub(/[a-zA-Z]+$/, "", c); print c, $6, $7 }
			/^ *flat +flat%/ { seen = 1 }'
}

# gp_cum_at_line FILE FUNCTION LINE: the sum of the first column over FUNCTION's rows at
# line LINE (of any file) in a "value function file:line" listing such as gp_lines_top's.
gp_cum_at_line() {
	awk -v f="$2" -v l=":$3" '$2 == f && substr($3, length($3) - length(l) + 1) == l {
		v += $1 } END { print v + 0 }' "$1"
}
