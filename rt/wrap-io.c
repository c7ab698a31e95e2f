/*
 * Blocking system calls, interposed for the goroutine profile's thread states and for the
 * execution trace: read, write, the socket calls, poll, select and the epoll waits (and the
 * _FORTIFY_SOURCE forms of read, recv, recvfrom, poll and ppoll, which checked builds call
 * instead); for the states only, the waits for children, signals and file locks (flock,
 * and fcntl's record locks).
 *
 * DESIGN. Every wrapper runs on the program's threads. With no database and no trace on it
 * is one test (gp_trace_on and io_states, or-ed) and a tail call of the real function,
 * which keeps every result, errno and
 * cancellation point as they are. While a trace is on, the call is timed on both sides
 * and, when it took SYSCALL_MIN_NS (10 us) or more, recorded as a blocking system call
 * that began at the first time and ended at the second (trace.c): a call that did not
 * block costs two reads of the cheap clock (clock.c: rdtsc where usable, in ticks, against
 * a bound in ticks) and records nothing, so that a syscall-heavy program does not fill its
 * buffer with calls that never waited. The stack is taken after the call; the
 * shadow stack is the same as before it, since these wrappers are not instrumented.
 * goprof's own threads (the database writer's file I/O) are never recorded (trace.c).
 *
 * With a database (io_states), the thread's state says the call for as long as the call
 * runs, in Go's words: "IO wait" for reads, writes and the socket calls, "select" for the
 * multiplexers, "syscall" for the others. io_begin() is two loads and two plain stores
 * into the thread's own TLS block (struct gp_io_now: the call's constant, and a zero for
 * "not seen yet"), io_end() two stores putting the words before the call back, so that a
 * call made by a signal handler leaves the wait it interrupted as it was; errno is never
 * touched. No clock is read: the readers time the wait from their first sighting of it
 * (gp_wait_read()). With the states alone (no trace, no GOPROF_BLOCK_IO) the x86-64 wrappers
 * do this in a stub of a few instructions (gp_io_fast_<fn>) that returns to the caller
 * with a jump rather than a return: measured (BENCHMARKS.md), the C wrapper's own return
 * after the system call, mispredicted on a kernel with page-table isolation, was 40 of the
 * 60 ns the states cost a read(); the stores into the TLS block cost next to nothing.
 *
 * The real functions are looked up with dlsym(RTLD_NEXT) by the constructor; until then
 * each pointer holds a stub that looks its function up on first use, so that no wrapper
 * ever calls through NULL.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gp-internal.h"
#include "gp-schema.h"
#include "trace.h"

/* The checked forms glibc declares only under _FORTIFY_SOURCE. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       __SOCKADDR_ARG addr, socklen_t *addr_len);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
		const sigset_t *ss, size_t fdslen);

/* Non-zero with a database: the calls set the thread's state (IO_*). Set by the constructor. */
static int io_states;

static inline int tracing(void)
{
	return __atomic_load_n(&gp_trace_on, __ATOMIC_RELAXED);
}

/* io_states: bit 0 with a database (thread states), bit 1 with GOPROF_BLOCK_IO too */
#define IO_STATES 1
#define IO_BLOCK 2

static __thread struct gp_io_now io_now __attribute__((tls_model("initial-exec")));

struct gp_io_now *gp_io_now_self(void)
{
	return &io_now;
}

/* What io_begin() found, io_end() puts back; and the block-profile event, if any. */
struct io_saved {
	struct gp_io_now prev;
	struct gp_io_wait block;	/* block.w NULL: no block event */
};

static __attribute__((noinline)) void io_block_begin(struct io_saved *c, const char *call)
{
	c->block.w = gp_thread_wait();
	if (!c->block.w)
		return;
	c->block.call = call;
	c->block.block = 0;
	gp_io_block_begin(&c->block);
	if (!c->block.block)
		c->block.w = NULL;
}

/*
 * The calling thread enters call: "not seen yet" goes first, so that a reader never takes
 * the outer wait's sighting for this call's.
 */
static inline void io_begin(struct io_saved *c, const struct gp_io_call *call, int states)
{
	c->prev = io_now;
	__atomic_store_n(&io_now.seen_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&io_now.call, call, __ATOMIC_RELEASE);
	c->block.w = NULL;
	if (GP_UNLIKELY(states & IO_BLOCK))
		io_block_begin(c, call->name);
}

/* The call returned: the words before it are back (an outer wait, for a signal handler's). */
static inline void io_end(struct io_saved *c)
{
	__atomic_store_n(&io_now.call, c->prev.call, __ATOMIC_RELEASE);
	__atomic_store_n(&io_now.seen_ns, c->prev.seen_ns, __ATOMIC_RELAXED);
	if (GP_UNLIKELY(c->block.w))
		gp_io_block_end(&c->block);
}

/* The pointer to the real function and its first-use stub (the asm below reads it too). */
#define REAL_FN(ret, fn, params, args)                                                     \
	static ret first_##fn params;                                                      \
	static __attribute__((used)) ret(*real_##fn) params = first_##fn;                  \
	static ret first_##fn params                                                       \
	{                                                                                  \
		ret(*f) params = (ret(*) params)dlsym(RTLD_NEXT, #fn);                     \
		if (!f) {                                                                  \
			errno = ENOSYS;                                                    \
			return -1;                                                         \
		}                                                                          \
		real_##fn = f;                                                             \
		return f args;                                                             \
	}

#if defined(__x86_64__) && !defined(__CET__)
/*
 * The states' fast path, gp_io_fast_<fn>: io_begin(), the real function, io_end(), without
 * a return after the system call. On this kind of machine (kernel page-table isolation,
 * the user's return-stack predictions lost in every system call) each return that crosses
 * the system call is mispredicted: glibc's own return to its caller, and a C wrapper's
 * return after it, which alone cost about 40 ns a call, two thirds of the states' cost
 * (BENCHMARKS.md). So the stub enters the real function with a jump, having pushed the
 * address of its second half as the return address; the second half puts the words back
 * and jumps to the caller's return address, an indirect jump the branch predictor keeps.
 * The call and return counts stay balanced (the real function's return takes the
 * caller's entry), so a machine whose return predictions survive a system call loses one
 * prediction, not all the returns up the stack. The frame is an ordinary one (rbp), with
 * call frame information valid during the real function, so that unwinding through it
 * (a cancellation point acting in the real function, a debugger) finds the caller.
 * Up to six arguments, all in registers: the real function's stack arguments would be
 * below this frame (__recvfrom_chk takes the C path). Not with -fcf-protection: a
 * shadow stack would refuse the real function's return to an address no call pushed,
 * and the jump back lands on no endbr64.
 */
#define IO_FAST(ret, fn, params)                                                           \
	GP_HIDDEN ret gp_io_fast_##fn params;                                              \
	__asm__(".text\n"                                                                  \
		".p2align 4\n"                                                             \
		".globl gp_io_fast_" #fn "\n"                                              \
		".hidden gp_io_fast_" #fn "\n"                                             \
		".type gp_io_fast_" #fn ", @function\n"                                    \
		"gp_io_fast_" #fn ":\n"                                                    \
		".cfi_startproc\n"                                                         \
		"push %rbp\n"                                                              \
		".cfi_def_cfa_offset 16\n"                                                 \
		".cfi_offset %rbp, -16\n"                                                  \
		"mov %rsp, %rbp\n"                                                         \
		".cfi_def_cfa_register %rbp\n"                                             \
		"mov io_now@gottpoff(%rip), %rax\n"                                        \
		"push %fs:8(%rax)\n"	/* prev.seen_ns at -8(%rbp) */                     \
		"push %fs:(%rax)\n"	/* prev.call at -16(%rbp) */                       \
		"movq $0, %fs:8(%rax)\n"                                                   \
		"lea io_" #fn "(%rip), %r10\n"                                             \
		"mov %r10, %fs:(%rax)\n"                                                   \
		"lea 1f(%rip), %r11\n"                                                     \
		"push %r11\n"                                                              \
		"jmp *real_" #fn "(%rip)\n"                                                \
		"1:\n"                                                                     \
		"mov io_now@gottpoff(%rip), %rcx\n"                                        \
		"mov -16(%rbp), %rdx\n"                                                    \
		"mov %rdx, %fs:(%rcx)\n"                                                   \
		"mov -8(%rbp), %rdx\n"                                                     \
		"mov %rdx, %fs:8(%rcx)\n"                                                  \
		"leave\n"                                                                  \
		".cfi_def_cfa %rsp, 8\n"                                                   \
		"pop %rcx\n"                                                               \
		".cfi_def_cfa_offset 0\n"                                                  \
		".cfi_register %rip, %rcx\n"                                               \
		"jmp *%rcx\n"                                                              \
		".cfi_endproc\n"                                                           \
		".size gp_io_fast_" #fn ", .-gp_io_fast_" #fn "\n");
#define IO_FAST_CALL(fn, args) gp_io_fast_##fn args
#else
#define IO_FAST(ret, fn, params)
#define IO_FAST_CALL(fn, args) waited_##fn args
#endif

/*
 * The wrapper: the real function at once unless on; with the states alone (no trace, no
 * block events), fast (gp_io_fast_<fn>, or waited_<fn>); else waited_<fn>, which runs call
 * (the real function, or its traced form) in state.
 */
#define WAITED_FN(ret, fn, label, state, params, args, call, traced, fast)                \
	static const struct gp_io_call io_##fn __attribute__((used)) = { (state), (label) }; \
	static __attribute__((noinline)) ret waited_##fn params                            \
	{                                                                                  \
		int states_ = __atomic_load_n(&io_states, __ATOMIC_RELAXED);               \
		struct io_saved c_;                                                        \
		if (!states_)                                                              \
			return call;                                                       \
		io_begin(&c_, &io_##fn, states_);                                          \
		ret rc = call;                                                             \
		io_end(&c_);                                                               \
		return rc;                                                                 \
	}                                                                                  \
	GOPROF_API ret fn params                                                           \
	{                                                                                  \
		int traced_ = (traced);                                                    \
		int states_ = __atomic_load_n(&io_states, __ATOMIC_RELAXED);               \
		if (GP_LIKELY(!(traced_ | states_)))                                       \
			return real_##fn args;                                             \
		if (GP_LIKELY(states_ == IO_STATES && !traced_))                           \
			return fast;                                                       \
		return waited_##fn args;                                                   \
	}

/*
 * WRAP(type, function, name in the trace and the dump, why, fd, (parameters), (arguments))
 * defines the wrapper of a call the trace records, its traced form, the pointer to the
 * real function and its first-use stub. The state follows from why: the multiplexers
 * (GP_TB_SELECT) are "select", the others "IO wait". WRAP_SLOW: the same without the fast
 * path, for more than six arguments.
 */
#define WRAP_ANY(ret, fn, label, why, fd, params, args, fast)                              \
	REAL_FN(ret, fn, params, args)                                                     \
	static __attribute__((noinline)) ret traced_##fn params                            \
	{                                                                                  \
		uint64_t t0 = gp_clock_ticks();                                            \
		ret rc = real_##fn args;                                                   \
		uint64_t t1 = gp_clock_ticks();                                            \
		if (GP_UNLIKELY(t1 - t0 >= gp_trace_syscall_ticks))                        \
			gp_trace_syscall((why), (label), (fd), t0, t1);                    \
		return rc;                                                                 \
	}                                                                                  \
	WAITED_FN(ret, fn, label, (why) == GP_TB_SELECT ? GP_STATE_SELECT : GP_STATE_IO,   \
		  params, args, tracing() ? traced_##fn args : real_##fn args, tracing(), \
		  fast)
#define WRAP(ret, fn, label, why, fd, params, args)                                        \
	IO_FAST(ret, fn, params)                                                           \
	WRAP_ANY(ret, fn, label, why, fd, params, args, IO_FAST_CALL(fn, args))
#define WRAP_SLOW(ret, fn, label, why, fd, params, args)                                   \
	WRAP_ANY(ret, fn, label, why, fd, params, args, waited_##fn args)

/* A call only the thread states know ("syscall"): the trace shows the thread running. */
#define WRAP_STATE(ret, fn, label, params, args)                                           \
	REAL_FN(ret, fn, params, args)                                                     \
	IO_FAST(ret, fn, params)                                                           \
	WAITED_FN(ret, fn, label, GP_STATE_SYSCALL, params, args, real_##fn args, 0,       \
		  IO_FAST_CALL(fn, args))

WRAP(ssize_t, read, "read", GP_TB_RECV, fd, (int fd, void *buf, size_t n), (fd, buf, n))
WRAP(ssize_t, write, "write", GP_TB_SEND, fd, (int fd, const void *buf, size_t n), (fd, buf, n))
WRAP(ssize_t, recv, "recv", GP_TB_RECV, fd, (int fd, void *buf, size_t n, int flags),
     (fd, buf, n, flags))
WRAP(ssize_t, recvfrom, "recvfrom", GP_TB_RECV, fd,
     (int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG addr, socklen_t *addr_len),
     (fd, buf, n, flags, addr, addr_len))
WRAP(ssize_t, recvmsg, "recvmsg", GP_TB_RECV, fd, (int fd, struct msghdr *msg, int flags),
     (fd, msg, flags))
WRAP(ssize_t, send, "send", GP_TB_SEND, fd, (int fd, const void *buf, size_t n, int flags),
     (fd, buf, n, flags))
WRAP(ssize_t, sendto, "sendto", GP_TB_SEND, fd,
     (int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr,
      socklen_t addr_len),
     (fd, buf, n, flags, addr, addr_len))
WRAP(ssize_t, sendmsg, "sendmsg", GP_TB_SEND, fd, (int fd, const struct msghdr *msg, int flags),
     (fd, msg, flags))
WRAP(int, accept, "accept", GP_TB_NET, fd, (int fd, __SOCKADDR_ARG addr, socklen_t *addr_len),
     (fd, addr, addr_len))
WRAP(int, accept4, "accept4", GP_TB_NET, fd,
     (int fd, __SOCKADDR_ARG addr, socklen_t *addr_len, int flags), (fd, addr, addr_len, flags))
WRAP(int, connect, "connect", GP_TB_NET, fd,
     (int fd, __CONST_SOCKADDR_ARG addr, socklen_t addr_len), (fd, addr, addr_len))
WRAP(int, poll, "poll", GP_TB_SELECT, -1, (struct pollfd *fds, nfds_t nfds, int timeout),
     (fds, nfds, timeout))
WRAP(int, ppoll, "ppoll", GP_TB_SELECT, -1,
     (struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *ss),
     (fds, nfds, timeout, ss))
WRAP(int, epoll_wait, "epoll_wait", GP_TB_SELECT, epfd,
     (int epfd, struct epoll_event *events, int max, int timeout), (epfd, events, max, timeout))
WRAP(int, epoll_pwait, "epoll_pwait", GP_TB_SELECT, epfd,
     (int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *ss),
     (epfd, events, max, timeout, ss))
WRAP(int, select, "select", GP_TB_SELECT, -1,
     (int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *timeout),
     (nfds, r, w, x, timeout))
WRAP(int, pselect, "pselect", GP_TB_SELECT, -1,
     (int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *timeout,
      const sigset_t *ss),
     (nfds, r, w, x, timeout, ss))
WRAP(ssize_t, __read_chk, "read", GP_TB_RECV, fd, (int fd, void *buf, size_t n, size_t buflen),
     (fd, buf, n, buflen))
WRAP(ssize_t, __recv_chk, "recv", GP_TB_RECV, fd,
     (int fd, void *buf, size_t n, size_t buflen, int flags), (fd, buf, n, buflen, flags))
WRAP_SLOW(ssize_t, __recvfrom_chk, "recvfrom", GP_TB_RECV, fd,
     (int fd, void *buf, size_t n, size_t buflen, int flags, __SOCKADDR_ARG addr,
      socklen_t *addr_len),
     (fd, buf, n, buflen, flags, addr, addr_len))
WRAP(int, __poll_chk, "poll", GP_TB_SELECT, -1,
     (struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen), (fds, nfds, timeout, fdslen))
WRAP(int, __ppoll_chk, "ppoll", GP_TB_SELECT, -1,
     (struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *ss,
      size_t fdslen),
     (fds, nfds, timeout, ss, fdslen))

WRAP(int, epoll_pwait2, "epoll_pwait2", GP_TB_SELECT, epfd,
     (int epfd, struct epoll_event *events, int max, const struct timespec *timeout,
      const sigset_t *ss),
     (epfd, events, max, timeout, ss))
WRAP(int, recvmmsg, "recvmmsg", GP_TB_RECV, fd,
     (int fd, struct mmsghdr *vec, unsigned int n, int flags, struct timespec *timeout),
     (fd, vec, n, flags, timeout))
WRAP(int, sendmmsg, "sendmmsg", GP_TB_SEND, fd,
     (int fd, struct mmsghdr *vec, unsigned int n, int flags), (fd, vec, n, flags))

WRAP_STATE(pid_t, wait, "wait", (int *status), (status))
WRAP_STATE(pid_t, waitpid, "waitpid", (pid_t pid, int *status, int options),
	   (pid, status, options))
WRAP_STATE(pid_t, wait4, "wait4", (pid_t pid, int *status, int options, struct rusage *usage),
	   (pid, status, options, usage))
WRAP_STATE(int, waitid, "waitid", (idtype_t type, id_t id, siginfo_t *info, int options),
	   (type, id, info, options))
WRAP_STATE(int, sigwait, "sigwait", (const sigset_t *set, int *sig), (set, sig))
WRAP_STATE(int, sigwaitinfo, "sigwaitinfo", (const sigset_t *set, siginfo_t *info),
	   (set, info))
WRAP_STATE(int, sigtimedwait, "sigtimedwait",
	   (const sigset_t *set, siginfo_t *info, const struct timespec *timeout),
	   (set, info, timeout))
WRAP_STATE(int, sigsuspend, "sigsuspend", (const sigset_t *set), (set))
WRAP_STATE(int, pause, "pause", (void), ())
WRAP_STATE(int, flock, "flock", (int fd, int op), (fd, op))

/*
 * fcntl, and fcntl64 (what a program built with _FILE_OFFSET_BITS=64 calls), are variadic
 * with at most one argument, which the C library itself reads as a pointer-sized word; only
 * the waits for a record lock (F_SETLKW, F_OFD_SETLKW) set the state.
 */
typedef int (*fcntl_fn)(int fd, int cmd, ...);
static fcntl_fn real_fcntl, real_fcntl64;	/* NULL until first used or resolved */

static int fcntl_call(fcntl_fn *real, const char *name, int fd, int cmd, void *arg)
{
	fcntl_fn f = __atomic_load_n(real, __ATOMIC_RELAXED);

	if (GP_UNLIKELY(!f)) {
		f = (fcntl_fn)dlsym(RTLD_NEXT, name);
		if (!f) {
			errno = ENOSYS;
			return -1;
		}
		__atomic_store_n(real, f, __ATOMIC_RELAXED);
	}
	static const struct gp_io_call io_fcntl = { GP_STATE_SYSCALL, "fcntl" };
	int states = __atomic_load_n(&io_states, __ATOMIC_RELAXED);

	if (GP_LIKELY(!states) || (cmd != F_SETLKW && cmd != F_OFD_SETLKW))
		return f(fd, cmd, arg);
	struct io_saved c;
	io_begin(&c, &io_fcntl, states);
	int rc = f(fd, cmd, arg);
	io_end(&c);
	return rc;
}

#define WRAP_FCNTL(fn)                                                                     \
	GOPROF_API int fn(int fd, int cmd, ...)                                            \
	{                                                                                  \
		va_list ap;                                                                \
		va_start(ap, cmd);                                                         \
		void *arg = va_arg(ap, void *);                                            \
		va_end(ap);                                                                \
		return fcntl_call(&real_##fn, #fn, fd, cmd, arg);                          \
	}

WRAP_FCNTL(fcntl)
WRAP_FCNTL(fcntl64)

#define RESOLVE(fn)                                                                        \
	do {                                                                               \
		void *p_ = dlsym(RTLD_NEXT, #fn);                                          \
		if (p_)                                                                    \
			real_##fn = (__typeof__(real_##fn))p_;                             \
	} while (0)

void gp_io_resolve(void)
{
	RESOLVE(read);
	RESOLVE(write);
	RESOLVE(recv);
	RESOLVE(recvfrom);
	RESOLVE(recvmsg);
	RESOLVE(send);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
	RESOLVE(accept);
	RESOLVE(accept4);
	RESOLVE(connect);
	RESOLVE(poll);
	RESOLVE(ppoll);
	RESOLVE(epoll_wait);
	RESOLVE(epoll_pwait);
	RESOLVE(select);
	RESOLVE(pselect);
	RESOLVE(__read_chk);
	RESOLVE(__recv_chk);
	RESOLVE(__recvfrom_chk);
	RESOLVE(__poll_chk);
	RESOLVE(__ppoll_chk);
	RESOLVE(epoll_pwait2);
	RESOLVE(recvmmsg);
	RESOLVE(sendmmsg);
	RESOLVE(wait);
	RESOLVE(waitpid);
	RESOLVE(wait4);
	RESOLVE(waitid);
	RESOLVE(sigwait);
	RESOLVE(sigwaitinfo);
	RESOLVE(sigtimedwait);
	RESOLVE(sigsuspend);
	RESOLVE(pause);
	RESOLVE(flock);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
}

void gp_io_init(int database)
{
	__atomic_store_n(&io_states,
			 database ? IO_STATES | (gp_config.block_io ? IO_BLOCK : 0) : 0,
			 __ATOMIC_RELAXED);
}
