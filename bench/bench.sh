#!/bin/bash
# bench.sh - measure what goprof's instrumentation costs, against an
# uninstrumented build (plain) and gcc -finstrument-functions with empty
# hooks (cyg).  Not part of the test suite.  Prints a markdown table for
# BENCHMARKS.md on stdout; progress goes to stderr.
#
# Usage: bench/bench.sh [-s SRCDIR] [-o OUTDIR] [-n ROUNDS] [FLAVOUR...]
#   SRCDIR   lua5.4/sqlite3 sources from testsuite/real/get-sources.sh
#            (default $BUILDDIR/real-src; fetched there when missing)
#   OUTDIR   builds and scratch files (default $BUILDDIR/real-build)
#   ROUNDS   timed rounds, at least 5 (default $BENCH_N or 5)
#   FLAVOURS default: plain, goprof, goprof+cpu, GOPROF_EXTRA_FLAVOURS names, cyg.
#            F+cpu runs flavour F's programs with CPU profiling into a database
#            (GOPROF_DB, 100 Hz): the wall rows then also give F+cpu / F, what
#            sampling costs on top of the instrumentation.
#            goprof is found as described in testsuite/real/flavours.sh,
#            e.g. GOPROF_EXTRA_FLAVOURS="skipleaf:-fplugin-arg-goprof-skip-leaf"
# Knobs (environment): FIB_N (42), LUA_SCALE (25), SPEEDTEST_ARGS
#   ("--size 100 --memdb"), and for callgrind: CG_FIB_N (25 and +2),
#   CG_CALLS_N (1000000 and 2x), CG_LUA_SCALE (1), CG_SPEEDTEST_ARGS
#   ("--size 5 --memdb").
#
# Wall time: every round runs each program once per flavour, interleaved;
# the figure is the median over rounds of time(flavour) / time(plain).
# Instructions: valgrind --tool=callgrind totals (Ir).  Costs per call come
# from two runs with different sizes, so start-up and exit costs cancel:
#   fib:     (dIr(flavour) - dIr(plain)) / dcalls
#   calls.c: the same for a loop of leaf calls, and of non-leaf calls
#            (each making one leaf call; the leaf's cost is subtracted).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034  # used by flavours.sh
FLAVOURS_TOP=$(cd "$HERE/.." && pwd)
REAL=$FLAVOURS_TOP/testsuite/real
# shellcheck source=../testsuite/real/flavours.sh
. "$REAL/flavours.sh"

die() { echo "bench.sh: $*" >&2; exit 1; }
note() { echo "bench.sh: $*" >&2; }

FIB_N=${FIB_N:-42}
LUA_SCALE=${LUA_SCALE:-25}
SPEEDTEST_ARGS=${SPEEDTEST_ARGS:---size 100 --memdb}
CG_FIB_N=${CG_FIB_N:-25}
CG_CALLS_N=${CG_CALLS_N:-1000000}
CG_LUA_SCALE=${CG_LUA_SCALE:-1}
CG_SPEEDTEST_ARGS=${CG_SPEEDTEST_ARGS:---size 5 --memdb}

# ---------------------------------------------------------------- building

build_all() {
  [ -f "$SRC/lua5.4/src/lua.c" ] && [ -f "$SRC/sqlite3/test/speedtest1.c" ] ||
    "$REAL/get-sources.sh" "$SRC" >&2
  "$REAL/build-and-compare.sh" -s "$SRC" -o "$OUT" build $BUILT >&2
  local f
  for f in $BUILT; do build_micro "$f"; done
}

# fib and calls for flavour $1, in OUT/F/bench.
build_micro() {
  local f=$1 d=$OUT/$1/bench cflags libs hooks="" p
  cflags=$(flavour_cflags "$f")
  libs=$(flavour_libs "$f")
  mkdir -p "$d"
  if flavour_needs_hooks "$f"; then
    gcc -O2 -c "$REAL/cyg-hooks.c" -o "$d/cyg-hooks.o"
    hooks=$d/cyg-hooks.o
  fi
  for p in fib calls; do
    # shellcheck disable=SC2086
    gcc $cflags -fno-optimize-sibling-calls -o "$d/$p" "$HERE/$p.c" $hooks $libs ||
      die "building $p for $f failed"
  done
}

# ---------------------------------------------------------------- wall time

# Prints the wall time of "$@" in nanoseconds; output is discarded.
wall_ns() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 </dev/null || die "benchmark command failed: $*"
  t1=$(date +%s%N)
  echo $((t1 - t0))
}

# shellcheck disable=SC2086  # SPEEDTEST_ARGS is a list of words
run_bench() {
  local f=$1 what=$2
  case $f in
    *+cpu)
      f=${f%+cpu}
      rm -f "$OUT"/bench-cpu.db*
      export GOPROF_DB=$OUT/bench-cpu.db GOPROF_CPU_HZ=100 ;;
    *) unset GOPROF_DB ;;
  esac
  case $what in
    fib) "$OUT/$f/bench/fib" "$FIB_N" ;;
    lua) "$OUT/$f/lua" "$HERE/cpu.lua" "$LUA_SCALE" ;;
    speedtest1) "$OUT/$f/speedtest1" $SPEEDTEST_ARGS ;;
  esac
}

# Runs the timed rounds; results in OUT/bench-times/<what>.<flavour>.
timed_rounds() {
  local dir=$OUT/bench-times r what f t
  rm -rf "$dir" && mkdir -p "$dir"
  for r in $(seq 1 "$ROUNDS"); do
    note "round $r/$ROUNDS"
    for what in fib lua speedtest1; do
      for f in $FLAVOURS; do
        t=$(cd "$OUT" && wall_ns run_bench "$f" "$what")
        echo "$t" >>"$dir/$what.$f"
      done
    done
  done
}

. "$(dirname "$0")/lib.sh"

# Median over rounds of the ratio flavour/plain for benchmark $1.
ratio_cell() {
  local what=$1 f=$2 dir=$OUT/bench-times
  if [ "$f" = plain ]; then
    median <"$dir/$what.plain" | awk '{printf "1.00 (%.2f s)", $1 / 1e9}'
  else
    paste "$dir/$what.$f" "$dir/$what.plain" | awk '{print $1 / $2}' | median |
      awk '{printf "%.2f×", $1}'
  fi
}

# ---------------------------------------------------------------- callgrind

need_valgrind() {
  command -v valgrind >/dev/null 2>&1 && return 0
  note "installing valgrind"
  apt_install valgrind || die "valgrind is needed (apt-get install valgrind)"
}

# Prints the total instruction count (Ir) of "$@" under callgrind.
ir() {
  local out
  out=$(mktemp "$OUT/cg.XXXXXX")
  (cd "$OUT" && valgrind --tool=callgrind --callgrind-out-file="$out" "$@") \
    >/dev/null 2>"$out.log" </dev/null || { cat "$out.log" >&2; die "callgrind failed: $*"; }
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
  rm -f "$out" "$out.log"
}

fib_calls() { awk -v n="$1" 'BEGIN {a = 0; b = 1; for (i = 0; i <= n; i++) {t = a + b; a = b; b = t} print 2 * a - 1}'; }

# Collects callgrind figures into OUT/bench-ir/<key>.<flavour>.
callgrind_runs() {
  local dir=$OUT/bench-ir f n1=$CG_FIB_N n2=$((CG_FIB_N + 2)) c1=$CG_CALLS_N c2=$((CG_CALLS_N * 2))
  rm -rf "$dir" && mkdir -p "$dir"
  for f in $BUILT; do
    note "callgrind: $f"
    ir "$OUT/$f/bench/fib" "$n1" >"$dir/fib1.$f"
    ir "$OUT/$f/bench/fib" "$n2" >"$dir/fib2.$f"
    ir "$OUT/$f/bench/calls" leaf "$c1" >"$dir/leaf1.$f"
    ir "$OUT/$f/bench/calls" leaf "$c2" >"$dir/leaf2.$f"
    ir "$OUT/$f/bench/calls" nonleaf "$c1" >"$dir/nonleaf1.$f"
    ir "$OUT/$f/bench/calls" nonleaf "$c2" >"$dir/nonleaf2.$f"
    ir "$OUT/$f/lua" "$HERE/cpu.lua" "$CG_LUA_SCALE" >"$dir/lua.$f"
    # shellcheck disable=SC2086
    ir "$OUT/$f/speedtest1" $CG_SPEEDTEST_ARGS >"$dir/speedtest1.$f"
  done
  echo $(( $(fib_calls "$n2") - $(fib_calls "$n1") )) >"$dir/fib.dcalls"
  echo $((c2 - c1)) >"$dir/calls.dn"
}

# Extra instructions per iteration of benchmark $1 ("fib", "leaf" or
# "nonleaf") for flavour $2, relative to plain.
per_call() {
  local k=$1 f=$2 dir=$OUT/bench-ir dn
  if [ "$k" = fib ]; then dn=$(cat "$dir/fib.dcalls"); else dn=$(cat "$dir/calls.dn"); fi
  awk -v a1="$(cat "$dir/${k}1.$f")" -v a2="$(cat "$dir/${k}2.$f")" \
      -v p1="$(cat "$dir/${k}1.plain")" -v p2="$(cat "$dir/${k}2.plain")" -v dn="$dn" \
      'BEGIN {print ((a2 - a1) - (p2 - p1)) / dn}'
}

extra_cell() {
  local k=$1 f=$2 v
  case $k in
    nonleaf) v=$(awk -v a="$(per_call nonleaf "$f")" -v b="$(per_call leaf "$f")" 'BEGIN {print a - b}') ;;
    *) v=$(per_call "$k" "$f") ;;
  esac
  awk -v v="$v" 'BEGIN {printf "%+.1f", v}'
}

ir_ratio_cell() {
  local k=$1 f=$2 dir=$OUT/bench-ir
  awk -v a="$(cat "$dir/$k.$f")" -v p="$(cat "$dir/$k.plain")" -v f="$f" \
    'BEGIN {if (f == "plain") printf "1.00 (%.0fM)", p / 1e6; else printf "%.2f×", a / p}'
}

# ---------------------------------------------------------------- report

row() {
  local label=$1 fn=$2 k=$3 f line
  line="| $label |"
  for f in $FLAVOURS; do
    case $fn.$f in
      ratio_cell.*) line="$line $($fn "$k" "$f") |" ;;
      *+cpu) line="$line — |" ;;
      *) line="$line $($fn "$k" "$f") |" ;;
    esac
  done
  echo "$line"
}

# Median over rounds of F+cpu / F for benchmark $1: the cost of sampling alone.
sampling_rows() {
  local f what dir=$OUT/bench-times
  for f in $FLAVOURS; do
    case $f in *+cpu) ;; *) continue ;; esac
    for what in fib lua speedtest1; do
      paste "$dir/$what.$f" "$dir/$what.${f%+cpu}" | awk '{print $1 / $2}' | median |
        awk -v f="$f" -v b="${f%+cpu}" -v w="$what" '{printf "| %s / %s, %s wall | %.3f× |\n", f, b, w, $1}'
    done
  done
}

report() {
  local f head="| benchmark |" sep="|---|"
  for f in $FLAVOURS; do head="$head $f |"; sep="$sep---|"; done
  echo "Machine: $(cpu_model), $(nproc) cores; $(gcc --version | head -n 1)."
  echo "Wall time: median of $ROUNDS interleaved rounds of flavour/plain (plain: median seconds)."
  echo "Instructions: valgrind --tool=callgrind; extra Ir per call are exact differences between two input sizes."
  echo
  echo "$head"
  echo "$sep"
  row "fib($FIB_N), wall" ratio_cell fib
  row "lua cpu.lua $LUA_SCALE, wall" ratio_cell lua
  row "speedtest1 $SPEEDTEST_ARGS, wall" ratio_cell speedtest1
  row "fib: extra Ir per call" extra_cell fib
  row "calls.c: extra Ir per leaf call" extra_cell leaf
  row "calls.c: extra Ir per non-leaf call" extra_cell nonleaf
  row "lua cpu.lua $CG_LUA_SCALE, Ir" ir_ratio_cell lua
  row "speedtest1 $CG_SPEEDTEST_ARGS, Ir" ir_ratio_cell speedtest1
  if [ -n "$(sampling_rows)" ]; then
    echo
    echo "| CPU sampling at 100 Hz into a database, against instrumentation alone | ratio |"
    echo "|---|---|"
    sampling_rows
  fi
  echo
  echo "Flavours: plain = gcc -O2; cyg = gcc -O2 -finstrument-functions with empty hooks$(flavour_notes)."
}

flavour_notes() {
  local f
  for f in $FLAVOURS; do
    case $f in
      plain|cyg) ;;
      *+cpu) printf '; %s = %s run with GOPROF_DB set (CPU sampling at 100 Hz)' "$f" "${f%+cpu}" ;;
      goprof) printf '; goprof = gcc -O2 -fplugin=goprof.so, -lgoprof' ;;
      *) printf '; %s = goprof with %s' "$f" "$(extra_flavour_flags "$f")" ;;
    esac
  done
}

cpu_model() {
  awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null | sed 's/  */ /g' || echo "unknown CPU"
}

main() {
  local builddir=${BUILDDIR:-build}
  SRC="" OUT="" ROUNDS=${BENCH_N:-5}
  while getopts "s:o:n:h" opt; do
    case $opt in
      s) SRC=$OPTARG ;; o) OUT=$OPTARG ;; n) ROUNDS=$OPTARG ;;
      *) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  case $ROUNDS in ''|*[!0-9]*) die "ROUNDS must be a number" ;; esac
  [ "$ROUNDS" -ge 5 ] || die "ROUNDS must be at least 5 (got $ROUNDS)"
  SRC=${SRC:-$builddir/real-src}
  OUT=${OUT:-$builddir/real-build}
  mkdir -p "$SRC" "$OUT"
  SRC=$(cd "$SRC" && pwd) OUT=$(cd "$OUT" && pwd)
  goprof_detect || true
  if [ $# -gt 0 ]; then FLAVOURS="$*"; else FLAVOURS=$(default_flavours); fi
  # plain first: every figure is relative to it
  FLAVOURS="plain $(printf '%s\n' $FLAVOURS | awk 'NF && $0 != "plain" && !seen[$0]++' | tr '\n' ' ')"
  BUILT=$(printf '%s\n' $FLAVOURS | sed 's/+cpu$//' | awk '!seen[$0]++' | tr '\n' ' ')
  # shellcheck disable=SC2086
  check_flavour_names $BUILT
  need_valgrind
  build_all
  timed_rounds
  callgrind_runs
  report
}

main "$@"
