/*
 * Labels (Go's pprof.Do and pprof.Labels): a per-thread set of key=value pairs that every
 * stack goprof records carries with it, so that pprof can split a profile by request kind,
 * tenant or phase (-tagfocus, -tags).
 *
 * DESIGN. A label set is a node of one process-wide tree: each node is one push (key,
 * value) on top of its parent set, and the set it stands for is the path to the root, the
 * innermost value of a key winning. Nodes are interned (one node per parent, key and
 * value), immutable and never freed, so that
 *  - a thread's labels are one pointer (gp_labels_cur, initial-exec TLS) that a push
 *    moves down the tree and a pop moves back to the parent: no allocation once the node
 *    exists, no lock, no copy of the set;
 *  - anything recorded (a CPU sample in the signal handler, a heap block until it is freed,
 *    a lock bucket, a thread's origin, a custom profile's entry) keeps the node's address,
 *    and the writer interns it into the database's labels table as it does stacks;
 *  - a new thread starts at its creator's node (thread.c), as a goroutine inherits its
 *    creator's labels; it cannot pop what it inherited (base_depth).
 * The intern table is a fixed array of chains: lookups (any thread) follow the chains with
 * acquire loads and take no lock; a new node is made and published (release) under
 * labels_lock (under the heap guard: the lock profiles never record it), its memory from
 * __libc_malloc (never a sampled block). Readers of another
 * thread's labels (the goroutine snapshot) load its gp_labels_cur with acquire.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gp-internal.h"

#define LABEL_SLOTS (1u << 16)		/* intern table chains */
#define LABEL_NODES_MAX (1u << 20)	/* distinct (set, key, value) nodes a process may make */
#define LABEL_STR_MAX 4095		/* bytes of a key or value */

extern void *__libc_malloc(size_t size);

__thread const struct gp_labels *gp_labels_cur __attribute__((tls_model("initial-exec")));
/* pushes at or below this depth were inherited from the creating thread: not popped */
static __thread uint32_t base_depth __attribute__((tls_model("initial-exec")));

static struct gp_labels *slots[LABEL_SLOTS];	/* push: labels_lock + release; read: acquire */
static pthread_mutex_t labels_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned nodes;				/* labels_lock */

static uint64_t hash_of(const struct gp_labels *parent, const char *key, const char *value)
{
	uint64_t h = 0xcbf29ce484222325ull ^ gp_mix((uintptr_t)parent + 1);

	for (const char *s = key; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	h = (h ^ 0xff) * 0x100000001b3ull;	/* no byte of a string: "a"+"bc" != "ab"+"c" */
	for (const char *s = value; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return gp_mix(h);
}

static const struct gp_labels *find(struct gp_labels *const *slot, uint64_t h,
				    const struct gp_labels *parent, const char *key,
				    const char *value)
{
	for (const struct gp_labels *n = __atomic_load_n(slot, __ATOMIC_ACQUIRE); n;
	     n = __atomic_load_n(&n->chain, __ATOMIC_ACQUIRE))
		if (n->hash == h && n->parent == parent && strcmp(n->key, key) == 0 &&
		    strcmp(n->value, value) == 0)
			return n;
	return NULL;
}

/* The node (parent, key, value), made on first use; NULL when out of memory or nodes. */
static const struct gp_labels *intern(const struct gp_labels *parent, const char *key,
				      size_t klen, const char *value, size_t vlen)
{
	uint64_t h = hash_of(parent, key, value);
	struct gp_labels **slot = &slots[h & (LABEL_SLOTS - 1)];
	const struct gp_labels *hit = find(slot, h, parent, key, value);

	if (GP_LIKELY(hit != NULL))
		return hit;
	gp_heap_guard(1);	/* goprof's own lock: the lock profiles never record it */
	pthread_mutex_lock(&labels_lock);
	hit = find(slot, h, parent, key, value);
	if (!hit && nodes < LABEL_NODES_MAX) {
		struct gp_labels *n = __libc_malloc(sizeof(*n) + klen + vlen + 2);
		if (n) {
			char *k = (char *)(n + 1), *v = k + klen + 1;
			memcpy(k, key, klen + 1);
			memcpy(v, value, vlen + 1);
			n->parent = parent;
			n->hash = h;
			n->depth = parent ? parent->depth + 1 : 1;
			n->key = k;
			n->value = v;
			n->chain = *slot;
			__atomic_store_n(slot, n, __ATOMIC_RELEASE);
			nodes++;
			hit = n;
		}
	}
	pthread_mutex_unlock(&labels_lock);
	gp_heap_guard(0);
	return hit;
}

int goprof_label_push(const char *key, const char *value)
{
	if (!key || !value || !*key)
		return -EINVAL;
	size_t klen = strnlen(key, LABEL_STR_MAX + 1), vlen = strnlen(value, LABEL_STR_MAX + 1);
	if (klen > LABEL_STR_MAX || vlen > LABEL_STR_MAX)
		return -EINVAL;
	/* no database, no profile to carry them: nothing to do */
	if (!gp_config.database)
		return 0;

	int saved = errno;
	const struct gp_labels *n = intern(gp_labels_cur, key, klen, value, vlen);
	errno = saved;
	if (!n)
		return -ENOMEM;
	__atomic_store_n(&gp_labels_cur, n, __ATOMIC_RELEASE);
	if (__atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED))
		gp_labels_trace(n, 1);
	return 0;
}

void goprof_label_pop(void)
{
	const struct gp_labels *n = gp_labels_cur;

	if (!n || n->depth <= base_depth)
		return;
	if (__atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED))
		gp_labels_trace(n, 0);
	__atomic_store_n(&gp_labels_cur, n->parent, __ATOMIC_RELEASE);
}

void gp_labels_adopt(const struct gp_labels *inherited)
{
	base_depth = inherited ? inherited->depth : 0;
	__atomic_store_n(&gp_labels_cur, inherited, __ATOMIC_RELEASE);
}

void gp_labels_trace(const struct gp_labels *n, int push)
{
	char msg[2 * LABEL_STR_MAX + 8];
	size_t kl = strlen(n->key), vl = strlen(n->value);

	/* "key=value" when pushed, "key=value popped" when it goes */
	memcpy(msg, n->key, kl);
	msg[kl] = '=';
	memcpy(msg + kl + 1, n->value, vl);
	strcpy(msg + kl + 1 + vl, push ? "" : " popped");
	goprof_trace_log(0, "label", msg);
}

void gp_labels_atfork_child(void)
{
	/* another thread may have held it at the fork: published nodes are whole anyway */
	pthread_mutex_init(&labels_lock, NULL);
}
