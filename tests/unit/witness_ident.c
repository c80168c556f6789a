/* witness_ident.c — a deleter's identity is all or nothing: a real child process is made to exit
 * (left a zombie, or reaped) at every point of the witness's read of its /proc in turn, with and
 * without a pidfd; every read must then say "gone" with nothing but the pid, never a "live"
 * identity with holes (an empty cmdline, uid -1, namespace 0). Left running, the child is read
 * whole, every field checked against what the child is; one in new namespaces of every kind must be
 * read with its own, none of them the reader's. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include "tests/unit/witness_test.h"
#include "tracer/witness_internal.h"

static const char *const nsn[PT__WNS] = {"ipc", "mnt", "pid",    "user",
                                         "uts", "net", "cgroup", "time"};

enum fate { RUNS, ZOMBIE, REAPED };
static const char *const fate_name[] = {"running", "zombie", "reaped"};

struct child {
    pid_t pid;
    int pidfd, reaped, fired;
    int ctl;     /* the child lives while this pipe is open */
    unsigned at; /* the step before which it exits */
    enum fate fate;
};

static void start(struct child *c, enum fate fate, unsigned at)
{
    int p[2], ready[2];
    char b;
    memset(c, 0, sizeof *c);
    CHECK(pipe(p) == 0 && pipe(ready) == 0, "pipe");
    c->pid = fork();
    if (c->pid == 0) {
        close(p[1]);
        close(ready[0]);
        if (write(ready[1], "r", 1) != 1)
            _exit(2);
        (void)read(p[0], &b, 1); /* until killed */
        _exit(0);
    }
    close(p[0]);
    close(ready[1]);
    CHECK(read(ready[0], &b, 1) == 1, "child did not start");
    close(ready[0]);
    c->ctl = p[1];
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    CHECK(c->pidfd >= 0, "pidfd_open: %s", strerror(errno));
    c->fate = fate;
    c->at = at;
}

/* Make the child exit and wait until it is a zombie (WNOWAIT: still there) or reaped. */
static void end(struct child *c, enum fate fate)
{
    siginfo_t si;
    if (c->reaped)
        return;
    kill(c->pid, SIGKILL);
    CHECK(waitid(P_PID, (id_t)c->pid, &si, WEXITED | (fate == ZOMBIE ? WNOWAIT : 0)) == 0,
          "waitid: %s", strerror(errno));
    c->reaped = fate != ZOMBIE;
}

static void between(void *arg, unsigned step)
{
    struct child *c = arg;
    if (step == c->at && c->fate != RUNS) {
        end(c, c->fate);
        c->fired = 1;
    }
}

static void finish(struct child *c)
{
    end(c, REAPED);
    close(c->ctl);
    close(c->pidfd);
}

static void check_gone(const struct pt__wident *id, int rc, pid_t pid, const char *what)
{
    CHECK(rc == -ESRCH && id->state == PT__WID_GONE,
          "%s: rc %d identity %s, exe '%s' cmdline '%s' "
          "uid %u ns uts %llu",
          what, rc, pt__wident_state_name(id->state), id->exe, id->cmdline, id->uid,
          (unsigned long long)id->ns[4]);
    int holes = 0;
    for (unsigned j = 0; j < PT__WNS; j++)
        holes |= id->ns[j] != 0;
    CHECK(id->pid == (uint32_t)pid && !id->exe[0] && !id->cmdline[0] && id->ppid == 0 &&
              id->start_time == 0 && id->uid == (uint32_t)-1 && id->euid == (uint32_t)-1 &&
              id->sessionid == (uint32_t)-1 && id->loginuid == (uint32_t)-1 && !holes,
          "%s: a gone identity carries data: pid %u exe '%s' ppid %u uid %u", what, id->pid,
          id->exe, id->ppid, id->uid);
}

/* Our own cmdline as the reader writes it (arguments joined by spaces). */
static void own_cmdline(char *out, size_t size)
{
    FILE *fp = fopen("/proc/self/cmdline", "r");
    size_t n = fp ? fread(out, 1, size - 1, fp) : 0;
    if (fp)
        fclose(fp);
    for (size_t i = 0; i < n; i++)
        if (!out[i])
            out[i] = ' ';
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = 0;
}

static void check_whole(const struct pt__wident *id, int rc, pid_t pid, const char *what)
{
    char exe[PATH_MAX], cmd[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    own_cmdline(cmd, sizeof cmd);
    CHECK(rc == 0 && id->state == PT__WID_LIVE, "%s: rc %d identity %s", what, rc,
          pt__wident_state_name(id->state));
    CHECK(id->pid == (uint32_t)pid && !strcmp(id->exe, exe), "%s: exe '%s', expected '%s'", what,
          id->exe, exe);
    CHECK(!strcmp(id->cmdline, cmd), "%s: cmdline '%s', expected '%s'", what, id->cmdline, cmd);
    CHECK(id->ppid == (uint32_t)getpid() && id->start_time != 0, "%s: ppid %u start %llu", what,
          id->ppid, (unsigned long long)id->start_time);
    CHECK(id->uid == getuid() && id->euid == geteuid(), "%s: uid %u euid %u", what, id->uid,
          id->euid);
    CHECK(id->sessionid == w_read_u32("/proc/self/sessionid") &&
              id->loginuid == w_read_u32("/proc/self/loginuid"),
          "%s: session %u login %u", what, id->sessionid, id->loginuid);
    for (unsigned j = 0; j < PT__WNS; j++)
        CHECK(id->ns[j] == w_ns("self", nsn[j]), "%s: ns %s %llu", what, nsn[j],
              (unsigned long long)id->ns[j]);
}

/* A process in a new namespace of every kind the kernel has (pid and time namespaces hold only
 * children made after the unshare: the one read is a grandchild). Its namespaces must be read as
 * its own, each differing from the reader's: a reader that takes its own (a cache of the
 * collector's namespaces, a read of /proc/self) would judge a process in a container as one of
 * the collector's views. */
static void check_other_namespaces(void)
{
    static const int flags[PT__WNS] = {CLONE_NEWIPC, CLONE_NEWNS,  CLONE_NEWPID,    CLONE_NEWUSER,
                                       CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWCGROUP, 0x80 /* time */};
    int ctl[2], ready[2], all = 0;
    char pidbuf[16], b;
    for (unsigned j = 0; j < PT__WNS; j++)
        if (w_ns("self", nsn[j]))
            all |= flags[j];
    CHECK(pipe(ctl) == 0 && pipe(ready) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        close(ctl[1]);
        close(ready[0]);
        if (unshare(all) < 0)
            _exit(3);
        pid_t g = fork();
        if (g < 0)
            _exit(4);
        if (g == 0) { /* in the new pid and time namespaces: tell the parent's view of its pid */
            if (write(ready[1], "r", 1) != 1)
                _exit(2);
            (void)read(ctl[0], &b, 1); /* until the pipe closes */
            _exit(0);
        }
        close(ready[1]);
        (void)read(ctl[0], &b, 1);
        waitpid(g, NULL, 0);
        _exit(0);
    }
    close(ctl[0]);
    close(ready[1]);
    CHECK(read(ready[0], &b, 1) == 1, "the child in new namespaces did not start (unshare %#x)",
          all);
    close(ready[0]);
    /* the grandchild: the child's only child */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)child, (int)child);
    FILE *fp = fopen(path, "r");
    CHECK(fp && fgets(pidbuf, sizeof pidbuf, fp), "no grandchild in %s", path);
    fclose(fp);
    pid_t g = (pid_t)atoi(pidbuf);
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)g);
    struct pt__wident id;
    int rc = pt__wident_read(g, -1, &id);
    CHECK(rc == 0 && id.state == PT__WID_LIVE, "in new namespaces: rc %d identity %s", rc,
          pt__wident_state_name(id.state));
    for (unsigned j = 0; j < PT__WNS; j++) {
        uint64_t own = w_ns("self", nsn[j]), its = w_ns(pidbuf, nsn[j]);
        CHECK(id.ns[j] == its && (!own || its != own),
              "in new namespaces: ns %s read %llu, its own %llu, the reader's %llu", nsn[j],
              (unsigned long long)id.ns[j], (unsigned long long)its, (unsigned long long)own);
    }
    close(ctl[1]);
    waitpid(child, NULL, 0);
}

int main(void)
{
    struct pt__wident id;
    struct child c;
    char what[128];
    int rc;

    /* Running: read whole, with and without its pidfd; the start time is the child's. */
    start(&c, RUNS, 0);
    rc = pt__wident_read(c.pid, c.pidfd, &id);
    check_whole(&id, rc, c.pid, "running, pidfd");
    uint64_t start_time = id.start_time;
    rc = pt__wident_read(c.pid, -1, &id);
    check_whole(&id, rc, c.pid, "running, no pidfd");
    CHECK(id.start_time == start_time, "start time %llu then %llu", (unsigned long long)start_time,
          (unsigned long long)id.start_time);
    /* A zombie before the read (its exe, cmdline and most namespaces gone; status, stat still
     * there), then the same pid reaped. */
    end(&c, ZOMBIE);
    rc = pt__wident_read(c.pid, c.pidfd, &id);
    check_gone(&id, rc, c.pid, "zombie, pidfd");
    rc = pt__wident_read(c.pid, -1, &id);
    check_gone(&id, rc, c.pid, "zombie, no pidfd");
    end(&c, REAPED);
    rc = pt__wident_read(c.pid, c.pidfd, &id);
    check_gone(&id, rc, c.pid, "reaped, pidfd");
    rc = pt__wident_read(c.pid, -1, &id);
    check_gone(&id, rc, c.pid, "reaped, no pidfd");
    finish(&c);

    /* Exiting in the middle of the read: before each of its steps in turn, as a zombie and
     * reaped, with the pidfd (fanotify's reports) and without (the exec cache's reads). */
    unsigned steps = 0;
    for (int fate = ZOMBIE; fate <= REAPED; fate++)
        for (int usefd = 0; usefd < 2; usefd++)
            for (unsigned at = 0;; at++) {
                start(&c, (enum fate)fate, at);
                rc = pt__wident_read_stepwise(c.pid, usefd ? c.pidfd : -1, &id, between, &c);
                snprintf(what, sizeof what, "%s before step %u, %s", fate_name[fate], at,
                         usefd ? "pidfd" : "no pidfd");
                if (c.fired) {
                    check_gone(&id, rc, c.pid, what);
                } else { /* past the last step: it ran throughout */
                    check_whole(&id, rc, c.pid, what);
                    steps = at;
                }
                int fired = c.fired;
                finish(&c);
                if (!fired || t_failures)
                    break;
            }
    check_other_namespaces();
    CHECK(steps >= 6, "the read has %u steps: exe, cmdline, namespaces, creds, ...", steps);
    fprintf(stderr, "witness_ident: %u steps, each interrupted by a zombie and a reaping\n", steps);
    return t_failures ? 1 : 0;
}
