/* signals.c — a `signal` event when a fatal signal ends the process.
 *
 * Handlers are installed only for signals whose disposition is still SIG_DFL when the shim starts
 * (never over a program's handler or SIG_IGN). The handler records the event and lets the signal
 * take its default action again: a fault re-executes the faulting instruction on return, a sent
 * signal is re-sent to this thread and unblocked. The process therefore ends exactly as it would
 * have (same signal, same core dump); a program that installs its own handler later simply
 * replaces the shim's. sigaction() and signal() are interposed too, so that the program still sees
 * SIG_DFL where the shim's handler stands in for it.
 *
 * It can never loop, whatever the program's seccomp filter refuses: the handlers are installed
 * with SA_RESETHAND, so the kernel itself puts SIG_DFL back as it delivers the signal (no system
 * call needed), and a fault returns with its signal blocked in the interrupted context, so the
 * re-executed fault ends the process even if the disposition were somehow still the shim's (the
 * kernel never delivers a blocked fault to a handler). */
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"

static const int pt__fatal[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,  SIGABRT, SIGBUS,
                                SIGFPE,  SIGSEGV, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGXCPU, SIGXFSZ, SIGSYS};

static _Atomic uint8_t pt__ours[NSIG]; /* the shim's handler is installed for this signal */
static int (*pt__real_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*pt__real_signal)(int, sighandler_t);

static void pt__on_signal(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    if (sig > 0 && sig < NSIG)
        atomic_store(&pt__ours[sig], 0); /* SA_RESETHAND: the kernel has put SIG_DFL back */
    if (atomic_load(&pt__state) == PT__ON && !(pt__tls.vforked && pt__vfork_child())) {
        uint8_t busy = pt__tls.busy;
        pt__tls.busy = 1;
        pt__tls.insig = 1;
        pt__emit_signal(sig, si ? si->si_code : 0, si ? (uint64_t)(uintptr_t)si->si_addr : 0);
        pt__tls.insig = 0;
        pt__tls.busy = busy;
    }
    int fault = si && si->si_code > 0 &&
                (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
    if (fault) {
        if (uc)
            sigaddset(&((ucontext_t *)uc)->uc_sigmask, sig);
    } else {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
    }
    errno = saved;
}

static int pt__resolve_sig(void)
{
    if (!pt__real_sigaction)
        pt__real_sigaction = (__typeof__(pt__real_sigaction))pt__resolve("sigaction");
    if (!pt__real_signal)
        pt__real_signal = (__typeof__(pt__real_signal))pt__resolve("signal");
    return pt__real_sigaction && pt__real_signal;
}

void pt__signals_install(const uint64_t *not_default)
{
    if (!pt__resolve_sig())
        return;
    /* Known (one thread, whose /proc/self/stat the shim read at start: only the shim has run
     * since), one system call per signal; otherwise each is asked just before, as another thread
     * may change a disposition meanwhile. */
    const int known = not_default != NULL;
    const uint64_t not_dfl = known ? *not_default : 0;
    for (unsigned i = 0; i < sizeof pt__fatal / sizeof pt__fatal[0]; i++) {
        struct sigaction old, sa;
        if (known) {
            if (not_dfl & (1ull << (pt__fatal[i] - 1)))
                continue;
        } else if (pt__real_sigaction(pt__fatal[i], NULL, &old) != 0 ||
                   (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) {
            continue;
        }
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = pt__on_signal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        if (pt__real_sigaction(pt__fatal[i], &sa, NULL) == 0)
            atomic_store(&pt__ours[pt__fatal[i]], 1);
    }
}

void pt__signals_remove(void)
{
    if (!pt__real_sigaction)
        return;
    for (int sig = 1; sig < NSIG; sig++) {
        if (!atomic_exchange(&pt__ours[sig], 0))
            continue;
        struct sigaction old, dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        /* Only if it is still the shim's (a signal delivered meanwhile reset it already). */
        if (pt__real_sigaction(sig, NULL, &old) == 0 && (old.sa_flags & SA_SIGINFO) &&
            old.sa_sigaction == pt__on_signal)
            pt__real_sigaction(sig, &dfl, NULL);
    }
}

/* What the program is told about a signal the shim's handler stands in for: SIG_DFL. */
static void pt__hide(int sig, struct sigaction *old)
{
    if (old && sig > 0 && sig < NSIG && atomic_load(&pt__ours[sig]) &&
        (old->sa_flags & SA_SIGINFO) && old->sa_sigaction == pt__on_signal) {
        memset(old, 0, sizeof *old);
        old->sa_handler = SIG_DFL;
        sigemptyset(&old->sa_mask);
    }
}

PT__EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (PT__UNLIKELY(!pt__real_sigaction) && !pt__resolve_sig())
        return errno = ENOSYS, -1;
    int rc = pt__real_sigaction(sig, act, old);
    if (rc == 0) {
        pt__hide(sig, old);
        if (act && sig > 0 && sig < NSIG)
            atomic_store(&pt__ours[sig], 0); /* the program's own choice replaces the shim's */
    }
    return rc;
}

PT__EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
    if (PT__UNLIKELY(!pt__real_signal) && !pt__resolve_sig())
        return errno = ENOSYS, SIG_ERR;
    int was_ours = sig > 0 && sig < NSIG && atomic_exchange(&pt__ours[sig], 0);
    sighandler_t old = pt__real_signal(sig, handler);
    if (was_ours && (void *)old == (void *)pt__on_signal)
        old = SIG_DFL;
    return old;
}
