/* attach_call.c — a call injected into a thread blocked in a system call gives the thread back
 * exactly as it was (attach/remote_call.c): every vector register and MXCSR, the 128-byte red
 * zone below its stack pointer, its signal mask and alternate signal stack, and its system call,
 * which resumes and completes (read: -ERESTARTSYS; poll: -ERESTART_RESTARTBLOCK, with its
 * timeout). The injected function sees its return address at 8 mod 16 and clobbers every vector
 * register. Twice with the injector there to put the thread back, once with the injector killed
 * inside the call (SIGKILL, as `record -p` might be): the thread goes back through the signal
 * frame on its own. Real processes: a forked child, seized and called into by this process or by
 * a forked injector. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/internal.h"

static int failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* ---- The child's side --------------------------------------------------------------------- */

volatile long probe_flag, probe_align = -1;
/* The injected function: records its argument and its stack alignment at entry, clobbers every
 * vector register and MXCSR, makes a system call (the injector reads its result), returns. */
void probe(long x);
__asm__(".text\n.globl probe\n.type probe,@function\nprobe:\n"
        "  mov %rsp, %rax\n  and $15, %rax\n  mov %rax, probe_align(%rip)\n"
        "  mov %rdi, probe_flag(%rip)\n"
        "  vpcmpeqd %ymm0, %ymm0, %ymm0\n  vmovdqa %ymm0, %ymm1\n  vmovdqa %ymm0, %ymm2\n"
        "  vmovdqa %ymm0, %ymm3\n  vmovdqa %ymm0, %ymm4\n  vmovdqa %ymm0, %ymm5\n"
        "  vmovdqa %ymm0, %ymm6\n  vmovdqa %ymm0, %ymm7\n  vmovdqa %ymm0, %ymm8\n"
        "  vmovdqa %ymm0, %ymm9\n  vmovdqa %ymm0, %ymm10\n  vmovdqa %ymm0, %ymm11\n"
        "  vmovdqa %ymm0, %ymm12\n  vmovdqa %ymm0, %ymm13\n  vmovdqa %ymm0, %ymm14\n"
        "  vmovdqa %ymm0, %ymm15\n"
        "  sub $8, %rsp\n  movl $0x7f80, (%rsp)\n  ldmxcsr (%rsp)\n  add $8, %rsp\n"
        "  mov $110, %eax\n  syscall\n" /* getppid */
        "  ret\n.size probe, .-probe\n");

static uint8_t pat_in[16][32] __attribute__((aligned(32))),
    pat_out[16][32] __attribute__((aligned(32)));
static uint64_t rz_out[4];
static uint32_t mxcsr_in = 0x1f80 | 0x6000, mxcsr_out; /* round toward zero */

/* A raw system call with patterns in ymm0-15, MXCSR and the red zone, read back after it. */
static long blocked_syscall(long nr, long a1, long a2, long a3)
{
    long ret;
    __asm__ volatile("ldmxcsr (%[mi])\n"
                     "vmovdqa 0(%[in]), %%ymm0\n vmovdqa 32(%[in]), %%ymm1\n"
                     "vmovdqa 64(%[in]), %%ymm2\n vmovdqa 96(%[in]), %%ymm3\n"
                     "vmovdqa 128(%[in]), %%ymm4\n vmovdqa 160(%[in]), %%ymm5\n"
                     "vmovdqa 192(%[in]), %%ymm6\n vmovdqa 224(%[in]), %%ymm7\n"
                     "vmovdqa 256(%[in]), %%ymm8\n vmovdqa 288(%[in]), %%ymm9\n"
                     "vmovdqa 320(%[in]), %%ymm10\n vmovdqa 352(%[in]), %%ymm11\n"
                     "vmovdqa 384(%[in]), %%ymm12\n vmovdqa 416(%[in]), %%ymm13\n"
                     "vmovdqa 448(%[in]), %%ymm14\n vmovdqa 480(%[in]), %%ymm15\n"
                     "movabs $0x1111111111111111, %%rcx\n mov %%rcx, -8(%%rsp)\n"
                     "movabs $0x2222222222222222, %%rcx\n mov %%rcx, -40(%%rsp)\n"
                     "movabs $0x3333333333333333, %%rcx\n mov %%rcx, -88(%%rsp)\n"
                     "movabs $0x4444444444444444, %%rcx\n mov %%rcx, -128(%%rsp)\n"
                     "syscall\n"
                     "mov -8(%%rsp), %%rcx\n mov %%rcx, 0(%[rz])\n"
                     "mov -40(%%rsp), %%rcx\n mov %%rcx, 8(%[rz])\n"
                     "mov -88(%%rsp), %%rcx\n mov %%rcx, 16(%[rz])\n"
                     "mov -128(%%rsp), %%rcx\n mov %%rcx, 24(%[rz])\n"
                     "vmovdqa %%ymm0, 0(%[out])\n vmovdqa %%ymm1, 32(%[out])\n"
                     "vmovdqa %%ymm2, 64(%[out])\n vmovdqa %%ymm3, 96(%[out])\n"
                     "vmovdqa %%ymm4, 128(%[out])\n vmovdqa %%ymm5, 160(%[out])\n"
                     "vmovdqa %%ymm6, 192(%[out])\n vmovdqa %%ymm7, 224(%[out])\n"
                     "vmovdqa %%ymm8, 256(%[out])\n vmovdqa %%ymm9, 288(%[out])\n"
                     "vmovdqa %%ymm10, 320(%[out])\n vmovdqa %%ymm11, 352(%[out])\n"
                     "vmovdqa %%ymm12, 384(%[out])\n vmovdqa %%ymm13, 416(%[out])\n"
                     "vmovdqa %%ymm14, 448(%[out])\n vmovdqa %%ymm15, 480(%[out])\n"
                     "stmxcsr (%[mo])\n"
                     "vzeroupper\n"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), [in] "r"(pat_in), [out] "r"(pat_out),
                       [rz] "r"(rz_out), [mi] "r"(&mxcsr_in), [mo] "r"(&mxcsr_out)
                     : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
                       "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                       "xmm15");
    return ret;
}

static int child_check(const char *what, long ret, long want, long flag)
{
    int bad = 0;
    uint32_t dflt = 0x1f80;
    __asm__ volatile("ldmxcsr %0" ::"m"(dflt));
    if (ret != want)
        bad++, fprintf(stderr, "child %s: system call returned %ld, not %ld\n", what, ret, want);
    if (memcmp(pat_in, pat_out, sizeof pat_in))
        bad++, fprintf(stderr, "child %s: vector registers changed\n", what);
    if (mxcsr_out != mxcsr_in)
        bad++, fprintf(stderr, "child %s: MXCSR %#x, not %#x\n", what, mxcsr_out, mxcsr_in);
    if (rz_out[0] != 0x1111111111111111ull || rz_out[1] != 0x2222222222222222ull ||
        rz_out[2] != 0x3333333333333333ull || rz_out[3] != 0x4444444444444444ull)
        bad++, fprintf(stderr, "child %s: red zone overwritten\n", what);
    if (probe_flag != flag)
        bad++, fprintf(stderr, "child %s: the injected call did not run (%ld)\n", what, probe_flag);
    if (probe_align != 8)
        bad++, fprintf(stderr, "child %s: return address at %ld mod 16\n", what, probe_align);
    return bad;
}

static int child_main(int rd_a, int rd_b, int ready)
{
    static char alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt}, now;
    sigset_t mask, mnow;
    int bad = 0;
    sigaltstack(&ss, NULL);
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGWINCH);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    for (int i = 0; i < 16; i++)
        for (int k = 0; k < 32; k++)
            pat_in[i][k] = (uint8_t)(i * 37 + k * 11 + 1);
    /* 1. poll with a timeout: -ERESTART_RESTARTBLOCK, resumed by restart_syscall. */
    struct pollfd pfd = {.fd = rd_a, .events = POLLIN};
    if (write(ready, "1", 1) != 1)
        return 3;
    long r = blocked_syscall(SYS_poll, (long)&pfd, 1, 600000);
    bad += child_check("poll", r, 1, 0x5eed1);
    /* 2. read: -ERESTARTSYS, the call run again. */
    char c;
    if (write(ready, "2", 1) != 1)
        return 3;
    r = blocked_syscall(SYS_read, rd_b, (long)&c, 1);
    bad += child_check("read", r, 1, 0x5eed2);
    /* 3. read again, the injector killed inside the call: home through the frame. */
    if (write(ready, "3", 1) != 1)
        return 3;
    r = blocked_syscall(SYS_read, rd_b, (long)&c, 1);
    bad += child_check("read, injector killed", r, 1, 0x5eed3);
    sigaltstack(NULL, &now);
    if (now.ss_sp != alt || now.ss_size != sizeof alt || now.ss_flags != 0)
        bad++, fprintf(stderr, "child: alternate signal stack changed\n");
    sigprocmask(SIG_SETMASK, NULL, &mnow);
    if (!sigismember(&mnow, SIGUSR2) || !sigismember(&mnow, SIGWINCH) ||
        sigismember(&mnow, SIGUSR1))
        bad++, fprintf(stderr, "child: signal mask changed\n");
    return bad ? 1 : 0;
}

/* ---- The injector's side ------------------------------------------------------------------ */

/* Wait until the child sits in system call nr (the event, read from /proc). */
static int wait_in_syscall(pid_t pid, long nr)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    for (int i = 0; i < 60000; i++) {
        FILE *f = fopen(path, "re");
        if (f) {
            long got = -2;
            if (fgets(buf, sizeof buf, f))
                got = strtol(buf, NULL, 10);
            fclose(f);
            if (got == nr)
                return 0;
        }
        usleep(1000);
    }
    return -1;
}

static void inject(pid_t pid, long flag, pid_t parent)
{
    char why[512];
    struct pt__vma *v;
    size_t n;
    struct pt__libc lc;
    struct pt__world w;
    struct pt__rcall rc;
    CHECK(pt__maps_read(pid, &v, &n) == 0, "maps");
    CHECK(pt__libc_find(pid, v, n, &lc, why, sizeof why) == 0, "libc: %s", why);
    CHECK(pt__world_seize(&w, pid, v, n, why, sizeof why) == 0, "seize: %s", why);
    CHECK((long)w.t[w.hijack].regs.orig_rax >= 0, "the thread is not stopped in its system call");
    CHECK(pt__rcall_init(&rc, &w, why, sizeof why) == 0, "init: %s", why);
    rc.restore_rt = lc.restore_rt;
    const struct pt__vma *stk = pt__maps_find(v, n, rc.resume.rsp);
    rc.own_lo = stk ? stk->lo : 0;
    int64_t ret = 0;
    uint64_t arg = (uint64_t)flag;
    int r = pt__rcall(&rc, PT__ON_OWN_STACK, SYS_getppid, (uint64_t)(uintptr_t)probe, 1, &arg, &ret,
                      why, sizeof why);
    CHECK(r == 0, "call: %s", why);
    CHECK(ret == parent, "the call's system call answered %lld, not the child's parent",
          (long long)ret);
    struct user_regs_struct now;
    CHECK(ptrace(PTRACE_GETREGS, rc.tid, 0, &now) == 0, "getregs");
    CHECK(now.rip == rc.orig.rip && now.rsp == rc.orig.rsp && now.rax == rc.orig.rax &&
              now.orig_rax == rc.orig.orig_rax && now.rdi == rc.orig.rdi,
          "registers after the call differ from the thread's own");
    pt__rcall_fini(&rc);
    pt__world_detach(&w);
    free(v);
}

int main(void)
{
    if (!__builtin_cpu_supports("avx")) {
        printf("SKIP: no AVX on this CPU (the vector-register check needs it)\n");
        return 77;
    }
    int a[2], b[2], ready[2];
    if (pipe(a) || pipe(b) || pipe(ready))
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        close(a[1]);
        close(b[1]);
        close(ready[0]);
        _exit(child_main(a[0], b[0], ready[1]));
    }
    close(ready[1]);
    char c;
    CHECK(read(ready[0], &c, 1) == 1 && c == '1', "child never got ready");
    CHECK(wait_in_syscall(pid, SYS_poll) == 0, "child never blocked in poll");
    inject(pid, 0x5eed1, getpid());
    CHECK(write(a[1], "x", 1) == 1, "wake 1");
    CHECK(read(ready[0], &c, 1) == 1 && c == '2', "child did not go on after poll");
    CHECK(wait_in_syscall(pid, SYS_read) == 0, "child never blocked in read");
    inject(pid, 0x5eed2, getpid());
    CHECK(write(b[1], "x", 1) == 1, "wake 2");
    CHECK(read(ready[0], &c, 1) == 1 && c == '3', "child did not go on after read");
    CHECK(wait_in_syscall(pid, SYS_read) == 0, "child never blocked in read again");
    /* An injector of its own, told to stop itself inside its first call, then killed there. */
    pid_t inj = fork();
    if (inj == 0) {
        setenv("PROFTRACE_ATTACH_TEST_STOP", "call:1", 1);
        inject(pid, 0x5eed3, getppid());
        _exit(1); /* it was to be killed before it got here */
    }
    int ist;
    CHECK(waitpid(inj, &ist, WUNTRACED) == inj && WIFSTOPPED(ist), "injector did not stop");
    kill(inj, SIGKILL);
    CHECK(waitpid(inj, &ist, 0) == inj && WIFSIGNALED(ist), "injector not killed");
    CHECK(write(b[1], "x", 1) == 1, "wake 3");
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "wait");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child found its state changed (status %#x)", st);
    if (failures)
        return 1;
    printf("ok: three injected calls (one whose injector was killed inside it), "
           "registers/MXCSR/red zone/mask/altstack intact, poll and read restarted\n");
    return 0;
}
