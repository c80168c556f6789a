/* analyze.c — runs the analyzer over a trace directory through the tracer's reader. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "analyzer/analyzer.h"
#include "analyzer/follower.h"
#include "analyzer/read_trace.h"

static void feed(void *a, const struct pt_event *ev)
{
    pt_analyzer_feed(a, ev);
}

int pt_analyze_dir(const char *dir, FILE *diag, struct pt_analyzer **out, uint64_t *damaged)
{
    struct stat st;
    char chunks[4200];
    snprintf(chunks, sizeof chunks, "%s/chunks", dir);
    if (lstat(chunks, &st) == 0 && S_ISDIR(st.st_mode)) { /* rotated: its checkpoint first */
        struct pt__diag_cap dc = {diag, 0};
        return pt__follow_dir(dir, pt__diag_capped, &dc, out, damaged);
    }
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
