/* cmd_live.c — `proftrace live`: follows a trace directory while processes write it, printing new
 * events and findings as they appear.
 *
 * How it follows. live never talks to the collector: it reads the trace directory the way every
 * reader does (the CTF stream files the collector writes, the rings not yet drained, whose open
 * packets are read up to their committed bytes, and the chunks of a rotated trace), so it works
 * with `record`, with `collect`, and with no collector at all, it needs no hook in the collector,
 * detaching cannot disturb the collection (everything is opened read-only), and any number of
 * clients can follow at once. It is the analyzer's follower (analyzer/follower.h): each wake-up
 * (inotify on new rings, streams and chunks, or every PT_LIVE_TICK_MS, since writers append to
 * rings through shared mappings, which inotify does not see) reads only what was written since,
 * feeds it to one model kept between wake-ups, and prints the events; the findings of the model
 * as it stands are compared with those already printed (by what they are about: rule and
 * deletion, whichever of its holders comes first), so a finding shows up as soon as the event
 * completing it is read, and again, marked "updated", when later events add to it (the victim's
 * failing call). Events are fed once the horizon (PT_LIVE_LAG_MS behind now) has passed them, so an
 * event another thread was still writing cannot come out behind a newer one. A rotated trace starts
 * from its oldest chunk's checkpoint: a finding whose hold began in a dropped chunk is shown with
 * the hold's own time. CPU over a run is about one `report` pass; memory follows the live state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/analyzer.h"
#include "analyzer/follower.h"
#include "cmds/commands.h"
#include "cmds/event_filter.h"
#include "cmds/event_line.h"
#include "cmds/trace_dir.h"
#include "proftrace/trace.h"

#define PT_LIVE_TICK_MS 200
#define PT_LIVE_LAG_MS 500
#define PT__STR(x) #x
#define PT__XSTR(x) PT__STR(x) /* a macro's value as text, for the documentation */

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

struct opts {
    const char *dir;
    struct pt__filter f; /* the events' filter, shared with `proftrace events` */
    const char *exe;
    int findings_only;
};

struct live {
    struct opts o;
    struct pt__procnames procs; /* names cut to 63 bytes */
    char **diags;
    size_t ndiag;
    int64_t rt; /* CLOCK_REALTIME - CLOCK_MONOTONIC: live runs on the traced machine */
    struct pt_follower *fl;
};

static const char *exe_of(struct live *l, uint32_t pid)
{
    return pt__procnames_get(&l->procs, pid);
}

/* ---- Filters ------------------------------------------------------------------------------ */

/* Finding rules (the analyzer's table, docs/report-json.md): a --kind naming one selects those
 * findings (and no events). */
static int is_rule(const char *kind)
{
    for (unsigned i = 0; pt_analyzer_rule_name(i); i++)
        if (!strcmp(kind, pt_analyzer_rule_name(i)))
            return 1;
    return 0;
}

static int kind_known(const char *kind)
{
    return is_rule(kind) || pt__kind_known(kind);
}

static int event_wanted(struct live *l, const struct pt_event *ev)
{
    const struct opts *o = &l->o;
    if (o->findings_only)
        return 0;
    if (o->exe && strcmp(pt__procnames_of(&l->procs, ev), o->exe) != 0)
        return 0;
    return pt__filter_match(&o->f, ev, 0);
}

/* Is one of the finding's processes program `exe`? By the names its events gave, or (a process
 * whose events were in dropped chunks) by the executable the model carried. */
static int finding_exe(struct live *l, uint32_t pid, const char *path, const char *exe)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    return !strcmp(exe_of(l, pid), exe) || !strcmp(base, exe);
}

static int finding_wanted(struct live *l, const struct pt_finding_note *n)
{
    const struct opts *o = &l->o;
    int pid_in = o->f.pid < 0 || n->deleter_pid == (uint32_t)o->f.pid;
    int exe_in = !o->exe || finding_exe(l, n->deleter_pid, n->deleter_exe, o->exe) ||
                 finding_exe(l, n->holder_pid, n->holder_exe, o->exe);
    unsigned nh = pt_analyzer_finding_nholders(n->analyzer, n->index);
    for (unsigned k = 0; k < nh; k++) { /* or any of its holders */
        uint32_t h = pt_analyzer_finding_holder_pid_at(n->analyzer, n->index, k);
        pid_in |= h == (uint32_t)o->f.pid;
        exe_in |= o->exe && !strcmp(exe_of(l, h), o->exe);
    }
    if (!pid_in || !exe_in)
        return 0;
    if (o->f.kind && is_rule(o->f.kind) && strcmp(o->f.kind, n->rule))
        return 0;
    /* a finding's text names its calls and its resource: --name and --path look for theirs in it */
    if (o->f.name && !strstr(n->text, o->f.name))
        return 0;
    if (o->f.path && !strstr(n->text, o->f.path))
        return 0;
    return 1;
}

/* ---- What the follower gives ----------------------------------------------------------------- */

static void on_event(void *arg, const struct pt_event *ev)
{
    struct live *l = arg;
    pt__procnames_note(&l->procs, ev);
    if (event_wanted(l, ev))
        pt__event_line(stdout, ev, l->rt, pt__procnames_of(&l->procs, ev));
}

static void on_finding(void *arg, const struct pt_finding_note *n)
{
    struct live *l = arg;
    if (!finding_wanted(l, n))
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pt__put_time(stdout, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec, l->rt);
    fprintf(stdout, " FINDING%s %s", n->updated ? " (updated)" : "", n->text);
}

static void diag_once(void *arg, const char *what)
{
    struct live *l = arg;
    for (size_t i = 0; i < l->ndiag; i++)
        if (!strcmp(l->diags[i], what))
            return;
    char **n = realloc(l->diags, (l->ndiag + 1) * sizeof *n);
    if (!n)
        return;
    l->diags = n;
    l->diags[l->ndiag++] = strdup(what);
    fprintf(stderr, "proftrace live: %s\n", what);
}

/* Events that reached the model behind newer ones (their stream was read later than the lag): said
 * when they first do, and when live stops if more did since. */
static void say_late(struct live *l, int end)
{
    char buf[256];
    const char *what = pt_follower_late_news(l->fl, end, buf, sizeof buf);
    if (what)
        fprintf(stderr, "proftrace live: %s\n", what);
}

static void watch(int ifd, const char *dir)
{
    char path[PATH_MAX];
    const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE;
    inotify_add_watch(ifd, dir, mask);
    snprintf(path, sizeof path, "%s/rings", dir);
    inotify_add_watch(ifd, path, mask);
    snprintf(path, sizeof path, "%s/chunks", dir);
    inotify_add_watch(ifd, path, mask);
}

enum { OPT_PID = PT__CLI_LONG, OPT_EXE, OPT_KIND, OPT_FINDINGS };

static const struct pt__cli_opt live_opts[] = {
    {OPT_PID, "pid", "N", "events of process N; findings where N deleted or held"},
    {OPT_EXE, "exe", "NAME", "events of programs named NAME; findings where NAME deleted or held"},
    PT__FILTER_OPT_TID,
    PT__FILTER_OPT_NAME,
    PT__FILTER_OPT_PATH,
    PT__FILTER_OPT_FAILED,
    {OPT_KIND, "kind", "K",
     "events of class K or category K (REG, MAP, IMP, MAPI, SHM, FILE, PROC, CRED, NS, or call); "
     "a rule name (cross-namespace-purge, deleted-while-held, latent-purge-hazard) selects those "
     "findings"},
    {OPT_FINDINGS, "findings", NULL, "findings only"},
    {0},
};

static const struct pt__cli_section live_sections[] = {
    {"Exit status", "0 when stopped (SIGINT, SIGTERM, SIGHUP, or the reader of its output gone); "
                    "2 usage error, or DIR exists and holds something other than a trace."},
    {0},
};

const struct pt__cli_doc pt_cmd_live_doc = {
    .name = "live",
    .summary = "follow a running collection: events and findings as they happen",
    .usage = "[OPTION...] [DIR]",
    .description =
        "Follows the trace directory DIR (default $PROFTRACE_DIR, else " PT_DEFAULT_DIR ") while "
        "a record or a collect, or traced processes alone, write it, printing new events as "
        "proftrace events does and each finding as soon as the event completing it is written "
        "(within " PT__XSTR(PT_LIVE_TICK_MS) " ms, plus the " PT__XSTR(PT_LIVE_LAG_MS) " ms that "
        "keep events in order), again marked updated when later events add to it. Each wake-up "
        "reads only what was written since the last; a rotated trace (--max-size, --max-age) is "
        "followed across its chunks, from its oldest chunk's checkpoint. A DIR that does not exist "
        "yet is waited for. Read-only: stopping it (Ctrl-C) "
        "leaves the collection running, and several can follow one directory at once. The "
        "event filters are those of proftrace events and mean the same; a finding is shown when "
        "its deleter or one of its holders passes --pid and --exe, and its text contains what --name and "
        "--path give.",
    .opts = live_opts,
    .sections = live_sections,
};

int pt_cmd_live(int argc, char **argv)
{
    struct live l = {.o = {.f = PT__FILTER_ANY}, .procs = {.width = 63}};
    int c;
    long long n;
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_live_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0) {
        int taken = pt__filter_option(&l.o.f, &cli, c);
        if (taken < 0)
            return cli.status;
        if (taken)
            continue;
        switch (c) {
        case OPT_PID:
            if (pt__cli_number(&cli, 0, INT32_MAX, &n) < 0)
                return 2;
            l.o.f.pid = (long)n;
            break;
        case OPT_EXE:
            l.o.exe = cli.arg;
            break;
        case OPT_KIND:
            l.o.f.kind = cli.arg;
            break;
        case OPT_FINDINGS:
            l.o.findings_only = 1;
            break;
        }
    }
    if (c < 0)
        return cli.status;
    if (cli.noperands > 1)
        return pt__cli_usage_error(&cli, "one trace directory only ('%s' and '%s')",
                                   cli.operands[0], cli.operands[1]);
    if (l.o.f.kind && !kind_known(l.o.f.kind)) {
        fprintf(stderr, "proftrace live: unknown kind '%s' (an event class or a category)\n",
                l.o.f.kind);
        return 2;
    }
    const char *env = getenv("PROFTRACE_DIR");
    l.o.dir = cli.noperands ? cli.operands[0] : env && *env ? env : PT_DEFAULT_DIR;
    int state = pt__trace_dir_state(l.o.dir);
    if (state == PT__DIR_OTHER || state == PT__DIR_NOT_DIR) /* absent or empty: waited for */
        return pt__trace_dir_check("live", l.o.dir);

    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    l.rt = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 + (rt.tv_nsec - mono.tv_nsec);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    struct stat st;
    int waiting_said = 0, status = 0;
    while (!stop) {
        if (!l.fl && stat(l.o.dir, &st) == 0 && S_ISDIR(st.st_mode)) {
            struct pt_follower_opts fo = {
                .dir = l.o.dir,
                .restore = PT_RESTORE_OLDEST,
                .lag_ns = PT_LIVE_LAG_MS * 1000000ull,
                .on_finding = on_finding,
                .on_finding_arg = &l,
                .on_event = on_event,
                .on_event_arg = &l,
                .diag = diag_once,
                .diag_arg = &l,
            };
            if (pt_follower_open(&fo, &l.fl) < 0) {
                status = 2;
                break;
            }
        } else if (!l.fl && !waiting_said) {
            fprintf(stderr, "proftrace live: waiting for %s to appear\n", l.o.dir);
            waiting_said = 1;
        }
        if (l.fl) {
            if (ifd >= 0)
                watch(ifd, l.o.dir); /* rings/ and chunks/ may have appeared since */
            int64_t rt_off = pt_follower_realtime_offset(l.fl);
            if (rt_off) /* the writers' own offset: times print exactly as `proftrace events` */
                l.rt = rt_off;
            if (pt_follower_step(l.fl, 0) < 0) {
                status = 2;
                break;
            }
            say_late(&l, 0);
        }
        if (ferror(stdout))
            break; /* the reader went away */
        struct pollfd pfd = {.fd = ifd, .events = POLLIN};
        if (poll(&pfd, ifd >= 0 ? 1 : 0, PT_LIVE_TICK_MS) > 0) {
            char buf[4096];
            while (read(ifd, buf, sizeof buf) > 0)
                ;
        }
    }
    if (ifd >= 0)
        close(ifd);
    if (l.fl)
        say_late(&l, 1);
    pt_follower_close(l.fl);
    for (size_t i = 0; i < l.ndiag; i++)
        free(l.diags[i]);
    free(l.diags);
    pt__procnames_free(&l.procs);
    return status;
}
