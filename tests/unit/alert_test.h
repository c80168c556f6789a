/* alert_test.h — what the alert tests share: checks, a finding made by hand, the lines the alert
 * target logs. */
#ifndef PT_TESTS_ALERT_TEST_H
#define PT_TESTS_ALERT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/alert.h"

/* Run before a failing test exits (it undoes what would outlive it), when set. */
static void (*alert_test_on_fail)(void);

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            if (alert_test_on_fail)                                                                \
                alert_test_on_fail();                                                              \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* A finding as the analyzer would give it: deleter pid `dpid`, a profile named `resource`. */
static inline struct pt_finding alert_test_finding(unsigned dpid, const char *resource)
{
    struct pt_finding f = {
        .rule = "cross-namespace-purge",
        .cause = "session-namespace-split",
        .severity = "critical",
        .resource_kind = "profile",
        .resource = resource,
        .identity = "dev=65024 ino=4242",
        .deleter_pid = dpid,
        .holder_pid = 7,
        .deleter_exe = "/usr/bin/mapiclient",
        .holder_exe = "/usr/sbin/eventsvc",
        .deleter_call = "MAPIInitialize",
        .time = 123456789,
        .victim = "IMAPISession_OpenMsgStore -> 0x80004005 MAPI_E_CALL_FAILED",
    };
    return f;
}

/* The lines a target logged, kept in order. */
struct alert_test_log {
    char lines[64][512];
    unsigned n;
};

static inline void alert_test_log_line(void *arg, const char *line)
{
    struct alert_test_log *l = arg;
    fprintf(stderr, "logged: %s\n", line);
    if (l->n < 64)
        snprintf(l->lines[l->n++], sizeof l->lines[0], "%s", line);
}

/* Was a line containing `what` logged? */
static inline int alert_test_logged(const struct alert_test_log *l, const char *what)
{
    for (unsigned i = 0; i < l->n; i++)
        if (strstr(l->lines[i], what))
            return 1;
    return 0;
}

#endif
