/*
 * The database writer. Placeholder until the SQLite writer lands: GOPROF_DB is reported as
 * unsupported and profiling carries on without a database.
 */
#include "config.h"

#include <errno.h>

#include "gp-internal.h"

int gp_writer_start(void)
{
	gp_warn("GOPROF_DB: this build has no database writer yet");
	return -ENOSYS;
}

void gp_writer_stop(void)
{
}

void gp_writer_crash_flush(unsigned timeout_ms)
{
	(void)timeout_ms;
}

void gp_writer_atfork_child(void)
{
}
