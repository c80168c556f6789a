/* signals.c — a `signal` event when a fatal signal ends the process.
 *
 * Handlers are installed only for signals whose disposition is still SIG_DFL when the shim starts
 * (never over a program's handler or SIG_IGN). The handler records the event, puts SIG_DFL back and
 * lets the signal take its default action again: a fault re-executes the faulting instruction on
 * return, a sent signal is re-sent to this thread and unblocked. The process therefore ends exactly
 * as it would have (same signal, same core dump); a program that installs its own handler later
 * simply replaces the shim's. The only visible difference: sigaction() queried for one of these
 * signals reports the shim's handler instead of SIG_DFL. */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"

static const int pt__fatal[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,  SIGABRT, SIGBUS,
                                SIGFPE,  SIGSEGV, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGXCPU, SIGXFSZ, SIGSYS};

static void pt__on_signal(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    if (atomic_load(&pt__state) == PT__ON && !(pt__tls.vforked && pt__vfork_child())) {
        uint8_t busy = pt__tls.busy;
        pt__tls.busy = 1;
        pt__tls.insig = 1;
        pt__emit_signal(sig, si ? si->si_code : 0, si ? (uint64_t)(uintptr_t)si->si_addr : 0);
        pt__tls.insig = 0;
        pt__tls.busy = busy;
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    int fault = si && si->si_code > 0 &&
                (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE);
    if (!fault) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
    }
    errno = saved;
}

void pt__signals_install(void)
{
    for (unsigned i = 0; i < sizeof pt__fatal / sizeof pt__fatal[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(pt__fatal[i], NULL, &old) != 0)
            continue;
        if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = pt__on_signal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(pt__fatal[i], &sa, NULL);
    }
}
