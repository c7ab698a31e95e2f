/*
 * The table of stack buckets the heap profile (wrap-malloc.c) and the block and mutex
 * profiles (lock-profile.c) each keep (struct gp_bucket_table, gp-internal.h): a bucket per
 * (stack, labels, the profile's own key), found by hash under the owner's lock, and pushed
 * on a list the writer thread walks without a lock (collect.c). The memory comes from the
 * table's pool, or without one from __libc_calloc: this runs inside the interposed malloc
 * and the lock wrappers, and the lock wrappers' waits may end in a signal handler that
 * interrupted malloc (their table has a pool). The heap's buckets are never freed; a table
 * with free lists (the lock profiles') lets its owner take a bucket out of the hash
 * (gp_bucket_unhash()) and, once the writer is done with it and it is off the list, give
 * its memory to the next bucket of as many words (gp_bucket_recycle()): no free(), so that
 * the memory stays the pool's.
 *
 * Inline, compiled into its two users: called from another file, the lookup cost the heap
 * profile at GOPROF_MEMPROFILE_RATE=4096 about 45 instructions a sample more (the call,
 * and the registers saved around it), 1.5 a malloc/free pair (bench/heap-bench.sh). Each
 * user's table is a static const (its list's head is a variable it points to), so that
 * the slots, their number and the frames' offset are constants in the inlined code: read
 * from a table that could change, they cost a sampled allocation 13 instructions more.
 */
#ifndef GOPROF_RT_BUCKET_H
#define GOPROF_RT_BUCKET_H

#include <stdint.h>
#include <string.h>

#include "gp-internal.h"

extern void *__libc_calloc(size_t n, size_t size);

static inline const void **gp_bucket_frames(const struct gp_bucket_table *t,
					    struct gp_bucket *b)
{
	return (const void **)((char *)b + t->frames_offset);
}

/* The return-address candidates kept after b's frames (b->nreturns of them). */
static inline uintptr_t *gp_bucket_returns(const struct gp_bucket_table *t, struct gp_bucket *b)
{
	return (uintptr_t *)(gp_bucket_frames(t, b) + b->nframes);
}

static inline int gp_bucket_is(const struct gp_bucket_table *t, struct gp_bucket *b,
				const void *key, uint32_t key_bytes, const void *const *top,
				uint32_t n, uint32_t truncated, const struct gp_labels *labels,
				const uintptr_t *returns, uint32_t nreturns)
{
	return b->nframes == n && b->truncated == truncated && b->labels == labels &&
	       b->nreturns == nreturns &&
	       (!key_bytes || memcmp(b + 1, key, key_bytes) == 0) &&
	       gp_frames_equal(gp_bucket_frames(t, b), top, n) &&
	       (!nreturns || memcmp(gp_bucket_returns(t, b), returns,
				    nreturns * sizeof(*returns)) == 0);
}

/* The owner's lock held: a recycled bucket of words frames and candidates, zeroed, or NULL. */
static inline struct gp_bucket *gp_bucket_reuse(const struct gp_bucket_table *t, uint32_t words,
						size_t bytes)
{
	struct gp_bucket **p = &t->spare[words % GP_BUCKET_FREE_BINS];

	for (struct gp_bucket *b = *p; b; p = &b->chain, b = b->chain) {
		if (b->nframes + b->nreturns == words) {
			*p = b->chain;
			memset(b, 0, bytes);
			return b;
		}
	}
	return NULL;
}

/* The owner's lock held: b leaves its hash chain; nobody finds it any more. */
static inline void gp_bucket_unhash(const struct gp_bucket_table *t, struct gp_bucket *b)
{
	for (struct gp_bucket **p = &t->slots[b->hash & (t->nslots - 1)]; *p; p = &(*p)->chain) {
		if (*p == b) {
			*p = b->chain;
			return;
		}
	}
}

/*
 * The owner's lock held: b, out of the hash and off the list, with no pointer to it left
 * anywhere, goes on its free list (its nframes and nreturns kept: its size).
 */
static inline void gp_bucket_recycle(const struct gp_bucket_table *t, struct gp_bucket *b)
{
	struct gp_bucket **p = &t->spare[(b->nframes + b->nreturns) % GP_BUCKET_FREE_BINS];

	b->chain = *p;
	*p = b;
}

/*
 * The owner's lock held: the bucket of (key, labels, the n innermost frames below top,
 * truncated more, the nreturns return-address candidates of gp_stack_scan_site()), found,
 * or made (from t's free lists first) and pushed on t->list with its counts zero. key is the
 * profile's own key_bytes (the same for every bucket of t, 0: none), copied right after
 * struct gp_bucket; key_hash is the caller's hash of it. NULL: out of memory. From a signal
 * handler only with a pool.
 */
static inline struct gp_bucket *gp_bucket_get(const struct gp_bucket_table *t, const void *key,
					      uint32_t key_bytes, uint64_t key_hash,
					      const void *const *top, uint32_t n,
					      uint32_t truncated, const struct gp_labels *labels,
					      const uintptr_t *returns, uint32_t nreturns)
{
	uint64_t h = gp_frames_hash(gp_mix(key_hash ^ n ^ (uint64_t)truncated << 32 ^
					   (uintptr_t)labels), top, n);

	for (uint32_t i = 0; i < nreturns; i++)
		h = gp_mix(h ^ returns[i]);
	struct gp_bucket **slot = &t->slots[h & (t->nslots - 1)];

	for (struct gp_bucket *b = *slot; b; b = b->chain)
		if (b->hash == h && gp_bucket_is(t, b, key, key_bytes, top, n, truncated, labels,
						 returns, nreturns))
			return b;
	size_t bytes = t->frames_offset + n * sizeof(void *) + nreturns * sizeof(*returns);
	struct gp_bucket *b = t->spare ? gp_bucket_reuse(t, n + nreturns, bytes) : NULL;
	if (!b)
		b = t->pool ? gp_pool_take(t->pool, bytes) : __libc_calloc(1, bytes);
	if (!b)
		return NULL;
	b->hash = h;
	b->labels = labels;
	b->nframes = n;
	b->truncated = truncated;
	if (key_bytes)
		memcpy(b + 1, key, key_bytes);
	gp_frames_copy(gp_bucket_frames(t, b), top, n);
	b->nreturns = nreturns;
	if (nreturns)
		memcpy(gp_bucket_returns(t, b), returns, nreturns * sizeof(*returns));
	b->chain = *slot;
	*slot = b;
	b->next = *t->list;
	__atomic_store_n(t->list, b, __ATOMIC_RELEASE);
	return b;
}

#endif
