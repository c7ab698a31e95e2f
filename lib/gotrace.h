/*
 * Go 1.19's execution-trace format: the event types goprof writes (gotrace.c) and reads
 * back (gotrace-read.c), numbered as in Go's runtime/trace.go. The spec is
 * go-trace-format.md; the file layout and encoding are described in gotrace.c.
 */
#ifndef GOPROF_LIB_GOTRACE_H
#define GOPROF_LIB_GOTRACE_H

enum gp_gotrace_event {
	EV_BATCH = 1,
	EV_FREQUENCY = 2,
	EV_STACK = 3,
	EV_GOMAXPROCS = 4,
	EV_PROC_START = 5,
	EV_PROC_STOP = 6,
	EV_GO_CREATE = 13,
	EV_GO_START = 14,
	EV_GO_END = 15,
	EV_GO_SCHED = 17,
	EV_GO_SLEEP = 19,
	EV_GO_BLOCK = 20,
	EV_GO_UNBLOCK = 21,
	EV_GO_BLOCK_SEND = 22,
	EV_GO_BLOCK_RECV = 23,
	EV_GO_BLOCK_SELECT = 24,
	EV_GO_BLOCK_SYNC = 25,
	EV_GO_BLOCK_COND = 26,
	EV_GO_BLOCK_NET = 27,
	EV_GO_SYS_CALL = 28,
	EV_GO_SYS_EXIT = 29,
	EV_GO_SYS_BLOCK = 30,
	EV_GO_WAITING = 31,
	EV_STRING = 37,
	EV_USER_TASK_CREATE = 45,
	EV_USER_TASK_END = 46,
	EV_USER_REGION = 47,
	EV_USER_LOG = 48,
	EV_CPU_SAMPLE = 49,
	EV_COUNT			/* one past the highest type */
};

#endif
