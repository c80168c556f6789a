/* collect_alert.h — `proftrace collect`'s findings where administrators look: its options
 * (--on-finding, --on-finding-timeout, --journal, --no-journal) and the delivery of each finding
 * through analyzer/alert.h. Kept apart from cmd_collect.c, which only calls these. */
#ifndef PT_CMDS_COLLECT_ALERT_H
#define PT_CMDS_COLLECT_ALERT_H

#include <pthread.h>

#include "cmds/cli.h"

struct pt_analyzer;
struct pt_alert;

struct pt__collect_alerts {
    const char *command;  /* --on-finding */
    long long timeout_s;  /* --on-finding-timeout */
    int journal;          /* --journal 1, --no-journal 0, -1: when journald listens */
    struct pt_alert *out; /* NULL: findings go nowhere */
    const char *dir;
    pthread_mutex_t lock; /* out: the follower's thread sends, collect's loop polls */
};
/* clang-format off */
#define PT__COLLECT_ALERTS_INIT {.timeout_s = 60, .journal = -1, .lock = PTHREAD_MUTEX_INITIALIZER}

/* Option keys of the rows below (long-only, apart from collect's own). */
enum {
    PT__AOPT_ON_FINDING = PT__CLI_LONG + 120,
    PT__AOPT_TIMEOUT,
    PT__AOPT_JOURNAL,
    PT__AOPT_NO_JOURNAL,
};
#define PT__COLLECT_ALERT_OPTS                                                                    \
    {PT__AOPT_ON_FINDING, "on-finding", "CMD",                                                    \
     "run CMD with /bin/sh -c for each new finding, its JSON on CMD's standard input and its "    \
     "main fields in the environment (see Findings below)"},                                          \
    {PT__AOPT_TIMEOUT, "on-finding-timeout", "SECONDS",                                           \
     "a CMD still running after SECONDS (1 to 86400, default 60) is ended: SIGTERM to its "       \
     "process group, SIGKILL 5 s later"},                                                          \
    {PT__AOPT_JOURNAL, "journal", NULL,                                                           \
     "send each new finding to the system journal (see Findings below); the default when "            \
     "/run/systemd/journal/socket exists"},                                                        \
    {PT__AOPT_NO_JOURNAL, "no-journal", NULL, "do not send findings to the journal"}
/* The section of collect's --help and manual page that says where findings go. */
#define PT__COLLECT_ALERT_SECTION                                                                 \
    {"Findings",                                                                                  \
     "Each new finding goes to the system journal and to the --on-finding command. The journal "  \
     "entry has MESSAGE (one line: rule, cause, severity, resource, deleter, holder, the failure "\
     "it caused, the trace directory), PRIORITY (2 critical, 3 high, 4 medium), "                 \
     "SYSLOG_IDENTIFIER=proftrace, MESSAGE_ID=903e2acd45144c0fbea479fff6341eb3, the PROFTRACE_* "  \
     "fields of the command (below), and PROFTRACE_FINDING (the JSON document):\n"                \
     "  journalctl -t proftrace -o json --all PROFTRACE_RULE=cross-namespace-purge\n"              \
     "\n"                                                                                          \
     "CMD runs with /bin/sh -c, in its own process group, with every descriptor of collect "      \
     "closed but these: its standard input is a file holding the JSON document "                  \
     "{\"schema\":1,\"trace_dir\":DIR,\"finding\":{...}} (the finding as report --json gives "     \
     "it), its standard output and error go to collect's standard error. Its environment is "     \
     "collect's plus PROFTRACE_RULE, PROFTRACE_CAUSE, PROFTRACE_SEVERITY, PROFTRACE_UNCERTAIN "   \
     "(0 or 1), PROFTRACE_RESOURCE_KIND, PROFTRACE_RESOURCE, PROFTRACE_RESOURCE_IDENTITY, "       \
     "PROFTRACE_DELETER_PID, PROFTRACE_DELETER_EXE, PROFTRACE_DELETER_CALL, "                     \
     "PROFTRACE_HOLDER_PID, PROFTRACE_HOLDER_EXE, PROFTRACE_VICTIM (when the holder failed "      \
     "after the delete), PROFTRACE_UPDATE (in an update, below), PROFTRACE_TRACE_DIR and "        \
     "PROFTRACE_MESSAGE; the journal entry has the "                                              \
     "same fields. At most 4 commands run at once, later findings wait in order; collect never "  \
     "waits for one while it collects, and at its end waits for those still running, each up to "\
     "its timeout. How each ended (exit status, signal, timeout) is said on standard error.\n"    \
     "\n"                                                                                          \
     "Findings are found as the trace grows, by the analyzer following it on a thread of its "    \
     "own. A new one is delivered once what the 2 seconds after its delete told is in (the "      \
     "holder's failing call, PROFTRACE_VICTIM, and its signs of life), about 3 seconds after the "\
     "delete, and only once, even by a collect started again on the directory. A holder's "        \
     "failure that comes later is sent once more, as an update: the same finding with "          \
     "PROFTRACE_UPDATE=victim (\"update\":\"victim\" in the JSON document, a message beginning "   \
     "\"update (victim): \"). What else comes later is in what report says, not sent again."}
/* clang-format on */

/* Takes the option pt__cli_next returned when it is one of the rows above: 1 taken, 0 not one of
 * them, -1 a refused value (said; the command returns cli->status). */
int pt__collect_alert_option(struct pt__collect_alerts *ca, struct pt__cli *cli, int key);

/* Before anything is created: 0, or 2 when --journal was asked where no journald listens (said on
 * stderr). */
int pt__collect_alert_check(const struct pt__collect_alerts *ca);

/* Before the collection: the target from the options, for trace directory `dir` (absolute; must
 * outlive ca). Returns 0, or 2 (said on stderr: --journal without a journald). */
int pt__collect_alert_start(struct pt__collect_alerts *ca, const char *dir);

/* In the collector's loop: reaps ended commands, starts waiting ones. Never blocks. */
void pt__collect_alert_poll(struct pt__collect_alerts *ca);

/* Whether findings go somewhere (after pt__collect_alert_start): the follower must run. */
static inline int pt__collect_alert_on(const struct pt__collect_alerts *ca)
{
    return ca->out != NULL;
}

/* Finding i of analyzer a is new (update NULL), or its victim came after it was delivered (update
 * "victim"): delivered now. The follower (cmds/follow_thread.h) calls this from its own thread,
 * with ca as its argument, for each finding as it happens. */
void pt__collect_alert_finding(void *ca, struct pt_analyzer *a, unsigned i, const char *update);

/* After the collection and its follower's last step: waits for the commands still running (each
 * at most its timeout), says what was delivered, and frees the target. */
void pt__collect_alert_stop(struct pt__collect_alerts *ca);

/* Frees the target without delivering anything (collect failed before it collected). */
void pt__collect_alert_free(struct pt__collect_alerts *ca);

#endif
