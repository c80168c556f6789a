/* fault_tool_fds.c — the traced program of fault_fds.sh: which descriptor numbers, and how many, a
 * program gets.
 *
 *   fault_tool_fds daemon RESULTS  close every descriptor (close_range), make a call that gets a
 *                                  stack, then open /dev/null three times as a daemon does for
 *                                  its stdio, then RESULTS: the numbers it got
 *   fault_tool_fds count N RESULTS open /dev/null until EMFILE (after lowering RLIMIT_NOFILE to N,
 *                                  soft and hard, unless N is 0): how many, and the numbers
 * Failed unlink() calls come in between: each gets a stack, which must take no descriptor. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void stacked_call(void)
{
    if (unlink("/nonexistent-pt-fds/x") != -1 || errno != ENOENT)
        abort();
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    const char *results = argv[argc - 1];
    char line[8192];
    size_t n = 0;
    if (!strcmp(argv[1], "daemon")) {
        syscall(SYS_close_range, 0U, ~0U, 0U);
        stacked_call();
        int a = open("/dev/null", O_RDWR), b = open("/dev/null", O_RDWR),
            c = open("/dev/null", O_RDWR);
        stacked_call();
        int d = open("/dev/null", O_RDONLY);
        n = (size_t)snprintf(line, sizeof line, "stdio %d %d %d, next %d\n", a, b, c, d);
    } else if (!strcmp(argv[1], "count")) {
        if (argc > 3 && atoi(argv[2]) > 0) {
            struct rlimit rl = {(rlim_t)atoi(argv[2]), (rlim_t)atoi(argv[2])};
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                return 1;
        }
        int count = 0, fd, last = -1;
        n = (size_t)snprintf(line, sizeof line, "numbers");
        while ((fd = open("/dev/null", O_RDONLY)) >= 0 && count < 4096) {
            count++;
            last = fd;
            stacked_call();
            if (n < sizeof line - 16)
                n += (size_t)snprintf(line + n, sizeof line - n, " %d", fd);
        }
        n += (size_t)snprintf(line + n, sizeof line - n, "\ncount %d (%s)\n", count,
                              fd < 0 ? strerror(errno) : "stopped");
        close(last); /* room for the results file */
    } else {
        return 2;
    }
    /* The results go to a file opened last (stdout may be gone). */
    int out = open(results, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || write(out, line, n) != (ssize_t)n)
        return 1;
    return 0;
}
