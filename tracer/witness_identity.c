/* witness_identity.c — reads who a process is from /proc, all of it or nothing.
 *
 * Every file is read through one descriptor of /proc/<pid>, so all of them describe the same
 * process or fail (a descriptor of a /proc/<pid> directory never moves to a new process that reuses
 * the pid). When the caller has a pidfd of the process (fanotify gives one), the process must still
 * be running after that directory was opened: then the directory is its, not a successor's.
 *
 * A deleter as short-lived as rm often exits while it is being read, and an exiting process loses
 * its identity piece by piece: first its memory (exe unreadable, cmdline empty), then most of its
 * namespaces, then, as a zombie, only credentials, session and stat remain, until it is reaped and
 * every read fails. A read that straddles that is no identity: it would present holes (an empty
 * cmdline, uid -1, namespace 0) as facts. So every step below must read what it names, and the last
 * ones prove the process still ran after all the others: its stat says it is no zombie, and its exe
 * still reads the same (its memory was there throughout, so was everything that goes after it).
 * Anything less is "gone", pid only; the caller may still name it from the exec cache.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* What /proc/self has of the optional entries (a kernel without time namespaces or audit): an
 * entry this kernel never shows is no hole. Bit i: ns_names[i]; then sessionid, loginuid. */
#define HAVE_SESSIONID (1u << PT__WNS)
#define HAVE_LOGINUID (1u << (PT__WNS + 1))
static unsigned kernel_has(void)
{
    static unsigned have; /* 0: not yet known (bit 31 set once it is) */
    unsigned h = __atomic_load_n(&have, __ATOMIC_RELAXED);
    if (h)
        return h;
    struct stat st;
    char p[64];
    h = 1u << 31;
    for (unsigned i = 0; i < PT__WNS; i++) {
        snprintf(p, sizeof p, "/proc/self/ns/%s", ns_names[i]);
        if (stat(p, &st) == 0)
            h |= 1u << i;
    }
    if (access("/proc/self/sessionid", R_OK) == 0)
        h |= HAVE_SESSIONID;
    if (access("/proc/self/loginuid", R_OK) == 0)
        h |= HAVE_LOGINUID;
    __atomic_store_n(&have, h, __ATOMIC_RELAXED);
    return h;
}

/* ---- The steps, in the order an exiting process loses what they read. Each returns 0 when it
 * read what it names, else a negative errno. */

static int read_exe(int dfd, struct pt__wident *id)
{
    ssize_t n = readlinkat(dfd, "exe", id->exe, sizeof id->exe - 1);
    if (n <= 0) /* exiting (its memory is gone) or a kernel thread: nothing to name */
        return -ESRCH;
    id->exe[n] = 0;
    return 0;
}

static int read_cmdline(int dfd, struct pt__wident *id)
{
    ssize_t n = read_at(dfd, "cmdline", id->cmdline, sizeof id->cmdline);
    if (n < 0)
        return (int)n;
    for (ssize_t i = 0; i < n; i++) /* arguments are NUL-separated */
        if (!id->cmdline[i])
            id->cmdline[i] = ' ';
    while (n > 0 && id->cmdline[n - 1] == ' ')
        id->cmdline[--n] = 0;
    return 0; /* empty is an exiting process's, or a program's that cleared it: exe tells, last */
}

/* A namespace's inode number, read from its link ("mnt:[4026531841]": the number is the nsfs
 * inode's, st_ino of a stat of it, which is all an identity keeps of it). Not stat'ed: a stat makes
 * the kernel build and drop an nsfs inode each time, the link is a formatted number, and both fail
 * alike once the exiting process has let go of that namespace. */
static int ns_link_ino(int dfd, const char *name, uint64_t *ino)
{
    char path[32], link[64], *end;
    snprintf(path, sizeof path, "ns/%s", name);
    ssize_t n = readlinkat(dfd, path, link, sizeof link - 1);
    if (n < 0)
        return -errno;
    link[n] = 0;
    size_t l = strlen(name);
    if ((size_t)n < l + 4 || strncmp(link, name, l) || link[l] != ':' || link[l + 1] != '[')
        return -EINVAL;
    unsigned long long v = strtoull(link + l + 2, &end, 10);
    if (end == link + l + 2 || strcmp(end, "]") || !v)
        return -EINVAL;
    *ino = v;
    return 0;
}

static int read_ns(int dfd, struct pt__wident *id)
{
    unsigned have = kernel_has();
    for (unsigned i = 0; i < PT__WNS; i++) {
        int rc;
        if ((have & (1u << i)) && (rc = ns_link_ino(dfd, ns_names[i], &id->ns[i])) < 0)
            return rc;
    }
    return 0;
}

static int read_creds(int dfd, struct pt__wident *id)
{
    char buf[4096];
    unsigned r, e;
    ssize_t n = read_at(dfd, "status", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    char *u = strstr(buf, "\nUid:");
    if (!u || sscanf(u + 5, "%u %u", &r, &e) != 2)
        return -EINVAL;
    id->uid = r;
    id->euid = e;
    return 0;
}

static int read_u32(int dfd, const char *name, unsigned need, uint32_t *out)
{
    char buf[32], *end;
    if (!(kernel_has() & need))
        return 0; /* this kernel has no such thing: -1, as for everyone */
    ssize_t n = read_at(dfd, name, buf, sizeof buf);
    if (n <= 0)
        return n < 0 ? (int)n : -EINVAL;
    unsigned long v = strtoul(buf, &end, 10);
    if (end == buf)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static int read_session(int dfd, struct pt__wident *id)
{
    return read_u32(dfd, "sessionid", HAVE_SESSIONID, &id->sessionid);
}

static int read_loginuid(int dfd, struct pt__wident *id)
{
    return read_u32(dfd, "loginuid", HAVE_LOGINUID, &id->loginuid);
}

/* ppid and start time; a zombie (or a dead task) by now is not running: -ESRCH. */
static int read_stat(int dfd, struct pt__wident *id)
{
    char buf[4096];
    ssize_t n = read_at(dfd, "stat", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    const char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
    if (!p)
        return -EINVAL;
    char state = 0;
    unsigned long long ppid, start;
    /* fields 3 (state) .. 22 (starttime) */
    if (sscanf(p + 1,
               " %c %llu %*u %*u %*u %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
               &state, &ppid, &start) != 3)
        return -EINVAL;
    if (state == 'Z' || state == 'X' || state == 'x')
        return -ESRCH;
    id->ppid = (uint32_t)ppid;
    id->start_time = start;
    return 0;
}

/* Its memory is still there, the same program: it was there during every step before, so were
 * its namespaces (they go after it), and an empty cmdline is really empty. */
static int exe_still(int dfd, struct pt__wident *id)
{
    char again[sizeof id->exe];
    ssize_t n = readlinkat(dfd, "exe", again, sizeof again - 1);
    if (n <= 0)
        return -ESRCH;
    again[n] = 0;
    return strcmp(again, id->exe) ? -ESRCH : 0; /* exec'd meanwhile: fields of two programs */
}

static int (*const steps[])(int dfd, struct pt__wident *id) = {
    read_exe, read_cmdline, read_ns, read_creds, read_session, read_loginuid, read_stat, exe_still,
};

uint64_t pt__wident_born(const struct pt__wident *id)
{
    struct timespec boot, mono;
    long tick = sysconf(_SC_CLK_TCK);
    if (id->state != PT__WID_LIVE || !id->start_time || tick <= 0 ||
        clock_gettime(CLOCK_BOOTTIME, &boot) < 0 || clock_gettime(CLOCK_MONOTONIC, &mono) < 0)
        return 0;
    /* start_time counts ticks since boot (CLOCK_BOOTTIME, rounded down); CLOCK_MONOTONIC stops
     * while suspended, so it is behind by the time spent so */
    uint64_t asleep = (uint64_t)(boot.tv_sec - mono.tv_sec) * 1000000000ull +
                      (uint64_t)boot.tv_nsec - (uint64_t)mono.tv_nsec;
    uint64_t born = id->start_time * (1000000000ull / (uint64_t)tick);
    return born > asleep ? born - asleep : 0;
}

void pt__wident_unknown(struct pt__wident *id, pid_t pid, int state)
{
    /* Every field but the strings' tails: this runs for every report the witness reads, most of
     * them of nothing watched, and the struct is mostly those two buffers (4.6 KiB). */
    memset(id, 0, offsetof(struct pt__wident, exe));
    id->exe[0] = id->cmdline[0] = 0;
    id->pid = (uint32_t)pid;
    id->state = state;
    id->uid = id->euid = id->sessionid = id->loginuid = (uint32_t)-1;
}

int pt__wident_read_stepwise(pid_t pid, int pidfd, struct pt__wident *id,
                             void (*between)(void *arg, unsigned step), void *arg)
{
    char path[64];
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
    for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (between)
            between(arg, i);
        if (steps[i](dfd, id) < 0) {
            rc = -ESRCH;
            goto out;
        }
    }
    id->state = PT__WID_LIVE;
out:
    close(dfd);
    if (rc)
        pt__wident_unknown(id, pid, PT__WID_GONE); /* nothing of a half-read process */
    return rc;
}

int pt__wident_read(pid_t pid, int pidfd, struct pt__wident *id)
{
    return pt__wident_read_stepwise(pid, pidfd, id, NULL, NULL);
}
