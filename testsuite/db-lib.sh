# Shell helpers for cases that read a goprof database with the sqlite3 shell. Sourced
# after lib.sh.

# gp_need_sqlite3: the sqlite3 shell is required.
gp_need_sqlite3() {
	command -v sqlite3 >/dev/null 2>&1 || gp_skip "the sqlite3 shell is not installed"
}

# gp_q DB SQL: the query's rows.
gp_q() {
	sqlite3 "$1" "$2" || gp_fail "query failed: $2"
}

# GP_STACK_SQL: a view "named(stack_id, path)" giving each stacks row's path of function
# names, root first, joined by '>'.
GP_STACK_SQL="CREATE TEMP VIEW named AS WITH RECURSIVE up(leaf, id, fn, lvl) AS (
	SELECT id, parent, function_id, 0 FROM stacks
	UNION ALL SELECT up.leaf, s.parent, s.function_id, up.lvl + 1
	FROM stacks s JOIN up ON s.id = up.id)
SELECT leaf AS stack_id, (SELECT group_concat(name, '>') FROM
	(SELECT f.name FROM up u JOIN functions f ON f.id = u.fn WHERE u.leaf = o.leaf
	 ORDER BY u.lvl DESC)) AS path
FROM (SELECT DISTINCT leaf FROM up) o;"

# gp_qs DB SQL: gp_q with the view "named" available.
gp_qs() {
	sqlite3 "$1" "$GP_STACK_SQL $2" || gp_fail "query failed: $2"
}
