/* follow_thread.c — the analyzer following the trace beside the collector, on a thread of its own
 * (design: follow_thread.h). It shares nothing with the collector but the trace directory: the
 * collector writes chunks, the follower reads them and writes their checkpoints, and the
 * collector drops a chunk once the next one's checkpoint is there (tracer/rotate.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/follower.h"
#include "cmds/follow_thread.h"
#include "tracer/placement.h"

#define TICK_MS 200          /* a step at least this often */
#define LAG_NS 1000000000ull /* the horizon: events are fed a second after they happen */
/* a new finding is announced with what the 2 s after its delete told (its victim, its holder's
 * signs of life): about 3 s after the delete */
#define SETTLE_NS 2000000000ull

struct pt__follow_thread {
    const char *cmd;
    struct pt_follower *fl;
    pthread_t th;
    int stop_fd; /* eventfd: stop */
    int ifd;     /* inotify on DIR/chunks: a new chunk wants its predecessor's checkpoint now */
    struct pt__follow_cost cost;
};

static void on_diag(void *arg, const char *what)
{
    struct pt__follow_thread *t = arg;
    fprintf(stderr, "proftrace %s: %s\n", t->cmd, what);
}

/* Events that reached the analyzer behind newer ones: said when they first do, and at the end
 * when more did since. */
static void say_late(struct pt__follow_thread *t, int end)
{
    char buf[256];
    const char *what = pt_follower_late_news(t->fl, end, buf, sizeof buf);
    if (what)
        fprintf(stderr, "proftrace %s: %s\n", t->cmd, what);
}

static void *run(void *arg)
{
    struct pt__follow_thread *t = arg;
    for (;;) {
        pt_follower_step(t->fl, 0);
        say_late(t, 0);
        struct pollfd pfd[2] = {{.fd = t->stop_fd, .events = POLLIN},
                                {.fd = t->ifd, .events = POLLIN}};
        if (poll(pfd, t->ifd >= 0 ? 2 : 1, TICK_MS) > 0 && pfd[0].revents)
            break;
        char buf[4096];
        while (t->ifd >= 0 && read(t->ifd, buf, sizeof buf) > 0)
            ;
    }
    pt_follower_step(t->fl, 1);
    say_late(t, 1);
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        t->cost.cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    pt_follower_checkpoint_cost(t->fl, &t->cost.checkpoint_ns, &t->cost.checkpoints);
    return NULL;
}

int pt__follow_thread_start(const char *cmd, const char *dir, pt_on_finding_fn on_finding,
                            void *arg, struct pt__follow_thread **out)
{
    struct pt__follow_thread *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->cmd = cmd;
    struct pt_follower_opts o = {
        .dir = dir,
        .restore = PT_RESTORE_NEWEST,
        .checkpoints = 1,
        .lag_ns = LAG_NS,
        .on_finding = on_finding,
        .on_finding_arg = arg,
        .remember = 1, /* a collection started again on the directory announces nothing twice */
        .settle_ns = SETTLE_NS,
        .diag = on_diag,
        .diag_arg = t,
    };
    int rc = pt_follower_open(&o, &t->fl);
    if (rc < 0) {
        fprintf(stderr, "proftrace %s: %s: cannot follow the trace: %s\n", cmd, dir, strerror(-rc));
        free(t);
        return rc;
    }
    char chunks[4200];
    snprintf(chunks, sizeof chunks, "%s/chunks", dir);
    t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (t->ifd >= 0 && inotify_add_watch(t->ifd, chunks, IN_CREATE | IN_MOVED_TO) < 0) {
        close(t->ifd);
        t->ifd = -1; /* stepped every TICK_MS all the same */
    }
    t->stop_fd = eventfd(0, EFD_CLOEXEC);
    pt_place_widen(); /* the thread gets the CPUs the collector started with (placement.h) */
    if (t->stop_fd < 0 || (rc = pthread_create(&t->th, NULL, run, t)) != 0) {
        rc = t->stop_fd < 0 ? errno : rc;
        fprintf(stderr, "proftrace %s: cannot start the analyzer's thread: %s\n", cmd,
                strerror(rc));
        if (t->stop_fd >= 0)
            close(t->stop_fd);
        if (t->ifd >= 0)
            close(t->ifd);
        pt_follower_close(t->fl);
        free(t);
        return -rc;
    }
    *out = t;
    return 0;
}

void pt__follow_thread_stop(struct pt__follow_thread *t, struct pt__follow_cost *cost)
{
    if (cost)
        *cost = (struct pt__follow_cost){0};
    if (!t)
        return;
    uint64_t one = 1;
    if (write(t->stop_fd, &one, sizeof one) != sizeof one) {
        /* an eventfd write of 1 cannot fail short of overflow */
    }
    pthread_join(t->th, NULL);
    if (cost)
        *cost = t->cost;
    pt_follower_close(t->fl);
    close(t->stop_fd);
    if (t->ifd >= 0)
        close(t->ifd);
    free(t);
}
