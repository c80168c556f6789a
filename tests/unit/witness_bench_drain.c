/* witness_bench_drain.c — what the witness costs: unlink in a process deleting on a watched
 * filesystem (against the same filesystem unwatched), and the witness's drain per deletion with
 * the deleter still running (identity read from /proc) and gone (identity unknown), and for
 * deletions outside the watched directories (filtered). Prints "name | value | ratio" rows; run by
 * bench/witness.bench.sh. Not a test: it asserts nothing about speed. */
#include <fcntl.h>
#include <sys/random.h>

#include "tests/unit/witness_test.h"

#define N 4000

static char dir[256], other[256];

static void make_files(const char *d, int n)
{
    char p[512];
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/f%05d", d, i);
        int fd = open(p, O_CREAT | O_WRONLY, 0600);
        if (fd >= 0)
            close(fd);
    }
}

/* A child unlinks n files of d, writes the ns it took per unlink, and waits for a byte (so that it
 * is still alive while the witness reads its identity) unless linger is 0. */
static pid_t deleter(const char *d, int n, int linger, int *res, int *go)
{
    int r[2], g[2];
    if (pipe(r) < 0 || pipe(g) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        char p[512];
        uint64_t t0 = pt_now();
        for (int i = 0; i < n; i++) {
            snprintf(p, sizeof p, "%s/f%05d", d, i);
            unlink(p);
        }
        uint64_t per = (pt_now() - t0) / (uint64_t)n;
        if (write(r[1], &per, sizeof per) != sizeof per)
            _exit(1);
        char c;
        if (linger && read(g[0], &c, 1) != 1)
            _exit(1);
        _exit(0);
    }
    close(r[1]);
    close(g[0]);
    *res = r[0];
    *go = g[1];
    return pid;
}

static void settle(struct pt_witness *w);

static uint64_t unlink_cost1(const char *d)
{
    int res, go;
    uint64_t per = 0;
    make_files(d, N);
    pid_t p = deleter(d, N, 0, &res, &go);
    if (read(res, &per, sizeof per) != sizeof per)
        per = 0;
    w_wait(p);
    close(res);
    close(go);
    return per;
}

/* The best of three: the machine is shared, the least disturbed run is the cost. */
static uint64_t unlink_cost(struct pt_witness *w, const char *d)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        uint64_t c = unlink_cost1(d);
        if (c < best)
            best = c;
        if (w)
            settle(w);
    }
    return best;
}

/* Drain until the kernel has nothing more to report. */
static void settle(struct pt_witness *w)
{
    struct pt_witness_stats a, b;
    pt_witness_stats(w, &a);
    for (;;) {
        w_sleep_ms(20);
        pt_witness_drain(w);
        pt_witness_stats(w, &b);
        if (b.reports == a.reports)
            return;
        a = b;
    }
}

/* ns per deletion spent in pt_witness_drain until `expect` deletions were handled. */
static double drain_cost(struct pt_witness *w, const char *d, int linger, uint64_t expect_recorded,
                         uint64_t *recorded)
{
    struct pt_witness_stats st0, st;
    int res, go;
    uint64_t per;
    make_files(d, N);
    settle(w);
    pt_witness_stats(w, &st0);
    pid_t p = deleter(d, N, linger, &res, &go);
    if (read(res, &per, sizeof per) != sizeof per)
        per = 0;
    if (!linger)
        w_wait(p);
    uint64_t spent = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t t0 = pt_now();
        pt_witness_drain(w);
        spent += pt_now() - t0;
        pt_witness_stats(w, &st);
        if (st.recorded - st0.recorded + st.lost - st0.lost + st.outside - st0.outside >= (uint64_t)N)
            break;
        w_sleep_ms(1);
    }
    char c = 1;
    if (linger) {
        if (write(go, &c, 1) != 1)
            perror("write");
        w_wait(p);
    }
    close(res);
    close(go);
    *recorded = st.recorded - st0.recorded + st.lost - st0.lost + st.outside - st0.outside;
    (void)expect_recorded;
    return (double)spent / N;
}

int main(void)
{
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)getpid();
    snprintf(dir, sizeof dir, "/dev/shm/pt-wbench-%d-%08x", (int)getpid(), rnd);
    snprintf(other, sizeof other, "%s-other", dir);
    char *trace = t_mkdtemp("witness-bench");
    if (mkdir(dir, 0700) < 0 || mkdir(other, 0700) < 0) {
        perror("mkdir");
        return 1;
    }
    uint64_t base = unlink_cost(NULL, dir);

    struct pt_witness *w;
    char why[256];
    if (pt_witness_start(trace, PT_WITNESS_NO_THREAD | PT_WITNESS_NO_EXECS, &w, why, sizeof why)) {
        fprintf(stderr, "witness: %s\n", why);
        return 1;
    }
    pt_witness_watch_path(w, dir);
    uint64_t watched = unlink_cost(w, dir);
    uint64_t rec_live, rec_gone, rec_out;
    double live = drain_cost(w, dir, 1, N, &rec_live);
    double gone = drain_cost(w, dir, 0, N, &rec_gone);
    double outside = drain_cost(w, other, 1, 0, &rec_out);
    struct pt_witness_stats st;
    pt_witness_stats(w, &st);
    pt_witness_stop(w);

    printf("witness: unlink, filesystem not watched (ns/op) | %llu | 1.00\n",
           (unsigned long long)base);
    printf("witness: unlink, filesystem watched (ns/op) | %llu | %.2f\n",
           (unsigned long long)watched, base ? (double)watched / (double)base : 0);
    printf("witness: drain per deletion, deleter alive (ns) | %.0f | %.2f\n", live, live / live);
    printf("witness: drain per deletion, deleter gone (ns) | %.0f | %.2f\n", gone, gone / live);
    printf("witness: drain per deletion outside watched dirs (ns) | %.0f | %.2f\n", outside,
           outside / live);
    printf("witness: deletions witnessed per second, deleter alive | %.0f | -\n", 1e9 / live);
    printf("witness: handled alive/gone/outside (of %d each) | %llu/%llu/%llu | -\n", N,
           (unsigned long long)rec_live, (unsigned long long)rec_gone, (unsigned long long)rec_out);
    printf("witness: fanotify queue overflows | %llu | -\n", (unsigned long long)st.overflows);
    printf("witness: events the undrained ring refused (no collector here) | %llu | -\n",
           (unsigned long long)st.lost);
    rmdir(dir);
    rmdir(other);
    t_rmrf(trace);
    free(trace);
    return 0;
}
