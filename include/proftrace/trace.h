/* trace.h — the reader side: every event of a trace directory, time-ordered across processes.
 *
 * A trace directory holds the CTF trace the collector wrote and, beside it, rings that were not yet
 * drained (the collector died, or nobody ran one). A reader takes both into account, merges all
 * streams by timestamp with bounded memory, and never stops at damage: a truncated or corrupt file
 * is reported (file, offset, what is wrong) through the diagnostics callback and everything still
 * valid is returned.
 */
#ifndef PROFTRACE_TRACE_H
#define PROFTRACE_TRACE_H

#include "proftrace/event.h"

struct pt_trace;

/* Called once per problem found in the input; `what` is a full sentence naming file and offset. */
typedef void (*pt_trace_diag_fn)(void *arg, const char *what);

struct pt_trace_stats {
    uint64_t streams;   /* stream files and undrained rings read */
    uint64_t processes; /* distinct processes (process events) */
    uint64_t events;    /* events returned so far */
    uint64_t lost;      /* events the writers counted as lost */
    uint64_t damaged;   /* problems reported to the diagnostics callback */
    uint64_t ts_first, ts_last;
};

/* Open a trace directory. Returns 0, or a negative errno when `dir` is not a readable trace at all
 * (then diag has said why). `diag` may be NULL (problems are then written to stderr). */
int pt_trace_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg, struct pt_trace **out);

/* The next event in time order into *ev (its strings live until the next call). Returns 1, or 0 at
 * the end of the trace. */
int pt_trace_next(struct pt_trace *t, struct pt_event *ev);

/* The same without a copy: the next event, valid (with its strings) until the next call, or NULL
 * at the end of the trace. For readers that only look at each event once. */
const struct pt_event *pt_trace_next_ref(struct pt_trace *t);

void pt_trace_stats(const struct pt_trace *t, struct pt_trace_stats *out);
void pt_trace_close(struct pt_trace *t);

/* CLOCK_REALTIME - CLOCK_MONOTONIC in ns when the trace was recorded (add it to an event's ts for
 * the wall clock); 0 when the trace does not say. */
int64_t pt_trace_realtime_offset(const struct pt_trace *t);

/* Open file `name` of the directory open at dirfd (AT_FDCWD: a path) the way every reader opens
 * the files of a trace: read-only, never following a symbolic link, never blocking (a FIFO or a
 * device planted in a trace cannot hang a reader), a regular file only. Returns a descriptor, or a
 * negative errno: -ELOOP a symbolic link, -EINVAL not a regular file, or what open(2) said. */
int pt_trace_file_open(int dirfd, const char *name);
/* Why a file was refused, for a negative errno of pt_trace_file_open: "a symbolic link, not
 * followed", "not a regular file (...)", else strerror. */
const char *pt_trace_file_error(int err);

/* Following a trace while it grows, reading only what is new: include/proftrace/follow.h. */

/* Display helpers (shared by `proftrace events` and reports). */

/* Symbolic names: Win32 error codes ("ERROR_KEY_DELETED"), HRESULTs ("MAPI_E_CALL_FAILED"), errno
 * values ("ENOENT"); NULL when unknown. */
const char *pt_win32_error_name(uint32_t code);
const char *pt_hresult_name(uint32_t hr);
const char *pt_errno_name(int err);

/* One event as text, strace-like, without time or process: `RegQueryValueExA(0x55d0c2a0,
 * "001e6614", 0) = ERROR_KEY_DELETED (1018)`, `unlink("/dev/shm/x" @0:23/1234) = 0`,
 * `process(pid=12, ..., exe="/bin/x")`. Writes at most len bytes (NUL included); returns the length
 * it needed, like snprintf. */
size_t pt_event_format(const struct pt_event *ev, char *buf, size_t len);

#endif
