/* witness_names.c — the witness knows the rings published in rings/ (pt__wtab_traced: is the
 * deleter a traced process whose ring the collector has not attached yet?) without being woken by
 * them: a ring's name is taken when the tables are next read, and never makes their descriptor
 * readable (every traced process publishes one as it starts; a wake-up each, at nice -10 on its
 * CPU, preempted it). A doorbell still does. */
#define _GNU_SOURCE
#include <poll.h>

#include "tests/unit/witness_test.h"
#include "tracer/witness_internal.h"

static void on_hold(void *arg, const struct pt__wtab_hold *h)
{
    (void)arg;
    (void)h;
}

static void covered(void *arg, uint64_t *devs, unsigned max)
{
    (void)arg;
    for (unsigned i = 0; i < max; i++)
        devs[i] = 0; /* none: every hold rings */
}

/* Is the tables' descriptor readable now? */
static int readable(struct pt__wtab *t)
{
    struct pollfd p = {.fd = pt__wtab_fd(t), .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* Publish a ring of (pid, start) as the shim does under a collector: taken (here made) in
 * rings/.pool under a name of its own, renamed into rings/. */
static void publish(const char *rings, unsigned pid, unsigned long long start)
{
    char tmp[512], name[512];
    snprintf(tmp, sizeof tmp, "%s/.pool/.%u-0123456789abc000.tmp", rings, pid);
    snprintf(name, sizeof name, "%s/%u-%llu-0123456789abc000.ring", rings, pid, start);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0, "create %s: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    CHECK(rename(tmp, name) == 0, "rename to %s: %s", name, strerror(errno));
}

int main(void)
{
    char *dir = t_mkdtemp("witness-names");
    char rings[256];
    snprintf(rings, sizeof rings, "%s/rings", dir);
    CHECK(mkdir(rings, 0700) == 0, "mkdir %s: %s", rings, strerror(errno));
    char pool[300];
    snprintf(pool, sizeof pool, "%s/.pool", rings);
    CHECK(mkdir(pool, 0700) == 0, "mkdir %s: %s", pool, strerror(errno));
    struct pt__wtab *t = NULL;
    int rc = pt__wtab_open(&t, dir, on_hold, covered, NULL);
    CHECK(rc == 0 && t, "pt__wtab_open: %s", strerror(-rc));
    if (!t) {
        t_rmrf(dir);
        free(dir);
        return 1;
    }
    (void)pt__wtab_poll(t); /* whatever its own table's creation queued */

    /* Two processes publish rings (a fork child and the image it execs have one pid, two rings). */
    publish(rings, 4242, 777);
    publish(rings, 4243, 778);
    CHECK(!readable(t), "a ring's name made the tables' descriptor readable (a wake-up)");
    CHECK(pt__wtab_traced(t, 4242, 777), "the ring of 4242 (start 777) was not seen");
    CHECK(pt__wtab_traced(t, 4243, 0), "the ring of 4243 was not seen");
    CHECK(!pt__wtab_traced(t, 4242, 778), "4242 with another start time taken for traced");
    CHECK(!pt__wtab_traced(t, 4244, 0), "4244, which published nothing, taken for traced");

    /* A doorbell (a write into a table of rings/) still wakes. */
    char table[512];
    snprintf(table, sizeof table, "%s/.holds.%u", rings, (unsigned)geteuid());
    int fd = open(table, O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open %s: %s", table, strerror(errno));
    if (fd >= 0) {
        char z = 0;
        CHECK(pwrite(fd, &z, 1, PT__HOLDS_BELL_OFF) == 1, "pwrite %s: %s", table, strerror(errno));
        close(fd);
        CHECK(readable(t), "a doorbell did not make the tables' descriptor readable");
    }
    pt__wtab_close(t);
    t_rmrf(dir);
    free(dir);
    if (!t_failures)
        printf("ok: ring names are taken without a wake-up, doorbells still wake\n");
    return t_failures ? 1 : 0;
}
