/* analyze.c — runs the analyzer over a trace directory through the tracer's reader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"

#ifdef PT_HAVE_TRACER
#include "proftrace/trace.h"

struct diag_ctx {
    FILE *out;
    uint64_t n;
};

static void on_diag(void *arg, const char *what)
{
    struct diag_ctx *c = arg;
    c->n++;
    if (c->out && c->n <= 20)
        fprintf(c->out, "proftrace: %s\n", what);
    else if (c->out && c->n == 21)
        fprintf(c->out, "proftrace: further problems in the input are counted, not shown\n");
}

int pt_analyze_dir(const char *dir, FILE *diag, struct pt_analyzer **out, uint64_t *damaged)
{
    struct diag_ctx dc = {diag, 0};
    struct pt_trace *t = NULL;
    struct pt_event *ev = NULL;
    struct pt_analyzer *a = NULL;
    int rc = pt_trace_open(dir, on_diag, &dc, &t);
    if (rc < 0)
        goto out;
    rc = -ENOMEM;
    ev = malloc(sizeof *ev);
    a = pt_analyzer_new();
    if (!ev || !a)
        goto out;
    while (pt_trace_next(t, ev) == 1)
        pt_analyzer_feed(a, ev);
    struct pt_trace_stats st;
    pt_trace_stats(t, &st);
    struct pt_analyzer_input in = {
        .streams = st.streams, .damaged = st.damaged > dc.n ? st.damaged : dc.n, .dir = dir};
    /* the reader's lost count includes the `lost` markers the analyzer sees itself */
    pt_analyzer_finish(a, &in);
    *damaged = in.damaged;
    *out = a;
    a = NULL;
    rc = 0;
out:
    pt_analyzer_free(a);
    free(ev);
    if (t)
        pt_trace_close(t);
    return rc;
}

#else

int pt_analyze_dir(const char *dir, FILE *diag, struct pt_analyzer **out, uint64_t *damaged)
{
    if (diag)
        fprintf(diag, "proftrace: %s: cannot read traces: built without the tracer (pt_tracer)\n",
                dir);
    return -ENOSYS;
}

#endif
