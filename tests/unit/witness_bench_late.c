/* witness_bench_late.c — holds watched as they begin: a real collector and witness on a
 * trace directory, and a traced holder (witness_tool_late under the shim) that maps a new POSIX
 * shared-memory object N times, 20 ms apart (the witness idle each time); each object is deleted
 * by an untraced process the moment the holder says it holds it. With the argument `open`, the
 * holder (witness_tool_open) opens a new file read-write on the disk instead (an open-file hold). Prints how many of those
 * deletions were witnessed, how long after the delete the witness had recorded it (median, 90th
 * percentile, maximum), and how many doorbells the holds tables rang per hold (the system calls
 * the traced process paid: none while the witness watches the filesystem already). Rows are
 * "name (unit) | value | ratio", for bench/witness.bench.sh. Asserts nothing. Needs root. */
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>

#include "tests/unit/witness_test.h"
#include "tracer/collector.h"

#define N 200

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A line from fd into buf, running the collector meanwhile. 0, or -1 at EOF or after ~30 s. */
static int read_line(struct pt_collector *c, int fd, char *buf, size_t size)
{
    size_t n = 0;
    for (int waited = 0; waited < 3000;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) == 1) {
            if (read(fd, buf + n, 1) != 1)
                return -1;
            if (buf[n] == '\n') {
                buf[n] = 0;
                return 0;
            }
            if (n + 2 < size)
                n++;
            continue;
        }
        pt_collector_run_once(c, 10);
        waited++;
    }
    return -1;
}

/* Unlink path from a process of its own (the collector's own deletions are not witnessed). */
static void unlink_untraced(const char *path)
{
    pid_t p = fork();
    if (p == 0)
        _exit(unlink(path) == 0 ? 0 : 1);
    w_wait(p);
}

int main(int argc, char **argv)
{
    int files = argc > 1 && !strcmp(argv[1], "open"); /* open-file holds, not mappings */
    const char *what = files ? "open file" : "mapping";
    char exe[PATH_MAX], shim[PATH_MAX + 32], tool[PATH_MAX + 32], trace[512], hive[512], ns[64];
    char why[256], line[256];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return 1;
    exe[len] = 0;
    char *dir = dirname(exe);
    snprintf(shim, sizeof shim, "%s/../lib/libproftrace.so", dir);
    snprintf(tool, sizeof tool, "%s/%s", dir, files ? "witness_tool_open" : "witness_tool_late");
    char *base = t_mkdtemp("witness-blate");
    char fdir[600];
    snprintf(fdir, sizeof fdir, "/var/tmp/pt-wblate-%d", (int)getpid()); /* a disk, not /dev/shm */
    if (files && mkdir(fdir, 0700) < 0)
        return 1;
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(hive, sizeof hive, "%s/hive", base);
    snprintf(ns, sizeof ns, "wblate%d", (int)getpid());

    struct pt_collector *c;
    struct pt_witness *w;
    if (pt_collector_open(trace, NULL, NULL, &c) < 0)
        return 1;
    if (pt_witness_start(pt_collector_dir_at(c), 0, &w, why, sizeof why) < 0) {
        printf("%s holds watched as they begin | skipped (%s) | -\n", what, why);
        return 0;
    }
    pt_collector_on_attach(c, pt_witness_on_attach, w);
    int in[2], out[2];
    if (pipe(in) < 0 || pipe(out) < 0)
        return 1;
    pid_t p = fork();
    if (p == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        setenv("LD_PRELOAD", shim, 1);
        setenv("PROFTRACE_DIR", trace, 1);
        setenv("WINSIM_HIVE_ROOT", hive, 1);
        setenv("WINSIM_NAMESPACE", ns, 1);
        execl(tool, tool, "Software\\WBench", "FIRST", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    static uint64_t lat[N];
    unsigned nlat = 0;
    struct pt_witness_stats st, st0;
    int ok = files || (read_line(c, out[0], line, sizeof line) == 0 && !strcmp(line, "holding"));
    for (int k = 0; ok && k < 10; k++)
        pt_collector_run_once(c, 10); /* its ring attached, its first holds watched */
    pt_witness_stats(w, &st0);
    for (int i = 0; ok && i < N; i++) {
        char cmd[700], pat[128], path[640];
        glob_t g;
        int n = files ? snprintf(cmd, sizeof cmd, "open %s/L%d\n", fdir, i)
                      : snprintf(cmd, sizeof cmd, "map L%d\n", i);
        ok = write(in[1], cmd, (size_t)n) == n && read_line(c, out[0], line, sizeof line) == 0;
        if (files) {
            snprintf(path, sizeof path, "%s/L%d", fdir, i);
        } else {
            snprintf(pat, sizeof pat, "/dev/shm/winsim.%s.*.L%d", ns, i);
            if (!ok || glob(pat, 0, NULL, &g) != 0 || g.gl_pathc != 1) {
                ok = 0;
                break;
            }
            snprintf(path, sizeof path, "%s", g.gl_pathv[0]);
            globfree(&g);
        }
        if (!ok)
            break;
        pt_witness_stats(w, &st);
        uint64_t rec0 = st.recorded, t0 = pt_now();
        unlink_untraced(path);
        for (int k = 0; k < 2000; k++) { /* until the witness recorded it (at most ~2 s) */
            pt_witness_stats(w, &st);
            if (st.recorded > rec0)
                break;
            pt_collector_run_once(c, 1);
        }
        if (st.recorded > rec0)
            lat[nlat++] = pt_now() - t0;
        for (int k = 0; k < 2; k++)
            pt_collector_run_once(c, 10); /* 20 ms: the witness is idle again */
    }
    pt_witness_stats(w, &st);
    if (write(in[1], "end\n", 4) != 4)
        ok = 0;
    close(in[1]);
    while (read_line(c, out[0], line, sizeof line) == 0)
        ;
    close(out[0]);
    w_wait(p);
    pt_collector_on_attach(c, NULL, NULL);
    pt_witness_stop(w);
    pt_collector_finish(c);
    pt_collector_close(c);
    if (!ok) {
        printf("%s holds watched as they begin | failed (%u of %d) | -\n", what, nlat, N);
    } else {
        printf("%s deleted by an untraced process as its hold began: witnessed (count) | %u of "
               "%d | -\n",
               what, nlat, N);
        if (nlat) {
            qsort(lat, nlat, sizeof lat[0], cmp_u64);
            printf("%s: untraced delete -> recorded by the witness, median (us) | %.1f | -\n", what,
                   (double)lat[nlat / 2] / 1e3);
            printf("%s: untraced delete -> recorded by the witness, 90th percentile (us) | %.1f | "
                   "-\n",
                   what, (double)lat[nlat * 9 / 10] / 1e3);
            printf("%s: untraced delete -> recorded by the witness, max (us) | %.1f | -\n", what,
                   (double)lat[nlat - 1] / 1e3);
        }
        printf("%s: doorbells rung per hold begun (count) | %.2f | -\n", what,
               st.holds > st0.holds ? (double)(st.bells - st0.bells) / (double)(st.holds - st0.holds)
                                    : 0.0);
        printf("%s: deletion reports of others set aside meanwhile (count) | %llu of %llu | -\n",
               what,
               (unsigned long long)st.outside, (unsigned long long)st.reports);
    }
    glob_t g;
    char pat[128];
    snprintf(pat, sizeof pat, "/dev/shm/winsim.%s.*", ns);
    if (glob(pat, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    if (files)
        t_rmrf(fdir);
    t_rmrf(base);
    free(base);
    return 0;
}
