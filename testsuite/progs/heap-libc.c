/* Blocks that libc allocates for the program (strdup, fopen, getline) are the caller's. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *volatile keep_name;
FILE *volatile keep_file;
char *volatile keep_line;

__attribute__((noinline)) void opener(const char *volatile path)
{
	size_t cap = 0;

	keep_name = strdup(path);
	keep_file = fopen(path, "r");
	if (!keep_file || getline((char **)&keep_line, &cap, keep_file) < 0)
		abort();
	keep_name[0] = keep_name[0];
}

int main(int argc, char **argv)
{
	(void)argc;
	opener(argv[0]);
	puts(keep_name == NULL ? "no" : "yes");
	return 0;
}
