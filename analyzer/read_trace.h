/* read_trace.h — reads a trace directory through the tracer's reader into any event consumer. */
#ifndef PT_ANALYZER_READ_TRACE_H
#define PT_ANALYZER_READ_TRACE_H

#include <stdio.h>

#include "analyzer/analyzer.h"

/* Hands every event of the trace in `dir` to feed(arg, ev), in the reader's order, then fills
 * `in` (streams, damaged, dir) for the consumer's finish step. Reader problems go to `diag` (the
 * first 20, then one line saying the rest are counted); `diag` may be NULL. Returns 0, a negative
 * errno from opening the trace, or -ENOMEM.
 * `in->dir` points at `dir`, so it lives as long as the caller's string. */
/* A reader's diagnostics callback (pt_trace_diag_fn) that prints the first 20 problems to `out`
 * (NULL: none), then one line saying the rest are counted; `n` counts them all. */
struct pt__diag_cap {
    FILE *out;
    uint64_t n;
};
void pt__diag_capped(void *arg, const char *what);

int pt__read_trace(const char *dir, FILE *diag, void (*feed)(void *arg, const struct pt_event *ev),
                   void *arg, struct pt_analyzer_input *in);

#endif
