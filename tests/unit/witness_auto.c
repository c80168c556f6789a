/* witness_auto.c — the collector only names the traced process (pt_witness_watch_pid): the witness
 * finds what it holds — a registry key handle (an open directory), a POSIX shared-memory object it
 * maps with its descriptor closed, a key it opens later (found by the rescan) — and sees them
 * deleted by an untraced rm, while a deletion beside them that the process does not hold, and
 * what happens in the trace directory (rings published by rename, removed) are not recorded, even
 * though the process holds a log file in the directory above them (a held file is watched alone). */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "tests/unit/witness_test.h"

static void attempt(void)
{
    char *base = t_mkdtemp("witness-auto");
    char trace[512], keya[512], keyb[512], other[512], shm[256], cmd[2048];
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)time(NULL);
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(keya, sizeof keya, "%s/hive/Profiles/A", base);
    snprintf(keyb, sizeof keyb, "%s/hive/Other/B", base);
    snprintf(other, sizeof other, "%s/hive/Elsewhere", base);
    snprintf(shm, sizeof shm, "/dev/shm/pt-wa-%d-%08x", (int)getpid(), rnd);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s' '%s' '%s/rings'", keya, keyb, other, trace);
    CHECK(system(cmd) == 0, "%s", cmd);
    char held_ring[600], logf[600], tmp_ring[600], pub_ring[600];
    snprintf(held_ring, sizeof held_ring, "%s/rings/fake.ring", trace);
    snprintf(logf, sizeof logf, "%s/holder.log", base);
    snprintf(tmp_ring, sizeof tmp_ring, "%s/rings/.new.tmp", trace);
    snprintf(pub_ring, sizeof pub_ring, "%s/rings/new.data", trace);
    int tf = open(tmp_ring, O_CREAT | O_WRONLY, 0600);
    CHECK(tf >= 0, "create %s", tmp_ring);
    close(tf);

    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe");
    pid_t holder = fork();
    if (holder == 0) {
        int ka = open(keya, O_RDONLY | O_DIRECTORY); /* RegOpenKeyEx */
        int fd = open(shm, O_CREAT | O_RDWR, 0600);  /* CreateFileMapping + MapViewOfFile */
        int rf = open(held_ring, O_CREAT | O_RDWR, 0600); /* its ring: not the witness's business */
        int lf = open(logf, O_CREAT | O_WRONLY, 0600);    /* base/ becomes a watched directory */
        if (ka < 0 || fd < 0 || rf < 0 || lf < 0 || ftruncate(fd, 4096) < 0)
            _exit(2);
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            _exit(3);
        close(fd);
        char c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(4);
        int kb = open(keyb, O_RDONLY | O_DIRECTORY); /* a key opened later */
        if (kb < 0 || write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(5);
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "holder did not start");
    struct stat sa, ss, sb;
    CHECK(stat(keya, &sa) == 0 && stat(shm, &ss) == 0 && stat(keyb, &sb) == 0, "stat");

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, 0, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return;
    CHECK(pt_witness_watch_pid(w, holder) == 0, "watch_pid");
    c = 1;
    CHECK(write(go[1], &c, 1) == 1 && read(ready[0], &c, 1) == 1, "second key");
    /* The rescan (about every second) finds key B: untraced deletions of probe files in it are
     * recorded from then on. */
    struct pt_witness_stats st;
    int watched = 0;
    for (int k = 0; k < 100 && !watched; k++) {
        char probe[600];
        snprintf(probe, sizeof probe, "%s/probe-%d", keyb, k);
        int pf = open(probe, O_CREAT | O_WRONLY, 0600);
        CHECK(pf >= 0, "create %s", probe);
        close(pf);
        char *rmp[] = {"/usr/bin/rm", "-f", probe, NULL};
        CHECK(w_wait(w_spawn(rmp)) == 0, "rm probe");
        for (int i = 0; i < 20 && !watched; i++) { /* its report, when there is one, is quick */
            pt_witness_stats(w, &st);
            watched = st.recorded > 0;
            if (!watched)
                w_sleep_ms(10);
        }
    }
    CHECK(watched, "the rescan never found key B");
    pt_witness_stats(w, &st);
    uint64_t probes = st.recorded;

    char *mv[] = {"/usr/bin/mv", tmp_ring, pub_ring, NULL};
    CHECK(w_wait(w_spawn(mv)) == 0, "mv");
    char *rm[] = {"/usr/bin/rm", "-rf", keya, shm, keyb, other, held_ring, NULL};
    pid_t p_rm = w_spawn(rm);
    CHECK(w_wait(p_rm) == 0, "rm");
    CHECK(w_wait_recorded(w, probes + 3), "fewer than 3 deletions recorded");
    CHECK(write(go[1], &c, 1) == 1, "go"); /* what is still queued, pt_witness_stop drains */
    CHECK(w_wait(holder) == 0, "holder");
    pt_witness_stop(w);

    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    w_dump(ev, n);
    int fa = 0, fs = 0, fb = 0;
    for (unsigned i = 0; i < n; i++) {
        struct w_ev *e = &ev[i];
        if (!strcmp(e->path, keya)) {
            fa++;
            CHECK(e->ino == (uint64_t)sa.st_ino, "key A ino");
        } else if (!strcmp(e->path, shm)) {
            fs++;
            CHECK(e->ino == (uint64_t)ss.st_ino, "shm ino");
        } else if (!strcmp(e->path, keyb)) {
            fb++;
            CHECK(e->ino == (uint64_t)sb.st_ino, "key B ino");
        } else if (strncmp(e->path, keyb, strlen(keyb)) ||
                   strncmp(e->path + strlen(keyb), "/probe-", 7))
            CHECK(strncmp(e->path, base, strlen(base)), "not held, yet recorded: %s", e->path);
        if (!strcmp(e->path, keya) || !strcmp(e->path, shm) || !strcmp(e->path, keyb)) {
            CHECK(e->pid == (uint32_t)p_rm, "pid %u", e->pid);
            if (!w_gone(e))
                CHECK(!strcmp(e->exe, "/usr/bin/rm"), "exe %s", e->exe);
        }
    }
    CHECK(fa == 1 && fs == 1 && fb == 1, "key A %d, shm %d, key B %d", fa, fs, fb);
    free(ev);
    unlink(shm);
    t_rmrf(base);
    free(base);
}

int main(void)
{
    return w_attempts(attempt);
}
