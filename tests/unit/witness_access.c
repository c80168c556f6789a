/* witness_access.c — the witness reads its own user's holds table without waking the collector:
 * the collector sleeps on inotify IN_ACCESS in rings/ (a writer's one-byte read of its ring wakes
 * it, tracer/ring.c), and a pread of the table, which lives in rings/ too, is such an access. A
 * child publishes holds one by one as the shim does, and the witness reads the table after each
 * (caller-driven drains, as its thread would after each doorbell or report): every hold must be
 * announced live, and an inotify watch for IN_ACCESS on rings/ must see no access to the table;
 * a pread of our own at the end must be seen (the watch works). Prints how many accesses a drain
 * made. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/inotify.h>

#include "tests/unit/witness_test.h"

#define HOLDS 50

/* The table's IN_ACCESS events queued on ifd (read, counted). */
static unsigned accesses(int ifd, const char *table)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    unsigned n = 0;
    ssize_t len;
    while ((len = read(ifd, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if ((ev->mask & IN_ACCESS) && ev->len && !strcmp(ev->name, table))
                n++;
            p += sizeof *ev + ev->len;
        }
    return n;
}

/* The shim's side: publish hold k+1 at each byte read from `go`, say so on `done`. */
static void shim(const char *rings, int go, int done)
{
    char why[256], c;
    int rfd = open(rings, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = rfd >= 0 ? pt__htab_open(rfd, (uint32_t)geteuid(), 0, why, sizeof why) : -1;
    struct pt__htab tab;
    if (fd < 0 || pt__htab_map(&tab, fd, (uint32_t)geteuid()) < 0 ||
        pt__htab_claim(&tab, (uint32_t)getpid(), 0) < 0)
        _exit(2);
    for (uint64_t k = 0; read(go, &c, 1) == 1; k++) {
        struct pt__hold h = {.dev = 1, .ino = 1000 + k, .kind = PT__HK_MAP, .pid = (uint32_t)getpid(),
                             .uid = (uint32_t)geteuid(), .t_begin = pt_now(), .name = "held"};
        if (pt__htab_add(&tab, &h) < 0)
            _exit(3);
        pt__htab_ring(&tab, h.dev);
        if (write(done, &c, 1) != 1)
            _exit(4);
    }
    _exit(0);
}

int main(void)
{
    char *base = t_mkdtemp("witness-access");
    char trace[512], rings[600], table[32];
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(rings, sizeof rings, "%s/rings", trace);
    snprintf(table, sizeof table, PT__HOLDS_PREFIX "%u", (unsigned)geteuid());
    CHECK(mkdir(trace, 0700) == 0 && mkdir(rings, 0700) == 0, "mkdir %s", rings);
    /* what the collector watches for (among other things) */
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(ifd >= 0 && inotify_add_watch(ifd, rings, IN_ACCESS) >= 0, "inotify on %s", rings);

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, PT_WITNESS_NO_THREAD | PT_WITNESS_NO_EXECS, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return 1;
    int go[2], done[2];
    CHECK(pipe(go) == 0 && pipe(done) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        close(go[1]);
        close(done[0]);
        shim(rings, go[0], done[1]);
    }
    close(go[0]);
    close(done[1]);

    pt_witness_drain(w); /* the first read of the table, all of it */
    unsigned seen = accesses(ifd, table);
    struct pt_witness_stats st;
    for (int k = 0; k < HOLDS; k++) {
        char c = 'h';
        CHECK(write(go[1], &c, 1) == 1 && read(done[0], &c, 1) == 1, "the shim did not publish");
        pt_witness_drain(w);
        seen += accesses(ifd, table);
    }
    pt_witness_stats(w, &st);
    printf("%llu holds announced in %d drains, %u IN_ACCESS of rings/%s\n",
           (unsigned long long)st.holds, HOLDS + 1, seen, table);
    CHECK(st.holds == HOLDS, "holds announced live: %llu of %d", (unsigned long long)st.holds,
          HOLDS);
    CHECK(seen == 0, "the witness's reads of its own table woke the collector %u times", seen);

    /* the watch itself works: a pread of the table is seen */
    char path[700], b;
    snprintf(path, sizeof path, "%s/%s", rings, table);
    int tfd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(tfd >= 0 && pread(tfd, &b, 1, 0) == 1, "read %s", path);
    close(tfd);
    CHECK(accesses(ifd, table) >= 1, "a pread of %s was not seen: the watch is blind", table);

    close(go[1]);
    CHECK(w_wait(child) == 0, "shim child");
    close(done[0]);
    pt_witness_stop(w);
    close(ifd);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}
