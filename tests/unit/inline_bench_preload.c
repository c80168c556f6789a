/* inline_bench_preload.c — an LD_PRELOAD interposer of bench_target doing what the inline hook's
 * replacement does (count, call the original), for bench/inline.bench.sh. */
#define _GNU_SOURCE
#include <dlfcn.h>

__attribute__((visibility("default"))) long bench_wrapper_calls;
static int (*real)(int);

__attribute__((constructor)) static void init(void)
{
    real = (int (*)(int))dlsym(RTLD_NEXT, "bench_target");
}

__attribute__((visibility("default"))) int bench_target(int x)
{
    bench_wrapper_calls++;
    return real(x);
}
