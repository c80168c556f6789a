/* checkpoint.h — the analyzer's live state as a file, and back (internal to analyzer/).
 *
 * A rotated trace drops its oldest chunks; what they held must not be lost: the service's hold
 * that began on Monday still makes Friday's finding, with Monday's time. So the analyzer that
 * follows the collection (follower.c) writes its state into each chunk: the processes alive with
 * their identities, modules and in-use views, the processes the state still names, open holds,
 * deletions with their candidates and victims so far, sessions, marks, the threads' calls still
 * waiting for their callers, the trace-wide counts; and, for every stream, how far it was read
 * (a position, follow.h), so that a reader restoring it goes on exactly after what it holds.
 * docs/rotation.md describes the format; checkpoint_write.c writes it, checkpoint_read.c reads it
 * back (as hostile input: every record and every index checked; a damaged file is refused whole,
 * with its line and what is wrong).
 */
#ifndef PT_ANALYZER_CHECKPOINT_H
#define PT_ANALYZER_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/model.h"
#include "proftrace/follow.h"

#define PT__CHECKPOINT_VERSION 2

/* A stream as the checkpoint knows it: its name, the process its events belong to, how far the
 * state has read it. */
struct pt__cp_stream {
    char *key;
    uint32_t index; /* writing: the stream index in the analyzer being saved */
    uint32_t proc;  /* reading: the process in the restored analyzer, PT__NONE when none */
    struct pt_stream_pos pos;
};

/* What a checkpoint holds besides the model. */
struct pt__checkpoint {
    uint32_t chunk;   /* the chunk it was written into */
    uint64_t at;      /* every event up to this time (pt_now()) was in the state */
    int64_t realtime; /* CLOCK_REALTIME - CLOCK_MONOTONIC when written */
    struct pt__cp_stream *streams;
    size_t nstreams;
    char **alerted; /* keys of the findings already announced (follower.c), so a restart does not
                     * announce them again */
    size_t nalerted;
};

/* Write the state of `a` (not finished) and cp to out. Processes that ended and that nothing in
 * the state names are left out (memory follows live state across rotation); the summary counts
 * keep them. 0, or -EIO when writing failed. */
int pt__checkpoint_save(FILE *out, struct pt_analyzer *a, const struct pt__checkpoint *cp);

/* Read a checkpoint's text (len bytes at text; `name` for messages) into a new analyzer and *cp
 * (free with pt__checkpoint_clear). 0; or -EINVAL with the reason in why ("line 17: hold 3: proc
 * 9 out of range"), -ENOMEM. */
int pt__checkpoint_load(const char *text, size_t len, struct pt_analyzer **out,
                        struct pt__checkpoint *cp, char *why, size_t whylen);

/* Read file `path` (at most 256 MiB, a regular file, no link followed) as pt__checkpoint_load.
 * -ENOENT quietly when there is none. */
int pt__checkpoint_read(const char *path, struct pt_analyzer **out, struct pt__checkpoint *cp,
                        char *why, size_t whylen);

/* Write to `path` whole or not at all (a temporary file renamed over it). */
int pt__checkpoint_write(const char *path, struct pt_analyzer *a, const struct pt__checkpoint *cp);

void pt__checkpoint_clear(struct pt__checkpoint *cp);

/* A copy of the state of `a`, as restoring its checkpoint gives it: the follower finishes the
 * copy to see the findings as they stand, and goes on feeding `a`. NULL when it failed, with why.
 */
struct pt_analyzer *pt__checkpoint_clone(struct pt_analyzer *a, char *why, size_t whylen);

/* The event class named `name`, for records that name a call: its id, or -1. */
int pt__event_id(const char *name);

#endif
