/* read_trace.c — reads a trace directory through the tracer's reader into any event consumer. */
#include <errno.h>
#include <stdio.h>

#include "analyzer/read_trace.h"

#include "proftrace/trace.h"

void pt__diag_capped(void *arg, const char *what)
{
    struct pt__diag_cap *c = arg;
    c->n++;
    if (c->out && c->n <= 20)
        fprintf(c->out, "proftrace: %s\n", what);
    else if (c->out && c->n == 21)
        fprintf(c->out, "proftrace: further problems in the input are counted, not shown\n");
}

int pt__read_trace(const char *dir, FILE *diag, void (*feed)(void *arg, const struct pt_event *ev),
                   void *arg, struct pt_analyzer_input *in)
{
    struct pt__diag_cap dc = {diag, 0};
    struct pt_trace *t = NULL;
    int rc = pt_trace_open(dir, pt__diag_capped, &dc, &t);
    if (rc < 0)
        goto out;
    pt_trace_each(t, feed, arg);
    struct pt_trace_stats st;
    pt_trace_stats(t, &st);
    *in = (struct pt_analyzer_input){
        .streams = st.streams, .damaged = st.damaged > dc.n ? st.damaged : dc.n, .dir = dir};
    rc = 0;
out:
    if (t)
        pt_trace_close(t);
    return rc;
}
