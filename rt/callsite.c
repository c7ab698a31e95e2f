/*
 * Where each frame of a CPU sample was (writer thread only): the sampled PC for the
 * innermost function, and for every caller the address of its call to the next frame, so
 * that the exporter can name the line of each frame and the inlined calls around it. The
 * heap, block, mutex and threadcreate buckets go through the same matcher
 * (gp_intern_site_stack): their "PC" is the interposed call's return address - 1, and
 * their candidates come from gp_stack_scan_site(), run by the thread itself on the sampled
 * path only; that return address's own words among them are no caller's.
 *
 * DESIGN. The shadow stack knows which functions are on the machine stack, in order, but
 * not where in them; instrumented code pays nothing more for lines (DESIGN.md: the hot
 * path). The signal handler copies the words of the machine stack that point into
 * executable code (gp_stack_scan_returns); here, going outwards, each caller takes one of
 * the remaining words that
 *   - lies in that caller's function (its symbol, clone suffix removed, is the record's
 *     name), and
 *   - follows a call instruction: a direct call (e8) or an indirect one (ff /2).
 * A machine stack also holds stale return addresses: left by calls that have returned and
 * not yet overwritten, and copies that code below the caller made of its return address
 * (an unwinder's trace, a sanitizer's interceptor noting its caller: under ASan the big
 * frame of the interceptor around a blocking read() holds the caller's return address from
 * an earlier pthread_create()). Such a word inside a deeper frame is the one to beware of:
 * it sits nearer than the real return address. The real one is the word right below the
 * caller's own frame, which ends where the next frame out begins, at the first word that
 * is that frame's: so a caller takes the farthest of its words before the next frame's
 * first (the outermost frame, whose machine frame nothing of the stack's follows, the
 * farthest of all; a frame whose outer neighbour was cut off by the depth limit, the
 * nearest). A run of one word whose next frame is the same function stands for as many
 * frames of a recursion. A direct call names its target, so a word whose call goes to a
 * function of this frame or one further out, and not to the callee the stack says, is stale
 * (an earlier recursive call, say) and skipped. Calls to other targets are kept: the callee
 * may have been reached through code with no frame of its own (a tail-call-only function, a
 * PLT stub, an uninstrumented library calling back). A frame whose return address is not
 * found keeps address 0: its line is then the function's start, as before, never a wrong
 * one. The farthest word can be stale only when it lies in the caller's own frame (a word
 * of its locals not yet written, from an earlier call of the same function at a shallower
 * depth), which is rarer than a deeper frame's copies.
 *
 * A thread's latest sample also says where it runs between samples: the goroutine
 * snapshot shows a running thread at its latest sample's stack (the PC's function and
 * line, leaves included) while its shadow stack is still the one of that sample.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "writer.h"

/*
 * What the instruction before a return address is, cached per address. The object comes
 * first: a candidate in an object that holds none of the stack's function records (the C
 * library, say) cannot be a frame's, and its symbols are then never read.
 */
struct ret_info {
	uintptr_t obj_lo, obj_hi;	/* the object holding ra - 1; both 0 if none */
	int decoded;		/* the fields below are known */
	const char *func;	/* function holding ra - 1, NULL if none */
	const char *target;	/* a direct call's target function, NULL if unknown */
	int is_call;		/* a call instruction ends at ra */
};

static struct u64map by_ra;	/* ra -> index in infos + 1 */
static struct ret_info *infos;
static size_t ninfos, capinfos;

/* The length of an indirect call (ff /2) whose ModRM byte is m and SIB byte sib. */
static unsigned indirect_call_len(uint8_t m, uint8_t sib)
{
	unsigned mod = m >> 6, rm = m & 7, len = 2;

	if (((m >> 3) & 7) != 2)
		return 0;
	if (mod == 3)
		return len;
	if (rm == 4) {
		len++;
		if (mod == 0 && (sib & 7) == 5)
			len += 4;
	}
	if (mod == 0 && rm == 5)
		len += 4;
	return len + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

static void decode(uintptr_t ra, struct ret_info *out)
{
	struct gp_pc_info info;

	out->decoded = 1;
	if (gp_pc_lookup(ra - 1, &info) != 0 || !info.function)
		return;
	out->func = info.function;
	/* the bytes read must lie in the same executable mapping */
	if (ra - 8 < info.map_start || ra > info.map_end)
		return;
	const uint8_t *b = (const uint8_t *)ra;
	if (b[-5] == 0xe8) {
		int32_t rel;
		memcpy(&rel, b - 4, sizeof(rel));
		out->is_call = 1;
		if (gp_pc_lookup(ra + (uintptr_t)(intptr_t)rel, &info) == 0)
			out->target = info.function;
		return;
	}
	for (unsigned len = 2; len <= 7; len++)
		if (b[-(int)len] == 0xff && indirect_call_len(b[1 - (int)len], b[2 - (int)len]) == len) {
			out->is_call = 1;
			return;
		}
}

/* ra's entry, decoded when frame (a function record) lies in ra's object; NULL: no. */
static const struct ret_info *ret_info(uintptr_t ra, const void *frame)
{
	uint32_t i = gp_u64map_get(&by_ra, ra);
	struct ret_info *r;

	if (i) {
		r = &infos[i - 1];
	} else {
		if (gp_grow(&infos, &capinfos, ninfos + 1, sizeof(*infos)) != 0)
			return NULL;
		r = &infos[ninfos];
		memset(r, 0, sizeof(*r));
		if (gp_pc_object(ra - 1, &r->obj_lo, &r->obj_hi) != 0)
			r->obj_lo = r->obj_hi = 0;
		if (gp_u64map_put(&by_ra, ra, (uint32_t)ninfos + 1) != 0)
			return NULL;
		ninfos++;
	}
	if ((uintptr_t)gp_record_of(frame) - r->obj_lo >= r->obj_hi - r->obj_lo)
		return NULL;
	if (!r->decoded)
		decode(ra, r);
	return r;
}

static const char *record_name(const void *rec)
{
	struct gp_func fn;

	return gp_func_decode(rec, &fn) == 0 ? fn.name : NULL;
}

/* Is target the function of frame i or of one further out (the stack's outer end)? */
static int names_outer_frame(const char *target, const void *const *frames, uint32_t i,
			     uint32_t nframes)
{
	for (; i < nframes; i++) {
		const char *name = record_name(frames[i]);
		if (name && strcmp(name, target) == 0)
			return 1;
	}
	return 0;
}

/* Can candidate ra be frame i's return address: a call in name (the frame's function)? */
static int fits(const struct gp_sample *s, uintptr_t ra, uint32_t i, const char *name,
		const char *callee)
{
	/* a site's own return address (its copies in goprof's frames too) */
	if (s->pc && ra == s->pc + 1)
		return 0;
	const struct ret_info *r = ret_info(ra, s->frames[i]);
	if (!r || !r->is_call || !r->func || strcmp(r->func, name) != 0)
		return 0;
	return !r->target || (callee && strcmp(r->target, callee) == 0) ||
	       !names_outer_frame(r->target, s->frames, i, s->nframes);
}

#define RETURN_OF(word) ((word) & (((uintptr_t)1 << GP_RETURN_REPEATS_SHIFT) - 1))

void gp_callsite_match(const struct gp_sample *s, const char *pc_func, uintptr_t *addrs)
{
	uint32_t next = 0;	/* the first candidate not used yet */
	uintptr_t used = 0;	/* how many of its repeats were */

	for (uint32_t i = 0; i < s->nframes; i++) {
		const char *name = record_name(s->frames[i]);
		/* the callee: the next frame in, or the function the PC is in */
		const char *callee = i ? record_name(s->frames[i - 1]) : pc_func;
		uint32_t k = next;

		addrs[i] = 0;
		if (!name)
			continue;
		if (i == 0 && pc_func && strcmp(pc_func, name) == 0) {
			addrs[0] = s->pc;
			continue;
		}
		while (k < s->nreturns && !fits(s, RETURN_OF(s->returns[k]), i, name, callee))
			k++;
		if (k == s->nreturns)
			continue;
		/*
		 * The nearest to the frame, up to where the next frame out begins (its first
		 * candidate, or the copies left of this one's run): the outermost frame's, to
		 * the end.
		 */
		const char *outer = i + 1 < s->nframes ? record_name(s->frames[i + 1]) : NULL;
		uintptr_t left = (s->returns[k] >> GP_RETURN_REPEATS_SHIFT) - (k == next ? used : 0);
		if ((outer && !(left && fits(s, RETURN_OF(s->returns[k]), i + 1, outer, name))) ||
		    (i + 1 == s->nframes && !s->truncated))
			for (uint32_t j = k + 1; j < s->nreturns; j++) {
				uintptr_t ra = RETURN_OF(s->returns[j]);
				if (outer && fits(s, ra, i + 1, outer, name))
					break;
				if (fits(s, ra, i, name, callee))
					k = j;
			}
		addrs[i] = RETURN_OF(s->returns[k]) - 1;
		/* a run of one return address stands for as many frames */
		if (k == next && used < s->returns[k] >> GP_RETURN_REPEATS_SHIFT) {
			used++;
		} else if (k != next && s->returns[k] >> GP_RETURN_REPEATS_SHIFT) {
			next = k;
			used = 1;
		} else {
			next = k + 1;
			used = 0;
		}
	}
}

/* The latest CPU sample of each thread: its shadow frames' hash and its stack row. */
struct latest {
	uint64_t hash;
	uint32_t nframes, stack;
};

static struct u64map latest_by_tid;	/* tid -> index in latest + 1 */
static uint64_t hash_frames(const void *const *frames, uint32_t n)
{
	uint64_t h = n;

	for (uint32_t i = 0; i < n; i++)
		h = gp_mix(h ^ (uintptr_t)frames[i]);
	return h;
}

static struct latest *latest;
static size_t nlatest, caplatest;

void gp_callsite_note(uint32_t tid, const void *const *frames, uint32_t nframes, uint32_t stack)
{
	uint32_t i = gp_u64map_get(&latest_by_tid, tid);

	if (!i) {
		if (gp_grow(&latest, &caplatest, nlatest + 1, sizeof(*latest)) != 0 ||
		    gp_u64map_put(&latest_by_tid, tid, (uint32_t)nlatest + 1) != 0)
			return;
		i = (uint32_t)++nlatest;
	}
	latest[i - 1] = (struct latest){ hash_frames(frames, nframes), nframes, stack };
}

uint32_t gp_callsite_running(uint32_t tid, const void *const *frames, uint32_t nframes)
{
	uint32_t i = tid ? gp_u64map_get(&latest_by_tid, tid) : 0;

	if (!i || latest[i - 1].nframes != nframes ||
	    latest[i - 1].hash != hash_frames(frames, nframes))
		return 0;
	return latest[i - 1].stack;
}

int gp_callsite_each(int (*fn)(uint32_t stack, void *ctx), void *ctx)
{
	int rc = 0;

	for (size_t i = 0; i < nlatest && !rc; i++)
		rc = fn(latest[i].stack, ctx);
	return rc;
}
