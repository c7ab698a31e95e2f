/*
 * Shadow stacks: the thread-local pointer instrumented code pushes through, each thread's
 * slot array, and reading a stack back (goprof_callers).
 *
 * DESIGN. A thread starts with __goprof_sp pointing into one scratch array shared by every
 * thread not yet set up, so that the inlined push needs no branch and no per-thread
 * initialisation; scratch slots are garbage shared among such threads, but each keeps its
 * own depth. gp_stack_attach() (the thread itself, cold path) maps a private array and moves
 * the frames over. Its size follows from the machine stack: on x86-64 every frame below the
 * innermost takes at least 16 bytes of machine stack (return address plus alignment), so an
 * array of stack_bytes / 16 slots, plus slack for signal handlers on an alternate stack,
 * overflows only after the machine stack has. A guard page behind it turns anything
 * stranger into a clean fault rather than silent corruption. The mapping is MAP_NORESERVE:
 * only the pages a stack actually reaches are ever touched.
 *
 * The array may not be mappable (RLIMIT_AS, vm.max_map_count, strict overcommit, a huge
 * stack limit): the push cannot check a bound, so the guard lies in which array a thread is
 * given. A mapping without the guard page is tried next (one mapping fewer); failing that,
 * the thread stays on the scratch array for good, which is sized for a default 8 MiB machine
 * stack and so cannot overflow for such a thread. Only a thread whose larger machine stack
 * could not get its own array can go deeper: a guard page at the scratch's end then stops
 * it with a fault rather than letting it write past the array. The scratch is shared, so a
 * thread living on it reads as having no frames of its own; the failure is said once.
 *
 * Only the owning thread writes its slots and pointer; a signal handler on that thread
 * pushes and pops above the interrupted frame and restores the pointer before it returns.
 * Other threads may read a stack without stopping its thread and then get a best-effort
 * copy.
 */
#include "config.h"

#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gp-internal.h"
#include "ring.h"

#define SLACK_SLOTS 8192u
#define MIN_STACK_BYTES (1u << 20)
#define MAX_STACK_BYTES (1ul << 32)
#define MAX_TEXT_RANGES 64
#define SCAN_BYTES (64u << 10)	/* machine stack searched for return addresses per sample */

#define scratch gp_scratch
#define SCRATCH_SLOTS GP_SCRATCH_SLOTS

static __thread struct gp_stack own __attribute__((tls_model("initial-exec")));

/* The size of the calling thread's machine stack, as far as it can be known. */
static size_t current_stack_bytes(void)
{
	size_t bytes = 0;
	struct rlimit rl;

	if (getpid() != gettid()) {
		pthread_attr_t attr;
		if (pthread_getattr_np(pthread_self(), &attr) == 0) {
			pthread_attr_getstacksize(&attr, &bytes);
			pthread_attr_destroy(&attr);
		}
	} else if (getrlimit(RLIMIT_STACK, &rl) == 0) {
		bytes = rl.rlim_cur == RLIM_INFINITY ? MAX_STACK_BYTES : rl.rlim_cur;
	}
	if (bytes < MIN_STACK_BYTES)
		bytes = MIN_STACK_BYTES;
	return bytes > MAX_STACK_BYTES ? MAX_STACK_BYTES : bytes;
}

void gp_stack_init(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	/* the guard is whole pages inside the array, past its usable slots */
	if (page && page <= GP_SCRATCH_GUARD_BYTES)
		mprotect(scratch + SCRATCH_SLOTS, GP_SCRATCH_GUARD_BYTES, PROT_NONE);
}

/* A private slot array of bytes, with a guard page behind it if one can be had; NULL: none. */
static const void **map_slots(size_t bytes, size_t page, size_t *map_bytes)
{
	char *map = mmap(NULL, bytes + page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (map != MAP_FAILED) {
		if (mprotect(map + bytes, page, PROT_NONE) == 0) {
			*map_bytes = bytes + page;
			return (const void **)map;
		}
		/* the guard splits the mapping in two: vm.max_map_count may forbid that */
		munmap(map, bytes + page);
	}
	map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	*map_bytes = bytes;
	return (const void **)map;
}

/* glibc's: the stack pointer at the process's entry (where argc lies) */
extern void *__libc_stack_end;

/*
 * Where the calling thread's machine stack lies, for the return-address scan. The main
 * thread's ends where the process entered: above lie argv, the environment and the
 * auxiliary vector, kilobytes that hold no return address and that every scan would read.
 */
static void note_machine_stack(void)
{
	pthread_attr_t attr;
	void *lo;
	size_t bytes;

	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	if (pthread_attr_getstack(&attr, &lo, &bytes) == 0) {
		own.mstack_lo = (uintptr_t)lo;
		own.mstack_hi = (uintptr_t)lo + bytes;
		uintptr_t entry = (uintptr_t)__libc_stack_end;
		if (getpid() == gettid() && entry > own.mstack_lo && entry < own.mstack_hi)
			own.mstack_hi = entry + sizeof(void *);
	}
	pthread_attr_destroy(&attr);
}

int gp_stack_attach(size_t stack_bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (own.base || own.fallback)
		return 0;
	note_machine_stack();
	if (!stack_bytes)
		stack_bytes = current_stack_bytes();
	size_t cap = stack_bytes / 16 + SLACK_SLOTS;
	size_t bytes = (cap * sizeof(void *) + page - 1) & ~(page - 1);
	cap = bytes / sizeof(void *);

	size_t map_bytes;
	const void **base = map_slots(bytes, page, &map_bytes);
	if (!base) {
		int err = errno;
		own.fallback = 1;
		gp_warn_once("cannot map a shadow stack (%s): threads without one run on a shared "
			     "fallback of %u frames and their samples show no callers",
			     strerror(err), SCRATCH_SLOTS);
		return -err;
	}

	const void **sp = __goprof_sp;
	size_t depth = 0;
	if (sp >= scratch && sp <= scratch + SCRATCH_SLOTS) {
		depth = (size_t)(sp - scratch);
		if (depth > cap)
			depth = cap;
		memcpy(base, scratch, depth * sizeof(void *));
	}
	own.base = base;
	own.cap = cap;
	own.map_bytes = map_bytes;
	__goprof_sp = base + depth;
	return 0;
}

void gp_stack_detach(void)
{
	struct gp_stack old = own;

	if (!old.base)
		return;
	__goprof_sp = scratch;
	memset(&own, 0, sizeof(own));
	munmap(old.base, old.map_bytes);
}

void gp_stack_bounds(const void ***base, const void ***top)
{
	const void **b = own.base ? own.base : scratch;
	size_t cap = own.base ? own.cap : SCRATCH_SLOTS;
	const void **t = __goprof_sp;

	/* a thread on the fallback for good shares its slots: none of them is surely its own */
	if (t < b || t > b + cap || own.fallback)
		t = b;
	*base = b;
	*top = t;
}

/*
 * The executable segments of the loaded objects, as the signal handler's scan reads them:
 * published whole through one pointer, never changed, never freed (a handler may still hold
 * an older one; a new set is made only when an object came or went).
 */
struct text_ranges {
	uintptr_t min, span;	/* all of them lie in [min, min + span) */
	size_t n;
	uintptr_t lo[MAX_TEXT_RANGES];
	uintptr_t len[MAX_TEXT_RANGES];
};

static _Atomic(const struct text_ranges *) text;
static unsigned long long text_adds = ~0ull, text_subs = ~0ull;

static int add_text(struct dl_phdr_info *info, size_t size, void *p)
{
	struct text_ranges *r = p;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum && r->n < MAX_TEXT_RANGES; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			r->lo[r->n] = info->dlpi_addr + ph->p_vaddr;
			r->len[r->n++] = ph->p_memsz;
		}
	}
	return 0;
}

static int loader_counts(struct dl_phdr_info *info, size_t size, void *p)
{
	unsigned long long *c = p;

	(void)size;
	c[0] = info->dlpi_adds;
	c[1] = info->dlpi_subs;
	return 1;
}

void gp_stack_text_refresh(void)
{
	unsigned long long c[2] = { 0, 0 };

	dl_iterate_phdr(loader_counts, c);
	if (c[0] == text_adds && c[1] == text_subs)
		return;
	struct text_ranges *r = calloc(1, sizeof(*r));
	if (!r)
		return;
	dl_iterate_phdr(add_text, r);
	uintptr_t hi = 0;
	r->min = r->n ? UINTPTR_MAX : 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->lo[i] < r->min)
			r->min = r->lo[i];
		if (r->lo[i] + r->len[i] > hi)
			hi = r->lo[i] + r->len[i];
	}
	r->span = hi - r->min;
	text_adds = c[0];
	text_subs = c[1];
	atomic_store_explicit(&text, r, memory_order_release);
}

/*
 * The search every user shares, over the words [w, end): into ring's record at (from its
 * word first on) when ring, else into out[]. Inlined into each, so that the signal
 * handler's loop stays as it was.
 *
 * It reads every word of the machine stack above sp, whatever it holds: under ASan, the
 * redzones between the program's stack objects too, which ASan would report as an
 * underflow. The reads are deliberate and stay within the thread's stack, so neither it
 * nor its callers are instrumented.
 */
#define GP_NO_ASAN __attribute__((no_sanitize_address))
static inline __attribute__((always_inline)) GP_NO_ASAN uint64_t
scan_words(const uintptr_t *w, const uintptr_t *end, struct gp_ring *ring, uint64_t at,
	   uint64_t first, uintptr_t *out, uint64_t max)
{
	const struct text_ranges *r = atomic_load_explicit(&text, memory_order_acquire);
	uint64_t n = 0;
	uintptr_t last = 0, repeats = 0;

	if (!r)
		return 0;
	for (; w < end; w++) {
		uintptr_t v = *w;
		if (v == last && n && repeats < GP_RETURN_REPEATS_MAX) {
			/* a run of one address (recursion, stale or live) takes one word */
			v |= ++repeats << GP_RETURN_REPEATS_SHIFT;
			if (ring)
				gp_ring_put(ring, at, first + n - 1, v);
			else
				out[n - 1] = v;
			continue;
		}
		if (v - r->min >= r->span)	/* most words: data, stack addresses */
			continue;
		for (size_t i = 0; i < r->n; i++)
			if (v - r->lo[i] < r->len[i]) {
				if (n == max)
					return n;
				if (ring)
					gp_ring_put(ring, at, first + n, v);
				else
					out[n] = v;
				n++;
				last = v;
				repeats = 0;
				break;
			}
	}
	return n;
}

/* The calling thread's words from sp up, at most SCAN_BYTES of them. */
static inline __attribute__((always_inline)) GP_NO_ASAN uint64_t
scan_returns(uintptr_t sp, struct gp_ring *ring, uint64_t at, uint64_t first, uintptr_t *out,
	     uint64_t max)
{
	if (sp < own.mstack_lo || sp >= own.mstack_hi)
		return 0;
	uintptr_t end = own.mstack_hi - sp > SCAN_BYTES ? sp + SCAN_BYTES : own.mstack_hi;
	return scan_words((const uintptr_t *)(sp & ~(uintptr_t)7),
			  (const uintptr_t *)(end & ~(uintptr_t)7), ring, at, first, out, max);
}

GP_NO_ASAN uint64_t gp_stack_scan_returns(uintptr_t sp, struct gp_ring *ring, uint64_t at,
					  uint64_t first, uint64_t max)
{
	return scan_returns(sp, ring, at, first, NULL, max);
}

GP_NO_ASAN uint32_t gp_stack_scan_site(uintptr_t fp, uintptr_t *out, uint32_t max)
{
	return (uint32_t)scan_returns(fp, NULL, 0, 0, out, max);
}

uint32_t gp_stack_scan_words(const uintptr_t *words, size_t n, uintptr_t *out, uint32_t max)
{
	return (uint32_t)scan_words(words, words + n, NULL, 0, 0, out, max);
}

uintptr_t gp_stack_machine_top(void)
{
	return own.mstack_hi;
}

void gp_stack_region(const void ***base, size_t *cap)
{
	*base = own.base;
	*cap = own.cap;
}

/* The executable's GOT anchor (gp-abi.h), when its code pushes GOT offsets. */
extern const intptr_t __goprof_got __attribute__((weak));

const void *gp_record_of(const void *word)
{
	intptr_t w = (intptr_t)word;

	if (w <= -GP_GOT_SPAN || w >= GP_GOT_SPAN || !w || (w & 7) || !&__goprof_got)
		return word;
	/* as integers: the table lies outside the 8-byte anchor, which GCC would warn of */
	uintptr_t got = (uintptr_t)&__goprof_got + (uintptr_t)__goprof_got;
	return *(const void *const *)(got + (uintptr_t)w);
}

int gp_func_decode(const void *p, struct gp_func *out)
{
	const unsigned char *r = gp_record_of(p);
	uint32_t hdr[4];

	if (!r || ((uintptr_t)r & (GP_FUNC_ALIGN - 1)))
		return -1;
	memcpy(hdr, r, sizeof(hdr));
	if (hdr[0] != GP_FUNC_MAGIC || hdr[1] < GP_FUNC_HEADER_SIZE + 2)
		return -1;
	out->name = (const char *)r + GP_FUNC_HEADER_SIZE;
	out->file = out->name + strlen(out->name) + 1;
	out->line = hdr[2];
	out->flags = hdr[3];
	return 0;
}

static void fill_frame(struct goprof_frame *f, const void *record)
{
	struct gp_func fn;

	if (gp_func_decode(record, &fn) == 0) {
		f->function = fn.name;
		f->file = fn.file;
		f->line = (int)fn.line;
	} else {
		f->function = "[unknown]";
		f->file = "";
		f->line = 0;
	}
}

int goprof_callers(struct goprof_frame *frames, int max)
{
	const void **base, **top;
	int n = 0;

	if (max <= 0)
		return 0;
	gp_stack_bounds(&base, &top);
	for (const void **slot = top; slot > base && n < max; n++) {
		if (n == max - 1 && slot - 1 > base) {
			frames[n].function = "[truncated]";
			frames[n].file = "";
			frames[n].line = 0;
			return n + 1;
		}
		fill_frame(&frames[n], *--slot);
	}
	return n;
}

int goprof_depth(void)
{
	const void **base, **top;

	gp_stack_bounds(&base, &top);
	return (int)(top - base);
}
