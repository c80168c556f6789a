/* ring_bench.c — proftrace's own figures for bench/run: ns per event written (1 and 2 threads),
 * ns per call + record, the collector's drain rate while a writer fills a default-size ring (wall
 * clock, and events per CPU-second of the collector) and bytes per event on disk. Prints one
 * number (or a few) per mode; bench/run makes the table. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proftrace/calls.h"
#include "proftrace/event.h"
#include "proftrace/ring.h"
#include "tracer/collector.h"

long bench_target(const char *name, unsigned x);

static const char name40[] = "Profiles\\ES-1\\001e6614\\0102_value_name_"; /* 40 bytes */
static struct pt_ring *ring;
static long n_events, runs;
static int traced_call, no_clock;
static pthread_barrier_t bar;
static double results[2][64];

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline void record(struct pt_tbuf *b, const char *name, size_t len, uint64_t t0,
                          uint64_t t1, long ret, unsigned i)
{
    struct pt_enc e;
    size_t size = pt_size_call(t0, t1, ret, 0) + 8 + pt_size_str(len) + 4;
    if (pt_tbuf_begin(b, PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA, t1, size, &e) == 0) {
        pt_enc_call(&e, t0, t1, 0, ret, 0, NULL, 0);
        pt_enc_x64(&e, 0x55d0c2a0);
        pt_enc_str(&e, name, len);
        pt_enc_u32(&e, i);
        pt_tbuf_commit(b, &e);
    }
}

static void *writer(void *arg)
{
    long k = (long)arg;
    struct pt_tbuf *b = pt_ring_claim(ring, (uint32_t)syscall(SYS_gettid));
    size_t len = strlen(name40);
    volatile long sink = 0;
    for (long r = 0; r < runs; r++) {
        pthread_barrier_wait(&bar);
        uint64_t s = pt_now();
        if (traced_call) {
            for (long i = 0; i < n_events; i++) {
                uint64_t t0 = pt_now();
                long ret = bench_target(name40, (unsigned)i);
                uint64_t t1 = pt_now();
                record(b, name40, len, t0, t1, ret, (unsigned)i);
                sink += ret;
            }
        } else if (no_clock) {
            /* the ring alone: timestamps from a counter instead of the clock */
            for (long i = 0; i < n_events; i++) {
                uint64_t t = s + (uint64_t)i * 16;
                record(b, name40, len, t, t, 0, (unsigned)i);
            }
        } else {
            for (long i = 0; i < n_events; i++) {
                uint64_t t = pt_now();
                record(b, name40, len, t, t, 0, (unsigned)i);
            }
        }
        results[k][r] = (double)(pt_now() - s) / n_events;
    }
    pt_ring_release(ring, b);
    return NULL;
}

static int write_mode(const char *dir, int threads)
{
    /* the default thread buffer size: what a traced process gets */
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = 0, .nthreads = 4,
                                 .overwrite = 1};
    if (pt_ring_create(&cfg, &ring) < 0)
        return 1;
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    pthread_t th[2];
    for (long k = 0; k < threads; k++)
        pthread_create(&th[k], NULL, writer, (void *)k);
    for (long k = 0; k < threads; k++)
        pthread_join(th[k], NULL);
    pt_ring_close(ring);
    double v[64];
    for (long r = 0; r < runs; r++) {
        v[r] = 0;
        for (int k = 0; k < threads; k++)
            v[r] += results[k][r] / threads;
    }
    qsort(v, (size_t)runs, sizeof v[0], cmp);
    printf("%.2f\n", v[runs / 2]);
    return 0;
}

static double cpu_s(void) /* this process's user + system seconds */
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* The collector as `record` runs it: a writer process fills a ring of the default size at full
 * speed (discard mode) while this process drains it into stream files in `dir`; what counts is
 * this process's CPU time from the writer's first event to the ring finished, per event. */
static int drain_mode(const char *dir)
{
    struct pt_collector *c;
    if (pt_collector_open(dir, NULL, NULL, &c) < 0)
        return 1;
    int go[2];
    if (pipe(go) < 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        /* typical registry call: RegQueryValueExA(hKey, "001e6614", &cb) = ERROR_KEY_DELETED */
        struct pt_ring_config cfg = {.dir = dir};
        char x;
        close(go[1]);
        if (pt_ring_create(&cfg, &ring) < 0 || read(go[0], &x, 1) != 1)
            _exit(1);
        struct pt_tbuf *b = pt_ring_claim(ring, (uint32_t)syscall(SYS_gettid));
        for (long i = 0; i < n_events; i++) {
            uint64_t t1 = pt_now();
            record(b, "001e6614", 8, t1 - 1500, t1, 1018, 4);
        }
        pt_ring_close(ring);
        _exit(0);
    }
    close(go[0]);
    double c0 = cpu_s();
    uint64_t t0 = pt_now();
    if (write(go[1], "g", 1) != 1)
        return 1;
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0)
        pt_collector_run_once(c, 100);
    struct pt_collector_stats st;
    /* the writer's death reaches the collector through its pidfd */
    for (int k = 0; k < 100 && (pt_collector_stats(c, &st), st.rings > 0); k++)
        pt_collector_run_once(c, 100);
    pt_collector_finish(c);
    uint64_t t1 = pt_now();
    double cpu = cpu_s() - c0;
    pt_collector_stats(c, &st);
    pt_collector_close(c);
    close(go[1]);
    /* bytes on disk of the streams (metadata excluded: written once per trace) */
    unsigned long long bytes = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        char p[4096];
        struct stat s;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (de->d_name[0] != '.' && strcmp(de->d_name, "metadata") && stat(p, &s) == 0 &&
            S_ISREG(s.st_mode))
            bytes += (unsigned long long)s.st_size;
    }
    if (d)
        closedir(d);
    /* events/s (wall), bytes/event, events drained, events per CPU-second, events lost */
    printf("%.0f %.2f %llu %.0f %llu\n", (double)st.events / ((double)(t1 - t0) / 1e9),
           st.events ? (double)bytes / (double)st.events : 0, (unsigned long long)st.events,
           cpu > 0 ? (double)st.events / cpu : 0, (unsigned long long)st.lost);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ring_bench write|traced|drain DIR N [RUNS] [THREADS]\n");
        return 2;
    }
    n_events = atol(argv[3]);
    runs = argc > 4 ? atol(argv[4]) : 9;
    if (runs > 64)
        runs = 64;
    int threads = argc > 5 ? atoi(argv[5]) : 1;
    if (!strcmp(argv[1], "drain"))
        return drain_mode(argv[2]);
    traced_call = !strcmp(argv[1], "traced");
    no_clock = !strcmp(argv[1], "write-noclock");
    if (!strcmp(argv[1], "clock")) {
        /* the trace clock alone */
        double v[64];
        for (long r = 0; r < runs; r++) {
            uint64_t s = pt_now();
            volatile uint64_t x = 0;
            for (long i = 0; i < n_events; i++)
                x += pt_now();
            v[r] = (double)(pt_now() - s) / n_events;
        }
        qsort(v, (size_t)runs, sizeof v[0], cmp);
        printf("%.2f\n", v[runs / 2]);
        return 0;
    }
    return write_mode(argv[2], threads > 2 ? 2 : threads);
}
