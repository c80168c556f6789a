/* witness_renamed.c — a rename in a directory is recorded as one in a held directory only when the
 * directory is the one a traced process held, not another that got its inode number since. A
 * traced process (its ring in rings/) holds directory K open — published as a registry key handle
 * in its holds table, or unpublished, found by the witness's scan of its descriptors — and an
 * untraced mv renames an entry of K: recorded (K is held). The holder closes K (withdrawing the
 * hold) and an untraced rmdir removes it; the number K had goes to a new directory Z, and an
 * untraced mv renames a file inside Z: not recorded, whether the witness read K's death before Z
 * was made or in the same batch as the rename. (On a loaded machine another test's collector,
 * recycling a ring in its own scratch rings/ that got the number of a directory a traced process
 * had held, made such a rename a witnessed one.) When another process on the filesystem takes the
 * number first, the attempt is made again (30 at most). */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"

enum how { BY_TABLE, BY_SCAN };
static const char *const how_name[] = {"published in its holds table", "found by a scan"};

/* The traced holder: holds directory k open (published, or not), says so ('h'); at a byte closes
 * it (and withdraws the hold), says so ('c'); exits at a byte. Never returns. */
static void holder(const char *rings, const char *k, enum how how, int in, int out)
{
    char c;
    struct pt__htab tab;
    int fd = open(k, O_RDONLY | O_DIRECTORY | O_CLOEXEC), slot = -1;
    if (fd < 0 || w_htab_claim(rings, &tab) < 0)
        _exit(2);
    if (how == BY_TABLE && (slot = w_htab_hold(&tab, fd, PT__HK_KEY, "K")) < 0)
        _exit(3);
    if (write(out, "h", 1) != 1 || read(in, &c, 1) != 1)
        _exit(4);
    close(fd);
    if (slot >= 0)
        pt__htab_remove(&tab, (uint32_t)slot);
    if (write(out, "c", 1) != 1 || read(in, &c, 1) != 1)
        _exit(5);
    _exit(0);
}

/* Create dir/a, and have an untraced mv rename it to dir/b. */
static void mv_in(const char *dir)
{
    char a[800], b[800];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    int fd = open(a, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && close(fd) == 0, "create %s", a);
    char *mv[] = {"/usr/bin/mv", a, b, NULL};
    CHECK(w_wait(w_spawn(mv)) == 0, "mv %s %s", a, b);
}

/* One attempt in directory dir, by the attempt's number n: 1 when K's number went to a new
 * directory Z and what the witness did was checked, 0 when no directory got it. one_batch: K's
 * death is read with the rename in Z, not before. */
static int attempt(struct pt_witness *w, const char *rings, const char *dir, int n, enum how how,
                   int one_batch)
{
    char k[600], z[700], ring[800], c;
    struct stat sk;
    struct pt_witness_stats st;
    uint64_t recorded;
    snprintf(k, sizeof k, "%s/K%d", dir, n);
    CHECK(mkdir(k, 0700) == 0 && stat(k, &sk) == 0, "mkdir %s", k);
    w_drain(w); /* the queue found empty: the hold is read after that */
    int to[2], from[2];
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring);
    if (h == 0)
        holder(rings, k, how, to[0], from[1]);
    CHECK(read(from[0], &c, 1) == 1 && c == 'h', "the holder did not hold %s", k);
    if (how == BY_SCAN)
        CHECK(pt_witness_watch_pid(w, h) == 0, "watch the holder %d", (int)h);
    w_drain(w); /* a published hold is read here */
    pt_witness_stats(w, &st);
    recorded = st.recorded;

    /* K held: a rename of its entry is recorded */
    mv_in(k);
    w_drain(w);
    pt_witness_stats(w, &st);
    CHECK(st.recorded == recorded + 1, "the rename in %s, held (%s), recorded %llu times", k,
          how_name[how], (unsigned long long)(st.recorded - recorded));
    /* a scan after the witness last found its queue empty, as the rescan every second may be:
     * it finds K, which is about to die (its report comes after the scan) */
    if (how == BY_SCAN)
        CHECK(pt_witness_watch_pid(w, h) == 0, "scan the holder %d again", (int)h);

    CHECK(write(to[1], "c", 1) == 1 && read(from[0], &c, 1) == 1 && c == 'c', "close %s", k);
    char bk[700];
    snprintf(bk, sizeof bk, "%s/b", k);
    CHECK(unlink(bk) == 0, "rm %s", bk); /* the witness's own: set aside */
    /* moved out of its path (which a scan had watched: a removal there would be recorded by it)
     * and removed there, as by number only */
    char gone[700];
    snprintf(gone, sizeof gone, "%s.gone", k);
    char *mvk[] = {"/usr/bin/mv", k, gone, NULL}, *rmk[] = {"/usr/bin/rmdir", gone, NULL};
    CHECK(w_wait(w_spawn(mvk)) == 0 && w_wait(w_spawn(rmk)) == 0, "mv and rmdir %s", k);
    if (!one_batch)
        w_drain(w);

    /* K's number, given to a new directory, and a rename in it: not recorded (checked in the
     * trace at the end: K's own removal may be, a watched path when a scan found it) */
    int found = w_mkdir_numbered(dir, n, sk.st_ino, z, sizeof z);
    if (found)
        mv_in(z);
    w_drain(w);
    CHECK(w_end_traced(h, to, from), "holder");
    unlink(ring);
    return found;
}

int main(void)
{
    struct w_fs f; /* keys/ not watched: K counts only as a held number */
    if (w_fs_start(&f, "witness-renamed", "keys") < 0)
        return 1;
    for (int how = BY_TABLE; how <= BY_SCAN && !t_failures; how++)
        for (int one_batch = 0; one_batch < 2 && !t_failures; one_batch++) {
            int tested = 0, base = 60 * how + 30 * one_batch;
            for (int n = 0; n < 30 && !tested && !t_failures; n++)
                tested = attempt(f.w, f.rings, f.dir, base + n, (enum how)how, one_batch);
            CHECK(tested, "no new directory got a removed directory's number in 30 attempts");
        }
    w_fs_stop(&f); /* its events are in the trace now */
    unsigned n;
    struct w_ev *ev = w_read(f.trace, &n);
    for (unsigned i = 0; ev && i < n; i++) {
        const char *z = strstr(ev[i].path, "/keys/Z");
        if (z) {
            int at = atoi(z + 7); /* the attempt's number: which case */
            CHECK(0,
                  "%s %s (%s), in a directory that got the number of a closed and removed held "
                  "one (%s, %s), recorded as one in a held directory",
                  ev[i].how, ev[i].path, ev[i].new_path, how_name[at / 60],
                  at % 60 >= 30 ? "its removal read with the rename" : "its removal read before");
        }
    }
    free(ev);
    w_fs_end(&f);
    return t_failures ? 1 : 0;
}
