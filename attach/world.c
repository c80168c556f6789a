/* world.c — every thread of the target seized and stopped, one of them chosen to run the calls,
 * the others let go again when they must be, and all detached at the end.
 *
 * PTRACE_SEIZE (unlike PTRACE_ATTACH) sends no SIGSTOP, so nothing the program could see is
 * queued; PTRACE_INTERRUPT stops a thread wherever it is, a blocking system call included (which
 * then reports -ERESTART*: remote_call.c restarts it). Threads are listed from /proc/PID/task again
 * until a listing brings no new one: a thread that was still running may have created another.
 * A signal that arrives meanwhile stops its thread in signal-delivery-stop; it is kept and
 * delivered when the thread goes on, so the program receives every signal it was sent. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach/internal.h"

uint64_t pt__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct pt__thr *pt__world_thr(struct pt__world *w, pid_t tid)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->t[i].tid == tid)
            return &w->t[i];
    return NULL;
}

static void forget(struct pt__world *w, pid_t tid)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->t[i].tid == tid) {
            if (w->hijack == i)
                w->hijack = (size_t)-1;
            else if (w->hijack != (size_t)-1 && w->hijack > i)
                w->hijack--;
            memmove(&w->t[i], &w->t[i + 1], (w->n - i - 1) * sizeof w->t[0]);
            w->n--;
            return;
        }
}

/* Wait until tid is in a ptrace stop; keeps a signal that stopped it. 0, or -ESRCH when it
 * exited. */
static int wait_stop(struct pt__world *w, struct pt__thr *t)
{
    for (;;) {
        int st;
        pid_t r = waitpid(t->tid, &st, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (WIFEXITED(st) || WIFSIGNALED(st))
            return -ESRCH;
        if (!WIFSTOPPED(st))
            continue;
        if (st >> 16 == PTRACE_EVENT_STOP) {
            int sig = WSTOPSIG(st);
            if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
                t->pending_sig = 0; /* a group-stop: the process was being stopped */
            break;                 /* our interrupt (SIGTRAP) */
        }
        /* signal-delivery-stop: it is stopped now; the signal goes on with it later */
        t->pending_sig = WSTOPSIG(st);
        break;
    }
    (void)w;
    t->stopped = 1;
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) < 0)
        return -errno;
    return 0;
}

/* A zombie thread (a leader that called pthread_exit) never stops: leave it out. */
static int is_zombie(pid_t pid, pid_t tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static int seize_one(struct pt__world *w, pid_t tid)
{
    if (is_zombie(w->pid, tid))
        return -ESRCH;
    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 64;
        struct pt__thr *n = realloc(w->t, nc * sizeof *n);
        if (!n)
            return -ENOMEM;
        w->t = n;
        w->cap = nc;
    }
    if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)PTRACE_O_TRACESYSGOOD) < 0)
        return -errno;
    struct pt__thr *t = &w->t[w->n++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    if (!w->stop_ns)
        w->stop_ns = pt__now_ns();
    if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
        return -errno;
    return 0;
}

int pt__world_stop(struct pt__world *w, pid_t pid, char *why, size_t len)
{
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->hijack = (size_t)-1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    for (int round = 0;; round++) {
        DIR *d = opendir(path);
        if (!d) {
            int e = errno;
            snprintf(why, len, "cannot list its threads: %s", strerror(e));
            pt__world_detach(w);
            return -e;
        }
        size_t before = w->n;
        for (struct dirent *de; (de = readdir(d));) {
            pid_t tid = (pid_t)atoi(de->d_name);
            if (tid <= 0 || pt__world_thr(w, tid))
                continue;
            int rc = seize_one(w, tid);
            if (rc == -ESRCH)
                continue; /* it exited meanwhile */
            if (rc < 0) {
                closedir(d);
                snprintf(why, len, "ptrace(PTRACE_SEIZE) of thread %d: %s", (int)tid,
                         strerror(-rc));
                pt__world_detach(w);
                return rc;
            }
        }
        closedir(d);
        for (size_t i = before; i < w->n;) {
            int rc = wait_stop(w, &w->t[i]);
            if (rc == -ESRCH) {
                forget(w, w->t[i].tid);
                continue;
            }
            if (rc < 0) {
                snprintf(why, len, "stopping thread %d: %s", (int)w->t[i].tid, strerror(-rc));
                pt__world_detach(w);
                return rc;
            }
            i++;
        }
        if (w->n == before)
            break; /* every thread is stopped: none can create another */
        if (round > 1000) {
            snprintf(why, len, "its threads keep multiplying faster than they can be stopped");
            pt__world_detach(w);
            return -EAGAIN;
        }
    }
    if (!w->n) {
        snprintf(why, len, "it has exited");
        return -ESRCH;
    }
    return 0;
}

/* System calls a thread blocks in while it waits for something: a thread found there is at a
 * quiet point of the program. */
static int waiting_syscall(long nr)
{
    switch (nr) {
    case SYS_read: case SYS_readv: case SYS_pread64: case SYS_poll: case SYS_ppoll:
    case SYS_select: case SYS_pselect6: case SYS_epoll_wait: case SYS_epoll_pwait:
    case SYS_epoll_pwait2: case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_pause:
    case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait: case SYS_wait4: case SYS_waitid:
    case SYS_accept: case SYS_accept4: case SYS_recvfrom: case SYS_recvmsg: case SYS_msgrcv:
    case SYS_semtimedop: case SYS_futex: case SYS_io_getevents:
        return 1;
    default:
        return 0;
    }
}

int pt__world_choose(struct pt__world *w, const struct pt__vma *v, size_t n, char *why,
                     size_t len)
{
    int best = -1;
    size_t pick = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct pt__thr *t = &w->t[i];
        if (t->pending_sig)
            continue; /* a signal is on its way to it: restarting its call would change that */
        const struct pt__vma *m = pt__maps_find(v, n, t->regs.rsp);
        if (!m || m->perms[1] != 'w' || t->regs.rsp - m->lo < 64 * 1024)
            continue; /* the first calls put a signal frame below its red zone: room for it */
        long rv = (long)t->regs.rax, nr = (long)t->regs.orig_rax;
        int in_wait = nr >= 0 && waiting_syscall(nr) &&
                      (rv == -512 || rv == -513 || rv == -514 || rv == -516 || rv == -EINTR);
        int score = (in_wait ? 2 : 0) + (t->tid == w->pid ? 1 : 0);
        if (score > best) {
            best = score;
            pick = i;
        }
    }
    if (best < 0) {
        snprintf(why, len, "no thread has room on its stack for the injected call (or every "
                           "thread has a signal pending)");
        return -EAGAIN;
    }
    w->hijack = pick;
    return 0;
}

void pt__world_resume_others(struct pt__world *w)
{
    if (w->running)
        return;
    for (size_t i = 0; i < w->n; i++) {
        struct pt__thr *t = &w->t[i];
        if (i == w->hijack || !t->stopped)
            continue;
        if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)t->pending_sig) == 0) {
            t->stopped = 0;
            t->pending_sig = 0;
        }
    }
    w->running = 1;
    w->pause_ns = pt__now_ns() - w->stop_ns;
}

void pt__world_event(struct pt__world *w, pid_t tid, int st)
{
    struct pt__thr *t = pt__world_thr(w, tid);
    if (!t)
        return;
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
        forget(w, tid);
        return;
    }
    if (!WIFSTOPPED(st))
        return;
    int sig = WSTOPSIG(st);
    if (st >> 16 == PTRACE_EVENT_STOP) {
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
            ptrace(PTRACE_LISTEN, tid, 0, 0); /* a group-stop: stays stopped as the program meant */
        else if (w->running)
            ptrace(PTRACE_CONT, tid, 0, 0); /* a late interrupt of ours */
        else
            t->stopped = 1;
        return;
    }
    if (sig == (SIGTRAP | 0x80)) { /* cannot happen: only the hijacked thread runs PTRACE_SYSCALL */
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    /* A signal for the program: on its way, unchanged. */
    if (w->running)
        ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig);
    else {
        t->stopped = 1;
        t->pending_sig = sig;
    }
}

void pt__world_restop(struct pt__world *w)
{
    if (!w->running)
        return;
    for (size_t i = 0; i < w->n; i++)
        if (!w->t[i].stopped && i != w->hijack)
            ptrace(PTRACE_INTERRUPT, w->t[i].tid, 0, 0);
    for (size_t i = 0; i < w->n;) {
        struct pt__thr *t = &w->t[i];
        if (t->stopped || i == w->hijack) {
            i++;
            continue;
        }
        if (wait_stop(w, t) == -ESRCH) {
            forget(w, t->tid);
            continue;
        }
        i++;
    }
    w->running = 0;
}

void pt__world_detach(struct pt__world *w)
{
    if (w->running)
        pt__world_restop(w);
    if (!w->pause_ns && w->stop_ns)
        w->pause_ns = pt__now_ns() - w->stop_ns;
    for (size_t i = 0; i < w->n; i++) {
        struct pt__thr *t = &w->t[i];
        /* PTRACE_DETACH wants a stopped thread. A thread calls ran on sits in a system call stop
         * with its own registers put back: it leaves from an interrupt stop instead, on whose way
         * out the kernel restarts its interrupted system call (restart_syscall included). */
        if (!t->stopped || t->trap) {
            ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
            if (t->stopped)
                ptrace(PTRACE_CONT, t->tid, 0, 0);
            if (wait_stop(w, t) < 0)
                continue; /* it exited */
        }
        ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->pending_sig);
    }
    free(w->t);
    w->t = NULL;
    w->n = w->cap = 0;
}
