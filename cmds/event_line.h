/* event_line.h — the strace-like event line `proftrace events` and `proftrace live` print, and the
 * pid -> program name table it needs. */
#ifndef PT_CMDS_EVENT_LINE_H
#define PT_CMDS_EVENT_LINE_H

#include <stdint.h>
#include <stdio.h>

#include "proftrace/trace.h"

struct pt__procname {
    uint32_t pid, stream;
    char name[64];
};

/* Program names by stream (one process image each) and pid, learnt from `process` events. Zero-initialise with `width` set: names are
 * cut to `width` bytes (at most 63). */
struct pt__procnames {
    struct pt__procname *v;
    size_t n, cap;
    int width;
};

/* On a `process` event with a non-empty exe, records the exe's last path component for its stream
 * and pid (replacing an earlier one of that stream). Other events are ignored; out of memory drops
 * the name. */
void pt__procnames_note(struct pt__procnames *ns, const struct pt_event *ev);

/* The name recorded for pid (the latest), or "?"; valid until the next note or free. */
const char *pt__procnames_get(const struct pt__procnames *ns, uint32_t pid);
/* The name of the process that wrote ev: its stream's, else its pid's (a collector's event about a
 * process), or "?". Two processes with the same pid (pid 1 of two containers whose host pids
 * could not be known) keep their own names. */
const char *pt__procnames_of(const struct pt__procnames *ns, const struct pt_event *ev);

void pt__procnames_free(struct pt__procnames *ns);

/* Prints `mono` (CLOCK_MONOTONIC ns) as local wall-clock HH:MM:SS.micros, rt = realtime - mono. */
void pt__put_time(FILE *out, uint64_t mono, int64_t rt);

/* Time from t0 in seconds, computed as `proftrace report` computes the +s times it prints. */
double pt__rel_seconds(uint64_t ts, uint64_t t0);
/* The same in microseconds, exactly as "%.6f" prints it (what --since/--until compare). */
int64_t pt__rel_us(uint64_t ts, uint64_t t0);

/* Prints one event: time, [pid(/tid) name], depth indentation, the formatted call, newline. */
void pt__event_line(FILE *out, const struct pt_event *ev, int64_t rt, const char *name);
/* The same with the time as report prints it: seconds since t0, "   +0.194088s". */
void pt__event_line_rel(FILE *out, const struct pt_event *ev, uint64_t t0, const char *name);

#endif
