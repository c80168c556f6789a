/* witness_identity.c — reads who a process is from /proc, checked against its pidfd.
 *
 * Every file is read through one descriptor of /proc/<pid>, so all of them describe the same
 * process or fail (a descriptor of a /proc/<pid> directory never moves to a new process that reuses
 * the pid). When the caller has a pidfd of the process (fanotify gives one), the process must still
 * be running after that directory was opened: then the directory is its, not a successor's. A
 * process that already exited (a zombie included: its exe and namespaces are gone) is "gone".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/witness_internal.h"

static const char *const ns_names[PT__WNS] = {"ipc", "mnt", "pid", "user", "uts", "net", "cgroup",
                                              "time"};

const char *pt__wident_state_name(int state)
{
    switch (state) {
    case PT__WID_LIVE: return "live";
    case PT__WID_EXEC: return "exec";
    case PT__WID_GONE: return "gone";
    default: return "none";
    }
}

static ssize_t read_at(int dfd, const char *name, char *buf, size_t size)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    buf[n] = 0;
    return n;
}

/* 1 when the process behind pidfd has exited (or cannot be asked), 0 while it runs. */
static int pidfd_exited(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int n = poll(&p, 1, 0);
    return n != 0;
}

static int parse_stat(const char *buf, struct pt__wident *id)
{
    const char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
    if (!p)
        return -EINVAL;
    p++;
    char state = 0;
    unsigned long long v[20] = {0};
    /* fields 3 (state) .. 22 (starttime) */
    if (sscanf(p, " %c %llu %*u %*u %*u %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
               &state, &v[0], &v[1]) != 3)
        return -EINVAL;
    id->ppid = (uint32_t)v[0];
    id->start_time = v[1];
    return state == 'Z' || state == 'X' ? -ESRCH : 0;
}

void pt__wident_unknown(struct pt__wident *id, pid_t pid, int state)
{
    memset(id, 0, sizeof *id);
    id->pid = (uint32_t)pid;
    id->state = state;
    id->uid = id->euid = id->sessionid = id->loginuid = (uint32_t)-1;
}

int pt__wident_read(pid_t pid, int pidfd, struct pt__wident *id)
{
    char path[64], buf[4096];
    int dfd, rc = 0;

    pt__wident_unknown(id, pid, PT__WID_GONE);
    if (pid <= 0)
        return -ESRCH;
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -ESRCH;
    if (pidfd >= 0 && pidfd_exited(pidfd)) {
        rc = -ESRCH;
        goto out;
    }
    /* What goes first when a process exits goes first here: its memory (exe, cmdline), then its
     * namespaces; credentials, session and stat stay readable until it is reaped. */
    ssize_t n = readlinkat(dfd, "exe", id->exe, sizeof id->exe - 1);
    if (n < 0) { /* exiting (its memory is gone) or a kernel thread: nothing to name */
        rc = -ESRCH;
        goto out;
    }
    id->exe[n] = 0;
    n = read_at(dfd, "cmdline", id->cmdline, sizeof id->cmdline);
    if (n > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (!id->cmdline[i])
                id->cmdline[i] = ' ';
        while (n > 0 && id->cmdline[n - 1] == ' ')
            id->cmdline[--n] = 0;
    }
    for (unsigned i = 0; i < PT__WNS; i++) {
        struct stat st;
        char nsp[32];
        snprintf(nsp, sizeof nsp, "ns/%s", ns_names[i]);
        if (fstatat(dfd, nsp, &st, 0) == 0)
            id->ns[i] = st.st_ino;
    }
    if (read_at(dfd, "stat", buf, sizeof buf) > 0)
        (void)parse_stat(buf, id); /* a zombie by now: what was read above is still its */
    if (read_at(dfd, "status", buf, sizeof buf) > 0) {
        char *u = strstr(buf, "\nUid:");
        unsigned r, e;
        if (u && sscanf(u + 5, "%u %u", &r, &e) == 2) {
            id->uid = r;
            id->euid = e;
        }
    }
    if (read_at(dfd, "sessionid", buf, sizeof buf) > 0)
        id->sessionid = (uint32_t)strtoul(buf, NULL, 10);
    if (read_at(dfd, "loginuid", buf, sizeof buf) > 0)
        id->loginuid = (uint32_t)strtoul(buf, NULL, 10);
    id->state = PT__WID_LIVE;
out:
    close(dfd);
    if (rc)
        pt__wident_unknown(id, pid, PT__WID_GONE);
    return rc;
}
