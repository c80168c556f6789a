/* cmd_live.c — `proftrace live`: follows a trace directory while processes write it, printing new
 * events and findings as they appear.
 *
 * How it follows. live never talks to the collector: it reads the trace directory the way every
 * reader does (the CTF stream files the collector writes, plus the rings not yet drained, whose
 * open packets are read up to their committed bytes), so it works with `record`, with `collect`,
 * and with no collector at all, it needs no hook in the collector, detaching cannot disturb the
 * collection (everything is opened read-only), and any number of clients can follow at once.
 * Writers append to rings through shared mappings, which inotify does not see; so live wakes up on
 * inotify (new rings and streams, stream appends) or every PT_LIVE_TICK_MS, takes a cheap
 * fingerprint of the directory (stream sizes, each thread buffer's write position) and, only when
 * it changed, re-reads the trace: events a thread already showed (counted per pid/tid, a thread's
 * events are an append-only sequence) are skipped, the rest are printed. The analyzer has no
 * incremental interface, so each changed snapshot is analyzed from the start and the findings are
 * compared with those already printed (by what they are about: rule and deletion, whichever of
 * its holders comes first in this snapshot); a finding shows up on the first snapshot that
 * contains the event completing it, i.e. within one tick, and again, marked "updated", when later
 * events add to it (the victim's failing call). The cost of a snapshot grows with the trace: live
 * is for following a debugging session, `report` is for days-long traces.
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
#include "cmds/commands.h"
#include "cmds/event_filter.h"
#include "cmds/event_line.h"
#include "cmds/trace_dir.h"
#include "proftrace/trace.h"

#define PT_LIVE_TICK_MS 200
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

/* ---- Per-thread progress and per-process names ----------------------------------------------- */

struct thr {
    uint32_t pid, tid;
    uint64_t shown; /* events of this thread already printed (or skipped by filters) */
    uint64_t seen;  /* events of this thread in the current snapshot */
};
struct live {
    struct opts o;
    struct thr *thr;
    size_t nthr, capthr;
    struct pt__procnames procs; /* names cut to 63 bytes */
    char **fkey, **ftext; /* findings printed: key and block text */
    size_t nf, capf;
    char **diags;
    size_t ndiag;
    int64_t rt; /* CLOCK_REALTIME - CLOCK_MONOTONIC: live runs on the traced machine */
    FILE *out;  /* where a snapshot prints: a buffer, given to stdout once it proved consistent */
};

static struct thr *thr_of(struct live *l, uint32_t pid, uint32_t tid)
{
    for (size_t i = 0; i < l->nthr; i++)
        if (l->thr[i].pid == pid && l->thr[i].tid == tid)
            return &l->thr[i];
    if (l->nthr == l->capthr) {
        size_t nc = l->capthr ? 2 * l->capthr : 64;
        struct thr *n = realloc(l->thr, nc * sizeof *n);
        if (!n)
            return NULL;
        l->thr = n;
        l->capthr = nc;
    }
    l->thr[l->nthr] = (struct thr){pid, tid, 0, 0};
    return &l->thr[l->nthr++];
}

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

/* ---- Printing -------------------------------------------------------------------------------- */

static void put_time(struct live *l, uint64_t mono)
{
    pt__put_time(l->out, mono, l->rt);
}

static void print_event(struct live *l, const struct pt_event *ev)
{
    pt__event_line(l->out, ev, l->rt, pt__procnames_of(&l->procs, ev));
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

/* ---- Findings -------------------------------------------------------------------------------- */

static int finding_wanted(struct live *l, struct pt_analyzer *a, unsigned i, const char *text)
{
    const struct opts *o = &l->o;
    uint32_t d = pt_analyzer_finding_deleter_pid(a, i);
    int pid_in = o->f.pid < 0 || d == (uint32_t)o->f.pid;
    int exe_in = !o->exe || !strcmp(exe_of(l, d), o->exe);
    for (unsigned k = 0, n = pt_analyzer_finding_nholders(a, i); k < n; k++) { /* or any holder */
        uint32_t h = pt_analyzer_finding_holder_pid_at(a, i, k);
        pid_in |= h == (uint32_t)o->f.pid;
        exe_in |= o->exe && !strcmp(exe_of(l, h), o->exe);
    }
    if (!pid_in || !exe_in)
        return 0;
    if (o->f.kind && is_rule(o->f.kind) && strcmp(o->f.kind, pt_analyzer_finding_rule(a, i)))
        return 0;
    /* a finding's text names its calls and its resource: --name and --path look for theirs in it */
    if (o->f.name && !strstr(text, o->f.name))
        return 0;
    if (o->f.path && !strstr(text, o->f.path))
        return 0;
    return 1;
}

/* Print findings not printed yet, and those whose text grew. */
static void show_findings(struct live *l, struct pt_analyzer *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return;
    struct pt_report_opts ro = {.symbolize = 1, .disassemble = 0};
    pt_report_text(m, a, &ro);
    fclose(m);
    unsigned nf = pt_analyzer_nfindings(a);
    char *p = buf;
    for (unsigned i = 0; i < nf && p; i++) {
        char head[32];
        snprintf(head, sizeof head, "finding %u: ", i + 1);
        char *start = strstr(p, head);
        if (!start)
            break;
        char *end = strstr(start + 1, "\nfinding ");
        char *sum = strstr(start + 1, "\nsummary: ");
        if (!end || (sum && sum < end))
            end = sum;
        size_t blen = end ? (size_t)(end - start) + 1 : strlen(start);
        char *block = strndup(start + strlen(head), blen - strlen(head));
        p = end;
        if (!block)
            break;
        char key[256]; /* the same finding in every snapshot (its deletion) */
        pt_analyzer_finding_key(a, i, key, sizeof key);
        size_t k;
        for (k = 0; k < l->nf && strcmp(l->fkey[k], key); k++)
            ;
        if (k < l->nf && !strcmp(l->ftext[k], block)) {
            free(block);
            continue;
        }
        if (!finding_wanted(l, a, i, block)) {
            free(block);
            continue;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        put_time(l, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
        fprintf(l->out, " FINDING%s %s", k < l->nf ? " (updated)" : "", block);
        if (k < l->nf) {
            free(l->ftext[k]);
            l->ftext[k] = block;
            continue;
        }
        if (l->nf == l->capf) {
            size_t nc = l->capf ? 2 * l->capf : 16;
            char **a1 = realloc(l->fkey, nc * sizeof *a1), **a2;
            if (a1)
                l->fkey = a1;
            a2 = realloc(l->ftext, nc * sizeof *a2);
            if (a2)
                l->ftext = a2;
            if (!a1 || !a2) {
                free(block);
                continue;
            }
            l->capf = nc;
        }
        l->fkey[l->nf] = strdup(key);
        l->ftext[l->nf++] = block;
    }
    free(buf);
}

/* ---- One snapshot ---------------------------------------------------------------------------- */

/* Read the whole trace once: print what is new, then the findings. A reader that opened a stream
 * file before the collector appended to it and the ring after the collector marked that packet
 * drained would miss the packet for this one reading; so the output is held back and thrown away
 * (to be redone on the next tick) when the stream files changed while we read. Returns 0 when
 * printed, 1 when it must be redone, -1 when the directory is not a trace (yet). */
static int snapshot(struct live *l)
{
    struct pt_trace *t;
    struct pt_event ev;
    char *buf = NULL;
    size_t len = 0, nthr0 = l->nthr;
    uint64_t *shown0 = malloc((l->nthr + 1) * sizeof *shown0);
    uint64_t before = pt_trace_streams_fingerprint(l->o.dir);
    if (!shown0)
        return 1;
    for (size_t i = 0; i < l->nthr; i++)
        shown0[i] = l->thr[i].shown;
    if (pt_trace_open(l->o.dir, diag_once, l, &t) < 0) {
        free(shown0);
        return -1;
    }
    int64_t rt = pt_trace_realtime_offset(t);
    if (rt)
        l->rt = rt; /* the writers' own offset: times print exactly as `proftrace events` */
    l->out = open_memstream(&buf, &len);
    if (!l->out) {
        pt_trace_close(t);
        free(shown0);
        return 1;
    }
    struct pt_analyzer *a = pt_analyzer_new();
    for (size_t i = 0; i < l->nthr; i++)
        l->thr[i].seen = 0;
    while (pt_trace_next(t, &ev) > 0) {
        pt__procnames_note(&l->procs, &ev);
        if (a)
            pt_analyzer_feed(a, &ev);
        struct thr *th = thr_of(l, ev.pid, ev.tid);
        if (!th || ++th->seen <= th->shown)
            continue;
        th->shown = th->seen;
        if (event_wanted(l, &ev))
            print_event(l, &ev);
    }
    struct pt_trace_stats st;
    pt_trace_stats(t, &st);
    pt_trace_close(t);
    int redo = pt_trace_streams_fingerprint(l->o.dir) != before;
    if (a && !redo) {
        struct pt_analyzer_input in = {
            .streams = st.streams, .damaged = st.damaged, .dir = l->o.dir};
        pt_analyzer_finish(a, &in);
        show_findings(l, a);
    }
    if (a)
        pt_analyzer_free(a);
    fclose(l->out);
    l->out = NULL;
    if (redo) {
        for (size_t i = 0; i < l->nthr; i++)
            l->thr[i].shown = i < nthr0 ? shown0[i] : 0;
    } else if (len) {
        fwrite(buf, 1, len, stdout);
        fflush(stdout);
    }
    free(buf);
    free(shown0);
    return redo;
}

static void watch(int ifd, const char *dir)
{
    char path[PATH_MAX];
    const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE;
    inotify_add_watch(ifd, dir, mask);
    snprintf(path, sizeof path, "%s/rings", dir);
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
        "(within " PT__XSTR(PT_LIVE_TICK_MS) " ms), again marked updated when later events "
        "add to it. A DIR that does not exist yet is waited for. Read-only: stopping it (Ctrl-C) "
        "leaves the collection running, and several can follow one directory at once. The "
        "event filters are those of proftrace events and mean the same; a finding is shown when "
        "its deleter or holder passes --pid and --exe, and its text contains what --name and "
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
    int watching = 0, waiting_said = 0;
    uint64_t last_fp = 0;
    while (!stop) {
        if (!watching && stat(l.o.dir, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (ifd >= 0)
                watch(ifd, l.o.dir);
            watching = 1;
        } else if (!watching && !waiting_said) {
            fprintf(stderr, "proftrace live: waiting for %s to appear\n", l.o.dir);
            waiting_said = 1;
        }
        if (watching) {
            uint64_t fp = pt_trace_fingerprint(l.o.dir);
            if (fp != last_fp) {
                last_fp = fp;
                if (snapshot(&l) != 0)
                    last_fp = 0; /* not a trace yet, or read while the collector wrote: redo */
                if (ifd >= 0)
                    watch(ifd, l.o.dir); /* rings/ may have appeared since */
            }
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
    for (size_t i = 0; i < l.nf; i++) {
        free(l.fkey[i]);
        free(l.ftext[i]);
    }
    for (size_t i = 0; i < l.ndiag; i++)
        free(l.diags[i]);
    free(l.fkey);
    free(l.ftext);
    free(l.diags);
    free(l.thr);
    pt__procnames_free(&l.procs);
    return 0;
}
