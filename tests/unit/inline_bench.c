/* inline_bench.c — ns per call of bench_target: plain (through the PLT), inline-hooked, or (under
 * LD_PRELOAD=libinline_bench_preload.so, --preloaded) interposed. The replacement and the
 * interposer do the same work, so the difference is the mechanism. --smoke: few calls, checks
 * results instead of timing (a CTest). Output: "name ns_per_call" lines for the bench script. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preload/inline/inline_hook.h"

int bench_target(int x);
extern int bench_calls;

static long hook_calls;
static int (*tramp)(int);
static volatile int sink;

static int repl(int x)
{
    hook_calls++;
    return tramp(x);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best of `reps` loops of `n` calls: ns per call (the least disturbed run). */
static double measure(long n, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        int acc = 0;
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            acc += bench_target((int)i);
        double t = (now_ns() - t0) / (double)n;
        sink = acc;
        if (t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    int smoke = 0, preloaded = 0;
    for (int i = 1; i < argc; i++) {
        smoke |= strcmp(argv[i], "--smoke") == 0;
        preloaded |= strcmp(argv[i], "--preloaded") == 0;
    }
    long n = smoke ? 1000 : 5000000;
    int reps = smoke ? 1 : 7;

    if (preloaded) {
        long *wrapped = dlsym(RTLD_DEFAULT, "bench_wrapper_calls");
        if (!wrapped) {
            fprintf(stderr, "inline_bench --preloaded: interposer not loaded (LD_PRELOAD?)\n");
            return 1;
        }
        long w0 = *wrapped;
        int before = bench_calls;
        double t = measure(n, reps);
        if (smoke && (*wrapped - w0 != n || bench_calls - before != n || bench_target(5) != 16)) {
            fprintf(stderr, "interposed calls miscounted: %ld %d\n", *wrapped - w0,
                    bench_calls - before);
            return 1;
        }
        printf("interposed %.3f\n", t);
        return 0;
    }

    double plain = measure(n, reps);
    void *addr;
    size_t size;
    char why[256];
    if (pt_inline_find("libinline_bench_target.so", "bench_target", &addr, &size) < 0 ||
        pt_inline_hook("bench_target", addr, size, (void *)repl, (void **)&tramp, why, sizeof why) <
            0) {
        fprintf(stderr, "inline_bench: cannot hook bench_target: %s\n", why);
        return 1;
    }
    int before = bench_calls;
    double hooked = measure(n, reps);
    if (smoke && (hook_calls != n || bench_calls - before != n || bench_target(5) != 16)) {
        fprintf(stderr, "hooked calls miscounted: %ld %d\n", hook_calls, bench_calls - before);
        return 1;
    }
    printf("untraced %.3f\ninline %.3f\n", plain, hooked);
    return 0;
}
