/* tracer_table_hash.c — the build-time table hash is the tables' hash; traces written with other
 * event tables (PT_EVENTS / PT_CALLS) are refused, not decoded as garbage: a ring whose header
 * names another table hash, and the stream files of a directory whose CTF metadata does; the
 * reader says which file and why and reads the rest. */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"
#include "tracer/collector.h"
#include "tracer/format.h"
#include "tracer/internal.h"

static char diags[16][1024];
static int ndiags;

static void on_diag(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "diag: %s\n", what);
    if (ndiags < 16)
        snprintf(diags[ndiags++], sizeof diags[0], "%s", what);
}

static int diag_has(const char *a, const char *b)
{
    for (int i = 0; i < ndiags; i++)
        if (strstr(diags[i], a) && strstr(diags[i], b))
            return 1;
    return 0;
}

/* A closed ring holding one exit event with `status`; its path into path[len]. */
static void one_ring(const char *dir, int32_t status, char *path, size_t len)
{
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = 64 << 10, .nthreads = 2};
    struct pt_ring *r = NULL;
    int rc = pt_ring_create(&cfg, &r);
    CHECK(rc == 0, "pt_ring_create: %d", rc);
    if (rc)
        exit(1);
    snprintf(path, len, "%s", pt_ring_path(r));
    struct pt_tbuf *b = pt_ring_claim(r, 4242);
    CHECK(b && pt_tbuf_write(b, PT_EV_exit, pt_now(), &status, sizeof status) == 0, "write");
    pt_ring_release(r, b);
    pt_ring_close(r);
}

/* The exit statuses the reader returns, as a bit set of status / 11. */
static unsigned read_exits(const char *dir, int *rc)
{
    struct pt_trace *t = NULL;
    struct pt_event ev;
    unsigned seen = 0;
    ndiags = 0;
    *rc = pt_trace_open(dir, on_diag, NULL, &t);
    if (*rc)
        return 0;
    while (pt_trace_next(t, &ev) > 0)
        if (ev.id == PT_EV_exit)
            seen |= 1u << (pt_event_field(&ev, "status")->i / 11);
    pt_trace_close(t);
    return seen;
}

int main(void)
{
    char *dir = t_mkdtemp("tablehash"), a[4096], b[4096], d1[4200], d2[4200], meta[4300];
    int rc;

    /* 0. The build's constant is the hash of the tables it was built with (the generator ran). */
    CHECK(pt__table_hash() == pt__table_hash_compute(),
          "generated table hash %016llx, the tables hash to %016llx",
          (unsigned long long)pt__table_hash(), (unsigned long long)pt__table_hash_compute());

    /* 1. Two undrained rings, one patched: it is refused, the other is read. */
    snprintf(d1, sizeof d1, "%s/one", dir);
    one_ring(d1, 11, a, sizeof a);
    one_ring(d1, 22, b, sizeof b);
    CHECK(read_exits(d1, &rc) == (1u << 1 | 1u << 2) && rc == 0, "both rings read before patching");
    int fd = open(a, O_RDWR);
    uint64_t h = 0;
    CHECK(fd >= 0 && pread(fd, &h, 8, offsetof(struct pt__ring_hdr, table_hash)) == 8 && h,
          "ring header has a table hash");
    h ^= 0x5a5a;
    CHECK(pwrite(fd, &h, 8, offsetof(struct pt__ring_hdr, table_hash)) == 8, "patch");
    close(fd);
    unsigned seen = read_exits(d1, &rc);
    CHECK(rc == 0 && seen == 1u << 2, "the other ring read, the patched one not (seen %#x)", seen);
    CHECK(diag_has(a, "written by a different event table"), "no message naming %s", a);
    CHECK(!diag_has(b, "event table"), "the good ring was blamed");

    /* 2. Stream files under metadata with another hash are refused; a ring beside them is read. */
    snprintf(d2, sizeof d2, "%s/two", dir);
    one_ring(d2, 33, a, sizeof a);
    struct pt_collector *c = NULL;
    CHECK(pt_collector_open(d2, on_diag, NULL, &c) == 0, "collector");
    if (!c)
        return 1;
    pt_collector_finish(c);
    pt_collector_close(c);
    CHECK(access(a, F_OK) != 0, "ring was not drained into stream files");
    CHECK(read_exits(d2, &rc) == 1u << 3 && rc == 0, "drained trace read before patching");
    snprintf(meta, sizeof meta, "%s/metadata", d2);
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "sed -i 's/table_hash = \"[0-9a-f]*\"/table_hash = \"0123456789abcdef\"/' '%s' && "
             "grep -q 'table_hash = \"0123456789abcdef\"' '%s'",
             meta, meta);
    CHECK(system(cmd) == 0, "could not patch %s", meta);
    one_ring(d2, 44, b, sizeof b);
    seen = read_exits(d2, &rc);
    CHECK(rc == 0 && seen == 1u << 4, "the ring read, the foreign streams not (seen %#x)", seen);
    CHECK(diag_has(meta, "written by a different event table"), "no message naming %s", meta);
    /* and a collector does not append this build's streams under that metadata */
    c = NULL;
    ndiags = 0;
    CHECK(pt_collector_open(d2, on_diag, NULL, &c) < 0, "collector accepted a foreign directory");
    CHECK(diag_has(meta, "written by a different event table"), "collector said nothing");
    if (c)
        pt_collector_close(c);

    t_rmrf(dir);
    free(dir);
    if (t_failures)
        return 1;
    printf("tracer_table_hash: ok\n");
    return 0;
}
