/* witness_bench_collect.c — the witness's effect on the collector's drain rate: a ring filled
 * with M pattern events is drained by a real collector (pt_collector_open + finish) with no
 * witness, with a witness watching a directory in its own thread, and with that witness busy
 * with a storm of deletions by another process meanwhile. Prints "name | value | ratio" rows; run
 * by bench/witness.bench.sh. Asserts nothing about speed. */
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>

#include "tests/unit/witness_test.h"
#include "tracer/collector.h"

#define M 1000000ull

static void fill(const char *dir)
{
    pid_t p = fork();
    if (p == 0) {
        struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = 64u << 20, .nthreads = 1};
        struct pt_ring *r;
        if (pt_ring_create(&cfg, &r))
            _exit(1);
        struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)getpid());
        for (uint64_t i = 0; i < M - 1; i++)
            t_write(b, 0, i, pt_now());
        pt_ring_release(r, b);
        pt_ring_close(r);
        _exit(0);
    }
    w_wait(p);
}

/* A process deleting (and re-creating) files in d until killed. */
static pid_t storm(const char *d)
{
    pid_t p = fork();
    if (p == 0) {
        char f[512];
        for (unsigned long i = 0;; i++) {
            snprintf(f, sizeof f, "%s/s%lu", d, i % 64);
            int fd = open(f, O_CREAT | O_WRONLY, 0600);
            if (fd >= 0)
                close(fd);
            unlink(f);
        }
    }
    return p;
}

/* events/s of a collector draining the filled ring in dir */
static double drain(const char *dir, uint64_t *events)
{
    struct pt_collector *c;
    struct pt_collector_stats st;
    uint64_t t0 = pt_now();
    if (pt_collector_open(dir, NULL, NULL, &c))
        return 0;
    pt_collector_finish(c);
    uint64_t t = pt_now() - t0;
    pt_collector_stats(c, &st);
    pt_collector_close(c);
    *events = st.events;
    return (double)st.events * 1e9 / (double)t;
}

int main(void)
{
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)getpid();
    char *base = t_mkdtemp("witness-bcollect");
    char watched[256];
    snprintf(watched, sizeof watched, "/dev/shm/pt-wbc-%d-%08x", (int)getpid(), rnd);
    if (mkdir(watched, 0700) < 0)
        return 1;
    /* k: 0 nothing, 1 witness idle, 2 storm alone (its own CPU use), 3 storm with the witness */
    const char *names[4] = {"no witness", "witness watching, idle",
                            "no witness, another process deleting in a loop",
                            "witness, another process deleting in a loop"};
    double rate[4] = {0};
    uint64_t ev[4] = {0}, deletions = 0;
    for (int k = 0; k < 4; k++) {
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            char dir[600];
            snprintf(dir, sizeof dir, "%s/t%d-%d", base, k, rep);
            fill(dir);
            struct pt_witness *w = NULL;
            pid_t s = 0;
            if (k == 1 || k == 3) {
                char wdir[700], why[256];
                snprintf(wdir, sizeof wdir, "%s/witness", base);
                if (pt_witness_start(wdir, 0, &w, why, sizeof why)) {
                    fprintf(stderr, "witness: %s\n", why);
                    return 1;
                }
                pt_witness_watch_path(w, watched);
            }
            if (k >= 2) {
                s = storm(watched);
                w_sleep_ms(50);
            }
            double r = drain(dir, &ev[k]);
            if (s) {
                kill(s, SIGKILL);
                w_wait(s);
            }
            if (w) {
                struct pt_witness_stats st;
                pt_witness_stats(w, &st);
                if (k == 3)
                    deletions += st.reports;
                pt_witness_stop(w);
            }
            if (r > best)
                best = r;
            t_rmrf(dir);
        }
        rate[k] = best;
    }
    for (int k = 0; k < 4; k++)
        printf("witness: collector drain, %s (events/s) | %.0f | %.2f\n", names[k], rate[k],
               rate[0] > 0 ? rate[k] / rate[0] : 0);
    printf("witness: drain with the witness busy vs the same deletions unwatched | %.0f | %.2f\n",
           rate[3], rate[2] > 0 ? rate[3] / rate[2] : 0);
    printf("witness: events drained per run / deletions witnessed in the storm runs | %llu / %llu | -\n",
           (unsigned long long)ev[0], (unsigned long long)deletions);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", watched);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", watched);
    t_rmrf(base);
    free(base);
    return 0;
}
