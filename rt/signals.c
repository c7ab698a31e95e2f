/*
 * Signals goprof takes part in: the CPU-sampling signal, and the fatal signals after which
 * the database should still get the last samples.
 *
 * DESIGN. The CPU timers signal a real-time signal, SIGRTMAX - 2, not SIGPROF as Go does: a
 * standard signal does not queue, so while one of goprof's ticks was pending the kernel
 * dropped the program's own ITIMER_PROF SIGPROF (a program profiling itself lost most of its
 * ticks in one run out of three); real-time signals queue, and SIGPROF stays the program's.
 * While sampling is on, goprof owns that one signal's disposition. sigaction() and signal()
 * are interposed for it only: a handler the program installs is remembered, reported to the
 * program as installed, and called for every such signal that is not one of goprof's own
 * ticks, so the program keeps working; the conflict is reported once on stderr. For SIGSEGV, SIGBUS, SIGABRT and SIGFPE
 * goprof installs a handler only where the disposition is the default one: it asks the
 * writer thread to commit (bounded wait), restores the default action and lets the signal
 * do what it would have done. A program that installs its own handler for one of those
 * replaces goprof's, as it would replace the default.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "gp-internal.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static sigaction_fn real_sigaction;
int gp_prof_signal;			/* the CPU-sampling signal, set once at init */
static int own_sigprof;			/* goprof's handler is installed */
static struct sigaction prog_sigprof;	/* what the program believes is installed */

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE };
#define CRASH_FLUSH_MS 500

static int call_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!real_sigaction)
		real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
	if (!real_sigaction) {
		errno = ENOSYS;
		return -1;
	}
	return real_sigaction(sig, act, old);
}

/* Forwards a signal that is not goprof's tick to the program's own handler, if any. */
static void forward_sigprof(int sig, siginfo_t *si, void *uc)
{
	struct sigaction p = prog_sigprof;

	if (p.sa_flags & SA_SIGINFO) {
		if (p.sa_sigaction)
			p.sa_sigaction(sig, si, uc);
	} else if (p.sa_handler != SIG_DFL && p.sa_handler != SIG_IGN && p.sa_handler) {
		p.sa_handler(sig);
	}
}

static void on_sigprof(int sig, siginfo_t *si, void *uc)
{
	if (!gp_sampler_handle(sig, si, uc))
		forward_sigprof(sig, si, uc);
}

int gp_signals_take_sigprof(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigprof;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	gp_prof_signal = SIGRTMAX - 2;
	if (call_real_sigaction(gp_prof_signal, &sa, &prog_sigprof) != 0) {
		gp_warn("cannot install the handler of signal %d: %s; CPU profiling is off",
			gp_prof_signal, strerror(errno));
		return -1;
	}
	own_sigprof = 1;
	return 0;
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl;
	(void)uc;

	gp_writer_crash_flush(CRASH_FLUSH_MS);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	call_real_sigaction(sig, &dfl, NULL);
	/* A fault re-executes and faults again; a signal that was sent must be sent again. */
	if (si->si_code <= 0)
		raise(sig);
}

void gp_signals_take_fatal(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		if (call_real_sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			call_real_sigaction(fatal_signals[i], &sa, NULL);
	}
}

/* A handler (not SIG_DFL or SIG_IGN) in act. */
static int is_handler(const struct sigaction *act)
{
	return act && ((act->sa_flags & SA_SIGINFO) ||
		       (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN));
}

/* SIGPROF is the program's, but a reader of its profile may expect goprof there: say once. */
static void note_sigprof(int sig, const struct sigaction *act)
{
	if (own_sigprof && sig == SIGPROF && is_handler(act))
		gp_warn_once("the program installs its own SIGPROF handler; goprof samples with "
			     "signal %d (SIGRTMAX-2) instead, and both keep working",
			     gp_prof_signal);
}

GOPROF_API int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	note_sigprof(sig, act);
	if (!own_sigprof || sig != gp_prof_signal)
		return call_real_sigaction(sig, act, old);
	if (old)
		*old = prog_sigprof;
	if (act) {
		if (is_handler(act))
			gp_warn_once("the program installs its own handler for signal %d (SIGRTMAX-2); "
				     "goprof keeps it for CPU profiling and passes the program the "
				     "signals that are not goprof's", sig);
		prog_sigprof = *act;
	}
	return 0;
}

GOPROF_API sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;

	/* Everything goprof does not own keeps glibc's exact semantics (siginterrupt...). */
	if (!own_sigprof || sig != gp_prof_signal) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handler;
		note_sigprof(sig, &sa);
		static sighandler_t (*real_signal)(int, sighandler_t);
		if (!real_signal)
			real_signal = (sighandler_t(*)(int, sighandler_t))dlsym(RTLD_NEXT, "signal");
		if (real_signal)
			return real_signal(sig, handler);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;	/* shares storage with sa_sigaction */
}
