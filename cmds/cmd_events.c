/* cmd_events.c — `proftrace events`: every event of a trace, one strace-like line each. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/commands.h"
#include "cmds/event_filter.h"
#include "cmds/event_line.h"
#include "cmds/trace_dir.h"
#include "proftrace/trace.h"

static void diag_print(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "proftrace events: %s\n", what);
}

enum { OPT_PID = PT__CLI_LONG, OPT_KIND, OPT_NAME, OPT_COUNT };

static const struct pt__cli_opt events_opts[] = {
    {OPT_PID, "pid", "N", "only process N"},
    {OPT_KIND, "kind", "K",
     "only events of class K (RegQueryValueExA, process, lost ...) or of category K (REG, MAP, "
     "IMP, MAPI, SHM, FILE, PROC, CRED, NS, or call for every call)"},
    {OPT_NAME, "name", "SUBSTR", "only events whose class name contains SUBSTR"},
    {OPT_COUNT, "count", NULL, "print only the number of events (after the filters)"},
    {0},
};

static const struct pt__cli_section events_sections[] = {
    {"Exit status", "0 every event printed; 2 damage in the trace (named on stderr, everything "
                    "still valid printed), a usage error, or DIR is not a readable trace."},
    {0},
};

const struct pt__cli_doc pt_cmd_events_doc = {
    .name = "events",
    .summary = "every event, one line each, time-ordered across processes",
    .usage = "[--pid=N] [--kind=K] [--name=SUBSTR] [--count] [DIR]",
    .description =
        "Prints every event of the trace in DIR (default " PT_DEFAULT_DIR "), time-ordered "
        "across processes, one strace-like line each: the wall-clock time, [pid(/tid) program], "
        "the call with its arguments and result, nested calls indented by depth. Damage in the "
        "trace is named on stderr (file, offset, reason) and everything still valid is printed.",
    .opts = events_opts,
    .sections = events_sections,
};

int pt_cmd_events(int argc, char **argv)
{
    long pid = -1;
    const char *kind = NULL, *name = NULL;
    int count_only = 0, c;
    long long n;
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_events_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0) {
        switch (c) {
        case OPT_PID:
            if (pt__cli_number(&cli, 0, INT32_MAX, &n) < 0)
                return 2;
            pid = (long)n;
            break;
        case OPT_KIND:
            kind = cli.arg;
            break;
        case OPT_NAME:
            name = cli.arg;
            break;
        case OPT_COUNT:
            count_only = 1;
            break;
        }
    }
    if (c < 0)
        return cli.status;
    const char *dir = pt__cli_dir_operand(&cli);
    if (!dir)
        return cli.status;
    if (kind && !pt__kind_known(kind)) {
        fprintf(stderr, "proftrace events: unknown kind '%s' (an event class or a category)\n",
                kind);
        return 2;
    }
    if (pt__trace_dir_check("events", dir))
        return 2;
    struct pt_trace *t;
    if (pt_trace_open(dir, diag_print, NULL, &t) < 0)
        return 2;
    int64_t rt = pt_trace_realtime_offset(t);
    struct pt__procnames ns = {.width = 31};
    struct pt_event ev;
    uint64_t shown = 0;
    while (pt_trace_next(t, &ev) > 0) {
        pt__procnames_note(&ns, &ev);
        if (pid >= 0 && ev.pid != (uint32_t)pid)
            continue;
        if (kind && !pt__kind_matches(&ev, kind))
            continue;
        if (name && !strstr(pt_event_name(ev.id) ? pt_event_name(ev.id) : "", name))
            continue;
        shown++;
        if (count_only)
            continue;
        pt__event_line(stdout, &ev, rt, pt__procnames_get(&ns, ev.pid));
    }
    if (count_only)
        printf("%" PRIu64 "\n", shown);
    struct pt_trace_stats st;
    pt_trace_stats(t, &st);
    pt_trace_close(t);
    pt__procnames_free(&ns);
    if (fflush(stdout) != 0)
        return 2;
    return st.damaged ? 2 : 0; /* what was valid is printed; the damage was named on stderr */
}
