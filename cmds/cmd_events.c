/* cmd_events.c — `proftrace events`: every event of a trace, one strace-like line each. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/commands.h"
#include "cmds/event_filter.h"
#include "cmds/event_line.h"
#include "cmds/event_stack.h"
#include "cmds/trace_dir.h"
#include "proftrace/follow.h"
#include "proftrace/trace.h"

static void diag_print(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "proftrace events: %s\n", what);
}

enum { OPT_PID = PT__CLI_LONG, OPT_KIND, OPT_COUNT };

static const struct pt__cli_opt events_opts[] = {
    {OPT_PID, "pid", "N", "only process N"},
    PT__FILTER_OPT_TID,
    {OPT_KIND, "kind", "K",
     "only events of class K (RegQueryValueExA, process, lost ...) or of category K (REG, MAP, "
     "IMP, MAPI, SHM, FILE, PROC, CRED, NS, or call for every call)"},
    PT__FILTER_OPT_NAME,
    PT__FILTER_OPT_PATH,
    PT__FILTER_OPT_FAILED,
    PT__FILTER_OPT_SINCE,
    PT__FILTER_OPT_UNTIL,
    {'k', "stack", NULL,
     "under each event that recorded a stack, the stack, symbolized as report shows it (which "
     "events get one: PROFTRACE_STACKS)"},
    {'r', "relative", NULL,
     "times as report prints them, in seconds from the start of the trace (+0.194088s), "
     "instead of the wall clock"},
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
    .usage = "[OPTION...] [DIR]",
    .description =
        "Prints every event of the trace in DIR (default " PT_DEFAULT_DIR "), time-ordered "
        "across processes, one strace-like line each: the wall-clock time, [pid(/tid) program], "
        "the call with its arguments and result, nested calls indented by depth. Arguments show "
        "the names of their constants (O_RDWR|O_CREAT, PROT_READ, MAP_SHARED, KEY_READ, "
        "HKEY_CURRENT_USER, MAPI_EXTENDED, IPC_CREAT|0600, IPC_RMID); results and errors their "
        "names. The start of the trace, for --relative, --since and --until, is its first event, "
        "the time report counts from. Filters combine: an event is shown when it passes every "
        "one given. Damage in the trace is named on stderr (file, offset, reason) and "
        "everything still valid is printed.",
    .opts = events_opts,
    .sections = events_sections,
};

int pt_cmd_events(int argc, char **argv)
{
    struct pt__filter f = PT__FILTER_ANY;
    int count_only = 0, stacks = 0, relative = 0, c;
    long long n;
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_events_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0) {
        int taken = pt__filter_option(&f, &cli, c);
        if (taken < 0)
            return cli.status;
        if (taken)
            continue;
        switch (c) {
        case OPT_PID:
            if (pt__cli_number(&cli, 0, INT32_MAX, &n) < 0)
                return 2;
            f.pid = (long)n;
            break;
        case OPT_KIND:
            f.kind = cli.arg;
            break;
        case 'k':
            stacks = 1;
            break;
        case 'r':
            relative = 1;
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
    if (f.kind && !pt__kind_known(f.kind)) {
        fprintf(stderr, "proftrace events: unknown kind '%s' (an event class or a category)\n",
                f.kind);
        return 2;
    }
    if (pt__trace_dir_check("events", dir))
        return 2;
    struct pt_trace *t;
    if (pt_trace_open(dir, diag_print, NULL, &t) < 0)
        return 2;
    struct pt_rotation rot; /* a rotated trace: what is not there any more, said once */
    pt_rotation_read(dir, &rot);
    if (rot.dropped_chunks)
        fprintf(stderr,
                "proftrace events: %s: %" PRIu64 " events in %" PRIu64
                " chunks dropped by rotation before these\n",
                dir, rot.dropped_events, rot.dropped_chunks);
    struct pt__stacks *st = NULL;
    if (stacks && !count_only && !(st = pt__stacks_new())) {
        fprintf(stderr, "proftrace events: out of memory\n");
        pt_trace_close(t);
        return 2;
    }
    int64_t rt = pt_trace_realtime_offset(t);
    struct pt__procnames ns = {.width = 31};
    struct pt_event ev;
    uint64_t shown = 0, t0 = 0;
    int first = 1;
    while (pt_trace_next(t, &ev) > 0) {
        /* The start of the trace is its first event: the reader returns events in time order, so
         * it is the earliest, which is what report counts its +s times from. */
        if (first)
            t0 = ev.ts, first = 0;
        pt__procnames_note(&ns, &ev);
        if (st)
            pt__stacks_note(st, &ev);
        if (!pt__filter_match(&f, &ev, t0))
            continue;
        shown++;
        if (count_only)
            continue;
        if (relative)
            pt__event_line_rel(stdout, &ev, t0, pt__procnames_of(&ns, &ev));
        else
            pt__event_line(stdout, &ev, rt, pt__procnames_of(&ns, &ev));
        if (st)
            pt__stacks_print(st, stdout, &ev);
    }
    if (count_only)
        printf("%" PRIu64 "\n", shown);
    if (st)
        pt__stacks_notes(st, stderr, "proftrace events: ");
    struct pt_trace_stats ts;
    pt_trace_stats(t, &ts);
    pt_trace_close(t);
    pt__stacks_free(st);
    pt__procnames_free(&ns);
    if (fflush(stdout) != 0)
        return 2;
    return ts.damaged ? 2 : 0; /* what was valid is printed; the damage was named on stderr */
}
