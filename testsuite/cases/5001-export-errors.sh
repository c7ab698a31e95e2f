#!/bin/sh
# goprof-export rejects bad input with exactly one line on stderr and a non-zero exit (2 for
# usage errors, 1 for the rest), and never modifies the database it reads.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"

EXPORT=$GP_BUILDDIR/tools/goprof-export
"$GP_BUILDDIR/bench/gen-db" -m small good.db || gp_die "gen-db failed"
sum0=$(cksum <good.db)

# expect RC PATTERN ARGS...: goprof-export ARGS exits RC with one stderr line matching PATTERN.
expect() {
	want_rc=$1 pattern=$2
	shift 2
	rc=0
	"$EXPORT" "$@" >out.bin 2>err.txt || rc=$?
	[ "$rc" = "$want_rc" ] || { cat err.txt >&2; gp_fail "goprof-export $*: exit $rc, not $want_rc"; }
	[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt >&2; gp_fail "goprof-export $*: not one line"; }
	grep -q "^goprof-export: .*$pattern" err.txt ||
		{ cat err.txt >&2; gp_fail "goprof-export $*: no '$pattern'"; }
	[ ! -s out.bin ] || gp_fail "goprof-export $*: wrote output"
	echo "ok: $*: $(cat err.txt)"
}

expect 2 "unknown profile type 'cpux'" -t cpux good.db
expect 2 "unknown format 'png'" -f png good.db
expect 2 "unknown option" --bogus good.db
expect 2 "no database given"
expect 2 "bad time 'yesterday' for --from" --from yesterday good.db
expect 1 "profile type 'heap' not in this database" -t heap good.db
expect 1 "missing.db: No such file or directory" missing.db
mkdir adir
expect 1 "not a goprof database" adir

printf 'just some text\nnot sqlite at all\n' >text.db
expect 1 "text.db: not a goprof database" text.db

sqlite3_cli=$(command -v sqlite3) || gp_skip "the sqlite3 shell is not installed"
"$sqlite3_cli" plain.db "CREATE TABLE t (x); INSERT INTO t VALUES (1);" || gp_die "sqlite3 failed"
expect 1 "plain.db: not a goprof database" plain.db

cp good.db newer.db
"$sqlite3_cli" newer.db "PRAGMA user_version = 99" || gp_die "sqlite3 failed"
expect 1 "written by a newer goprof (schema 99, this reads up to [0-9]*)" newer.db

expect 1 "no cpu samples between" --from +100s good.db
expect 1 "no cpu samples between" --from +3s --to +2s good.db

if [ "$(id -u)" != 0 ]; then
	cp good.db locked.db
	chmod 000 locked.db
	expect 1 "locked.db" locked.db
fi

# a good export leaves the database as it was and creates no journal files
"$EXPORT" -f text good.db >/dev/null || gp_fail "export of good.db failed"
"$EXPORT" -o p.pb.gz good.db || gp_fail "export of good.db failed"
[ "$(cksum <good.db)" = "$sum0" ] || gp_fail "goprof-export modified the database"
ls good.db-* 2>/dev/null && gp_fail "goprof-export left files next to the database"
exit 0
