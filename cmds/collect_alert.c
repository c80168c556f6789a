/* collect_alert.c — where `proftrace collect` sends findings (collect_alert.h): the options, the
 * target, and the hook the follower calls for each new finding. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/alert.h"
#include "analyzer/analyzer.h"
#include "cmds/collect_alert.h"
#include "cmds/diag_stream.h"

int pt__collect_alert_option(struct pt__collect_alerts *ca, struct pt__cli *cli, int key)
{
    switch (key) {
    case PT__AOPT_ON_FINDING:
        if (!*cli->arg) {
            pt__cli_usage_error(cli, "--on-finding wants a command, not ''");
            return -1;
        }
        ca->command = cli->arg;
        return 1;
    case PT__AOPT_TIMEOUT:
        return pt__cli_number(cli, 1, 86400, &ca->timeout_s) < 0 ? -1 : 1;
    case PT__AOPT_JOURNAL:
        ca->journal = 1;
        return 1;
    case PT__AOPT_NO_JOURNAL:
        ca->journal = 0;
        return 1;
    }
    return 0;
}

int pt__collect_alert_check(const struct pt__collect_alerts *ca)
{
    if (ca->journal == 1 && !pt_alert_journal_present(NULL)) {
        fprintf(stderr,
                "proftrace collect: --journal: no journald listens at %s; run collect without "
                "--journal, or where journald runs\n",
                PT_ALERT_JOURNAL_SOCKET);
        return 2;
    }
    return 0;
}

int pt__collect_alert_start(struct pt__collect_alerts *ca, const char *dir)
{
    if (pt__collect_alert_check(ca))
        return 2;
    int present = pt_alert_journal_present(NULL);
    int journal = ca->journal == 1 || (ca->journal == -1 && present);
    ca->dir = dir;
    if (!journal && !ca->command)
        return 0;
    struct pt_alert_opts o = {.journal = journal,
                              .command = ca->command,
                              .timeout_s = (unsigned)ca->timeout_s,
                              .max_running = PT_ALERT_MAX_RUNNING,
                              .trace_dir = dir,
                              .log = pt__diag_line,
                              .log_arg = "collect"};
    int rc = pt_alert_open(&o, &ca->out);
    if (rc < 0) {
        fprintf(stderr, "proftrace collect: findings cannot be delivered: %s\n", strerror(-rc));
        return 2;
    }
    return 0;
}

void pt__collect_alert_poll(struct pt__collect_alerts *ca)
{
    pthread_mutex_lock(&ca->lock);
    pt_alert_poll(ca->out);
    pthread_mutex_unlock(&ca->lock);
}

void pt__collect_alert_finding(void *arg, struct pt_analyzer *a, unsigned i, const char *update)
{
    struct pt__collect_alerts *ca = arg;
    struct pt_finding f;
    if (!ca->out || pt_finding_get(a, i, &f) < 0)
        return;
    f.update = update;
    char *json = pt_finding_json(a, i, ca->dir, update);
    if (!json) {
        fprintf(stderr, "proftrace collect: finding %u (%s) not delivered: out of memory\n", i + 1,
                f.rule);
        return;
    }
    pthread_mutex_lock(&ca->lock);
    pt_alert_send(ca->out, &f, json); /* what failed is said through the target's log */
    pthread_mutex_unlock(&ca->lock);
    free(json);
}

void pt__collect_alert_stop(struct pt__collect_alerts *ca)
{
    if (!ca->out)
        return;
    pt_alert_drain(ca->out); /* the commands still running, each up to its timeout */
    struct pt_alert_stats st;
    pt_alert_stats(ca->out, &st);
    if (st.journal_sent || st.journal_failed)
        fprintf(stderr,
                "proftrace collect: findings to the journal: %" PRIu64 " sent, %" PRIu64 " not\n",
                st.journal_sent, st.journal_failed);
    if (st.started || st.not_run)
        fprintf(stderr,
                "proftrace collect: findings to --on-finding: %" PRIu64 " run (%" PRIu64
                " exit status 0, %" PRIu64 " failed, %" PRIu64 " timed out), %" PRIu64 " not\n",
                st.started, st.ok, st.failed, st.timed_out, st.not_run);
    pt_alert_close(ca->out);
    ca->out = NULL;
}

void pt__collect_alert_free(struct pt__collect_alerts *ca)
{
    pt_alert_close(ca->out);
    ca->out = NULL;
}
