/* rotate.h — the collector's side of rotation (--max-size, --max-age): which chunk stream files go
 * into, when to start the next, which chunks to drop (internal to the tracer; docs/rotation.md).
 *
 * The collector asks between two drain passes whether the chunk is full or old (pt__rotate_due);
 * when it is, it calls pt__rotate_next, which closes the chunk (its summary), makes the next one
 * (its metadata first, so it is a CTF trace from the start) and drops the oldest chunks while the
 * trace is over its cap; then it closes its stream files (each stream goes on in the next chunk
 * from the collector's own position). A chunk is dropped only when the chunk after
 * it holds the analyzer's checkpoint (analyzer/follower.c writes it), so what a dropped chunk held
 * is carried; when the checkpoint is late, the cap waits for it, and says so once.
 */
#ifndef PT_TRACER_ROTATE_H
#define PT_TRACER_ROTATE_H

#include <stdint.h>

#include "proftrace/trace.h"

struct pt__rotate;

struct pt__rotate_opts {
    uint64_t max_size;   /* bytes of all chunks together (0: no cap on size) */
    uint64_t max_age_ns; /* drop chunks whose last data is older (0: no cap on age) */
};

/* The chunk size for a cap: an eighth of it, 256 KiB at least. */
uint64_t pt__rotate_chunk_size(uint64_t max_size);

/* Start or resume the rotated layout of a trace directory: go on in its newest chunk, or make
 * chunks/000001. `dir` is the path its files are reached by (the collector's "/proc/self/fd/N" of
 * the directory it checked), `shown` the one messages name. A directory that holds a trace that
 * is not rotated is refused (-EEXIST, said). 0, or a negative errno after diag said why. */
int pt__rotate_open(const char *dir, const char *shown, const struct pt__rotate_opts *o,
                    pt_trace_diag_fn diag, void *diag_arg, struct pt__rotate **out);

/* The chunk stream files go into now: its path for messages ("DIR/chunks/000042"), its name
 * relative to the trace directory ("chunks/000042") and its number. */
const char *pt__rotate_path(const struct pt__rotate *r);
const char *pt__rotate_name(const struct pt__rotate *r);
uint32_t pt__rotate_chunk(const struct pt__rotate *r);

/* `bytes` holding `events` (packets from ts_begin to ts_end) were written into the chunk. */
void pt__rotate_wrote(struct pt__rotate *r, uint64_t bytes, uint64_t events, uint64_t ts_begin,
                      uint64_t ts_end);

/* Bytes the chunk takes before it is full (0: full): where the collector ends a batch. */
uint64_t pt__rotate_room(const struct pt__rotate *r);

/* Is it time for the next chunk (the chunk is full, or older than an eighth of the age cap and
 * not empty)? now: pt_now(). Drops, meanwhile, what waited for a checkpoint that has come. */
int pt__rotate_due(struct pt__rotate *r, uint64_t now);

/* Close the chunk and start the next; drop the oldest chunks over the caps. The caller then
 * closes the chunk's stream files (after a failure, they go on in it). 0 or a negative errno
 * (said). */
int pt__rotate_next(struct pt__rotate *r);

/* Drop what is over the caps now (between switches, for an age cap on a quiet trace). */
void pt__rotate_trim(struct pt__rotate *r);

/* The chunk's summary, so a resumed or later reader knows what it held, and a last trim (for the
 * checkpoints the analyzer wrote at the end); then free. */
void pt__rotate_close(struct pt__rotate *r);

#endif
