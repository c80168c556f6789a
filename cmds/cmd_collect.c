/* cmd_collect.c — `proftrace collect`: system-wide mode, drains the rings of every process that was
 * given the printed environment until SIGINT/SIGTERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds/commands.h"
#include "tracer/collector.h"
#include "tracer/perm.h"
#include "tracer/witness.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: proftrace collect -o DIR [--no-loss[=MS]] [--interval MS]\n"
               "\n"
               "Prints the environment to give the processes to trace (LD_PRELOAD=..., \n"
               "PROFTRACE_DIR=...), then drains their rings into the CTF trace in DIR until\n"
               "SIGINT or SIGTERM. Rings of processes still running stay in DIR/rings and a later\n"
               "`proftrace collect` resumes them; `proftrace events DIR` reads them meanwhile.\n"
               "Exits 0, 2 on a usage error, 125 when the trace could not be written whole (trace\n"
               "disk full: what could not be written stays in DIR/rings, read by every reader).\n"
               "\n"
               "  -o DIR          trace directory (created if needed)\n"
               "  --no-loss[=MS]  the printed environment makes a thread whose buffer is full wait\n"
               "                  for the collector instead of losing events, at most MS ms without\n"
               "                  progress (default 1000; PROFTRACE_NOLOSS=MS)\n"
               "  --interval MS   drain at least this often (default 20); writers also wake the\n"
               "                  collector when their buffers fill\n");
}

int pt_cmd_collect(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"interval", required_argument, 0, 'i'},
                                         {"no-loss", optional_argument, 0, 'N'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    int interval = 20, noloss_ms = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'i': interval = atoi(optarg); break;
        case 'N':
            noloss_ms = optarg ? atoi(optarg) : 1000;
            if (noloss_ms <= 0) {
                fprintf(stderr, "proftrace collect: --no-loss wants a wait in ms, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!out || optind != argc || interval <= 0) {
        usage(stderr);
        return 2;
    }
    int prc = pt_perm_mkdir(out, PT_PERM_TRACE_DIR); /* private unless asked (tracer/perm.h) */
    if (prc < 0) {
        fprintf(stderr, "proftrace collect: %s: %s\n", out, strerror(-prc));
        return 2;
    }
    char dir[PATH_MAX], shim[PATH_MAX];
    if (!realpath(out, dir)) {
        fprintf(stderr, "proftrace collect: %s: %s\n", out, strerror(errno));
        return 2;
    }
    struct pt_collector *col;
    int rc = pt_collector_open(dir, NULL, NULL, &col);
    if (rc < 0) {
        fprintf(stderr, "proftrace collect: cannot collect into %s: %s\n", dir, strerror(-rc));
        return 2;
    }
    struct pt_witness *wit = NULL;
    char why[256];
    if (pt_witness_start(dir, 0, &wit, why, sizeof why) < 0)
        fprintf(stderr, "proftrace collect: deletions by processes that are not traced will not be "
                        "seen: %s\n", why);
    else
        pt_collector_on_attach(col, pt_witness_on_attach, wit);
    if (pt_shim_path(shim, sizeof shim) < 0)
        fprintf(stderr, "proftrace collect: warning: shim not found at %s\n", shim);
    printf("LD_PRELOAD=%s\nPROFTRACE_DIR=%s\n", shim, dir);
    if (noloss_ms)
        printf("PROFTRACE_NOLOSS=%d\n", noloss_ms);
    fflush(stdout);
    fprintf(stderr, "proftrace collect: draining into %s until SIGINT/SIGTERM\n", dir);

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The main loop. Live clients (`proftrace live`, a later issue) are served here: they will add
     * their descriptors to the wait of pt_collector_run_once and receive each drained packet. */
    while (!stop) {
        rc = pt_collector_run_once(col, interval);
        if (rc < 0 && rc != -EINTR) {
            fprintf(stderr, "proftrace collect: %s\n", strerror(-rc));
            break;
        }
    }
    pt_collector_on_attach(col, NULL, NULL); /* the witness is going */
    pt_witness_stop(wit); /* closes its ring: the last drain finishes it */
    pt_collector_run_once(col, 0); /* last drain; live writers' rings stay for the next run */
    struct pt_collector_stats st;
    pt_collector_stats(col, &st);
    char ow[48] = "";
    if (st.overwritten)
        snprintf(ow, sizeof ow, ", %" PRIu64 " overwritten", st.overwritten);
    fprintf(stderr,
            "proftrace: %" PRIu64 " processes, %" PRIu64 " events, %" PRIu64 " lost%s (%" PRIu64
            " rings still open)\n",
            st.processes, st.events, st.lost, ow, st.rings);
    if (st.refused)
        fprintf(stderr,
                "proftrace: %" PRIu64 " files in %s/rings were not taken as rings (%" PRIu64
                " other users warned about)\n",
                st.refused, dir, st.warned_users);
    pt_collector_close(col);
    if (rc < 0 && rc != -EINTR)
        return 2;
    if (st.write_error || st.unwritten) {
        fprintf(stderr,
                "proftrace: trace incomplete: writing %s failed (%s); %" PRIu64 " events stay in "
                "%s/rings, where proftrace events and report read them\n",
                dir, strerror(st.write_error ? st.write_error : EIO), st.unwritten, dir);
        return 125;
    }
    return 0;
}
