/*
 * The writer's interning (writer thread only): a small hash map, and the ids functions,
 * mappings, stacks and label sets get as database rows. A function is keyed by its
 * record's address (or, for symbols found at a PC and made-up frames, by name and
 * mapping); a stack row by (caller row, function); a label set (labels.c) by its node's
 * address, a labelled stack by (stack, label set). Rows get their ids here, so a sample
 * never waits for a database round trip.
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

#include "writer.h"
#include "gp-schema.h"

/* ---- small hash map: non-zero uint64 key -> uint32 value ---------------------------------- */

/* Returns the value for key, 0 if absent. */
uint32_t gp_u64map_get(const struct u64map *m, uint64_t key)
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

int gp_u64map_put(struct u64map *m, uint64_t key, uint32_t val)
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

/*
 * Drops the entries for which drop(key, value, ctx) says 1, in place (no memory needed):
 * the others are put again, in slot order from a slot that was empty before the drops (no
 * probe path runs through it), so that each cluster is redone from its first slot and
 * every entry lands on its probe path before any gap the drops or the moves made.
 */
static void u64map_drop_if(struct u64map *m, int (*drop)(uint64_t key, uint32_t val, void *ctx),
			   void *ctx)
{
	size_t start = 0;

	while (start < m->cap && m->keys[start])
		start++;
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] && drop(m->keys[i], m->vals[i], ctx)) {
			m->keys[i] = 0;
			m->n--;
		}
	for (size_t k = 1; k <= m->cap && start < m->cap; k++) {
		size_t i = (start + k) & (m->cap - 1);
		uint64_t key = m->keys[i];
		if (!key)
			continue;
		m->keys[i] = 0;
		size_t j = gp_mix(key) & (m->cap - 1);
		while (m->keys[j])
			j = (j + 1) & (m->cap - 1);
		m->keys[j] = key;
		m->vals[j] = m->vals[i];
	}
}

void gp_u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

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
	for (size_t i = 0; i < gp_w.nmaps; i++)
		if (gp_w.maps[i].start == start && strcmp(gp_w.maps[i].path, path) == 0)
			return (uint32_t)i + 1;
	if (gp_grow(&gp_w.maps, &gp_w.capmaps, gp_w.nmaps + 1, sizeof(*gp_w.maps)) != 0)
		return 0;
	struct map_row *m = &gp_w.maps[gp_w.nmaps];
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
	return (uint32_t)++gp_w.nmaps;
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
uint32_t gp_intern_mapping_of_object(uintptr_t addr)
{
	struct find_exec f = { .addr = addr };

	/* not in a crash flush or a fork child's exit: the loader's lock may be held for good */
	if (gp_writer_careful())
		return 0;
	dl_iterate_phdr(find_exec_cb, &f);
	return f.exec ? mapping_of_pc(f.exec) : 0;
}

static uint32_t add_func(const char *name, const char *file, uint32_t line, int kind,
			 uint32_t mapping, int owned)
{
	if (gp_grow(&gp_w.funcs, &gp_w.capfuncs, gp_w.nfuncs + 1, sizeof(*gp_w.funcs)) != 0)
		return 0;
	struct func_row *f = &gp_w.funcs[gp_w.nfuncs];
	f->name = name;
	f->file = file ? file : "";
	f->line = line;
	f->kind = kind;
	f->mapping = mapping;
	f->owned = owned;
	f->gone = 0;
	return (uint32_t)++gp_w.nfuncs;
}

/* A function found by name: an ELF symbol (kind symbol) or a made-up frame (synthetic). */
uint32_t gp_intern_func_by_name(const char *name, uint32_t mapping, int kind)
{
	uint64_t key = hash_str(name, (uint64_t)mapping << 2 | (uint64_t)kind);
	uint32_t id = gp_u64map_get(&gp_w.func_by_name, key);

	if (id)
		return id;
	char *copy = strdup(name);
	if (!copy)
		return 0;
	id = add_func(copy, "", 0, kind, mapping, 1);
	if (!id || gp_u64map_put(&gp_w.func_by_name, key, id) != 0) {
		if (id)
			gp_w.nfuncs--;
		free(copy);
		return 0;
	}
	return id;
}

static uint32_t func_of_record(const void *rec)
{
	uint32_t id = gp_u64map_get(&gp_w.func_by_record, (uintptr_t)rec);
	struct gp_func fn;

	if (id)
		return id;
	if (gp_func_decode(rec, &fn) != 0)
		return gp_intern_func_by_name("[unknown]", 0, GP_FUNC_KIND_SYNTHETIC);
	id = add_func(fn.name, fn.file, fn.line, GP_FUNC_KIND_RECORD,
		      gp_intern_mapping_of_object((uintptr_t)gp_record_of(rec)), 0);
	if (id && gp_u64map_put(&gp_w.func_by_record, (uintptr_t)rec, id) != 0)
		return 0;
	return id;
}

/* The symbol at pc, NULL when unknown; cached per PC. */
struct pc_sym *gp_intern_sym_of_pc(uintptr_t pc)
{
	uint32_t v = gp_u64map_get(&gp_w.sym_by_pc, pc);
	struct gp_pc_info info;

	if (v)
		return v > 1 ? &gp_w.syms[v - 2] : NULL;
	v = 1;
	if (gp_pc_lookup(pc, &info) == 0 && info.function &&
	    gp_grow(&gp_w.syms, &gp_w.capsyms, gp_w.nsyms + 1, sizeof(*gp_w.syms)) == 0) {
		gp_w.syms[gp_w.nsyms].name = info.function;
		gp_w.syms[gp_w.nsyms].mapping = add_mapping(info.object, info.build_id,
							    info.map_start, info.map_end,
							    info.map_offset);
		gp_w.syms[gp_w.nsyms].func = 0;
		v = (uint32_t)++gp_w.nsyms + 1;
	}
	gp_u64map_put(&gp_w.sym_by_pc, pc, v);
	return v > 1 ? &gp_w.syms[v - 2] : NULL;
}

static uint32_t new_node(uint32_t parent, uint32_t func, uint32_t labels);

/*
 * The function row of an interposed call ("pthread_mutex_lock"), the leaf of the lock
 * profiles' stacks and of a waiting thread's: a symbol of the library that defines the
 * call after libgoprof (the C library). call lives as long as the process.
 */
static uint32_t call_func(const char *call)
{
	uint32_t id = gp_u64map_get(&gp_w.func_by_call, (uintptr_t)call);

	if (id)
		return id;
	/* dlsym takes the loader's lock: not in a crash flush or a fork child's exit */
	void *fn = gp_writer_careful() ? NULL : dlsym(RTLD_NEXT, call);
	struct pc_sym *sym = fn ? gp_intern_sym_of_pc((uintptr_t)fn) : NULL;

	id = gp_intern_func_by_name(call, sym ? sym->mapping : 0, GP_FUNC_KIND_SYMBOL);
	if (id && gp_u64map_put(&gp_w.func_by_call, (uintptr_t)call, id) != 0)
		return 0;
	return id;
}

/* stack with call's frame below it; 0 on OOM */
uint32_t gp_intern_below_call(uint32_t stack, const char *call)
{
	uint32_t f = stack ? call_func(call) : 0;

	return f ? gp_intern_node(stack, f) : 0;
}

/*
 * A stack row's function at an address is keyed, like a function alone, by one 32-bit
 * word: GP_SITE_TAG | the pair's index in gp_w.sites. An address belongs to one function;
 * should a second one claim it (a sample inside a push, named by its symbol, then by its
 * record), that one keeps no address.
 */
#define GP_SITE_TAG 0x80000000u

static uint32_t site_of(uint32_t func, uintptr_t address)
{
	uint32_t i = gp_u64map_get(&gp_w.site_by_addr, address);

	if (i)
		return gp_w.sites[i - 1].func == func ? GP_SITE_TAG | (i - 1) : 0;
	if (gp_w.nsites >= GP_SITE_TAG - 1 ||
	    gp_grow(&gp_w.sites, &gp_w.capsites, gp_w.nsites + 1, sizeof(*gp_w.sites)) ||
	    gp_u64map_put(&gp_w.site_by_addr, address, (uint32_t)gp_w.nsites + 1))
		return 0;
	gp_w.sites[gp_w.nsites] = (struct site){ address, func };
	return GP_SITE_TAG | (uint32_t)gp_w.nsites++;
}

uint32_t gp_intern_node_at(uint32_t parent, uint32_t func, uintptr_t address)
{
	uint32_t site = address && func ? site_of(func, address) : 0;

	return gp_intern_node(parent, site ? site : func);
}

uint32_t gp_intern_node(uint32_t parent, uint32_t func)
{
	uint64_t key = (uint64_t)parent << 32 | func;
	uint32_t id = gp_u64map_get(&gp_w.node_by_key, key);

	if (id || !func)
		return id;
	id = new_node(parent, func, 0);
	if (id && gp_u64map_put(&gp_w.node_by_key, key, id) != 0)
		return 0;
	return id;
}

/* A new stack row; 0 on OOM. */
static uint32_t new_node(uint32_t parent, uint32_t func, uint32_t labels)
{
	uint32_t id = gp_w.next_node + 1;

	if (gp_grow(&gp_w.new_nodes, &gp_w.capnew_nodes, gp_w.nnew_nodes + 1,
		    sizeof(*gp_w.new_nodes)) ||
	    gp_grow(&gp_w.node_keys, &gp_w.capnode_keys, id + 1, sizeof(*gp_w.node_keys)))
		return 0;
	gp_w.next_node = id;
	gp_w.node_keys[id] = (uint64_t)parent << 32 | func;
	uintptr_t address = 0;
	if (func & GP_SITE_TAG) {
		address = gp_w.sites[func & ~GP_SITE_TAG].address;
		func = gp_w.sites[func & ~GP_SITE_TAG].func;
	}
	gp_w.new_nodes[gp_w.nnew_nodes++] = (struct node_row){ id, parent, func, labels, address };
	return id;
}

/* The labels row of set (its parents' first), made on first use; 0 on OOM. */
static uint32_t label_row(const struct gp_labels *set)
{
	uint32_t id = gp_u64map_get(&gp_w.labels_by_node, (uintptr_t)set);

	if (id)
		return id;
	uint32_t parent = set->parent ? label_row(set->parent) : 0;
	if (set->parent && !parent)
		return 0;
	if (gp_grow(&gp_w.new_labels, &gp_w.capnew_labels, gp_w.nnew_labels + 1,
		 sizeof(*gp_w.new_labels)))
		return 0;
	id = gp_w.next_label + 1;
	if (gp_u64map_put(&gp_w.labels_by_node, (uintptr_t)set, id) != 0)
		return 0;
	gp_w.next_label = id;
	gp_w.new_labels[gp_w.nnew_labels++] =
		(struct label_row){ id, parent, set->key, set->value };
	return id;
}

/*
 * The stack row that names stack with the label set: stack itself when there are none,
 * else a copy of its leaf row carrying the set (gp-schema.h). 0 on OOM; the empty stack
 * cannot carry labels and stays 0.
 */
uint32_t gp_intern_labelled(uint32_t stack, const struct gp_labels *set)
{
	if (!set || !stack)
		return stack;
	uint32_t lab = label_row(set);
	if (!lab)
		return 0;
	uint64_t key = (uint64_t)stack << 32 | lab;
	uint32_t id = gp_u64map_get(&gp_w.labelled_by_key, key);
	if (id)
		return id;
	uint64_t leaf = gp_w.node_keys[stack];
	id = new_node((uint32_t)(leaf >> 32), (uint32_t)leaf, lab);
	if (id && gp_u64map_put(&gp_w.labelled_by_key, key, id) != 0)
		return 0;
	return id;
}

/*
 * The stack row of frames (innermost first; truncated: frames left out at the root end),
 * 0 when out of memory. *innermost: the function row of frames[0], 0 if none.
 */
uint32_t gp_intern_stack(const void *const *frames, uint32_t nframes, uint32_t truncated,
			     uint32_t *innermost)
{
	return gp_intern_stack_at(frames, NULL, nframes, truncated, innermost);
}

uint32_t gp_intern_stack_at(const void *const *frames, const uintptr_t *addrs, uint32_t nframes,
			    uint32_t truncated, uint32_t *innermost)
{
	uint32_t leaf = 0;

	*innermost = 0;
	if (truncated) {
		char name[48];
		snprintf(name, sizeof(name), GP_TRUNCATED_FUNCTION " %u]", truncated);
		leaf = gp_intern_node(0, gp_intern_func_by_name(name, 0, GP_FUNC_KIND_SYNTHETIC));
	}
	for (uint32_t i = nframes; i-- > 0;) {
		*innermost = func_of_record(frames[i]);
		leaf = gp_intern_node_at(leaf, *innermost, addrs ? addrs[i] : 0);
	}
	return leaf;
}

/* The one-frame stack "[unknown]", for a sample or bucket with no frame at all; 0 on OOM. */
uint32_t gp_intern_unknown_stack(void)
{
	return gp_intern_node(0, gp_intern_func_by_name("[unknown]", 0, GP_FUNC_KIND_SYNTHETIC));
}

/* A heap or lock bucket's stack id, interned on first use; 0 on OOM. */
uint32_t gp_intern_bucket_stack(const void *const *frames, uint32_t nframes, uint32_t truncated)
{
	uint32_t innermost;
	uint32_t stack = gp_intern_stack(frames, nframes, truncated, &innermost);

	return stack ? stack : gp_intern_unknown_stack();
}

/*
 * A heap, lock or thread-creation bucket's stack id: the innermost frame at the interposed
 * call when site (that call's return address) lies in the innermost frame's function, and
 * each caller at its call to the next frame, found among the nreturns return-address
 * candidates of gp_stack_scan_site() as a CPU sample's are (callsite.c). 0 on OOM.
 */
uint32_t gp_intern_site_stack(const void *const *frames, uint32_t nframes, uint32_t truncated,
			      uintptr_t site, const uintptr_t *returns, uint32_t nreturns)
{
	static uintptr_t addrs[GP_MAX_STACK_DEPTH];
	struct pc_sym *sym = site && nframes ? gp_intern_sym_of_pc(site - 1) : NULL;
	struct gp_sample s = {
		.pc = sym ? site - 1 : 0,
		.nframes = nframes,
		.truncated = truncated,
		.frames = frames,
		.nreturns = nreturns,
		.returns = returns,
	};
	uint32_t innermost;

	if (!nframes)
		return gp_intern_bucket_stack(frames, nframes, truncated);
	gp_callsite_match(&s, sym ? sym->name : NULL, addrs);
	uint32_t stack = gp_intern_stack_at(frames, addrs, nframes, truncated, &innermost);
	return stack ? stack : gp_intern_unknown_stack();
}

/* ---- retention: what the writer holds, what it forgets ------------------------------------ */

struct pin {
	sqlite3_stmt *stack, *label;
};

static int pin_id(sqlite3_stmt *st, uint32_t id)
{
	if (!id)
		return SQLITE_OK;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int pin_stack(uint32_t stack, void *ctx)
{
	return pin_id(((struct pin *)ctx)->stack, stack);
}

int gp_intern_pin(sqlite3 *db, void *ctx)
{
	struct pin p = { NULL, NULL };
	int rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO retain_pin_stacks VALUES (?1)", -1,
				    &p.stack, NULL);

	(void)ctx;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO retain_pin_labels VALUES (?1)",
					-1, &p.label, NULL);
	for (struct gp_heap_bucket *b = gp_heap_buckets(); b && rc == SQLITE_OK; b = b->next)
		rc = pin_id(p.stack, b->written.stack);
	for (struct gp_lock_bucket *b = gp_lock_buckets(); b && rc == SQLITE_OK; b = b->next)
		if ((rc = pin_id(p.stack, b->written.stack)) == SQLITE_OK &&
		    (rc = pin_id(p.stack, b->written.leaf)) == SQLITE_OK)
			rc = pin_id(p.stack, b->written.labelled);
	for (size_t i = 0; i < gp_w.ncustoms && rc == SQLITE_OK; i++)
		rc = pin_id(p.stack, gp_w.customs[i].stack);
	for (size_t i = 0; i < gp_w.naggs && rc == SQLITE_OK; i++)
		rc = pin_id(p.stack, gp_w.aggs[i].stack);
	for (size_t i = 0; i < gp_w.nsnaps && rc == SQLITE_OK; i++)
		rc = pin_id(p.stack, gp_w.snaps[i].stack);
	for (size_t i = 0; i < gp_w.npend_threads && rc == SQLITE_OK; i++)
		rc = pin_id(p.stack, gp_w.pend_threads[i].create_stack);
	/* rows not written yet: their callers' rows and label sets are */
	for (size_t i = 0; i < gp_w.nnew_nodes && rc == SQLITE_OK; i++)
		if ((rc = pin_id(p.stack, gp_w.new_nodes[i].parent)) == SQLITE_OK)
			rc = pin_id(p.label, gp_w.new_nodes[i].labels);
	for (size_t i = 0; i < gp_w.nnew_labels && rc == SQLITE_OK; i++)
		rc = pin_id(p.label, gp_w.new_labels[i].parent);
	if (rc == SQLITE_OK)
		rc = gp_callsite_each(pin_stack, &p);
	sqlite3_finalize(p.stack);
	sqlite3_finalize(p.label);
	return rc;
}

int gp_intern_gone_room(void)
{
	uint32_t max = gp_w.next_node > gp_w.next_label ? gp_w.next_node : gp_w.next_label;
	size_t had = gp_w.capgone_bits;

	if (gp_grow(&gp_w.gone_bits, &gp_w.capgone_bits, max / 8 + 1, 1) != 0)
		return -ENOMEM;
	/* all clear between two passes */
	memset(gp_w.gone_bits + had, 0, gp_w.capgone_bits - had);
	return 0;
}

/* The ids of a retain_gone_* table (up to max) as bits of gp_w.gone_bits; how many. */
static size_t gone_ids(sqlite3 *db, const char *table, uint32_t max)
{
	char sql[64];
	sqlite3_stmt *st;
	size_t n = 0;

	snprintf(sql, sizeof(sql), "SELECT id FROM temp.%s", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id > 0 && id <= max) {
			gp_w.gone_bits[id / 8] |= (uint8_t)(1u << (id % 8));
			n++;
		}
	}
	sqlite3_finalize(st);
	return n;
}

static int is_gone(uint64_t id)
{
	return gp_w.gone_bits[id / 8] >> (id % 8) & 1;
}

/* node_by_key and labels_by_node: the row named by the value went */
static int value_gone(uint64_t key, uint32_t val, void *ctx)
{
	(void)key;
	(void)ctx;
	return is_gone(val);
}

/* labelled_by_key: the row, or the stack it copies (key: stack << 32 | set), went */
static int labelled_gone(uint64_t key, uint32_t val, void *ctx)
{
	(void)ctx;
	return is_gone(val) || is_gone(key >> 32);
}

void gp_intern_forget_gone(sqlite3 *db)
{
	sqlite3_stmt *st;

	if (gone_ids(db, "retain_gone_stacks", gp_w.next_node)) {
		u64map_drop_if(&gp_w.node_by_key, value_gone, NULL);
		u64map_drop_if(&gp_w.labelled_by_key, labelled_gone, NULL);
		memset(gp_w.gone_bits, 0, gp_w.next_node / 8 + 1);
	}
	if (gone_ids(db, "retain_gone_labels", gp_w.next_label)) {
		u64map_drop_if(&gp_w.labels_by_node, value_gone, NULL);
		memset(gp_w.gone_bits, 0, gp_w.next_label / 8 + 1);
	}
	if (sqlite3_prepare_v2(db, "SELECT id FROM temp.retain_gone_functions", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id > 0 && (size_t)id <= gp_w.funcs_written)
			gp_w.funcs[id - 1].gone = 1;
	}
	sqlite3_finalize(st);
}
