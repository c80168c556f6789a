/* witness_stale.c — a held number outlives its object only until the kernel says the object died:
 * a traced process (its ring in rings/) holds directory K open, published as a registry key
 * handle in its holds table, then closes it; an untraced rm removes K, which nobody holds any
 * more (the witness sets that aside). The number K had goes to a new directory Z — which an
 * untraced process keeps open while an untraced mv renames it and an untraced rmdir removes it,
 * so that Z outlives its name and is still there when the witness reads. Z was never held by a
 * traced process: neither its rename nor its removal may be recorded as one of K's hold (the
 * number was freed when K died). Three cases: the
 * witness reads K's death before Z is made; in the same batch, just before Z's removal; or before
 * Z is made, but with the hold read live in a flood of reports that kept the witness from finding
 * its queue empty (then the hold began after the last such read, as a hold of a new object that
 * got the number would have). When another process on the filesystem takes the number first, or
 * the kernel's queue overflows (then the witness believes handles), the attempt is made again (10
 * at most); a case whose 10 attempts all overflowed, or the flood's whose 10 attempts all failed
 * so, is not checked (exit 77, skipped). */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"

enum when { K_BEFORE, K_WITH_Z, K_FLOODED };
static int overflowed; /* attempts made unusable by an overflow of the kernel's queue */
static const char *const when_name[] = {"K's removal read before", "K's removal read with it",
                                        "K's hold read in a flood, its removal before"};

/* More reports (a deletion and a death each) than one drain reads: 16 batches of at most 1024, of
 * fewer when names are long; fewer than the kernel queues (16384 by default). */
#define FLOOD 6000

/* FLOOD files made and deleted in dir, with long names (few reports in a read). */
static void flood(const char *dir)
{
    char p[800];
    for (int i = 0; i < FLOOD; i++) {
        snprintf(p, sizeof p, "%s/%0200d", dir, i);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && close(fd) == 0 && unlink(p) == 0, "%s", p);
    }
}

/* One attempt in directory dir, by the attempt's number n: 1 when K's number went to a new
 * directory Z and what the witness did was checked, 0 when no directory got it (another process
 * on the filesystem took it) or the flood overflowed: try again. */
static int attempt(struct pt_witness *w, const char *rings, const char *dir, int n, enum when when)
{
    char k[600], z[700], ring[800], c;
    struct stat sk;
    struct pt_witness_stats st;
    snprintf(k, sizeof k, "%s/K%d", dir, n);
    CHECK(mkdir(k, 0700) == 0 && stat(k, &sk) == 0, "mkdir %s", k);
    w_drain(w); /* the queue found empty: in the flood, not again until K's death */
    int to[2], from[2];
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring); /* a traced holder */
    if (h == 0)
        w_key_holder(rings, k, to[0], from[1], 1);
    CHECK(read(from[0], &c, 1) == 1 && c == 'h', "the holder did not hold %s", k);
    pt_witness_stats(w, &st);
    uint64_t holds = st.holds, recorded = st.recorded, reports = st.reports;
    uint64_t overflows = st.overflows;
    int usable = 1;
    if (when == K_FLOODED) {
        flood(dir);
        pt_witness_drain(w); /* the hold, live, and part of the flood */
        pt_witness_stats(w, &st);
        usable = st.reports - reports < 2 * FLOOD; /* the queue was not found empty */
        CHECK(usable, "the witness read the whole flood (%llu reports) in one drain",
              (unsigned long long)(st.reports - reports));
    } else {
        w_drain(w);
    }
    pt_witness_stats(w, &st);
    CHECK(st.holds == holds + 1, "the hold of %s not announced", k);
    CHECK(write(to[1], "c", 1) == 1 && read(from[0], &c, 1) == 1 && c == 'c', "close %s", k);

    char *rmk[] = {"/usr/bin/rmdir", k, NULL};
    CHECK(w_wait(w_spawn(rmk)) == 0, "rmdir %s", k);
    if (when != K_WITH_Z)
        w_drain(w); /* (the rest of the flood and) K's death */
    pt_witness_stats(w, &st);
    if (st.overflows != overflows) { /* then the witness believes handles: no test */
        fprintf(stderr, "attempt %d: the kernel's queue overflowed; again\n", n);
        overflowed++;
        usable = 0;
    }
    CHECK(!usable || st.recorded == recorded,
          "the removal of %s, held by nobody any more, recorded", k);

    /* K's number, given to a new directory */
    if (usable && w_mkdir_numbered(dir, n, sk.st_ino, z, sizeof z)) {
        int go = -1;
        pid_t keeper = w_keep_open(z, &go);
        CHECK(keeper > 0, "keep %s open", z);
        char moved[800];
        snprintf(moved, sizeof moved, "%s.moved", z);
        char *mvz[] = {"/usr/bin/mv", z, moved, NULL}, *rmz[] = {"/usr/bin/rmdir", moved, NULL};
        CHECK(w_wait(w_spawn(mvz)) == 0 && w_wait(w_spawn(rmz)) == 0, "mv and rmdir %s", z);
        w_drain(w); /* z still there: open */
        pt_witness_stats(w, &st);
        if (st.overflows != overflows) {
            fprintf(stderr, "attempt %d: the kernel's queue overflowed; again\n", n);
            overflowed++;
            usable = 0;
        }
        CHECK(!usable || st.recorded == recorded,
              "the rename or removal of %s, which got the number of the closed and removed %s, "
              "recorded as one of its hold (%s)",
              z, k, when_name[when]);
        CHECK(write(go, "q", 1) == 1 && w_wait(keeper) == 0, "keeper");
        close(go);
    } else {
        usable = 0;
    }
    CHECK(w_end_traced(h, to, from), "holder");
    unlink(ring);
    return usable;
}

int main(void)
{
    struct w_fs f; /* keys/ not watched: K counts only as a held number */
    if (w_fs_start(&f, "witness-stale", "keys") < 0)
        return 1;
    int skipped = 0;
    for (int when = K_BEFORE; when <= K_FLOODED && !t_failures; when++) {
        int tested = 0;
        overflowed = 0;
        for (int n = 0; n < 10 && !tested && !t_failures; n++)
            tested = attempt(f.w, f.rings, f.dir, 10 * when + n, (enum when)when);
        /* a filesystem busier than the kernel's queue; in the flood, which takes a while, other
         * processes on it also take the freed number more often */
        if (!tested && (overflowed == 10 || when == K_FLOODED)) {
            fprintf(stderr,
                    "not checked (%s): in all 10 attempts the kernel's queue overflowed (%d) or "
                    "another process took the number\n",
                    when_name[when], overflowed);
            skipped = 1;
            continue;
        }
        CHECK(tested, "no new directory got the removed key's number in 10 attempts (%s)",
              when_name[when]);
    }
    w_fs_end(&f);
    return t_failures ? 1 : skipped ? 77 : 0;
}
