/* witness_ended.c — a hold the witness first reads when it is over is kept only for the deletions
 * it may have suffered, not for the number's next owner: a traced process (its ring in rings/)
 * opens directory K, publishes it as a registry key handle in its holds table, closes it and
 * withdraws the hold, all while the witness waits; an untraced rmdir removes K, which nobody holds
 * any more. The witness then reads, in one batch, the hold (over) and K's death. The number K had
 * goes to a new directory Z, and an untraced rm deletes a file inside Z: an entry of a directory
 * nobody traced ever held, which must not be recorded as one of K's values or subkeys (on a busy
 * machine another test's `rm -rf` in /tmp made such a finding) — whether the witness reads it
 * after K's death or in the same batch. When another process on the filesystem takes the number
 * first, the attempt is made again (30 at most). */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"

/* One attempt in directory dir, by the attempt's number n: 1 when K's number went to a new
 * directory Z and what the witness did was checked, 0 when no directory got it. one_batch: the
 * hold and K's removal are read with the deletion in Z, not before. */
static int attempt(struct pt_witness *w, const char *rings, const char *dir, int n, int one_batch)
{
    char k[600], z[700], v[800], ring[800], c;
    struct stat sk;
    struct pt_witness_stats st;
    snprintf(k, sizeof k, "%s/K%d", dir, n);
    CHECK(mkdir(k, 0700) == 0 && stat(k, &sk) == 0, "mkdir %s", k);
    w_drain(w); /* the queue empty: what follows is read in one batch */
    int to[2], from[2];
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring); /* a traced holder */
    if (h == 0)
        w_key_holder(rings, k, to[0], from[1], 0);
    CHECK(read(from[0], &c, 1) == 1 && c == 'c', "the holder did not hold and close %s", k);
    char *rmk[] = {"/usr/bin/rmdir", k, NULL};
    CHECK(w_wait(w_spawn(rmk)) == 0, "rmdir %s", k);
    pt_witness_stats(w, &st);
    uint64_t ended = st.holds_ended, recorded = st.recorded;
    if (!one_batch)
        w_drain(w);
    pt_witness_stats(w, &st);
    CHECK(one_batch || st.holds_ended == ended + 1, "the hold of %s, over, not read", k);
    if (st.recorded != recorded) {
        /* K's own removal taken for one of a held key: witness_stale's failure, asserted there
         * (another process on the machine held K a moment longer); no test of this one then */
        CHECK(w_end_traced(h, to, from), "holder");
        unlink(ring);
        return 0;
    }

    /* K's number, given to a new directory, and a file in it deleted */
    int found = w_mkdir_numbered(dir, n, sk.st_ino, z, sizeof z);
    if (found) {
        snprintf(v, sizeof v, "%s/v", z);
        int fd = open(v, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd >= 0, "create %s", v);
        close(fd);
        char *rmv[] = {"/usr/bin/rm", v, NULL};
        CHECK(w_wait(w_spawn(rmv)) == 0, "rm %s", v);
        w_drain(w);
        pt_witness_stats(w, &st);
        CHECK(st.holds_ended == ended + 1, "the hold of %s, over, not read", k);
        CHECK(st.recorded == recorded,
              "the deletion of %s, in a directory that got the number of the closed and removed "
              "%s, recorded as one of an entry of its hold (%s)",
              v, k, one_batch ? "K's removal read with it" : "K's removal read before");
    }
    CHECK(w_end_traced(h, to, from), "holder");
    unlink(ring);
    return found;
}

int main(void)
{
    struct w_fs f; /* keys/ not watched: K counts only as a held number */
    if (w_fs_start(&f, "witness-ended", "keys") < 0)
        return 1;
    for (int one_batch = 0; one_batch < 2 && !t_failures; one_batch++) {
        int tested = 0;
        for (int n = 0; n < 30 && !tested && !t_failures; n++)
            tested = attempt(f.w, f.rings, f.dir, 30 * one_batch + n, one_batch);
        CHECK(tested, "no new directory got a removed key's number in 30 attempts");
    }
    w_fs_end(&f);
    return t_failures ? 1 : 0;
}
