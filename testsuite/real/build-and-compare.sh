#!/bin/bash
# build-and-compare.sh - build real programs (the Lua 5.4 interpreter and
# SQLite's speedtest1) in several compiler flavours and check that the
# instrumented builds behave exactly like the plain one.
#
# Usage: testsuite/real/build-and-compare.sh [-s SRCDIR] [-o OUTDIR] [-j N]
#                                            [build|compare|all] [FLAVOUR...]
#   SRCDIR  trees unpacked by get-sources.sh   (default $BUILDDIR/real-src)
#   OUTDIR  where builds and results go       (default $BUILDDIR/real-build)
#   BUILDDIR defaults to "build".  -j N: parallel compile jobs (default: cores).
#   build    compile <OUTDIR>/<flavour>/{lua,speedtest1}
#   compare  run Lua scripts (testsuite/real/lua/*.lua and a few command
#            lines) and speedtest1 test sets with every flavour, and compare
#            stdout, stderr and exit status with the plain build (speedtest1's
#            timing column stripped).  Exits 1 on any difference.
#   all      build then compare (the default)
#   Each goprof flavour F is also run as "F+db", with GOPROF_DB set so that
#   CPU sampling and the profile writer are on too.  REAL_GOPROF_DB=1: always,
#   0: never, auto (default): when a trial run writes a database.
# Flavours: plain, cyg, goprof, or extra goprof ones; see flavours.sh.  The
# default is plain, goprof (if a goprof build is found) and cyg; with
# GOPROF_REQUIRED=1 a missing goprof is an error.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034  # used by flavours.sh
FLAVOURS_TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=flavours.sh
. "$HERE/flavours.sh"

die() { echo "build-and-compare.sh: $*" >&2; exit 1; }
say() { echo "build-and-compare.sh: $*"; }

# A fixed string-hash seed (Lua mixes the time and three addresses into it otherwise): the
# hash chains, and with them Lua's time, change from run to run with the seed (cpu.lua 10
# took 0.51 s to 0.86 s on one machine; 0.50 s to 0.54 s with this), and plain and goprof
# builds then hash alike.
LUA_DEFS="-std=gnu99 -DLUA_COMPAT_5_3 -DLUA_USE_LINUX -Dluai_makeseed(L)=0x2545F491u"
LUA_LIBS="-Wl,-E -lm -ldl"
SQLITE_DEFS="-DSQLITE_ENABLE_RTREE -DSQLITE_THREADSAFE=1"
SQLITE_LIBS="-lpthread -ldl -lm"

# ---------------------------------------------------------------- sources

check_sources() {
  [ -f "$SRC/lua5.4/src/lua.c" ] ||
    die "no Lua sources in $SRC/lua5.4 (run testsuite/real/get-sources.sh $SRC first)"
  [ -f "$SRC/sqlite3/test/speedtest1.c" ] ||
    die "no SQLite sources in $SRC/sqlite3 (run testsuite/real/get-sources.sh $SRC first)"
}

need_tclsh() {
  command -v tclsh >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "tclsh is needed to build the SQLite amalgamation (install tcl)"
  say "installing tcl (for the SQLite amalgamation)"
  apt_install tcl || die "cannot install tcl"
}

# The amalgamation sqlite3.c is not in the Debian source: generate it.
amalgamation() {
  local dir=$OUT/sqlite-amalgamation
  [ -f "$dir/sqlite3.c" ] && [ -f "$dir/sqlite3.h" ] && return 0
  need_tclsh
  say "generating the SQLite amalgamation"
  rm -rf "$dir" && mkdir -p "$dir/bld"
  (cd "$dir/bld" && "$SRC/sqlite3/configure" --disable-tcl >configure.log 2>&1) ||
    { tail -n 20 "$dir/bld/configure.log" >&2; die "SQLite configure failed"; }
  (cd "$dir/bld" && make -j"$JOBS" sqlite3.c >make.log 2>&1) ||
    { tail -n 20 "$dir/bld/make.log" >&2; die "making sqlite3.c failed"; }
  cp "$dir/bld/sqlite3.c" "$dir/bld/sqlite3.h" "$dir/"
}

# Debian's luaconf.h includes a header that its build system generates.
lua_include() {
  local inc=$OUT/include
  mkdir -p "$inc"
  [ -f "$inc/lua5.4-deb-multiarch.h" ] && return 0
  local ma
  ma=$(gcc -print-multiarch 2>/dev/null || true)
  echo "#define DEB_HOST_MULTIARCH \"${ma:-unknown}\"" >"$inc/lua5.4-deb-multiarch.h"
}

# ---------------------------------------------------------------- building

JOB_FAIL=""

# run_job LOG CMD...: run CMD in the background, at most $JOBS at a time.
run_job() {
  local log=$1; shift
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  ( "$@" >"$log" 2>&1 || { echo "$log" >>"$JOB_FAIL"; } ) &
}

wait_jobs() {
  wait
  if [ -s "$JOB_FAIL" ]; then
    local log
    while read -r log; do echo "--- $log" >&2; tail -n 30 "$log" >&2; done <"$JOB_FAIL"
    die "compilation failed (logs above)"
  fi
}

# What a build depends on besides the sources: flags, and the plugin itself.
flavour_stamp() {
  local w
  for w in $(flavour_cflags "$1"); do
    case $w in -fplugin=*) echo "plugin=$(cksum <"${w#-fplugin=}")" ;; esac
  done
  echo "cflags=$(flavour_cflags "$1")"
  echo "libs=$(flavour_libs "$1")"
  echo "lua=$LUA_DEFS $LUA_LIBS sqlite=$SQLITE_DEFS $SQLITE_LIBS"
}

up_to_date() {
  local d=$OUT/$1
  [ -x "$d/lua" ] && [ -x "$d/speedtest1" ] && [ -f "$d/stamp" ] &&
    [ "$(cat "$d/stamp")" = "$(flavour_stamp "$1")" ]
}

# Queue the compile jobs of one flavour; objects go to OUT/F/obj.
queue_compiles() {
  local f=$1 d=$OUT/$1 cflags c
  cflags=$(flavour_cflags "$f")
  rm -rf "$d" && mkdir -p "$d/obj/lua"
  # shellcheck disable=SC2086
  run_job "$d/obj/sqlite3.log" gcc $cflags $SQLITE_DEFS -c "$OUT/sqlite-amalgamation/sqlite3.c" -o "$d/obj/sqlite3.o"
  # shellcheck disable=SC2086
  run_job "$d/obj/speedtest1.log" gcc $cflags $SQLITE_DEFS -I"$OUT/sqlite-amalgamation" \
    -c "$SRC/sqlite3/test/speedtest1.c" -o "$d/obj/speedtest1.o"
  if flavour_needs_hooks "$f"; then
    run_job "$d/obj/cyg-hooks.log" gcc -O2 -c "$HERE/cyg-hooks.c" -o "$d/obj/cyg-hooks.o"
  fi
  for c in "$SRC"/lua5.4/src/*.c; do
    case ${c##*/} in luac.c) continue ;; esac
    c=${c##*/}
    # shellcheck disable=SC2086
    run_job "$d/obj/lua/${c%.c}.log" gcc $cflags $LUA_DEFS -I"$OUT/include" \
      -c "$SRC/lua5.4/src/$c" -o "$d/obj/lua/${c%.c}.o"
  done
}

queue_links() {
  local f=$1 d=$OUT/$1 libs hooks=""
  libs=$(flavour_libs "$f")
  flavour_needs_hooks "$f" && hooks=$d/obj/cyg-hooks.o
  # shellcheck disable=SC2086
  run_job "$d/link-lua.log" gcc -O2 -o "$d/lua" "$d"/obj/lua/*.o $hooks $libs $LUA_LIBS
  # shellcheck disable=SC2086
  run_job "$d/link-speedtest1.log" gcc -O2 -o "$d/speedtest1" "$d/obj/speedtest1.o" \
    "$d/obj/sqlite3.o" $hooks $libs $SQLITE_LIBS
}

build() {
  local f todo=""
  check_sources
  for f in "$@"; do
    flavour_cflags "$f" >/dev/null
    up_to_date "$f" && { say "$f: up to date"; continue; }
    todo="$todo $f"
  done
  [ -n "$todo" ] || return 0
  amalgamation
  lua_include
  JOB_FAIL=$OUT/.job-failures
  : >"$JOB_FAIL"
  say "compiling:$todo (-j$JOBS)"
  for f in $todo; do queue_compiles "$f"; done
  wait_jobs
  for f in $todo; do queue_links "$f"; done
  wait_jobs
  for f in $todo; do flavour_stamp "$f" >"$OUT/$f/stamp"; done
  say "built:$todo"
}

# ---------------------------------------------------------------- running

# run_case DIR NAME CMD...: run CMD with stdout, stderr, exit status saved
# in DIR/NAME.{out,err,rc}.
run_case() {
  local dir=$1 name=$2 rc=0; shift 2
  "$@" >"$dir/$name.out" 2>"$dir/$name.err" </dev/null || rc=$?
  echo "$rc" >"$dir/$name.rc"
}

lua_cases() {
  local f=$1 res=$2 work=$OUT/$1/work/lua s name
  rm -rf "$work" && mkdir -p "$work"
  cp "$HERE"/lua/*.lua "$work/"
  for s in "$HERE"/lua/*.lua; do
    name=${s##*/}
    run_case "$res" "lua-${name%.lua}" run_lua "$f" "$work" "$name"
  done
  run_case "$res" lua-cmd-error run_lua "$f" "$work" -e "local function f() error('boom') end f()"
  run_case "$res" lua-cmd-errobj run_lua "$f" "$work" -e "error(setmetatable({}, {__tostring = function() return 'obj' end}))"
  run_case "$res" lua-cmd-exit run_lua "$f" "$work" -e "io.write('bye') os.exit(3)"
  run_case "$res" lua-cmd-warn run_lua "$f" "$work" -W -e "print(#arg, arg[1], arg[2])" gc.lua one two
  run_case "$res" lua-cmd-version run_lua "$f" "$work" -v
}

# Run this flavour's Lua with argv[0] "lua", so messages name no path.
run_lua() {
  local f=$1 work=$2; shift 2
  (cd "$work" && env -u LUA_INIT -u LUA_INIT_5_4 -u LUA_PATH -u LUA_PATH_5_4 \
     -u LUA_CPATH -u LUA_CPATH_5_4 ${RUN_ENV:+"$RUN_ENV"} bash -c 'exec -a lua "$@"' lua "$OUT/$f/lua" "$@")
}

# speedtest1 name + arguments; all deterministic given --verify.
SPEEDTEST_CASES="
main    --testset main --size 10 --verify --memdb
cte     --testset cte --size 10 --verify --memdb
rtree   --testset rtree --size 3 --verify --memdb
orm     --testset orm --size 10 --verify --memdb
fp      --testset fp --size 10 --verify --memdb
threads --testset main --size 10 --verify --memdb --threads 2
filedb  --testset main --size 5 --verify --journal wal FILE
"

speedtest_cases() {
  local f=$1 res=$2 work=$OUT/$1/work/sqlite name args
  rm -rf "$work" && mkdir -p "$work"
  while read -r name args; do
    [ -n "$name" ] || continue
    rm -f "$work"/test.db*
    # shellcheck disable=SC2086
    run_case "$res" "speedtest1-$name" run_in "$work" "$OUT/$f/speedtest1" ${args/FILE/test.db}
    strip_times "$res/speedtest1-$name.out"
  done <<<"$SPEEDTEST_CASES"
}

run_in() { local dir=$1; shift; (cd "$dir" && env ${RUN_ENV:+"$RUN_ENV"} "$@"); }

# speedtest1 prints "... 0.123s" per test and a TOTAL line: drop the times.
strip_times() {
  sed -E 's/[[:space:]]+[0-9]+\.[0-9]{3}s$//' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# run_flavour VARIANT: VARIANT is a flavour, or FLAVOUR+db to run a goprof
# flavour with profiling on (GOPROF_DB set: CPU sampling and the writer).
run_flavour() {
  local v=$1 f=${1%+db} res=$OUT/${1%+db}/results t0 ndb
  [ -x "$OUT/$f/lua" ] && [ -x "$OUT/$f/speedtest1" ] || die "$f is not built (run: build $f)"
  RUN_ENV=""
  if [ "$v" != "$f" ]; then
    res=$res-db
    rm -rf "$OUT/$f/prof" && mkdir -p "$OUT/$f/prof"
    RUN_ENV="GOPROF_DB=$OUT/$f/prof/%p.db"
  fi
  rm -rf "$res" && mkdir -p "$res"
  t0=$(date +%s)
  lua_cases "$f" "$res"
  speedtest_cases "$f" "$res"
  say "$v: ran $(count_files "$res/*.rc") cases in $(( $(date +%s) - t0 ))s"
  if [ -n "$RUN_ENV" ]; then
    ndb=$(count_files "$OUT/$f/prof/*.db")
    if [ "$ndb" = 0 ]; then
      echo "FAIL: $v: GOPROF_DB was set but no profile database was written" >&2
      DB_FAILS=$((DB_FAILS + 1))
    fi
    RUN_ENV=""
  fi
}

# REAL_GOPROF_DB=1: always run F+db; 0: never; auto (default): when a
# trial run of this build writes a database.
want_db_variant() {
  local f=$1 dir=$OUT/$1/prof-probe
  case ${REAL_GOPROF_DB:-auto} in
    0) return 1 ;;
    1) return 0 ;;
  esac
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && GOPROF_DB="$dir/%p.db" "$OUT/$f/lua" -e "" >/dev/null 2>&1) || true
  [ "$(count_files "$dir/*.db")" -gt 0 ] && return 0
  say "note: $f writes no profile database with GOPROF_DB set; skipping $f+db (REAL_GOPROF_DB=1 forces it)"
  return 1
}

count_files() { compgen -G "$1" | wc -l; }

results_of() { case $1 in *+db) echo "$OUT/${1%+db}/results-db" ;; *) echo "$OUT/$1/results" ;; esac; }

# The plain build must itself pass, or the comparison means nothing.
check_plain() {
  local res=$OUT/plain/results s name bad=0
  for s in "$HERE"/lua/*.lua; do
    name=${s##*/}; name=${name%.lua}
    if [ "$(cat "$res/lua-$name.rc")" != 0 ] || [ "$(tail -n 1 "$res/lua-$name.out")" != "ok $name" ]; then
      echo "plain lua failed on $name.lua:" >&2; tail -n 5 "$res/lua-$name.err" >&2; bad=1
    fi
  done
  for name in $(awk 'NF {print $1}' <<<"$SPEEDTEST_CASES"); do
    if [ "$(cat "$res/speedtest1-$name.rc")" != 0 ] || ! grep -q '^Verification Hash' "$res/speedtest1-$name.out"; then
      echo "plain speedtest1 failed on $name:" >&2; tail -n 5 "$res/speedtest1-$name.err" >&2; bad=1
    fi
  done
  [ "$bad" = 0 ] || die "the plain build does not pass its own tests; nothing to compare against"
}

compare() {
  local f fails=0 total=0 c base variants=""
  for f in "$@"; do
    [ "$f" = plain ] && continue
    variants="$variants $f"
    case $f in cyg) ;; *) want_db_variant "$f" && variants="$variants $f+db" ;; esac
  done
  run_flavour plain
  check_plain
  for f in $variants; do run_flavour "$f"; done
  for f in $variants; do
    for c in "$OUT/plain/results"/*.rc; do
      base=${c%.rc}; base=${base##*/}
      total=$((total + 1))
      if ! same_case "$f" "$base"; then fails=$((fails + 1)); fi
    done
  done
  total=$((total + DB_FAILS)) fails=$((fails + DB_FAILS))
  echo "$((total - fails)) passed, $fails failed"
  [ "$fails" = 0 ] || die "instrumented builds differ from plain (diffs above)"
  say "all flavours behave like plain"
}

same_case() {
  local f=$1 base=$2 ext ok=0 res
  res=$(results_of "$f")
  for ext in rc out err; do
    if ! cmp -s "$OUT/plain/results/$base.$ext" "$res/$base.$ext"; then
      [ "$ok" = 0 ] && echo "DIFF: $f differs from plain in $base" >&2
      ok=1
      diff -u --label "plain/$base.$ext" --label "$f/$base.$ext" \
        "$OUT/plain/results/$base.$ext" "$res/$base.$ext" 2>&1 | head -n 20 >&2 || true
    fi
  done
  [ "$ok" = 0 ] && echo "PASS: $f $base"
  return "$ok"
}

# ---------------------------------------------------------------- main

uniq_words() { printf '%s\n' "$@" | awk 'NF && !seen[$0]++' | tr '\n' ' '; }

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

main() {
  local cmd=all builddir=${BUILDDIR:-build}
  SRC="" OUT="" JOBS=$(nproc 2>/dev/null || echo 2) RUN_ENV="" DB_FAILS=0
  while getopts "s:o:j:h" opt; do
    case $opt in
      s) SRC=$OPTARG ;; o) OUT=$OPTARG ;; j) JOBS=$OPTARG ;; *) usage ;;
    esac
  done
  shift $((OPTIND - 1))
  case ${1:-} in build|compare|all) cmd=$1; shift ;; help|-h|--help) usage ;; esac
  SRC=${SRC:-$builddir/real-src}
  OUT=${OUT:-$builddir/real-build}
  [ -d "$SRC" ] || die "source directory $SRC does not exist (run testsuite/real/get-sources.sh $SRC)"
  SRC=$(cd "$SRC" && pwd)
  mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
  goprof_detect || true
  local flavours
  if [ $# -gt 0 ]; then flavours="$*"; else flavours=$(default_flavours); fi
  flavours=$(uniq_words $flavours)
  # shellcheck disable=SC2086
  check_flavour_names $flavours
  # shellcheck disable=SC2046,SC2086  # flavour names are single words
  case $cmd in
    build) build $flavours ;;
    compare) compare $flavours ;;
    all) build $(uniq_words plain $flavours); compare $flavours ;;
  esac
}

main "$@"
