/* target.c — libptbench.so: the cheap library call every peer traces (a registry-like lookup of a
 * name), so tracing costs are not hidden under real work. */
#include <string.h>

__attribute__((visibility("default"), noinline)) long bench_target(const char *name, unsigned x)
{
    return (long)strlen(name) + x;
}
