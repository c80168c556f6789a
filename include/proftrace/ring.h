/* ring.h — the writer side of the per-process ring: what the shim calls to record events.
 *
 * A process has one ring file under $PROFTRACE_DIR, created when it starts and carved at once into a
 * fixed number of per-thread buffers (no shared-memory names, nothing to re-open later, so
 * impersonation, unshare or setns cannot break tracing). A thread claims a buffer on its first
 * event and gives it back when it exits. Writing is lock-free and makes no system call, so it is
 * safe in signal handlers; an event that does not fit is counted as lost, never dropped silently.
 *
 * Encoding an event:
 *     struct pt_enc e;
 *     if (pt_tbuf_begin(b, id, ts, size, &e) == 0) {   // size: exact encoded size, see pt_enc_*
 *         pt_enc_call(&e, ...); pt_enc_u32(&e, ...); pt_enc_str(&e, ...);  // fields in table order
 *         pt_tbuf_commit(b, &e);
 *     }
 * The sizes of each piece are given by the pt_size_* helpers so the caller can compute `size`
 * before reserving.
 */
#ifndef PROFTRACE_RING_H
#define PROFTRACE_RING_H

#include <stddef.h>
#include <stdint.h>

struct pt_ring;
struct pt_tbuf;

struct pt_ring_config {
    const char *dir;         /* trace directory ($PROFTRACE_DIR) */
    size_t thread_buf_bytes; /* bytes per thread buffer; 0 = default */
    unsigned nthreads;       /* thread buffers carved at creation; 0 = default */
    int overwrite;           /* 1: flight recorder (keep newest); 0: discard newest and count */
};

/* Encoder state for one reserved event; fields are written in order with pt_enc_*. */
struct pt_enc {
    uint8_t *p;
    uint8_t *end;
    void *priv;
};

/* Create this process's ring file in cfg->dir. Returns 0 or a negative errno; *out is set on
 * success. Makes system calls: call it at process start or in a fork child, not from a hook. */
int pt_ring_create(const struct pt_ring_config *cfg, struct pt_ring **out);

/* In a fork child: drop the parent's ring from this address space without writing to it. */
void pt_ring_forget(struct pt_ring *r);

/* Mark the ring finished (normal exit) and unmap it. Writers must have stopped. */
void pt_ring_close(struct pt_ring *r);

/* The buffer of thread `tid`, claiming a free one; NULL when none is free (the caller counts the
 * event as lost with pt_ring_lost). Lock-free, no system call. */
struct pt_tbuf *pt_ring_claim(struct pt_ring *r, uint32_t tid);

/* Give a thread's buffer back (thread exit); its data stays until the collector drains it. */
void pt_ring_release(struct pt_ring *r, struct pt_tbuf *b);

/* Count `n` events lost that had no buffer to go to. */
void pt_ring_lost(struct pt_ring *r, uint64_t n);

/* Reserve `size` bytes for event class `id` stamped `ts`. Returns 0, or -ENOSPC when the event was
 * counted as lost (discard mode, buffer full). */
int pt_tbuf_begin(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size, struct pt_enc *e);

/* Publish the event reserved by pt_tbuf_begin; after this a reader may see it. */
void pt_tbuf_commit(struct pt_tbuf *b, struct pt_enc *e);

/* Field encoders (wire types of event.h), and their encoded sizes. */
void pt_enc_u8(struct pt_enc *e, uint8_t v);
void pt_enc_u16(struct pt_enc *e, uint16_t v);
void pt_enc_u32(struct pt_enc *e, uint32_t v);
void pt_enc_u64(struct pt_enc *e, uint64_t v);
void pt_enc_i32(struct pt_enc *e, int32_t v);
void pt_enc_i64(struct pt_enc *e, int64_t v);
void pt_enc_x64(struct pt_enc *e, uint64_t v);
void pt_enc_str(struct pt_enc *e, const char *s, size_t len); /* len = strlen(s) */

/* The common head of every call event, written before its fields. */
void pt_enc_call(struct pt_enc *e, uint64_t ts_enter, uint64_t ts_exit, uint8_t depth, int64_t ret,
                 int32_t err, const uint64_t *frames, uint8_t nframes);
size_t pt_size_call(uint8_t nframes);
size_t pt_size_wire(int wire); /* fixed size of a non-string wire type */
static inline size_t pt_size_str(size_t len)
{
    return len + 1;
}

/* Monotonic nanoseconds, the trace clock. */
uint64_t pt_now(void);

#endif
