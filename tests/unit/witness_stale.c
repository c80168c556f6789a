/* witness_stale.c — a held number outlives its object only until the kernel says the object died:
 * a traced process (its ring in rings/) holds directory K open, published as a registry key
 * handle in its holds table, then closes it; an untraced rm removes K, which nobody holds any
 * more (the witness sets that aside). The number K had goes to a new directory Z — which an
 * untraced process keeps open while an untraced rmdir removes it, so that Z outlives its name
 * and is still there when the witness reads. Z was never held by a traced process: its removal
 * must not be recorded as one of K's hold (the number was freed when K died) — whether the witness
 * reads K's death before Z is made, or, in the same batch, just before Z's removal. When another
 * process on the filesystem takes the number first, the attempt is made again (10 at most). */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"
#include "tracer/holds_table.h"
#include "tracer/internal.h"

/* The traced holder: holds directory k open, published ('h'); closes it, withdrawn ('c'). */
static void holder(const char *rings, const char *k, int in, int out)
{
    char c;
    struct pt__htab tab;
    int fd = open(k, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int slot = fd >= 0 && w_htab_claim(rings, &tab) == 0 ? w_htab_hold(&tab, fd, PT__HK_KEY, "K")
                                                         : -1;
    if (slot < 0)
        _exit(2);
    if (write(out, "h", 1) != 1 || read(in, &c, 1) != 1)
        _exit(4);
    close(fd); /* RegCloseKey */
    pt__htab_remove(&tab, (uint32_t)slot);
    if (write(out, "c", 1) != 1 || read(in, &c, 1) != 1)
        _exit(5);
    _exit(0);
}

/* An untraced process that keeps directory z open until a byte comes. */
static pid_t keep_open(const char *z, int *go)
{
    int g[2], r[2];
    if (pipe(g) < 0 || pipe(r) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        int fd = open(z, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || write(r[1], "o", 1) != 1 || read(g[0], &c, 1) != 1)
            _exit(2);
        _exit(0);
    }
    char c;
    close(g[0]);
    close(r[1]);
    *go = g[1];
    return read(r[0], &c, 1) == 1 ? pid : -1;
}

static void drain(struct pt_witness *w)
{
    for (int i = 0; i < 3; i++) /* what is queued now, to its end */
        pt_witness_drain(w);
}

/* One attempt in directory dir, by the attempt's number n: 1 when K's number went to a new
 * directory Z and what the witness did was checked, 0 when no directory got it (another process
 * on the filesystem took it: try again). one_batch: K's removal is read with Z's, not before. */
static int attempt(struct pt_witness *w, const char *rings, const char *dir, int n, int one_batch)
{
    char k[600], z[700], ring[800], c;
    struct stat sk;
    struct pt_witness_stats st;
    snprintf(k, sizeof k, "%s/K%d", dir, n);
    CHECK(mkdir(k, 0700) == 0 && stat(k, &sk) == 0, "mkdir %s", k);
    int to[2], from[2];
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring); /* a traced holder */
    if (h == 0)
        holder(rings, k, to[0], from[1]);
    CHECK(read(from[0], &c, 1) == 1 && c == 'h', "the holder did not hold %s", k);
    pt_witness_stats(w, &st);
    uint64_t holds = st.holds, recorded = st.recorded;
    drain(w);
    pt_witness_stats(w, &st);
    CHECK(st.holds == holds + 1, "the hold of %s not announced", k);
    CHECK(write(to[1], "c", 1) == 1 && read(from[0], &c, 1) == 1 && c == 'c', "close %s", k);

    char *rmk[] = {"/usr/bin/rmdir", k, NULL};
    CHECK(w_wait(w_spawn(rmk)) == 0, "rmdir %s", k);
    if (!one_batch) {
        drain(w);
        pt_witness_stats(w, &st);
        CHECK(st.recorded == recorded, "the removal of %s, held by nobody any more, recorded", k);
    }

    /* K's number, given to a new directory */
    int found = 0;
    for (int i = 0; i < 50 && !found; i++) {
        struct stat sz;
        snprintf(z, sizeof z, "%s/Z%d.%d", dir, n, i);
        CHECK(mkdir(z, 0700) == 0 && stat(z, &sz) == 0, "mkdir %s", z);
        found = sz.st_ino == sk.st_ino;
    }
    if (found) {
        int go = -1;
        pid_t keeper = keep_open(z, &go);
        CHECK(keeper > 0, "keep %s open", z);
        char *rmz[] = {"/usr/bin/rmdir", z, NULL};
        CHECK(w_wait(w_spawn(rmz)) == 0, "rmdir %s", z);
        drain(w); /* z still there: open */
        pt_witness_stats(w, &st);
        CHECK(st.recorded == recorded,
              "the removal of %s, which got the number of the closed and removed %s, recorded as "
              "one of its hold (%s)",
              z, k, one_batch ? "K's removal read with it" : "K's removal read before");
        CHECK(write(go, "q", 1) == 1 && w_wait(keeper) == 0, "keeper");
        close(go);
    }
    CHECK(write(to[1], "q", 1) == 1 && w_wait(h) == 0, "holder");
    close(to[1]);
    close(from[0]);
    unlink(ring);
    return found;
}

int main(void)
{
    struct w_fs f; /* keys/ not watched: K counts only as a held number */
    if (w_fs_start(&f, "witness-stale", "keys") < 0)
        return 1;
    for (int one_batch = 0; one_batch < 2 && !t_failures; one_batch++) {
        int tested = 0;
        for (int n = 0; n < 10 && !tested && !t_failures; n++)
            tested = attempt(f.w, f.rings, f.dir, 10 * one_batch + n, one_batch);
        CHECK(tested, "no new directory got a removed key's number in 10 attempts");
    }
    w_fs_end(&f);
    return t_failures ? 1 : 0;
}
