/* lttng_loop.c — the same loop as loop.c with an LTTng-UST tracepoint (string argument) per call. */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include "lttng_tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long bench_target(const char *name, unsigned x);

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000, runs = argc > 2 ? atol(argv[2]) : 9;
    static const char name[] = "Profiles\\ES-1\\001e6614\\0102_value_name_";
    double v[64];
    if (runs > 64)
        runs = 64;
    for (long r = 0; r < runs; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            long ret = bench_target(name, (unsigned)i);
            tracepoint(ptbench, call, name, (unsigned)i, ret);
        }
        v[r] = (now_ns() - t0) / n;
    }
    qsort(v, (size_t)runs, sizeof v[0], cmp);
    printf("%.2f\n", v[runs / 2]);
    return 0;
}
