/* preload_dump.c — prints every event of a trace directory, one line each (a debugging aid for the
 * shim's tests, not a test: `proftrace events` is the user-facing form). */
#include "tests/unit/preload_test.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: preload_dump DIR\n");
        return 2;
    }
    if (t_read(argv[1]) < 0) {
        fprintf(stderr, "preload_dump: %s: not a trace\n", argv[1]);
        return 2;
    }
    t_dump();
    fprintf(stderr, "%u events, %llu lost\n", t_nev, (unsigned long long)t_stats.lost);
    return 0;
}
