/*
 * Custom profiles (Go's pprof.NewProfile): a program keeps a profile of its own resources,
 * such as open connections or files. goprof_profile_add() records the calling thread's
 * stack and labels under a key; goprof_profile_remove() drops it. The writer keeps the
 * number of live entries per stack and, at each commit, stores the counts that changed
 * (custom_counts), so that the exporter can show what was live at any commit, as it does
 * the goroutine snapshots, in a database that grows with changes, not with entries.
 *
 * DESIGN. Each profile has its own mutex guarding its key table (chained, grown by
 * doubling) and its pending list: the entries added or removed since the writer last
 * looked. Add and remove take the mutex for a table operation and a list push; the stack
 * copy and the allocation (__libc_malloc: goprof's own memory, never sampled) happen
 * before it. The writer thread (gp_custom_drain) takes each profile's mutex in turn, hands
 * every pending entry to its callback (which counts it in or out: entry->counted) and
 * frees the removed ones; while no database is
 * written nobody drains, so a removed entry is freed at once. The mutexes are taken under
 * the heap guard, so that the lock profiles never record goprof's own waits. Profiles are
 * never freed; the list of them only grows (a release store of the head, acquire loads to
 * walk it). Not for signal handlers: the mutexes are not async-signal-safe.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gp-internal.h"
#include "gp-schema.h"

#define MAX_PROFILES 128
#define NAME_MAX_BYTES 63

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void __libc_free(void *p);

/* Names the HTTP server and goprof-export already use for something else. */
static const char *const builtin[] = {
	"allocs", "block", "cmdline", "cpu", "frees", "goroutine", "heap", "mutex", "profile",
	"symbol", "threadcreate", "trace",
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;	/* makers of profiles */
static struct goprof_profile *profiles;		/* newest first; push: list_lock + release */
static int nprofiles;				/* list_lock */


static int valid_name(const char *name)
{
	size_t n = 0;

	if (!name)
		return 0;
	for (; name[n]; n++)
		if (n >= NAME_MAX_BYTES ||
		    !((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= 'A' && name[n] <= 'Z') ||
		      (name[n] >= '0' && name[n] <= '9') || name[n] == '.' || name[n] == '_' ||
		      name[n] == '-'))
			return 0;
	return n > 0;
}

goprof_profile *goprof_profile_new(const char *name)
{
	struct goprof_profile *p = NULL;
	int err = 0;

	if (!valid_name(name)) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcmp(name, builtin[i]) == 0) {
			errno = EEXIST;
			return NULL;
		}
	gp_heap_guard(1);
	pthread_mutex_lock(&list_lock);
	for (p = profiles; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			break;
	if (p) {
		p = NULL;
		err = EEXIST;
	} else if (nprofiles >= MAX_PROFILES) {
		err = ENOSPC;
	} else if (!(p = __libc_calloc(1, sizeof(*p)))) {
		err = ENOMEM;
	} else {
		strcpy(p->name, name);
		pthread_mutex_init(&p->lock, NULL);
		p->id = GP_PROFILE_CUSTOM + nprofiles++;
		p->next = profiles;
		__atomic_store_n(&profiles, p, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&list_lock);
	gp_heap_guard(0);
	if (err)
		errno = err;
	return p;
}

static size_t slot_of(const struct goprof_profile *p, const void *key)
{
	return gp_mix((uintptr_t)key) & (p->cap - 1);
}

/* p->lock held: the entry of key, or NULL; *link gets the pointer that points at it. */
static struct gp_custom_entry *lookup(struct goprof_profile *p, const void *key,
				      struct gp_custom_entry ***link)
{
	if (!p->cap)
		return NULL;
	struct gp_custom_entry **l = &p->slots[slot_of(p, key)];
	for (; *l; l = &(*l)->chain)
		if ((*l)->key == key)
			break;
	if (link)
		*link = l;
	return *l;
}

/* p->lock held: doubles the key table; -ENOMEM. */
static int grow(struct goprof_profile *p)
{
	size_t cap = p->cap ? p->cap * 2 : 64;
	struct gp_custom_entry **slots = __libc_calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++)
		for (struct gp_custom_entry *e = p->slots[i], *next; e; e = next) {
			next = e->chain;
			size_t j = gp_mix((uintptr_t)e->key) & (cap - 1);
			e->chain = slots[j];
			slots[j] = e;
		}
	__libc_free(p->slots);
	p->slots = slots;
	p->cap = cap;
	return 0;
}

/* Whether anyone will drain the pending lists: a database is written. */
static int kept(void)
{
	return gp_config.database;
}

int goprof_profile_add(goprof_profile *p, const void *key)
{
	const void **base, **top;

	if (!p)
		return -EINVAL;
	int saved = errno;
	gp_stack_bounds(&base, &top);
	uint64_t depth = (uint64_t)(top - base);
	uint32_t keep = (uint32_t)(depth < gp_config.stack_depth ? depth : gp_config.stack_depth);
	struct gp_custom_entry *e = __libc_malloc(sizeof(*e) + keep * sizeof(e->frames[0]));
	int rc = 0;

	if (!e) {
		errno = saved;
		return -ENOMEM;
	}
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->labels = gp_labels_cur;
	e->nframes = keep;
	e->truncated = (uint32_t)(depth - keep);
	gp_frames_copy(e->frames, top, keep);
	e->added_ns = gp_real_ns();

	gp_heap_guard(1);	/* goprof's own lock: the lock profiles never record it */
	pthread_mutex_lock(&p->lock);
	if (lookup(p, key, NULL)) {
		rc = -EEXIST;
	} else if ((p->n + 1) * 2 > p->cap * 3 && grow(p) != 0) {
		rc = -ENOMEM;
	} else {
		size_t s = slot_of(p, key);
		e->chain = p->slots[s];
		p->slots[s] = e;
		__atomic_store_n(&p->n, p->n + 1, __ATOMIC_RELAXED);
		if (kept()) {
			e->pending = 1;
			e->pend_next = p->pending;
			p->pending = e;
		}
	}
	pthread_mutex_unlock(&p->lock);
	gp_heap_guard(0);
	if (rc)
		__libc_free(e);
	errno = saved;
	return rc;
}

int goprof_profile_remove(goprof_profile *p, const void *key)
{
	struct gp_custom_entry **link, *e;
	int saved = errno;

	if (!p)
		return -EINVAL;
	uint64_t now = gp_real_ns();
	gp_heap_guard(1);
	pthread_mutex_lock(&p->lock);
	e = lookup(p, key, &link);
	if (e) {
		*link = e->chain;
		__atomic_store_n(&p->n, p->n - 1, __ATOMIC_RELAXED);
		e->removed_ns = now;
		if (kept() && !e->pending) {
			e->pending = 1;
			e->pend_next = p->pending;
			p->pending = e;
		}
	}
	pthread_mutex_unlock(&p->lock);
	gp_heap_guard(0);
	/* not on a list the writer will drain: nobody else knows it any more */
	if (e && !kept())
		__libc_free(e);
	errno = saved;
	return e ? 0 : -ENOENT;
}

long goprof_profile_count(const goprof_profile *p)
{
	return p ? (long)__atomic_load_n(&p->n, __ATOMIC_RELAXED) : 0;
}

struct goprof_profile *gp_custom_profiles(void)
{
	return __atomic_load_n(&profiles, __ATOMIC_ACQUIRE);
}

size_t gp_custom_drain(void (*fn)(const struct goprof_profile *p, struct gp_custom_entry *e,
				  void *ctx),
		       void *ctx)
{
	size_t n = 0;

	for (struct goprof_profile *p = gp_custom_profiles(); p; p = p->next) {
		int how = gp_writer_lock(&p->lock, "a custom profile");
		if (how == GP_LOCK_SKIP)
			continue;
		struct gp_custom_entry *e = p->pending, *next;
		p->pending = NULL;
		for (; e; e = next, n++) {
			next = e->pend_next;
			e->pending = 0;
			fn(p, e, ctx);
			if (e->removed_ns)
				__libc_free(e);
		}
		gp_writer_unlock(&p->lock, how);
	}
	return n;
}

void gp_custom_atfork_child(void)
{
	/* the child's database starts empty: every live entry is pending again */
	pthread_mutex_init(&list_lock, NULL);
	for (struct goprof_profile *p = profiles; p; p = p->next) {
		pthread_mutex_init(&p->lock, NULL);
		p->pending = NULL;
		for (size_t i = 0; i < p->cap; i++)
			for (struct gp_custom_entry *e = p->slots[i]; e; e = e->chain) {
				e->pending = 1;
				e->counted = 0;
				e->pend_next = p->pending;
				p->pending = e;
			}
	}
}
