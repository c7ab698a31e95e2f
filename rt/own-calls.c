/*
 * goprof's own calls of malloc, calloc, realloc, free and strdup (the macros at the end of
 * gp-internal.h send every rt file's calls here), and SQLite's allocator under
 * AddressSanitizer.
 *
 * DESIGN. Outside private mode each call is the program's malloc's (goprof's wrappers, or
 * AddressSanitizer's, which comes first where it is linked in). Private mode is set once,
 * for the rest of the process, by a fork child that writes its database on its exiting
 * thread (writer.c's gp_writer_forked_exit), the one thread goprof works on from then on:
 * AddressSanitizer's allocator keeps the locks another thread held at the fork, so any of
 * its calls could wait for ever. That thread becomes the owner of own-alloc.c, whose blocks
 * the calls then use; a block of the program's allocator freed there is left where it is
 * (its memory ends with the process), and one reallocated fails, its size being unknown
 * without that allocator's locks.
 */
#include "config.h"

#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* this file is the way to the program's malloc: its own calls stay as they are */
#define GP_ALLOC_DIRECT
#include "gp-internal.h"

static int private_mode;		/* set once, in a fork child's exit path; never cleared */

void gp_alloc_private_on(void)
{
	private_mode = 1;
}

int gp_alloc_private(void)
{
	return private_mode;
}

void *gp_malloc(size_t n)
{
	return GP_UNLIKELY(private_mode) ? gp_own_alloc(n) : malloc(n);
}

void *gp_calloc(size_t n, size_t size)
{
	if (GP_LIKELY(!private_mode))
		return calloc(n, size);
	size_t bytes;
	return __builtin_mul_overflow(n, size, &bytes) ? NULL : gp_own_calloc(bytes);
}

void gp_free(void *p)
{
	if (GP_LIKELY(!private_mode))
		free(p);
	else if (p && gp_own_contains(p))
		gp_own_free(p, 1);
	/* else one of the program's allocator's, whose locks may be held: left */
}

void *gp_realloc(void *p, size_t n)
{
	if (GP_LIKELY(!private_mode))
		return realloc(p, n);
	if (!p || gp_own_contains(p))
		return gp_own_realloc(p, n, 1);
	/* the program's allocator's block: its size is not known without its locks */
	return NULL;
}

char *gp_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = gp_malloc(n);

	return p ? memcpy(p, s, n) : NULL;
}

/*
 * SQLite's allocator, when the program's is not goprof's wrappers (AddressSanitizer's comes
 * first): gp_malloc and friends, so that a private-mode writer's SQLite never calls it.
 */
static void *sq_malloc(int n)
{
	return gp_malloc((size_t)n);
}

static void *sq_realloc(void *p, int n)
{
	return gp_realloc(p, (size_t)n);
}

static int sq_size(void *p)
{
	return (int)(gp_own_contains(p) ? gp_own_usable(p) : malloc_usable_size(p));
}

static int sq_roundup(int n)
{
	return (n + 15) & ~15;
}

static int sq_init(void *unused)
{
	(void)unused;
	return SQLITE_OK;
}

static void sq_shutdown(void *unused)
{
	(void)unused;
}

int gp_alloc_sqlite_methods(void)
{
	static const sqlite3_mem_methods methods = {
		sq_malloc, gp_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL
	};

	return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK ? 0 : -1;
}
