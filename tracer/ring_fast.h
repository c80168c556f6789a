/* ring_fast.h — the writer's common case, inline: a record that fits the open packet (internal).
 *
 * Shared by ring.c and the shim (preload/), so that a traced call reserves, encodes and commits its
 * event without a function call: the reservation, the record header and the commit compile into the
 * wrapper, and the encoder state stays in registers. Everything else — switching packets, full
 * buffers, no-loss waits, a signal handler that moved wpos — goes to pt__tbuf_begin_slow in ring.c,
 * whose design essay covers both halves.
 */
#ifndef PT_TRACER_RING_FAST_H
#define PT_TRACER_RING_FAST_H

#include <stdint.h>

#include "proftrace/ring.h"
#include "tracer/format.h"

#define PT__HOT __attribute__((always_inline)) inline

/* A thread buffer as the writer sees it (the ring's private memory, not the shared file). */
struct pt_tbuf {
    struct pt__tbuf_ctl *ctl;
    struct pt__claim *claim;
    uint8_t *data;
    struct pt_ring *ring;
    uint64_t ring_mask;  /* nsub * sub_size - 1 */
    uint64_t wake_bytes; /* undrained bytes that wake a sleeping collector */
    uint64_t reserve;    /* bytes at the end of the circle that only decisive events may use */
    uint64_t instance;
    uint64_t prep_retry; /* pt_now() before which backing is not tried again (file system full) */
    uint32_t sub_size, sub_shift, nsub_shift, idx, overwrite, pid, noloss_ms;
    volatile uint8_t preparing; /* the owner thread is backing packets (a handler must not) */
    uint8_t backed;             /* control page and first packets backed at creation */
    uint8_t prep_gave_up; /* no-loss: a wait for backing ran out; none again until one succeeds */
};

/* ---- Signal-atomic primitives (ring.c's essay: only the owner thread and its handlers) ------ */

#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
static PT__HOT int pt__local_cas(uint64_t *p, uint64_t *expected, uint64_t desired)
{
    uint64_t prev = *expected;
    unsigned char ok;
    __asm__ __volatile__("cmpxchgq %3, %1\n\tsete %0"
                         : "=q"(ok), "+m"(*p), "+a"(prev)
                         : "r"(desired)
                         : "memory", "cc");
    *expected = prev;
    return ok;
}
static PT__HOT void pt__local_add(uint64_t *p, uint64_t v)
{
    __asm__ __volatile__("addq %1, %0" : "+m"(*p) : "r"(v) : "memory", "cc");
}
#else
static PT__HOT int pt__local_cas(uint64_t *p, uint64_t *expected, uint64_t desired)
{
    return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_SEQ_CST,
                                       __ATOMIC_RELAXED);
}
static PT__HOT void pt__local_add(uint64_t *p, uint64_t v)
{
    __atomic_fetch_add(p, v, __ATOMIC_RELEASE);
}
#endif

/* Everything but a record that fits the open packet (ring.c): pt_tbuf_begin_keep's contract. */
int pt__tbuf_begin_slow(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size,
                        enum pt_keep keep, struct pt_enc *e);

/* The record's header at `begin`, and the encoder set up for its fields. */
static PT__HOT void pt__start_record(struct pt_tbuf *b, struct pt_enc *e, uint64_t begin,
                                     uint64_t t, uint32_t hsz, uint32_t total, unsigned mark)
{
    uint8_t *rec = b->data + (begin & b->ring_mask);
    if (hsz == PT__HDR_EXT) {
        uint16_t id16 = (uint16_t)mark;
        __builtin_memcpy(rec + 1, &id16, 2);
        __builtin_memcpy(rec + 3, &t, 8);
        e->mark = PT__ID_EXT;
    } else {
        uint32_t lo = (uint32_t)t;
        __builtin_memcpy(rec + 1, &lo, 4);
        e->mark = (uint8_t)mark;
    }
    e->p = rec + hsz;
    e->end = rec + total;
    e->priv = b;
    e->rec = rec;
    e->commit = &b->ctl->commit[(begin >> b->sub_shift) & ((1u << b->nsub_shift) - 1)];
    e->total = total;
}

/* pt_tbuf_begin_keep, inline. The common case: the record fits the open packet, no loss is
 * pending (`stalled`), and a bulk event is not in a packet kept for decisive ones (`reserve`). */
static PT__HOT int pt__tbuf_begin(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size,
                                  enum pt_keep keep, struct pt_enc *e)
{
    struct pt__tbuf_ctl *c = b->ctl;
    const uint64_t S = b->sub_size;
    const unsigned mark = (unsigned)id + 1u;
    uint64_t old = __atomic_load_n(&c->wpos, __ATOMIC_RELAXED);
    uint64_t last = __atomic_load_n(&c->last_ts, __ATOMIC_RELAXED);
    uint64_t off = old & (S - 1), t = ts > last ? ts : last;
    uint32_t hsz =
        (mark >= PT__ID_EXT || t - last >= PT__TS_COMPACT_MAX) ? PT__HDR_EXT : PT__HDR_COMPACT;
    uint32_t total = hsz + (uint32_t)size;
    if (__builtin_expect(off != 0 && size < S && off + total < S &&
                             !__atomic_load_n(&c->stalled, __ATOMIC_RELAXED) &&
                             !(keep == PT_KEEP_BULK &&
                               __atomic_load_n(&c->reserve, __ATOMIC_RELAXED)) &&
                             pt__local_cas(&c->wpos, &old, old + total),
                         1)) {
        __atomic_store_n(&c->last_ts, t, __ATOMIC_RELAXED);
        pt__local_add(&c->events, 1);
        pt__start_record(b, e, old, t, hsz, total, mark);
        return 0;
    }
    /* Through a copy: `e` itself never escapes, so the compiler keeps it in registers. */
    struct pt_enc slow = {0};
    int rc = pt__tbuf_begin_slow(b, id, ts, size, keep, &slow);
    *e = slow;
    return rc;
}

/* pt_tbuf_commit, inline: the commit mark (release: the fields before it), then the packet's
 * committed bytes. */
static PT__HOT void pt__tbuf_commit(struct pt_enc *e)
{
    __atomic_store_n(e->rec, e->mark, __ATOMIC_RELEASE);
    pt__local_add(e->commit, e->total);
}

#endif
