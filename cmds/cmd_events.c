/* cmd_events.c — `proftrace events`: every event of a trace, one strace-like line each. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/commands.h"
#include "cmds/event_filter.h"
#include "cmds/event_line.h"
#include "proftrace/trace.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: proftrace events [--pid N] [--kind CLASS|CATEGORY] [--name SUBSTR] DIR\n"
               "\n"
               "Prints every event of the trace in DIR, time-ordered across processes, one line\n"
               "each: wall-clock time, [pid(/tid) program], the call with its arguments and\n"
               "result (nested calls indented by depth). Damage in the trace is reported on\n"
               "stderr (file, offset, reason), everything still valid is printed, and the exit\n"
               "status is 2 (0 for a whole trace).\n"
               "\n"
               "  --pid N        only process N\n"
               "  --kind K       only event class K (e.g. RegQueryValueExA, process, lost) or\n"
               "                 category K (REG MAP IMP MAPI SHM FILE PROC CRED NS, or 'call')\n"
               "  --name SUBSTR  only events whose class name contains SUBSTR\n"
               "  --count        print only the number of events (after filters)\n");
}

static void diag_print(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "proftrace events: %s\n", what);
}

int pt_cmd_events(int argc, char **argv)
{
    static const struct option opts[] = {{"pid", required_argument, 0, 'p'},
                                         {"kind", required_argument, 0, 'k'},
                                         {"name", required_argument, 0, 'n'},
                                         {"count", no_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long pid = -1;
    const char *kind = NULL, *name = NULL;
    int count_only = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:k:n:ch", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (pt__parse_pid("events", optarg, &pid) < 0)
                return 2;
            break;
        case 'k': kind = optarg; break;
        case 'n': name = optarg; break;
        case 'c': count_only = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    if (kind && !pt__kind_known(kind)) {
        fprintf(stderr, "proftrace events: unknown kind '%s' (an event class or a category)\n",
                kind);
        return 2;
    }
    struct pt_trace *t;
    if (pt_trace_open(argv[optind], diag_print, NULL, &t) < 0)
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
