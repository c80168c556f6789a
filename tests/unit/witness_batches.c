/* witness_batches.c — a deletion whose holder lets go only after many other reports: a traced
 * process (its ring in rings/) holds file X open and publishes the hold in its holds table, on a
 * filesystem the witness watches whole; an untraced rm deletes X; then 1500 other files are
 * created and deleted beside it (3000 reports: more than one batch of the witness holds) and only
 * then does the holder close X. The witness, driven by the test, reads everything after that: by
 * then X's inode is gone (its handle names nothing), and the report that X outlived its name — its
 * DELETE_SELF, from the holder — is in a later batch than its deletion. X's deletion must be
 * recorded all the same (judged with a later batch), once, by rm; nothing else is. (Other
 * deletions on the filesystem, other tests' among them, only add reports, which are set aside.) */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"

#define OTHERS 1500

/* The traced holder: holds x open, published as the shim would ('h'), closes it at 'c'. */
static void holder(const char *rings, const char *x, int in, int out)
{
    char c;
    struct pt__htab tab;
    int fd = open(x, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || w_htab_claim(rings, &tab) < 0 || w_htab_hold(&tab, fd, PT__HK_FILE, x) < 0)
        _exit(2);
    if (write(out, "h", 1) != 1 || read(in, &c, 1) != 1)
        _exit(4);
    close(fd); /* the last reference: X's inode goes now */
    if (write(out, "c", 1) != 1 || read(in, &c, 1) != 1)
        _exit(5);
    _exit(0);
}

int main(void)
{
    struct w_fs f; /* x's directory not watched: x counts only as a held number */
    if (w_fs_start(&f, "witness-batches", "files") < 0)
        return 1;
    struct pt_witness *w = f.w;
    const char *rings = f.rings, *dir = f.dir, *trace = f.trace;
    char x[600], other[700], ring[800];
    snprintf(x, sizeof x, "%s/x", dir);

    int to[2], from[2];
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring); /* a traced holder */
    if (h == 0)
        holder(rings, x, to[0], from[1]);
    char c;
    CHECK(read(from[0], &c, 1) == 1 && c == 'h', "the holder did not hold %s", x);
    struct pt_witness_stats st;
    pt_witness_drain(w);
    pt_witness_stats(w, &st);
    CHECK(st.holds == 1, "the hold of %s not announced (%llu)", x, (unsigned long long)st.holds);

    char *rm[] = {"/usr/bin/rm", x, NULL};
    pid_t p_rm = w_spawn(rm);
    CHECK(w_wait(p_rm) == 0, "rm %s", x);
    for (int i = 0; i < OTHERS; i++) {
        snprintf(other, sizeof other, "%s/other.%d", dir, i);
        int fd = open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && close(fd) == 0 && unlink(other) == 0, "%s", other);
    }
    CHECK(write(to[1], "c", 1) == 1 && read(from[0], &c, 1) == 1 && c == 'c',
          "the holder did not close %s", x);

    for (int i = 0; i < 500 && !st.recorded; i++) { /* until x's deletion is recorded (~5 s) */
        pt_witness_drain(w);
        pt_witness_stats(w, &st);
        if (!st.recorded)
            w_sleep_ms(10);
    }
    printf("%llu reports, %llu recorded, %llu set aside as of a reused number\n",
           (unsigned long long)st.reports, (unsigned long long)st.recorded,
           (unsigned long long)st.reused);
    CHECK(st.reports > 2 * OTHERS, "only %llu reports", (unsigned long long)st.reports);
    CHECK(st.recorded == 1, "the deletion of the held x, read after its holder let go: %llu recorded",
          (unsigned long long)st.recorded);
    CHECK(write(to[1], "q", 1) == 1, "quit");
    CHECK(w_wait(h) == 0, "holder");
    w_fs_stop(&f); /* its events are in the trace now */
    unlink(ring);
    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    CHECK(n == 1 && ev && !strcmp(ev[0].path, x) && ev[0].pid == (uint32_t)p_rm,
          "%u events; the first %s by pid %u", n, n ? ev[0].path : "-", n ? ev[0].pid : 0);
    free(ev);
    w_fs_end(&f);
    return t_failures ? 1 : 0;
}
