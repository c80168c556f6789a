/* remote_call.c — calling a function of the target on one of its threads, and giving the thread
 * back exactly as it was, even if proftrace dies in the middle.
 *
 * The idea. A call returns through a signal frame: below the stack pointer the call runs at, the
 * injector writes the frame the kernel itself would have written for a signal handler — every
 * general register, the flags, the full extended FPU/SIMD state (xsave), the signal mask — holding
 * the thread's own state, and makes the call's return address a trampoline that runs
 * rt_sigreturn. When the function returns, the kernel can reload everything from the frame: the
 * thread is back where it was whether or not proftrace is still there to see it (a SIGKILLed
 * proftrace detaches on its own death, and the thread finishes the call and goes home). The
 * trampoline is libc's own __restore_rt for the first calls, which make the scratch area; after
 * that it is a stub in the scratch area that first stores the function's result (rax) where the
 * injector reads it (libc's would overwrite rax with 15).
 * While proftrace is there, it does better than the frame: it stops the thread at that
 * rt_sigreturn, skips it, and puts back the registers, the extended state and the mask it read
 * when it stopped the thread, untouched — so a system call the thread was in is restarted by the
 * kernel itself, exactly as after any ptrace stop (rt_sigreturn would have cancelled a pending
 * restart_syscall: nanosleep and poll would return EINTR). The frame is the fallback for a
 * proftrace that died: then such a call returns EINTR, which the program must expect of any
 * signal, and every other call is restarted as the kernel would have.
 *
 * The details that make it exact:
 *  - red zone: the frame is built 128 bytes (plus a margin) below the stack pointer, which the
 *    ABI lets leaf code use without moving it; calls that run long use a scratch stack instead;
 *  - alignment: the return address sits at an address = 8 mod 16, as after a `call`, and the
 *    xsave area at a multiple of 64, as XRSTOR requires;
 *  - system call restart (the frame only): a thread stopped inside a blocking system call reports
 *    -ERESTARTSYS (or a sibling); rt_sigreturn disables the kernel's restart (orig_rax = -1), so
 *    the frame holds the restarted state: rip back on the `syscall` instruction, rax the call
 *    number again;
 *  - the injected call runs with orig_rax = -1 (no restart of the interrupted call under it), DF
 *    clear as the ABI wants, and every signal blocked but SIGTRAP (PTRACE_SETSIGMASK), so no
 *    handler of the program runs on top of it (SIGTRAP: the breakpoint the shim's inline hooks
 *    put on a function while they patch it, which their own handler passes on);
 *  - the alternate signal stack: rt_sigreturn also sets it from the frame, and ignores a value it
 *    finds invalid (the kernel squashes every error there but EFAULT), so the frame holds an
 *    invalid one (ss_flags 3) and the thread's own stays as it is;
 *  - extended state: the frame's xsave area carries both software-reserved magic words, so the
 *    kernel restores all of it (AVX, AVX-512...), not only the legacy x87/SSE part.
 * The thread is watched with PTRACE_SYSCALL: its system calls show what the call is doing, the
 * result of a setup call is read at its mmap's exit, and rt_sigreturn from the trampoline says it
 * is over. While the other threads are stopped, a call that is about to wait on a futex (a lock
 * one of them may hold) lets them all run again first: the pause ends there rather than deadlock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/internal.h"

volatile int pt__attach_cancel;

/* The kernel's x86-64 signal frame (uapi asm/sigcontext.h, asm/ucontext.h), spelled out here
 * because glibc's <signal.h> declares different structs of the same names. */
struct k_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, di, si, bp, bx, dx, ax, cx, sp, ip, flags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
struct k_ucontext {
    uint64_t flags, link;
    uint64_t ss_sp;
    int32_t ss_flags, pad;
    uint64_t ss_size;
    struct k_sigcontext mc;
    uint64_t sigmask;
};
struct k_rt_sigframe {
    uint64_t pretcode;
    struct k_ucontext uc;
    uint8_t info[128];
};
_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(struct k_ucontext) == 304, "ucontext layout");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#ifndef FP_XSTATE_MAGIC1 /* <signal.h> may have them */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#endif
#define SW_BYTES_OFF 464 /* struct _fpx_sw_bytes in the legacy area's software-reserved bytes */
#define X86_EFLAGS_TF 0x100
#define X86_EFLAGS_DF 0x400
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

int pt__mem_write(pid_t pid, uint64_t addr, const void *buf, size_t n)
{
    struct iovec l = {(void *)buf, n}, r = {(void *)(uintptr_t)addr, n};
    ssize_t w = process_vm_writev(pid, &l, 1, &r, 1, 0);
    return w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
}

int pt__mem_read(pid_t pid, uint64_t addr, void *buf, size_t n)
{
    struct iovec l = {buf, n}, r = {(void *)(uintptr_t)addr, n};
    ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
    return got == (ssize_t)n ? 0 : got < 0 ? -errno : -EIO;
}

int pt__rcall_init(struct pt__rcall *rc, struct pt__world *w, char *why, size_t len)
{
    struct pt__thr *t = &w->t[w->hijack];
    memset(rc, 0, sizeof *rc);
    rc->w = w;
    rc->tid = t->tid;
    rc->xsave = calloc(1, 64 * 1024);
    if (!rc->xsave)
        return -ENOMEM;
    struct iovec iov = {rc->xsave, 64 * 1024};
    if (ptrace(PTRACE_GETREGSET, rc->tid, (void *)NT_X86_XSTATE, &iov) < 0 || iov.iov_len < 576) {
        int e = errno ? errno : EIO;
        snprintf(why, len, "reading thread %d's FPU state: %s", (int)rc->tid, strerror(e));
        free(rc->xsave);
        rc->xsave = NULL;
        return -e;
    }
    rc->xlen = iov.iov_len;
    if (ptrace(PTRACE_GETSIGMASK, rc->tid, (void *)sizeof rc->sigmask, &rc->sigmask) < 0) {
        int e = errno;
        snprintf(why, len, "reading thread %d's signal mask: %s", (int)rc->tid, strerror(e));
        free(rc->xsave);
        rc->xsave = NULL;
        return -e;
    }
    /* Where it goes back to: as it was (orig), and as a signal frame must say it (resume: the
     * kernel's restart done by hand; restart_syscall cannot follow rt_sigreturn, so the
     * restart-block calls return EINTR that way). */
    rc->orig = t->regs;
    rc->resume = t->regs;
    long rv = (long)t->regs.rax;
    if ((long)t->regs.orig_rax >= 0) {
        if (rv == -ERESTARTSYS || rv == -ERESTARTNOINTR || rv == -ERESTARTNOHAND) {
            rc->resume.rax = t->regs.orig_rax;
            rc->resume.rip -= 2;
        } else if (rv == -ERESTART_RESTARTBLOCK) {
            rc->resume.rax = (unsigned long long)-EINTR;
        }
    }
    rc->resume.orig_rax = (unsigned long long)-1;
    /* The xsave area the frame carries must announce itself, or the kernel restores only x87/SSE.
     */
    uint32_t magic1;
    memcpy(&magic1, rc->xsave + SW_BYTES_OFF, 4);
    if (magic1 != FP_XSTATE_MAGIC1) {
        uint32_t sw[12] = {0};
        uint64_t features;
        memcpy(&features, rc->xsave + 512, 8); /* xstate_bv of the header */
        features |= 3;                         /* x87 and SSE, always present */
        sw[0] = FP_XSTATE_MAGIC1;
        sw[1] = (uint32_t)rc->xlen + 4;
        memcpy(&sw[2], &features, 8);
        sw[4] = (uint32_t)rc->xlen;
        memcpy(rc->xsave + SW_BYTES_OFF, sw, sizeof sw);
    }
    return 0;
}

/* Put everything back as it was when the thread was stopped, without a sigreturn (it is in a
 * stop); it leaves from an interrupt stop (world.c), where the kernel restarts its system call. */
static void restore_direct(struct pt__rcall *rc)
{
    struct iovec iov = {rc->xsave, rc->xlen};
    ptrace(PTRACE_SETREGS, rc->tid, 0, &rc->orig);
    ptrace(PTRACE_SETREGSET, rc->tid, (void *)NT_X86_XSTATE, &iov);
    ptrace(PTRACE_SETSIGMASK, rc->tid, (void *)sizeof rc->sigmask, &rc->sigmask);
    struct pt__thr *t = pt__world_thr(rc->w, rc->tid);
    if (t) {
        t->trap = 1;
        t->stopped = 1;
    }
}

void pt__rcall_fini(struct pt__rcall *rc)
{
    free(rc->xsave);
    rc->xsave = NULL;
}

static int is_futex_wait(const struct __ptrace_syscall_info *si)
{
    if (si->entry.nr == SYS_futex_waitv)
        return 1;
    if (si->entry.nr != SYS_futex)
        return 0;
    unsigned cmd = (unsigned)si->entry.args[1] & 0x7f; /* FUTEX_CMD_MASK */
    return cmd == 0 /* WAIT */ || cmd == 9 /* WAIT_BITSET */ || cmd == 6 /* LOCK_PI */ ||
           cmd == 13 /* LOCK_PI2 */ || cmd == 11 /* WAIT_REQUEUE_PI */;
}

/* PROFTRACE_ATTACH_TEST_STOP=call:N, for tests: at the first system call of its N-th call into a
 * process, the injector says so on stderr and stops itself (SIGSTOP), so that a test can kill it
 * right there, inside the call. */
static void test_stop(int ncall)
{
    const char *v = getenv("PROFTRACE_ATTACH_TEST_STOP");
    if (!v || strncmp(v, "call:", 5) || atoi(v + 5) != ncall)
        return;
    fprintf(stderr, "proftrace: test stop in call %d\n", ncall);
    kill(getpid(), SIGSTOP);
}

/* Does the process have a handler for sig (SigCgt in /proc/PID/status)? */
static int catches(pid_t pid, int sig)
{
    char path[64], line[256];
    unsigned long long cgt = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "SigCgt:", 7))
            cgt = strtoull(line + 7, NULL, 16);
    fclose(f);
    return (cgt >> (sig - 1)) & 1;
}

static int sync_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP ||
           sig == SIGSYS || sig == SIGABRT;
}

int pt__rcall(struct pt__rcall *rc, int how, long sysnr, uint64_t fn, int nargs,
              const uint64_t *args, int64_t *ret, char *why, size_t len)
{
    uint64_t top, restorer, ret_ip;
    if (how == PT__ON_OWN_STACK) {
        top = (rc->resume.rsp - 128 - 64) & ~63ull; /* below the red zone */
        restorer = rc->restore_rt;
        ret_ip = rc->restore_rt + 9; /* after its syscall instruction */
    } else {
        top = rc->scratch_stack & ~63ull;
        restorer = rc->stub;
        ret_ip = rc->stub_end;
    }
    /* The frame: xsave area (64-aligned) at the top, the rt_sigframe below it, its return
     * address slot at 8 mod 16. */
    uint64_t fp = (top - (rc->xlen + 4)) & ~63ull;
    uint64_t p = ((fp - sizeof(struct k_rt_sigframe)) & ~15ull) - 8;
    if (how == PT__ON_OWN_STACK && p - 16 * 1024 < rc->own_lo) {
        snprintf(why, len, "thread %d has no room on its stack for the call", (int)rc->tid);
        return -ENOSPC;
    }
    size_t total = (size_t)(top - p);
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return -ENOMEM;
    struct k_rt_sigframe *f = (struct k_rt_sigframe *)buf;
    const struct user_regs_struct *r = &rc->resume;
    f->pretcode = restorer;
    f->uc.flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f->uc.ss_flags = 3; /* invalid: rt_sigreturn leaves the alternate stack as it is */
    f->uc.mc = (struct k_sigcontext){.r8 = r->r8,
                                     .r9 = r->r9,
                                     .r10 = r->r10,
                                     .r11 = r->r11,
                                     .r12 = r->r12,
                                     .r13 = r->r13,
                                     .r14 = r->r14,
                                     .r15 = r->r15,
                                     .di = r->rdi,
                                     .si = r->rsi,
                                     .bp = r->rbp,
                                     .bx = r->rbx,
                                     .dx = r->rdx,
                                     .ax = r->rax,
                                     .cx = r->rcx,
                                     .sp = r->rsp,
                                     .ip = r->rip,
                                     .flags = r->eflags,
                                     .cs = (uint16_t)r->cs,
                                     .ss = (uint16_t)r->ss,
                                     .fpstate = fp};
    f->uc.sigmask = rc->sigmask;
    memcpy(buf + (fp - p), rc->xsave, rc->xlen);
    uint32_t magic2 = FP_XSTATE_MAGIC2;
    memcpy(buf + (fp - p) + rc->xlen, &magic2, 4);
    int rcw = pt__mem_write(rc->w->pid, p, buf, total);
    free(buf);
    if (rcw < 0) {
        snprintf(why, len, "writing the call frame at %#llx: %s", (unsigned long long)p,
                 strerror(-rcw));
        return rcw;
    }

    struct user_regs_struct cr = rc->resume;
    cr.rip = fn;
    cr.rsp = p;
    cr.rax = 0; /* no vector registers for a variadic callee */
    cr.orig_rax = (unsigned long long)-1;
    cr.eflags &= ~(unsigned long long)(X86_EFLAGS_DF | X86_EFLAGS_TF);
    unsigned long long *argr[6] = {&cr.rdi, &cr.rsi, &cr.rdx, &cr.rcx, &cr.r8, &cr.r9};
    for (int i = 0; i < nargs && i < 6; i++)
        *argr[i] = args[i];
    /* Every signal blocked but SIGTRAP: the shim's inline hooks briefly put a breakpoint on a
     * function they patch (preload/inline/patch.c) and send a thread that meets it on through
     * their SIGTRAP handler; blocked, that trap would kill the process. */
    uint64_t all = ~0ull & ~(1ull << (SIGTRAP - 1));
    if (ptrace(PTRACE_SETREGS, rc->tid, 0, &cr) < 0 ||
        ptrace(PTRACE_SETSIGMASK, rc->tid, (void *)sizeof all, &all) < 0 ||
        ptrace(PTRACE_SYSCALL, rc->tid, 0, 0) < 0) {
        int e = errno;
        restore_direct(rc);
        snprintf(why, len, "starting the call on thread %d: %s", (int)rc->tid, strerror(e));
        return -e;
    }

    struct pt__thr *self = pt__world_thr(rc->w, rc->tid);
    if (self)
        self->stopped = 0; /* running the call: a detach must stop it first */
    long last_nr = -1;
    int in_sigreturn = 0, have_sys = 0, first = 1, ncall = ++rc->w->ncalls;
    for (;;) {
        int st;
        pid_t who = waitpid(-1, &st, __WALL);
        if (who < 0 && errno == EINTR) {
            if (pt__attach_cancel) {
                snprintf(why, len,
                         "interrupted: the call goes on in the process and returns "
                         "to where it was");
                return -ECANCELED;
            }
            continue;
        }
        if (who < 0) {
            int e = errno;
            snprintf(why, len, "waiting for thread %d: %s", (int)rc->tid, strerror(e));
            return -e;
        }
        if (who != rc->tid) {
            pt__world_event(rc->w, who, st);
            continue;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            snprintf(why, len, "the process ended during the call (%s %d)",
                     WIFEXITED(st) ? "exit status" : "signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            return -ESRCH;
        }
        if (!WIFSTOPPED(st))
            continue;
        int sig = WSTOPSIG(st);
        if (sig == (SIGTRAP | 0x80)) {
            struct __ptrace_syscall_info si;
            memset(&si, 0, sizeof si);
            if (ptrace(PTRACE_GET_SYSCALL_INFO, rc->tid, (void *)sizeof si, &si) <= 0) {
                int e = errno;
                snprintf(why, len, "PTRACE_GET_SYSCALL_INFO: %s", strerror(e));
                return -e;
            }
            if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
                last_nr = (long)si.entry.nr;
                if (first)
                    test_stop(ncall);
                first = 0;
                if (last_nr == SYS_rt_sigreturn && si.instruction_pointer == ret_ip) {
                    in_sigreturn = 1;
                    if (how == PT__ON_SCRATCH) {
                        int64_t v = 0;
                        if (pt__mem_read(rc->w->pid, rc->result, &v, sizeof v) == 0 && ret)
                            *ret = v;
                    }
                    /* Skip it: the thread's own state goes back below, exactly. */
                    struct user_regs_struct cur;
                    if (ptrace(PTRACE_GETREGS, rc->tid, 0, &cur) == 0) {
                        cur.orig_rax = (unsigned long long)-1;
                        ptrace(PTRACE_SETREGS, rc->tid, 0, &cur);
                    }
                } else if (!rc->w->running && is_futex_wait(&si)) {
                    pt__world_resume_others(rc->w); /* it may wait for one of them */
                }
            } else if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
                if (in_sigreturn) {
                    restore_direct(rc);
                    break;
                }
                if (!have_sys && sysnr >= 0 && last_nr == sysnr) {
                    have_sys = 1;
                    if (ret)
                        *ret = si.exit.rval;
                }
            }
            ptrace(PTRACE_SYSCALL, rc->tid, 0, 0);
            continue;
        }
        if (st >> 16 == PTRACE_EVENT_STOP) { /* an interrupt of ours arriving late */
            ptrace(PTRACE_SYSCALL, rc->tid, 0, 0);
            continue;
        }
        if (sig == SIGTRAP && catches(rc->w->pid, SIGTRAP)) {
            ptrace(PTRACE_SYSCALL, rc->tid, 0, (void *)(long)sig); /* a hook's breakpoint */
            continue;
        }
        if (sync_signal(sig)) {
            siginfo_t info;
            memset(&info, 0, sizeof info);
            ptrace(PTRACE_GETSIGINFO, rc->tid, 0, &info);
            restore_direct(rc);
            snprintf(why, len, "the call at %#llx faulted (%s at %p); the thread was put back",
                     (unsigned long long)fn, strsignal(sig), info.si_addr);
            return -EFAULT;
        }
        /* Signals are blocked in the call: only one that cannot be blocked gets here. */
        ptrace(PTRACE_SYSCALL, rc->tid, 0, 0);
    }
    if (how == PT__ON_OWN_STACK && sysnr >= 0 && !have_sys) {
        snprintf(why, len, "the call made no system call %ld", sysnr);
        return -EIO;
    }
    return 0;
}
