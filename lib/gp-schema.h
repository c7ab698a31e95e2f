/*
 * The goprof database: the SQLite schema the runtime writes (rt/db.c, rt/collect.c) and the
 * tools read (tools/db.c). This file is the one description of it; a change to a table is a new
 * GP_SCHEMA_VERSION, and readers refuse a database newer than the version they know.
 *
 * One database per process, written only by libgoprof's writer thread in batched
 * transactions (WAL mode), so a reader may open it while the program runs.
 *
 * A database is recognised by PRAGMA application_id = GP_SCHEMA_APPLICATION_ID and carries
 * its version in PRAGMA user_version (both are in the file header: readable without any
 * table, and settable with the sqlite3 shell).
 *
 * Shape of the data:
 *
 *	functions	every function that appears in a stack, once
 *	stacks		a call tree: each row is one frame, with its caller's row as parent;
 *			a stack is named by the row of its innermost frame
 *	samples		counts per (profile, time bucket, stack, thread), aggregated in memory
 *			by the writer and added up in place when a bucket spans two commits
 *	labels		label sets (goprof_label_push) as a tree, like stacks; a stack that
 *			carries labels ends in a leaf row naming its set (since version 4)
 *	stacks.address	where in its function a frame was (since version 5): the exporter
 *			turns it into source lines and inlined calls with the mapping's
 *			debug information
 *	custom_counts	the program's own profiles (goprof_profile_new): live entries per
 *			stack, a row at each commit that changed the count
 *	merged_buckets	old samples added up into coarser buckets by retention
 *			(GOPROF_DB_RETAIN, since version 5); retention also deletes the
 *			stacks, labels and functions rows nothing names any more, so their
 *			ids, handed out from 1 and never twice, may have gaps
 *	write_failures	spans of time when the database could not be written (disk full,
 *			read-only file system, ...) and what was dropped then (version 5)
 *
 * Size: a samples row costs about 20 bytes (a WITHOUT ROWID table, small integers, no
 * extra index); a 4-thread program sampled at 100 Hz writes at most 400 rows a second,
 * usually far fewer because one bucket aggregates all ticks of one stack on one thread.
 */
#ifndef GOPROF_LIB_GP_SCHEMA_H
#define GOPROF_LIB_GP_SCHEMA_H

/* PRAGMA user_version of the databases this goprof writes, and the newest it can read. */
#define GP_SCHEMA_VERSION 5

/* PRAGMA application_id of every goprof database: "GPRF". */
#define GP_SCHEMA_APPLICATION_ID 0x47505246

/* Default width of a sample bucket (process.bucket_ns). */
#define GP_BUCKET_NS 1000000000ull

/* samples.profile and profiles.id: which profile a sample belongs to. */
enum gp_profile_id {
	GP_PROFILE_CPU = 1,		/* count = SIGPROF ticks, value = CPU ns */
	/*
	 * Heap: count = sampled allocations, value = their bytes, in the bucket of the flush
	 * that first saw them; tid 0. FREES rows carry the stack that allocated the block and
	 * the bucket of the flush that saw it freed, so the heap in use at the end of bucket B
	 * = ALLOCS - FREES over buckets 0..B. Both are raw samples: the exporter unsamples.
	 */
	GP_PROFILE_ALLOCS = 2,
	GP_PROFILE_FREES = 3,
	/*
	 * Block: the waiter's stack, tid of the waiter; count = contentions, value = delay ns,
	 * both with Go's bias removal for waits shorter than the rate already applied (the
	 * runtime keeps the fractional count and writes the rounded running total).
	 */
	GP_PROFILE_BLOCK = 4,
	/*
	 * Mutex: the stack of the thread that unlocked, its tid; count = sampled contention
	 * events, value = the delay the waiters suffered, ns; raw, NOT multiplied by the
	 * fraction (profiles.rate): the exporter scales, as Go does when it writes.
	 */
	GP_PROFILE_MUTEX = 5,
	/* No samples rows: threadcreate comes from threads.create_stack. */
	GP_PROFILE_THREADCREATE = 6,
	/* No samples rows: goroutine comes from the snapshots tables. */
	GP_PROFILE_GOROUTINE = 7,
	/*
	 * The CPU rows again, summed per thread and bucket: stack_id 0, count = ticks, value =
	 * CPU ns; no profiles row. The web UI's timeline reads these (16 threads: 16 rows a
	 * second) instead of every stack's. Written in the same transaction as the CPU rows;
	 * a database from before them has none, and readers then sum the CPU rows.
	 */
	GP_PROFILE_CPU_THREADS = 8,
	/*
	 * The program's own profiles (goprof_profile_new) take ids from here up, in the order
	 * they were made; no samples rows: they come from custom_counts. Since version 4.
	 */
	GP_PROFILE_CUSTOM = 100,
};

/*
 * snapshot_threads.state: what a thread was doing when the snapshot was taken. RUNNING
 * covers everything goprof does not interpose (a busy loop, a syscall it does not wrap).
 * Since schema 2.
 */
enum gp_thread_state {
	GP_STATE_RUNNING = 0,
	GP_STATE_MUTEX = 1,		/* pthread_mutex_lock, mtx_lock and their timed forms */
	GP_STATE_RWLOCK = 2,		/* pthread_rwlock_rdlock/wrlock and timed forms */
	GP_STATE_COND = 3,		/* pthread_cond_wait/timedwait, cnd_wait/timedwait */
	GP_STATE_SEM = 4,		/* sem_wait, sem_timedwait */
	GP_STATE_BARRIER = 5,		/* pthread_barrier_wait */
	GP_STATE_JOIN = 6,		/* pthread_join, thrd_join */
	GP_STATE_SLEEP = 7,		/* nanosleep, clock_nanosleep, sleep, usleep */
	GP_STATE_IO = 8,		/* read, write, recv*, send*, accept*, connect */
	GP_STATE_SELECT = 9,		/* poll, ppoll, select, pselect, epoll_wait/pwait/pwait2 */
	GP_STATE_SYSCALL = 10,		/* wait*, sigwait*, pause, sigsuspend, flock, fcntl's
					   F_SETLKW, F_OFD_SETLKW (9 and 10 are new values
					   of the same column, not a new schema: an older
					   reader says "unknown") */
};

/* functions.kind: where a function's name came from. */
enum gp_func_kind {
	GP_FUNC_KIND_RECORD = 0,	/* a function record emitted by the plugin */
	GP_FUNC_KIND_SYMBOL = 1,	/* an ELF symbol found at a sampled PC (uninstrumented leaf) */
	GP_FUNC_KIND_SYNTHETIC = 2,	/* made up by goprof: lost samples, truncated stacks */
};

/* Name of the one frame of the stack that stands for samples dropped by a full ring. */
#define GP_LOST_FUNCTION "lost_profile_event"

/*
 * Prefix of the synthetic outermost frame of a stack whose root end was cut off; the full
 * name is "[truncated N]", N = the number of frames left out.
 */
#define GP_TRUNCATED_FUNCTION "[truncated"

/*
 * The schema, as one script of statements (sqlite3_exec). Every table and column is
 * described in the comments inside; times are nanoseconds since the Unix epoch
 * (CLOCK_REALTIME) unless a comment says otherwise.
 */
#define GP_SCHEMA_SQL \
"-- One row: the process this database belongs to.\n" \
"CREATE TABLE process (\n" \
"  id INTEGER PRIMARY KEY CHECK (id = 1),\n" \
"  pid INTEGER NOT NULL,          -- getpid()\n" \
"  ppid INTEGER,                  -- getppid() at start (the parent, after a fork)\n" \
"  hostname TEXT,                 -- gethostname()\n" \
"  exe TEXT,                      -- /proc/self/exe\n" \
"  build_id TEXT,                 -- GNU build ID of exe, lowercase hex, '' if none\n" \
"  cmdline BLOB,                  -- argv, each argument ended by a NUL (/proc/self/cmdline)\n" \
"  start_ns INTEGER NOT NULL,     -- when profiling started: origin of samples.bucket\n" \
"  end_ns INTEGER,                -- time of the last commit (the end of the data so far)\n" \
"  bucket_ns INTEGER NOT NULL,    -- width of one samples.bucket\n" \
"  goprof_version TEXT            -- version of the libgoprof that wrote this database\n" \
");\n" \
"-- The profiles recorded in this database, one row each (see enum gp_profile_id).\n" \
"CREATE TABLE profiles (\n" \
"  id INTEGER PRIMARY KEY,        -- GP_PROFILE_*\n" \
"  name TEXT NOT NULL UNIQUE,     -- 'cpu', 'allocs', 'frees', 'block', 'mutex', ...\n" \
"  rate INTEGER NOT NULL,         -- the setting: cpu Hz, bytes per heap sample, block ns,\n" \
"                                 -- mutex fraction\n" \
"  period INTEGER NOT NULL,       -- pprof's period: cpu 1e9/rate ns, heap the rate, else 1\n" \
"  start_ns INTEGER NOT NULL      -- when this profile started\n" \
");\n" \
"-- Executable mappings of loaded objects that functions point to.\n" \
"CREATE TABLE mappings (\n" \
"  id INTEGER PRIMARY KEY,\n" \
"  path TEXT NOT NULL,            -- object file ('' if unknown)\n" \
"  build_id TEXT NOT NULL,        -- GNU build ID, lowercase hex, '' if none\n" \
"  mem_start INTEGER NOT NULL,    -- first address of the executable segment\n" \
"  mem_limit INTEGER NOT NULL,    -- one past its last address\n" \
"  file_offset INTEGER NOT NULL   -- file offset of mem_start\n" \
");\n" \
"-- Every function that occurs in a stack.\n" \
"CREATE TABLE functions (\n" \
"  id INTEGER PRIMARY KEY,\n" \
"  name TEXT NOT NULL,            -- source-level name (clone suffixes removed)\n" \
"  file TEXT NOT NULL,            -- source file as the compiler saw it, '' if unknown\n" \
"  start_line INTEGER NOT NULL,   -- line of the definition, 0 if unknown\n" \
"  kind INTEGER NOT NULL,         -- GP_FUNC_KIND_*: record, symbol or synthetic\n" \
"  mapping_id INTEGER             -- mappings.id of the object holding it, NULL if unknown\n" \
");\n" \
"-- Interned stacks as a call tree. A row is one frame: function_id called from the frame\n" \
"-- parent (0: an outermost frame). The stack with id S is the path from row S up to the\n" \
"-- root: S is its innermost (leaf) frame, parent < id always holds, and equal stacks share\n" \
"-- rows. When a sample's PC lies outside the innermost instrumented function, the leaf\n" \
"-- row is the symbol found at that PC (kind symbol) below that function's row. A stack\n" \
"-- recorded with labels is named by a row of its own: a copy of its leaf row (same parent\n" \
"-- and function) that names the label set; no row has such a row as parent.\n" \
"CREATE TABLE stacks (\n" \
"  id INTEGER PRIMARY KEY,\n" \
"  parent INTEGER NOT NULL,       -- stacks.id of the caller's frame, 0 at the root\n" \
"  function_id INTEGER NOT NULL,  -- functions.id\n" \
"  labels INTEGER NOT NULL DEFAULT 0, -- labels.id of the stack's label set, 0 = none\n" \
"                                 -- (since version 4)\n" \
"  address INTEGER NOT NULL DEFAULT 0 -- where in the function, at run time: the sampled PC\n" \
"                                 -- for the innermost frame, a caller's call instruction\n" \
"                                 -- (its return address - 1); 0 = not known, the\n" \
"                                 -- function as a whole (since version 5)\n" \
");\n" \
"-- Label sets (goprof_label_push) as a tree: a row is one push, key = value on top of the\n" \
"-- set parent (0: the empty set). The set with id L is the path from row L to the root;\n" \
"-- of two rows with one key, the one nearer L wins. parent < id always holds (version 4).\n" \
"CREATE TABLE labels (\n" \
"  id INTEGER PRIMARY KEY,\n" \
"  parent INTEGER NOT NULL,       -- labels.id of the set this push extended, 0 = none\n" \
"  key TEXT NOT NULL,\n" \
"  value TEXT NOT NULL\n" \
");\n" \
"-- Threads seen, live or ended. A sample belongs to the row with its tid whose lifetime\n" \
"-- covers the sample (tids are reused only after a thread ended).\n" \
"CREATE TABLE threads (\n" \
"  tid INTEGER NOT NULL,          -- kernel thread id\n" \
"  start_ns INTEGER NOT NULL,     -- when it started, 0 if unknown\n" \
"  end_ns INTEGER,                -- when it ended, NULL while it runs\n" \
"  name TEXT,                     -- pthread name, last seen\n" \
"  creator_tid INTEGER,           -- tid of the thread that created it, NULL if none (main)\n" \
"  create_stack INTEGER NOT NULL DEFAULT 0, -- stacks.id of the creator at pthread_create\n" \
"                                 -- (the threadcreate profile), 0 = no stack (main)\n" \
"  PRIMARY KEY (tid, start_ns)\n" \
") WITHOUT ROWID;\n" \
"-- Samples aggregated per time bucket: all samples of one profile with the same stack on\n" \
"-- the same thread whose time t satisfies process.start_ns + bucket * process.bucket_ns\n" \
"-- <= t < that + bucket_ns add up in one row.\n" \
"CREATE TABLE samples (\n" \
"  profile INTEGER NOT NULL,      -- profiles.id\n" \
"  bucket INTEGER NOT NULL,       -- bucket number, counted from process.start_ns\n" \
"  stack_id INTEGER NOT NULL,     -- stacks.id of the innermost frame\n" \
"  tid INTEGER NOT NULL,          -- threads.tid (0: not known)\n" \
"  count INTEGER NOT NULL,        -- events: samples, allocations, contentions, ...\n" \
"  value INTEGER NOT NULL,        -- their weight: CPU ns, bytes, delay ns (see profiles)\n" \
"  PRIMARY KEY (profile, bucket, stack_id, tid)\n" \
") WITHOUT ROWID;\n" \
"-- The goroutine profile: what every live thread was doing, at every commit and at exit.\n" \
"CREATE TABLE snapshots (\n" \
"  id INTEGER PRIMARY KEY,        -- increasing with time\n" \
"  time_ns INTEGER NOT NULL       -- when it was taken\n" \
");\n" \
"-- One row per thread alive at a snapshot.\n" \
"CREATE TABLE snapshot_threads (\n" \
"  snapshot INTEGER NOT NULL,     -- snapshots.id\n" \
"  tid INTEGER NOT NULL,          -- threads.tid\n" \
"  thread_start_ns INTEGER NOT NULL, -- threads.start_ns: which thread of that tid\n" \
"  state INTEGER NOT NULL,        -- enum gp_thread_state\n" \
"  wait_object INTEGER,           -- address of the mutex, condvar... waited on; NULL if none\n" \
"  wait_since_ns INTEGER,         -- when the current wait began; NULL while running\n" \
"  stack_id INTEGER NOT NULL,     -- stacks.id of its shadow stack then, 0 = empty\n" \
"  PRIMARY KEY (snapshot, tid)\n" \
") WITHOUT ROWID;\n" \
"-- The allocator's own statistics (the heap profile's text form), one row per commit.\n" \
"CREATE TABLE heapstats (\n" \
"  time_ns INTEGER PRIMARY KEY,   -- when they were read\n" \
"  mallocs INTEGER NOT NULL,      -- allocation calls so far (malloc family, all of them)\n" \
"  frees INTEGER NOT NULL,        -- free calls so far with a non-NULL pointer\n" \
"  alloc_bytes INTEGER NOT NULL,  -- bytes requested so far\n" \
"                                 -- (the three: calls made by the threads goprof set up)\n" \
"  live_bytes INTEGER NOT NULL,   -- bytes in blocks not freed: mallinfo2() uordblks +\n" \
"                                 -- hblkhd (glibc's chunk sizes, all blocks)\n" \
"  arena INTEGER NOT NULL,        -- mallinfo2(): arena (non-mmapped bytes from the system)\n" \
"  hblkhd INTEGER NOT NULL,       -- mallinfo2(): hblkhd (bytes in mmapped blocks)\n" \
"  uordblks INTEGER NOT NULL,     -- mallinfo2(): uordblks (bytes in use)\n" \
"  fordblks INTEGER NOT NULL,     -- mallinfo2(): fordblks (free bytes)\n" \
"  keepcost INTEGER NOT NULL,     -- mallinfo2(): keepcost (releasable at the top)\n" \
"  max_rss INTEGER NOT NULL       -- getrusage(): ru_maxrss, bytes\n" \
");\n" \
"-- Execution traces taken while the database was written (GOPROF_TRACE, goprof_trace_start\n" \
"-- and _stop, /debug/pprof/trace), each whole, in Go 1.19's format (since version 3).\n" \
"CREATE TABLE traces (\n" \
"  id INTEGER PRIMARY KEY,        -- increasing with time\n" \
"  start_ns INTEGER NOT NULL,     -- when the trace began\n" \
"  end_ns INTEGER NOT NULL,       -- when it stopped\n" \
"  source TEXT NOT NULL,          -- 'GOPROF_TRACE', 'api' or 'http'\n" \
"  go_trace BLOB NOT NULL         -- the file go tool trace reads\n" \
");\n" \
"-- The program's own profiles (profiles.id >= 100, goprof_profile_new): how many entries\n" \
"-- added at a stack were live, from the commit at time_ns on; a row is written only when\n" \
"-- that number changed since the last commit. At time T, a stack has the count of its\n" \
"-- newest row with time_ns <= T (version 4).\n" \
"CREATE TABLE custom_counts (\n" \
"  profile INTEGER NOT NULL,      -- profiles.id\n" \
"  stack_id INTEGER NOT NULL,     -- stacks.id of the adding stack (labels included)\n" \
"  time_ns INTEGER NOT NULL,      -- the commit (the goroutine snapshot of the same time)\n" \
"  count INTEGER NOT NULL,        -- live entries\n" \
"  PRIMARY KEY (profile, stack_id, time_ns)\n" \
") WITHOUT ROWID;\n" \
"-- Retention (GOPROF_DB_RETAIN): ranges of buckets whose samples rows were added up into\n" \
"-- coarser rows (same profile, stack and thread): in [first_bucket, end_bucket), the rows\n" \
"-- of buckets b .. b + width - 1 are in one row of bucket b, for every b = first_bucket +\n" \
"-- k * width. Ranges never overlap; a bucket in none holds what its own second saw. A\n" \
"-- range of width 0 (from bucket 0) is what retention deleted: only the heap's net rows\n" \
"-- (allocs minus frees per stack: the bytes still in use) are left of it, in bucket 0.\n" \
"-- Snapshots, heapstats and custom_counts of a range keep the newest of each width\n" \
"-- (since version 5).\n" \
"CREATE TABLE merged_buckets (\n" \
"  first_bucket INTEGER PRIMARY KEY,\n" \
"  end_bucket INTEGER NOT NULL,   -- one past the range's last bucket\n" \
"  width INTEGER NOT NULL         -- buckets per row; 0: deleted (see above)\n" \
");\n" \
"-- Times the database could not be written (disk full, a read-only file system, no\n" \
"-- permission): from the first failed commit to the commit that wrote again, which adds\n" \
"-- this row. Heap samples are kept and written then, in the bucket of start_ns; the rest\n" \
"-- was dropped, and is counted here (since version 5). Dropped CPU samples are also\n" \
"-- samples rows of the lost_profile_event stack, in the bucket of start_ns.\n" \
"CREATE TABLE write_failures (\n" \
"  id INTEGER PRIMARY KEY,\n" \
"  start_ns INTEGER NOT NULL,     -- the first commit that failed\n" \
"  end_ns INTEGER NOT NULL,       -- the commit that wrote again\n" \
"  error TEXT NOT NULL,           -- why the first one failed (SQLite's or the system's words)\n" \
"  commits INTEGER NOT NULL,      -- commits that failed\n" \
"  cpu_samples INTEGER NOT NULL,  -- CPU samples dropped\n" \
"  lock_events INTEGER NOT NULL,  -- block and mutex contentions dropped\n" \
"  snapshots INTEGER NOT NULL,    -- goroutine snapshots dropped\n" \
"  traces INTEGER NOT NULL        -- execution traces dropped\n" \
");\n"

#endif
