/*
 * Heap profiling: the malloc family, interposed, with Go's sampling (one allocation per
 * GOPROF_MEMPROFILE_RATE bytes on average, chosen by a Poisson process) and Go's records
 * (per allocation stack: sampled objects and bytes allocated, and freed).
 *
 * DESIGN. Contexts: every wrapper runs on the program's threads (hot path); the writer
 * thread reads the records (gp_heap_buckets(), collect.c gp_collect_heap()) and the call
 * counters (gp_heap_stats()).
 *  - malloc and calloc are not gated by heap_on: their fast path is the thread's countdown
 *    (TLS, initial-exec) minus the size and one counter increment, then a jump through the
 *    GOT to glibc (no PLT). While profiling is off a thread's first allocation sets its
 *    countdown out of reach (INT64_MAX), so the same path never leaves the fast path.
 *    free and realloc test the thread's state first (HEAP_STATE: one compare of a TLS word
 *    with HEAP_ON and two jumps): below, off (profiling off, or a thread goprof did not
 *    set up: glibc's early allocations and dlsym's calloc before gp_heap_init() too),
 *    straight to glibc; equal, the fast path; above, goprof's own work (the writer's
 *    blocks, below). The rarer wrappers test heap_on.
 *  - Fast path, profiling on: while the countdown stays positive nothing else happens: no
 *    lock, no stack, no allocation. free() counts the call and looks at one word of a fixed
 *    filter (address bits -> number of sampled blocks live there) and goes on when it is
 *    zero, which it nearly always is. A relaxed load is enough: a block's free happens after
 *    its malloc, in the same thread or through the synchronisation the program needed to
 *    hand the pointer over.
 *  - Slow path (a sampled allocation, or a free whose filter word is non-zero): under
 *    heap_lock, the innermost shadow-stack frames and the thread's labels (labels.c) find or
 *    make their bucket (stacks are interned: a bucket is never freed and its frames never
 *    change, so a block keeps its labels until it is freed) and the block goes into
 *    the side table keyed by address; a free finds its block there and charges the free to
 *    the block's bucket. The side table and buckets get their memory from __libc_malloc.
 *    The bucket is keyed by the words of the machine stack that may be return addresses
 *    too (gp_stack_scan_site(), before the lock; a few thousand instructions, on a
 *    sampled allocation only): the writer finds each caller's call line among them (callsite.c),
 *    so one function calling from two lines makes two buckets, as Go's PCs do.
 *  - A per-thread guard (TLS) marks goprof's own work: inside the slow path, on the writer
 *    thread (sqlite), in goprof's thread set-up. A guarded thread's allocations are never
 *    sampled and its frees never looked up, so goprof never profiles itself and never
 *    re-enters heap_lock.
 *  - The writer walks the bucket list (new buckets are pushed at its head with a release
 *    store) without the lock and reads the cumulative counters atomically; what it last
 *    wrote is writer-owned state inside each bucket.
 *  - Call counters (the heap profile's MemStats): plain per-thread TLS counters, written
 *    only by their thread. A thread joins the registry (heap_lock) when goprof sets it up
 *    (the main thread at start, the others in thread.c's trampoline) and at its end folds
 *    its totals into the ended totals and leaves; the writer sums those and the
 *    live threads' counters under heap_lock. realloc(p, n) of a block to a new size is a
 *    free and an allocation, counted once in a counter of its own that adds to both.
 *    Bytes allocated are not counted at all: they are what the countdown consumed,
 *    alloc_base - countdown, where alloc_base moves only
 *    on the slow path (under a per-thread sequence count, so that the writer never reads
 *    one without the other). A plain bytes counter would be one more add per
 *    allocation, an atomic one a locked add; the two counters left are one add each.
 *    Measured with callgrind on bench/heap-micro.c (BENCHMARKS.md): 162.3 instructions
 *    per malloc/free pair at the default rate against 150.5 without a database and 140.1
 *    for glibc alone. What a thread allocates or frees after its end hook ran (other
 *    keys' destructors) and threads goprof never set up are not counted.
 *  - fork(): heap_lock is taken across fork (atfork handlers) so the child never inherits
 *    it held; the child folds the other threads' counters (they do not exist there).
 *  - The writer never uses glibc's malloc (own-alloc.c): a thread that dies of a signal
 *    may hold one of glibc's arena locks (a fault or an abort inside malloc), and the
 *    writer, which allocates all the time, may be waiting for it already when the crash
 *    flush begins, or need it for the last commit. gp_heap_own() makes the writer the
 *    owner of own-alloc.c's blocks: its countdown is made negative for good, so malloc
 *    and calloc reach own-alloc.c through their slow path; its state is HEAP_OWN, so free
 *    and realloc reach it through the compare they make anyway; the aligned allocators
 *    test tls.own. Every guarded thread (goprof's work on the program's threads, the HTTP
 *    server's) is HEAP_OWN too, and its free of one of the writer's blocks hands the block
 *    back (own-alloc.c); the program's threads never hold one. A block of glibc's that
 *    the writer frees goes back to glibc, except in a crash flush (gp_heap_crash(), signal
 *    context, sets HEAP_CRASH in heap_on), where it is left. Nothing is added to the
 *    program's threads' malloc and calloc; free and realloc read a TLS word instead of
 *    heap_on, which costs them nothing while profiling (the TLS offset was loaded for the
 *    call counter anyway) and one load while off.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* this file is the program's malloc: goprof's own calls stay as they are */
#define GP_ALLOC_DIRECT
#include "gp-internal.h"
#include "bucket.h"

/*
 * glibc's allocator under its own names (exported by libc.so.6). noplt: the wrappers' tail
 * calls jump through the GOT at once instead of through a PLT stub, one jump less.
 */
#define NOPLT __attribute__((noplt))
extern NOPLT void *__libc_malloc(size_t n);
extern NOPLT void *__libc_calloc(size_t n, size_t size);
extern NOPLT void *__libc_realloc(void *p, size_t n);
extern NOPLT void __libc_free(void *p);
/*
 * The same functions under second names: free's and realloc's two tail calls (profiling
 * off, and on) would otherwise be merged into one, and the path taken while profiling
 * would jump once more to reach it.
 */
extern NOPLT void libc_free_on(void *p) __asm__("__libc_free");
extern NOPLT void *libc_realloc_on(void *p, size_t n) __asm__("__libc_realloc");
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

#define FILTER_WORDS (1u << 16)		/* free()'s filter: 256 KiB of counters */
#define BUCKET_SLOTS (1u << 14)		/* stack hash -> bucket chains */

/* Written by the owning thread only; the writer reads the counters (heap_lock held). */
struct heap_tls {
	int state;			/* HEAP_OFF, HEAP_ON or HEAP_OWN: free's and realloc's path */
	int64_t countdown;		/* bytes until the next sample */
	uint64_t mallocs;		/* allocation calls */
	uint64_t frees;			/* free calls while heap_on, free(NULL) included */
	uint64_t null_frees;		/* free(NULL) calls among frees */
	uint64_t reallocs;		/* realloc(p, n) calls, p and n not 0: one of each */
	int64_t alloc_base;		/* bytes allocated = alloc_base - countdown */
	unsigned seq;			/* odd while alloc_base and countdown change */
	int guard;			/* >0: forward only (goprof's own allocations) */
	int own;			/* the writer: own-alloc.c's blocks only */
	int on;				/* set up while profiling: state HEAP_ON when not guarded */
	int64_t own_countdown;		/* the countdown before gp_heap_own(1) */
	uint64_t rng;			/* xorshift state, 0 = not seeded yet */
	struct heap_tls *next;		/* registry link (heap_lock) */
	struct heap_tls **prev;		/* the pointer to this entry, NULL: not registered */
};

static __thread struct heap_tls tls __attribute__((tls_model("initial-exec")));

#define HEAP_ON 1			/* profiling: set once by gp_heap_init, before any thread */
#define HEAP_CRASH 2			/* a crash flush runs: set once, in signal context */
static int heap_on;			/* HEAP_ON | HEAP_CRASH; atomically */
static uint64_t rate;			/* bytes, >= 1 when profiling */

/* tls.state: below HEAP_ON, glibc at once; above, goprof's own blocks are looked for */
#define HEAP_OFF 0
#define HEAP_OWN 2

static inline int profiling(void)
{
	return __atomic_load_n(&heap_on, __ATOMIC_RELAXED) & HEAP_ON;
}

/*
 * free's and realloc's first step: the thread's three cases in one compare with memory,
 * jumping to the label off for HEAP_OFF, to own for HEAP_OWN (goprof's own work, which may
 * free the writer's blocks), and going on for HEAP_ON. A plain C test reads the state into
 * a register and tests it twice (five instructions against three).
 */
#define HEAP_STATE(off, own)                                                           \
	asm goto("cmpl %1, %0\n\tjb %l[" #off "]\n\tja %l[" #own "]"                    \
		 : : "m"(tls.state), "i"(HEAP_ON) : "cc" : off, own)
_Static_assert(HEAP_OFF < HEAP_ON && HEAP_OWN > HEAP_ON, "HEAP_STATE's compare");

/*
 * The calling thread's state, after a change of its guard (gp_heap_guard(), the one way
 * to change it, the slow paths' own guarding included), ownership or set-up.
 */
static void refresh_state(void)
{
	tls.state = tls.guard > 0 || tls.own ? HEAP_OWN : tls.on ? HEAP_ON : HEAP_OFF;
}

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t filter[FILTER_WORDS];	/* heap_lock to write (atomics); free reads */
static struct gp_bucket *bucket_slots[BUCKET_SLOTS];	/* heap_lock */
GP_BUCKET_LAYOUT(struct gp_heap_bucket);
static struct gp_bucket *bucket_list;	/* heap_lock to push */
_Static_assert(offsetof(struct gp_heap_bucket, site) == sizeof(struct gp_bucket),
	       "the heap buckets' own key follows struct gp_bucket");
static const struct gp_bucket_table buckets = {
	.slots = bucket_slots,
	.nslots = BUCKET_SLOTS,
	.frames_offset = offsetof(struct gp_heap_bucket, frames),
	.list = &bucket_list,
};
static struct heap_tls *threads;	/* registered threads' counters; heap_lock */
static struct gp_heap_stats ended;	/* ended threads' counters; heap_lock */

/*
 * filter[0] always carries this bias: a free(NULL) (and the rare block whose address bits
 * index word 0) takes the slow path, which counts it as not a free, so that the fast path
 * counts every free call without testing the pointer.
 */
#define FILTER_NULL_BIAS 0x80000000u

struct block {
	uintptr_t addr;			/* 0 = empty, 1 = deleted */
	uint64_t size;
	struct gp_heap_bucket *bucket;
};

static struct block *table;		/* heap_lock: open addressing, linear probing */
static size_t table_cap, table_used;	/* used counts deleted slots too */

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
		tls.rng = gp_mix(gp_mono_ns() ^ (uint64_t)gettid() << 32 ^ (uintptr_t)&tls) | 1;
	}
	tls.rng ^= tls.rng << 13;
	tls.rng ^= tls.rng >> 7;
	tls.rng ^= tls.rng << 17;
	/* u in (0, 1]: log(u) is finite */
	double u = ((double)(tls.rng >> 11) + 1.0) / 9007199254740992.0;
	double d = -ln_unit(u) * (double)rate;
	return d > 4e18 ? INT64_MAX : (int64_t)d + 1;
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
		size_t j = gp_mix(table[i].addr) & (cap - 1);
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
	for (size_t j = gp_mix(addr) & (table_cap - 1);; j = (j + 1) & (table_cap - 1)) {
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
	size_t j = gp_mix((uintptr_t)p) & (table_cap - 1);
	while (table[j].addr > 1)
		j = (j + 1) & (table_cap - 1);
	if (!table[j].addr)
		table_used++;
	table[j] = (struct block){ (uintptr_t)p, size, b };
	__atomic_fetch_add(&filter[filter_of(p)], 1, __ATOMIC_RELAXED);
}

/*
 * Records one sampled block with the calling thread's stack, the allocating call and the
 * machine stack's return-address candidates (each caller's call line, found by the writer).
 */
static void record_alloc(void *p, uint64_t size, uintptr_t site)
{
	const void **base, **top;
	uintptr_t returns[GP_SITE_RETURNS_MAX];
	int saved = errno;

	gp_stack_bounds(&base, &top);
	uint64_t depth = (uint64_t)(top - base);
	uint64_t keep = depth < gp_config.stack_depth ? depth : gp_config.stack_depth;
	uint32_t nreturns = gp_stack_scan_site((uintptr_t)__builtin_frame_address(0), returns,
					       GP_SITE_RETURNS(keep));

	gp_heap_guard(1);
	pthread_mutex_lock(&heap_lock);
	/* the shadow stack read in place: it does not change while this thread is in here */
	struct gp_heap_bucket *b = (struct gp_heap_bucket *)gp_bucket_get(
		&buckets, &site, sizeof(site), gp_mix(site), top, (uint32_t)keep,
		(uint32_t)(depth - keep), gp_labels_cur, returns, nreturns);
	if (b)
		remember_block(p, size, b);
	pthread_mutex_unlock(&heap_lock);
	gp_heap_guard(0);
	errno = saved;
}

/*
 * Sets the countdown to next, moving alloc_base by as much so that alloc_base - countdown,
 * the thread's bytes allocated, stays. Owning thread, slow path.
 */
static void set_countdown(int64_t next)
{
	unsigned s = tls.seq;

	__atomic_store_n(&tls.seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	tls.alloc_base += next - tls.countdown;
	tls.countdown = next;
	__atomic_store_n(&tls.seq, s + 2, __ATOMIC_RELEASE);
}

/* heap_lock held: t's bytes allocated, read while t may be allocating. */
static uint64_t alloc_bytes_of(struct heap_tls *t)
{
	int64_t base, cd;
	unsigned s;

	/* a thread stopped inside set_countdown must not hang the writer: a bounded retry */
	for (int tries = 0;; tries++) {
		s = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		base = __atomic_load_n(&t->alloc_base, __ATOMIC_RELAXED);
		cd = __atomic_load_n(&t->countdown, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((!(s & 1) && s == __atomic_load_n(&t->seq, __ATOMIC_RELAXED)) || tries == 1000)
			break;
	}
	return (uint64_t)(base - cd);
}

/* heap_lock held: adds t's counters to out. */
static void add_counters(struct gp_heap_stats *out, struct heap_tls *t)
{
	uint64_t reallocs = __atomic_load_n(&t->reallocs, __ATOMIC_RELAXED);

	out->mallocs += __atomic_load_n(&t->mallocs, __ATOMIC_RELAXED) + reallocs;
	out->frees += __atomic_load_n(&t->frees, __ATOMIC_RELAXED) + reallocs -
		      __atomic_load_n(&t->null_frees, __ATOMIC_RELAXED);
	out->alloc_bytes += alloc_bytes_of(t);
}

/* heap_lock held: t's counters go to the ended totals and t leaves the registry. */
static void unregister(struct heap_tls *t)
{
	add_counters(&ended, t);
	*t->prev = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = NULL;
	t->prev = NULL;
}

/* p (not NULL) is about to be freed: its record goes, if it is a sampled block. */
static __attribute__((noinline)) void forget(void *p)
{
	gp_heap_guard(1);
	pthread_mutex_lock(&heap_lock);
	struct block *blk = table_find((uintptr_t)p);
	if (blk)
		forget_block(blk);
	pthread_mutex_unlock(&heap_lock);
	gp_heap_guard(0);
}

/* Frees p (its record first, when it may be a sampled block). */
static __attribute__((noinline)) void free_slow(void *p)
{
	if (!p) {
		tls.null_frees++;
		return;
	}
	if (!tls.guard)
		forget(p);
	__libc_free(p);
}

/*
 * Go's test: sample when the countdown would cross zero. One subtract from memory and one
 * branch: the countdown goes down by n and the result is 1 when it is now <= 0 (a signed
 * compare of the old countdown with n, so a size beyond INT64_MAX never takes the slow
 * path; glibc refuses it anyway). The C form (load, subtract, test, branch, store) is
 * three instructions longer.
 */
static inline int countdown_crossed(size_t n)
{
	/*
	 * The countdown is an input with a memory clobber, not an output: GCC 12 drops the
	 * jump's target when an asm goto has an "+m" output.
	 */
	asm goto("subq %1, %0\n\tjle %l[crossed]" : : "m"(tls.countdown), "r"(n) : "cc", "memory"
		 : crossed);
	return 0;
crossed:
	return 1;
}

/*
 * Slow path of an allocation of n bytes at p (NULL: it failed), whose countdown_crossed()
 * took the countdown to zero or below: decides and records.
 */
/* site: the return address of the program's call of the allocator (its call line) */
static __attribute__((noinline)) void sample_slow(void *p, size_t n, uintptr_t site)
{
	if (!profiling()) {
		/* off: this thread's countdown never reaches zero again */
		tls.countdown = INT64_MAX;
		return;
	}
	int64_t left = tls.countdown;
	/* a thread's first allocation seeds its countdown (it started at 0) */
	if (!tls.rng && rate > 1)
		left += next_countdown();
	if (left > 0) {
		set_countdown(left);
		return;
	}
	set_countdown(next_countdown());
	if (p && !tls.guard)
		record_alloc(p, n, site);
}

/* After an allocation of n bytes at p by the rarer wrappers (not malloc, calloc). */
static inline void after_alloc(void *p, size_t n, uintptr_t site)
{
	if (GP_UNLIKELY(countdown_crossed(n)))
		sample_slow(p, n, site);
}

/* Whether p's filter word is non-zero (one compare with memory and a branch). */
static inline int filter_hit(const void *p)
{
	asm goto("cmpl $0, %0\n\tjne %l[hit]" : : "m"(filter[filter_of(p)]) : "cc" : hit);
	return 0;
hit:
	return 1;
}

/* Before p is freed: its record goes when it may be a sampled block. */
static inline void before_free(void *p)
{
	if (GP_UNLIKELY(filter_hit(p)) && p && !tls.guard)
		forget(p);
}

/* glibc's size of its block p: its own function (reads the block's header, takes no lock) */
static size_t libc_usable(void *p)
{
	static size_t (*usable)(void *);

	if (!usable)
		usable = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	return usable ? usable(p) : 0;
}

/*
 * The writer's allocations: glibc's only when no memory can be mapped any more (an
 * address-space cap), which loses the guarantee but not the database.
 */
static void *own_alloc(size_t n)
{
	void *p = gp_own_alloc(n);

	return p ? p : __libc_malloc(n);
}

static void *own_calloc(size_t n, size_t size, size_t bytes)
{
	void *p = gp_own_calloc(bytes);

	return p ? p : __libc_calloc(n, size);
}

/*
 * The writer frees a block of glibc's (one another thread made): back to glibc, except in
 * a crash flush, where the dying thread may hold the arena lock free would wait for: left.
 */
static void own_free_foreign(void *p)
{
	if (!gp_heap_crashing())
		__libc_free(p);
}

/* realloc on the writer: its own blocks; a block of glibc's is copied into one */
static __attribute__((noinline)) void *own_realloc(void *old, size_t n)
{
	int mine = !old || gp_own_contains(old);

	if (!n) {
		if (mine && old)
			gp_own_free(old, 1);
		else if (old)
			own_free_foreign(old);
		return NULL;
	}
	if (mine) {
		void *p = gp_own_realloc(old, n, 1);
		if (p)
			return p;
		/* no memory left to map (own_alloc) */
		if ((p = __libc_malloc(n)) && old) {
			size_t had = gp_own_usable(old);
			memcpy(p, old, had < n ? had : n);
			gp_own_free(old, 1);
		}
		return p;
	}
	void *p = own_alloc(n);
	if (p) {
		size_t had = libc_usable(old);
		memcpy(p, old, had < n ? had : n);
		own_free_foreign(old);
	}
	return p;
}

/* realloc of one of the writer's blocks on another thread (goprof's work there): glibc's */
static __attribute__((noinline)) void *realloc_from_own(void *old, size_t n)
{
	void *p = n ? __libc_malloc(n) : NULL;

	if (p || !n) {
		size_t had = gp_own_usable(old);
		if (p)
			memcpy(p, old, had < n ? had : n);
		gp_own_free(old, 0);
	}
	return p;
}

static __attribute__((noinline)) void *malloc_slow(size_t n, uintptr_t site)
{
	if (GP_UNLIKELY(tls.own))
		return own_alloc(n);
	void *p = __libc_malloc(n);

	sample_slow(p, n, site);
	return p;
}

GOPROF_API void *malloc(size_t n)
{
	/*
	 * The countdown goes first, so that the common case is a tail call of glibc's
	 * malloc: no frame, nothing kept across the call (five instructions in all).
	 */
	tls.mallocs++;
	if (GP_UNLIKELY(countdown_crossed(n)))
		return malloc_slow(n, GP_CALL_SITE());
	return __libc_malloc(n);
}

/* free's path while profiling: the call counted, a sampled block's record dropped */
static inline void free_on(void *p)
{
	tls.frees++;
	/* non-zero for NULL too (FILTER_NULL_BIAS) */
	if (GP_UNLIKELY(filter_hit(p))) {
		free_slow(p);
		return;
	}
	libc_free_on(p);
}

/* free on a thread doing goprof's own work: the writer's blocks go back to it, never to glibc */
static __attribute__((noinline)) void free_own(void *p)
{
	if (p && gp_own_contains(p))
		gp_own_free(p, tls.own);
	else if (tls.own)
		own_free_foreign(p);
	else if (profiling())
		free_on(p);
	else
		__libc_free(p);
}

GOPROF_API void free(void *p)
{
	HEAP_STATE(off, own);
	free_on(p);
	return;
own:
	/* a tail call: the fast path above keeps no frame */
	free_own(p);
	return;
off:
	__libc_free(p);
}

static __attribute__((noinline)) void *calloc_slow(size_t n, size_t size, size_t bytes,
						  uintptr_t site)
{
	if (GP_UNLIKELY(tls.own))
		return own_calloc(n, size, bytes);
	void *p = __libc_calloc(n, size);

	sample_slow(p, bytes, site);
	return p;
}

GOPROF_API void *calloc(size_t n, size_t size)
{
	size_t bytes;

	/* an overflowing size fails in glibc: nothing allocated, nothing to count */
	if (GP_UNLIKELY(__builtin_mul_overflow(n, size, &bytes)))
		return __libc_calloc(n, size);
	tls.mallocs++;
	if (GP_UNLIKELY(countdown_crossed(bytes)))
		return calloc_slow(n, size, bytes, GP_CALL_SITE());
	return __libc_calloc(n, size);
}

/*
 * realloc's slow path: old's record goes first (once __libc_realloc returns, its address
 * may already belong to another thread's new block), then the new block is sampled when
 * the countdown crossed zero. A failed realloc keeps the old block but loses its record:
 * in use is under-counted by one sample, never wrong otherwise.
 */
static __attribute__((noinline)) void *realloc_slow(void *old, size_t n, int crossed,
						   uintptr_t site)
{
	if (old)
		before_free(old);
	void *p = __libc_realloc(old, n);
	if (crossed)
		sample_slow(p, n, site);
	return p;
}

/* realloc(old, 0), old not NULL: a free */
static __attribute__((noinline)) void *realloc_free(void *old)
{
	tls.frees++;
	return realloc_slow(old, 0, 0, 0);
}

/* realloc on a thread doing goprof's own work (HEAP_OWN) */
static __attribute__((noinline)) void *realloc_own(void *old, size_t n)
{
	if (tls.own)
		return own_realloc(old, n);
	if (old && gp_own_contains(old))
		return realloc_from_own(old, n);
	if (!profiling())
		return __libc_realloc(old, n);
	/* a block of glibc's: counted as on the fast path, never sampled (guarded) */
	if (!old) {
		tls.mallocs++;
	} else if (!n) {
		tls.frees++;
		return realloc_slow(old, 0, 0, 0);
	} else {
		tls.reallocs++;
	}
	return realloc_slow(old, n, countdown_crossed(n), 0);
}

GOPROF_API void *realloc(void *old, size_t n)
{
	/* programs whose allocator is realloc (Lua) get malloc's and free's fast paths */
	HEAP_STATE(off, own);
	/* realloc(NULL, n), Lua's every allocation, is a malloc */
	if (!old) {
		tls.mallocs++;
		if (GP_UNLIKELY(countdown_crossed(n)))
			goto sampled;
		return libc_realloc_on(NULL, n);
	}
	/* realloc(p, 0) frees p and returns NULL (glibc): no new block */
	if (GP_UNLIKELY(!n))
		return realloc_free(old);
	/* one counter for the free and the malloc */
	tls.reallocs++;
	if (GP_UNLIKELY(countdown_crossed(n)))
		goto sampled;
	if (GP_UNLIKELY(filter_hit(old)))
		return realloc_slow(old, n, 0, 0);
	return libc_realloc_on(old, n);
sampled:
	/* one place reads the call site: the frame it needs stays off the fast path */
	return realloc_slow(old, n, 1, GP_CALL_SITE());
own:
	/* a tail call: the fast path above keeps no frame */
	return realloc_own(old, n);
off:
	return __libc_realloc(old, n);
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

/* After p, a block of n bytes from one of the aligned allocators. */
static void after_aligned(void *p, size_t n, uintptr_t site)
{
	if (GP_UNLIKELY(profiling()) && p) {
		tls.mallocs++;
		after_alloc(p, n, site);
	}
}

GOPROF_API int posix_memalign(void **out, size_t align, size_t n)
{
	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || !align)
		return EINVAL;
	int saved = errno;
	void *p = GP_UNLIKELY(tls.own) ? gp_own_memalign(align, n) : __libc_memalign(align, n);
	if (!p) {
		int err = errno;
		errno = saved;
		return err ? err : ENOMEM;
	}
	*out = p;
	after_aligned(p, n, GP_CALL_SITE());
	return 0;
}

static void *memalign_at(size_t align, size_t n, uintptr_t site)
{
	if (GP_UNLIKELY(tls.own))
		return gp_own_memalign(align, n);
	void *p = __libc_memalign(align, n);

	after_aligned(p, n, site);
	return p;
}

GOPROF_API void *memalign(size_t align, size_t n)
{
	return memalign_at(align, n, GP_CALL_SITE());
}

/* glibc 2.36's aligned_alloc is memalign (a non-power-of-two alignment is rounded up). */
GOPROF_API void *aligned_alloc(size_t align, size_t n)
{
	return memalign_at(align, n, GP_CALL_SITE());
}

GOPROF_API void *valloc(size_t n)
{
	if (GP_UNLIKELY(tls.own))
		return gp_own_memalign(4096, n);
	void *p = __libc_valloc(n);

	after_aligned(p, n, GP_CALL_SITE());
	return p;
}

GOPROF_API void *pvalloc(size_t n)
{
	if (GP_UNLIKELY(tls.own))
		return gp_own_memalign(4096, (n + 4095) & ~(size_t)4095);
	void *p = __libc_pvalloc(n);

	after_aligned(p, n, GP_CALL_SITE());
	return p;
}

/* The writer's blocks are sized by own-alloc.c; everything else by glibc. */
GOPROF_API size_t malloc_usable_size(void *p)
{
	if (p && gp_own_contains(p))
		return gp_own_usable(p);
	return p ? libc_usable(p) : 0;
}

/* The program's own allocator's blocks count as allocations and frees, calls included. */
void goprof_alloc_record(const void *p, size_t n)
{
	if (profiling() && p) {
		tls.mallocs++;
		after_alloc((void *)p, n, GP_CALL_SITE());
	}
}

void goprof_free_record(const void *p)
{
	if (profiling() && p) {
		tls.frees++;
		before_free((void *)p);
	}
}

void gp_heap_guard(int on)
{
	tls.guard += on ? 1 : -1;
	refresh_state();
}

void gp_heap_own(int on)
{
	if (on) {
		/* the countdown never crosses back: every allocation takes the slow path */
		tls.own_countdown = tls.countdown;
		tls.countdown = INT64_MIN / 2;
	} else {
		tls.countdown = tls.own_countdown;
	}
	tls.own = on;
	refresh_state();
}

int gp_heap_guarded(void)
{
	return tls.guard;
}

#ifdef GP_SANITIZE
/*
 * --enable-sanitizers: in a program built with AddressSanitizer, libasan comes first and
 * its allocator is the program's malloc, so these wrappers never run; the same accounting
 * is fed from ASan's allocation hooks instead. (Where libasan comes after libgoprof, the
 * wrappers run and forward to glibc, and ASan's allocator, hence its hooks, is not used.)
 */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));

static void asan_malloc_hook(const volatile void *p, size_t n)
{
	tls.mallocs++;
	/* the hook runs inside ASan's allocator: the program's call line is not known here,
	   and site 0 charges the sample to the allocating function */
	if (GP_UNLIKELY(countdown_crossed(n)))
		sample_slow((void *)p, n, 0);
}

static void asan_free_hook(const volatile void *p)
{
	if (!profiling())
		return;
	tls.frees++;
	before_free((void *)p);
}
#endif

int gp_heap_init(void)
{
	if (!gp_config.db_pattern || !gp_config.mem_rate)
		return 0;
	rate = gp_config.mem_rate;
	filter[0] = FILTER_NULL_BIAS;
	/* the main thread's counts start now: what it did before is not in the profile */
	memset(&tls.countdown, 0, offsetof(struct heap_tls, guard) - offsetof(struct heap_tls, countdown));
	set_countdown(next_countdown());
	__atomic_or_fetch(&heap_on, HEAP_ON, __ATOMIC_RELEASE);
#ifdef GP_SANITIZE
	__sanitizer_install_malloc_and_free_hooks(asan_malloc_hook, asan_free_hook);
#endif
	gp_heap_thread_start();
	return 0;
}

void gp_heap_thread_start(void)
{
	if (!profiling() || tls.prev)
		return;
	tls.on = 1;
	gp_heap_guard(1);
	pthread_mutex_lock(&heap_lock);
	tls.next = threads;
	if (threads)
		threads->prev = &tls.next;
	threads = &tls;
	tls.prev = &threads;
	pthread_mutex_unlock(&heap_lock);
	gp_heap_guard(0);
}

void gp_heap_thread_end(void)
{
	if (!tls.prev)
		return;
	gp_heap_guard(1);
	pthread_mutex_lock(&heap_lock);
	unregister(&tls);
	pthread_mutex_unlock(&heap_lock);
	gp_heap_guard(0);
}

int gp_heap_stats(struct gp_heap_stats *out)
{
	struct timespec until;

	if (!profiling())
		return -1;
	/*
	 * Bounded: a thread that died of a signal inside the slow path holds heap_lock
	 * for good, and the crash flush must still commit the samples.
	 */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 100000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	gp_heap_guard(1);
	if (pthread_mutex_timedlock(&heap_lock, &until) != 0) {
		gp_heap_guard(0);
		return -1;
	}
	*out = ended;
	for (struct heap_tls *t = threads; t; t = t->next)
		add_counters(out, t);
	pthread_mutex_unlock(&heap_lock);
	gp_heap_guard(0);
	return 0;
}

uint64_t gp_heap_rate(void)
{
	return profiling() ? rate : 0;
}

struct gp_heap_bucket *gp_heap_buckets(void)
{
	return (struct gp_heap_bucket *)__atomic_load_n(&bucket_list, __ATOMIC_ACQUIRE);
}

void gp_heap_atfork_prepare(void)
{
	if (profiling())
		pthread_mutex_lock(&heap_lock);
}

void gp_heap_atfork_parent(void)
{
	if (profiling())
		pthread_mutex_unlock(&heap_lock);
}

void gp_heap_atfork_child(void)
{
	if (!profiling())
		return;
	/* the child's writer starts over: its database gets the whole history again */
	for (struct gp_heap_bucket *b = (struct gp_heap_bucket *)bucket_list; b; b = b->next)
		memset(&b->written, 0, sizeof(b->written));
	/* the other threads' counters stay in their (copied) TLS, which glibc may reuse */
	while (threads && threads != &tls)
		unregister(threads);
	if (threads)
		for (struct heap_tls *t = threads->next; t; t = threads->next)
			unregister(t);
	pthread_mutex_unlock(&heap_lock);
}

void gp_heap_crash(void)
{
	__atomic_or_fetch(&heap_on, HEAP_CRASH, __ATOMIC_SEQ_CST);
}

int gp_heap_crashing(void)
{
	return __atomic_load_n(&heap_on, __ATOMIC_ACQUIRE) & HEAP_CRASH;
}
