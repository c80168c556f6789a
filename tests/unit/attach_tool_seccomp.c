/* attach_tool_seccomp.c — a program that sandboxes itself with a seccomp filter, for
 * attach_seccomp.sh. The filter refuses futex (EPERM), which this single-threaded program never
 * needs and the shim does; it is installed through libc's prctl, as a sandbox does.
 *
 *   attach_tool_seccomp before   filter first, then "ready"; waits for end of input
 *   attach_tool_seccomp later    "ready"; at the line "filter" installs it and says "filtered";
 *                                then makes a traced call (shm_open + shm_unlink of NAME) and
 *                                says "done"; waits for end of input
 * Exit status 0, or 1 when a step failed (said on stderr). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct sock_filter prog[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static int sandbox(void)
{
    struct sock_fprog fp = {sizeof prog / sizeof prog[0], prog};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) != 0) {
        fprintf(stderr, "attach_tool_seccomp: prctl: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const char *name = argc > 2 ? argv[2] : "/attach_tool_seccomp";
    char line[64];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (!strcmp(mode, "before") && sandbox() < 0)
        return 1;
    printf("ready\n");
    if (!strcmp(mode, "later")) {
        if (!fgets(line, sizeof line, stdin) || strcmp(line, "filter\n"))
            return 1;
        if (sandbox() < 0)
            return 1;
        printf("filtered\n");
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || shm_unlink(name) < 0) {
            fprintf(stderr, "attach_tool_seccomp: %s: %s\n", name, strerror(errno));
            return 1;
        }
        close(fd);
        printf("done\n");
    }
    while (fgets(line, sizeof line, stdin))
        ;
    return 0;
}
