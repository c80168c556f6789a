/* source.h — one stream of events for the reader (internal): the packets of one thread buffer,
 * from its CTF stream file and then from its undrained ring, or a stream file alone. */
#ifndef PT_TRACER_SOURCE_H
#define PT_TRACER_SOURCE_H

#include <stdint.h>
#include <sys/types.h>

#include "proftrace/event.h"
#include "tracer/decode.h"
#include "tracer/files.h"

typedef void (*pt__diag_fn)(void *arg, const char *msg);

struct pt__ring;

/* Where a stream was read up to: the packet, the byte after the last record returned, the clock
 * and thread there, and the discarded count already reported. The same in the ring and in a stream
 * file (the collector copies packets byte for byte), so a reader can go on from a position another
 * reader saved. */
struct pt__src_pos {
    uint64_t seq, pos, clock, disc;
    uint32_t tid;
};

struct pt__src {
    unsigned index;       /* position in the trace, set by the reader */
    struct pt_event head; /* the event pt__src_next produced */
    int64_t rt_offset;    /* rings: the writer's CLOCK_REALTIME - CLOCK_MONOTONIC, else 0 */
    /* private to source.c */
    char *path; /* for messages: DIR/stream, or DIR/rings/x.ring */
    pt__diag_fn diag;
    void *darg;
    struct pt__file *sf;   /* the stream file; NULL when none is read */
    uint64_t foff;         /* its next packet */
    uint64_t fend;         /* stream file alone: its size when listed, read up to there */
    struct pt__ring *ring; /* NULL: a stream file alone */
    unsigned buf;
    uint64_t seq, seq_start, seq_end; /* ring: next packet wanted; window when opened */
    int from_ring;                    /* the stream file had nothing more: reading the ring */
    uint32_t pid, tid;
    uint8_t *data;      /* a ring's packet, or a window of the stream file */
    size_t cap;         /* bytes allocated at data */
    uint64_t win_off;   /* the stream file's offset of data[0] while it holds a window */
    size_t win_len;     /* bytes of the window (0: none) */
    size_t ahead;       /* stream file alone: bytes to read at once (0: a packet at a time) */
    const uint8_t *pkt; /* the packet being decoded: in data */
    size_t len, pos;
    uint64_t pkt_off; /* offset of the packet, for messages */
    uint64_t clock, ts_end;
    uint64_t disc_prev, disc_cur, seq_cur;
    int disc_known, in_pkt, partial, done, said_gone;
    /* following (tracer/follow.c): where the stream goes on, where to start */
    int have_pkt, have_pos; /* a packet was read; an event was returned */
    int pkt_from_ring;      /* the packet being read came from the ring */
    int in_flight;          /* its writer had reserved more than it committed */
    int (*chain)(void *arg, struct pt__src *s);
    void *chain_arg;
    int seeking;
    struct pt__src_pos seek;
};

/* Stream file `name` of the trace directory read alone (its ring is gone, or it never had one),
 * up to the size it has now. dir: the directory as named, for messages. 0 and *out, or a negative
 * errno after diag said why (-ENOENT quietly: removed since it was listed). */
int pt__src_open_file(struct pt__files *fs, const char *dir, const char *name, pt__diag_fn diag,
                      void *darg, struct pt__src **out);

/* Every used buffer of the ring `name` ("rings/<base>.ring"). Each source reads its stream file
 * <base>_<buffer> first (unless streams is 0: the directory's stream files are not read), then
 * the packets still in the ring, and goes back to the stream file for those the collector drains
 * meanwhile, so a running collector neither hides nor repeats a packet. dir_owner: owner of the
 * trace directory (rings of other users are refused, pt_perm_ring_allowed). 0 with an array of
 * *n sources (free the array); -ENOENT quietly when the ring is gone (drained and removed since it
 * was listed: its stream files hold everything); another negative errno after a diag. */
int pt__src_open_ring(struct pt__files *fs, const char *dir, const char *name, uid_t dir_owner,
                      int streams, pt__diag_fn diag, void *darg, struct pt__src ***out,
                      unsigned *n);

/* The stream file name of each source of a ring ("<base>_<buffer>"), NULL for a stream alone. */
const char *pt__src_stream_name(const struct pt__src *s);

/* Read a stream file alone `bytes` at a time (one read brings many packets) instead of a packet
 * at a time; the memory stays with the source until its end. Call before the first
 * pt__src_next. */
void pt__src_read_ahead(struct pt__src *s, size_t bytes);

/* ---- Following a trace (tracer/follow.c) ---- */

/* Which thread buffers of ring `name` ("rings/x.ring") were ever claimed: used[i] = 1 or 0 for the
 * first n, from the claim table in its header page (a follower asks on every look: two reads).
 * Returns how many it looked at, or a negative errno (the ring is gone, or not one). */
int pt__src_ring_used(struct pt__files *fs, const char *name, uint8_t *used, unsigned n);

/* Read stream file `name` (relative to the trace directory, "chunks/000042/<base>_3") from now
 * on: before the first packet, or when the file read so far has ended and the stream goes on in a
 * newer chunk. 0 or -ENOMEM. */
int pt__src_set_file(struct pt__src *s, struct pt__files *fs, const char *name);
/* chain(arg, s) is asked, whenever the stream file being read has no further packet, whether the
 * stream goes on in another file; it returns 1 after pt__src_set_file, else 0. */
void pt__src_chain(struct pt__src *s, int (*chain)(void *arg, struct pt__src *s), void *arg);
/* Where the last event returned lies (0), or -ENOENT when none was returned. */
int pt__src_tell(const struct pt__src *s, struct pt__src_pos *pos);
/* Return only what lies after `pos` (and count discarded events from pos->disc on). Call before
 * the first pt__src_next. */
void pt__src_seek(struct pt__src *s, const struct pt__src_pos *pos);
/* After pt__src_next returned 0: look again for what was written since (the rest of a ring
 * packet that was still open, new packets, a stream file that grew). The next pt__src_next goes
 * on after the last event returned. */
void pt__src_resume(struct pt__src *s);
/* Whether the source has ended for good: its ring is gone (or it never had one) and its stream
 * file was read to its end. */
int pt__src_finished(const struct pt__src *s);

/* The next event into s->head: 1, or 0 at the end. */
int pt__src_step(struct pt__src *s);

/* The same, with the common case in line: the next record of the packet being read, whole and
 * valid. Anything else (the end of the packet, damage) is pt__src_step's, which decodes the
 * record again to say what is wrong with it. */
static inline int pt__src_next(struct pt__src *s)
{
    if (s->pos < s->len) {
        const char *why;
        uint64_t clock = s->clock;
        int rc = pt__decode(s->pkt + s->pos, s->len - s->pos, &clock, &s->head, &why);
        if (rc > 0) {
            s->pos += (size_t)rc;
            s->clock = clock;
            if (s->head.id == PT_EV_thread && s->head.nfields)
                s->head.tid = s->tid = (uint32_t)s->head.field[0].u;
            s->have_pos = 1;
            return 1;
        }
    }
    return pt__src_step(s);
}
void pt__src_free(struct pt__src *s);

/* Scan a stream file's packets: offset just past the last whole packet, its sequence number and
 * events_discarded, the number of whole packets. 0, or a negative errno. */
int pt__stream_scan(int fd, uint64_t *valid_end, uint64_t *last_seq, uint64_t *last_disc,
                    uint64_t *npackets);

#endif
