/* tracer_noloss_wait.c — no-loss mode waits instead of losing, at the two points where a writer
 * used to lose although nothing was wrong for long; each point is reached exactly with the ring's
 * test hooks (tracer/internal.h), so every run takes the path that used to lose.
 *   1. The collector drains between the writer's look at `consumed` (no room) and its wait: the
 *      writer must take the room made, not wait for more (there is none to make before it writes:
 *      it used to wait the whole bound and then lose). A collector drains only then, from the
 *      hook; every event must be in the trace, none lost.
 *   2. The next packet cannot be backed for a moment (the file system refused twice): the writer
 *      waits and tries again instead of losing; nothing lost.
 *   3. Backing never works: the writer waits once, for the bound, then loses; written + lost ==
 *      attempted, exactly, in the writer's counters and in the trace; and once backing works
 *      again the buffer records again.
 *   4. A new thread's buffer cannot be backed for a moment when it is claimed: the claim waits
 *      and tries again instead of failing (its events lost).
 * And after any wait (1, and 5: no collector, the writer gives up) the writer no longer says it
 * waits: a `waiting` left set keeps a collector from ever sleeping (work_waiting). */
#include <errno.h>
#include <sys/syscall.h>

#include "tests/unit/tracer_test.h"
#include "tracer/collector.h"
#include "tracer/internal.h"
#include "tracer/ring_fast.h"

/* ---- 1. The collector drains just before the writer waits ---------------------------------- */

static struct pt_collector *col;
static unsigned no_room_calls, no_room_moved;

static void drain_now(struct pt_tbuf *b)
{
    uint64_t before = __atomic_load_n(&b->ctl->consumed, __ATOMIC_ACQUIRE);
    no_room_calls++;
    /* a few passes at most: the first one attaches the ring (its name in the inotify queue) */
    for (int k = 0; k < 100 && __atomic_load_n(&b->ctl->consumed, __ATOMIC_ACQUIRE) == before; k++)
        pt_collector_run_once(col, 0);
    if (__atomic_load_n(&b->ctl->consumed, __ATOMIC_ACQUIRE) != before)
        no_room_moved++;
}

#define N1 20000

static void drained_before_wait(void)
{
    char *dir = t_mkdtemp("noloss1");
    int cdiags = 0;
    CHECK(pt_collector_open(dir, t_diag, &cdiags, &col) == 0, "collector");
    /* 4 packets of 16 KiB; a wait that is not ended by the room made lasts 300 ms, then loses */
    struct pt_ring_config cfg = {
        .dir = dir, .thread_buf_bytes = 64 << 10, .nthreads = 1, .noloss_ms = 300};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    pt__ring_test.no_room = drain_now;
    uint64_t lost = 0;
    for (uint64_t i = 0; i < N1; i++)
        if (t_put_bulk(b, i))
            lost++;
    pt__ring_test.no_room = NULL;
    /* Not waiting now: a `waiting` left set keeps the collector from sleeping (work_waiting). */
    CHECK(__atomic_load_n(&b->ctl->waiting, __ATOMIC_RELAXED) == 0,
          "the writer left `waiting` set after its last wait");
    pt_ring_release(r, b);
    pt_ring_close(r);
    pt_collector_finish(col);
    struct pt_collector_stats st;
    pt_collector_stats(col, &st);
    pt_collector_close(col);
    uint64_t bulk, tlost;
    t_read_bulk(dir, &bulk, &tlost);
    CHECK(no_room_calls > 0 && no_room_moved == no_room_calls,
          "the writer found no room %u times, the collector made room in %u of them", no_room_calls,
          no_room_moved);
    CHECK(lost == 0 && bulk == N1 && tlost == 0 && st.lost == 0 && cdiags == 0,
          "drained just before the wait: the writer lost %llu, the trace holds %llu of %d and "
          "says %llu lost, the collector %llu (%d diagnostics)",
          (unsigned long long)lost, (unsigned long long)bulk, N1, (unsigned long long)tlost,
          (unsigned long long)st.lost, cdiags);
    printf("drained just before the wait (%u times): %llu of %d events, none lost\n", no_room_calls,
           (unsigned long long)bulk, N1);
    t_rmrf(dir);
    free(dir);
}

/* ---- 2 and 3. The next packet cannot be backed ---------------------------------------------- */

static int back_fails; /* backings still to fail; -1: every one */
static unsigned back_calls;

static int back_hook(struct pt_tbuf *b)
{
    (void)b;
    back_calls++;
    if (back_fails == 0)
        return 0;
    if (back_fails > 0)
        back_fails--;
    return -ENOSPC;
}

/* ~420 events fill a 16 KiB packet: 1000 reach the third, which is backed only now (the first
 * two are backed with the ring, the second one's switch tries to back the third ahead). */
#define N2 1000

static void backing_fails_twice(void)
{
    char *dir = t_mkdtemp("noloss2");
    struct pt_ring_config cfg = {
        .dir = dir, .thread_buf_bytes = 64 << 10, .nthreads = 1, .noloss_ms = 60000};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    back_fails = 2;
    back_calls = 0;
    pt__ring_test.back = back_hook;
    uint64_t lost = 0;
    for (uint64_t i = 0; i < N2; i++)
        if (t_put_bulk(b, i))
            lost++;
    pt__ring_test.back = NULL;
    CHECK(back_calls >= 3 && back_fails == 0, "backing tried %u times (%d failures left)",
          back_calls, back_fails);
    CHECK(lost == 0 && b->ctl->lost == 0,
          "backing failed twice: %llu events lost (the buffer counts %llu)",
          (unsigned long long)lost, (unsigned long long)b->ctl->lost);
    pt_ring_release(r, b);
    pt_ring_close(r);
    uint64_t bulk, tlost;
    t_read_bulk(dir, &bulk, &tlost); /* no collector: the ring is read where it is */
    CHECK(bulk == N2 && tlost == 0, "the trace holds %llu of %d events and says %llu lost",
          (unsigned long long)bulk, N2, (unsigned long long)tlost);
    printf("backing failed twice: the writer waited (%u tries), %llu of %d events, none lost\n",
           back_calls, (unsigned long long)bulk, N2);
    t_rmrf(dir);
    free(dir);
}

static void backing_never_works(void)
{
    char *dir = t_mkdtemp("noloss3");
    struct pt_ring_config cfg = {
        .dir = dir, .thread_buf_bytes = 64 << 10, .nthreads = 1, .noloss_ms = 50};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    back_fails = -1;
    pt__ring_test.back = back_hook;
    uint64_t written = 0, lost = 0;
    for (uint64_t i = 0; i < N2; i++)
        t_put_bulk(b, i) == 0 ? written++ : lost++;
    CHECK(lost > 0 && written + lost == N2, "backing never works: %llu written, %llu lost of %d",
          (unsigned long long)written, (unsigned long long)lost, N2);
    CHECK(b->ctl->lost == lost, "the buffer counts %llu lost, the writer saw %llu",
          (unsigned long long)b->ctl->lost, (unsigned long long)lost);
    /* Backing works again: the buffer records again (within its retry interval: wait for it). */
    back_fails = 0;
    uint64_t deadline = pt_now() + 30000000000ull, i = N2;
    int again = 0;
    while (!again && pt_now() < deadline) {
        if (t_put_bulk(b, i++) == 0) {
            written++;
            again = 1;
        } else {
            lost++;
        }
    }
    pt__ring_test.back = NULL;
    CHECK(again, "the buffer never recorded again once backing worked");
    pt_ring_release(r, b);
    pt_ring_close(r);
    uint64_t bulk, tlost;
    t_read_bulk(dir, &bulk, &tlost);
    CHECK(bulk == written && tlost == lost,
          "the trace holds %llu events (%llu written) and says %llu lost (%llu lost)",
          (unsigned long long)bulk, (unsigned long long)written, (unsigned long long)tlost,
          (unsigned long long)lost);
    printf("backing never works: %llu written + %llu lost, counted exactly; recording again "
           "once it works\n",
           (unsigned long long)written, (unsigned long long)lost);
    t_rmrf(dir);
    free(dir);
}

/* 4. A second thread's first buffer cannot be backed for a moment: its claim waits too. */
static void claim_backing_fails_twice(void)
{
    char *dir = t_mkdtemp("noloss4");
    struct pt_ring_config cfg = {
        .dir = dir, .thread_buf_bytes = 64 << 10, .nthreads = 2, .noloss_ms = 60000};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    uint32_t tid = (uint32_t)syscall(SYS_gettid);
    struct pt_tbuf *b0 = pt_ring_claim(r, tid); /* buffer 0, backed with the ring */
    back_fails = 2;
    back_calls = 0;
    pt__ring_test.back = back_hook;
    struct pt_tbuf *b1 = pt_ring_claim(r, tid + 1); /* buffer 1: backed now */
    pt__ring_test.back = NULL;
    CHECK(b0 && b1 && b1 != b0, "claims: %p, then %p", (void *)b0, (void *)b1);
    CHECK(back_calls >= 3 && back_fails == 0, "backing tried %u times (%d failures left)",
          back_calls, back_fails);
    uint64_t lost = 0;
    for (uint64_t i = 0; b1 && i < 100; i++)
        if (t_put_bulk(b1, i))
            lost++;
    pt_ring_release(r, b0);
    pt_ring_release(r, b1);
    pt_ring_close(r);
    uint64_t bulk, tlost;
    t_read_bulk(dir, &bulk, &tlost);
    CHECK(lost == 0 && bulk == 100 && tlost == 0,
          "the claimed buffer: %llu lost, the trace holds %llu of 100 and says %llu lost",
          (unsigned long long)lost, (unsigned long long)bulk, (unsigned long long)tlost);
    printf("a buffer's backing failed twice at its claim: the claim waited (%u tries), none "
           "lost\n",
           back_calls);
    t_rmrf(dir);
    free(dir);
}

/* 5. No collector: the writer waits for the bound, gives up and loses (counted), and says it no
 * longer waits, so that a collector that comes back is not kept from sleeping by a stale flag. */
static void no_collector_gives_up(void)
{
    char *dir = t_mkdtemp("noloss5");
    struct pt_ring_config cfg = {
        .dir = dir, .thread_buf_bytes = 64 << 10, .nthreads = 1, .noloss_ms = 20};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    uint64_t written = 0, lost = 0;
    for (uint64_t i = 0; i < 3000; i++)
        t_put_bulk(b, i) == 0 ? written++ : lost++;
    CHECK(lost > 0 && b->ctl->lost == lost, "no collector: %llu lost, the buffer counts %llu",
          (unsigned long long)lost, (unsigned long long)b->ctl->lost);
    CHECK(__atomic_load_n(&b->ctl->waiting, __ATOMIC_RELAXED) == 0,
          "the writer left `waiting` set when it gave up");
    pt_ring_release(r, b);
    pt_ring_close(r);
    uint64_t bulk, tlost;
    t_read_bulk(dir, &bulk, &tlost);
    CHECK(bulk == written && tlost == lost,
          "the trace holds %llu (%llu written), says %llu lost "
          "(%llu lost)",
          (unsigned long long)bulk, (unsigned long long)written, (unsigned long long)tlost,
          (unsigned long long)lost);
    printf("no collector: the writer gave up after its bound, %llu written + %llu lost\n",
           (unsigned long long)written, (unsigned long long)lost);
    t_rmrf(dir);
    free(dir);
}

int main(void)
{
    drained_before_wait();
    backing_fails_twice();
    backing_never_works();
    claim_backing_fails_twice();
    no_collector_gives_up();
    return t_failures ? 1 : 0;
}
