/*
 * The writer thread's own allocator: every allocation the writer makes (goprof's tables,
 * SQLite's, glibc's on its behalf) comes from here, never from glibc's malloc, so that a
 * thread that dies holding one of glibc's arena locks can never leave the writer waiting
 * for it, before or during the crash flush (wrap-malloc.c routes the calls).
 *
 * DESIGN. Memory comes from chunks mapped with mmap (the first CHUNK_MIN bytes, each next
 * one twice as large up to CHUNK_MAX), handed out by a bump pointer in blocks of size
 * classes (16-byte steps up to 256 bytes, then four classes per power of two); a freed
 * block goes to its class's free list and is reused as it is. Each block starts with a
 * 16-byte header: its class and, for a block aligned beyond 16 bytes, the distance back to
 * the block the class counts. Nothing is returned to the system, but the pages of a freed
 * block of 256 KiB or more are given back (MADV_DONTNEED) until it is reused.
 *  - Threads: only the owner (the writer thread, gp_own_alloc() and friends) allocates
 *    and frees into the lists, without a lock. Another thread that frees an owned block
 *    (SQLite's shared file records, a fork child's reset of the writer's tables, the
 *    descriptor-loss path that closes the database on a program thread) pushes it on a
 *    lock-free stack, which the owner empties when a list runs dry. The chunk table only
 *    grows; gp_own_contains() reads it without a lock (count published with release).
 *  - Async-signal safety: nothing here waits for a lock, so a dying thread can hold none.
 *  - fork(): the writer is parked between rounds across fork (writer.c's busy_lock), so the
 *    child inherits consistent lists and its new writer thread becomes the owner.
 *  - Private mode (gp_malloc and friends, own-calls.c): the one thread of a fork child
 *    that writes its database at exit becomes the owner, and goprof's own calls and
 *    SQLite's allocate here instead of from the program's allocator.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define GP_ALLOC_DIRECT
#include "gp-internal.h"

#define CHUNK_MIN (4u << 20)
#define CHUNK_MAX (256u << 20)
#define CHUNKS 48			/* 4 MiB doubling to 256 MiB: over 10 GiB in all */
#define CLASSES 160
#define HEADER 16
#define GIVE_BACK_BYTES (256u << 10)	/* freed blocks this large give their pages back */

struct own_header {
	uint64_t cls;			/* size class */
	uint64_t back;			/* aligned block: bytes back to the class's block */
};

struct own_free {
	struct own_free *next;
};

static char *chunk_base[CHUNKS];	/* published by nchunks (release) */
static size_t chunk_bytes[CHUNKS];
static unsigned nchunks;		/* atomics */
static char *bump, *bump_end;		/* the owner's */
static size_t next_chunk = CHUNK_MIN;	/* the owner's */
static struct own_free *lists[CLASSES];	/* the owner's; headers precede the entries */
static struct own_free *remote;		/* atomics: pushed by other threads */

static unsigned class_of(size_t n)
{
	if (n <= 256)
		return n ? (unsigned)((n + 15) / 16 - 1) : 0;
	unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
	unsigned sub = (unsigned)((n - 1 - ((size_t)1 << k)) >> (k - 2));
	return 16 + (k - 8) * 4 + sub;
}

static size_t class_bytes(unsigned c)
{
	if (c < 16)
		return ((size_t)c + 1) * 16;
	unsigned k = (c - 16) / 4 + 8, sub = (c - 16) % 4;
	return ((size_t)1 << k) + ((size_t)sub + 1) * ((size_t)1 << (k - 2));
}

static struct own_header *header_of(const void *p)
{
	struct own_header *h = (struct own_header *)((char *)p - HEADER);

	return h->back ? (struct own_header *)((char *)h - h->back) : h;
}

int gp_own_contains(const void *p)
{
	unsigned n = __atomic_load_n(&nchunks, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++)
		if ((uintptr_t)p - (uintptr_t)chunk_base[i] < chunk_bytes[i])
			return 1;
	return 0;
}

/*
 * The owner: a new chunk of at least need bytes, smaller than planned when the address
 * space is capped (RLIMIT_AS); -1 when none can be mapped.
 */
static int grow(size_t need)
{
	unsigned n = nchunks;
	size_t bytes = next_chunk, least = (need + 65535) & ~(size_t)65535;
	void *m;

	if (n == CHUNKS)
		return -1;
	while (bytes < need)
		bytes *= 2;
	for (;;) {
		m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED)
			break;
		if (bytes <= least)
			return -1;
		bytes = bytes / 2 > least ? bytes / 2 : least;
	}
	chunk_base[n] = m;
	chunk_bytes[n] = bytes;
	__atomic_store_n(&nchunks, n + 1, __ATOMIC_RELEASE);
	bump = m;
	bump_end = (char *)m + bytes;
	if (next_chunk < CHUNK_MAX)
		next_chunk *= 2;
	return 0;
}

/* The owner: the blocks other threads freed go back to their lists. */
static void take_remote(void)
{
	struct own_free *f = __atomic_exchange_n(&remote, NULL, __ATOMIC_ACQUIRE);

	while (f) {
		struct own_free *next = f->next;
		unsigned c = (unsigned)((struct own_header *)((char *)f - HEADER))->cls;
		f->next = lists[c];
		lists[c] = f;
		f = next;
	}
}

void *gp_own_alloc(size_t n)
{
	if (n > ((size_t)1 << 40))
		return NULL;
	unsigned c = class_of(n);
	if (!lists[c] && __atomic_load_n(&remote, __ATOMIC_RELAXED))
		take_remote();
	struct own_free *f = lists[c];
	if (f) {
		lists[c] = f->next;
		return f;
	}
	size_t bytes = HEADER + class_bytes(c);
	if ((size_t)(bump_end - bump) < bytes && grow(bytes) != 0)
		return NULL;
	struct own_header *h = (struct own_header *)bump;
	bump += bytes;
	h->cls = c;
	h->back = 0;
	return (char *)h + HEADER;
}

void *gp_own_calloc(size_t n)
{
	void *p = gp_own_alloc(n);

	if (p)
		memset(p, 0, n);
	return p;
}

void *gp_own_memalign(size_t align, size_t n)
{
	if (align <= HEADER)
		return gp_own_alloc(n);
	if (align & (align - 1) || n > ((size_t)1 << 40) || align > ((size_t)1 << 30))
		return NULL;
	char *raw = gp_own_alloc(n + align);
	if (!raw)
		return NULL;
	char *p = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (p != raw) {
		/* a second header just before the aligned block points back at the first */
		struct own_header *h = (struct own_header *)(p - HEADER);
		h->cls = 0;
		h->back = (uint64_t)(p - raw);
	}
	return p;
}

size_t gp_own_usable(const void *p)
{
	struct own_header *h = header_of(p);
	char *block = (char *)h + HEADER;

	return class_bytes((unsigned)h->cls) - (size_t)((const char *)p - block);
}

void gp_own_free(void *p, int owner)
{
	struct own_header *h = header_of(p);
	struct own_free *f = (struct own_free *)((char *)h + HEADER);
	unsigned c = (unsigned)h->cls;

	if (!owner) {
		f->next = __atomic_load_n(&remote, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&remote, &f->next, f, 1, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
		return;
	}
	size_t bytes = class_bytes(c);
	if (bytes >= GIVE_BACK_BYTES) {
		/* the pages after the first (header and link) go back until the block is reused */
		uintptr_t from = ((uintptr_t)f + 4095) & ~(uintptr_t)4095;
		uintptr_t to = ((uintptr_t)f + bytes) & ~(uintptr_t)4095;
		if (to > from)
			madvise((void *)from, to - from, MADV_DONTNEED);
	}
	f->next = lists[c];
	lists[c] = f;
}

void *gp_own_realloc(void *old, size_t n, int owner)
{
	if (!old)
		return gp_own_alloc(n);
	size_t had = gp_own_usable(old);
	if (n <= had && n >= had / 2)
		return old;
	void *p = gp_own_alloc(n);
	if (!p)
		return NULL;
	memcpy(p, old, had < n ? had : n);
	gp_own_free(old, owner);
	return p;
}
