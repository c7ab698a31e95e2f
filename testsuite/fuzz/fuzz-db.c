/*
 * libFuzzer target for the database reader: each input is written as a database file and
 * exported the way goprof-export and the /debug/pprof server do (gp_export_run), as a CPU
 * profile in pprof form, heap and goroutine as text and threadcreate folded. A failure must
 * come back as one message; a crash, a hang or a huge allocation is a finding. Built and run
 * by scripts/fuzz.sh.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *type, *format;
	} runs[] = {
		{ "cpu", "pprof" },
		{ "heap", "text" },
		{ "goroutine", "text" },
		{ "threadcreate", "folded" },
	};
	static char path[64];
	char side[80], err[512];

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/goprof-fuzz-db-%d.db", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct gp_export_query q = { .type = runs[i].type, .format = runs[i].format };
		gp_export_run(path, &q, out, err, sizeof(err));
	}
	close(out);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	return 0;
}
