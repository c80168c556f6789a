/* source.h — one stream of events for the reader: a CTF stream file or a buffer of a ring (internal). */
#ifndef PT_TRACER_SOURCE_H
#define PT_TRACER_SOURCE_H

#include <stdint.h>

#include "proftrace/event.h"

typedef void (*pt__diag_fn)(void *arg, const char *msg);

struct pt__ringmap;

struct pt__src {
    unsigned index;       /* position in the trace, set by the reader */
    struct pt_event head; /* the event pt__src_next produced */
    /* private to source.c */
    int kind;
    char *path;
    pt__diag_fn diag;
    void *darg;
    uint32_t pid, tid;
    uint8_t *pkt;
    size_t cap, len, pos;
    uint64_t pkt_off; /* file offset of the packet, for messages */
    uint64_t clock, ts_end;
    uint64_t disc_prev, disc_cur;
    int disc_known, in_pkt, partial, done;
    int fd;
    uint64_t foff, fsize;
    struct pt__ringmap *rm;
    unsigned buf;
    uint64_t seq, seq_end, seq_cur;
    int64_t rt_offset; /* rings: the writer's CLOCK_REALTIME - CLOCK_MONOTONIC */
};

/* A CTF stream file (name: its name in the directory). 0 and *out, or a negative errno (diag said
 * why). */
int pt__src_open_file(const char *path, const char *name, pt__diag_fn diag, void *darg,
                      struct pt__src **out);

/* How many bytes of stream file `path` the reader takes (its size when it was opened), so that a
 * packet the collector appends meanwhile is read once, from the ring; UINT64_MAX: not opened. */
typedef uint64_t (*pt__limit_fn)(void *arg, const char *path);

/* Every used buffer of an undrained ring, skipping packets already present in the stream files of
 * trace directory `dir` (up to limit_of). 0 with an array of *n sources (free the array), or a
 * negative errno. */
int pt__src_open_ring(const char *path, const char *dir, pt__diag_fn diag, void *darg,
                      pt__limit_fn limit_of, void *limit_arg, struct pt__src ***out,
                      unsigned *n);

/* The next event into s->head: 1, or 0 at the end. */
int pt__src_next(struct pt__src *s);
void pt__src_free(struct pt__src *s);

/* Scan a stream file's packets: offset just past the last whole packet, its sequence number and
 * events_discarded, the number of whole packets. 0, or a negative errno. */
int pt__stream_scan(int fd, uint64_t *valid_end, uint64_t *last_seq, uint64_t *last_disc,
                    uint64_t *npackets);
/* The same over the first `limit` bytes only. */
int pt__stream_scan_limit(int fd, uint64_t limit, uint64_t *valid_end, uint64_t *last_seq,
                          uint64_t *last_disc, uint64_t *npackets);

#endif
