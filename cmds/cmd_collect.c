/* cmd_collect.c — `proftrace collect`: system-wide mode, drains the rings of every process that was
 * given the printed environment, and of the running processes it attaches to (--attach), until
 * SIGINT/SIGTERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds/attached.h"
#include "cmds/collect_alert.h"
#include "cmds/commands.h"
#include "cmds/diag_stream.h"
#include "cmds/rotation.h"
#include "cmds/sd_notify.h"
#include "cmds/trace_dir.h"
#include "tracer/collector.h"
#include "tracer/perm.h"
#include "tracer/placement.h"
#include "tracer/witness.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
    pt_attach_cancel(); /* an attach under way gives up (the process is given back) */
}

/* Each finding of the follower's, as it happens: a line on stderr, and, the first time, to the
 * journal and --on-finding; once more when its victim came after that (the holder failed later
 * than the 2 s a new finding waits for). Other growth is not sent again. */
static void on_finding(void *arg, const struct pt_finding_note *n)
{
    pt__finding_line("collect", n);
    if (!n->updated || n->victim_update)
        pt__collect_alert_finding(arg, n->analyzer, n->index, n->victim_update ? "victim" : NULL);
}

enum { OPT_INTERVAL = PT__CLI_LONG, OPT_NO_LOSS, OPT_WITNESS_ALL, OPT_ATTACH };

static const struct pt__cli_opt collect_opts[] = {
    {'o', "output", "DIR",
     "the trace directory (required; created if needed, resumed if it holds a trace); an "
     "existing one must be yours and closed to other users"},
    {OPT_ATTACH, "attach", "PID,...",
     "also trace these running processes (a comma-separated list of pids) and what they fork "
     "from then on, their holds since before the attach included; repeatable. They are detached "
     "at SIGINT/SIGTERM and run on untraced"},
    {OPT_NO_LOSS, "no-loss", "[MS]",
     "the printed environment (PROFTRACE_NOLOSS=MS) makes a thread whose buffer is full wait for "
     "the collector instead of losing events, at most MS milliseconds without progress, from 1 "
     "to 600000 (default 1000); so do processes --attach adds"},
    {OPT_INTERVAL, "interval", "MS",
     "drain the rings at least every MS milliseconds, from 1 to 10000 (default 20); writers "
     "also wake the collector when their buffers fill"},
    {OPT_WITNESS_ALL, "witness-all", NULL,
     "witness system-wide clean-ups too: every SysV segment removed in the IPC namespaces of "
     "traced processes and everything deleted in their /dev/shm, whoever held it (other users' "
     "names included); without it only deletions of what traced processes hold are recorded"},
    PT__COLLECT_ALERT_OPTS,
    PT__ROTATE_OPT_MAX_SIZE,
    PT__ROTATE_OPT_MAX_AGE,
    {0},
};

static const struct pt__cli_section collect_sections[] = {
    PT__COLLECT_ALERT_SECTION,
    {"Exit status", "0 after SIGINT or SIGTERM; 2 usage error, a directory that cannot hold a "
                    "trace, a process --attach cannot attach to, or a failure of the collector "
                    "(said on stderr); 125 when the trace could not be written whole (its disk "
                    "full): what could not be written stays in DIR/rings, where every proftrace "
                    "reader finds it."},
    {"Environment", PT_PLACE_ENV_DOC},
    {0},
};

const struct pt__cli_doc pt_cmd_collect_doc = {
    .name = "collect",
    .summary = "system-wide: drain the rings of every traced process until SIGINT/SIGTERM "
               "(--attach: running ones too)",
    .usage = "-o DIR [OPTION...]",
    .description =
        "System-wide mode. Prints the environment to give the processes to trace, one NAME=value "
        "per line on standard output (LD_PRELOAD=... and PROFTRACE_DIR=...), then drains their "
        "rings into the trace in DIR until SIGINT or SIGTERM. Its summary line on stderr says "
        "what was collected and where, as record's does (with the events flight recorders "
        "overwrote, if any); a line after it says how many files in DIR/rings it did not take as "
        "rings (not a valid ring, another user's beyond the quota of 1024 each: one warning per "
        "user). With the privilege for it (root) it also witnesses deletions, by processes that "
        "are not traced, of what traced processes hold (fanotify on the filesystems of what they "
        "hold, SysV segments; --witness-all for everything removed in their namespaces); "
        "without, it says once that they will not be seen.\n"
        "\n"
        "Rings of processes still running when it stops stay in DIR/rings/, and a later "
        "proftrace collect -o DIR resumes them; proftrace events DIR and proftrace live DIR "
        "read them meanwhile. A directory that is not empty and holds no trace is refused, and so "
        "is an existing one that is not yours or that another user may write: its owner could "
        "forge or delete what is collected there.\n"
        "\n"
        "--attach adds processes that are already running, as record -p does: each is attached "
        "once the environment is printed (`proftrace: attached to PID (exe)` on stderr), and "
        "detached when collect stops. A process that cannot be attached is refused before "
        "anything is created, saying why.\n"
        "\n"
        "For a service traced for days, --max-size and --max-age bound the trace: it is written "
        "in chunks (DIR/chunks/NNNNNN/, each a CTF trace), the oldest dropped, and the analyzer "
        "follows the collection on a thread of its own, writing its state into each chunk as a "
        "checkpoint, so a hold that began in a dropped chunk still makes its finding, with its "
        "own time, and a collect restarted after a crash goes on from the last checkpoint. The "
        "same analyzer runs whenever findings go somewhere (the journal, --on-finding): each "
        "finding is delivered as it happens, and printed on stderr.\n"
        "\n"
        "Run by systemd (proftrace-collect.service, Type=notify), it tells systemd it is ready "
        "(READY=1 to $NOTIFY_SOCKET) once it printed the environment and attached what --attach "
        "names, so services traced into DIR and ordered after it start only then.",
    .opts = collect_opts,
    .sections = collect_sections,
};

int pt_cmd_collect(int argc, char **argv)
{
    const char *out = NULL;
    long long interval = 20, noloss_ms = 0;
    unsigned wflags = 0;
    int c;
    struct pt__collect_alerts alerts = PT__COLLECT_ALERTS_INIT;
    struct pt_attached attached = {.n = 0};
    struct pt__rotate_opts rot = {0};
    struct pt__cli cli;
    pt__cli_start(&cli, &pt_cmd_collect_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0) {
        int taken = pt__collect_alert_option(&alerts, &cli, c);
        if (taken == 0)
            taken = pt__rotate_option(&rot, &cli, c);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        switch (c) {
        case 'o':
            out = cli.arg;
            break;
        case OPT_INTERVAL:
            if (pt__cli_number(&cli, 1, 10000, &interval) < 0)
                return 2;
            break;
        case OPT_NO_LOSS:
            noloss_ms = 1000;
            if (cli.arg && pt__cli_number(&cli, 1, 600000, &noloss_ms) < 0)
                return 2;
            break;
        case OPT_WITNESS_ALL:
            wflags |= PT_WITNESS_ALL;
            break;
        case OPT_ATTACH:
            if (pt_attached_parse(&attached, cli.arg, "collect", "--attach") < 0)
                return 2;
            break;
        }
    }
    if (c < 0)
        return cli.status;
    if (!out)
        return pt__cli_usage_error(&cli, "-o DIR is required");
    if (cli.noperands)
        return pt__cli_usage_error(&cli, "unexpected argument '%s'", cli.operands[0]);
    char dir[PATH_MAX], shim[PATH_MAX];
    if (pt_shim_path(shim, sizeof shim) < 0) { /* the environment printed would trace nothing */
        fprintf(stderr,
                "proftrace collect: the shim is missing (looked for %s): nothing could be traced; "
                "install proftrace with its shim\n",
                shim);
        return 2;
    }
    /* Before the directory is made: PROFTRACE_ALLOW_UIDS for the users they run as. */
    if (attached.n && pt_attached_prepare(&attached, shim, "collect") < 0)
        return 2;
    if (pt__trace_dir_usable("collect", out))
        return 2;
    if (pt__collect_alert_check(&alerts)) /* refused before the directory is made */
        return 2;
    char pwhy[PATH_MAX + 256];
    /* Private unless asked, and ours: never a directory another user could change (perm.h). */
    if (pt_perm_trace_dir(out, pwhy, sizeof pwhy) < 0) {
        fprintf(stderr, "proftrace collect: %s\n", pwhy);
        return 2;
    }
    if (!realpath(out, dir)) {
        fprintf(stderr, "proftrace collect: %s: %s\n", out, strerror(errno));
        return 2;
    }
    if (pt__collect_alert_start(&alerts, dir)) /* where findings go, before anything starts */
        return 2;
    struct pt_collector *col;
    int rc = pt_collector_open_rotated(dir, pt__rotating(&rot) ? &rot : NULL, pt__diag_line,
                                       "collect", &col);
    if (rc < 0) {
        fprintf(stderr, "proftrace collect: cannot collect into %s: %s\n", dir, strerror(-rc));
        pt__collect_alert_free(&alerts);
        return 2;
    }
    /* The analyzer beside the collector, when it has work: it checkpoints each chunk of a
     * rotated trace, and delivers each finding as it happens. */
    struct pt__follow_thread *follow = NULL;
    if ((pt__rotating(&rot) || pt__collect_alert_on(&alerts)) &&
        pt__follow_thread_start("collect", dir, on_finding, &alerts, &follow) < 0) {
        pt_collector_close(col);
        pt__collect_alert_free(&alerts);
        return 2;
    }
    struct pt_witness *wit = NULL;
    char why[256];
    if (pt_witness_start(pt_collector_dir_at(col), wflags, &wit, why, sizeof why) < 0)
        fprintf(stderr, "proftrace collect: deletions by processes that are not traced will not be "
                        "seen: %s\n", why);
    else
        pt_collector_on_attach(col, pt_witness_on_attach, wit);
    /* stopping cleanly is part of being ready: the handlers come before the environment */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    const char *runtime = pt_shim_runtime(); /* a sanitized build's shim needs it first */
    printf("LD_PRELOAD=%s%s%s\nPROFTRACE_DIR=%s\n", runtime ? runtime : "", runtime ? ":" : "",
           shim, dir);
    if (noloss_ms)
        printf("PROFTRACE_NOLOSS=%lld\n", noloss_ms);
    fflush(stdout);
    fprintf(stderr, "proftrace collect: draining into %s until SIGINT/SIGTERM\n", dir);
    struct pt_attach_opts ao = {.dir = dir, .shim = shim, .noloss_ms = (unsigned)noloss_ms};
    if (attached.n && pt_attached_attach(&attached, &ao, "collect") < 0) {
        rc = -EINVAL;
        stop = 1;
    }
    if (!stop) /* under systemd (Type=notify): traced services may start now */
        pt__sd_notify("READY=1");
    /* The main loop. Live clients (`proftrace live`, a later issue) are served here: they will add
     * their descriptors to the wait of pt_collector_run_once and receive each drained packet. */
    while (!stop) {
        rc = pt_collector_run_once(col, (int)interval);
        if (rc < 0 && rc != -EINTR) {
            fprintf(stderr, "proftrace collect: %s\n", strerror(-rc));
            break;
        }
        pt__collect_alert_poll(&alerts); /* the follower's thread delivers; commands end here */
    }
    if (attached.n) /* they run on untraced; their rings are finished by the drain below */
        pt_attached_detach_all(&attached, dir, shim, "collect");
    pt_collector_on_attach(col, NULL, NULL); /* the witness is going */
    pt_witness_stop(wit); /* closes its ring: the last drain finishes it */
    pt_collector_run_once(col, 0); /* last drain; live writers' rings stay for the next run */
    struct pt__follow_cost cost;
    pt__follow_thread_stop(follow, &cost); /* reads the rest, checkpoints what it owes */
    struct pt_collector_stats st;
    pt_collector_stats(col, &st);
    pt_collector_close(col);
    pt__collect_alert_stop(&alerts); /* the commands still running, and what was delivered */
    if (pt__rotating(&rot))
        pt__rotation_summary("collect", dir, &cost);
    char size[32], ow[48] = "";
    pt__human_bytes(pt__trace_dir_bytes(out), size, sizeof size);
    if (st.overwritten)
        snprintf(ow, sizeof ow, ", %" PRIu64 " overwritten", st.overwritten);
    fprintf(stderr,
            "proftrace: %" PRIu64 " processes, %" PRIu64 " events, %" PRIu64 " lost%s (%" PRIu64
            " rings still open); %s (%s)\n",
            st.processes, st.events, st.lost, ow, st.rings, out, size);
    if (st.refused)
        fprintf(stderr,
                "proftrace: %" PRIu64 " files in %s/rings were not taken as rings (%" PRIu64
                " other users warned about)\n",
                st.refused, dir, st.warned_users);
    if (rc < 0 && rc != -EINTR)
        return 2;
    return pt__trace_incomplete(dir, &st, NULL, 0);
}
