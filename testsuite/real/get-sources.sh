#!/bin/bash
# get-sources.sh - fetch and unpack the Debian source packages that the
# real-world tests build.
#
# Usage: testsuite/real/get-sources.sh [DEST [PKG...]]
#   DEST defaults to $BUILDDIR/real-src, or build/real-src when BUILDDIR
#   is unset; the packages default to lua5.4, sqlite3 and libzstd.  Each
#   package is unpacked into DEST/<pkg>-<version> and a symlink DEST/<pkg>
#   points at it.  Running it again does nothing for the trees already there.
#
# Each package is fetched on its own: the release's current version first
# (its -updates or -security suite), then, when that cannot be downloaded
# (a security update's files are not always on the mirror yet), the version
# of the release suite itself.  One package that cannot be had does not stop
# the others; the last line then reads "could not fetch: PKG..." and the exit
# status is 1.  Runs that share DEST take turns (flock).
#
# apt is driven with a private configuration under DEST/.apt (its own
# sources.list with deb-src lines, lists and cache), copied from the suites
# and mirrors of the system's own deb entries; /etc/apt is only read.
# Needs root only to install dpkg-dev when it is missing.
set -eu

APT_ETC=/etc/apt

die() { echo "get-sources.sh: $*" >&2; exit 1; }

dest=${1:-${BUILDDIR:-build}/real-src}
[ $# -gt 0 ] && shift
PACKAGES=${*:-lua5.4 sqlite3 libzstd}
mkdir -p "$dest" || die "cannot create $dest"
dest=$(cd "$dest" && pwd)
aptdir=$dest/.apt

have_all() {
  local p
  for p in $PACKAGES; do
    [ -d "$dest/$p/" ] || return 1
  done
}

codename() {
  local c=""
  [ -r /etc/os-release ] && c=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  echo "$c"
}

# Print deb-src entries (one-line format) for every enabled "deb" entry of
# the system whose suite is the release's codename or its -updates or
# -security suite (not backports: the release's own versions are wanted).
# Reads both the one-line and the deb822 formats.
system_deb_src() {
  local code; code=$(codename)
  {
    [ -r "$APT_ETC/sources.list" ] && cat "$APT_ETC/sources.list"
    for f in "$APT_ETC"/sources.list.d/*.list; do [ -r "$f" ] && cat "$f"; done
    true
  } | awk -v code="$code" '
    function want(s) { return code == "" || s == code || s == code "-updates" || s == code "-security" }
    /^[ \t]*deb[ \t]/ {
      sub(/^[ \t]*deb[ \t]+/, "")
      opts = ""
      if ($0 ~ /^\[/) { opts = substr($0, 1, index($0, "]")); $0 = substr($0, index($0, "]") + 1) }
      n = split($0, w, /[ \t]+/)
      k = (w[1] == "") ? 1 : 0
      uri = w[1 + k]; suite = w[2 + k]; comps = ""
      for (i = 3 + k; i <= n; i++) comps = comps " " w[i]
      if (want(suite)) print "deb-src " (opts == "" ? "" : opts " ") uri " " suite comps
    }'
  for f in "$APT_ETC"/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v code="$code" '
      function want(s) { return code == "" || s == code || s == code "-updates" || s == code "-security" }
      function flush(   i, n, u, s, opts) {
        if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
          opts = (signed == "") ? "" : "[signed-by=" signed "] "
          n = split(uris, u, " "); split(suites, s, " ")
          for (i = 1; i <= n; i++)
            for (j in s) if (want(s[j])) print "deb-src " opts u[i] " " s[j] " " comps
        }
        types = uris = suites = comps = signed = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($0); sub(/:.*/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val); gsub(/[ \t]+/, " ", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "components") comps = val
        else if (key == "signed-by") signed = val
        else if (key == "enabled") enabled = val
      }
      END { flush() }' "$f"
  done
}

# Install with the system's apt; refresh its lists once if that fails.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$@" >/dev/null && return 0
  apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null
}

apt_opts() {
  echo "-o Dir::Etc::SourceList=$aptdir/sources.list" \
       "-o Dir::Etc::SourceParts=$aptdir/sources.list.d" \
       "-o Dir::State::Lists=$aptdir/lists" \
       "-o Dir::Cache=$aptdir/cache" \
       "-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=" \
       "-o APT::Sandbox::User=root"
}

setup_apt() {
  mkdir -p "$aptdir/sources.list.d" "$aptdir/lists/partial" \
           "$aptdir/cache/archives/partial"
  local list; list=$(system_deb_src | sort -u)
  [ -n "$list" ] || die "found no Debian deb entries in $APT_ETC to mirror as deb-src"
  if [ ! -f "$aptdir/sources.list" ] || [ "$(cat "$aptdir/sources.list")" != "$list" ]; then
    echo "$list" > "$aptdir/sources.list"
    rm -f "$aptdir/lists/"*Sources* "$aptdir/lists/"*Release*
  fi
  if ! compgen -G "$aptdir/lists/*_Sources*" >/dev/null; then
    echo "get-sources.sh: apt-get update (private config in $aptdir)"
    # shellcheck disable=SC2046
    apt-get $(apt_opts) -q update >"$aptdir/update.log" 2>&1 ||
      echo "get-sources.sh: apt-get update failed in part (see $aptdir/update.log)" >&2
  fi
  compgen -G "$aptdir/lists/*_Sources*" >/dev/null ||
    { cat "$aptdir/update.log" >&2; die "apt-get update fetched no source lists"; }
}

need_dpkg_dev() {
  command -v dpkg-source >/dev/null 2>&1 && return 0
  echo "get-sources.sh: installing dpkg-dev"
  apt_install dpkg-dev || die "cannot install dpkg-dev (needed to unpack source packages)"
}

# apt-get source PKG-SPEC into DEST, its output in LOG; 0 when it unpacked.
apt_source() {
  # shellcheck disable=SC2046
  (cd "$dest" && apt-get $(apt_opts) -q source "$1") >"$2" 2>&1
}

# Fetch and unpack one package; 0 on success, 1 (after saying why) if not.
fetch_one() {
  local pkg=$1 dir log=$aptdir/source-$1.log code
  [ -d "$dest/$pkg/" ] && return 0
  echo "get-sources.sh: fetching source package $pkg"
  if ! apt_source "$pkg" "$log"; then
    cat "$log" >&2
    code=$(codename)
    [ -n "$code" ] || { echo "get-sources.sh: apt-get source $pkg failed" >&2; return 1; }
    echo "get-sources.sh: apt-get source $pkg failed; trying $pkg/$code, the release's version"
    apt_source "$pkg/$code" "$log" ||
      { cat "$log" >&2; echo "get-sources.sh: apt-get source $pkg/$code failed" >&2; return 1; }
  fi
  dir=$(cd "$dest" && ls -d "$pkg"-[0-9]*/ 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] ||
    { echo "get-sources.sh: apt-get source $pkg left no $pkg-<version> directory" >&2; return 1; }
  ln -sfn "${dir%/}" "$dest/$pkg"
}

main() {
  exec 9>"$dest/.lock"
  flock 9 || die "cannot lock $dest/.lock"
  if have_all; then
    echo "get-sources.sh: sources already in $dest"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found (Debian or Ubuntu needed)"
  need_dpkg_dev
  setup_apt
  local p failed=""
  for p in $PACKAGES; do fetch_one "$p" || failed="$failed $p"; done
  [ -z "$failed" ] || die "could not fetch:$failed"
  echo "get-sources.sh: sources ready in $dest"
}

main
