/* event_filter.h — the event filters `proftrace events` and `proftrace live` share: the same option
 * means the same in both. */
#ifndef PT_CMDS_EVENT_FILTER_H
#define PT_CMDS_EVENT_FILTER_H

#include <stdint.h>

#include "cmds/cli.h"
#include "proftrace/trace.h"

/* What an event must be to be shown. Start from PT__FILTER_ANY; every criterion set must hold. */
struct pt__filter {
    long pid, tid;    /* the process / thread, -1: any */
    const char *kind; /* pt__kind_matches, NULL: any */
    const char *name; /* the event's class name (the call's name) contains it */
    const char *path; /* one of its string fields contains it: a path, a name of a key, an object,
                       * a profile or a value, an exe */
    int failed;       /* a call that failed, as its return kind says */
    int64_t since_us, until_us; /* its time from the start of the trace, in microseconds as
                                 * printed (pt__rel_us), within [since, until] */
};
/* clang-format off */
#define PT__FILTER_ANY {.pid = -1, .tid = -1, .since_us = INT64_MIN, .until_us = INT64_MAX}

/* Option keys of the shared rows below (long-only keys, apart from each command's own). */
enum {
    PT__FOPT_TID = PT__CLI_LONG + 100,
    PT__FOPT_NAME,
    PT__FOPT_PATH,
    PT__FOPT_FAILED,
    PT__FOPT_SINCE,
    PT__FOPT_UNTIL,
};
/* Rows of struct pt__cli_opt, the same text in every command that takes them. */
#define PT__FILTER_OPT_TID                                                                        \
    {PT__FOPT_TID, "tid", "N", "only thread N (a process's first thread has its pid)"}
#define PT__FILTER_OPT_NAME                                                                       \
    {PT__FOPT_NAME, "name", "SUBSTR",                                                             \
     "only events whose name (the call's, or the class's: process, module, witnessed ...) "     \
     "contains SUBSTR"}
#define PT__FILTER_OPT_PATH                                                                       \
    {PT__FOPT_PATH, "path", "SUBSTR",                                                             \
     "only events with a path or name argument containing SUBSTR (any string field: a file, a "  \
     "shared-memory object, a registry key or value, a profile, an exe)"}
#define PT__FILTER_OPT_FAILED                                                                     \
    {PT__FOPT_FAILED, "failed", NULL,                                                             \
     "only calls that failed (an error result, FALSE, NULL, -1, a failed HRESULT)"}
#define PT__FILTER_OPT_SINCE                                                                      \
    {PT__FOPT_SINCE, "since", "SECONDS",                                                          \
     "only events at or after SECONDS from the start of the trace, as report prints times "      \
     "(0.5, +0.194088s)"}
#define PT__FILTER_OPT_UNTIL                                                                      \
    {PT__FOPT_UNTIL, "until", "SECONDS", "only events at or before SECONDS from the start"}
/* clang-format on */

/* Takes the option pt__cli_next returned when it is one of the shared rows: 1 taken, 0 not a
 * shared row, -1 a refused value (said on stderr; the command returns cli->status). */
int pt__filter_option(struct pt__filter *f, struct pt__cli *cli, int key);

/* 1 when the event passes every criterion of f; t0 is the start of the trace (its first event's
 * time), looked at only when f has --since or --until. */
int pt__filter_match(const struct pt__filter *f, const struct pt_event *ev, uint64_t t0);

/* 1 when `kind` names the event's class (exact), 'call' (any call, case-insensitive) or the
 * call's category (REG MAP ..., case-insensitive); else 0. */
int pt__kind_matches(const struct pt_event *ev, const char *kind);

/* 1 when `kind` is 'call', a category or an event class, i.e. pt__kind_matches can match it. */
int pt__kind_known(const char *kind);

#endif
