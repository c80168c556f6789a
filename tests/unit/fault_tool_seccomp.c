/* fault_tool_seccomp.c — the traced program of fault_seccomp.sh: a program that sandboxes itself
 * with a seccomp filter, then makes calls the shim traces (with stacks: failed calls, deletes).
 *
 *   fault_tool_seccomp MODE
 *
 * MODE:
 *   prctl     futex refused (EPERM) through prctl(PR_SET_SECCOMP), as a single-threaded sandbox
 *             that knows it never waits would
 *   syscall   pwrite64 refused (the ring writer's backing), through syscall(SYS_seccomp) as
 *             libseccomp does; then a child execs /bin/echo under the inherited filter
 *   segv      rt_sigaction refused, installed with a raw syscall instruction (no libc entry
 *             point sees it), then a null-pointer write: the process must die of SIGSEGV
 *   abort     the same filter, then abort(): the process must die of SIGABRT
 * The program itself never needs what its filter refuses: untraced, it runs to its end. stdout says
 * what each step returned; the exit status is 3 (prctl, syscall) or the signal's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sock_filter prog[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* set in main */, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static long raw_seccomp(const struct sock_fprog *p)
{
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_seccomp), "D"((long)SECCOMP_SET_MODE_FILTER), "S"(0L), "d"(p)
                     : "rcx", "r11", "memory");
    return r;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int hidden = !strcmp(mode, "segv") || !strcmp(mode, "abort");
    prog[4].k = hidden ? SYS_rt_sigaction : !strcmp(mode, "syscall") ? SYS_pwrite64 : SYS_futex;
    struct sock_fprog fp = {sizeof prog / sizeof prog[0], prog};
    setvbuf(stdout, NULL, _IONBF, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("no_new_privs");
        return 1;
    }
    long rc;
    if (!strcmp(mode, "prctl"))
        rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0);
    else if (!strcmp(mode, "syscall"))
        rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
    else if (hidden)
        rc = raw_seccomp(&fp);
    else {
        fprintf(stderr, "usage: fault_tool_seccomp prctl|syscall|segv|abort\n");
        return 2;
    }
    printf("filter installed: %ld\n", rc);
    if (rc != 0)
        return 1;

    /* Calls the shim records, with stacks (a failed call, deletes). */
    errno = 0;
    int r = unlink("/nonexistent-pt-seccomp/x");
    printf("unlink missing: %d errno %d\n", r, errno);
    char name[64];
    snprintf(name, sizeof name, "/pt-seccomp-%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    printf("shm_open: %s\n", fd >= 0 ? "ok" : strerror(errno));
    if (fd >= 0)
        close(fd);
    printf("shm_unlink: %d\n", shm_unlink(name));
    char path[64];
    snprintf(path, sizeof path, "/tmp/pt-seccomp-%d", (int)getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0)
        close(fd);
    printf("unlink file: %d\n", unlink(path));

    if (!strcmp(mode, "segv")) {
        volatile int *null = NULL;
        *null = 1;
    }
    if (!strcmp(mode, "abort"))
        abort();

    if (strcmp(mode, "syscall"))
        return 3;
    /* A child execs under the inherited filter (futex refused would abort glibc's fork). */
    pid_t c = fork();
    if (c == 0) {
        execl("/bin/echo", "echo", "child ran", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(c, &st, 0);
    printf("child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 3;
}
