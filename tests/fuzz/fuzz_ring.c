/* fuzz_ring.c — libFuzzer target: an undrained ring file, read post-mortem, then drained by the
 * collector and read again (the collector takes rings written by processes it does not trust). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/fuzz_util.h"
#include "tracer/collector.h"

/* Its pid is out of range for any running process, so the collector treats the writer as gone. */
#define RING "rings/4194300-100-00000000c0ffe000.ring"

static void quiet(void *arg, const char *what)
{
    (void)arg;
    (void)what;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_clean();
    fz_write(RING, data, size);
    fz_read_trace(fz_dir(), 1);

    struct pt_collector *c;
    if (pt_collector_open(fz_dir(), quiet, NULL, &c) == 0) {
        pt_collector_run_once(c, 0);
        pt_collector_finish(c);
        struct pt_collector_stats st;
        pt_collector_stats(c, &st);
        pt_collector_close(c);
        fz_read_trace(fz_dir(), 1);
    }
    return 0;
}
