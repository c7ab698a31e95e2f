/*
 * Heap profiling: the malloc family, interposed, with Go's sampling (one allocation per
 * GOPROF_MEMPROFILE_RATE bytes on average, chosen by a Poisson process) and Go's records
 * (per allocation stack: sampled objects and bytes allocated, and freed).
 *
 * DESIGN. Contexts: every wrapper runs on the program's threads (hot path); the writer
 * thread reads the records (gp_heap_buckets(), writer.c collect_heap()).
 *  - Off (no database, rate 0, or before the constructor ran): each wrapper is one test of
 *    heap_on and a tail call of glibc's __libc_* function. glibc's own early allocations,
 *    dlsym's calloc and anything before gp_heap_init() take that path.
 *  - Fast path: the thread's countdown (TLS, initial-exec) minus the size; while it stays
 *    positive nothing else happens: no lock, no stack, no allocation. free() of a block
 *    looks at one word of a fixed filter (address bits -> number of sampled blocks live
 *    there) and goes on when it is zero, which it nearly always is. A relaxed load is
 *    enough: a block's free happens after its malloc, in the same thread or through the
 *    synchronisation the program needed to hand the pointer over.
 *  - Slow path (a sampled allocation, or a free whose filter word is non-zero): under
 *    heap_lock, the innermost shadow-stack frames find or make their bucket (stacks are
 *    interned: a bucket is never freed and its frames never change) and the block goes into
 *    the side table keyed by address; a free finds its block there and charges the free to
 *    the block's bucket. The side table and buckets get their memory from __libc_malloc.
 *  - A per-thread guard (TLS) marks goprof's own work: inside the slow path, on the writer
 *    thread (sqlite), in goprof's thread set-up. A guarded thread's allocations are never
 *    sampled and its frees never looked up, so goprof never profiles itself and never
 *    re-enters heap_lock.
 *  - The writer walks the bucket list (new buckets are pushed at its head with a release
 *    store) without the lock and reads the cumulative counters atomically; what it last
 *    wrote is writer-owned state inside each bucket.
 *  - fork(): heap_lock is taken across fork (atfork handlers) so the child never inherits
 *    it held.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gp-internal.h"

/* glibc's allocator under its own names (exported by libc.so.6). */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

#define FILTER_WORDS (1u << 16)		/* free()'s filter: 256 KiB of counters */
#define BUCKET_SLOTS (1u << 14)		/* stack hash -> bucket chains */

struct heap_tls {
	int64_t countdown;		/* bytes until the next sample; owning thread */
	uint64_t rng;			/* xorshift state, 0 = not seeded yet */
	int guard;			/* >0: forward only (goprof's own allocations) */
};

static __thread struct heap_tls tls __attribute__((tls_model("initial-exec")));

static int heap_on;			/* set once by gp_heap_init, before any thread */
static uint64_t rate;			/* bytes, >= 1 when heap_on */

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t filter[FILTER_WORDS];	/* heap_lock to write; read atomically by free */
static struct gp_heap_bucket *bucket_slots[BUCKET_SLOTS];	/* heap_lock */
static struct gp_heap_bucket *bucket_list;	/* push: heap_lock + release; walk: acquire */

struct block {
	uintptr_t addr;			/* 0 = empty, 1 = deleted */
	uint64_t size;
	struct gp_heap_bucket *bucket;
};

static struct block *table;		/* heap_lock: open addressing, linear probing */
static size_t table_cap, table_used;	/* used counts deleted slots too */

static inline uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* Blocks are 16-byte aligned: the next 16 address bits. */
static inline uint32_t filter_of(const void *p)
{
	return (uint32_t)(((uintptr_t)p >> 4) & (FILTER_WORDS - 1));
}

/*
 * ln(u) for u in (0, 1], to about 1e-8: libgoprof does not need libm (a static libgoprof
 * would make every program link it). u = m * 2^e with m in [1, 2), and
 * ln(m) = 2 atanh(t), t = (m - 1) / (m + 1) <= 1/3, whose odd series converges fast.
 */
static double ln_unit(double u)
{
	uint64_t bits;

	memcpy(&bits, &u, sizeof(bits));
	int e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & ~(0x7ffull << 52)) | (1023ull << 52);
	double m;
	memcpy(&m, &bits, sizeof(m));
	double t = (m - 1) / (m + 1), t2 = t * t, sum = 0;
	for (int k = 15; k >= 1; k -= 2)
		sum = sum * t2 + 1.0 / k;
	return e * 0.69314718055994530942 + 2 * t * sum;
}

/*
 * The next distance between samples: exponential with mean rate, as Go's
 * fastexprand(), so that every byte has the same chance 1/rate of being sampled and an
 * allocation of n bytes is sampled with probability 1 - exp(-n/rate), the probability
 * the exporter's unsampling scale undoes.
 */
static int64_t next_countdown(void)
{
	if (rate <= 1)
		return 0;
	if (!tls.rng) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		tls.rng = mix((uint64_t)ts.tv_nsec ^ (uint64_t)gettid() << 32 ^
			      (uintptr_t)&tls) | 1;
	}
	tls.rng ^= tls.rng << 13;
	tls.rng ^= tls.rng >> 7;
	tls.rng ^= tls.rng << 17;
	/* u in (0, 1]: log(u) is finite */
	double u = ((double)(tls.rng >> 11) + 1.0) / 9007199254740992.0;
	double d = -ln_unit(u) * (double)rate;
	return d > 4e18 ? INT64_MAX : (int64_t)d + 1;
}

/*
 * heap_lock held: the bucket of the n innermost frames below top (the thread's shadow
 * stack, read in place: it does not change while this thread is in here).
 */
static struct gp_heap_bucket *bucket_of(const void **top, uint32_t n, uint32_t truncated)
{
	uint64_t h = mix(n ^ (uint64_t)truncated << 32);

	for (uint32_t i = 0; i < n; i++)
		h = mix(h ^ (uintptr_t)top[-1 - (int64_t)i]);
	struct gp_heap_bucket **slot = &bucket_slots[h & (BUCKET_SLOTS - 1)];
	for (struct gp_heap_bucket *b = *slot; b; b = b->chain) {
		if (b->hash != h || b->nframes != n || b->truncated != truncated)
			continue;
		uint32_t i = 0;
		while (i < n && b->frames[i] == top[-1 - (int64_t)i])
			i++;
		if (i == n)
			return b;
	}
	struct gp_heap_bucket *b = __libc_calloc(1, sizeof(*b) + n * sizeof(b->frames[0]));
	if (!b)
		return NULL;
	b->hash = h;
	b->nframes = n;
	b->truncated = truncated;
	for (uint32_t i = 0; i < n; i++)
		b->frames[i] = top[-1 - (int64_t)i];
	b->chain = *slot;
	*slot = b;
	b->next = bucket_list;
	__atomic_store_n(&bucket_list, b, __ATOMIC_RELEASE);
	return b;
}

static int table_grow(void)
{
	size_t cap = table_cap ? table_cap * 2 : 4096;
	size_t live = 0;

	for (size_t i = 0; i < table_cap; i++)
		live += table[i].addr > 1;
	/* mostly deleted slots: rehash at the same size */
	if (table_cap && live * 4 < table_cap)
		cap = table_cap;
	struct block *t = __libc_calloc(cap, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < table_cap; i++) {
		if (table[i].addr <= 1)
			continue;
		size_t j = mix(table[i].addr) & (cap - 1);
		while (t[j].addr)
			j = (j + 1) & (cap - 1);
		t[j] = table[i];
	}
	__libc_free(table);
	table = t;
	table_cap = cap;
	table_used = live;
	return 0;
}

/* heap_lock held: the slot of addr, NULL if it is not a sampled block. */
static struct block *table_find(uintptr_t addr)
{
	if (!table_cap)
		return NULL;
	for (size_t j = mix(addr) & (table_cap - 1);; j = (j + 1) & (table_cap - 1)) {
		if (table[j].addr == addr)
			return &table[j];
		if (!table[j].addr)
			return NULL;
	}
}

static void forget_block(struct block *blk)
{
	struct gp_heap_bucket *b = blk->bucket;

	__atomic_fetch_add(&b->free_objects, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&b->free_bytes, blk->size, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&filter[filter_of((void *)blk->addr)], 1, __ATOMIC_RELAXED);
	blk->addr = 1;
}

/* heap_lock held: charges a sampled block of size bytes at p to b. */
static void remember_block(void *p, uint64_t size, struct gp_heap_bucket *b)
{
	__atomic_fetch_add(&b->alloc_objects, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&b->alloc_bytes, size, __ATOMIC_RELAXED);
	/* a stale entry for p (freed by a guarded thread) is replaced */
	struct block *old = table_find((uintptr_t)p);
	if (old)
		forget_block(old);
	if ((table_used + 1) * 2 > table_cap && table_grow() != 0)
		return;
	size_t j = mix((uintptr_t)p) & (table_cap - 1);
	while (table[j].addr > 1)
		j = (j + 1) & (table_cap - 1);
	if (!table[j].addr)
		table_used++;
	table[j] = (struct block){ (uintptr_t)p, size, b };
	__atomic_fetch_add(&filter[filter_of(p)], 1, __ATOMIC_RELAXED);
}

/* Records one sampled block with the calling thread's stack. */
static void record_alloc(void *p, uint64_t size)
{
	const void **base, **top;
	int saved = errno;

	gp_stack_bounds(&base, &top);
	uint64_t depth = (uint64_t)(top - base);
	uint64_t keep = depth < gp_config.stack_depth ? depth : gp_config.stack_depth;

	tls.guard++;
	pthread_mutex_lock(&heap_lock);
	struct gp_heap_bucket *b = bucket_of(top, (uint32_t)keep, (uint32_t)(depth - keep));
	if (b)
		remember_block(p, size, b);
	pthread_mutex_unlock(&heap_lock);
	tls.guard--;
	errno = saved;
}

static __attribute__((noinline)) void record_free(void *p)
{
	if (!p || tls.guard)
		return;
	tls.guard++;
	pthread_mutex_lock(&heap_lock);
	struct block *blk = table_find((uintptr_t)p);
	if (blk)
		forget_block(blk);
	pthread_mutex_unlock(&heap_lock);
	tls.guard--;
}

/* Slow path of an allocation of n bytes at p: decides and records. */
static __attribute__((noinline)) void sample_slow(void *p, size_t n)
{
	if (tls.guard)
		return;
	/* a thread's first allocation seeds its countdown */
	int64_t left = tls.countdown - (int64_t)n;
	if (!tls.rng && rate > 1)
		left = next_countdown() - (int64_t)n;
	if (left > 0) {
		tls.countdown = left;
		return;
	}
	tls.countdown = next_countdown();
	if (p)
		record_alloc(p, n);
}

static inline void after_alloc(void *p, size_t n)
{
	/* Go's test: sample when the countdown would cross zero */
	int64_t left = tls.countdown - (int64_t)n;
	if (GP_LIKELY(left > 0))
		tls.countdown = left;
	else
		sample_slow(p, n);
}

static inline void before_free(void *p)
{
	if (GP_UNLIKELY(__atomic_load_n(&filter[filter_of(p)], __ATOMIC_RELAXED) != 0))
		record_free(p);
}

static __attribute__((noinline)) void *malloc_slow(size_t n)
{
	void *p = __libc_malloc(n);

	sample_slow(p, n);
	return p;
}

GOPROF_API void *malloc(size_t n)
{
	/*
	 * The countdown goes first, so that the common case ends in a tail call of glibc's
	 * malloc: no frame, nothing kept across the call (about 8 instructions).
	 */
	if (GP_UNLIKELY(heap_on)) {
		int64_t left = tls.countdown - (int64_t)n;
		if (GP_UNLIKELY(left <= 0))
			return malloc_slow(n);
		tls.countdown = left;
	}
	return __libc_malloc(n);
}

GOPROF_API void free(void *p)
{
	if (GP_UNLIKELY(heap_on))
		before_free(p);
	__libc_free(p);
}

GOPROF_API void *calloc(size_t n, size_t size)
{
	void *p = __libc_calloc(n, size);

	if (GP_UNLIKELY(heap_on) && p)
		after_alloc(p, n * size);
	return p;
}

GOPROF_API void *realloc(void *old, size_t n)
{
	if (GP_LIKELY(!heap_on))
		return __libc_realloc(old, n);
	/*
	 * The old block's record goes first: once __libc_realloc returns, its address may
	 * already belong to another thread's new block. A failed realloc keeps the old block
	 * but loses its record: in use is under-counted by one sample, never wrong otherwise.
	 */
	if (old)
		before_free(old);
	void *p = __libc_realloc(old, n);
	/* realloc(p, 0) frees p and returns NULL (glibc): no new block */
	if (!old || n)
		after_alloc(p, n);
	return p;
}

GOPROF_API void *reallocarray(void *old, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, bytes);
}

GOPROF_API int posix_memalign(void **out, size_t align, size_t n)
{
	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || !align)
		return EINVAL;
	int saved = errno;
	void *p = __libc_memalign(align, n);
	if (!p) {
		int err = errno;
		errno = saved;
		return err ? err : ENOMEM;
	}
	*out = p;
	if (GP_UNLIKELY(heap_on))
		after_alloc(p, n);
	return 0;
}

GOPROF_API void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	if (GP_UNLIKELY(heap_on) && p)
		after_alloc(p, n);
	return p;
}

/* glibc 2.36's aligned_alloc is memalign (a non-power-of-two alignment is rounded up). */
GOPROF_API void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

GOPROF_API void *valloc(size_t n)
{
	void *p = __libc_valloc(n);

	if (GP_UNLIKELY(heap_on) && p)
		after_alloc(p, n);
	return p;
}

GOPROF_API void *pvalloc(size_t n)
{
	void *p = __libc_pvalloc(n);

	if (GP_UNLIKELY(heap_on) && p)
		after_alloc(p, n);
	return p;
}

void goprof_alloc_record(const void *p, size_t n)
{
	if (heap_on && p)
		after_alloc((void *)p, n);
}

void goprof_free_record(const void *p)
{
	if (heap_on && p)
		before_free((void *)p);
}

void gp_heap_guard(int on)
{
	tls.guard += on ? 1 : -1;
}

int gp_heap_guarded(void)
{
	return tls.guard;
}

int gp_heap_init(void)
{
	if (!gp_config.db_pattern || !gp_config.mem_rate)
		return 0;
	rate = gp_config.mem_rate;
	tls.countdown = next_countdown();
	__atomic_store_n(&heap_on, 1, __ATOMIC_RELEASE);
	return 0;
}

uint64_t gp_heap_rate(void)
{
	return heap_on ? rate : 0;
}

struct gp_heap_bucket *gp_heap_buckets(void)
{
	return __atomic_load_n(&bucket_list, __ATOMIC_ACQUIRE);
}

void gp_heap_atfork_prepare(void)
{
	if (heap_on)
		pthread_mutex_lock(&heap_lock);
}

void gp_heap_atfork_parent(void)
{
	if (heap_on)
		pthread_mutex_unlock(&heap_lock);
}

void gp_heap_atfork_child(void)
{
	if (!heap_on)
		return;
	/* the child's writer starts over: its database gets the whole history again */
	for (struct gp_heap_bucket *b = bucket_list; b; b = b->next)
		memset(&b->written, 0, sizeof(b->written));
	pthread_mutex_unlock(&heap_lock);
}
