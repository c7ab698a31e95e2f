# flavours.sh - compiler "flavours" shared by testsuite/real/build-and-compare.sh
# and bench/bench.sh.  Source it; it defines functions only.
#
# A flavour is a set of extra compile flags, link flags and objects:
#   plain   gcc -O2
#   cyg     gcc -O2 -finstrument-functions, with empty hooks (cyg-hooks.c)
#   goprof  gcc -O2 with the goprof plugin, linked with libgoprof
#   NAME    from GOPROF_EXTRA_FLAVOURS="NAME:FLAGS[;NAME:FLAGS...]": goprof
#           plus FLAGS, e.g. "skipleaf:-fplugin-arg-goprof-skip-leaf"
#
# Where goprof comes from, first match wins:
#   GOPROF_PLUGIN=path/goprof.so and GOPROF_RTLIB_DIR=dir-with-libgoprof
#   GOPROF_PC=path/goprof.pc           (pkg-config --cflags/--libs of it)
#   GOPROF_BUILD=dir of a built tree   (plugin/.libs/goprof.so, rt/.libs/);
#                                      defaults to this repository's top
#   pkg-config goprof                  (an installed goprof)
#
# The caller sets FLAVOURS_TOP to the repository's top directory.

flv_die() { echo "${0##*/}: $*" >&2; exit 1; }

# Install Debian packages; refresh the package lists once if that fails.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$@" >/dev/null && return 0
  apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null
}

# Sets GOPROF_CFLAGS and GOPROF_LIBS; returns 1 when no goprof is found.
goprof_detect() {
  local build=${GOPROF_BUILD:-$FLAVOURS_TOP}
  [ -n "${GOPROF_CFLAGS+set}" ] && [ -n "${GOPROF_LIBS+set}" ] && return 0
  if [ -n "${GOPROF_PLUGIN:-}" ]; then
    [ -f "$GOPROF_PLUGIN" ] || flv_die "GOPROF_PLUGIN=$GOPROF_PLUGIN: no such file"
    [ -n "${GOPROF_RTLIB_DIR:-}" ] || flv_die "GOPROF_PLUGIN is set but GOPROF_RTLIB_DIR is not"
    goprof_set_paths "$GOPROF_PLUGIN" "$GOPROF_RTLIB_DIR"
  elif [ -n "${GOPROF_PC:-}" ]; then
    [ -f "$GOPROF_PC" ] || flv_die "GOPROF_PC=$GOPROF_PC: no such file"
    GOPROF_CFLAGS=$(pkg-config --cflags "$GOPROF_PC") || flv_die "pkg-config failed on $GOPROF_PC"
    GOPROF_LIBS=$(pkg-config --libs "$GOPROF_PC") || flv_die "pkg-config failed on $GOPROF_PC"
  elif [ -f "$build/plugin/.libs/goprof.so" ] && [ -d "$build/rt/.libs" ]; then
    goprof_set_paths "$build/plugin/.libs/goprof.so" "$build/rt/.libs"
  elif command -v pkg-config >/dev/null 2>&1 && pkg-config --exists goprof 2>/dev/null; then
    GOPROF_CFLAGS=$(pkg-config --cflags goprof)
    GOPROF_LIBS=$(pkg-config --libs goprof)
  else
    return 1
  fi
}

goprof_set_paths() {
  local plugin rtdir
  plugin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  rtdir=$(cd "$2" 2>/dev/null && pwd) || flv_die "runtime directory $2 does not exist"
  ls "$rtdir"/libgoprof.* >/dev/null 2>&1 || flv_die "no libgoprof in $rtdir"
  GOPROF_CFLAGS="-fplugin=$plugin"
  GOPROF_LIBS="-L$rtdir -Wl,-rpath,$rtdir -lgoprof -lpthread"
}

# Print the flags of extra flavour $1 from GOPROF_EXTRA_FLAVOURS, or fail.
extra_flavour_flags() {
  local entry name
  local IFS=';'
  for entry in ${GOPROF_EXTRA_FLAVOURS:-}; do
    entry=$(echo "$entry" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    [ -n "$entry" ] || continue
    name=${entry%%:*}
    if [ "$name" = "$1" ]; then
      [ "$name" != "$entry" ] || flv_die "GOPROF_EXTRA_FLAVOURS entry '$entry' lacks ':FLAGS'"
      echo "${entry#*:}"
      return 0
    fi
  done
  return 1
}

extra_flavour_names() {
  local entry
  local IFS=';'
  for entry in ${GOPROF_EXTRA_FLAVOURS:-}; do
    entry=$(echo "$entry" | sed 's/^[[:space:]]*//')
    [ -n "$entry" ] && echo "${entry%%:*}"
  done
  true
}

# Default flavour list: plain, goprof (when found) and its extras, cyg.
default_flavours() {
  local list="plain"
  if goprof_detect; then
    list="$list goprof $(extra_flavour_names | tr '\n' ' ')"
  elif [ "${GOPROF_REQUIRED:-0}" = 1 ]; then
    flv_die "GOPROF_REQUIRED=1 but no goprof build found (set GOPROF_BUILD, GOPROF_PLUGIN/GOPROF_RTLIB_DIR or GOPROF_PC)"
  else
    echo "${0##*/}: note: no goprof build found, testing plain and cyg only" >&2
  fi
  echo $list cyg
}

# flavour_cflags NAME / flavour_libs NAME / flavour_needs_hooks NAME
flavour_cflags() {
  case $1 in
    plain) echo "-O2" ;;
    cyg) echo "-O2 -finstrument-functions" ;;
    goprof) goprof_require; echo "-O2 $GOPROF_CFLAGS" ;;
    *) local extra
       extra=$(extra_flavour_flags "$1") || flv_die "unknown flavour '$1' (plain, cyg, goprof or a GOPROF_EXTRA_FLAVOURS name)"
       goprof_require; echo "-O2 $GOPROF_CFLAGS $extra" ;;
  esac
}

flavour_libs() {
  case $1 in
    plain|cyg) echo "" ;;
    *) goprof_require; echo "$GOPROF_LIBS" ;;
  esac
}

flavour_needs_hooks() { [ "$1" = cyg ]; }

goprof_require() {
  goprof_detect || flv_die "flavour needs goprof, but none was found (set GOPROF_BUILD, GOPROF_PLUGIN/GOPROF_RTLIB_DIR or GOPROF_PC)"
}

check_flavour_names() {
  local f
  for f in "$@"; do
    case $f in
      plain|cyg|goprof) ;;
      *[!A-Za-z0-9_.-]*|'') flv_die "bad flavour name '$f'" ;;
      *) extra_flavour_flags "$f" >/dev/null || flv_die "unknown flavour '$f' (plain, cyg, goprof or a GOPROF_EXTRA_FLAVOURS name)" ;;
    esac
  done
}
