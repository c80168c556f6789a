/* seccomp.c — a program that installs a seccomp filter refusing a system call the shim needs runs
 * untraced from then on, with one warning; a filter that refuses only what the shim can do without
 * turns that off instead.
 *
 * The filter is a classic BPF program handed to prctl(PR_SET_SECCOMP) or to the seccomp system call
 * (through syscall(), which libseccomp and most programs use; syscall.S). Before it is passed on,
 * the shim runs it itself on each system call it may make after start (its own, the ring writer's,
 * the holds table's, and glibc's underneath them: futex for its locks), with the arguments it uses.
 * An answer other than ALLOW or LOG for one of them stops tracing while the shim still may make
 * those calls: its signal handlers go back to SIG_DFL, an `untraced` event says why, one line goes
 * to stderr, and the shim is inert. The filter is inherited by every later image, so an exec from
 * then on carries PROFTRACE_SECCOMP=1, and a shim started with it stays inert without a word or a
 * system call (state.c). Strict mode (only read, write, exit) stops tracing the same way.
 *
 * Not seen: a filter installed with a raw syscall instruction, or inherited when the shim starts
 * (a container runtime's); there the shim's calls that such a filter makes fail are handled as any
 * failure (an identity left empty, one line and inert for the ring), and one it kills for kills.
 * docs/security.md says so. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "preload/attach.h"
#include "preload/seccomp.h"
#include "preload/shim.h"
#include "preload/unwind.h"

/* The system calls the shim may make while it traces, with the arguments that matter to a filter
 * (flags, commands, operations). optional: a refusal only turns a feature off. */
struct pt__need {
    const char *name;
    int nr;
    uint64_t a[6];
    int optional;
};
#define FD 1024 /* a descriptor of the shim's */
#define PTR 0x7f0000001000ull
static const struct pt__need pt__needs[] = {
    {"gettid", SYS_gettid, {0}, 0},
    {"getpid", SYS_getpid, {0}, 0},
    {"getppid", SYS_getppid, {0}, 0},
    {"getresuid", SYS_getresuid, {PTR, PTR, PTR}, 0},
    {"getresgid", SYS_getresgid, {PTR, PTR, PTR}, 0},
    {"geteuid", SYS_geteuid, {0}, 0},
    {"openat", SYS_openat, {(uint64_t)AT_FDCWD, PTR, O_RDONLY | O_CLOEXEC}, 0},
    {"openat", SYS_openat,
     {(uint64_t)AT_FDCWD, PTR, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600},
     0},
    {"read", SYS_read, {3, PTR, 4096}, 0},
    {"pread64", SYS_pread64, {3, PTR, 256, 0}, 0},
    {"pread64", SYS_pread64, {FD, PTR, 1, 0}, 0},             /* waking the collector (ring.c) */
    {"pwrite64", SYS_pwrite64, {FD, PTR, 65536, 1 << 20}, 0}, /* backing a ring's packets */
    {"write", SYS_write, {2, PTR, 100}, 0},
    {"close", SYS_close, {3}, 0},
    {"readlink", SYS_readlink, {PTR, PTR, 4095}, 0},
    {"readlinkat", SYS_readlinkat, {(uint64_t)AT_FDCWD, PTR, PTR, 4095}, 0},
    {"newfstatat", SYS_newfstatat, {(uint64_t)AT_FDCWD, PTR, PTR, AT_SYMLINK_NOFOLLOW}, 0},
    {"newfstatat", SYS_newfstatat, {FD, PTR, PTR, AT_EMPTY_PATH}, 0},
    {"fstat", SYS_fstat, {FD, PTR}, 0},
    {"fstatfs", SYS_fstatfs, {3, PTR}, 0},
    {"faccessat", SYS_faccessat, {(uint64_t)AT_FDCWD, PTR, X_OK}, 0},
    {"fgetxattr", SYS_fgetxattr, {3, PTR, PTR, 64}, 0},
    {"prctl", SYS_prctl, {PR_GET_NO_NEW_PRIVS}, 0},
    {"futex", SYS_futex, {PTR, FUTEX_WAKE_PRIVATE, 1}, 0},
    {"futex", SYS_futex, {PTR, FUTEX_WAIT_PRIVATE, 2}, 0},
    {"futex", SYS_futex, {PTR, FUTEX_WAIT, 1, PTR}, 0}, /* no-loss: waiting for the collector */
    {"mmap", SYS_mmap, {0, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, FD, 0}, 0},
    {"mmap", SYS_mmap, {0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        (uint64_t)-1, 0}, 0},
    {"munmap", SYS_munmap, {PTR, 4096}, 0},
    {"madvise", SYS_madvise, {PTR, 1 << 20, 23 /* MADV_POPULATE_WRITE */}, 0},
    {"mprotect", SYS_mprotect, {PTR, 4096, PROT_READ}, 0},
    {"ftruncate", SYS_ftruncate, {FD, 1 << 20}, 0},
    {"fcntl", SYS_fcntl, {FD, F_SETLK, PTR}, 0},
    {"fcntl", SYS_fcntl, {FD, F_GETLK, PTR}, 0},
    {"fcntl", SYS_fcntl, {3, F_DUPFD_CLOEXEC, FD}, 0},
    {"fchmod", SYS_fchmod, {FD, 0600}, 0},
    {"mkdir", SYS_mkdir, {PTR, 0700}, 0},
    {"rename", SYS_rename, {PTR, PTR}, 0},
    {"prlimit64", SYS_prlimit64, {0, RLIMIT_NOFILE, 0, PTR}, 0},
    {"prlimit64", SYS_prlimit64, {0, RLIMIT_FSIZE, 0, PTR}, 0},
    {"getrandom", SYS_getrandom, {PTR, 8, 1 /* GRND_NONBLOCK */}, 0},
    {"clock_gettime", SYS_clock_gettime, {CLOCK_MONOTONIC, PTR}, 0},
    {"sched_yield", SYS_sched_yield, {0}, 0},
    {"rt_sigaction", SYS_rt_sigaction, {SIGSEGV, PTR, PTR, 8}, 0},
    {"rt_sigprocmask", SYS_rt_sigprocmask, {SIG_UNBLOCK, PTR, 0, 8}, 0},
    {"tgkill", SYS_tgkill, {1, 1, SIGTERM}, 0},
    {"process_vm_readv", SYS_process_vm_readv, {1, PTR, 1, PTR, 1, 0}, 1},
};

/* Run a classic BPF seccomp program on d; its return value (the action, and its data). */
static uint32_t pt__bpf_run(const struct sock_filter *f, unsigned n, const struct seccomp_data *d)
{
    uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};
    const uint8_t *data = (const uint8_t *)d;
    for (unsigned pc = 0; pc < n; pc++) {
        const struct sock_filter *i = &f[pc];
        uint32_t k = i->k, src = BPF_SRC(i->code) == BPF_X ? X : k;
        switch (BPF_CLASS(i->code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;
            switch (BPF_MODE(i->code)) {
            case BPF_ABS:
                if (BPF_SIZE(i->code) != BPF_W || k > sizeof *d - 4 || (k & 3))
                    return SECCOMP_RET_KILL_PROCESS;
                memcpy(&v, data + k, 4);
                break;
            case BPF_LEN: v = sizeof *d; break;
            case BPF_IMM: v = k; break;
            case BPF_MEM:
                if (k >= BPF_MEMWORDS)
                    return SECCOMP_RET_KILL_PROCESS;
                v = M[k];
                break;
            default: return SECCOMP_RET_KILL_PROCESS;
            }
            if (BPF_CLASS(i->code) == BPF_LD)
                A = v;
            else
                X = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS)
                return SECCOMP_RET_KILL_PROCESS;
            M[k] = BPF_CLASS(i->code) == BPF_ST ? A : X;
            break;
        case BPF_ALU:
            switch (BPF_OP(i->code)) {
            case BPF_ADD: A += src; break;
            case BPF_SUB: A -= src; break;
            case BPF_MUL: A *= src; break;
            case BPF_DIV: if (!src) return SECCOMP_RET_KILL_PROCESS; A /= src; break;
            case BPF_MOD: if (!src) return SECCOMP_RET_KILL_PROCESS; A %= src; break;
            case BPF_OR: A |= src; break;
            case BPF_AND: A &= src; break;
            case BPF_XOR: A ^= src; break;
            case BPF_LSH: A = src < 32 ? A << src : 0; break;
            case BPF_RSH: A = src < 32 ? A >> src : 0; break;
            case BPF_NEG: A = -A; break;
            default: return SECCOMP_RET_KILL_PROCESS;
            }
            break;
        case BPF_JMP: {
            uint32_t skip;
            switch (BPF_OP(i->code)) {
            case BPF_JA: skip = k; break;
            case BPF_JEQ: skip = A == src ? i->jt : i->jf; break;
            case BPF_JGT: skip = A > src ? i->jt : i->jf; break;
            case BPF_JGE: skip = A >= src ? i->jt : i->jf; break;
            case BPF_JSET: skip = (A & src) ? i->jt : i->jf; break;
            default: return SECCOMP_RET_KILL_PROCESS;
            }
            if (skip >= n - pc - 1)
                return SECCOMP_RET_KILL_PROCESS; /* the kernel refuses such a program anyway */
            pc += skip;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(i->code) == BPF_A ? A : k;
        case BPF_MISC:
            if (BPF_MISCOP(i->code) == BPF_TAX)
                X = A;
            else
                A = X;
            break;
        default:
            return SECCOMP_RET_KILL_PROCESS;
        }
    }
    return SECCOMP_RET_KILL_PROCESS;
}

const char *pt__seccomp_stopped;

static void pt__stop(const char *why)
{
    pt__seccomp_stopped = why;
    pt__signals_remove(); /* nothing of the shim runs on a signal any more */
    pt__emit_untraced((uint32_t)syscall(SYS_getpid), pt__self_exe(), why);
    pt__fail(why, 0); /* the one line, and inert */
    pt__attach_abandon(); /* attached: GOT slots back and the ring finished, while we still may */
}

/* A filter about to be installed (prog NULL: strict mode). */
static void pt__seccomp_check(const struct sock_fprog *prog)
{
    if (atomic_load(&pt__state) != PT__ON || pt__tls.vforked)
        return;
    int *ep = pt__errno();
    int saved = *ep;
    uint8_t ob = pt__own_begin();
    static char why[160];
    if (!prog) {
        snprintf(why, sizeof why, "seccomp strict mode leaves no system call proftrace needs");
        pt__stop(why);
        goto out;
    }
    /* The program's pointers, copied through the kernel: a bad one fails the install with
     * EFAULT, it must not crash the shim first. */
    static struct sock_filter f[BPF_MAXINSNS];
    struct sock_fprog p;
    struct iovec l1 = {&p, sizeof p}, r1 = {(void *)prog, sizeof p};
    pid_t self = (pid_t)syscall(SYS_getpid);
    if (syscall(SYS_process_vm_readv, self, &l1, 1UL, &r1, 1UL, 0UL) != (long)sizeof p ||
        !p.len || p.len > BPF_MAXINSNS)
        goto out;
    struct iovec l2 = {f, p.len * sizeof f[0]}, r2 = {p.filter, p.len * sizeof f[0]};
    if (syscall(SYS_process_vm_readv, self, &l2, 1UL, &r2, 1UL, 0UL) != (long)l2.iov_len)
        goto out;
    for (unsigned i = 0; i < sizeof pt__needs / sizeof pt__needs[0]; i++) {
        const struct pt__need *n = &pt__needs[i];
        struct seccomp_data d = {.nr = n->nr, .arch = AUDIT_ARCH_X86_64,
                                 .instruction_pointer = (uint64_t)(uintptr_t)syscall};
        memcpy(d.args, n->a, sizeof d.args);
        uint32_t act = pt__bpf_run(f, p.len, &d) & SECCOMP_RET_ACTION_FULL;
        if (act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_LOG)
            continue;
        if (n->optional) {
            pt__unwind_slow_ok = 0; /* stacks off the thread's own stack: not read */
            continue;
        }
        snprintf(why, sizeof why, "a seccomp filter the program installs refuses %s, which "
                 "proftrace needs", n->name);
        pt__stop(why);
        break;
    }
out:
    pt__own_end(ob);
    *ep = saved;
}

/* From syscall.S, for syscall(SYS_seccomp, ...) and syscall(SYS_prctl, ...), before the call. */
__attribute__((visibility("hidden"))) void pt__syscall_seen(long nr, long a0, long a1, long a2)
{
    if (nr == SYS_seccomp && a0 == SECCOMP_SET_MODE_STRICT)
        pt__seccomp_check(NULL);
    else if (nr == SYS_seccomp && a0 == SECCOMP_SET_MODE_FILTER)
        pt__seccomp_check((const struct sock_fprog *)a2);
    else if (nr == SYS_prctl && a0 == PR_SET_SECCOMP && a1 == SECCOMP_MODE_STRICT)
        pt__seccomp_check(NULL);
    else if (nr == SYS_prctl && a0 == PR_SET_SECCOMP && a1 == SECCOMP_MODE_FILTER)
        pt__seccomp_check((const struct sock_fprog *)a2);
}

PT__EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP)
        pt__syscall_seen(SYS_prctl, option, (long)a2, (long)a3);
    /* glibc's prctl is the bare system call; so is this (no lookup, no lock: safe anywhere) */
    long r;
    register unsigned long r10 __asm__("r10") = a4, r8 __asm__("r8") = a5;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_prctl), "D"((long)option), "S"(a2), "d"(a3), "r"(r10),
                       "r"(r8)
                     : "rcx", "r11", "memory");
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}
