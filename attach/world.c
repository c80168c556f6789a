/* world.c — every thread of the target seized; one chosen to run the calls; the others stopped
 * only while they must be; all detached at the end.
 *
 * PTRACE_SEIZE (unlike PTRACE_ATTACH) sends no SIGSTOP, so nothing the program could see is
 * queued, and a seized thread runs on until PTRACE_INTERRUPT stops it, wherever it is, a blocking
 * system call included (which then reports -ERESTART*: remote_call.c gives it back as it was).
 * Seizing with PTRACE_O_TRACECLONE makes every thread a seized thread creates seized from birth,
 * so the set cannot be outrun; /proc/PID/task is listed again until a listing brings no new one.
 * The thread the calls run on is chosen before anything stops, from /proc/PID/task/TID/syscall:
 * one blocked in a system call that waits (the program is at a quiet point there, holding no
 * allocator or loader lock), the main thread first, with room on its stack. Only it is stopped
 * while the shim loads and starts; the others are stopped (pt__world_stop) for what needs the
 * process still — the holds read from /proc — and that is the pause. A signal that stops a thread while it is stopped is kept and delivered
 * when it goes on; while the threads run, their signals pass straight through (pt__world_event),
 * so the program receives every signal it was sent. */
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

static struct pt__thr *add(struct pt__world *w, pid_t tid)
{
    struct pt__thr *t = pt__world_thr(w, tid);
    if (t)
        return t;
    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 64;
        struct pt__thr *n = realloc(w->t, nc * sizeof *n);
        if (!n)
            return NULL;
        w->t = n;
        w->cap = nc;
    }
    t = &w->t[w->n++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    return t;
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

static int is_group_stop(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A thread created by a seized one: seized from birth, it reports a stop of its own first. */
static void born(struct pt__world *w, pid_t parent)
{
    unsigned long child = 0;
    if (ptrace(PTRACE_GETEVENTMSG, parent, 0, &child) == 0 && child)
        add(w, (pid_t)child);
}

/* Wait until t is in a ptrace stop; keeps a signal that stopped it. 0, or -ESRCH when it
 * exited. */
static int wait_stop(struct pt__world *w, struct pt__thr *t)
{
    pid_t tid = t->tid;
    for (;;) {
        int st;
        pid_t r = waitpid(tid, &st, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (WIFEXITED(st) || WIFSIGNALED(st))
            return -ESRCH;
        if (!WIFSTOPPED(st))
            continue;
        t = pt__world_thr(w, tid); /* born() may have moved the array */
        if (st >> 16 == PTRACE_EVENT_CLONE) {
            born(w, tid);
            t = pt__world_thr(w, tid);
        } else if (st >> 16 == PTRACE_EVENT_STOP) {
            /* our interrupt (SIGTRAP), a new thread's first stop, or a group-stop */
        } else if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
            t->pending_sig = WSTOPSIG(st); /* goes on with it later */
        }
        break;
    }
    t->stopped = 1;
    if (ptrace(PTRACE_GETREGS, tid, 0, &t->regs) < 0)
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

/* System calls a thread blocks in while it waits for something. */
static int waiting_syscall(long nr)
{
    switch (nr) {
    case SYS_read:
    case SYS_readv:
    case SYS_pread64:
    case SYS_poll:
    case SYS_ppoll:
    case SYS_select:
    case SYS_pselect6:
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
    case SYS_epoll_pwait2:
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
    case SYS_pause:
    case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait:
    case SYS_wait4:
    case SYS_waitid:
    case SYS_accept:
    case SYS_accept4:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_msgrcv:
    case SYS_semtimedop:
    case SYS_futex:
    case SYS_io_getevents:
        return 1;
    default:
        return 0;
    }
}

/* How good a thread is to run the calls on, from /proc/PID/task/TID/syscall: -1 unusable. */
static int score(struct pt__world *w, pid_t tid, const struct pt__vma *v, size_t n)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)w->pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    long nr = strtol(buf, NULL, 10);
    int s = tid == w->pid ? 1 : 0;
    if (strncmp(buf, "running", 7) && nr >= 0 && waiting_syscall(nr)) {
        long ignore;
        unsigned long long a[6], sp = 0, pc = 0;
        if (sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &ignore, &a[0], &a[1], &a[2],
                   &a[3], &a[4], &a[5], &sp, &pc) == 9) {
            const struct pt__vma *m = pt__maps_find(v, n, sp);
            if (!m || m->perms[1] != 'w' || sp - m->lo < 64 * 1024)
                return -1;
        }
        s += 2;
    }
    return s;
}

/* Is the stopped thread t usable: room on its stack, no signal on its way to it? */
static int usable(const struct pt__thr *t, const struct pt__vma *v, size_t n)
{
    const struct pt__vma *m = pt__maps_find(v, n, t->regs.rsp);
    return !t->pending_sig && m && m->perms[1] == 'w' && t->regs.rsp - m->lo >= 64 * 1024;
}

int pt__world_seize(struct pt__world *w, pid_t pid, const struct pt__vma *v, size_t nv, char *why,
                    size_t len)
{
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->hijack = (size_t)-1;
    w->running = 1;
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
            if (tid <= 0 || pt__world_thr(w, tid) || is_zombie(pid, tid))
                continue;
            if (ptrace(PTRACE_SEIZE, tid, 0,
                       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE)) < 0) {
                int e = errno;
                if (e == ESRCH)
                    continue; /* it exited meanwhile */
                closedir(d);
                if (e == EPERM)
                    snprintf(why, len,
                             "ptrace refused (the process is not dumpable — setuid, or "
                             "PR_SET_DUMPABLE 0 — or a security module forbids it); "
                             "run proftrace as root");
                else
                    snprintf(why, len, "ptrace(PTRACE_SEIZE) of thread %d: %s", (int)tid,
                             strerror(e));
                pt__world_detach(w);
                return -e;
            }
            if (!add(w, tid)) {
                closedir(d);
                pt__world_detach(w);
                return -ENOMEM;
            }
        }
        closedir(d);
        if (w->n == before)
            break; /* new threads of seized ones are seized at birth: the set is complete */
        if (round > 1000) {
            snprintf(why, len, "its threads keep multiplying faster than they can be seized");
            pt__world_detach(w);
            return -EAGAIN;
        }
    }
    /* The thread for the calls: the best candidates first, stopped and looked at. */
    for (int tries = 0; tries < 8; tries++) {
        int best = -1;
        size_t pick = 0;
        for (size_t i = 0; i < w->n; i++) {
            int s = w->t[i].tried ? -1 : score(w, w->t[i].tid, v, nv);
            if (s > best)
                best = s, pick = i;
        }
        if (best < 0)
            break;
        struct pt__thr *t = &w->t[pick];
        pid_t tid = t->tid;
        t->tried = 1;
        if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 || wait_stop(w, t) < 0) {
            forget(w, tid);
            continue;
        }
        t = pt__world_thr(w, tid);
        if (usable(t, v, nv)) {
            w->hijack = (size_t)(t - w->t);
            return 0;
        }
        ptrace(PTRACE_CONT, tid, 0, (void *)(long)t->pending_sig); /* not this one */
        t->stopped = 0;
        t->pending_sig = 0;
    }
    snprintf(why, len,
             w->n ? "no thread has room on its stack for the injected calls (or each "
                    "has a signal on its way)"
                  : "it has exited");
    pt__world_detach(w);
    return w->n ? -EAGAIN : -ESRCH;
}

int pt__world_stop(struct pt__world *w)
{
    if (!w->running)
        return 0;
    w->stop_ns = pt__now_ns();
    for (size_t i = 0; i < w->n; i++)
        if (!w->t[i].stopped && i != w->hijack)
            ptrace(PTRACE_INTERRUPT, w->t[i].tid, 0, 0);
    /* w->n may grow as we go: a thread caught creating another one reports it first. */
    for (size_t i = 0; i < w->n;) {
        struct pt__thr *t = &w->t[i];
        if (t->stopped || i == w->hijack) {
            i++;
            continue;
        }
        pid_t tid = t->tid;
        if (wait_stop(w, t) == -ESRCH) {
            forget(w, tid);
            continue;
        }
        i++;
    }
    w->running = 0;
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
    w->pause_ns += pt__now_ns() - w->stop_ns;
}

void pt__world_event(struct pt__world *w, pid_t tid, int st)
{
    struct pt__thr *t = pt__world_thr(w, tid);
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
        forget(w, tid);
        return;
    }
    if (!WIFSTOPPED(st))
        return;
    if (!t && !(t = add(w, tid))) /* a new thread's first stop, before its parent's event */
        return;
    int sig = WSTOPSIG(st);
    if (st >> 16 == PTRACE_EVENT_CLONE) {
        born(w, tid);
        sig = 0;
    } else if (st >> 16 == PTRACE_EVENT_STOP) {
        if (is_group_stop(sig)) {
            ptrace(PTRACE_LISTEN, tid, 0, 0); /* stays stopped, as the program meant */
            return;
        }
        sig = 0; /* our interrupt arriving late, or a new thread's first stop */
    } else if (sig == (SIGTRAP | 0x80)) {
        sig = 0; /* only the hijacked thread runs with PTRACE_SYSCALL */
    }
    t = pt__world_thr(w, tid);
    if (w->running) {
        ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig); /* a signal for the program: unchanged */
        t->stopped = 0;
    } else {
        t->stopped = 1;
        if (sig)
            t->pending_sig = sig;
        ptrace(PTRACE_GETREGS, tid, 0, &t->regs);
    }
}

void pt__world_detach(struct pt__world *w)
{
    if (!w->running && w->stop_ns)
        w->pause_ns += pt__now_ns() - w->stop_ns;
    for (size_t i = 0; i < w->n; i++) {
        struct pt__thr *t = &w->t[i];
        pid_t tid = t->tid;
        /* PTRACE_DETACH wants a stopped thread. A thread calls ran on sits in a system call stop
         * with its own registers put back: it leaves from an interrupt stop instead, on whose way
         * out the kernel restarts its interrupted system call (restart_syscall included). */
        if (!t->stopped || t->trap) {
            ptrace(PTRACE_INTERRUPT, tid, 0, 0);
            if (t->stopped)
                ptrace(PTRACE_CONT, tid, 0, 0);
            t->stopped = 0;
            if (wait_stop(w, t) < 0)
                continue; /* it exited */
            t = pt__world_thr(w, tid);
        }
        ptrace(PTRACE_DETACH, tid, 0, (void *)(long)t->pending_sig);
    }
    free(w->t);
    w->t = NULL;
    w->n = w->cap = 0;
}
