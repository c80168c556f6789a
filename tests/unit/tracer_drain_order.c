/* tracer_drain_order.c — when several processes have ended by the time the collector looks, the
 * backlog of the one that started first is written first: what a later process wrote goes into
 * the chunks after it, which rotation drops last.
 *
 * Seen in rotate_open_file under load: a load process filled its buffer faster than the
 * collector drained it and exited; the process that then unlinked the held file ran and exited
 * before the collector came round again. The collector finished the newest ring first, then the
 * load's backlog, which rotated through more chunks than the cap holds and dropped the unlink's
 * chunk: its state was carried, but `events` no longer showed the delete, newer than everything
 * kept.
 *
 * Forcing it, every run: the collector runs here and looks only when told. An early process
 * makes its ring, which the collector attaches, then writes a backlog of several chunks and
 * exits; a later process writes a few events and exits; only then does the collector look. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "proftrace/follow.h"
#include "proftrace/ring.h"
#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"
#include "tests/unit/test_watchdog.h"
#include "tracer/collector.h"
#include "tracer/rotate.h"

#define BACKLOG 100000 /* events of the early process: about 1.6 MB, six chunks of 256 KiB */

static void diag(void *arg, const char *what)
{
    (void)arg;
    if (!strstr(what, "kept past the cap")) /* no analyzer here writes checkpoints */
        fprintf(stderr, "  diag: %s\n", what);
}

/* A writer process: its ring made and one event written, it says so on `ack` and waits for a byte
 * on `go` (go < 0: it does not wait), then writes n more events and exits. Returns its pid. */
static pid_t writer(const char *dir, uint64_t n, int go, int ack)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    struct pt_ring_config cfg = {.dir = dir, .nthreads = 1};
    struct pt_ring *r;
    if (pt_ring_create(&cfg, &r) < 0)
        _exit(2);
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)getpid());
    int32_t st = 0;
    char c = 0;
    if (!b || pt_tbuf_write(b, PT_EV_exit, pt_now(), &st, sizeof st) < 0)
        _exit(3);
    if (ack >= 0 && write(ack, &c, 1) != 1)
        _exit(4);
    if (go >= 0 && read(go, &c, 1) != 1)
        _exit(4);
    for (uint64_t i = 0; i < n; i++)
        if (pt_tbuf_write(b, PT_EV_exit, pt_now(), &st, sizeof st) < 0)
            _exit(5); /* lost: the buffer (4 MiB) holds the whole backlog */
    pt_ring_release(r, b);
    pt_ring_close(r);
    _exit(0);
}

static void reap(pid_t pid, const char *what)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "the %s process ended with status %#x", what, st);
}

/* Rings in dir/rings. */
static int rings(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/rings", dir);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += strstr(de->d_name, ".ring") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* The lowest and highest chunk holding a stream file of process pid (its files' names begin with
 * "<pid>-"). */
static void chunks_of(const char *dir, pid_t pid, unsigned *lo, unsigned *hi)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%d-", (int)pid);
    *lo = UINT32_MAX;
    *hi = 0;
    for (unsigned num = 1; num < 1000; num++) {
        char cdir[4300];
        pt_chunk_path(cdir, sizeof cdir, dir, num, NULL);
        DIR *d = opendir(cdir);
        for (struct dirent *de; d && (de = readdir(d));)
            if (!strncmp(de->d_name, prefix, strlen(prefix))) {
                *lo = num < *lo ? num : *lo;
                *hi = num > *hi ? num : *hi;
            }
        if (d)
            closedir(d);
    }
}

int main(void)
{
    t_watchdog("tracer_drain_order:", 120);
    char *dir = t_mkdtemp("drain-order");
    const struct pt__rotate_opts cap = {.max_size = 2u << 20}; /* chunks of 256 KiB */
    struct pt_collector *c;
    int rc = pt_collector_open_rotated(dir, &cap, diag, NULL, &c);
    if (rc < 0) {
        fprintf(stderr, "pt_collector_open_rotated %s: %s\n", dir, strerror(-rc));
        return 1;
    }

    int go[2], ack[2];
    char byte = 0;
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ack, O_CLOEXEC) < 0)
        return perror("pipe2"), 1;
    pid_t early = writer(dir, BACKLOG, go[0], ack[1]);
    CHECK(read(ack[0], &byte, 1) == 1, "the early process did not start");
    struct pt_collector_stats st = {0};
    for (int i = 0; i < 1200 && st.rings < 1; i++) { /* 60 s at most: waits for the attach */
        pt_collector_run_once(c, 50);
        pt_collector_stats(c, &st);
    }
    CHECK(st.rings == 1, "the collector did not attach the early process's ring");

    /* The later process runs and ends, then the early one writes its backlog and ends. */
    pid_t later = writer(dir, 10, -1, -1);
    reap(later, "later");
    CHECK(write(go[1], &byte, 1) == 1, "the early process is gone");
    reap(early, "early");

    for (int i = 0; i < 1200 && rings(dir) > 0; i++) /* 60 s at most: waits for the rings */
        pt_collector_run_once(c, 50);
    CHECK(rings(dir) == 0, "%d rings were not finished", rings(dir));
    pt_collector_close(c);

    unsigned elo, ehi, llo, lhi;
    chunks_of(dir, early, &elo, &ehi);
    chunks_of(dir, later, &llo, &lhi);
    CHECK(ehi != 0 && lhi != 0, "streams missing: early in chunks %u-%u, later in %u-%u", elo, ehi,
          llo, lhi);
    CHECK(ehi > elo, "the early process's backlog is in one chunk (%u): no rotation", elo);
    CHECK(llo >= ehi,
          "the later process's events are in chunk %06u, before the early process's backlog "
          "(chunks %06u to %06u): rotation would drop them first",
          llo, elo, ehi);
    t_rmrf(dir);
    free(dir);
    return t_failures ? 1 : 0;
}
