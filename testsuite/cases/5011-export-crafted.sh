#!/bin/sh
# Crafted or damaged databases get one clear line and exit 1 from goprof-export, in every
# output format: never a crash, a hang or a multi-gigabyte allocation (the export runs under
# a 1 GiB memory limit, gp_limit_memory, and a 30 s timeout). Cases: a stack whose parent has no row, a
# stack that is its own parent, ids past 2^32 - 2, a missing function row, negative counts, a
# truncated file, random bytes over a page. Ids far beyond the number of rows are gaps
# retention leaves (GOPROF_DB_RETAIN): rows at 2^32 - 300 export as the rows without them,
# under the same memory limit.
set -u
. "$GP_SRCDIR/testsuite/lib.sh"
gp_begin "$0"
command -v sqlite3 >/dev/null 2>&1 || gp_skip "the sqlite3 shell is not installed"

EXPORT=$GP_BUILDDIR/tools/goprof-export
"$GP_BUILDDIR/bench/gen-db" -m small good.db || gp_die "gen-db failed"
"$EXPORT" -f folded good.db >/dev/null || gp_fail "the good database does not export"

# crafted NAME SQL: a copy of good.db changed by SQL
crafted() {
	cp good.db $1.db
	sqlite3 $1.db "$2" || gp_die "sqlite3 failed for $1"
}
# expect NAME PATTERN: every format of NAME.db exits 1 with one line matching PATTERN
expect() {
	for f in pprof text folded; do
		rc=0
		(gp_limit_memory 1048576 && exec timeout 30 "$EXPORT" -f $f -o out.$f "$1.db") \
			2>err.txt || rc=$?
		[ "$rc" = 1 ] || { cat err.txt >&2; gp_fail "$1 ($f): exit $rc, not 1"; }
		[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt >&2; gp_fail "$1 ($f): not one line"; }
		grep -q "^goprof-export: .*$2" err.txt ||
			{ cat err.txt >&2; gp_fail "$1 ($f): no '$2'"; }
	done
	echo "ok: $1: $(cat err.txt)"
}

crafted orphan "DELETE FROM stacks WHERE id = (SELECT min(parent) FROM stacks WHERE parent > 0)"
expect orphan "corrupt goprof database"
crafted selfparent "UPDATE stacks SET parent = id WHERE id = (SELECT max(id) FROM stacks)"
expect selfparent "corrupt goprof database"
crafted bigid "INSERT INTO stacks (id, parent, function_id) VALUES (4294967295, 0, 1)"
expect bigid "corrupt goprof database"
crafted bigfunc "INSERT INTO functions VALUES (4294967295, 'x', '', 0, 0, NULL)"
expect bigfunc "corrupt goprof database"
crafted bigmap "INSERT INTO mappings VALUES (4294967000, '/x', '', 0, 0, 0)"
expect bigmap "corrupt goprof database"
crafted nofunc "DELETE FROM functions WHERE id = (SELECT function_id FROM stacks LIMIT 1)"
expect nofunc "corrupt goprof database"
crafted negative "UPDATE samples SET count = -5 WHERE profile = 1 AND
	stack_id = (SELECT min(stack_id) FROM samples WHERE profile = 1)"
expect negative "corrupt goprof database"

size=$(stat -c %s good.db)
head -c $((size / 2)) good.db >truncated.db
expect truncated "truncated.db: "
cp good.db garbled.db
head -c 4096 /dev/urandom | dd of=garbled.db bs=4096 seek=1 conv=notrunc 2>/dev/null
expect garbled "garbled.db: "

# gaps: a function and a stack row at 2^32 - 300 that nothing names change nothing
crafted gaps "INSERT INTO functions VALUES (4294966996, 'x', '', 0, 0, NULL);
	INSERT INTO stacks (id, parent, function_id) VALUES (4294966996, 0, 4294966996)"
"$EXPORT" -f folded -o good.folded good.db || gp_fail "the good database does not export"
(gp_limit_memory 1048576 && exec timeout 30 "$EXPORT" -f folded -o gaps.folded gaps.db) ||
	gp_fail "a database with gaps in its ids does not export"
cmp -s good.folded gaps.folded || gp_fail "rows nothing names changed the export"
exit 0
