/* alert_int.h — what the alert files share (internal to alert*.c): the fields an alert carries,
 * the journal's protocol, the commands. */
#ifndef PT_ANALYZER_ALERT_INT_H
#define PT_ANALYZER_ALERT_INT_H

#include "analyzer/alert.h"

/* One field of a journal entry / one variable of a command's environment. */
struct pt__alert_field {
    const char *name; /* "PROFTRACE_RULE" */
    const char *value;
    size_t len; /* bytes of value (it may hold newlines and any byte) */
};
#define PT__ALERT_MAX_FIELDS 24

/* The numbers of a finding as text, for its fields. */
struct pt__alert_nums {
    char deleter_pid[12], holder_pid[12];
};

/* alert.c: the fields of finding f both deliveries carry, into out (room for
 * PT__ALERT_MAX_FIELDS); returns their number. Values point into f, t and nums. */
unsigned pt__alert_fields(const struct pt_alert *t, const struct pt_finding *f,
                          struct pt__alert_nums *nums, struct pt__alert_field *out);
/* alert.c: the one-line message of finding f ("cross-namespace-purge (...): profile ..."). */
void pt__alert_message(const struct pt_finding *f, const char *trace_dir, char *buf, size_t len);

/* alert_journal.c: a socket to send entries with (-errno), and one entry sent on it to `path`:
 * 0, or a negative errno (-EAGAIN: journald's queue is full). */
int pt__journal_socket(void);
int pt__journal_send(int fd, const char *path, const struct pt__alert_field *fields, unsigned n);

/* alert_command.c: the --on-finding commands. */
struct pt__commands;
struct pt__commands *pt__commands_new(const struct pt_alert_opts *o);
/* Queue (or start) one run with these environment variables and this standard input. */
int pt__commands_add(struct pt__commands *c, const struct pt__alert_field *env, unsigned n,
                     const char *stdin_data, size_t stdin_len, const char *what);
void pt__commands_poll(struct pt__commands *c);
void pt__commands_stats(const struct pt__commands *c, struct pt_alert_stats *st);
/* Wait until every run ended, queued ones started as slots free (each at most its timeout). */
void pt__commands_drain(struct pt__commands *c);
/* Drain, then free (NULL is accepted). */
void pt__commands_free(struct pt__commands *c);

#endif
