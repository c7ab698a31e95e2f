/*
 * The collector and database writer: one background thread that drains the CPU sample
 * rings and reads the heap, block and mutex buckets, interns functions and stacks,
 * aggregates samples per time bucket and commits them to the process's SQLite database
 * (schema: gp-schema.h) in one transaction at least every second, each with a snapshot of
 * what every live thread is doing (the goroutine profile).
 *
 * DESIGN. Threads and contexts:
 *  - the writer thread (created with the real pthread_create, so it is neither registered
 *    nor sampled; every signal blocked) owns everything below: the sqlite handle, the
 *    prepared statements, the intern tables and the pending rows. It wakes every 100 ms
 *    (or when posted), calls gp_cpu_drain() and, when a second has passed or a flush was
 *    asked for, writes everything pending in one transaction;
 *  - gp_writer_start() (constructor) opens the database and writes the schema before the
 *    thread exists; gp_writer_stop() (destructor, before exec) asks the thread to finish
 *    and joins it, so the last drain, commit and close happen on the thread;
 *  - gp_writer_crash_flush() runs in a fatal-signal handler: it only posts the semaphore
 *    (async-signal-safe) and polls flush_done with nanosleep;
 *  - gp_writer_atfork_child() runs in a forked child, where the thread does not exist: it
 *    forgets the parent's state without touching its sqlite handle and starts over. A
 *    child opens its database lazily, on its first sample, so that fork+exec children
 *    leave no empty database behind.
 * Any SQLite error stops the database for good (one line on stderr); the program goes on.
 *
 * Interning: a function is keyed by its record's address (or, for symbols found at a PC
 * and made-up frames, by name and mapping); a stack row by (caller row, function); a label
 * set (labels.c) by its node's address, a labelled stack by (stack, label set). Rows get
 * their ids here, so a sample never waits for a database round trip. Custom profiles'
 * entries (custom.c) are drained with the rings into live counts per (profile, stack); a
 * commit writes the counts that changed.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gp-internal.h"
#include "gp-schema.h"

#define POLL_NS 100000000ull		/* drain every 100 ms */
#define COMMIT_NS 500000000ull		/* commit twice a second: a crash loses < 1 s */

/* ---- small hash map: non-zero uint64 key -> uint32 value ---------------------------------- */

struct u64map {
	uint64_t *keys;		/* 0 = empty slot */
	uint32_t *vals;
	size_t cap;		/* power of two */
	size_t n;
};


/* Returns the value for key, 0 if absent. */
static uint32_t map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return 0;
	for (size_t i = gp_mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (!m->keys[i])
			return 0;
	}
}

static int map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint64_t *keys = calloc(cap, sizeof(*keys));
		uint32_t *vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals) {
			free(keys);
			free(vals);
			return -ENOMEM;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->keys[j])
				continue;
			size_t i = gp_mix(m->keys[j]) & (cap - 1);
			while (keys[i])
				i = (i + 1) & (cap - 1);
			keys[i] = m->keys[j];
			vals[i] = m->vals[j];
		}
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	size_t i = gp_mix(key) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

static void map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- writer state -------------------------------------------------------------------------- */

struct func_row {
	const char *name;	/* record or symbol-table string, or owned (synthetic) */
	const char *file;
	uint32_t line;
	int kind;		/* GP_FUNC_KIND_* */
	uint32_t mapping;	/* 0 = none */
	int owned;		/* name is ours to free */
};

struct map_row {
	char *path;		/* owned */
	char *build_id;		/* owned */
	uintptr_t start, limit;
	uint64_t offset;
};

struct pc_sym {
	const char *name;	/* gp_pc_lookup's string (lives as long as the process) */
	uint32_t mapping;
	uint32_t func;		/* its function row, made when first used; 0 = none yet */
};

struct node_row {
	uint32_t id, parent, func;
	uint32_t labels;	/* labels.id, 0 = none */
};

struct label_row {
	uint32_t id, parent;
	const char *key, *value;	/* the label node's (they live as long as the process) */
};

struct agg {
	uint32_t bucket, stack, tid;
	uint8_t profile;
	uint64_t count, value;
};

struct custom_count {
	int profile;			/* profiles.id */
	uint32_t stack;			/* stacks.id, labels included */
	int64_t live;			/* entries live now */
	int64_t written;		/* the count in the database */
};

struct thread_row {
	uint32_t tid;
	uint64_t start_ns, end_ns;
	char name[16];
	uint32_t creator_tid;		/* 0 = none */
	uint32_t create_stack;		/* stacks.id, 0 = none */
};

struct snap_row {
	uint32_t tid;
	uint64_t start_ns;
	struct gp_wait_state wait;
	uint32_t stack;			/* stacks.id, 0 = empty */
};

struct writer {
	sqlite3 *db;			/* writer thread (start/stop: before/after it) */
	char path[PATH_MAX];
	int lazy_open;			/* open at the first sample (fork children) */
	uint64_t fork_mark;		/* history_mark() at fork (fork children) */
	int broken;			/* a database error: stop writing */
	int lost;			/* the program took a descriptor of db: closed for good */
	uint64_t start_ns;		/* origin of the buckets */
	uint64_t period_ns;		/* CPU sampling period */
	uint64_t last_commit_ns;

	sqlite3_stmt *ins_map, *ins_func, *ins_stack, *up_sample, *up_thread, *up_end;
	sqlite3_stmt *ins_snap, *ins_snap_thread, *up_profile;
	sqlite3_stmt *ins_heapstats;	/* NULL while heap profiling is off */
	sqlite3_stmt *ins_trace, *ins_label, *up_custom;

	struct func_row *funcs;		/* [id - 1] */
	size_t nfuncs, capfuncs, funcs_written;
	struct map_row *maps;		/* [id - 1] */
	size_t nmaps, capmaps, maps_written;
	struct node_row *new_nodes;	/* stack rows not yet written */
	size_t nnew_nodes, capnew_nodes;
	uint32_t next_node;		/* last stack id handed out */
	uint64_t *node_keys;		/* [id]: parent << 32 | function of every stack row */
	size_t capnode_keys;
	struct label_row *new_labels;	/* labels rows not yet written */
	size_t nnew_labels, capnew_labels;
	uint32_t next_label;		/* last labels id handed out */

	struct u64map func_by_record;	/* record address -> function id */
	struct u64map func_by_name;	/* hash(name, mapping) -> function id */
	struct u64map func_by_call;	/* interposed call's name (its address) -> function id */
	struct u64map node_by_key;	/* parent << 32 | function -> stack id */
	struct u64map labels_by_node;	/* struct gp_labels address -> labels id */
	struct u64map labelled_by_key;	/* stack << 32 | labels id -> labelled stack id */
	struct u64map sym_by_pc;	/* pc -> index in syms + 1 (1: no symbol) */
	struct pc_sym *syms;		/* symbols found at sampled PCs */
	size_t nsyms, capsyms;

	struct agg *aggs;		/* pending sample rows */
	size_t naggs, capaggs;
	uint32_t *agg_slots;		/* hash slots: agg index + 1 */
	size_t nagg_slots;

	struct thread_row *threads;	/* as last written */
	size_t nthreads, capthreads;
	size_t *pend_threads;		/* threads[] rows to write in this commit */
	size_t npend_threads, cappend_threads;
	struct snap_row *snaps;		/* this commit's snapshot */
	size_t nsnaps, capsnaps;
	uint32_t last_snapshot;		/* snapshots.id */
	struct custom_count *customs;	/* every (custom profile, stack) seen */
	size_t ncustoms, capcustoms;
	struct u64map custom_by_key;	/* profile << 32 | stack -> customs index + 1 */
	int custom_profiles_written;	/* profiles rows written for custom profiles */
	int64_t block_rate_written;	/* profiles.rate of 'block', 0 = no row yet */
	int mutex_fraction_written;	/* of 'mutex' */
	int err;			/* first error of this batch (-errno or -EIO) */
};

/* execution traces handed over by trace.c, written at the next commit */
struct pending_trace {
	struct pending_trace *next;
	uint64_t start_ns, end_ns;
	const char *source;
	void *data;
	size_t len;
};

static struct writer w;
static pthread_mutex_t traces_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending_trace *traces;	/* traces_lock; newest first */
static pthread_t thread;
static int running;			/* the thread exists (owner: start/stop/atfork) */
static pid_t running_pid;		/* the process the thread belongs to */
static sem_t wake;
static int lock_fd = -1;		/* the database file, flock()ed shared while written */
/*
 * Held by the writer thread while it works (SQLite, the symbol cache, its own tables) and
 * taken across fork(), so that a child never inherits a lock or a half-made change of that
 * work: between two rounds the writer holds nothing.
 */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static int busy_held;			/* the forking thread took busy_lock */
static volatile sig_atomic_t stop_req;
static unsigned flush_req;		/* atomics: crash flush handshake */
static unsigned flush_done;


/* ---- interning ----------------------------------------------------------------------------- */

static uint64_t hash_str(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull ^ gp_mix(seed + 1);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h | 1;
}

static uint32_t add_mapping(const char *path, const char *build_id, uintptr_t start,
			    uintptr_t limit, uint64_t offset)
{
	for (size_t i = 0; i < w.nmaps; i++)
		if (w.maps[i].start == start && strcmp(w.maps[i].path, path) == 0)
			return (uint32_t)i + 1;
	if (gp_grow(&w.maps, &w.capmaps, w.nmaps + 1, sizeof(*w.maps)) != 0)
		return 0;
	struct map_row *m = &w.maps[w.nmaps];
	m->path = strdup(path ? path : "");
	m->build_id = strdup(build_id ? build_id : "");
	if (!m->path || !m->build_id) {
		free(m->path);
		free(m->build_id);
		return 0;
	}
	m->start = start;
	m->limit = limit;
	m->offset = offset;
	return (uint32_t)++w.nmaps;
}

/* The mapping of the object whose PC range holds pc (gp_pc_lookup), 0 if none. */
static uint32_t mapping_of_pc(uintptr_t pc)
{
	struct gp_pc_info info;

	if (gp_pc_lookup(pc, &info) != 0)
		return 0;
	return add_mapping(info.object, info.build_id, info.map_start, info.map_end,
			   info.map_offset);
}

struct find_exec {
	uintptr_t addr;		/* in: any address of the object; 0 = the main program */
	uintptr_t exec;		/* out: start of its executable segment */
};

static int find_exec_cb(struct dl_phdr_info *info, size_t size, void *p)
{
	struct find_exec *f = p;
	uintptr_t exec = 0;
	int hit = f->addr == 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (f->addr >= lo && f->addr < lo + ph->p_memsz)
			hit = 1;
		if ((ph->p_flags & PF_X) && !exec)
			exec = lo;
	}
	if (hit)
		f->exec = exec;
	return hit;
}

/*
 * The mapping of the object that holds addr (a function record lives in a data segment of
 * the object whose code it describes); addr 0: the main program.
 */
static uint32_t mapping_of_object(uintptr_t addr)
{
	struct find_exec f = { .addr = addr };

	dl_iterate_phdr(find_exec_cb, &f);
	return f.exec ? mapping_of_pc(f.exec) : 0;
}

static uint32_t add_func(const char *name, const char *file, uint32_t line, int kind,
			 uint32_t mapping, int owned)
{
	if (gp_grow(&w.funcs, &w.capfuncs, w.nfuncs + 1, sizeof(*w.funcs)) != 0)
		return 0;
	struct func_row *f = &w.funcs[w.nfuncs];
	f->name = name;
	f->file = file ? file : "";
	f->line = line;
	f->kind = kind;
	f->mapping = mapping;
	f->owned = owned;
	return (uint32_t)++w.nfuncs;
}

/* A function found by name: an ELF symbol (kind symbol) or a made-up frame (synthetic). */
static uint32_t func_by_name(const char *name, uint32_t mapping, int kind)
{
	uint64_t key = hash_str(name, (uint64_t)mapping << 2 | (uint64_t)kind);
	uint32_t id = map_get(&w.func_by_name, key);

	if (id)
		return id;
	char *copy = strdup(name);
	if (!copy)
		return 0;
	id = add_func(copy, "", 0, kind, mapping, 1);
	if (!id || map_put(&w.func_by_name, key, id) != 0) {
		if (id)
			w.nfuncs--;
		free(copy);
		return 0;
	}
	return id;
}

static uint32_t func_of_record(const void *rec)
{
	uint32_t id = map_get(&w.func_by_record, (uintptr_t)rec);
	struct gp_func fn;

	if (id)
		return id;
	if (gp_func_decode(rec, &fn) != 0)
		return func_by_name("[unknown]", 0, GP_FUNC_KIND_SYNTHETIC);
	id = add_func(fn.name, fn.file, fn.line, GP_FUNC_KIND_RECORD,
		      mapping_of_object((uintptr_t)rec), 0);
	if (id && map_put(&w.func_by_record, (uintptr_t)rec, id) != 0)
		return 0;
	return id;
}

/* The symbol at pc, NULL when unknown; cached per PC. */
static struct pc_sym *sym_of_pc(uintptr_t pc)
{
	uint32_t v = map_get(&w.sym_by_pc, pc);
	struct gp_pc_info info;

	if (v)
		return v > 1 ? &w.syms[v - 2] : NULL;
	v = 1;
	if (gp_pc_lookup(pc, &info) == 0 && info.function &&
	    gp_grow(&w.syms, &w.capsyms, w.nsyms + 1, sizeof(*w.syms)) == 0) {
		w.syms[w.nsyms].name = info.function;
		w.syms[w.nsyms].mapping = add_mapping(info.object, info.build_id, info.map_start,
						      info.map_end, info.map_offset);
		w.syms[w.nsyms].func = 0;
		v = (uint32_t)++w.nsyms + 1;
	}
	map_put(&w.sym_by_pc, pc, v);
	return v > 1 ? &w.syms[v - 2] : NULL;
}

static uint32_t node(uint32_t parent, uint32_t func);
static uint32_t new_node(uint32_t parent, uint32_t func, uint32_t labels);

/*
 * The function row of an interposed call ("pthread_mutex_lock"), the leaf of the lock
 * profiles' stacks and of a waiting thread's: a symbol of the library that defines the
 * call after libgoprof (the C library). call lives as long as the process.
 */
static uint32_t call_func(const char *call)
{
	uint32_t id = map_get(&w.func_by_call, (uintptr_t)call);

	if (id)
		return id;
	void *fn = dlsym(RTLD_NEXT, call);
	struct pc_sym *sym = fn ? sym_of_pc((uintptr_t)fn) : NULL;

	id = func_by_name(call, sym ? sym->mapping : 0, GP_FUNC_KIND_SYMBOL);
	if (id && map_put(&w.func_by_call, (uintptr_t)call, id) != 0)
		return 0;
	return id;
}

/* stack with call's frame below it; 0 on OOM */
static uint32_t below_call(uint32_t stack, const char *call)
{
	uint32_t f = stack ? call_func(call) : 0;

	return f ? node(stack, f) : 0;
}

static uint32_t node(uint32_t parent, uint32_t func)
{
	uint64_t key = (uint64_t)parent << 32 | func;
	uint32_t id = map_get(&w.node_by_key, key);

	if (id || !func)
		return id;
	id = new_node(parent, func, 0);
	if (id && map_put(&w.node_by_key, key, id) != 0)
		return 0;
	return id;
}

/* A new stack row; 0 on OOM. */
static uint32_t new_node(uint32_t parent, uint32_t func, uint32_t labels)
{
	uint32_t id = w.next_node + 1;

	if (gp_grow(&w.new_nodes, &w.capnew_nodes, w.nnew_nodes + 1, sizeof(*w.new_nodes)) ||
	    gp_grow(&w.node_keys, &w.capnode_keys, id + 1, sizeof(*w.node_keys)))
		return 0;
	w.next_node = id;
	w.node_keys[id] = (uint64_t)parent << 32 | func;
	w.new_nodes[w.nnew_nodes++] = (struct node_row){ id, parent, func, labels };
	return id;
}

/* The labels row of set (its parents' first), made on first use; 0 on OOM. */
static uint32_t label_row(const struct gp_labels *set)
{
	uint32_t id = map_get(&w.labels_by_node, (uintptr_t)set);

	if (id)
		return id;
	uint32_t parent = set->parent ? label_row(set->parent) : 0;
	if (set->parent && !parent)
		return 0;
	if (gp_grow(&w.new_labels, &w.capnew_labels, w.nnew_labels + 1,
		 sizeof(*w.new_labels)))
		return 0;
	id = w.next_label + 1;
	if (map_put(&w.labels_by_node, (uintptr_t)set, id) != 0)
		return 0;
	w.next_label = id;
	w.new_labels[w.nnew_labels++] = (struct label_row){ id, parent, set->key, set->value };
	return id;
}

/*
 * The stack row that names stack with the label set: stack itself when there are none,
 * else a copy of its leaf row carrying the set (gp-schema.h). 0 on OOM; the empty stack
 * cannot carry labels and stays 0.
 */
static uint32_t labelled(uint32_t stack, const struct gp_labels *set)
{
	if (!set || !stack)
		return stack;
	uint32_t lab = label_row(set);
	if (!lab)
		return 0;
	uint64_t key = (uint64_t)stack << 32 | lab;
	uint32_t id = map_get(&w.labelled_by_key, key);
	if (id)
		return id;
	uint64_t leaf = w.node_keys[stack];
	id = new_node((uint32_t)(leaf >> 32), (uint32_t)leaf, lab);
	if (id && map_put(&w.labelled_by_key, key, id) != 0)
		return 0;
	return id;
}

static uint64_t agg_hash(uint32_t bucket, uint32_t stack, uint32_t tid, int profile)
{
	return gp_mix(((uint64_t)bucket << 40) ^ ((uint64_t)stack << 8) ^
		     ((uint64_t)tid << 20) ^ (uint64_t)profile);
}

static int agg_add(int profile, uint64_t time_ns, uint32_t stack, uint32_t tid,
		   uint64_t count, uint64_t value)
{
	uint64_t rel = time_ns > w.start_ns ? time_ns - w.start_ns : 0;
	uint32_t bucket = (uint32_t)(rel / GP_BUCKET_NS);

	if ((w.naggs + 1) * 2 > w.nagg_slots) {
		size_t n = w.nagg_slots ? w.nagg_slots * 2 : 4096;
		uint32_t *slots = calloc(n, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < w.naggs; i++) {
			const struct agg *a = &w.aggs[i];
			size_t j = agg_hash(a->bucket, a->stack, a->tid, a->profile) & (n - 1);
			while (slots[j])
				j = (j + 1) & (n - 1);
			slots[j] = (uint32_t)i + 1;
		}
		free(w.agg_slots);
		w.agg_slots = slots;
		w.nagg_slots = n;
	}
	size_t j = agg_hash(bucket, stack, tid, profile) & (w.nagg_slots - 1);
	for (; w.agg_slots[j]; j = (j + 1) & (w.nagg_slots - 1)) {
		struct agg *a = &w.aggs[w.agg_slots[j] - 1];
		if (a->bucket == bucket && a->stack == stack && a->tid == tid &&
		    a->profile == profile) {
			a->count += count;
			a->value += value;
			return 0;
		}
	}
	if (gp_grow(&w.aggs, &w.capaggs, w.naggs + 1, sizeof(*w.aggs)) != 0)
		return -ENOMEM;
	w.aggs[w.naggs] = (struct agg){ bucket, stack, tid, (uint8_t)profile, count, value };
	w.agg_slots[j] = (uint32_t)++w.naggs;
	return 0;
}

/*
 * The stack row of frames (innermost first; truncated: frames left out at the root end),
 * 0 when out of memory. *innermost: the function row of frames[0], 0 if none.
 */
static uint32_t intern_stack(const void *const *frames, uint32_t nframes, uint32_t truncated,
			     uint32_t *innermost)
{
	uint32_t leaf = 0;

	*innermost = 0;
	if (truncated) {
		char name[48];
		snprintf(name, sizeof(name), GP_TRUNCATED_FUNCTION " %u]", truncated);
		leaf = node(0, func_by_name(name, 0, GP_FUNC_KIND_SYNTHETIC));
	}
	for (uint32_t i = nframes; i-- > 0;) {
		*innermost = func_of_record(frames[i]);
		leaf = node(leaf, *innermost);
	}
	return leaf;
}

/* The one-frame stack "[unknown]", for a sample or bucket with no frame at all; 0 on OOM. */
static uint32_t unknown_stack(void)
{
	return node(0, func_by_name("[unknown]", 0, GP_FUNC_KIND_SYNTHETIC));
}

/* A heap or lock bucket's stack id, interned on first use; 0 on OOM. */
static uint32_t bucket_stack(const void *const *frames, uint32_t nframes, uint32_t truncated)
{
	uint32_t innermost;
	uint32_t stack = intern_stack(frames, nframes, truncated, &innermost);

	return stack ? stack : unknown_stack();
}

/* gp_cpu_drain callback (writer thread): one sample into the pending aggregates. */
static void on_sample(const struct gp_sample *s, void *ctx)
{
	uint32_t leaf = 0, innermost = 0;
	(void)ctx;

	if (s->lost) {
		leaf = node(0, func_by_name(GP_LOST_FUNCTION, 0, GP_FUNC_KIND_SYNTHETIC));
	} else {
		leaf = intern_stack(s->frames, s->nframes, s->truncated, &innermost);
		/* the PC outside the innermost instrumented function: its symbol is the leaf */
		struct pc_sym *sym = s->pc ? sym_of_pc(s->pc) : NULL;
		if (sym && (!innermost || strcmp(sym->name, w.funcs[innermost - 1].name) != 0)) {
			if (!sym->func)
				sym->func = func_by_name(sym->name, sym->mapping,
							 GP_FUNC_KIND_SYMBOL);
			leaf = node(leaf, sym->func);
		}
		if (!leaf)
			leaf = unknown_stack();
		leaf = labelled(leaf, s->labels);
	}
	if (!leaf || agg_add(GP_PROFILE_CPU, s->time_ns, leaf, s->tid, s->count,
			     s->count * w.period_ns) != 0)
		w.err = -ENOMEM;
}

/*
 * The heap buckets' growth since the last call, as allocs and frees rows of the current
 * time bucket (thread 0: a block may be freed by another thread than its allocator).
 * Returns the number of buckets that changed. Writer thread.
 */
static size_t collect_heap(void)
{
	uint64_t now = gp_real_ns();
	size_t changed = 0;

	for (struct gp_heap_bucket *b = gp_heap_buckets(); b; b = b->next) {
		uint64_t ao = __atomic_load_n(&b->alloc_objects, __ATOMIC_RELAXED);
		uint64_t ab = __atomic_load_n(&b->alloc_bytes, __ATOMIC_RELAXED);
		uint64_t fo = __atomic_load_n(&b->free_objects, __ATOMIC_RELAXED);
		uint64_t fb = __atomic_load_n(&b->free_bytes, __ATOMIC_RELAXED);

		if (ao == b->written.alloc_objects && ab == b->written.alloc_bytes &&
		    fo == b->written.free_objects && fb == b->written.free_bytes)
			continue;
		if (!b->written.stack &&
		    !(b->written.stack = labelled(bucket_stack(b->frames, b->nframes,
							       b->truncated), b->labels))) {
			w.err = -ENOMEM;
			return changed;
		}
		if ((ao != b->written.alloc_objects || ab != b->written.alloc_bytes) &&
		    agg_add(GP_PROFILE_ALLOCS, now, b->written.stack, 0,
			    ao - b->written.alloc_objects, ab - b->written.alloc_bytes) != 0)
			w.err = -ENOMEM;
		if ((fo != b->written.free_objects || fb != b->written.free_bytes) &&
		    agg_add(GP_PROFILE_FREES, now, b->written.stack, 0,
			    fo - b->written.free_objects, fb - b->written.free_bytes) != 0)
			w.err = -ENOMEM;
		b->written.alloc_objects = ao;
		b->written.alloc_bytes = ab;
		b->written.free_objects = fo;
		b->written.free_bytes = fb;
		changed++;
	}
	return changed;
}

/*
 * The block and mutex buckets' growth since the last call, as rows of the current time
 * bucket; a block count is written as the growth of its rounded running total. Returns the
 * number of buckets that changed. Writer thread.
 */
static size_t collect_lock(void)
{
	uint64_t now = gp_real_ns();
	size_t changed = 0;

	for (struct gp_lock_bucket *b = gp_lock_buckets(); b; b = b->next) {
		uint64_t fp = __atomic_load_n(&b->count_fp, __ATOMIC_RELAXED);
		uint64_t count = (fp + GP_LOCK_COUNT_ONE / 2) / GP_LOCK_COUNT_ONE;
		uint64_t delay = __atomic_load_n(&b->delay_ns, __ATOMIC_RELAXED);

		if (count == b->written.count && delay == b->written.delay_ns)
			continue;
		if (!b->written.stack &&
		    !(b->written.stack = bucket_stack(b->frames, b->nframes, b->truncated))) {
			w.err = -ENOMEM;
			return changed;
		}
		if (b->call && !b->written.leaf &&
		    !(b->written.leaf = below_call(b->written.stack, b->call))) {
			w.err = -ENOMEM;
			return changed;
		}
		if (!b->written.labelled &&
		    !(b->written.labelled = labelled(b->call ? b->written.leaf : b->written.stack,
						     b->labels))) {
			w.err = -ENOMEM;
			return changed;
		}
		if (agg_add(b->profile, now, b->written.labelled, b->tid,
			    count - b->written.count,
			    delay - b->written.delay_ns) != 0)
			w.err = -ENOMEM;
		b->written.count = count;
		b->written.delay_ns = delay;
		changed++;
	}
	return changed;
}

/*
 * gp_custom_drain callback: an entry added (counted in) or removed (counted out, if it was
 * in: one added and removed between two drains never counts).
 */
static void on_custom(const struct goprof_profile *p, struct gp_custom_entry *e, void *ctx)
{
	int delta = !e->removed_ns ? !e->counted : -e->counted;

	(void)ctx;
	e->counted = !e->removed_ns;
	if (!delta)
		return;
	uint32_t stack = labelled(bucket_stack(e->frames, e->nframes, e->truncated), e->labels);
	uint64_t key = (uint64_t)p->id << 32 | stack;
	uint32_t i = stack ? map_get(&w.custom_by_key, key) : 0;
	if (!stack) {
		w.err = -ENOMEM;
		return;
	}
	if (!i) {
		if (gp_grow(&w.customs, &w.capcustoms, w.ncustoms + 1, sizeof(*w.customs)) ||
		    map_put(&w.custom_by_key, key, (uint32_t)w.ncustoms + 1)) {
			w.err = -ENOMEM;
			return;
		}
		w.customs[w.ncustoms] = (struct custom_count){ p->id, stack, 0, 0 };
		i = (uint32_t)++w.ncustoms;
	}
	w.customs[i - 1].live += delta;
}

/* ---- database ----------------------------------------------------------------------------- */

static int sql_fail(const char *what)
{
	gp_warn("GOPROF_DB %s: %s: %s; profile data is no longer written", w.path, what,
		w.db ? sqlite3_errmsg(w.db) : "out of memory");
	w.broken = 1;
	return -EIO;
}

static int exec_sql(const char *sql)
{
	return sqlite3_exec(w.db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

struct thread_batch {
	int err;
};

/*
 * gp_threads_foreach callback: a thread whose row is new or changed is queued for this
 * commit; a new one gets its creator's stack interned (rows written in the same commit).
 */
static void on_thread(const struct gp_thread_info *t, void *ctx)
{
	struct thread_batch *b = ctx;
	struct thread_row *r = NULL;
	uint32_t innermost;

	for (size_t i = 0; i < w.nthreads; i++)
		if (w.threads[i].tid == t->tid && w.threads[i].start_ns == t->start_ns) {
			r = &w.threads[i];
			break;
		}
	if (r && r->end_ns == t->end_ns && strncmp(r->name, t->name, sizeof(r->name)) == 0)
		return;
	if (gp_grow(&w.pend_threads, &w.cappend_threads, w.npend_threads + 1,
		 sizeof(*w.pend_threads))) {
		b->err = -ENOMEM;
		return;
	}
	if (!r) {
		if (gp_grow(&w.threads, &w.capthreads, w.nthreads + 1, sizeof(*w.threads))) {
			b->err = -ENOMEM;
			return;
		}
		r = &w.threads[w.nthreads++];
		r->tid = t->tid;
		r->start_ns = t->start_ns;
		r->creator_tid = t->creator_tid;
		r->create_stack = intern_stack(t->create_frames, t->create_nframes,
					       t->create_truncated, &innermost);
		/* below it the creating call, as Go's end in runtime.newm */
		if (t->create_call)
			r->create_stack = below_call(r->create_stack ? r->create_stack :
						     unknown_stack(), t->create_call);
		r->create_stack = labelled(r->create_stack, t->create_labels);
	}
	r->end_ns = t->end_ns;
	memcpy(r->name, t->name, sizeof(r->name));
	r->name[sizeof(r->name) - 1] = '\0';
	w.pend_threads[w.npend_threads++] = (size_t)(r - w.threads);
}

static int write_thread(const struct thread_row *r)
{
	sqlite3_stmt *st = w.up_thread;

	sqlite3_bind_int64(st, 1, r->tid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->start_ns);
	if (r->end_ns)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)r->end_ns);
	sqlite3_bind_text(st, 4, r->name, -1, SQLITE_TRANSIENT);
	if (r->creator_tid)
		sqlite3_bind_int64(st, 5, r->creator_tid);
	sqlite3_bind_int64(st, 6, r->create_stack);
	return step_reset(st);
}

/* gp_threads_snapshot callback: one live thread, its stack interned. */
static void on_snap(const struct gp_thread_snap *s, void *ctx)
{
	struct thread_batch *b = ctx;
	uint32_t innermost;

	if (gp_grow(&w.snaps, &w.capsnaps, w.nsnaps + 1, sizeof(*w.snaps))) {
		b->err = -ENOMEM;
		return;
	}
	struct snap_row *r = &w.snaps[w.nsnaps++];
	r->tid = s->tid;
	r->start_ns = s->start_ns;
	r->wait = s->wait;
	r->stack = intern_stack(s->frames, s->nframes, s->truncated, &innermost);
	if (r->stack && s->wait.state != GP_STATE_RUNNING && s->wait.call)
		r->stack = below_call(r->stack, s->wait.call);
	r->stack = labelled(r->stack, s->labels);
}

static int write_snapshot(uint64_t time_ns)
{
	sqlite3_stmt *st = w.ins_snap;

	sqlite3_bind_int64(st, 1, ++w.last_snapshot);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time_ns);
	if (step_reset(st) != 0)
		return -EIO;
	for (size_t i = 0; i < w.nsnaps; i++) {
		const struct snap_row *r = &w.snaps[i];
		st = w.ins_snap_thread;
		sqlite3_bind_int64(st, 1, w.last_snapshot);
		sqlite3_bind_int64(st, 2, r->tid);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)r->start_ns);
		sqlite3_bind_int(st, 4, r->wait.state);
		if (r->wait.object)
			sqlite3_bind_int64(st, 5, (sqlite3_int64)r->wait.object);
		if (r->wait.since_ns)
			sqlite3_bind_int64(st, 6, (sqlite3_int64)r->wait.since_ns);
		sqlite3_bind_int64(st, 7, r->stack);
		if (step_reset(st) != 0)
			return -EIO;
	}
	w.nsnaps = 0;
	return 0;
}

/* profiles rows for block and mutex once they are on; the rate follows the setting. */
static int write_lock_profiles(void)
{
	struct gp_lock_profiles p;
	sqlite3_stmt *st = w.up_profile;

	gp_lock_profiles(&p);
	if (p.block_rate_ns && p.block_rate_ns != w.block_rate_written) {
		sqlite3_bind_int(st, 1, GP_PROFILE_BLOCK);
		sqlite3_bind_text(st, 2, "block", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, p.block_rate_ns);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)p.block_since_ns);
		if (step_reset(st) != 0)
			return -EIO;
		w.block_rate_written = p.block_rate_ns;
	}
	if (p.mutex_fraction && p.mutex_fraction != w.mutex_fraction_written) {
		sqlite3_bind_int(st, 1, GP_PROFILE_MUTEX);
		sqlite3_bind_text(st, 2, "mutex", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, p.mutex_fraction);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)p.mutex_since_ns);
		if (step_reset(st) != 0)
			return -EIO;
		w.mutex_fraction_written = p.mutex_fraction;
	}
	return 0;
}

/*
 * One heapstats row: the interposer's call counters, glibc's own statistics and the
 * peak RSS, stamped with the commit's time (the end of the data it belongs to).
 */
static int write_heapstats(uint64_t time_ns)
{
	struct gp_heap_stats hs;
	struct rusage ru;

	if (gp_heap_stats(&hs) != 0)
		return 0;
	/* mallinfo2 walks every arena under its lock: twice a second, on this thread */
#ifdef HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();
#else
	struct mallinfo mi = mallinfo();	/* int fields: wrong beyond 2 GiB */
#endif
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		ru.ru_maxrss = 0;

	sqlite3_stmt *st = w.ins_heapstats;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time_ns);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)hs.mallocs);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)hs.frees);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)hs.alloc_bytes);
	/* bytes in blocks handed out: glibc's count, chunk sizes, mmapped blocks included */
	sqlite3_bind_int64(st, 5, (sqlite3_int64)mi.uordblks + (sqlite3_int64)mi.hblkhd);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)mi.arena);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)mi.hblkhd);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)mi.uordblks);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)mi.fordblks);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)mi.keepcost);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)ru.ru_maxrss * 1024);
	return step_reset(st);
}

/* Writes everything pending in one transaction. Writer thread (or start, before it). */
/* The traces handed over since the last commit, oldest first; they are gone either way. */
static int write_traces(void)
{
	pthread_mutex_lock(&traces_lock);
	struct pending_trace *t = traces, *oldest = NULL;
	traces = NULL;
	pthread_mutex_unlock(&traces_lock);
	while (t) {
		struct pending_trace *next = t->next;
		t->next = oldest;
		oldest = t;
		t = next;
	}
	int rc = 0;
	for (t = oldest; t; t = oldest) {
		oldest = t->next;
		if (!rc) {
			sqlite3_stmt *st = w.ins_trace;
			sqlite3_bind_int64(st, 1, (sqlite3_int64)t->start_ns);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)t->end_ns);
			sqlite3_bind_text(st, 3, t->source, -1, SQLITE_STATIC);
			sqlite3_bind_blob64(st, 4, t->data, t->len, SQLITE_STATIC);
			rc = step_reset(st);
		}
		free(t->data);
		free(t);
	}
	return rc;
}

int gp_writer_wants_traces(void)
{
	return running && running_pid == getpid() && !w.broken && !gp_config.db_temporary;
}

int gp_writer_add_trace(uint64_t start_ns, uint64_t end_ns, const char *source, void *data,
			size_t len)
{
	struct pending_trace *t = gp_writer_wants_traces() ? malloc(sizeof(*t)) : NULL;

	if (!t) {
		free(data);
		return -1;
	}
	*t = (struct pending_trace){ NULL, start_ns, end_ns, source, data, len };
	pthread_mutex_lock(&traces_lock);
	t->next = traces;
	traces = t;
	pthread_mutex_unlock(&traces_lock);
	return 0;
}

/* profiles rows for the custom profiles made since the last commit, then changed counts. */
static int write_customs(uint64_t time_ns)
{
	const struct goprof_profile *p;
	sqlite3_stmt *st = w.up_profile;
	int n = 0;

	for (p = gp_custom_profiles(); p; p = p->next)
		n++;
	/* newest first: the ones not written yet are the first n - written */
	for (p = gp_custom_profiles(); p && n > w.custom_profiles_written; p = p->next, n--) {
		sqlite3_bind_int(st, 1, p->id);
		sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, 1);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)w.start_ns);
		if (step_reset(st) != 0)
			return -EIO;
	}
	for (p = gp_custom_profiles(); p; p = p->next)
		if (p->id - GP_PROFILE_CUSTOM + 1 > w.custom_profiles_written)
			w.custom_profiles_written = p->id - GP_PROFILE_CUSTOM + 1;
	for (size_t i = 0; i < w.ncustoms; i++) {
		struct custom_count *c = &w.customs[i];
		if (c->live == c->written)
			continue;
		st = w.up_custom;
		sqlite3_bind_int(st, 1, c->profile);
		sqlite3_bind_int64(st, 2, c->stack);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time_ns);
		sqlite3_bind_int64(st, 4, c->live);
		if (step_reset(st) != 0)
			return -EIO;
		c->written = c->live;
	}
	return 0;
}

static int commit(void)
{
	sqlite3_stmt *st;

	if (w.broken || !w.db)
		return -EIO;
	/* threads and the snapshot first: the stacks they intern are written below */
	struct thread_batch tb = { 0 };
	uint64_t snap_ns = gp_real_ns();
	w.npend_threads = 0;
	w.nsnaps = 0;
	gp_threads_foreach(on_thread, &tb);
	gp_threads_snapshot(on_snap, &tb);
	if (tb.err)
		w.err = tb.err;
	if (w.err)
		return sql_fail("collecting samples failed");
	if (exec_sql("BEGIN") != 0)
		return sql_fail("BEGIN failed");

	for (; w.maps_written < w.nmaps; w.maps_written++) {
		const struct map_row *m = &w.maps[w.maps_written];
		st = w.ins_map;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)w.maps_written + 1);
		sqlite3_bind_text(st, 2, m->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->build_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)m->start);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)m->limit);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)m->offset);
		if (step_reset(st) != 0)
			goto out_rollback;
	}
	for (; w.funcs_written < w.nfuncs; w.funcs_written++) {
		const struct func_row *f = &w.funcs[w.funcs_written];
		st = w.ins_func;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)w.funcs_written + 1);
		sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, f->file, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, f->line);
		sqlite3_bind_int(st, 5, f->kind);
		if (f->mapping)
			sqlite3_bind_int64(st, 6, f->mapping);
		if (step_reset(st) != 0)
			goto out_rollback;
	}
	for (size_t i = 0; i < w.nnew_nodes; i++) {
		st = w.ins_stack;
		sqlite3_bind_int64(st, 1, w.new_nodes[i].id);
		sqlite3_bind_int64(st, 2, w.new_nodes[i].parent);
		sqlite3_bind_int64(st, 3, w.new_nodes[i].func);
		sqlite3_bind_int64(st, 4, w.new_nodes[i].labels);
		if (step_reset(st) != 0)
			goto out_rollback;
	}
	w.nnew_nodes = 0;
	for (size_t i = 0; i < w.nnew_labels; i++) {
		const struct label_row *l = &w.new_labels[i];
		st = w.ins_label;
		sqlite3_bind_int64(st, 1, l->id);
		sqlite3_bind_int64(st, 2, l->parent);
		sqlite3_bind_text(st, 3, l->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, l->value, -1, SQLITE_STATIC);
		if (step_reset(st) != 0)
			goto out_rollback;
	}
	w.nnew_labels = 0;
	for (size_t i = 0; i < w.naggs; i++) {
		const struct agg *a = &w.aggs[i];
		st = w.up_sample;
		sqlite3_bind_int(st, 1, a->profile);
		sqlite3_bind_int64(st, 2, a->bucket);
		sqlite3_bind_int64(st, 3, a->stack);
		sqlite3_bind_int64(st, 4, a->tid);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)a->count);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)a->value);
		if (step_reset(st) != 0)
			goto out_rollback;
	}
	w.naggs = 0;
	if (w.agg_slots)
		memset(w.agg_slots, 0, w.nagg_slots * sizeof(*w.agg_slots));

	for (size_t i = 0; i < w.npend_threads; i++)
		if (write_thread(&w.threads[w.pend_threads[i]]) != 0)
			goto out_rollback;
	if (write_snapshot(snap_ns) != 0 || write_lock_profiles() != 0 ||
	    write_customs(snap_ns) != 0)
		goto out_rollback;

	w.last_commit_ns = gp_real_ns();
	if (w.ins_heapstats && write_heapstats(w.last_commit_ns) != 0)
		goto out_rollback;
	if (write_traces() != 0)
		goto out_rollback;
	sqlite3_bind_int64(w.up_end, 1, (sqlite3_int64)w.last_commit_ns);
	if (step_reset(w.up_end) != 0)
		goto out_rollback;
	if (exec_sql("COMMIT") != 0)
		goto out_rollback;
	return 0;

out_rollback:
	sql_fail("writing samples failed");
	sqlite3_exec(w.db, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
}

/* The pattern with %p = pid, %h = host name, %% = %; -ENAMETOOLONG if it does not fit. */
int gp_path_expand(const char *pat, char *out, size_t len)
{
	char host[256];
	size_t n = 0;

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	for (const char *p = pat; *p; p++) {
		char num[24];
		const char *add = num;
		if (p[0] == '%' && p[1] == 'p') {
			snprintf(num, sizeof(num), "%d", (int)getpid());
			p++;
		} else if (p[0] == '%' && p[1] == 'h') {
			add = host;
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			add = "%";
			p++;
		} else {
			num[0] = *p;
			num[1] = '\0';
		}
		size_t l = strlen(add);
		if (n + l >= len)
			return -ENAMETOOLONG;
		memcpy(out + n, add, l);
		n += l;
	}
	out[n] = '\0';
	return 0;
}

/* Is path a goprof database (SQLite header, our application id)? */
static int is_goprof_db(const char *path)
{
	unsigned char hdr[72];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, "SQLite format 3", 16) != 0)
		return 0;
	uint32_t app = (uint32_t)hdr[68] << 24 | (uint32_t)hdr[69] << 16 |
		       (uint32_t)hdr[70] << 8 | hdr[71];
	return app == GP_SCHEMA_APPLICATION_ID;
}

/* The pid in the process row of the goprof database at path; -1 if unreadable. */
static long db_pid(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long pid = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT pid FROM process WHERE id = 1", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		pid = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return pid;
}

/*
 * A database this very process wrote before it called exec() is kept: the new program
 * image writes to the first free "PATH.N" instead. Returns 0, or -1 when there is none.
 */
static int after_exec_path(char *path, size_t size)
{
	size_t len = strlen(path);

	for (int n = 1; n < 1000; n++) {
		if (snprintf(path + len, size - len, ".%d", n) >= (int)(size - len))
			break;
		if (access(path, F_OK) != 0)
			return 0;
	}
	path[len] = '\0';
	return -1;
}

/*
 * A new empty file at path, mode 0600, with a shared flock() already on it (lock_fd): made
 * under a name of this process and linked into place, so that no other process ever finds
 * it unlocked. Returns 0, -EEXIST when path exists, or -errno.
 */
static int create_locked(const char *path)
{
	char tmp[PATH_MAX + 32];

	if (snprintf(tmp, sizeof(tmp), "%s.%d.new", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);	/* a leftover of an ended process that had this pid */
	int fd = open(tmp, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	flock(fd, LOCK_SH);
	int rc = link(tmp, path) == 0 ? 0 : -errno;
	unlink(tmp);
	if (rc == -EPERM || rc == -EOPNOTSUPP) {
		/* a file system without hard links: a short window, then */
		close(fd);
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		flock(fd, LOCK_SH);
		rc = 0;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	lock_fd = fd;
	return 0;
}

/* Does a live process write the database at path? Its writer holds a shared flock(). */
static int in_use(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	int busy = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/*
 * Creates the file mode 0600 before SQLite sees it (its -wal and -shm files copy that
 * mode). A database a live process writes is never touched: this one goes to PATH.PID
 * beside it. An old goprof database whose process has ended is replaced, unless this
 * process wrote it before an exec(); any other file is left alone. path may be changed
 * (PATH_MAX bytes).
 */
static int create_file(char *path)
{
	int rc = create_locked(path);

	if (rc == -EEXIST && in_use(path)) {
		size_t len = strlen(path);
		if (snprintf(path + len, PATH_MAX - len, ".%d", (int)getpid()) >=
		    (int)(PATH_MAX - len))
			rc = -ENAMETOOLONG;
		else
			rc = create_locked(path);
	}
	if (rc == -EEXIST && is_goprof_db(path) && db_pid(path) == (long)getpid() &&
	    after_exec_path(path, PATH_MAX) == 0)
		rc = create_locked(path);
	if (rc == -EEXIST) {
		if (!is_goprof_db(path)) {
			gp_warn("GOPROF_DB %s: the file exists and is not a goprof database; "
				"not overwriting it", path);
			return -EEXIST;
		}
		char side[PATH_MAX + 8];
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
		unlink(path);
		rc = create_locked(path);
	}
	if (rc) {
		gp_warn("GOPROF_DB %s: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}

/* /proc/self/cmdline into a malloc'd buffer; *len its size. */
static char *read_cmdline(size_t *len)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	*len = 0;
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *p = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

static int write_header(void)
{
	char sql[256], host[256], exe[PATH_MAX];
	sqlite3_stmt *st;
	size_t cmdlen;
	int rc = -EIO;

	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		 GP_SCHEMA_APPLICATION_ID, GP_SCHEMA_VERSION);
	if (exec_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL") != 0 ||
	    exec_sql("BEGIN") != 0 || exec_sql(sql) != 0 || exec_sql(GP_SCHEMA_SQL) != 0)
		return sql_fail("creating the schema failed");

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	uint32_t main_map = mapping_of_object(0);
	char *cmdline = read_cmdline(&cmdlen);

	if (sqlite3_prepare_v2(w.db, "INSERT INTO process VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, "
			       "?7, NULL, ?8, ?9)", -1, &st, NULL) != SQLITE_OK)
		goto out_free;
	sqlite3_bind_int64(st, 1, getpid());
	sqlite3_bind_int64(st, 2, getppid());
	sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, exe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, main_map ? w.maps[main_map - 1].build_id : "", -1,
			  SQLITE_STATIC);
	if (cmdline)
		sqlite3_bind_blob(st, 6, cmdline, (int)cmdlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)w.start_ns);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)GP_BUCKET_NS);
	sqlite3_bind_text(st, 9, PACKAGE_VERSION, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	if (rc == 0 && gp_config.cpu_hz) {
		snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'cpu', %u, %llu, "
			 "%llu)", GP_PROFILE_CPU, gp_config.cpu_hz,
			 (unsigned long long)w.period_ns, (unsigned long long)w.start_ns);
		rc = exec_sql(sql);
	}
	if (rc == 0 && gp_config.mem_rate) {
		/* heap sampling starts right after this (gp_heap_init), with this rate */
		snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'allocs', %u, %u, "
			 "%llu), (%d, 'frees', %u, %u, %llu)", GP_PROFILE_ALLOCS,
			 gp_config.mem_rate, gp_config.mem_rate, (unsigned long long)w.start_ns,
			 GP_PROFILE_FREES, gp_config.mem_rate, gp_config.mem_rate,
			 (unsigned long long)w.start_ns);
		rc = exec_sql(sql);
	}
	if (rc == 0) {
		/* no samples rows: they come from the threads and snapshots tables */
		snprintf(sql, sizeof(sql), "INSERT INTO profiles VALUES (%d, 'threadcreate', 1, 1, "
			 "%llu), (%d, 'goroutine', 1, 1, %llu)", GP_PROFILE_THREADCREATE,
			 (unsigned long long)w.start_ns, GP_PROFILE_GOROUTINE,
			 (unsigned long long)w.start_ns);
		rc = exec_sql(sql);
	}
	if (rc == 0)
		rc = exec_sql("COMMIT");

out_free:
	free(cmdline);
	return rc == 0 ? 0 : sql_fail("writing the process row failed");
}

static int prepare(sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v3(w.db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
		SQLITE_OK ? 0 : -EIO;
}

/* Creates and fills the database header, prepares the statements. */
/*
 * The descriptors of the database, its -wal and -shm files (SQLite's, found by their
 * files) and its lock, kept from the program's close() and dup2() (fds.c).
 */
static void own_fds(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	struct stat want[3], st;
	char p[PATH_MAX + 8];
	int have[3];

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", w.path, suffix[i]);
		have[i] = stat(p, &want[i]) == 0;
	}
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == dirfd(d) || fd == lock_fd || fstat(fd, &st) != 0)
			continue;
		for (int i = 0; i < 3; i++)
			if (have[i] && st.st_dev == want[i].st_dev && st.st_ino == want[i].st_ino)
				gp_fd_own(fd);
	}
	if (d)
		closedir(d);
	gp_fd_own(lock_fd);
}

static int open_db(void)
{
	if (create_file(w.path) != 0)
		return -EIO;
	if (sqlite3_open_v2(w.path, &w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		return sql_fail("cannot open");
	if (write_header() != 0)
		return -EIO;
	if (prepare(&w.ins_map, "INSERT INTO mappings VALUES (?1, ?2, ?3, ?4, ?5, ?6)") ||
	    prepare(&w.ins_func, "INSERT INTO functions VALUES (?1, ?2, ?3, ?4, ?5, ?6)") ||
	    prepare(&w.ins_stack, "INSERT INTO stacks VALUES (?1, ?2, ?3, ?4)") ||
	    prepare(&w.ins_label, "INSERT INTO labels VALUES (?1, ?2, ?3, ?4)") ||
	    prepare(&w.up_custom, "INSERT OR REPLACE INTO custom_counts VALUES (?1, ?2, ?3, ?4)") ||
	    prepare(&w.up_sample, "INSERT INTO samples VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		    "ON CONFLICT (profile, bucket, stack_id, tid) DO UPDATE SET "
		    "count = count + excluded.count, value = value + excluded.value") ||
	    prepare(&w.up_thread, "INSERT INTO threads (tid, start_ns, end_ns, name, "
		    "creator_tid, create_stack) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		    "ON CONFLICT (tid, start_ns) DO UPDATE SET end_ns = excluded.end_ns, "
		    "name = excluded.name") ||
	    prepare(&w.up_end, "UPDATE process SET end_ns = ?1 WHERE id = 1") ||
	    prepare(&w.ins_snap, "INSERT INTO snapshots VALUES (?1, ?2)") ||
	    prepare(&w.ins_snap_thread, "INSERT INTO snapshot_threads VALUES "
		    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)") ||
	    prepare(&w.up_profile, "INSERT INTO profiles VALUES (?1, ?2, ?3, 1, ?4) "
		    "ON CONFLICT (id) DO UPDATE SET rate = excluded.rate") ||
	    prepare(&w.ins_trace, "INSERT INTO traces (start_ns, end_ns, source, go_trace) "
		    "VALUES (?1, ?2, ?3, ?4)") ||
	    (gp_config.mem_rate && prepare(&w.ins_heapstats, "INSERT OR REPLACE INTO heapstats "
					   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")))
		return sql_fail("preparing statements failed");
	own_fds();
	return 0;
}

static void close_db(void)
{
	sqlite3_stmt *sts[] = { w.ins_map, w.ins_func, w.ins_stack, w.up_sample, w.up_thread,
				w.up_end, w.ins_snap, w.ins_snap_thread, w.up_profile,
				w.ins_heapstats, w.ins_trace, w.ins_label, w.up_custom };

	gp_fd_forget_all();
	for (size_t i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
		sqlite3_finalize(sts[i]);
	if (w.db && sqlite3_close(w.db) != SQLITE_OK)
		gp_warn("GOPROF_DB %s: closing failed: %s", w.path, sqlite3_errmsg(w.db));
	w.db = NULL;
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
	w.ins_map = w.ins_func = w.ins_stack = w.up_sample = w.up_thread = w.up_end = NULL;
	w.ins_snap = w.ins_snap_thread = w.up_profile = NULL;
	w.ins_heapstats = w.ins_trace = w.ins_label = w.up_custom = NULL;
}

/*
 * A figure that changes with every heap or lock event recorded: the totals of the buckets,
 * which only grow.
 */
static uint64_t history_mark(void)
{
	uint64_t m = 0;

	for (struct gp_heap_bucket *b = gp_heap_buckets(); b; b = b->next)
		m += __atomic_load_n(&b->alloc_objects, __ATOMIC_RELAXED) +
		     __atomic_load_n(&b->free_objects, __ATOMIC_RELAXED) + 1;
	for (struct gp_lock_bucket *b = gp_lock_buckets(); b; b = b->next)
		m += __atomic_load_n(&b->count_fp, __ATOMIC_RELAXED) + 1;
	return m;
}

/*
 * Drains the rings; opens a lazily opened database once there is something to write. A
 * fork child's database holds the heap and lock history it inherited, but only once the
 * child has events of its own: one that only calls exec() leaves no copy behind.
 */
static void collect(void)
{
	/* nothing more can be written: the rings fill and count their drops, memory stays put */
	if (w.broken)
		return;
	size_t n = gp_cpu_drain(on_sample, NULL);

	if (w.lazy_open && !n && !__atomic_load_n(&traces, __ATOMIC_RELAXED) &&
	    history_mark() == w.fork_mark)
		return;
	n += collect_heap();
	n += collect_lock();
	n += gp_custom_drain(on_custom, NULL);

	if ((n || __atomic_load_n(&traces, __ATOMIC_RELAXED)) && w.lazy_open && !w.broken) {
		w.lazy_open = 0;
		if (open_db() != 0)
			w.broken = 1;
	}
}

static void *writer_main(void *unused)
{
	(void)unused;
	/* sqlite's allocations on this thread are goprof's own: never sampled */
	gp_heap_guard(1);
	/* here rather than in the constructor: the program does not wait for the 500 us */
	gp_clock_calibrate();
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)POLL_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		sem_timedwait(&wake, &ts);

		pthread_mutex_lock(&busy_lock);
		int stopping = stop_req;
		unsigned want = __atomic_load_n(&flush_req, __ATOMIC_ACQUIRE);
		collect();
		if (!w.broken && !w.lazy_open &&
		    (stopping || want != flush_done || gp_real_ns() - w.last_commit_ns >= COMMIT_NS))
			commit();
		__atomic_store_n(&flush_done, want, __ATOMIC_RELEASE);
		if (stopping)
			break;
		pthread_mutex_unlock(&busy_lock);
	}
	if (w.db)
		close_db();
	pthread_mutex_unlock(&busy_lock);
	return NULL;
}

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
				 void *);

/* The writer thread, with every signal blocked and kept out of the thread registry. */
static int start_thread(void)
{
	pthread_create_fn create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
	sigset_t all, old;

	if (!create)
		create = pthread_create;
	if (sem_init(&wake, 0, 0) != 0)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = create(&thread, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		sem_destroy(&wake);
		return -rc;
	}
	running = 1;
	running_pid = getpid();
	return 0;
}

/* Forgets all state; owned strings are freed, the sqlite handle is not touched. */
static void reset_state(void)
{
	for (size_t i = 0; i < w.nfuncs; i++)
		if (w.funcs[i].owned)
			free((char *)w.funcs[i].name);
	for (size_t i = 0; i < w.nmaps; i++) {
		free(w.maps[i].path);
		free(w.maps[i].build_id);
	}
	free(w.funcs);
	free(w.maps);
	free(w.new_nodes);
	free(w.node_keys);
	free(w.new_labels);
	free(w.aggs);
	free(w.agg_slots);
	free(w.threads);
	free(w.pend_threads);
	free(w.snaps);
	free(w.customs);
	free(w.syms);
	map_free(&w.func_by_record);
	map_free(&w.func_by_name);
	map_free(&w.func_by_call);
	map_free(&w.node_by_key);
	map_free(&w.labels_by_node);
	map_free(&w.labelled_by_key);
	map_free(&w.custom_by_key);
	map_free(&w.sym_by_pc);
	memset(&w, 0, sizeof(w));
}

/*
 * Sets up a fresh state and the thread; lazy: open the database at the first sample.
 * avoid: a path that must not be used (the parent's database, in a fork child).
 */
static int start(int lazy, const char *avoid)
{
	int rc;

	reset_state();
	stop_req = 0;
	w.start_ns = gp_real_ns();
	w.last_commit_ns = w.start_ns;
	w.period_ns = gp_config.cpu_hz ? 1000000000u / gp_config.cpu_hz : 0;
	rc = gp_path_expand(gp_config.db_pattern, w.path, sizeof(w.path));
	if (rc != 0) {
		gp_warn("GOPROF_DB %s: the path is too long", gp_config.db_pattern);
		return rc;
	}
	/* a pattern without %p names the parent's file: never write into that one */
	if (avoid && strcmp(w.path, avoid) == 0) {
		size_t l = strlen(w.path);
		if (snprintf(w.path + l, sizeof(w.path) - l, ".%d", (int)getpid()) >=
		    (int)(sizeof(w.path) - l))
			return -ENAMETOOLONG;
	}
	w.lazy_open = lazy;
	if (!lazy && open_db() != 0) {
		close_db();
		return -EIO;
	}
	rc = start_thread();
	if (rc != 0) {
		gp_warn("GOPROF_DB %s: cannot start the writer thread: %s", w.path,
			strerror(-rc));
		close_db();
	}
	return rc;
}

int gp_writer_start(void)
{
	if (running || !gp_config.db_pattern)
		return 0;
	/* sqlite's memory statistics take a global mutex on every allocation; fork safety */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	return start(0, NULL);
}

void gp_writer_stop(void)
{
	/* After vfork() the child shares the parent's memory but not its threads. */
	if (!running || running_pid != getpid())
		return;
	running = 0;
	stop_req = 1;
	sem_post(&wake);
	pthread_join(thread, NULL);
	sem_destroy(&wake);
	if (gp_config.db_temporary) {
		char p[PATH_MAX + 8];
		static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
		for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			snprintf(p, sizeof(p), "%s%s", w.path, suffix[i]);
			unlink(p);
		}
		/* the private directory too, once no fork child's database is left in it */
		char *slash = strrchr(w.path, '/');
		if (slash) {
			*slash = '\0';
			rmdir(w.path);
			*slash = '/';
		}
	}
}

int gp_writer_sync(unsigned timeout_ms)
{
	if (!running || w.broken || pthread_equal(pthread_self(), thread))
		return -1;
	unsigned want = __atomic_add_fetch(&flush_req, 1, __ATOMIC_ACQ_REL);
	sem_post(&wake);
	for (unsigned waited = 0; waited < timeout_ms; waited++) {
		if ((int)(__atomic_load_n(&flush_done, __ATOMIC_ACQUIRE) - want) >= 0)
			return 0;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return -1;
}

int gp_writer_db_path(char *buf, size_t len)
{
	if (!running || !w.path[0] || strlen(w.path) >= len)
		return -1;
	strcpy(buf, w.path);
	return 0;
}

void gp_writer_crash_flush(unsigned timeout_ms)
{
	/* atomics, sem_post and nanosleep only: safe in the signal handler */
	(void)gp_writer_sync(timeout_ms);
}

int gp_writer_is_self(void)
{
	return running && pthread_equal(pthread_self(), thread);
}

void gp_writer_fd_lost(int fd)
{
	gp_heap_guard(1);
	if (running && running_pid == getpid()) {
		/* between two rounds: no write of the writer is under way */
		pthread_mutex_lock(&busy_lock);
		if (!w.lost) {
			/*
			 * The last round, here (the writer is parked): what was sampled so far
			 * is committed and the database closed while its descriptors are still
			 * its own.
			 */
			w.lost = 1;
			if (!w.broken && !w.lazy_open && w.db) {
				collect();
				commit();
			}
			w.broken = 1;
			close_db();
			gp_warn("GOPROF_DB %s: the program put another file on descriptor %d of the "
				"database; goprof stops writing it", w.path, fd);
		}
		gp_fd_forget_all();
		pthread_mutex_unlock(&busy_lock);
	} else {
		gp_fd_forget_all();
	}
	gp_heap_guard(0);
}

void gp_writer_atfork_prepare(void)
{
	if (running && running_pid == getpid() && !pthread_equal(pthread_self(), thread)) {
		pthread_mutex_lock(&busy_lock);
		busy_held = 1;
	}
}

void gp_writer_atfork_parent(void)
{
	if (busy_held) {
		busy_held = 0;
		pthread_mutex_unlock(&busy_lock);
	}
}

void gp_writer_atfork_child(void)
{
	char parent_path[PATH_MAX];

	gp_writer_atfork_parent();
	if (!running)
		return;
	running = 0;
	memcpy(parent_path, w.path, sizeof(parent_path));
	w.db = NULL;	/* the parent's handle: not ours to close */
	/* the parent's lock stays with the parent's descriptor */
	gp_fd_forget_all();
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
	w.ins_map = w.ins_func = w.ins_stack = w.up_sample = w.up_thread = w.up_end = NULL;
	w.ins_snap = w.ins_snap_thread = w.up_profile = NULL;
	w.ins_heapstats = w.ins_trace = w.ins_label = w.up_custom = NULL;
	/* the parent's traces are the parent's */
	pthread_mutex_init(&traces_lock, NULL);
	traces = NULL;
	flush_req = flush_done = 0;
	if (start(1, parent_path) == 0)
		w.fork_mark = history_mark();
}
