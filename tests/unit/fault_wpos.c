/* fault_wpos.c — a ring whose control block carries a forged or corrupt write position (found by
 * fuzz_ring/fuzz_core): the reader and the collector must finish in bounded time, say what is
 * wrong, and still return every event of the buffers that are intact.
 *
 * Before the fix both walked every packet sequence number from 0 (discard mode) up to the forged
 * wpos / packet size, i.e. ~2^50 empty slots: `proftrace events` and `record` hung for ever. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "proftrace/ring.h"
#include "proftrace/trace.h"
#include "tests/unit/fault_test.h"
#include "tests/unit/test_watchdog.h"
#include "tracer/collector.h"
#include "tracer/format.h"

static unsigned ndiag;
static void diag(void *arg, const char *what)
{
    (void)arg;
    ndiag++;
    fprintf(stderr, "  diag: %s\n", what);
}

/* Record `n` exit events from `nthreads` buffers into a ring in dir; returns the ring's path. */
static void make_ring(const char *dir, unsigned n, char *path, size_t len)
{
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = 16384, .nthreads = 2};
    struct pt_ring *r;
    int rc = pt_ring_create(&cfg, &r);
    if (rc < 0) {
        fprintf(stderr, "pt_ring_create: %s\n", strerror(-rc));
        exit(1);
    }
    snprintf(path, len, "%s", pt_ring_path(r));
    for (unsigned b = 0; b < 2; b++) {
        struct pt_tbuf *tb = pt_ring_claim(r, 1000 + b);
        for (unsigned i = 0; i < n; i++) {
            int32_t st = (int32_t)i;
            pt_tbuf_write(tb, PT_EV_exit, pt_now(), &st, sizeof st);
        }
        pt_ring_release(r, tb);
    }
    pt_ring_close(r);
}

/* Overwrite buffer `buf`'s wpos in the ring file. */
static void forge_wpos(const char *path, unsigned buf, uint64_t wpos)
{
    int fd = open(path, O_RDWR);
    struct pt__ring_hdr h;
    if (fd < 0 || pread(fd, &h, sizeof h, 0) != sizeof h) {
        perror(path);
        exit(1);
    }
    off_t off = (off_t)(h.bufs_off + h.tbuf_stride * buf + offsetof(struct pt__tbuf_ctl, wpos));
    if (pwrite(fd, &wpos, sizeof wpos, off) != sizeof wpos) {
        perror("pwrite");
        exit(1);
    }
    close(fd);
}

static uint64_t count_events(const char *dir, uint64_t *exits)
{
    struct pt_trace *t;
    struct pt_event ev;
    uint64_t n = 0;
    *exits = 0;
    if (pt_trace_open(dir, diag, NULL, &t) < 0)
        return 0;
    while (pt_trace_next(t, &ev) == 1) {
        n++;
        *exits += ev.id == PT_EV_exit;
    }
    pt_trace_close(t);
    return n;
}

int main(void)
{
    char dir[] = "/tmp/pt-fault-wpos-XXXXXX", ring[4096], cmd[4200];
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    t_watchdog("fault_wpos: reader or collector", 60);

    const unsigned n = 50;
    make_ring(dir, n, ring, sizeof ring);
    uint64_t exits;
    uint64_t before = count_events(dir, &exits);
    CHECK(exits == 2 * n, "intact ring: %llu exit events, want %u", (unsigned long long)exits,
          2 * n);

    /* Buffer 1's wpos forged far ahead; buffer 0 stays intact. */
    forge_wpos(ring, 1, 1ull << 62);
    ndiag = 0;
    uint64_t after = count_events(dir, &exits);
    CHECK(exits >= n, "post-mortem read of the forged ring: %llu exit events, want buffer 0's %u",
          (unsigned long long)exits, n);
    /* The reader recovers the forged buffer from its packet headers: never more than was
     * written, and the damage is reported. */
    CHECK(after <= before, "forged buffer read %llu events, more than the %llu written",
          (unsigned long long)after, (unsigned long long)before);
    CHECK(ndiag > 0, "forged write position read without a diagnostic");

    /* The collector draining it must end too, and keep buffer 0. */
    struct pt_collector *c;
    int rc = pt_collector_open(dir, diag, NULL, &c);
    CHECK(rc == 0, "pt_collector_open: %s", strerror(-rc));
    if (rc == 0) {
        pt_collector_run_once(c, 0);
        pt_collector_finish(c);
        pt_collector_close(c);
        uint64_t drained = count_events(dir, &exits);
        CHECK(exits >= n, "after the collector: %llu exit events, want >= %u",
              (unsigned long long)exits, n);
        (void)drained;
    }
    /* A wpos of all ones (wraps when a packet is added) must not be taken either. */
    if (access(ring, F_OK) == 0) {
        forge_wpos(ring, 0, ~0ull);
        count_events(dir, &exits);
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", dir);
    if (failures)
        fprintf(stderr, "fault_wpos: %d failures\n", failures);
    else
        printf("fault_wpos: forged write positions read and drained in bounded time\n");
    return failures ? 1 : 0;
}
