/* ring.h — the writer side of the per-process ring: what the shim calls to record events.
 *
 * A process has one ring file under $PROFTRACE_DIR, created when it starts and divided into a
 * fixed number of per-thread buffers (no shared-memory names, nothing to re-open later, so
 * impersonation, unshare or setns cannot break tracing). A buffer's pages are backed and
 * prefaulted when a thread first claims it and, during its first lap, a packet ahead of the
 * writer, so a process pays only for the threads that record. A thread claims a buffer on its
 * first event and gives it back when it exits. Writing is lock-free and, in discard and
 * flight-recorder mode, makes no system call but those rare ones (backing the next packets,
 * waking a sleeping collector), so it is safe in signal handlers; an event that does not fit is
 * counted as lost, never dropped silently.
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

/* 4 MiB per thread buffer by default: a few ms of a thread writing flat out, enough for a
 * collector on a busy machine to come round; a buffer is backed as the thread fills it, so a
 * thread that records little costs little. */
#define PT_RING_DEFAULT_TBUF_BYTES (4u << 20)

struct pt_ring_config {
    const char *dir;         /* trace directory ($PROFTRACE_DIR) */
    size_t thread_buf_bytes; /* bytes per thread buffer; 0 = default */
    unsigned nthreads;       /* thread buffers carved at creation; 0 = default */
    int overwrite;           /* 1: flight recorder (keep newest); 0: discard newest and count */
    unsigned noloss_ms;      /* no-loss mode: a writer waits up to this long for the collector to
                                make room (0: discard mode); not with overwrite */
    uint32_t host_pid;       /* pid in the outermost pid namespace known; 0: read NSpid */
    uint64_t start_time;     /* the process's start time (/proc/self/stat field 22) if known;
                                0: read it */
};

/* How an event fares when its buffer is full (discard mode, or no-loss mode once a writer gave up
 * waiting). The last eighth of every buffer (a packet at least) is kept for decisive events, so
 * that a flood of bulk events never pushes out the few a finding depends on. */
enum pt_keep {
    PT_KEEP_BULK = 0,     /* reads, queries: may be lost (counted) to keep room for the others */
    PT_KEEP_DECISIVE = 1, /* process life, holds, deletions, failures...: may use the reserve */
};

/* Encoder state for one reserved event; fields are written in order with pt_enc_*. The fields
 * after `priv` belong to pt_tbuf_begin/pt_tbuf_commit. */
struct pt_enc {
    uint8_t *p;
    uint8_t *end;
    void *priv;
    uint8_t *rec;     /* start of the record (its first byte is the commit mark) */
    uint64_t *commit; /* commit counter of the packet the record is in */
    uint32_t total;   /* record bytes, header included */
    uint8_t mark;     /* value of the first byte once committed */
};

/* Create this process's ring file in cfg->dir. Returns 0 or a negative errno; *out is set on
 * success. Makes system calls: call it at process start or in a fork child, not from a hook. */
int pt_ring_create(const struct pt_ring_config *cfg, struct pt_ring **out);

/* In a fork child: drop the parent's ring from this address space without writing to it. */
void pt_ring_forget(struct pt_ring *r);

/* How a ring ended, as its header's `closed` word says (readers and the collector look at it). */
enum pt_ring_end {
    PT_RING_OPEN = 0,    /* the writer may still write */
    PT_RING_EXITED = 1,  /* the process ended normally (exit, _exit) */
    PT_RING_EXECING = 2, /* an exec is under way: once the writer is gone it ended by exec */
    PT_RING_DETACHED = 3, /* proftrace detached from the process (attach mode): it runs on */
};

/* Mark the ring ended without unmapping it: at a normal exit while other threads may still be
 * writing (PT_RING_EXITED), or just before exec (PT_RING_EXECING; PT_RING_OPEN again when the
 * exec returned). After PT_RING_EXITED the collector drains what was committed and removes the
 * ring; later events may be lost. An atomic store (and, for PT_RING_EXITED and PT_RING_DETACHED,
 * waking a sleeping collector): signal-safe, but not in a vfork child (the ring is the
 * parent's). */
void pt_ring_finish(struct pt_ring *r, enum pt_ring_end how);

/* Detach (attach mode, preload/attach.c): mark the ring PT_RING_DETACHED and close its descriptor,
 * and with it the liveness lock, so the collector finishes the ring while the process runs on.
 * The address range stays mapped, as anonymous memory: a thread inside a traced call when tracing
 * was turned off still records when the call returns, and must not fault; what it writes there
 * is lost (the ring file's pages are no longer this process's, so its blocks are freed once the
 * collector has removed it), and it never waits for room (no-loss mode is off from then on). */
void pt_ring_detach(struct pt_ring *r);

/* Mark the ring finished (normal exit) and unmap it. Writers must have stopped. */
void pt_ring_close(struct pt_ring *r);

/* The buffer of thread `tid`, claiming a free one (a never-used one first) and writing a `thread`
 * event into it so a reader knows whose events follow; NULL when none is free or the file system
 * cannot back one (the caller counts the event as lost with pt_ring_lost; in no-loss mode only
 * after trying again for up to noloss_ms). Lock-free and safe in a signal handler; the first claim
 * of a buffer backs and prefaults its control page and first packets (a few system calls, once per
 * buffer for the life of the ring). */
struct pt_tbuf *pt_ring_claim(struct pt_ring *r, uint32_t tid);

/* Give a thread's buffer back (thread exit); its data stays until the collector drains it. */
void pt_ring_release(struct pt_ring *r, struct pt_tbuf *b);

/* Count `n` events lost that had no buffer to go to. */
void pt_ring_lost(struct pt_ring *r, uint64_t n);

/* Reserve room for event class `id` stamped `ts`; `size` is the exact size of what the pt_enc_*
 * calls will write (the event header is added here). Returns 0, or -ENOSPC when the event was
 * counted as lost (buffer full, or larger than a packet). Lock-free and signal-safe: a signal
 * handler may record into the same buffer between begin and commit. No system call but these:
 * backing the next packets during a buffer's first lap, waking a collector that sleeps (once per
 * packet at most), and in no-loss mode waiting (bounded) for the collector to make room or for
 * the file system to back the next packet. */
int pt_tbuf_begin_keep(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size,
                       enum pt_keep keep, struct pt_enc *e);

/* pt_tbuf_begin_keep for a decisive event (every event the tracer itself writes is one). */
static inline int pt_tbuf_begin(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size,
                                struct pt_enc *e)
{
    return pt_tbuf_begin_keep(b, id, ts, size, PT_KEEP_DECISIVE, e);
}

/* Publish the event reserved by pt_tbuf_begin; after this a reader may see it. The pt_enc_* calls
 * must have written exactly `size` bytes. */
void pt_tbuf_commit(struct pt_tbuf *b, struct pt_enc *e);

/* Field encoders (wire types of event.h), and their encoded sizes. Inline: they are the hot path.
 * The encoding is the CTF layout of ctf_meta.c: byte-aligned little-endian (native) integers,
 * NUL-terminated strings. */
static inline void pt__enc_put(struct pt_enc *e, const void *v, size_t n)
{
    __builtin_memcpy(e->p, v, n);
    e->p += n;
}
static inline void pt_enc_u8(struct pt_enc *e, uint8_t v)
{
    *e->p++ = v;
}
static inline void pt_enc_u16(struct pt_enc *e, uint16_t v)
{
    pt__enc_put(e, &v, 2);
}
static inline void pt_enc_u32(struct pt_enc *e, uint32_t v)
{
    pt__enc_put(e, &v, 4);
}
static inline void pt_enc_u64(struct pt_enc *e, uint64_t v)
{
    pt__enc_put(e, &v, 8);
}
static inline void pt_enc_i32(struct pt_enc *e, int32_t v)
{
    pt__enc_put(e, &v, 4);
}
static inline void pt_enc_i64(struct pt_enc *e, int64_t v)
{
    pt__enc_put(e, &v, 8);
}
static inline void pt_enc_x64(struct pt_enc *e, uint64_t v)
{
    pt__enc_put(e, &v, 8);
}
/* memcpy for pt_enc_str's longer strings, out of line (a call into libc's memcpy). */
void pt_enc_copy(uint8_t *dst, const char *src, size_t len);
/* len = strlen(s); s may be NULL when len is 0. Short strings (most names) are copied with a few
 * overlapping loads and stores: a copy of unknown length inline would be `rep movs`, whose start-up
 * costs more than the rest of a traced call. */
static inline void pt_enc_str(struct pt_enc *e, const char *s, size_t len)
{
    uint8_t *p = e->p;
    if (len >= 8 && len <= 16) {
        uint64_t a, b;
        __builtin_memcpy(&a, s, 8);
        __builtin_memcpy(&b, s + len - 8, 8);
        __builtin_memcpy(p, &a, 8);
        __builtin_memcpy(p + len - 8, &b, 8);
    } else if (len >= 4 && len < 8) {
        uint32_t a, b;
        __builtin_memcpy(&a, s, 4);
        __builtin_memcpy(&b, s + len - 4, 4);
        __builtin_memcpy(p, &a, 4);
        __builtin_memcpy(p + len - 4, &b, 4);
    } else if (len > 16) {
        pt_enc_copy(p, s, len);
    } else if (len) {
        p[0] = (uint8_t)s[0];
        p[len / 2] = (uint8_t)s[len / 2];
        p[len - 1] = (uint8_t)s[len - 1];
    }
    p[len] = 0;
    e->p = p + len + 1;
}

/* The common head of every call event, written before its fields. Compact: a flags byte (depth,
 * saturating at 31, and which of duration/ret are wide, whether a stack follows), the duration as
 * u32 when it fits else u64, ret as i32 when it fits else i64, err as i32, then the stack. Decoded
 * values (struct pt_event) are the full ones. pt_size_call takes the same values because the size
 * depends on them. */
static inline int pt__dur_wide(uint64_t ts_enter, uint64_t ts_exit)
{
    return ts_exit - ts_enter > 0xffffffffull || ts_exit < ts_enter;
}
static inline int pt__ret_wide(int64_t ret)
{
    return ret != (int64_t)(int32_t)ret;
}
static inline size_t pt_size_call(uint64_t ts_enter, uint64_t ts_exit, int64_t ret, uint8_t nframes)
{
    return 1 + (pt__dur_wide(ts_enter, ts_exit) ? 8 : 4) + (pt__ret_wide(ret) ? 8 : 4) + 4 +
           (nframes ? 1 + 8 * (size_t)nframes : 0);
}
static inline __attribute__((always_inline)) void
pt_enc_call(struct pt_enc *e, uint64_t ts_enter, uint64_t ts_exit, uint8_t depth, int64_t ret,
            int32_t err, const uint64_t *frames, uint8_t nframes)
{
    int dw = pt__dur_wide(ts_enter, ts_exit), rw = pt__ret_wide(ret);
    uint8_t f = (uint8_t)((depth > 31 ? 31 : depth) | (dw ? 0x20 : 0) | (rw ? 0x40 : 0) |
                          (nframes ? 0x80 : 0));
    pt_enc_u8(e, f);
    if (dw)
        pt_enc_u64(e, ts_exit >= ts_enter ? ts_exit - ts_enter : 0);
    else
        pt_enc_u32(e, (uint32_t)(ts_exit - ts_enter));
    if (rw)
        pt_enc_i64(e, ret);
    else
        pt_enc_i32(e, (int32_t)ret);
    pt_enc_i32(e, err);
    if (nframes) {
        pt_enc_u8(e, nframes);
        pt__enc_put(e, frames, 8 * (size_t)nframes);
    }
}

size_t pt_size_wire(int wire); /* fixed size of a non-string wire type (0 for STR or unknown) */
static inline size_t pt_size_str(size_t len)
{
    return len + 1;
}

/* Monotonic nanoseconds, the trace clock. */
uint64_t pt_now(void);

/* Convenience for non-call events of PT_EVENTS with no string: reserve, copy `size` bytes of
 * already encoded fields, commit. Returns 0 or -ENOSPC. */
int pt_tbuf_write(struct pt_tbuf *b, uint16_t id, uint64_t ts, const void *fields, size_t size);

/* The ring's file path (valid until pt_ring_close / pt_ring_forget). */
const char *pt_ring_path(const struct pt_ring *r);

#endif
