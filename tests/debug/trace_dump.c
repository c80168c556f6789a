/* trace_dump.c — test helper: every event of a trace directory, one canonical line each (all
 * fields, exact timestamps), so two readings of the same events compare with diff. */
#include <inttypes.h>
#include <stdio.h>

#include "proftrace/trace.h"

static void diag(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "trace_dump: %s\n", what);
}

int main(int argc, char **argv)
{
    struct pt_trace *t;
    struct pt_event ev;
    if (argc != 2) {
        fprintf(stderr, "usage: trace_dump DIR\n");
        return 2;
    }
    if (pt_trace_open(argv[1], diag, NULL, &t) < 0)
        return 2;
    while (pt_trace_next(t, &ev) > 0) {
        const char *name = pt_event_name(ev.id);
        printf("%" PRIu64 " %u/%u %s", ev.ts, ev.pid, ev.tid, name ? name : "?");
        if (ev.id >= PT_EV_CALL_FIRST)
            printf(" enter=%" PRIu64 " depth=%u ret=%" PRId64 " err=%d", ev.ts_enter, ev.depth,
                   ev.ret, ev.err);
        for (unsigned i = 0; i < ev.nfields; i++) {
            const struct pt_value *v = &ev.field[i];
            const char *fname = pt_event_field_name(&ev, i);
            if (pt_event_field_wire(&ev, i) == PT_WIRE_STR)
                printf(" %s=\"%.*s\"", fname, (int)v->str.len, v->str.s);
            else
                printf(" %s=%" PRIu64, fname, v->u);
        }
        for (unsigned i = 0; i < ev.nframes; i++)
            printf(" #%" PRIx64, ev.frame[i]);
        putchar('\n');
    }
    pt_trace_close(t);
    return 0;
}
