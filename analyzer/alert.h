/* alert.h — findings delivered where administrators look, as they happen: the system journal
 * (structured fields) and a command of the user's (`collect --on-finding CMD`, the finding's JSON
 * on its standard input). Used by `proftrace collect`; docs/service.md is the user's side.
 *
 * Use:
 *     struct pt_alert *al;
 *     pt_alert_open(&opts, &al);                  // from the command line's options
 *     ... for each new finding i of an analyzer:
 *     struct pt_finding f;
 *     pt_finding_get(a, i, &f);                   // its main fields, flat
 *     char *json = pt_finding_json(a, i, dir);    // its document
 *     pt_alert_send(al, &f, json);
 *     ... in the collector's loop:  pt_alert_poll(al);   // reaps, times out, starts queued
 *     pt_alert_close(al);                         // at the end: waits for what still runs
 *                                                 // (pt_alert_drain: the same, keeping it)
 * Nothing here blocks the caller: the journal is written with MSG_DONTWAIT (an entry journald
 * cannot take at once is dropped and said), a command gets its JSON in a memory file (never
 * a pipe the collector could wait on), runs in its own process group, and is reaped by
 * pt_alert_poll. Only pt_alert_drain and pt_alert_close wait, for at most each running command's
 * timeout.
 *
 * Files: alert.c (the target: dispatch, the message, the fields both deliveries carry),
 * alert_journal.c (journald's native protocol), alert_command.c (the --on-finding commands),
 * alert_finding.c (a finding of the analyzer as a struct pt_finding).
 */
#ifndef PT_ANALYZER_ALERT_H
#define PT_ANALYZER_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pt_analyzer;

/* One finding's main fields, as alerts carry them. Strings are borrowed from the analyzer (valid
 * while it lives and the finding is not changed), except the buffers, which are the struct's. */
struct pt_finding {
    const char *rule, *cause, *severity; /* names as in report --json */
    int uncertain;
    int hazard;                /* nothing deleted yet (latent-purge-hazard): "deleter" is the
                                * process that would delete it */
    const char *resource_kind; /* profile, registry-key, posix-shm, sysv-shm, mapped-file, file */
    const char *resource;      /* its name */
    char identity[64];         /* "dev=65024 ino=10987099", or "ipc_ns=4026531839 shmid=5" */
    uint32_t deleter_pid, holder_pid;
    const char *deleter_exe, *holder_exe; /* "" when not known */
    const char *deleter_call;             /* the API call that deleted (or would delete) it */
    uint64_t time;    /* CLOCK_MONOTONIC ns of the delete (a hazard: when it arose) */
    char victim[256]; /* the holder's later failure ("" when none seen) */
    /* NULL: a new finding; "victim": sent before without a victim, and one came since (the
     * caller sets it) */
    const char *update;
};

/* Finding i of analyzer a (finished or followed) into *f. Returns 0, or -ERANGE. */
int pt_finding_get(struct pt_analyzer *a, unsigned i, struct pt_finding *f);

/* The document a command reads on its standard input, one line:
 *     {"schema":2,"trace_dir":DIR,"finding":{...report --json's finding object...}}
 * with "update":UPDATE before "finding" when update is not NULL (pt_finding's update). malloc'd
 * (the caller frees it), NULL when out of memory or i is out of range. Stacks are symbolized as
 * report's are. */
char *pt_finding_json(struct pt_analyzer *a, unsigned i, const char *trace_dir, const char *update);

/* Where findings go. */
struct pt_alert_opts {
    int journal;                /* 1: to the journal */
    const char *journal_socket; /* NULL: PT_ALERT_JOURNAL_SOCKET */
    const char *command;        /* run by /bin/sh -c for each finding; NULL: none */
    unsigned timeout_s;         /* a command still running after this long is killed (0:
                                 * PT_ALERT_TIMEOUT_S) */
    unsigned max_running;       /* commands running at once (0: PT_ALERT_MAX_RUNNING); later
                                 * findings wait in order */
    unsigned max_queued;        /* findings waiting at most (0: PT_ALERT_MAX_QUEUED); more are not
                                 * run, and said */
    const char *trace_dir;      /* the trace the findings are in (absolute) */
    /* one line of what happened (a command failed, an entry not logged), without a prefix or a
     * newline; NULL: nothing said */
    void (*log)(void *arg, const char *line);
    void *log_arg;
};

#define PT_ALERT_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define PT_ALERT_TIMEOUT_S 60
#define PT_ALERT_MAX_RUNNING 4
#define PT_ALERT_MAX_QUEUED 1024

struct pt_alert;

/* A target from o (copied). Returns 0 with *out set, or -ENOMEM, or a negative errno from making
 * the journal's socket. Whether journald listens is not checked here: pt_alert_journal_present. */
int pt_alert_open(const struct pt_alert_opts *o, struct pt_alert **out);

/* Deliver finding f with its JSON object (one line, no newline needed): to the journal at once,
 * and to the command, started now or queued when max_running run. Never blocks. Returns 0, or the
 * first negative errno of a delivery that failed (said through log too). */
int pt_alert_send(struct pt_alert *t, const struct pt_finding *f, const char *json);

/* Reap commands that ended (a failure is logged: exit status or signal), signal those past their
 * timeout (SIGTERM to their process group, SIGKILL 5 s later), start queued ones. Never blocks;
 * call it often (the collector's every loop). */
void pt_alert_poll(struct pt_alert *t);

/* Counts, for the closing line and tests. */
struct pt_alert_stats {
    uint64_t journal_sent, journal_failed;
    uint64_t started, queued, running; /* commands: queued and running are now's */
    uint64_t ok, failed, timed_out;    /* of those that ended: exit 0, else, ended by the timeout */
    uint64_t not_run; /* no room in the queue, no memory, /bin/sh could not start */
};
void pt_alert_stats(const struct pt_alert *t, struct pt_alert_stats *st);

/* Wait until every command ended, queued ones started as slots free, each at most its timeout. */
void pt_alert_drain(struct pt_alert *t);

/* Drain, then free the target. NULL is accepted. */
void pt_alert_close(struct pt_alert *t);

/* Is a journald listening at `socket` (NULL: the default)? 1 yes, 0 no. */
int pt_alert_journal_present(const char *socket);

#endif
