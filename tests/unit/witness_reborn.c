/* witness_reborn.c — a held number whose previous object died unread: an untraced rm deletes file
 * O, which nobody holds (it dies with its name); file X, made then, gets O's inode number, and a
 * traced process (its ring in rings/) holds X open and publishes the hold in its holds table; only
 * then does the witness read, in one batch, O's death and deletion, and the hold. O's death frees
 * nothing the hold needs: the hold is of X, begun after that batch's reports began. An untraced rm
 * then deletes X while the holder has it open: that deletion must be recorded, once, by that rm
 * (under a flood of other deletions on the filesystem, a hold read so lost its number and the
 * deletion of what it held was set aside). When no file gets the number, the attempt is made
 * again (10 at most). */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"

/* The traced holder: holds x open, published ('h'); lets go and exits at a byte. */
static void holder(const char *rings, const char *x, int in, int out)
{
    char c;
    struct pt__htab tab;
    int fd = open(x, O_RDWR | O_CLOEXEC);
    if (fd < 0 || w_htab_claim(rings, &tab) < 0 || w_htab_hold(&tab, fd, PT__HK_FILE, x) < 0)
        _exit(2);
    if (write(out, "h", 1) != 1 || read(in, &c, 1) != 1)
        _exit(4);
    _exit(0);
}

/* One attempt in directory dir, by the attempt's number n: 1 when X got O's number and what the
 * witness did was checked, 0 when it did not. */
static int attempt(struct pt_witness *w, const char *rings, const char *dir, int n, pid_t *p_rm)
{
    char o[600], x[600], ring[800];
    struct stat so;
    struct pt_witness_stats st;
    snprintf(o, sizeof o, "%s/o%d", dir, n);
    snprintf(x, sizeof x, "%s/x%d", dir, n);
    int fd = open(o, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && fstat(fd, &so) == 0 && close(fd) == 0, "create %s", o);
    w_drain(w); /* the queue empty: what follows is read in one batch */
    pt_witness_stats(w, &st);
    uint64_t recorded = st.recorded;
    char *rmo[] = {"/usr/bin/rm", o, NULL};
    CHECK(w_wait(w_spawn(rmo)) == 0, "rm %s", o); /* reported; not read yet */

    /* O's number, given to a new file X (made here: the holder opens it) */
    int found = 0;
    for (int i = 0; i < 50 && !found; i++) {
        struct stat sx;
        snprintf(x, sizeof x, "%s/x%d.%d", dir, n, i);
        fd = open(x, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && fstat(fd, &sx) == 0 && close(fd) == 0, "create %s", x);
        found = sx.st_ino == so.st_ino;
        if (!found)
            unlink(x); /* the witness's own deletion: set aside */
    }
    if (!found) {
        w_drain(w);
        return 0;
    }
    int to[2], from[2];
    char c;
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring); /* a traced holder */
    if (h == 0)
        holder(rings, x, to[0], from[1]);
    CHECK(read(from[0], &c, 1) == 1 && c == 'h', "the holder did not hold %s", x);
    w_drain(w); /* O's death and deletion, and the hold of X */
    pt_witness_stats(w, &st);
    CHECK(st.recorded == recorded, "the deletion of %s, held by nobody, recorded", o);
    char *rmx[] = {"/usr/bin/rm", x, NULL};
    *p_rm = w_spawn(rmx);
    CHECK(w_wait(*p_rm) == 0, "rm %s", x);
    w_drain(w);
    pt_witness_stats(w, &st);
    CHECK(st.recorded == recorded + 1,
          "the deletion of the held %s, which got the number of %s (whose death was read with the "
          "hold), not recorded (%llu set aside as of a reused number)",
          x, o, (unsigned long long)st.reused);
    CHECK(w_end_traced(h, to, from), "holder");
    unlink(ring);
    return 1;
}

int main(void)
{
    struct w_fs f; /* files/ not watched: X counts only as a held number */
    if (w_fs_start(&f, "witness-reborn", "files") < 0)
        return 1;
    int tested = 0;
    pid_t p_rm = 0;
    for (int n = 0; n < 10 && !tested && !t_failures; n++)
        tested = attempt(f.w, f.rings, f.dir, n, &p_rm);
    CHECK(tested, "no new file got a deleted file's number in 10 attempts");
    w_fs_stop(&f); /* its events are in the trace now */
    unsigned n;
    struct w_ev *ev = w_read(f.trace, &n);
    CHECK(!tested || (n == 1 && ev && ev[0].pid == (uint32_t)p_rm && !strcmp(ev[0].how, "unlink")),
          "%u events; the first %s by pid %u", n, n ? ev[0].path : "-", n ? ev[0].pid : 0);
    free(ev);
    w_fs_end(&f);
    return t_failures ? 1 : 0;
}
