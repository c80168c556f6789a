/* internal.h — declarations shared between the files of the tracer component (pt__ names). */
#ifndef PT_TRACER_INTERNAL_H
#define PT_TRACER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proftrace/event.h"
#include "proftrace/ring.h"
#include "tracer/format.h"

#define PT__DEFAULT_TBUF_BYTES PT_RING_DEFAULT_TBUF_BYTES /* proftrace/ring.h says why */
#define PT__DEFAULT_NBUFS 64u

/* ---- Event classes, expanded from PT_EVENTS / PT_CALLS (classes.c) --------------------------- */

struct pt__field_desc {
    const char *name;
    uint8_t wire;
};

struct pt__class {
    const char *name;
    uint8_t is_call;
    uint8_t category; /* enum pt_category for calls, 0xff otherwise */
    uint8_t ret_kind; /* enum pt_ret_kind for calls */
    uint8_t nfields;
    const struct pt__field_desc *fields;
};

extern const struct pt__class pt__classes[];
extern const unsigned pt__nclasses;
extern const char *const pt__category_names[];

/* A 64-bit hash (FNV-1a) of the event tables: PT_FORMAT_VERSION (how records and packets are laid
 * out), then every class's name, whether it is a call, and each field's wire type and name, in id
 * order. Stored in each ring header and in the CTF metadata so that a trace written with another
 * layout or another PT_EVENTS/PT_CALLS is refused instead of decoded as garbage. Never 0.
 * pt__table_hash is a constant generated at build time (gen_table_hash.c), so that no traced
 * process hashes the tables at start; pt__table_hash_compute (table_hash.c) computes it. */
uint64_t pt__table_hash(void);
uint64_t pt__table_hash_compute(void);

/* ---- Records (decode.c) ------------------------------------------------------------------------ */

/* Decode the record at p (at most avail bytes) into *ev. *ts is the running clock of the packet:
 * on entry the previous event's timestamp (or timestamp_begin), on return this one's. Sets ev->id,
 * ts and the call head and fields; not pid/tid/stream. Returns the record's length, 0 when p holds
 * an uncommitted record (mark 0), or -1 with *why set when the bytes are not a valid record. */
int pt__decode_record(const uint8_t *p, size_t avail, uint64_t *ts, struct pt_event *ev,
                      const char **why);

/* ---- Odds and ends (util.c) --------------------------------------------------------------- */

/* Start time of process `pid` (0: self) in clock ticks since boot; 0 when unknown. */
uint64_t pt__proc_start_time(pid_t pid);
/* CLOCK_REALTIME - CLOCK_MONOTONIC now, ns. */
int64_t pt__realtime_offset(void);
/* The CTF stream_instance_id of buffer `idx` of the ring with `instance`. */
static inline uint64_t pt__stream_instance(uint64_t instance, uint32_t idx)
{
    return instance | (idx & 0xfff);
}

/* pt_ring_claim, the buffer's first event (which thread owns it) stamped ts (0: now) — for a
 * writer whose later events are dated back, no earlier than ts (the collector's witness). */
struct pt_tbuf *pt__ring_claim_stamped(struct pt_ring *r, uint32_t tid, uint64_t ts);

/* Parse the name of a ring file "<pid>-<start>-<instance hex>.ring"; 0 or -EINVAL. */
int pt__parse_ring_name(const char *name, uint32_t *pid, uint64_t *start, uint64_t *instance);

/* Validate a ring header against the file size; 0, or -1 with a reason in why[len]. */
int pt__ring_check(const struct pt__ring_hdr *h, uint64_t file_size, char *why, size_t len);

/* Move a descriptor the tracer keeps open for the life of a process (the ring, the holds table)
 * out of the traced program's way, so that its own open() calls get the numbers and the count they
 * would get untraced: past RLIMIT_NOFILE's soft limit when the hard limit leaves room (at 1024 when
 * the soft limit is higher), else the highest free number below the limit. Closes `fd` and returns
 * the new one; returns `fd` unchanged when no higher number is free. */
int pt__fd_high(int fd);
/* Write `len` zero bytes at `off` of fd (pwritev: signal-safe, the file offset untouched). 0, or a
 * negative errno (-ENOSPC: the file system is full). */
int pt__write_zeros(int fd, uint64_t off, uint64_t len);
/* Whether descriptor fd is still the file (dev, ino) — a program may have closed it and reused
 * the number for one of its own files, which must never be closed for it. */
int pt__fd_is(int fd, uint64_t dev, uint64_t ino);

/* ---- Ring geometry (ring.c) ----------------------------------------------------------------- */

/* Where everything lies in a ring file with `nbufs` buffers of `buf_bytes` (0: the defaults),
 * computed once by the writer (pt_ring_create) and by the collector that prepares files for it
 * (ring_pool.c). */
struct pt__ring_layout {
    unsigned nbufs, sub_shift, nsub_shift; /* packets of 1 << sub_shift, 1 << nsub_shift of them */
    uint64_t data_bytes;                   /* a buffer's circle of packets */
    uint64_t stride;                       /* a buffer: its control page and its circle */
    uint64_t bufs_off;                     /* buffer 0: after the header and the claim table */
    uint64_t file_size;
    uint64_t first_end; /* backed at creation: [0, first_end) is the header, the claim table and
                           buffer 0's control page and first packets (the creating thread's) */
};

/* Fill *L; 0, or -EINVAL for sizes the ring does not take. */
int pt__ring_layout(size_t buf_bytes, unsigned nbufs, struct pt__ring_layout *L);

/* Test hooks of the writer's rare paths (ring.c): only the tracer's unit tests set them, to make
 * an event happen at an exact point of a race (every program leaves them NULL; they cost a load
 * and a branch on paths that make system calls or wait anyway). */
struct pt__ring_test_hooks {
    /* Before backing packets of buffer b (its first ones when a thread claims it, the next
     * ones during its first lap): a negative errno makes the backing fail with it. */
    int (*back)(struct pt_tbuf *b);
    /* A no-loss writer found no room for a new packet and is about to wait for the collector. */
    void (*no_room)(struct pt_tbuf *b);
};
extern struct pt__ring_test_hooks pt__ring_test;

/* Stream file name of buffer idx of a ring (base = ring file name without ".ring"). */
#define PT__STREAM_FMT "%s_%u"
#define PT__PROC_STREAM_FMT "%s_p" /* the collector's own stream for that process */

#endif
