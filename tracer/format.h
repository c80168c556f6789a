/* format.h — the binary layouts the tracer shares between writer, collector and readers (internal).
 *
 * Two layouts live here: the ring file (a header and its hints, then per-thread buffers, each a
 * control block and a circle of packets) and the packet, which is byte for byte a CTF 1.8 packet as
 * described by the TSDL in ctf_meta.c, so that draining a packet into a stream file is a copy. See
 * ring.c for the design essay.
 */
#ifndef PT_TRACER_FORMAT_H
#define PT_TRACER_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "proftrace/event.h"

/* ---- Ring file ------------------------------------------------------------------------------ */

#define PT__RING_MAGIC "PTRING\x01\x00"
#define PT__RING_VERSION 2u
#define PT__ENDIAN_MARK 0x01020304u
#define PT__HINTS_OFF 192u        /* struct pt__ring_hints, between the header and the claims */
#define PT__CLAIMS_OFF 256u       /* the claim table follows struct pt__ring_hdr */
#define PT__TBUF_CTL_BYTES 4096u   /* control page of each thread buffer */
#define PT__MAX_SUB 256u           /* packets per thread buffer at most (commit counters) */
#define PT__MAX_BUFS 4096u         /* thread buffers at most */

/* The first bytes of a ring file. Written once at creation except the fields marked atomic. */
struct pt__ring_hdr {
    char magic[8];           /* PT__RING_MAGIC */
    uint32_t version;        /* PT__RING_VERSION */
    uint32_t endian;         /* PT__ENDIAN_MARK in the writer's byte order */
    uint32_t word_size;      /* sizeof(void *) of the writer */
    uint32_t header_size;    /* sizeof(struct pt__ring_hdr) */
    uint32_t event_version;  /* PT_FORMAT_VERSION */
    uint32_t nbufs;          /* thread buffers */
    uint32_t sub_size;       /* bytes per packet (power of two) */
    uint32_t nsub;           /* packets per thread buffer (power of two) */
    uint32_t overwrite;      /* 1: flight recorder */
    uint32_t pkt_hdr_size;   /* bytes of CTF packet header + context at the start of each packet */
    uint64_t bufs_off;       /* file offset of thread buffer 0 */
    uint64_t tbuf_stride;    /* bytes from one thread buffer to the next */
    uint64_t ctl_size;       /* bytes of the control block at the start of each thread buffer */
    uint64_t file_size;      /* total size; a shorter file is truncated */
    uint32_t pid;            /* getpid() of the writer, in its own pid namespace */
    uint32_t host_pid;       /* its pid in the initial namespace when known (NSpid), else 0 */
    uint64_t start_time;     /* process start, clock ticks since boot (/proc/PID/stat field 22) */
    uint64_t instance;       /* random, makes the file name unique across pid namespaces */
    uint64_t created_ts;     /* pt_now() at creation */
    int64_t realtime_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC at creation, ns */
    uint32_t closed;         /* atomic: enum pt_ring_end (ring.h): 1 normal exit, 2 exec under way */
    uint32_t off_commit;     /* offsetof(struct pt__tbuf_ctl, commit), for foreign readers */
    uint64_t lost_nobuf;     /* atomic: events lost because no thread buffer was free */
    uint64_t table_hash;     /* pt__table_hash() of the writer: which event tables it encoded */
    uint32_t claims_off;     /* offset of the claim table (struct pt__claim[nbufs]) in this page */
    uint32_t noloss_ms;      /* no-loss mode: how long a writer waits for room; 0: discard mode */
    uint32_t wake_pkts;      /* a sleeping collector is woken when this many packets wait */
    uint32_t sleeping;       /* atomic, collector: 1 while it sleeps, the writer that wakes it: 0 */
};

/* Hints: what a writer tells the collector beyond the layout, at PT__HINTS_OFF, outside the
 * header (header_size does not count them). Advisory only: a reader that ignores them reads the
 * ring alike, and 0 means "not told", which is what every ring of a writer that does not know
 * them holds there (the header page is backed with zeros at creation, in the pool too). So a
 * collector reads any version-2 ring with or without them, and a ring with them is read by any
 * version-2 reader. A reader checks each value before it uses it (shared memory). */
struct pt__ring_hints {
    uint32_t wake_cpu; /* atomic, writer: 1 + the CPU it ran on when it last woke the collector or
                          published the ring (tracer/placement.c); 0 when not told */
};

/* Who uses thread buffer i: the claim table in the header page (always backed), so that claiming
 * and the readers' "is it used?" never touch the buffer's own pages before they are backed. */
struct pt__claim {
    uint32_t owner;  /* tid of the owner, 0 when free (claimed by CAS) */
    uint32_t claims; /* how many times it was claimed; 0: never used, its pages may be a hole */
};

/* Control block of one thread buffer, backed when the buffer is first claimed. The first line is
 * written by the owning thread (and its signal handlers) only; `consumed` by the collector only;
 * `waiting` by both; commit[] by the owner, read by all. */
struct pt__tbuf_ctl {
    uint64_t wpos;      /* virtual write offset: bytes reserved since creation, padding included */
    uint64_t lost;      /* events discarded for lack of space, cumulative */
    uint64_t last_ts;   /* timestamp of the last event reserved */
    uint64_t events;    /* events reserved in this buffer, cumulative */
    uint64_t prepared;  /* bytes of the circle backed and prefaulted (grows during the first lap) */
    uint64_t gave_up;   /* no-loss: `consumed` + 1 when a writer last stopped waiting, else 0 */
    uint32_t reserve;   /* the open packet was opened from the reserve: decisive events only */
    uint32_t stalled;   /* an event was lost since the open packet opened: the next opens one */
    uint32_t claims;    /* the claim table's count, for readers that read control blocks only */
    uint32_t pad0;
    uint64_t consumed;  /* virtual offset up to which the collector has drained (packet multiple) */
    uint32_t waiting;   /* futex: 1 while a writer waits for room (no-loss), the collector wakes it */
    uint32_t pad1[13];
    uint64_t commit[];  /* per packet slot: bytes committed over all laps */
};

_Static_assert(sizeof(struct pt__ring_hdr) <= PT__HINTS_OFF, "ring header overlaps the hints");
_Static_assert(PT__HINTS_OFF + sizeof(struct pt__ring_hints) <= PT__CLAIMS_OFF,
               "ring hints overlap the claims");
_Static_assert(offsetof(struct pt__tbuf_ctl, commit) + 8 * PT__MAX_SUB <= PT__TBUF_CTL_BYTES,
               "control block larger than its page");

/* The claim entry of buffer i in a mapped ring (i < nbufs, header checked). */
static inline const struct pt__claim *pt__ring_claim_at(const uint8_t *map, uint32_t i)
{
    return (const struct pt__claim *)(map + PT__CLAIMS_OFF) + i;
}

/* The hints of a mapped ring (at least PT__CLAIMS_OFF bytes). */
static inline struct pt__ring_hints *pt__ring_hints_at(uint8_t *map)
{
    return (struct pt__ring_hints *)(map + PT__HINTS_OFF);
}

/* Bytes before thread buffer 0: the header and the claim table, in whole pages. */
static inline uint64_t pt__ring_bufs_off(uint32_t nbufs)
{
    return (PT__CLAIMS_OFF + sizeof(struct pt__claim) * (uint64_t)nbufs + 4095) & ~4095ull;
}

/* ---- Packets (CTF 1.8) ---------------------------------------------------------------------- */

#define PT__CTF_MAGIC 0xC1FC1FC1u

/* Packet header + context, packed (every CTF field here is byte-aligned). */
struct __attribute__((packed)) pt__pkt_hdr {
    uint32_t magic;              /* PT__CTF_MAGIC */
    uint64_t stream_instance_id; /* ring instance ^ buffer index, see pt__stream_instance */
    uint64_t timestamp_begin;
    uint64_t timestamp_end;
    uint64_t content_size;       /* bits */
    uint64_t packet_size;        /* bits */
    uint64_t packet_seq_num;     /* virtual offset / sub_size */
    uint64_t events_discarded;   /* cumulative, at the end of the packet */
    uint32_t pid;
    uint32_t tid;                /* owner when the packet was opened */
    uint64_t events_begin;       /* events of this buffer before this packet, cumulative */
    uint64_t event_count;        /* events in this packet (set when it is closed) */
};
#define PT__PKT_HDR_SIZE ((uint32_t)sizeof(struct pt__pkt_hdr))

/* Event header: one byte id (0 = not committed, 1..254 = class id + 1, 255 = extended), then a
 * u32 low part of the timestamp (compact), or for extended a u16 class id + 1 and a u64 timestamp. */
#define PT__ID_EXT 255u
#define PT__HDR_COMPACT 5u
#define PT__HDR_EXT 11u
#define PT__TS_COMPACT_MAX (1ull << 31) /* a compact ts may be at most this far past the previous */

/* Call head: a flags byte (depth in bits 0-4, wide duration bit 5, wide ret bit 6, stack bit 7),
 * duration u32|u64, ret i32|i64, err i32, then when the stack bit is set u8 n and n x u64. */
#define PT__CF_DEPTH_MASK 0x1fu
#define PT__CF_WIDE_DUR 0x20u
#define PT__CF_WIDE_RET 0x40u
#define PT__CF_STACK 0x80u

#endif
