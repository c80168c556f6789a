/* witness_flooded.c — a hold read live while a flood of reports keeps the queue from being found
 * empty does not keep its number past its object's death: a traced process (its ring in rings/)
 * holds directory K open, published as a registry key handle in its holds table; the test then
 * deletes FLOOD files of its own (more reports than one drain of the witness reads), and the
 * witness reads the hold, live, and part of the flood. The holder closes K and withdraws the
 * hold; an untraced rmdir removes K, which nobody holds any more, and the witness reads the rest
 * of the flood and K's death. The number K had goes to a new directory Z — which an untraced
 * process keeps open while an untraced rmdir removes it. Z was never held by a traced process: its
 * removal must not be recorded as one of K's hold. (The hold began after the last read that found
 * the queue empty, as a hold of a new object that got the number would have.) When another
 * process on the filesystem takes the number first, or the kernel's queue overflows, the attempt
 * is made again (10 at most). */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tests/unit/witness_test.h"

/* More reports (a deletion and a death each) than one drain reads: 16 batches of at most 1024, of
 * fewer when names are long; fewer than the kernel queues (16384 by default). */
#define FLOOD 6000

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

/* One attempt, by its number n: 1 when the hold was read in the flood, K's number went to a new
 * directory Z and what the witness did was checked; 0 when not (try again). */
static int attempt(struct pt_witness *w, const char *rings, const char *dir, int n)
{
    char k[600], z[700], ring[800], c;
    struct stat sk;
    struct pt_witness_stats st;
    snprintf(k, sizeof k, "%s/K%d", dir, n);
    CHECK(mkdir(k, 0700) == 0 && stat(k, &sk) == 0, "mkdir %s", k);
    drain(w); /* the queue found empty: from here on it is not */
    pt_witness_stats(w, &st);
    uint64_t holds = st.holds, recorded = st.recorded, reports = st.reports;
    uint64_t overflows = st.overflows;
    int to[2], from[2];
    pid_t h = w_fork_traced(rings, to, from, ring, sizeof ring); /* a traced holder */
    if (h == 0)
        holder(rings, k, to[0], from[1]);
    CHECK(read(from[0], &c, 1) == 1 && c == 'h', "the holder did not hold %s", k);
    flood(dir);
    pt_witness_drain(w); /* the hold, live, and part of the flood */
    pt_witness_stats(w, &st);
    CHECK(st.holds == holds + 1, "the hold of %s not announced", k);
    int flooded = st.reports - reports < 2 * FLOOD; /* the queue was not found empty */
    CHECK(write(to[1], "c", 1) == 1 && read(from[0], &c, 1) == 1 && c == 'c', "close %s", k);

    char *rmk[] = {"/usr/bin/rmdir", k, NULL};
    CHECK(w_wait(w_spawn(rmk)) == 0, "rmdir %s", k);
    drain(w); /* the rest of the flood, and K's death */
    pt_witness_stats(w, &st);
    CHECK(st.recorded == recorded, "the removal of %s, held by nobody any more, recorded", k);
    int usable = flooded && st.overflows == overflows;
    if (!usable)
        fprintf(stderr, "attempt %d: %s; again\n", n,
                flooded ? "the kernel's queue overflowed" : "the witness found the queue empty");

    /* K's number, given to a new directory */
    int found = 0;
    for (int i = 0; i < 50 && usable && !found; i++) {
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
              "the removal of %s, which got the number of the closed and removed %s (its hold "
              "read live in a flood of reports), recorded as one of its hold",
              z, k);
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
    if (w_fs_start(&f, "witness-flooded", "keys") < 0)
        return 1;
    int tested = 0;
    for (int n = 0; n < 10 && !tested && !t_failures; n++)
        tested = attempt(f.w, f.rings, f.dir, n);
    CHECK(tested, "no attempt of 10 could be checked");
    w_fs_end(&f);
    return t_failures ? 1 : 0;
}
