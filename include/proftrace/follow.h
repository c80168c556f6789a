/* follow.h — reading a trace directory while it is written, and a rotated one as one trace.
 *
 * A follower reads what is new each time it is asked (pt_follow_poll), never what it read
 * before: the packets the collector appended to stream files, the rings' packets not drained yet
 * (a packet a writer still fills is read up to its committed bytes, and again past them later),
 * the rings, streams and chunks that appeared. It merges every stream by time like pt_trace and
 * gives the events up to a horizon, so that an event still being written by one thread cannot
 * come out after a later event of another.
 *
 * Rotation. Under --max-size / --max-age the trace directory is a sequence of chunks,
 * DIR/chunks/NNNNNN/ (docs/rotation.md), each a CTF trace of its own; the collector drops the
 * oldest. One thread's stream goes on from chunk to chunk under the same file name, and a follower
 * reads it so, as one stream, whatever chunk a packet landed in. A position (struct
 * pt_stream_pos) says how far a stream was read: a reader that restores an analyzer's checkpoint
 * starts every stream just after what the checkpoint had seen (pt_follow_start_at).
 */
#ifndef PROFTRACE_FOLLOW_H
#define PROFTRACE_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "proftrace/event.h"
#include "proftrace/trace.h"

struct pt_follow;

/* How far a stream was read: packet sequence number, byte offset in that packet after the last
 * event read, the clock and thread there, and the events the writer reported discarded so far. */
struct pt_stream_pos {
    uint64_t seq, pos, clock, disc;
    uint32_t tid;
};

/* What rotation did to a trace directory (all 0 for a trace that is not rotated). */
struct pt_rotation {
    int rotated;             /* DIR/chunks/ holds the trace */
    uint32_t first_chunk;    /* the oldest chunk there, 0 when none */
    uint32_t last_chunk;     /* the newest */
    uint64_t dropped_chunks; /* chunks the collector dropped to stay under its cap */
    uint64_t dropped_events; /* the events they held (0 when not recorded) */
    uint64_t first_ts;       /* the first event of the first chunk ever (0: unknown) */
};

/* Open `dir` for following. Nothing is read yet. 0, or a negative errno after diag said why
 * (diag may be NULL: stderr). */
int pt_follow_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg, struct pt_follow **out);

/* Look at what is new: chunks, rings, stream files, and the streams that had nothing more last
 * time. Returns 0, or a negative errno when the directory cannot be read any more. */
int pt_follow_poll(struct pt_follow *f);

/* The next event in time order among what was read, if its time is at most `horizon` (UINT64_MAX:
 * anything read); NULL when there is none (more may come after the next poll). The event and its
 * strings are valid until the next call. */
const struct pt_event *pt_follow_next(struct pt_follow *f, uint64_t horizon);

/* The same, up to `ts` even past a writer that was in the middle of a record (pt_follow_next stops
 * short of it): what must be read whole, whatever the order of what comes later. */
const struct pt_event *pt_follow_next_through(struct pt_follow *f, uint64_t ts);

/* A stream's name, the same in every chunk ("<ring base>_<buffer>"); NULL for an unknown index. */
const char *pt_follow_stream_key(const struct pt_follow *f, uint32_t stream);

/* Call fn(arg, stream, key, pos) for every stream that gave an event, with the position of its
 * last event returned. Stops at, and returns, the first non-zero fn result. */
int pt_follow_positions(const struct pt_follow *f,
                        int (*fn)(void *arg, uint32_t stream, const char *key,
                                  const struct pt_stream_pos *pos),
                        void *arg);

/* Stream `key` starts after `pos` (what a restored checkpoint saw of it), whenever it is found.
 * Before the first poll. 0 or -ENOMEM. */
int pt_follow_start_at(struct pt_follow *f, const char *key, const struct pt_stream_pos *pos);

/* The stream index a key has (or gets, when its stream is found later): the index the events of
 * that stream will carry in ev->stream. UINT32_MAX when out of memory. */
uint32_t pt_follow_stream_index(struct pt_follow *f, const char *key);

/* The longest time (ns) between an event's own time and the poll that first read it, among the
 * events that came out behind a newer one: a writer that stamps an event and writes it that much
 * later (a stack taken on a loaded machine, a ring made at fork) needs a horizon that far behind
 * now. 0 while every event came in order. */
uint64_t pt_follow_late(const struct pt_follow *f);

void pt_follow_stats(const struct pt_follow *f, struct pt_trace_stats *out);
int64_t pt_follow_realtime_offset(const struct pt_follow *f);
void pt_follow_rotation(const struct pt_follow *f, struct pt_rotation *out);

/* Whether the last poll found every stream that may hold an event older than the poll: every
 * ring there then, and every stream file of every chunk, none waiting for a later poll, and no
 * chunk began while it looked (the collector may finish a ring into a new chunk between the
 * listing of the chunks and that of the rings). Only then may events be taken past the horizon
 * (pt_follow_next_through) up to a time before the poll: no stream unknown yet can hold an event
 * older than that. */
int pt_follow_settled(const struct pt_follow *f);

/* Whether every stream file of chunk `chunk` is read by this follower: it was listed after the
 * collector closed it (a newer chunk was there), and each of its stream files has a source. Until
 * then, events written into it may be unknown to the follower, whatever their time: an analyzer
 * checkpoints the chunk after it only when this is 1. */
int pt_follow_chunk_read(const struct pt_follow *f, uint32_t chunk);

/* When this follower first saw chunk `chunk` (pt_now() time), 0 when it has not. Every event of
 * the chunks before it is older than that. */
uint64_t pt_follow_chunk_seen(const struct pt_follow *f, uint32_t chunk);

void pt_follow_close(struct pt_follow *f);

/* ---- the rotated layout (tracer/chunks.c) ---- */

/* "DIR/chunks/NNNNNN" (file NULL) or "DIR/chunks/NNNNNN/file" into buf; the length it needed,
 * like snprintf. */
int pt_chunk_path(char *buf, size_t len, const char *dir, uint32_t chunk, const char *file);

/* The chunks of `dir`, oldest first, into *out (malloc'ed, free it): their count, 0 when the
 * trace is not rotated, or a negative errno. */
int pt_chunks_list(const char *dir, uint32_t **out);

/* The time of the newest event of closed chunk `chunk` (its summary, written when the collector
 * closed it): 0, or a negative errno (-ENOENT: not closed, or closed by a crash). */
int pt_chunk_newest(const char *dir, uint32_t chunk, uint64_t *last_ts);

/* What rotation dropped from `dir` so far (DIR/chunks/.dropped) into *r, with the chunks there. */
void pt_rotation_read(const char *dir, struct pt_rotation *r);

/* The analyzer's checkpoint in each chunk, and the chunk's own summary (docs/rotation.md). */
#define PT_CHECKPOINT_FILE ".checkpoint"
#define PT_CHUNK_SUMMARY_FILE ".chunk"
#define PT_DROPPED_FILE ".dropped"

#endif
