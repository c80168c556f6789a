/* event_line.c — the strace-like event line `proftrace events` and `proftrace live` print, and the
 * pid -> program name table it needs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmds/event_line.h"
#include "proftrace/escape.h"

static void set_name(struct pt__procnames *ns, uint32_t stream, uint32_t pid, const char *exe,
                     uint32_t len)
{
    const char *base = exe;
    for (uint32_t i = 0; i < len; i++)
        if (exe[i] == '/')
            base = exe + i + 1;
    int blen = (int)(exe + len - base);
    size_t size = (size_t)ns->width + 1;
    for (size_t i = 0; i < ns->n; i++)
        if (ns->v[i].stream == stream) {
            ns->v[i].pid = pid;
            snprintf(ns->v[i].name, size, "%.*s", blen, base);
            return;
        }
    if (ns->n == ns->cap) {
        size_t nc = ns->cap ? 2 * ns->cap : 64;
        struct pt__procname *v = realloc(ns->v, nc * sizeof *v);
        if (!v)
            return;
        ns->v = v;
        ns->cap = nc;
    }
    ns->v[ns->n].pid = pid;
    ns->v[ns->n].stream = stream;
    snprintf(ns->v[ns->n].name, size, "%.*s", blen, base);
    ns->n++;
}

void pt__procnames_note(struct pt__procnames *ns, const struct pt_event *ev)
{
    if (ev->id != PT_EV_process)
        return;
    const struct pt_value *exe = pt_event_field(ev, "exe");
    if (exe && exe->str.len)
        set_name(ns, ev->stream, ev->pid, exe->str.s, exe->str.len);
}

const char *pt__procnames_get(const struct pt__procnames *ns, uint32_t pid)
{
    for (size_t i = ns->n; i-- > 0;)
        if (ns->v[i].pid == pid)
            return ns->v[i].name;
    return "?";
}

const char *pt__procnames_of(const struct pt__procnames *ns, const struct pt_event *ev)
{
    for (size_t i = 0; i < ns->n; i++)
        if (ns->v[i].stream == ev->stream)
            return ns->v[i].pid == ev->pid ? ns->v[i].name : pt__procnames_get(ns, ev->pid);
    return pt__procnames_get(ns, ev->pid);
}

void pt__procnames_free(struct pt__procnames *ns)
{
    free(ns->v);
    ns->v = NULL;
    ns->n = ns->cap = 0;
}

void pt__put_time(FILE *out, uint64_t mono, int64_t rt)
{
    int64_t wall = (int64_t)mono + rt;
    time_t secs = (time_t)(wall / 1000000000);
    struct tm tm;
    localtime_r(&secs, &tm);
    fprintf(out, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
            (long)(wall % 1000000000 / 1000));
}

double pt__rel_seconds(uint64_t ts, uint64_t t0)
{
    /* report's own computation (analyzer/report_text.c), so that the printed digits agree */
    return ts >= t0 ? (double)(ts - t0) / 1e9 : -(double)(t0 - ts) / 1e9;
}

int64_t pt__rel_us(uint64_t ts, uint64_t t0)
{
    /* The digits as printed. Away from a tie (a remainder of 500 ns) rounding the nanoseconds is
     * the same: the double is within a fraction of a nanosecond of them. At a tie, printf's
     * rounding of the double decides, and --until +0.194088s must keep the event printed so. */
    if (ts >= t0) {
        uint64_t ns = ts - t0, rest = ns % 1000;
        if (rest < 499 || rest > 501)
            return (int64_t)((ns + 500) / 1000);
    }
    char text[48], digits[48], *d = digits;
    snprintf(text, sizeof text, "%.6f", pt__rel_seconds(ts, t0));
    for (const char *p = text; *p && d < digits + sizeof digits - 1; p++)
        if (*p != '.')
            *d++ = *p;
    *d = 0;
    return strtoll(digits, NULL, 10);
}

static void line(FILE *out, const struct pt_event *ev, const char *name)
{
    char text[8192], who[64];
    pt_event_format(ev, text, sizeof text);
    if (ev->tid && ev->tid != ev->pid)
        snprintf(who, sizeof who, "%u/%u", ev->pid, ev->tid);
    else
        snprintf(who, sizeof who, "%u", ev->pid);
    fprintf(out, " [%s %s] %*s%s\n", who, pt_esc(name), 2 * ev->depth, "", text);
}

void pt__event_line(FILE *out, const struct pt_event *ev, int64_t rt, const char *name)
{
    pt__put_time(out, ev->ts, rt);
    line(out, ev, name);
}

void pt__event_line_rel(FILE *out, const struct pt_event *ev, uint64_t t0, const char *name)
{
    fprintf(out, "%+11.6fs", pt__rel_seconds(ev->ts, t0)); /* as report prints times */
    line(out, ev, name);
}
