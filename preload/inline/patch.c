/* patch.c — rewrites a function's entry so that no thread ever runs half-written code.
 *
 * Three ways, the cheapest that is safe:
 *  - SINGLE: the process has one thread (the usual case: the shim hooks from its constructor).
 *    Signals are blocked so a handler cannot run the function mid-write; a plain copy is enough.
 *  - ATOMIC: other threads run, but the jump replaces part of ONE instruction and lies within one
 *    aligned 8-byte word. One atomic store switches from old to new; a thread either runs the old
 *    instruction or the jump, and no thread can be between old instructions inside the range.
 *  - INT3: anything else with other threads. An atomic store is not enough there: a thread
 *    preempted between two of the displaced instructions would resume in the middle of the new
 *    jump. So, as the kernel's text_poke_bp does: (1) write int3 on the first byte — a thread that
 *    reaches it traps and our SIGTRAP handler sends it to the replacement, which is what the
 *    finished jump does; (2) ask every other thread that may be inside the displaced
 *    instructions (running or preempted; threads blocked in a system call are at their syscall
 *    instruction and are left alone, so sleeps are not interrupted) to run our handler once, which
 *    moves a thread found at one of their boundaries to the same instruction in the trampoline,
 *    and wait until each has; (3) write the rest of the jump; (4) write its first byte. The
 *    request in (2) is a real-time signal with no handler of the host's (free for the round, put
 *    back after): SIGTRAP itself cannot be used, because a standard signal already pending
 *    swallows a second one, and a merged trap and request could not be told apart. Each step
 *    is followed by membarrier(SYNC_CORE), so every CPU running this process serializes its
 *    instruction stream before the next step (x86 needs no cache flush).
 * The SIGTRAP handler stays installed once used: a trap taken just before step 4 may be delivered
 * after it, and must still find its site. Traps and signals that are not ours go to the handler
 * that was there before. A running thread that blocks the request signal, or a stopped one, cannot
 * answer within 2 s: the breakpoint is removed again and the hook refused (-EBUSY); our handler
 * then stays on the signal, for the requests still pending.
 * A thread that blocks SIGTRAP would be killed by the breakpoint (the kernel forces a blocked
 * trap to its default action), so INT3 is refused while one does.
 * Not covered: a thread interrupted by one of the host's signals exactly between two displaced
 * instructions, and still inside that signal handler (or blocked in a system call made from it)
 * while we patch, resumes in the new jump; its interrupted address is in a signal frame we cannot
 * see. Hooking before threads start (SINGLE) has no such window. */
#define _GNU_SOURCE
#include "preload/inline/inline_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define MAX_SITES 1024
#define FIXUP_MAGIC 0x70740000 /* "pt" in si_value of our fix-up requests; low 16 bits: round */

static struct pt__site sites[MAX_SITES];
static _Atomic unsigned n_sites;
static struct pt__site *_Atomic fixing; /* site whose boundaries threads are moved off */
static _Atomic unsigned fix_round, fix_moved;
#define MAX_FIX 4096
static pid_t fix_tids[MAX_FIX]; /* threads asked in the current round */
static _Atomic int fix_acked[MAX_FIX];
static _Atomic unsigned fix_n;
static struct sigaction old_trap;
static int trap_installed;
static int sync_core_ok = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Serialize the instruction stream of every CPU running a thread of this process. */
static void sync_cores(void)
{
    if (sync_core_ok < 0)
        sync_core_ok =
            syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0;
    if (sync_core_ok)
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
    /* Without it (kernel < 4.16) x86 still keeps instruction fetch coherent with stores; the
     * int3 protocol's fix-up round serializes every signalled thread on sigreturn. */
}

static void chain(int sig, siginfo_t *si, void *uc)
{
    if (old_trap.sa_flags & SA_SIGINFO) {
        if (old_trap.sa_sigaction)
            old_trap.sa_sigaction(sig, si, uc);
    } else if (old_trap.sa_handler == SIG_DFL) {
        signal(sig, SIG_DFL); /* what would have happened without us: core dump */
        raise(sig);
    } else if (old_trap.sa_handler != SIG_IGN) {
        old_trap.sa_handler(sig);
    }
}

static int read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int err = n < 0 ? -errno : 0;
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return err;
}

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *rip = &uc->uc_mcontext.gregs[REG_RIP];
    int saved = errno;

    if (si->si_code == SI_KERNEL) { /* int3 */
        /* newest first: an address whose earlier hook was abandoned may be hooked again */
        for (unsigned i = atomic_load(&n_sites); i-- > 0;)
            if (sites[i].addr == (uintptr_t)*rip - 1) {
                *rip = (greg_t)sites[i].redirect;
                errno = saved;
                return;
            }
    }
    errno = saved;
    chain(sig, si, ucv);
}

/* The fix-up request of step 2: leave the displaced instructions for their relocated copies. */
static void on_fixup(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *rip = &uc->uc_mcontext.gregs[REG_RIP];
    int saved = errno;

    if (si->si_code != SI_QUEUE || si->si_pid != getpid() ||
        (si->si_value.sival_int & 0xffff0000) != FIXUP_MAGIC) {
        signal(sig, SIG_DFL); /* not ours: the signal had no handler, so do what it would do */
        raise(sig);
        errno = saved;
        return;
    }
    struct pt__site *s = atomic_load(&fixing);
    if (s && (uintptr_t)*rip > s->addr && (uintptr_t)*rip < s->addr + s->displaced)
        for (unsigned i = 1; i < s->n_insns; i++)
            if ((uintptr_t)*rip == s->addr + s->insn_off[i]) {
                *rip = (greg_t)s->moved[i];
                atomic_fetch_add(&fix_moved, 1);
            }
    if ((unsigned)(si->si_value.sival_int & 0xffff) == (atomic_load(&fix_round) & 0xffff)) {
        pid_t tid = (pid_t)syscall(SYS_gettid);
        unsigned n = atomic_load(&fix_n);
        for (unsigned i = 0; i < n; i++)
            if (fix_tids[i] == tid)
                atomic_store(&fix_acked[i], 1);
    }
    errno = saved;
}

/* A real-time signal nobody handles, with our handler on it for one round; 0 when none. */
static int take_fixup_signal(struct sigaction *old)
{
    for (int sig = SIGRTMAX; sig >= SIGRTMIN; sig--) {
        struct sigaction sa;
        if (sigaction(sig, NULL, old) < 0 || (old->sa_flags & SA_SIGINFO) ||
            old->sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fixup;
        sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sig, &sa, NULL) == 0)
            return sig;
    }
    return 0;
}

/* Does thread `tid` block signal `sig` (from /proc/self/task/TID/status)? */
static int blocks(pid_t tid, int sig)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    if (read_file(path, buf, sizeof buf) < 0)
        return 0;
    char *p = strstr(buf, "SigBlk:");
    return p && (strtoull(p + 7, NULL, 16) >> (sig - 1) & 1);
}

static int install_trap_handler(void)
{
    struct sigaction sa;
    if (trap_installed)
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTRAP, &sa, &old_trap) < 0)
        return -errno;
    trap_installed = 1;
    return 0;
}

static long count_threads(void)
{
    char buf[1024];
    if (read_file("/proc/self/stat", buf, sizeof buf) < 0)
        return -1;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* after ") " come fields 3..; num_threads is field 20 */
    for (int field = 2; p && field < 20; field++)
        p = strchr(p + 1, ' ');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

/* Protection of the mapping holding `addr`, from /proc/self/maps (r-x when not found). */
static int prot_of(uintptr_t addr)
{
    char buf[4096], line[512];
    size_t ll = 0;
    int prot = PROT_READ | PROT_EXEC;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return prot;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (ll < sizeof line - 1)
                    line[ll++] = buf[i];
                continue;
            }
            line[ll] = 0;
            ll = 0;
            unsigned long lo, hi;
            char perm[5];
            if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perm) == 3 && addr >= lo && addr < hi) {
                prot = (perm[0] == 'r' ? PROT_READ : 0) | (perm[1] == 'w' ? PROT_WRITE : 0) |
                       (perm[2] == 'x' ? PROT_EXEC : 0);
                goto out;
            }
        }
    }
out:
    close(fd);
    return prot;
}

/* Does thread `tid` need to be asked? Not when it is blocked in a system call: its instruction
 * pointer is then at a syscall instruction, and the displaced bytes hold none. */
static int may_be_inside(pid_t tid, const struct pt__site *s)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    if (read_file(path, buf, sizeof buf) < 0)
        return 1;
    if (strncmp(buf, "running", 7) == 0)
        return 1;
    long nr = strtol(buf, NULL, 10);
    if (nr >= 0)
        return 0;
    /* "-1 sp pc": not in a system call, off the CPU */
    char *pc = strrchr(buf, ' ');
    uintptr_t ip = pc ? (uintptr_t)strtoull(pc + 1, NULL, 0) : 0;
    return ip > s->addr && ip < s->addr + s->displaced;
}

static void request(pid_t pid, pid_t tid, int sig, unsigned round, _Atomic int *acked)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = pid;
    si.si_uid = getuid();
    si.si_value.sival_int = (int)(FIXUP_MAGIC | (round & 0xffff));
    if (syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &si) < 0)
        atomic_store(acked, 1); /* ESRCH: it exited meanwhile, so it is not inside */
}

/* Step 2 of INT3: have every thread that may be inside the displaced instructions leave them.
 * A thread that blocks the request signal is retried until the deadline: a thread being created
 * starts with every signal blocked for a moment. */
static int move_threads_out(struct pt__site *s, const char *name, unsigned *moved, char *why,
                            size_t whylen)
{
    static uint8_t sent[MAX_FIX];
    char buf[4096];
    pid_t self = (pid_t)syscall(SYS_gettid), pid = getpid();
    unsigned n_fix = 0, round = atomic_fetch_add(&fix_round, 1) + 1;
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;
    if (fd < 0)
        return pt__why(-errno, why, whylen, name, "cannot list threads: %s", strerror(errno));
    struct sigaction old_sa;
    int sig = take_fixup_signal(&old_sa);
    if (!sig) {
        close(fd);
        return pt__why(-EBUSY, why, whylen, name, "no free real-time signal to reach the threads");
    }
    atomic_store(&fix_n, 0);
    atomic_store(&fix_moved, 0);
    atomic_store(&fixing, s);

    /* Threads created from now on cannot be inside: they would meet the breakpoint first. */
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            pid_t tid = (pid_t)atoi(d->d_name);
            if (tid <= 0 || tid == self || !may_be_inside(tid, s))
                continue;
            if (n_fix == MAX_FIX) {
                err = pt__why(-EBUSY, why, whylen, name, "more than %d threads", MAX_FIX);
                goto out;
            }
            fix_tids[n_fix] = tid; /* recorded before any request, so the handler finds it */
            atomic_store(&fix_acked[n_fix], 0);
            sent[n_fix] = 0;
            atomic_store(&fix_n, ++n_fix);
        }
    }

    struct timespec start, now, nap = {0, 50 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        unsigned waiting = 0, blocking = 0;
        for (unsigned i = 0; i < n_fix; i++) {
            if (atomic_load(&fix_acked[i]))
                continue;
            if (!sent[i]) {
                if (blocks(fix_tids[i], sig)) {
                    blocking++;
                    continue;
                }
                sent[i] = 1;
                request(pid, fix_tids[i], sig, round, &fix_acked[i]);
                waiting++;
                continue;
            }
            /* A thread that exits with the request pending never answers; it is not inside. */
            if (syscall(SYS_tgkill, pid, fix_tids[i], 0) < 0 && errno == ESRCH)
                atomic_store(&fix_acked[i], 1);
            else
                waiting++;
        }
        if (!waiting && !blocking)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 2) {
            err = pt__why(-EBUSY, why, whylen, name,
                          blocking ? "%u threads may be inside the entry and block signal %d"
                                   : "%u threads did not leave the entry (stopped?) [signal %d]",
                          blocking ? blocking : waiting, sig);
            goto out;
        }
        nanosleep(&nap, NULL);
    }
    *moved = atomic_load(&fix_moved);
out:
    atomic_store(&fixing, NULL);
    /* Put the signal back only when no request can still be delivered: one arriving after that
     * would meet the default action and end the process. */
    int pending = 0;
    for (unsigned i = 0; i < n_fix; i++)
        pending |= sent[i] && !atomic_load(&fix_acked[i]);
    atomic_store(&fix_n, 0);
    if (!pending)
        sigaction(sig, &old_sa, NULL);
    close(fd);
    return err;
}

int pt__patch_hooked(uintptr_t addr)
{
    unsigned n = atomic_load(&n_sites);
    for (unsigned i = 0; i < n; i++)
        if (sites[i].addr == addr && sites[i].redirect != addr)
            return 1;
    return 0;
}

/* A thread other than the caller that blocks SIGTRAP, or 0. A breakpoint hit by such a thread
 * is not delivered to our handler: the kernel resets SIGTRAP to its default and the process dies.
 * The check cannot stop a thread from blocking SIGTRAP a moment later; code blocks it only
 * briefly (around fork or thread creation) and does not call the hooked functions there. */
static pid_t thread_blocking_trap(void)
{
    char buf[4096];
    pid_t self = (pid_t)syscall(SYS_gettid), found = 0;
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long n;
    if (fd < 0)
        return 0;
    while (!found && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n && !found;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            pid_t tid = (pid_t)atoi(d->d_name);
            if (tid > 0 && tid != self && blocks(tid, SIGTRAP))
                found = tid;
        }
    close(fd);
    return found;
}

static void write_bytes(uintptr_t at, const uint8_t *b, size_t len)
{
    volatile uint8_t *p = (volatile uint8_t *)at;
    for (size_t i = 0; i < len; i++)
        p[i] = b[i];
}

int pt__patch_apply(struct pt__site *site, const char *name, const uint8_t *bytes, size_t len,
                    unsigned flags, struct pt_inline_info *info, char *why, size_t whylen)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t a = site->addr, first = a & ~(uintptr_t)(pg - 1);
    uintptr_t last = (a + len - 1) & ~(uintptr_t)(pg - 1);
    int prot_first, prot_last, err = 0;
    unsigned moved = 0;
    sigset_t all, old;
    struct pt__site *s;

    pthread_mutex_lock(&lock);
    if (atomic_load(&n_sites) == MAX_SITES) {
        err = pt__why(-ENOMEM, why, whylen, name, "too many hooks");
        goto out_unlock;
    }
    if (pt__patch_hooked(a)) {
        err = pt__why(-EEXIST, why, whylen, name, "already hooked");
        goto out_unlock;
    }
    s = &sites[atomic_load(&n_sites)];
    *s = *site;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    prot_first = prot_of(first);
    prot_last = prot_of(last);
    if (mprotect((void *)first, last + pg - first, PROT_READ | PROT_WRITE | PROT_EXEC) < 0) {
        int e = errno;
        err = pt__why(-e, why, whylen, name, "cannot make the entry writable: %s", strerror(e));
        goto out_mask;
    }

    long threads = count_threads();
    int one_insn = s->n_insns == 1 || s->insn_off[1] >= len;
    enum pt_inline_method method;
    if (flags & PT_INLINE_FORCE_INT3)
        method = PT_INLINE_INT3;
    else if (threads == 1)
        method = PT_INLINE_SINGLE;
    else if (one_insn && (a & 7) + len <= 8)
        method = PT_INLINE_ATOMIC;
    else
        method = PT_INLINE_INT3;

    switch (method) {
    case PT_INLINE_SINGLE:
        atomic_fetch_add(&n_sites, 1);
        write_bytes(a, bytes, len);
        break;
    case PT_INLINE_ATOMIC: {
        uint64_t *word = (uint64_t *)(a & ~(uintptr_t)7),
                 q = __atomic_load_n(word, __ATOMIC_RELAXED);
        memcpy((uint8_t *)&q + (a & 7), bytes, len);
        atomic_fetch_add(&n_sites, 1);
        __atomic_store_n(word, q, __ATOMIC_SEQ_CST);
        sync_cores();
        break;
    }
    case PT_INLINE_INT3: {
        static const uint8_t int3 = 0xcc;
        uint8_t orig0 = *(const uint8_t *)a;
        pid_t blocker = threads > 1 ? thread_blocking_trap() : 0;
        if (blocker) {
            err = pt__why(-EBUSY, why, whylen, name,
                          "thread %d blocks SIGTRAP: a breakpoint reached by it would end the "
                          "process",
                          (int)blocker);
            goto out_prot;
        }
        if ((err = install_trap_handler()) < 0) {
            err = pt__why(err, why, whylen, name, "cannot install the SIGTRAP handler");
            goto out_prot;
        }
        atomic_fetch_add(&n_sites, 1); /* published before the breakpoint can be hit */
        write_bytes(a, &int3, 1);
        sync_cores();
        if ((err = move_threads_out(s, name, &moved, why, whylen)) < 0) {
            write_bytes(a, &orig0, 1); /* nothing else was written: back to the original */
            sync_cores();
            /* A trap taken meanwhile may still arrive: it re-runs the restored instruction. */
            s->redirect = s->addr;
            goto out_prot;
        }
        write_bytes(a + 1, bytes + 1, len - 1);
        sync_cores();
        write_bytes(a, bytes, 1);
        sync_cores();
        break;
    }
    }
    if (info) {
        info->method = method;
        info->threads_fixed = moved;
    }
out_prot:
    mprotect((void *)first, pg, prot_first);
    if (last != first)
        mprotect((void *)last, pg, prot_last);
out_mask:
    pthread_sigmask(SIG_SETMASK, &old, NULL);
out_unlock:
    pthread_mutex_unlock(&lock);
    return err;
}
