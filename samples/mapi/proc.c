/* proc.c — is a process still alive: pid plus start time, so a recycled pid is not mistaken for
 * the process that held a profile. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "samples/mapi/mapisim.h"

int mapisim__proc_start(pid_t pid, unsigned long long *start)
{
    char path[64], buf[1024], *p;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -ESRCH;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -ESRCH;
    buf[n] = '\0';
    /* Fields after the command name, which may contain spaces and parentheses. */
    p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -ESRCH;
    p += 2;
    if (*p == 'Z' || *p == 'X')
        return -ESRCH; /* exited: a dead process holds nothing, reaped or not */
    /* p is field 3 (state); the start time is field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -ESRCH;
        p++;
    }
    *start = strtoull(p, NULL, 10);
    return 0;
}
