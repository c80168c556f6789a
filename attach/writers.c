/* writers.c — which processes a detach must reach: every process writing a ring into the trace
 * directory (an attached process and the fork children it made since, each with its own ring),
 * known by the liveness lock it holds on its ring (F_GETLK gives its pid in our namespace, in any
 * pid namespace), and whether one of them was attached rather than started with the shim. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/attach.h"
#include "attach/internal.h"

int pt_attach_writers(const char *dir, pid_t *pids, int max)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/rings", dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) && n < max;) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".ring"))
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0) {
            int dup = 0;
            for (int i = 0; i < n; i++)
                dup |= pids[i] == fl.l_pid;
            if (!dup)
                pids[n++] = fl.l_pid;
        }
        close(fd);
    }
    closedir(d);
    return n;
}

int pt__shim_mapped(pid_t pid, const char *shim)
{
    struct stat want;
    if (stat(shim, &want) < 0)
        return 0;
    struct pt__vma *v;
    size_t n;
    if (pt__maps_read(pid, &v, &n) < 0)
        return 0;
    int mapped = 0;
    char real[PATH_MAX];
    if (!realpath(shim, real))
        snprintf(real, sizeof real, "%s", shim);
    for (size_t i = 0; i < n && !mapped; i++) /* maps shows the inode; its dev may be a lower
                                               * layer's (overlayfs), so the path counts too */
        mapped = v[i].ino == (uint64_t)want.st_ino &&
                 (v[i].dev == (uint64_t)want.st_dev || !strcmp(v[i].path, real));
    free(v);
    return mapped;
}

int pt__started_traced(pid_t pid, const char *shim)
{
    char path[64], env[65536];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t got = read(fd, env, sizeof env - 1);
    close(fd);
    if (got <= 0)
        return 0;
    env[got] = 0;
    const char *base = strrchr(shim, '/') ? strrchr(shim, '/') + 1 : shim;
    int named = 0, dir = 0;
    for (char *e = env; e < env + got; e += strlen(e) + 1) {
        named |= !strncmp(e, "LD_PRELOAD=", 11) && strstr(e + 11, base) != NULL;
        dir |= !strncmp(e, "PROFTRACE_DIR=", 14) && e[14];
    }
    return named && dir;
}

int pt_attach_is_attached(pid_t pid, const char *shim)
{
    return pt__shim_mapped(pid, shim) && !pt__started_traced(pid, shim);
}
