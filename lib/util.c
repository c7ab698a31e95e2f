/*
 * The shared helpers that are not inline (util.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* libgoprof's own realloc (rt/own-alloc.c) where it is linked in; the tools have none */
extern void *gp_realloc(void *p, size_t n) __attribute__((weak));

int gp_grow(void *arr, size_t *cap, size_t need, size_t size)
{
	void *p;
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	memcpy(&p, arr, sizeof(p));
	p = gp_realloc ? gp_realloc(p, n * size) : realloc(p, n * size);
	if (!p)
		return -ENOMEM;
	memcpy(arr, &p, sizeof(p));
	*cap = n;
	return 0;
}

uintptr_t gp_syscall_sp(uint32_t tid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/self/task/%u/syscall", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (buf[0] == '-')	/* "-1 SP PC": blocked, but not in a system call */
		return 0;
	char *p = buf, *end;
	unsigned long long v = 0;
	for (int field = 0; field < 8; field++, p = end) {
		errno = 0;
		v = strtoull(p, &end, 0);
		if (end == p || errno)
			return 0;
	}
	return (uintptr_t)v;
}
