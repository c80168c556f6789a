/* trace_dir.h — what a directory given to a command is (a trace, nothing yet, something else), how
 * record keeps the previous trace as DIR.old, and how much a trace takes on disk. */
#ifndef PT_CMDS_TRACE_DIR_H
#define PT_CMDS_TRACE_DIR_H

#include <stddef.h>
#include <stdint.h>

enum pt__dir_state {
    PT__DIR_ABSENT,  /* does not exist */
    PT__DIR_EMPTY,   /* an empty directory */
    PT__DIR_TRACE,   /* a directory with a trace in it: `metadata` or `rings/` */
    PT__DIR_OTHER,   /* a directory with other things in it */
    PT__DIR_NOT_DIR, /* exists, not a directory */
};

/* The state of `dir`, or a negative errno when it cannot be looked at. */
int pt__trace_dir_state(const char *dir);

/* For the readers (report, events, export): 0 when `dir` holds a trace; else says once why not
 * ("proftrace CMD: DIR: ...") and returns 2, the exit status. */
int pt__trace_dir_check(const char *cmd, const char *dir);

/* For record: makes room for a new trace in `dir`. A trace there is renamed DIR.old (replacing an
 * older DIR.old that is a trace or empty); a directory holding anything else is refused. Returns 0,
 * or says why not and returns 2. */
int pt__trace_dir_rotate(const char *cmd, const char *dir);

/* For collect: 0 when `dir` is absent, empty or a trace (collect resumes it); else says why not and
 * returns 2. */
int pt__trace_dir_usable(const char *cmd, const char *dir);

/* Bytes `dir` takes on disk (allocated blocks, as du counts them); 0 when unknown. */
uint64_t pt__trace_dir_bytes(const char *dir);

/* "212 KiB", "1.2 MiB". */
void pt__human_bytes(uint64_t n, char *buf, size_t len);

struct pt_collector_stats;
/* After a command's summary line: when the trace in `dir` could not be written whole (its disk
 * full), says so — what stays in DIR/rings, and how the traced program ended (`ended` exited
 * `status`; ended NULL: nothing to say about it) — and returns 125; else returns `status`. */
int pt__trace_incomplete(const char *dir, const struct pt_collector_stats *st, const char *ended,
                         int status);

#endif
