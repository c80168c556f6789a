/* tracer_backing.c — a buffer's first lap is backed in a few growing steps, ahead of the writer.
 *   1. A writer that floods a 4 MiB buffer (128 packets of 32 KiB) through most of its first lap
 *      backs it in at most 24 steps (one per packet, 96, before the steps grew), every packet
 *      before it is written: nothing lost, every event in the trace.
 *   2. A writer that records a little backs a little: three packets of a 4 MiB buffer leave at
 *      most 256 KiB of it backed, not the whole circle.
 *   3. A disk that refuses the long step but has room for the short one (the test hook fails the
 *      first attempt of every backing) still gets the next packet backed: nothing lost.
 * Steps are counted with the ring's test hook (tracer/internal.h), which runs before each backing
 * attempt; no collector runs: the ring is read where it is. */
#include <errno.h>
#include <sys/syscall.h>

#include "tests/unit/tracer_test.h"
#include "tracer/internal.h"
#include "tracer/ring_fast.h"

#define BUF (4u << 20)

static unsigned back_calls;
static int fail_long; /* every first attempt of a backing fails (odd calls: see case 3) */

static int back_hook(struct pt_tbuf *b)
{
    (void)b;
    back_calls++;
    return fail_long && back_calls % 2 ? -ENOSPC : 0;
}

/* Write events until `bytes` of the circle are reserved (not past one lap: no collector drains);
 * returns how many were written (stops at the first lost). */
static uint64_t fill(struct pt_tbuf *b, uint64_t bytes)
{
    uint64_t n = 0;
    while (__atomic_load_n(&b->ctl->wpos, __ATOMIC_RELAXED) < bytes && t_put_bulk(b, n) == 0)
        n++;
    return n;
}

static void run(const char *tag, uint64_t bytes, int fail_first, unsigned max_steps,
                uint64_t max_backed)
{
    char *dir = t_mkdtemp(tag);
    struct pt_ring_config cfg = {.dir = dir, .thread_buf_bytes = BUF, .nthreads = 1};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    CHECK(b != NULL, "claim");
    if (!b)
        exit(1);
    back_calls = 0;
    fail_long = fail_first;
    pt__ring_test.back = back_hook;
    uint64_t n = fill(b, bytes);
    pt__ring_test.back = NULL;
    uint64_t backed = b->ctl->prepared, wpos = b->ctl->wpos, lost = b->ctl->lost;
    CHECK(lost == 0, "%s: %llu events lost", tag, (unsigned long long)lost);
    CHECK(backed >= wpos, "%s: %llu bytes backed, %llu written", tag, (unsigned long long)backed,
          (unsigned long long)wpos);
    CHECK(back_calls <= max_steps, "%s: %u backing attempts for %llu bytes (at most %u)", tag,
          back_calls, (unsigned long long)wpos, max_steps);
    CHECK(backed <= max_backed, "%s: %llu bytes backed for %llu written (at most %llu)", tag,
          (unsigned long long)backed, (unsigned long long)wpos, (unsigned long long)max_backed);
    pt_ring_release(r, b);
    pt_ring_close(r);
    uint64_t bulk, tlost;
    t_read_bulk(dir, &bulk, &tlost);
    CHECK(bulk == n && tlost == 0, "%s: the trace holds %llu of %llu events and says %llu lost",
          tag, (unsigned long long)bulk, (unsigned long long)n, (unsigned long long)tlost);
    printf("%s: %llu events in %llu bytes, %u backing attempts, %llu bytes backed\n", tag,
           (unsigned long long)n, (unsigned long long)wpos, back_calls, (unsigned long long)backed);
    t_rmrf(dir);
    free(dir);
}

int main(void)
{
    /* 1. three quarters of a first lap (bulk events stop short of the eighth kept for decisive
     * ones: no collector drains here) */
    run("backing-lap", BUF / 4 * 3, 0, 24, BUF);
    /* 2. three packets: the first backing steps only */
    run("backing-little", 3u * (32u << 10), 0, 4, 256u << 10);
    /* 3. every long step fails and the short one is taken: two attempts per packet, and every
     * packet still backed in time (without the short step the next packet would be lost: a
     * failed backing is not tried again for 10 ms, the writer needs the packet within 50 us) */
    run("backing-short", BUF / 4 * 3, 1, 2 * 128, BUF);
    return t_failures ? 1 : 0;
}
