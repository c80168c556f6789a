/* witness_execfilter.c — the exec cache's connector socket carries execs and uid changes only: on
 * a kernel that filters proc connector events (Linux 6.6 and later), forks and exits — a shell
 * loop makes one of each per command — are never queued, so they never wake the witness's thread.
 * Children forked and reaped here must leave no fork or exit event on the socket, while an exec
 * still arrives. Skipped (77) on an older kernel, and where the connector cannot be joined. */
#define _GNU_SOURCE
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "tests/unit/witness_test.h"
#include "tracer/witness_internal.h"

/* Read what is queued on sock (nonblocking): counts of fork, exit and exec events. */
static void drain(int sock, unsigned *forks, unsigned *exits, unsigned *execs)
{
    char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(sock, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == ENOBUFS))
            continue;
        if (n <= 0)
            return;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
             nh = NLMSG_NEXT(nh, n)) {
            struct cn_msg *cn = NLMSG_DATA(nh);
            if (NLMSG_PAYLOAD(nh, 0) < sizeof *cn + sizeof(uint32_t))
                continue;
            uint32_t what;
            memcpy(&what, cn->data, sizeof what);
            *forks += what == PROC_EVENT_FORK;
            *exits += what == PROC_EVENT_EXIT;
            *execs += what == PROC_EVENT_EXEC;
        }
    }
}

int main(void)
{
    struct utsname u;
    unsigned major = 0, minor = 0;
    if (uname(&u) == 0)
        sscanf(u.release, "%u.%u", &major, &minor);
    if (major < 6 || (major == 6 && minor < 6)) {
        printf("skip: kernel %s does not filter proc connector events\n", u.release);
        return 77;
    }
    struct pt__wexecs *x = NULL;
    int rc = pt__wexecs_open(&x);
    if (rc < 0) {
        printf("skip: proc connector: %s\n", strerror(-rc));
        return 77;
    }
    int sock = pt__wexecs_fd(x);
    unsigned forks = 0, exits = 0, execs = 0;
    drain(sock, &forks, &exits, &execs); /* what came before: not ours to judge */
    forks = exits = execs = 0;
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        CHECK(pid > 0, "fork: %s", strerror(errno));
        if (pid > 0)
            waitpid(pid, NULL, 0);
    }
    char *const argv[] = {"/bin/true", NULL};
    pid_t pid = w_spawn(argv);
    CHECK(pid > 0, "spawn /bin/true: %s", strerror(errno));
    if (pid > 0)
        waitpid(pid, NULL, 0);
    /* The events of a child are queued before its parent's wait returns (they are sent from its
     * fork, exec and exit); wait for the exec's, at most 10 s. */
    for (int waited = 0; !execs && waited < 10000; waited += 10) {
        struct pollfd p = {.fd = sock, .events = POLLIN};
        (void)poll(&p, 1, 10);
        drain(sock, &forks, &exits, &execs);
    }
    CHECK(execs >= 1, "no exec event arrived");
    CHECK(forks == 0, "%u fork events arrived (21 forks made here)", forks);
    CHECK(exits == 0, "%u exit events arrived (21 exits made here)", exits);
    pt__wexecs_close(x);
    if (!t_failures)
        printf("ok: execs arrive, forks and exits do not (%u execs seen)\n", execs);
    return t_failures ? 1 : 0;
}
