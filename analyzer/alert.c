/* alert.c — where a finding goes when it happens: the journal and the --on-finding command, with
 * the same fields in both (docs/service.md lists them). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/alert_int.h"
#include "proftrace/escape.h"

/* MESSAGE_ID of every finding's journal entry (`journalctl MESSAGE_ID=...`): made once for
 * proftrace, never changed. */
#define PT__ALERT_MESSAGE_ID "903e2acd45144c0fbea479fff6341eb3"

struct pt_alert {
    struct pt_alert_opts o; /* strings below are owned copies */
    int journal_fd;         /* -1: no journal */
    struct pt__commands *commands;
    uint64_t nsent; /* findings given to pt_alert_send */
    uint64_t journal_sent, journal_failed;
};

static void say(const struct pt_alert *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct pt_alert *t, const char *fmt, ...)
{
    if (!t->o.log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    t->o.log(t->o.log_arg, line);
}

int pt_alert_open(const struct pt_alert_opts *o, struct pt_alert **out)
{
    struct pt_alert *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->o = *o;
    t->journal_fd = -1;
    t->o.journal_socket = strdup(o->journal_socket ? o->journal_socket : PT_ALERT_JOURNAL_SOCKET);
    t->o.command = o->command ? strdup(o->command) : NULL;
    t->o.trace_dir = strdup(o->trace_dir ? o->trace_dir : "");
    int rc = 0;
    if (!t->o.journal_socket || !t->o.trace_dir || (o->command && !t->o.command))
        rc = -ENOMEM;
    if (!rc && o->journal && (t->journal_fd = pt__journal_socket()) < 0)
        rc = t->journal_fd;
    if (!rc && o->command && !(t->commands = pt__commands_new(&t->o)))
        rc = -ENOMEM;
    if (rc < 0) {
        pt_alert_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* syslog's priority of a severity: critical is LOG_CRIT, high LOG_ERR, the rest LOG_WARNING. */
static const char *priority(const char *severity)
{
    return !strcmp(severity, "critical") ? "2" : !strcmp(severity, "high") ? "3" : "4";
}

/* The last part of a path: a message names programs as ps does ("?" when not known). */
static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : *path ? path : "?";
}

void pt__alert_message(const struct pt_finding *f, const char *trace_dir, char *buf, size_t len)
{
    int n, u = f->update ? snprintf(buf, len, "update (%s): ", f->update) : 0;
    if (u < 0 || (size_t)u >= len)
        u = 0;
    buf += u;
    len -= (size_t)u;
    if (f->hazard)
        n = snprintf(buf, len,
                     "%s (%s, %s%s): %s \"%s\" held by pid %u (%s) will be deleted by the next %s "
                     "of pid %u (%s)",
                     f->rule, f->cause, f->severity, f->uncertain ? ", uncertain" : "",
                     f->resource_kind, pt_esc(f->resource), f->holder_pid,
                     pt_esc(base(f->holder_exe)), f->deleter_call, f->deleter_pid,
                     pt_esc(base(f->deleter_exe)));
    else
        n = snprintf(buf, len,
                     "%s (%s, %s%s): %s \"%s\" deleted by pid %u (%s, %s) while pid %u (%s) held "
                     "it%s%s",
                     f->rule, f->cause, f->severity, f->uncertain ? ", uncertain" : "",
                     f->resource_kind, pt_esc(f->resource), f->deleter_pid,
                     pt_esc(base(f->deleter_exe)), f->deleter_call, f->holder_pid,
                     pt_esc(base(f->holder_exe)), *f->victim ? "; then " : "", pt_esc(f->victim));
    if (n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "; trace %s", pt_esc(trace_dir));
}

static void add(struct pt__alert_field *out, unsigned *n, const char *name, const char *value)
{
    if (*n < PT__ALERT_MAX_FIELDS)
        out[(*n)++] = (struct pt__alert_field){name, value ? value : "", value ? strlen(value) : 0};
}

/* The fields both deliveries carry (the journal adds MESSAGE, PRIORITY, ... itself). */
unsigned pt__alert_fields(const struct pt_alert *t, const struct pt_finding *f,
                          struct pt__alert_nums *nums, struct pt__alert_field *out)
{
    unsigned n = 0;
    snprintf(nums->deleter_pid, sizeof nums->deleter_pid, "%u", f->deleter_pid);
    snprintf(nums->holder_pid, sizeof nums->holder_pid, "%u", f->holder_pid);
    add(out, &n, "PROFTRACE_RULE", f->rule);
    add(out, &n, "PROFTRACE_CAUSE", f->cause);
    add(out, &n, "PROFTRACE_SEVERITY", f->severity);
    add(out, &n, "PROFTRACE_UNCERTAIN", f->uncertain ? "1" : "0");
    add(out, &n, "PROFTRACE_RESOURCE_KIND", f->resource_kind);
    add(out, &n, "PROFTRACE_RESOURCE", f->resource);
    add(out, &n, "PROFTRACE_RESOURCE_IDENTITY", f->identity);
    add(out, &n, "PROFTRACE_DELETER_PID", nums->deleter_pid);
    add(out, &n, "PROFTRACE_DELETER_EXE", f->deleter_exe);
    add(out, &n, "PROFTRACE_DELETER_CALL", f->deleter_call);
    add(out, &n, "PROFTRACE_HOLDER_PID", nums->holder_pid);
    add(out, &n, "PROFTRACE_HOLDER_EXE", f->holder_exe);
    if (*f->victim)
        add(out, &n, "PROFTRACE_VICTIM", f->victim);
    if (f->update)
        add(out, &n, "PROFTRACE_UPDATE", f->update);
    add(out, &n, "PROFTRACE_TRACE_DIR", t->o.trace_dir);
    return n;
}

static int to_journal(struct pt_alert *t, const struct pt_finding *f, const char *msg,
                      const char *json, const char *what)
{
    struct pt__alert_field fl[PT__ALERT_MAX_FIELDS];
    struct pt__alert_nums nums;
    unsigned n = 0;
    add(fl, &n, "MESSAGE", msg);
    add(fl, &n, "PRIORITY", priority(f->severity));
    add(fl, &n, "SYSLOG_IDENTIFIER", "proftrace");
    add(fl, &n, "MESSAGE_ID", PT__ALERT_MESSAGE_ID);
    n += pt__alert_fields(t, f, &nums, fl + n);
    add(fl, &n, "PROFTRACE_FINDING", json);
    int rc = pt__journal_send(t->journal_fd, t->o.journal_socket, fl, n);
    if (rc < 0) {
        t->journal_failed++;
        say(t, "journal: %s not logged: %s: %s", what, t->o.journal_socket,
            rc == -EAGAIN ? "journald is not taking entries now" : strerror(-rc));
    } else {
        t->journal_sent++;
    }
    return rc;
}

static int to_command(struct pt_alert *t, const struct pt_finding *f, const char *msg,
                      const char *json, const char *what)
{
    struct pt__alert_field fl[PT__ALERT_MAX_FIELDS];
    struct pt__alert_nums nums;
    unsigned n = pt__alert_fields(t, f, &nums, fl);
    add(fl, &n, "PROFTRACE_MESSAGE", msg);
    return pt__commands_add(t->commands, fl, n, json, strlen(json), what);
}

int pt_alert_send(struct pt_alert *t, const struct pt_finding *f, const char *json)
{
    char msg[1024], what[200];
    t->nsent++;
    pt__alert_message(f, t->o.trace_dir, msg, sizeof msg);
    snprintf(what, sizeof what, "finding %" PRIu64 " (%s, %s \"%s\")", t->nsent, f->rule,
             f->resource_kind, pt_esc(f->resource));
    int rc = 0, r;
    if (t->journal_fd >= 0 && (r = to_journal(t, f, msg, json, what)) < 0)
        rc = r;
    if (t->commands && (r = to_command(t, f, msg, json, what)) < 0 && !rc)
        rc = r;
    return rc;
}

void pt_alert_poll(struct pt_alert *t)
{
    if (t && t->commands)
        pt__commands_poll(t->commands);
}

void pt_alert_stats(const struct pt_alert *t, struct pt_alert_stats *st)
{
    memset(st, 0, sizeof *st);
    if (t->commands)
        pt__commands_stats(t->commands, st);
    st->journal_sent = t->journal_sent;
    st->journal_failed = t->journal_failed;
}

void pt_alert_drain(struct pt_alert *t)
{
    if (t->commands)
        pt__commands_drain(t->commands);
}

void pt_alert_close(struct pt_alert *t)
{
    if (!t)
        return;
    pt__commands_free(t->commands);
    if (t->journal_fd >= 0)
        close(t->journal_fd);
    free((char *)t->o.journal_socket);
    free((char *)t->o.command);
    free((char *)t->o.trace_dir);
    free(t);
}
