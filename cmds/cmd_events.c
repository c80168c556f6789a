/* cmd_events.c — `proftrace events`: every event of a trace, one strace-like line each. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmds/commands.h"
#include "proftrace/calls.h"
#include "proftrace/trace.h"

static const char *const categories[] = {
#define CAT(c) #c,
    PT_CATEGORIES(CAT)
#undef CAT
};

static const unsigned char call_category[] = {
#define ROW(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CAT_##cat,
    PT_CALLS(ROW, _)
#undef ROW
};

static void usage(FILE *f)
{
    fprintf(f, "usage: proftrace events [--pid N] [--kind CLASS|CATEGORY] [--name SUBSTR] DIR\n"
               "\n"
               "Prints every event of the trace in DIR, time-ordered across processes, one line\n"
               "each: wall-clock time, [pid(/tid) program], the call with its arguments and\n"
               "result (nested calls indented by depth). Damage in the trace is reported on\n"
               "stderr (file, offset, reason) and everything still valid is printed.\n"
               "\n"
               "  --pid N        only process N\n"
               "  --kind K       only event class K (e.g. RegQueryValueExA, process, lost) or\n"
               "                 category K (REG MAP IMP MAPI SHM FILE PROC CRED NS, or 'call')\n"
               "  --name SUBSTR  only events whose class name contains SUBSTR\n"
               "  --count        print only the number of events (after filters)\n");
}

struct pname {
    uint32_t pid;
    char name[32];
};

struct names {
    struct pname *v;
    size_t n, cap;
};

static const char *name_of(struct names *ns, uint32_t pid)
{
    for (size_t i = ns->n; i-- > 0;)
        if (ns->v[i].pid == pid)
            return ns->v[i].name;
    return "?";
}

static void set_name(struct names *ns, uint32_t pid, const char *exe, uint32_t len)
{
    const char *base = exe;
    for (uint32_t i = 0; i < len; i++)
        if (exe[i] == '/')
            base = exe + i + 1;
    size_t blen = (size_t)(exe + len - base);
    for (size_t i = 0; i < ns->n; i++)
        if (ns->v[i].pid == pid) {
            snprintf(ns->v[i].name, sizeof ns->v[i].name, "%.*s", (int)blen, base);
            return;
        }
    if (ns->n == ns->cap) {
        size_t nc = ns->cap ? 2 * ns->cap : 64;
        struct pname *v = realloc(ns->v, nc * sizeof *v);
        if (!v)
            return;
        ns->v = v;
        ns->cap = nc;
    }
    ns->v[ns->n].pid = pid;
    snprintf(ns->v[ns->n].name, sizeof ns->v[ns->n].name, "%.*s", (int)blen, base);
    ns->n++;
}

static int kind_matches(const struct pt_event *ev, const char *kind)
{
    const char *name = pt_event_name(ev->id);
    if (name && !strcmp(name, kind))
        return 1;
    int is_call = ev->id >= PT_EV_CALL_FIRST;
    if (!strcasecmp(kind, "call"))
        return is_call;
    if (is_call && ev->id - PT_EV_CALL_FIRST < PT_CALL_COUNT) {
        unsigned cat = call_category[ev->id - PT_EV_CALL_FIRST];
        return !strcasecmp(kind, categories[cat]);
    }
    return 0;
}

static int kind_known(const char *kind)
{
    if (!strcasecmp(kind, "call"))
        return 1;
    for (unsigned i = 0; i < PT_CAT_COUNT; i++)
        if (!strcasecmp(kind, categories[i]))
            return 1;
    for (unsigned id = 0; pt_event_name(id); id++)
        if (!strcmp(pt_event_name(id), kind))
            return 1;
    return 0;
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
        case 'p': {
            char *end;
            pid = strtol(optarg, &end, 10);
            if (*end || pid < 0) {
                fprintf(stderr, "proftrace events: --pid wants a number, not '%s'\n", optarg);
                return 2;
            }
            break;
        }
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
    if (kind && !kind_known(kind)) {
        fprintf(stderr, "proftrace events: unknown kind '%s' (an event class or a category)\n",
                kind);
        return 2;
    }
    struct pt_trace *t;
    if (pt_trace_open(argv[optind], diag_print, NULL, &t) < 0)
        return 2;
    int64_t rt = pt_trace_realtime_offset(t);
    struct names ns = {0};
    struct pt_event ev;
    char line[8192];
    uint64_t shown = 0;
    while (pt_trace_next(t, &ev) > 0) {
        if (ev.id == PT_EV_process) {
            const struct pt_value *exe = pt_event_field(&ev, "exe");
            if (exe && exe->str.len)
                set_name(&ns, ev.pid, exe->str.s, exe->str.len);
        }
        if (pid >= 0 && ev.pid != (uint32_t)pid)
            continue;
        if (kind && !kind_matches(&ev, kind))
            continue;
        if (name && !strstr(pt_event_name(ev.id) ? pt_event_name(ev.id) : "", name))
            continue;
        shown++;
        if (count_only)
            continue;
        int64_t wall = (int64_t)ev.ts + rt;
        time_t secs = (time_t)(wall / 1000000000);
        struct tm tm;
        localtime_r(&secs, &tm);
        pt_event_format(&ev, line, sizeof line);
        char who[64];
        if (ev.tid && ev.tid != ev.pid)
            snprintf(who, sizeof who, "%u/%u", ev.pid, ev.tid);
        else
            snprintf(who, sizeof who, "%u", ev.pid);
        printf("%02d:%02d:%02d.%06ld [%s %s] %*s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
               (long)(wall % 1000000000 / 1000), who, name_of(&ns, ev.pid), 2 * ev.depth, "",
               line);
    }
    if (count_only)
        printf("%" PRIu64 "\n", shown);
    struct pt_trace_stats st;
    pt_trace_stats(t, &st);
    pt_trace_close(t);
    free(ns.v);
    if (fflush(stdout) != 0)
        return 2;
    return 0;
}
