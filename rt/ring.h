/*
 * A one-writer/one-reader ring of 64-bit words carrying variable-length records, with a
 * drop counter. The writer is a signal handler on the owning thread, the reader the
 * collector thread.
 *
 * Async-signal contract: gp_ring_reserve/put/commit take no lock, allocates nothing and calls
 * nothing; it publishes a record with one release store of the tail, so the reader sees a
 * record whole or not at all. When the record does not fit it counts a drop instead.
 * gp_ring_read() is called by one reader at a time and frees space with a release store of
 * the head. Nothing else touches a ring while it is in use.
 */
#ifndef GOPROF_RT_RING_H
#define GOPROF_RT_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct gp_ring {
	_Atomic uint64_t head;		/* words consumed; reader */
	_Atomic uint64_t tail;		/* words published; writer */
	_Atomic uint64_t drops;		/* records that did not fit; writer */
	uint64_t drops_read;		/* drops already reported; reader */
	uint64_t mask;			/* capacity in words - 1 (a power of two) */
	uint64_t words[];
};

/* A ring of 2^order words (mmap, cold path); NULL on failure. */
struct gp_ring *gp_ring_new(unsigned order);
void gp_ring_free(struct gp_ring *r);

/*
 * Starts a record of n words; returns its first word's index, or UINT64_MAX (and counts a
 * drop) when it does not fit. Fill it with gp_ring_put(), publish it with
 * gp_ring_commit(). Signal-safe.
 */
static inline uint64_t gp_ring_reserve(struct gp_ring *r, uint64_t n)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);

	if (r->mask + 1 - (t - h) < n + 1) {
		atomic_fetch_add_explicit(&r->drops, 1, memory_order_relaxed);
		return UINT64_MAX;
	}
	r->words[t & r->mask] = n;
	return t + 1;
}

static inline void gp_ring_put(struct gp_ring *r, uint64_t at, uint64_t i, uint64_t word)
{
	r->words[(at + i) & r->mask] = word;
}

/* Shortens the record at `at` to n words (no more than it reserved), before its commit. */
static inline void gp_ring_shrink(struct gp_ring *r, uint64_t at, uint64_t n)
{
	r->words[(at - 1) & r->mask] = n;
}

static inline void gp_ring_commit(struct gp_ring *r, uint64_t at, uint64_t n)
{
	atomic_store_explicit(&r->tail, at + n, memory_order_release);
}

/*
 * Copies the oldest record into buf (room for max words) and consumes it. Returns its
 * length in words, 0 when the ring is empty. A record longer than max is consumed and
 * cut to max words.
 */
static inline uint64_t gp_ring_read(struct gp_ring *r, uint64_t *buf, uint64_t max)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (h == t)
		return 0;
	uint64_t n = r->words[h & r->mask];
	for (uint64_t i = 0; i < n && i < max; i++)
		buf[i] = r->words[(h + 1 + i) & r->mask];
	atomic_store_explicit(&r->head, h + 1 + n, memory_order_release);
	return n < max ? n : max;
}

#endif
