/* event_filter.c — the event filters `proftrace events` and `proftrace live` share. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds/event_filter.h"
#include "cmds/event_line.h"
#include "proftrace/calls.h"

static const char *const categories[] = {
#define CAT(c) #c,
    PT_CATEGORIES(CAT)
#undef CAT
};

static const unsigned char call_category[] = {
#define ROW(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CAT_##cat,
    PT_CALLS(ROW, _)
#undef ROW
};

static const unsigned char call_ret_kind[] = {
#define ROW(name, cat, hook, cret, cparams, cargs, retk, fields) retk,
    PT_CALLS(ROW, _)
#undef ROW
};

int pt__kind_matches(const struct pt_event *ev, const char *kind)
{
    const char *name = pt_event_name(ev->id);
    if (name && !strcmp(name, kind))
        return 1;
    int is_call = ev->id >= PT_EV_CALL_FIRST;
    if (!strcasecmp(kind, "call"))
        return is_call;
    if (is_call && ev->id - PT_EV_CALL_FIRST < PT_CALL_COUNT) {
        unsigned cat = call_category[ev->id - PT_EV_CALL_FIRST];
        return !strcasecmp(kind, categories[cat]);
    }
    return 0;
}

int pt__kind_known(const char *kind)
{
    if (!strcasecmp(kind, "call"))
        return 1;
    for (unsigned i = 0; i < PT_CAT_COUNT; i++)
        if (!strcasecmp(kind, categories[i]))
            return 1;
    for (unsigned id = 0; pt_event_name(id); id++)
        if (!strcmp(pt_event_name(id), kind))
            return 1;
    return 0;
}

/* A call whose result says it failed, by the call's return kind (calls.h). */
static int call_failed(const struct pt_event *ev)
{
    if (ev->id < PT_EV_CALL_FIRST || ev->id - PT_EV_CALL_FIRST >= PT_CALL_COUNT)
        return 0;
    int64_t r = ev->ret;
    switch (call_ret_kind[ev->id - PT_EV_CALL_FIRST]) {
    case PT_RET_W32:
    case PT_RET_ERRNUM: return r != 0;
    case PT_RET_HRESULT: return ((uint32_t)r & 0x80000000u) != 0; /* FAILED(): the severity bit */
    case PT_RET_BOOL_W32:
    case PT_RET_HANDLE_W32: return r == 0;
    case PT_RET_INT_ERRNO: return r == -1;
    case PT_RET_FD_ERRNO: return r < 0;
    case PT_RET_PTR_ERRNO: return r == -1 || r == 0; /* MAP_FAILED, (void *)-1, NULL */
    default: return 0; /* VOID, ULONG: nothing fails */
    }
}

static int any_string_contains(const struct pt_event *ev, const char *sub)
{
    size_t n = strlen(sub);
    for (unsigned i = 0; i < ev->nfields; i++)
        if (pt_event_field_wire(ev, i) == PT_WIRE_STR &&
            memmem(ev->field[i].str.s, ev->field[i].str.len, sub, n))
            return 1;
    return 0;
}

int pt__filter_match(const struct pt__filter *f, const struct pt_event *ev, uint64_t t0)
{
    if (f->pid >= 0 && ev->pid != (uint32_t)f->pid)
        return 0;
    if (f->tid >= 0 && ev->tid != (uint32_t)f->tid)
        return 0;
    if (f->kind && !pt__kind_matches(ev, f->kind))
        return 0;
    if (f->name && !strstr(pt_event_name(ev->id) ? pt_event_name(ev->id) : "", f->name))
        return 0;
    if (f->path && !any_string_contains(ev, f->path))
        return 0;
    if (f->failed && !call_failed(ev))
        return 0;
    if (f->since_us == INT64_MIN && f->until_us == INT64_MAX)
        return 1;
    int64_t us = pt__rel_us(ev->ts, t0);
    return us >= f->since_us && us <= f->until_us;
}

/* SECONDS as report prints them: "0.5", "12", "+0.194088s"; into microseconds. */
static int seconds(struct pt__cli *cli, int64_t *us)
{
    const char *s = cli->arg ? cli->arg : "";
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == 's')
        end++;
    if (end == s || *end || !(v > -9e12 && v < 9e12)) { /* NaN fails both */
        fprintf(stderr,
                "proftrace %s: --%s wants seconds from the start of the trace, as report prints "
                "them (0.5, +0.194088s), not '%s'\n",
                cli->doc->name, cli->opt ? cli->opt->name : "?", s);
        cli->status = 2;
        return -1;
    }
    *us = (int64_t)(v >= 0 ? v * 1e6 + 0.5 : v * 1e6 - 0.5); /* 0.194088 is 194088 exactly */
    return 0;
}

int pt__filter_option(struct pt__filter *f, struct pt__cli *cli, int key)
{
    long long n;
    switch (key) {
    case PT__FOPT_TID:
        if (pt__cli_number(cli, 0, INT32_MAX, &n) < 0)
            return -1;
        f->tid = (long)n;
        return 1;
    case PT__FOPT_NAME: f->name = cli->arg; return 1;
    case PT__FOPT_PATH: f->path = cli->arg; return 1;
    case PT__FOPT_FAILED: f->failed = 1; return 1;
    case PT__FOPT_SINCE: return seconds(cli, &f->since_us) < 0 ? -1 : 1;
    case PT__FOPT_UNTIL: return seconds(cli, &f->until_us) < 0 ? -1 : 1;
    default: return 0;
    }
}
