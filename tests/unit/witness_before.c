/* witness_before.c — an entry deleted from a directory before a held directory got that
 * directory's number is no entry of the held one: an untraced process makes directory D with file
 * v in it, then deletes v and removes D, all while the witness waits; a traced process (its ring
 * in rings/) then creates directory K, which gets D's number, and keeps it open, published as a
 * registry key handle in its holds table. The witness reads, in one batch, the hold and the
 * reports of v and D: v's deletion must not be recorded as one of K's values (on a busy machine
 * another test's `rm -rf` in /tmp, read after a service created and opened a key, made such a
 * finding). When K does not get D's number (another process on the filesystem took it), the
 * attempt is made again (30 at most). */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"

/* The traced holder: ready ('r') with its table, at a byte creates directory k, holds it open,
 * published; sends its inode number and waits for a byte before it exits. */
static void holder(const char *rings, const char *k, int in, int out)
{
    char c;
    struct stat st;
    struct pt__htab tab;
    if (w_htab_claim(rings, &tab) < 0 || write(out, "r", 1) != 1 || read(in, &c, 1) != 1 ||
        mkdir(k, 0700) < 0)
        _exit(2);
    int fd = open(k, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* RegCreateKeyEx */
    if (fd < 0 || fstat(fd, &st) < 0 || w_htab_hold(&tab, fd, PT__HK_KEY, "K") < 0)
        _exit(3);
    uint64_t ino = st.st_ino;
    if (write(out, &ino, sizeof ino) != sizeof ino || read(in, &c, 1) != 1)
        _exit(5);
    _exit(0);
}

/* One attempt in directory dir, by the attempt's number n: 1 when K got D's number and what the
 * witness did was checked, 0 when it did not. */
static int attempt(struct pt_witness *w, const char *rings, const char *dir, int n)
{
    char d[600], v[700], k[600], ring[800];
    struct stat sd;
    struct pt_witness_stats st;
    snprintf(d, sizeof d, "%s/D%d", dir, n);
    snprintf(v, sizeof v, "%s/v", d);
    snprintf(k, sizeof k, "%s/K%d", dir, n);
    int to[2], from[2];
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring); /* a traced holder */
    if (h == 0)
        holder(rings, k, to[0], from[1]);
    char c;
    CHECK(read(from[0], &c, 1) == 1 && c == 'r', "the holder is not ready");
    /* nothing else created here from now on until K: it is to get D's number */
    w_drain(w); /* the queue empty: what follows is read in one batch */
    pt_witness_stats(w, &st);
    uint64_t recorded = st.recorded;
    CHECK(mkdir(d, 0700) == 0 && stat(d, &sd) == 0, "mkdir %s", d);
    int fd = open(v, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0, "create %s", v);
    close(fd);
    char *rmv[] = {"/usr/bin/rm", "-r", d, NULL};
    CHECK(w_wait(w_spawn(rmv)) == 0, "rm -r %s", d);
    CHECK(write(to[1], "g", 1) == 1, "go");
    uint64_t kino = 0;
    CHECK(read(from[0], &kino, sizeof kino) == sizeof kino, "the holder did not hold %s", k);
    int found = kino == (uint64_t)sd.st_ino;
    if (found) {
        w_drain(w);
        pt_witness_stats(w, &st);
        CHECK(st.recorded == recorded,
              "the deletion of %s, before %s got the number of its directory, recorded as one "
              "of an entry of its hold",
              v, k);
    }
    CHECK(w_end_traced(h, to, from), "holder");
    w_drain(w);
    unlink(ring);
    rmdir(k);
    return found;
}

int main(void)
{
    struct w_fs f; /* keys/ not watched: K counts only as a held number */
    if (w_fs_start(&f, "witness-before", "keys") < 0)
        return 1;
    int tested = 0;
    for (int n = 0; n < 30 && !tested && !t_failures; n++)
        tested = attempt(f.w, f.rings, f.dir, n);
    CHECK(tested, "no new key got a removed directory's number in 30 attempts");
    w_fs_end(&f);
    return t_failures ? 1 : 0;
}
