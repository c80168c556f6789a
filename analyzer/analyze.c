/* analyze.c — runs the analyzer over a trace directory through the tracer's reader. */
#include <errno.h>
#include <stdio.h>

#include "analyzer/analyzer.h"
#include "analyzer/read_trace.h"

static void feed(void *a, const struct pt_event *ev)
{
    pt_analyzer_feed(a, ev);
}

int pt_analyze_dir(const char *dir, FILE *diag, struct pt_analyzer **out, uint64_t *damaged)
{
    struct pt_analyzer *a = pt_analyzer_new();
    struct pt_analyzer_input in;
    int rc = a ? pt__read_trace(dir, diag, feed, a, &in) : -ENOMEM;
    if (rc < 0)
        goto out;
    /* the reader's lost count includes the `lost` markers the analyzer sees itself */
    pt_analyzer_finish(a, &in);
    *damaged = in.damaged;
    *out = a;
    a = NULL;
out:
    pt_analyzer_free(a);
    return rc;
}
