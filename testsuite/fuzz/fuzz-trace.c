/*
 * libFuzzer target for the Go execution-trace reader (goprof-export -t trace FILE): each
 * input is parsed, and what parses is written again in Go's format and as JSON. A failure
 * must come back as one message; a crash, a hang or a huge allocation is a finding. Built
 * and run by scripts/fuzz.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace-read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	char err[512];
	uint8_t *copy = malloc(size ? size : 1);

	if (!null)
		null = fopen("/dev/null", "w");
	if (!copy || !null)
		abort();
	memcpy(copy, data, size);
	struct gp_trace *t = gp_trace_parse_go("fuzz", copy, size, err, sizeof(err));
	if (t) {
		gp_trace_write_go(t, null, NULL);
		gp_trace_write_json(t, null, NULL);
		gp_trace_free(t);
	}
	return 0;
}
