/* inline_bench_target.c — the cheap library function bench/inline.bench.sh calls three ways. */
__attribute__((visibility("default"))) int bench_calls;

__attribute__((visibility("default"), noinline)) int bench_target(int x)
{
    bench_calls++;
    return x * 3 + 1;
}
