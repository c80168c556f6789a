/* preload_test.h — helpers of the shim's tests: run a program under libproftrace.so with a fresh
 * trace directory, read every event back into memory, and look events up by class and field.
 *
 * A test binary is both sides: run without PT_PRELOAD_ROLE it is the checker, which re-executes
 * itself with LD_PRELOAD and PROFTRACE_DIR set and PT_PRELOAD_ROLE=act; the act side makes the
 * calls and writes what it observed (inode of a file before deleting it, a child's pid, ...) as
 * "key value" lines to $PT_PRELOAD_FACTS, which the checker compares with the recorded events. */
#ifndef PT_TESTS_PRELOAD_TEST_H
#define PT_TESTS_PRELOAD_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proftrace/calls.h"
#include "proftrace/event.h"
#include "proftrace/trace.h"

static int t_failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            if (++t_failures > 30)                                                                 \
                exit(1);                                                                           \
        }                                                                                          \
    } while (0)

/* ---- Act side ----------------------------------------------------------------------------------
 */
static inline int t_acting(void)
{
    const char *r = getenv("PT_PRELOAD_ROLE");
    return r && !strcmp(r, "act");
}

/* Record a fact for the checker. */
static inline void t_fact(const char *key, const char *fmt, ...)
{
    const char *path = getenv("PT_PRELOAD_FACTS");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "%s ", key);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fclose(f);
}

/* ---- Checker side ------------------------------------------------------------------------------
 */
#define T_MAX_EVENTS 20000
#define T_MAX_FIELDS 24
struct t_field {
    char name[48];
    uint8_t wire;
    uint64_t u;
    char s[256];
};
struct t_event {
    uint16_t id;
    uint32_t pid, tid;
    uint64_t ts, ts_enter;
    uint8_t depth;
    int64_t ret;
    int32_t err;
    uint8_t nframes;
    uint64_t frame0;
    unsigned nfields;
    struct t_field f[T_MAX_FIELDS];
};
static struct t_event t_ev[T_MAX_EVENTS];
static unsigned t_nev;
static char t_dir[256], t_facts[300];
static struct pt_trace_stats t_stats;

static inline void t_diag(void *arg, const char *what)
{
    fprintf(stderr, "trace diag: %s\n", what);
    ++*(int *)arg;
}

/* Read every event of dir into t_ev; returns the number of reader diagnostics. */
static inline int t_read(const char *dir)
{
    struct pt_trace *t;
    static struct pt_event ev;
    int diags = 0;
    t_nev = 0;
    if (pt_trace_open(dir, t_diag, &diags, &t) != 0)
        return -1;
    while (pt_trace_next(t, &ev) > 0 && t_nev < T_MAX_EVENTS) {
        struct t_event *e = &t_ev[t_nev++];
        memset(e, 0, sizeof *e);
        e->id = ev.id, e->pid = ev.pid, e->tid = ev.tid, e->ts = ev.ts, e->ts_enter = ev.ts_enter;
        e->depth = ev.depth, e->ret = ev.ret, e->err = ev.err, e->nframes = ev.nframes;
        e->frame0 = ev.nframes ? ev.frame[0] : 0;
        for (unsigned i = 0; i < ev.nfields && i < T_MAX_FIELDS; i++) {
            struct t_field *f = &e->f[e->nfields++];
            snprintf(f->name, sizeof f->name, "%s", pt_event_field_name(&ev, i));
            f->wire = pt_event_field_wire(&ev, i);
            if (f->wire == PT_WIRE_STR)
                snprintf(f->s, sizeof f->s, "%.*s", (int)ev.field[i].str.len, ev.field[i].str.s);
            else
                f->u = ev.field[i].u;
        }
    }
    pt_trace_stats(t, &t_stats);
    pt_trace_close(t);
    return diags;
}

static inline const struct t_field *t_field(const struct t_event *e, const char *name)
{
    for (unsigned i = 0; i < e->nfields; i++)
        if (!strcmp(e->f[i].name, name))
            return &e->f[i];
    return NULL;
}
static inline uint64_t t_u(const struct t_event *e, const char *name)
{
    const struct t_field *f = t_field(e, name);
    return f ? f->u : (uint64_t)-1;
}
static inline const char *t_s(const struct t_event *e, const char *name)
{
    const struct t_field *f = t_field(e, name);
    return f ? f->s : "<no such field>";
}

/* The n-th (from 0) event of class `name` in process pid (0: any) whose string field `key` equals
 * `val` (key NULL: any). */
static inline const struct t_event *t_find(const char *name, uint32_t pid, const char *key,
                                           const char *val, unsigned n)
{
    for (unsigned i = 0; i < t_nev; i++) {
        const char *en = pt_event_name(t_ev[i].id);
        if (!en || strcmp(en, name) || (pid && t_ev[i].pid != pid))
            continue;
        if (key && strcmp(t_s(&t_ev[i], key), val))
            continue;
        if (n-- == 0)
            return &t_ev[i];
    }
    return NULL;
}
static inline unsigned t_count(const char *name, uint32_t pid)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t_nev; i++) {
        const char *en = pt_event_name(t_ev[i].id);
        if (en && !strcmp(en, name) && (!pid || t_ev[i].pid == pid))
            n++;
    }
    return n;
}

/* A fact the act side recorded, as a number (or -1) / as a string (or ""). */
static inline long long t_fact_num(const char *key)
{
    char line[512];
    long long v = -1;
    FILE *f = fopen(t_facts, "r");
    while (f && fgets(line, sizeof line, f)) {
        size_t k = strlen(key);
        if (!strncmp(line, key, k) && line[k] == ' ')
            v = strtoll(line + k + 1, NULL, 0);
    }
    if (f)
        fclose(f);
    return v;
}
static inline const char *t_fact_str(const char *key)
{
    static char val[512];
    char line[512];
    val[0] = 0;
    FILE *f = fopen(t_facts, "r");
    while (f && fgets(line, sizeof line, f)) {
        size_t k = strlen(key);
        if (!strncmp(line, key, k) && line[k] == ' ') {
            snprintf(val, sizeof val, "%s", line + k + 1);
            val[strcspn(val, "\n")] = 0;
        }
    }
    if (f)
        fclose(f);
    return val;
}

/* The shim: $PT_SHIM, or ../lib/libproftrace.so next to the test binary's directory. */
static inline const char *t_shim(void)
{
    static char path[4096];
    const char *e = getenv("PT_SHIM");
    if (e)
        return e;
    char self[4000];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(path, sizeof path, "%s/../lib/libproftrace.so", self);
    return path;
}

/* Run this binary (argv) as the act side under the shim; returns its wait status. Sets t_dir and
 * t_facts. extra_env: more NAME=VALUE strings (NULL-terminated list) or NULL. */
static inline int t_run_self(char **argv, const char *tag, const char *const *extra_env)
{
    snprintf(t_dir, sizeof t_dir, "/tmp/pt-preload-%s-%d-XXXXXX", tag, (int)getpid());
    if (!mkdtemp(t_dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(t_facts, sizeof t_facts, "%s.facts", t_dir);
    unlink(t_facts);
    pid_t pid = fork();
    if (pid == 0) {
        const char *first = getenv("PT_PRELOAD_FIRST"); /* a sanitizer runtime, in such builds */
        char pre[8300];
        snprintf(pre, sizeof pre, "%s%s%s", first && *first ? first : "",
                 first && *first ? ":" : "", t_shim());
        setenv("LD_PRELOAD", pre, 1);
        setenv("PROFTRACE_DIR", t_dir, 1);
        setenv("PT_PRELOAD_ROLE", "act", 1);
        setenv("PT_PRELOAD_FACTS", t_facts, 1);
        for (const char *const *e = extra_env; e && *e; e++)
            putenv((char *)*e);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static inline void t_cleanup(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", t_dir, t_facts);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", t_dir);
}

/* Print every event (debugging a failing test). */
static inline void t_dump(void)
{
    for (unsigned i = 0; i < t_nev; i++) {
        const struct t_event *e = &t_ev[i];
        fprintf(stderr, "%u/%u %s d=%u ret=%lld err=%d", e->pid, e->tid, pt_event_name(e->id),
                e->depth, (long long)e->ret, e->err);
        for (unsigned k = 0; k < e->nfields; k++) {
            if (e->f[k].wire == PT_WIRE_STR)
                fprintf(stderr, " %s=\"%s\"", e->f[k].name, e->f[k].s);
            else
                fprintf(stderr, " %s=%#llx", e->f[k].name, (unsigned long long)e->f[k].u);
        }
        fprintf(stderr, e->nframes ? " [stack %u]\n" : "\n", e->nframes);
    }
}

static inline int t_done(const char *name)
{
    if (t_failures) {
        fprintf(stderr, "%s: %d failure(s); events:\n", name, t_failures);
        t_dump();
        fprintf(stderr, "trace kept in %s\n", t_dir);
        return 1;
    }
    t_cleanup();
    printf("%s: ok (%u events)\n", name, t_nev);
    return 0;
}

#endif
