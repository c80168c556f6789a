/* witness_collect.c — the witness inside a real collector: its ring lives in the trace directory
 * beside the traced processes' rings, the collector drains it into CTF like any other, and the
 * witnessed deletion is read back once (not twice) by the trace reader, by `proftrace events` and
 * by babeltrace2. */
#include <fcntl.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "tests/unit/witness_test.h"
#include "tracer/collector.h"

static char shm[256];
static char *base;

static int run(const char *cmd, char *out, size_t size)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    return pclose(p);
}

static void attempt(void)
{
    char trace[512], cmd[2048], out[65536];
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)time(NULL);
    base = t_mkdtemp("witness-collect");
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(shm, sizeof shm, "/dev/shm/pt-wc-%d-%08x", (int)getpid(), rnd);

    struct pt_collector *col;
    CHECK(pt_collector_open(trace, NULL, NULL, &col) == 0, "collector");
    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, 0, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return;
    int fd = open(shm, O_CREAT | O_RDWR, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0, "create %s", shm);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap");
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat");
    CHECK(pt_witness_watch_path(w, shm) == 0, "watch");

    char *rm[] = {"/usr/bin/rm", "-f", shm, NULL};
    pid_t p_rm = w_spawn(rm);
    CHECK(w_wait(p_rm) == 0, "rm");
    struct pt_witness_stats ws;
    for (int i = 0; i < 500; i++) {
        pt_collector_run_once(col, 10);
        pt_witness_stats(w, &ws);
        if (ws.recorded >= 1)
            break;
    }
    CHECK(ws.recorded >= 1, "nothing witnessed");
    /* drained while the witness still runs, then finished */
    for (int i = 0; i < 5; i++)
        pt_collector_run_once(col, 10);
    pt_witness_stop(w);
    CHECK(pt_collector_finish(col) == 0, "finish");
    pt_collector_close(col);
    munmap(p, 4096);
    close(fd);

    unsigned n, mine = 0;
    struct w_ev *ev = w_read(trace, &n);
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(ev[i].path, shm))
            continue;
        mine++;
        CHECK(ev[i].pid == (uint32_t)p_rm && ev[i].ino == (uint64_t)st.st_ino, "pid %u ino %llu",
              ev[i].pid, (unsigned long long)ev[i].ino);
        if (!w_gone(&ev[i]))
            CHECK(!strcmp(ev[i].exe, "/usr/bin/rm"), "exe %s", ev[i].exe);
    }
    CHECK(mine == 1, "the deletion read %u times", mine);
    free(ev);
    char rings[600];
    snprintf(rings, sizeof rings, "%s/rings", trace);
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c ring", rings);
    run(cmd, out, sizeof out);
    CHECK(atoi(out) == 0, "rings left undrained: %s", out);

    /* proftrace events: one line, naming the class, the path and rm */
    char self[512];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = 0;
    snprintf(cmd, sizeof cmd, "%s/../bin/proftrace events --kind witnessed '%s'", dirname(self),
             trace);
    CHECK(run(cmd, out, sizeof out) == 0, "%s", cmd);
    fprintf(stderr, "%s", out);
    CHECK(strstr(out, "witnessed") && strstr(out, shm), "proftrace events: %s", out);
    /* babeltrace2 reads the same event from the CTF trace */
    snprintf(cmd, sizeof cmd, "babeltrace2 '%s' 2>&1 | grep witnessed", trace);
    CHECK(run(cmd, out, sizeof out) == 0 && strstr(out, shm), "babeltrace2: %s", out);
    unlink(shm);
    t_rmrf(base);
    free(base);
}

int main(void)
{
    return w_attempts(attempt);
}
